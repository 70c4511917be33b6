"""Signed-in sessions and the sign-in itself: expiry, sign-out on the server, and a brake on
password guessing.

* A session is a row of ``sessions`` keyed by the SHA-256 of a random token. The browser holds the
  token only in an ``HttpOnly; SameSite=Strict`` cookie set by the server
  (``dashboard/server.py``), so no script in the page can read or forge it.
* It ends after :attr:`Policy.idle_minutes` without use or :attr:`Policy.absolute_hours` after
  sign-in, whichever comes first, and at once when the user signs out (the row is deleted: a copied
  cookie is worthless afterwards) or an administrator resets the password or disables the account.
* Failed sign-ins are counted per account and per client address over a window. After
  :attr:`Policy.slow_after` failures each further attempt waits longer; after
  :attr:`Policy.lock_after` the account (or address) is locked for :attr:`Policy.lock_minutes`,
  right password or not. Every attempt, failed or not, is written to the audit log.
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
def _keys(name: str, ip: str | None) -> list[str]:
    keys = [f"user:{(name or '').strip().lower()}"]
    if ip:
        keys.append(f"ip:{ip}")
    return keys


def _failures(tx, keys: list[str], since: str) -> dict[str, list[str]]:
    rows = tx.query(f"SELECT key, at FROM signin_failures WHERE at >= ? AND key IN ({', '.join('?' * len(keys))}) "
                    "ORDER BY at", [since, *keys])
    out: dict[str, list[str]] = {k: [] for k in keys}
    for key, at in rows:
        out[key].append(at)
    return out


def _audit(store, tx, actor: str, action: str, fields: dict) -> None:
    store.add_events(tx, [("user", 0, to_utc_text(_now()), actor, action, None, None,
                           json.dumps(fields, ensure_ascii=False), None, None, None)])


def lock_state(store, name: str, ip: str | None, policy: Policy = Policy(), *, now=None) -> tuple[int, float]:
    """``(failures in the window, seconds until the lock ends or 0)`` for the worse of the account
    and the address."""
    store, _ = unwrap(store)
    now = now or _now()
    since = to_utc_text(now - dt.timedelta(minutes=max(policy.window_minutes, policy.lock_minutes)))
    with store.transaction(write=False) as tx:
        fails = _failures(tx, _keys(name, ip), since)
    worst, wait = 0, 0.0
    for times in fails.values():
        recent = [t for t in times if _at(t) >= now - dt.timedelta(minutes=policy.window_minutes)]
        worst = max(worst, len(recent))
        if len(times) >= policy.lock_after:
            until = _at(times[-1]) + dt.timedelta(minutes=policy.lock_minutes)
            wait = max(wait, (until - now).total_seconds())
    return worst, max(wait, 0.0)


def sign_in(store, name: str, password: str, policy: Policy = Policy(), *, ip: str | None = None,
            sleep=time.sleep) -> tuple[dict, str]:
    """Check a name and password and start a session: ``(user, token)``.

    Refused with :class:`SignInLocked` while the account or address is locked (even with the right
    password); slowed down after a few failures; every attempt is audited.
    """
    raw, _ = unwrap(store)
    name = (name or "").strip()
    failures, wait = lock_state(raw, name, ip, policy)
    if wait > 0:
        with raw.transaction() as tx:
            _audit(raw, tx, name or "?", "signin_locked", {"user": name, "ip": ip})
        minutes = max(1, round(wait / 60))
        raise SignInLocked(
            f"too many failed sign-ins for this account or address; try again in about {minutes} min",
            f"登录失败次数过多，该账号或地址已暂时锁定，请约 {minutes} 分钟后再试",
            retry_after=int(wait))
    if failures >= policy.slow_after:
        sleep(min(policy.max_delay_s, 0.5 * 2 ** (failures - policy.slow_after)))
    try:
        user = authenticate(raw, name, password)
    except (ValidationError, PermissionDenied) as err:
        with raw.transaction() as tx:
            now = to_utc_text(_now())
            tx.executemany("INSERT INTO signin_failures (key, at) VALUES (?, ?)",
                           [(k, now) for k in _keys(name, ip)])
            _audit(raw, tx, name or "?", "signin_failed", {"user": name, "ip": ip})
        raise err
    token = start(raw, user, policy, ip=ip)
    with raw.transaction() as tx:
        tx.execute("DELETE FROM signin_failures WHERE key = ?", [_keys(name, None)[0]])
        _audit(raw, tx, user["name"], "signin", {"user": user["name"], "ip": ip})
    return user, token

