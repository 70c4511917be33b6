"""User accounts and saved field profiles (how a source's columns map onto a layer).

A mixin of :class:`geo.store.base.Store`; sessions and the sign-in throttle (tables ``sessions`` and
``signin_throttle``) are kept by :mod:`geo.access.sessions` through transactions.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from geo.core.errors import NotFoundError
from geo.store.values import dumps_json
from geo.core.timeutil import now_utc

if TYPE_CHECKING:
    from geo.store.base import Tx


class AccountsMixin:
    """Users and field profiles."""

    # ---------------------------------------------------------------- users
    def put_user(self, tx: Tx, **values) -> None:
        values.setdefault("created_at", now_utc())
        values.setdefault("disabled", False)
        values.setdefault("version", 1)
        if "counties" in values:
            values["counties"] = dumps_json(values["counties"])
        cols = list(values)
        tx.execute(
            f"INSERT INTO users ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            list(values.values()),
        )

    def users(self) -> pd.DataFrame:
        frame = self.table("users", order="name")
        return frame.drop(columns=["password_hash"])

    def user(self, name: str) -> dict | None:
        with self.transaction(write=False) as tx:
            names, rows = tx.columns("SELECT * FROM users WHERE name = ?", [name])
        if not rows:
            return None
        out = dict(zip(names, rows[0]))
        out["counties"] = json.loads(out["counties"]) if out.get("counties") else []
        out["disabled"] = bool(out["disabled"])
        return out

    def update_user(self, tx: Tx, name: str, *, bump: bool = True, **values) -> None:
        """Change the account ``name``; ``bump``: its version goes one up (a preference such as
        the language is not a change another administrator's form would conflict with)."""
        if "counties" in values:
            values["counties"] = dumps_json(values["counties"])
        sets = ", ".join([f"{k} = ?" for k in values] + (["version = COALESCE(version, 0) + 1"] if bump else []))
        n = tx.execute(f"UPDATE users SET {sets} WHERE name = ?", [*values.values(), name])
        if n != 1:
            raise NotFoundError(f"user '{name}' does not exist", f"用户“{name}”不存在")

    # ---------------------------------------------------------------- field profiles
    def field_profile(self, source: str, layer: str) -> dict | None:
        frame = self.table("field_profiles", where={"source": source, "layer": layer})
        if frame.empty:
            return None
        rec = frame.iloc[0].to_dict()
        rec["mapping"] = json.loads(rec["mapping"]) if rec["mapping"] else {}
        return rec

    def save_field_profile(self, tx: Tx, source: str, layer: str, mapping: dict, actor: str,
                           encoding: str | None = None, crs: str | None = None) -> None:
        tx.execute("DELETE FROM field_profiles WHERE source = ? AND layer = ?", [source, layer])
        tx.execute(
            "INSERT INTO field_profiles (source, layer, mapping, encoding, crs, updated_at, "
            "updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [source, layer, dumps_json(mapping), encoding, crs, now_utc(), actor],
        )
