"""Per-user preferences kept in the store (e.g. the basemap a user last picked), so they follow
the user across sessions and machines. Stored as ``meta`` rows keyed ``pref:<user>:<name>``; no
new table is needed, and both backends already have ``meta``."""

from __future__ import annotations

from geo.store import Store
from geo.access.scope import unwrap

KNOWN = {"basemap"}
MAX_LEN = 200


def _key(user: str, name: str) -> str:
    if name not in KNOWN:
        raise ValueError(f"unknown preference {name!r}")
    return f"pref:{user}:{name}"


def get(store: Store, user: str, name: str, default: str | None = None) -> str | None:
    if not user:
        return default
    value = store.meta(_key(user, name))
    return default if value is None else value


def put(store: Store, user: str, name: str, value: str) -> None:
    """Keep a preference of ``user`` (through a user's scoped store, only that user's own)."""

    raw, access = unwrap(store)
    if not user or (access is not None and access.user != user):
        return
    raw.set_meta(_key(user, name), str(value)[:MAX_LEN])
