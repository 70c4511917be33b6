"""Signed-in sessions and the sign-in itself: expiry, sign-out on the server, and a brake on
password guessing.

* A session is a row of ``sessions`` keyed by the SHA-256 of a random token. The browser holds the
  token only in an ``HttpOnly; SameSite=Strict`` cookie set by the server
  (``dashboard/server.py``), so no script in the page can read or forge it.
* It ends after :attr:`Policy.idle_minutes` without use or :attr:`Policy.absolute_hours` after
  sign-in, whichever comes first, and at once when the user signs out (the row is deleted: a copied
  cookie is worthless afterwards) or an administrator resets the password or disables the account.
* Failed sign-ins are counted per account and per client address (``signin_throttle``). After
  :attr:`Policy.slow_after` failures of either, each further attempt waits longer. After
  :attr:`Policy.lock_after` failures the *account* is locked for :attr:`Policy.lock_minutes`, right
  password or not; an address is never locked, only slowed — a whole bureau may share one NAT
  address, and nobody there can lock the others out. An attempt is counted before its password is
  checked, in one statement, so parallel guesses cannot check more than ``lock_after`` passwords.
  Every attempt, failed or not, is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from geo.access.auth import authenticate
from geo.core.errors import PermissionDenied, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import parse_datetime, to_utc_text


@dataclass(frozen=True)
class Policy:
    idle_minutes: float = 30.0
    absolute_hours: float = 8.0
    window_minutes: float = 15.0
    slow_after: int = 3
    lock_after: int = 6
    lock_minutes: float = 15.0
    max_delay_s: float = 4.0

    @classmethod
    def from_settings(cls, settings) -> "Policy":
        return cls(idle_minutes=settings.session_idle_minutes, absolute_hours=settings.session_hours,
                   lock_after=settings.signin_lock_after, lock_minutes=settings.signin_lock_minutes)


class SignInLocked(PermissionDenied):
    """Too many failed sign-ins for this account or address: wait until the lock ends."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _at(text) -> dt.datetime:
    return parse_datetime(str(text).replace("Z", "+00:00"))


# ------------------------------------------------------------------------------ sessions
def start(store, user: dict, policy: Policy = Policy(), *, ip: str | None = None) -> str:
    """A new session for ``user``; returns the token (shown to nobody but the browser's cookie)."""
    store, _ = unwrap(store)
    token = secrets.token_urlsafe(32)
    now = _now()
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO sessions (token_hash, user_name, created_at, expires_at, last_seen, ip) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [_hash(token), user["name"], to_utc_text(now),
             to_utc_text(now + dt.timedelta(hours=policy.absolute_hours)), to_utc_text(now), ip],
        )
    return token


TOUCH_SECONDS = 60  # last_seen is written at most this often per session (one UPDATE a minute)


def user_of(store, token: str | None, policy: Policy = Policy(), *, now: dt.datetime | None = None) -> dict | None:
    """The account of a live session, or ``None`` (unknown, expired by idle or absolute time,
    signed out, or the account disabled). Using a session keeps it alive."""
    store, _ = unwrap(store)
    if not token:
        return None
    now = now or _now()
    with store.transaction(write=False) as tx:
        row = tx.query_one("SELECT user_name, expires_at, last_seen, created_at FROM sessions WHERE token_hash = ?",
                           [_hash(token)])
    if row is None:
        return None
    seen = _at(row[2] or row[3])
    if _at(row[1]) <= now or seen + dt.timedelta(minutes=policy.idle_minutes) <= now:
        end(store, token)
        return None
    user = store.user(row[0])
    if user is None or user["disabled"]:
        return None
    if (now - seen).total_seconds() >= TOUCH_SECONDS:
        with store.transaction() as tx:
            tx.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [to_utc_text(now), _hash(token)])
    return user


def end(store, token: str | None) -> None:
    """Sign out: the session is deleted on the server, so its cookie no longer opens anything."""
    store, _ = unwrap(store)
    if token:
        with store.transaction() as tx:
            tx.execute("DELETE FROM sessions WHERE token_hash = ?", [_hash(token)])


# ------------------------------------------------------------------------------ signing in
def _user_key(name: str) -> str:
    return f"user:{(name or '').strip().lower()}"


def _ip_key(ip: str | None) -> str | None:
    return f"ip:{ip}" if ip else None


def _cuts(policy: Policy, now: dt.datetime) -> tuple[str, str]:
    """``(reset, lock)``: a run of failures whose latest is older than *reset* is over; a lock whose
    latest failure is older than *lock* has ended."""
    reset = now - dt.timedelta(minutes=max(policy.window_minutes, policy.lock_minutes))
    return to_utc_text(reset), to_utc_text(now - dt.timedelta(minutes=policy.lock_minutes))


