"""Signing in cannot be raced, and a lock is the account's alone (issue 20): on both backends, 40
wrong guesses at once check no more passwords than the lock allows; an address that failed many
times is slowed, never locked, so a bureau behind one NAT address cannot be locked out by anyone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from geo.access import auth, sessions
from geo.core.errors import ValidationError

PASSWORDS = {"alice": "Green-forest-7", "bob": "Wide-grassland-8"}


@pytest.fixture
def accounts(store):
    root = auth.Access(user="root", role="admin")
    for name, password in PASSWORDS.items():
        auth.add_user(store, root, name=name, role="leader", password=password)
    return store


@pytest.fixture
def checked(monkeypatch):
    """Every password checked by a sign-in, as (name, password)."""
    seen, lock = [], threading.Lock()
    real = sessions.authenticate

    def counting(store, name, password):
        with lock:
            seen.append((name, password))
        return real(store, name, password)

    monkeypatch.setattr(sessions, "authenticate", counting)
    return seen


def _attempt(store, name, password, policy, ip):
    try:
        sessions.sign_in(store, name, password, policy, ip=ip, sleep=lambda s: None)
        return "in"
    except sessions.SignInLocked:
        return "locked"
    except ValidationError:
        return "wrong"


def test_forty_parallel_wrong_guesses_check_no_more_passwords_than_the_lock_allows(accounts, checked):
    policy = sessions.Policy(lock_after=6)
    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(pool.map(lambda i: _attempt(accounts, "alice", f"guess-{i:02d}-X", policy, f"10.1.0.{i}"),
                                 range(40)))
    assert len(checked) == 6 and outcomes.count("wrong") == 6 and outcomes.count("locked") == 34
    actions = accounts.events("user")["action"].tolist()
    assert actions.count("signin_failed") == 6 and actions.count("signin_locked") == 34
    # locked: the right password is not even checked now
    assert _attempt(accounts, "alice", PASSWORDS["alice"], policy, "10.1.0.99") == "locked"
    assert len(checked) == 6


def test_a_lock_is_the_accounts_and_an_address_is_only_slowed(accounts, checked):
    policy = sessions.Policy(slow_after=3, lock_after=6, max_delay_s=4.0)
    office = "192.0.2.10"  # one NAT address in front of a whole bureau
    for i in range(8):  # someone there guesses alice's password
        sessions_outcome = _attempt(accounts, "alice", f"guess-{i}-X", policy, office)
        assert sessions_outcome == ("wrong" if i < 6 else "locked")
    with pytest.raises(sessions.SignInLocked) as err:  # alice is locked, from any address
        sessions.sign_in(accounts, "alice", PASSWORDS["alice"], policy, ip="198.51.100.1", sleep=lambda s: None)
    assert "锁定" in err.value.zh and "账号" in err.value.zh
    # bob, at the same office, signs in with his right password: after a wait, never refused
    waits = []
    user, token = sessions.sign_in(accounts, "bob", PASSWORDS["bob"], policy, ip=office, sleep=waits.append)
    assert user["name"] == "bob" and sessions.user_of(accounts, token, policy)
    assert len(waits) == 1 and 0 < waits[0] <= policy.max_delay_s
    assert sessions.delay(accounts, "bob", "198.51.100.1", policy) == 0  # elsewhere: no wait at all
    # bob's own wrong guesses from the office are slowed as well, and lock only bob
    for i in range(6):
        assert _attempt(accounts, "bob", f"bob-guess-{i}-X", policy, office) == "wrong"
    assert _attempt(accounts, "bob", PASSWORDS["bob"], policy, office) == "locked"
    assert sessions.lock_state(accounts, "bob", policy=policy)[1] > 0


def test_a_right_password_clears_the_accounts_failures(accounts):
    policy = sessions.Policy(slow_after=3, lock_after=4)
    for i in range(3):
        assert _attempt(accounts, "alice", f"guess-{i}-X", policy, "10.2.0.1") == "wrong"
    assert _attempt(accounts, "alice", PASSWORDS["alice"], policy, "10.2.0.1") == "in"
    assert sessions.lock_state(accounts, "alice", policy=policy) == (0, 0.0)
    for i in range(3):  # a new run: three more wrong guesses do not lock her
        assert _attempt(accounts, "alice", f"again-{i}-X", policy, "10.2.0.1") == "wrong"
    assert _attempt(accounts, "alice", PASSWORDS["alice"], policy, "10.2.0.1") == "in"