# One statement counts an attempt of an account before its password is checked, and only while the
# account is not locked: it adds one to the account's row (a new run when the last failure is old) or
# changes nothing and returns no row. The row is locked by the statement itself (SQLite: the write
# transaction; PostgreSQL: ON CONFLICT DO UPDATE re-reads the row another transaction just changed), so
# parallel attempts are counted one after the other and no more than ``lock_after`` passwords are
# ever checked per lock period. A right password then clears the row; a wrong one leaves it counted.
_RESERVE = (
    "INSERT INTO signin_throttle (key, n, last_at) VALUES (?, 1, ?) "
    "ON CONFLICT (key) DO UPDATE SET "
    "n = CASE WHEN signin_throttle.last_at < ? THEN 1 ELSE signin_throttle.n + 1 END, "
    "last_at = excluded.last_at "
    "WHERE signin_throttle.n < ? OR signin_throttle.last_at < ? "
    "RETURNING n"
)
# an address's failures: counted, never a lock (a whole bureau may sit behind one NAT address)
_COUNT = (
    "INSERT INTO signin_throttle (key, n, last_at) VALUES (?, 1, ?) "
    "ON CONFLICT (key) DO UPDATE SET "
    "n = CASE WHEN signin_throttle.last_at < ? THEN 1 ELSE signin_throttle.n + 1 END, "
    "last_at = excluded.last_at"
)


def _audit(store, tx, actor: str, action: str, fields: dict) -> None:
    store.add_events(tx, [("user", 0, to_utc_text(_now()), actor, action, None, None,
                           json.dumps(fields, ensure_ascii=False), None, None, None)])


def _counts(store, name: str, ip: str | None, policy: Policy, now: dt.datetime) -> dict[str, tuple[int, str]]:
    """``{key: (failures in the current run, latest)}`` of the account and the address."""
    reset, _ = _cuts(policy, now)
    keys = [k for k in (_user_key(name), _ip_key(ip)) if k]
    with store.transaction(write=False) as tx:
        rows = tx.query(f"SELECT key, n, last_at FROM signin_throttle WHERE key IN ({', '.join('?' * len(keys))})",
                        keys)
    return {key: (int(n), last) for key, n, last in rows if _at(last) >= _at(reset)}


def _delay(policy: Policy, failures: int) -> float:
    if failures < policy.slow_after:
        return 0.0
    return min(policy.max_delay_s, 0.5 * 2 ** (failures - policy.slow_after))


def lock_state(store, name: str, ip: str | None = None, policy: Policy = Policy(), *,
               now: dt.datetime | None = None) -> tuple[int, float]:
    """``(failures of the account in the current run, seconds until its lock ends or 0)``. An
    address is never locked: its failures only slow sign-ins from it (:func:`delay`)."""
    store, _ = unwrap(store)
    now = now or _now()
    n, last = _counts(store, name, None, policy, now).get(_user_key(name), (0, None))
    if n < policy.lock_after:
        return n, 0.0
    until = _at(last) + dt.timedelta(minutes=policy.lock_minutes)
    return n, max((until - now).total_seconds(), 0.0)


def delay(store, name: str, ip: str | None, policy: Policy = Policy(), *, now: dt.datetime | None = None) -> float:
    """Seconds to wait before the next password of ``name`` from ``ip`` is checked: longer and longer
    after :attr:`Policy.slow_after` failures of the account or of the address (at most
    :attr:`Policy.max_delay_s`). A wait, never a refusal: another account's right password from a busy
    address still signs in."""
    store, _ = unwrap(store)
    counts = _counts(store, name, ip, policy, now or _now())
    return _delay(policy, max((n for n, _ in counts.values()), default=0))


def _locked(store, name: str, ip: str | None, policy: Policy) -> SignInLocked:
    _, wait = lock_state(store, name, None, policy)
    with store.transaction() as tx:
        _audit(store, tx, name or "?", "signin_locked", {"user": name, "ip": ip})
    minutes = max(1, round(wait / 60))
    return SignInLocked(
        f"too many failed sign-ins for this account; try again in about {minutes} min",
        f"该账号登录失败次数过多，已暂时锁定，请约 {minutes} 分钟后再试",
        retry_after=int(wait))


def sign_in(store, name: str, password: str, policy: Policy = Policy(), *, ip: str | None = None,
            sleep=time.sleep) -> tuple[dict, str]:
    """Check a name and password and start a session: ``(user, token)``.

    Refused with :class:`SignInLocked` while the account is locked (even with the right password);
    slowed down (``sleep``) after a few failures of the account or of the address — a caller that
    waited :func:`delay` itself passes a ``sleep`` that does nothing; every attempt is audited.
    """
    raw, _ = unwrap(store)
    name = (name or "").strip()
    now = _now()
    reset, lock_cut = _cuts(policy, now)
    with raw.transaction() as tx:
        row = tx.query_one(_RESERVE, [_user_key(name), to_utc_text(now), reset, policy.lock_after, lock_cut])
    if row is None:
        raise _locked(raw, name, ip, policy)
    ip_failures = _counts(raw, name, ip, policy, now).get(_ip_key(ip), (0, None))[0] if ip else 0
    wait = _delay(policy, max(int(row[0]) - 1, ip_failures))
    if wait > 0:
        sleep(wait)
    try:
        user = authenticate(raw, name, password)
    except (ValidationError, PermissionDenied) as err:
        with raw.transaction() as tx:
            if ip:
                tx.execute(_COUNT, [_ip_key(ip), to_utc_text(_now()), reset])
            tx.execute("DELETE FROM signin_throttle WHERE last_at < ?", [reset])  # runs long over
            _audit(raw, tx, name or "?", "signin_failed", {"user": name, "ip": ip})
        raise err
    token = start(raw, user, policy, ip=ip)
    with raw.transaction() as tx:
        tx.execute("DELETE FROM signin_throttle WHERE key = ?", [_user_key(name)])
        _audit(raw, tx, user["name"], "signin", {"user": user["name"], "ip": ip})
    return user, token
