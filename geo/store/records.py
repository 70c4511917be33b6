"""The non-spatial records: events and histories, batches, any table as a frame, attachments
(evidence files) and rectification items.

A mixin of :class:`geo.store.base.Store`.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from geo.declare import registry as S
from geo.core.errors import ConflictError, NotFoundError, ValidationError
from geo.store.purpose import check_purpose, default_purpose
from geo.store.tables import INT_COLUMNS, REAL_COLUMNS, EVENT_COLS, TABLES
from geo.store.values import dumps_json
from geo.core.timeutil import fmt_local, now_utc

if TYPE_CHECKING:
    from geo.store.base import Tx


class RecordsMixin:
    """Events, batches, tables, attachments and rectification items."""

    # ---------------------------------------------------------------- events / history
    def events(
        self,
        layer: str | None = None,
        feature_id: int | None = None,
        *,
        until: str | None = None,
        actions: Iterable[str] | None = None,
        scope: tuple[list[str], Iterable[str] | None] | None = None,
    ) -> pd.DataFrame:
        """Events, oldest first. ``until`` is an exclusive UTC timestamp text. ``scope``
        ``(layers, counties)``: only events of features of those layers, in those counties
        (``None``: any county) — what :mod:`geo.access.scope` asks for a user bound to counties."""
        parts, params = [], []
        if scope is not None:
            layers, counties = scope
            ors = []
            for key in layers:
                lyr = S.layer(key)
                if counties is None:
                    ors.append("layer = ?")
                    params.append(key)
                    continue
                codes = sorted(counties)
                if not codes:
                    continue
                ors.append(f"(layer = ? AND feature_id IN (SELECT id FROM {lyr.table} WHERE county_code IN "
                           f"({', '.join('?' * len(codes))})))")
                params.extend([key, *codes])
            parts.append("(" + " OR ".join(ors) + ")" if ors else "1 = 0")
        if layer is not None:
            parts.append("layer = ?")
            params.append(layer)
        if feature_id is not None:
            parts.append("feature_id = ?")
            params.append(int(feature_id))
        if until is not None:
            parts.append("at < ?")
            params.append(until)
        if actions:
            actions = list(actions)
            parts.append(f"action IN ({', '.join('?' * len(actions))})")
            params.extend(actions)
        where = " WHERE " + " AND ".join(parts) if parts else ""
        with self.transaction(write=False) as tx:
            names, rows = tx.columns(
                f"SELECT id, {', '.join(EVENT_COLS)} FROM events{where} ORDER BY at, id", params
            )
        frame = pd.DataFrame(rows, columns=names, dtype=object)
        frame["id"] = frame["id"].astype("int64")
        frame["feature_id"] = frame["feature_id"].astype("int64")
        return frame

    def history(self, layer: str, fid: int) -> list[dict]:
        """Every event of one feature, oldest first, JSON fields decoded."""
        S.layer(layer)
        self.get_feature(layer, fid)  # NotFound for a wrong id
        frame = self.events(layer, fid)
        out = []
        for rec in frame.to_dict("records"):
            rec["fields"] = json.loads(rec["fields"]) if rec["fields"] else {}
            rec["attachment_ids"] = json.loads(rec["attachment_ids"]) if rec["attachment_ids"] else []
            out.append(rec)
        return out

    # ---------------------------------------------------------------- batches
    def add_batch(self, tx: Tx, **values) -> int:
        """Insert a batch row; its ``purpose`` defaults by its source (:func:`geo.store.purpose.default_purpose`)."""
        values.setdefault("uploaded_at", now_utc())
        if "official" in values:  # official=True/False as a shorthand
            flag = values.pop("official")
            values.setdefault("purpose", "official" if flag else default_purpose(values.get("source"), False))
        values["purpose"] = check_purpose(values.get("purpose") or default_purpose(values.get("source")))
        cols = list(values)
        for key in ("field_mapping",):
            if key in values:
                values[key] = dumps_json(values[key])
        bid = self._reserve_ids(tx, "batches", 1)[0]
        tx.execute(
            f"INSERT INTO batches (id, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))})",
            [bid, *values.values()],
        )
        return bid

    def batches(self, layer: str | None = None) -> pd.DataFrame:
        return self.table("batches", where={"layer": layer} if layer else None, order="id")

    def batch(self, bid: int) -> dict:
        frame = self.table("batches", where={"id": int(bid)})
        if frame.empty:
            raise NotFoundError(f"batch #{bid} does not exist", f"批次 #{bid} 不存在", id=bid)
        return frame.iloc[0].to_dict()

    def table(self, name: str, where: dict | None = None, order: str | None = None) -> pd.DataFrame:
        """Rows of a non-spatial table as a DataFrame (``attachments`` without their bytes)."""
        if name not in TABLES:
            raise ValidationError(f"unknown table '{name}'", f"未知数据表“{name}”")
        parts, params = [], []
        for key, value in (where or {}).items():
            if not key.isidentifier():
                raise ValidationError(f"bad column '{key}'", f"列名无效“{key}”")
            if isinstance(value, (list, tuple, set)):
                value = list(value)
                parts.append(f"{key} IN ({', '.join('?' * len(value)) or 'NULL'})")
                params.extend(value)
            else:
                parts.append(f"{key} = ?")
                params.append(value)
        cols = "*"
        if name == "attachments":
            cols = "sha256, name, mime, size, created_at, created_by"
        sql = f"SELECT {cols} FROM {name}"
        if parts:
            sql += " WHERE " + " AND ".join(parts)
        if order:
            if not all(p.strip().split()[0].isidentifier() for p in order.split(",")):
                raise ValidationError(f"bad order '{order}'", f"排序无效“{order}”")
            sql += f" ORDER BY {order}"
        with self.transaction(write=False) as tx:
            names, rows = tx.columns(sql, params)
        frame = pd.DataFrame(rows, columns=names, dtype=object)
        for col in frame.columns:
            if col in INT_COLUMNS:
                frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
            elif col in REAL_COLUMNS:
                frame[col] = pd.to_numeric(frame[col]).astype("float64")
        return frame


    # ---------------------------------------------------------------- attachments
    def put_attachment(
        self, tx: Tx, name: str, data: bytes, mime: str, actor: str, at: str | None = None
    ) -> str:
        """Store bytes once by content hash; returns the sha256."""
        sha = hashlib.sha256(data).hexdigest()
        exists = tx.query_one("SELECT sha256 FROM attachments WHERE sha256 = ?", [sha])
        if exists is None:
            tx.execute(
                "INSERT INTO attachments (sha256, name, mime, size, created_at, created_by, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [sha, name, mime, len(data), at or now_utc(), actor, data],
            )
        return sha

    def attachment_refs(self, sha: str) -> list[tuple[str, int]]:
        """The ``(layer, feature id)`` of every feature whose history cites file ``sha``."""
        with self.transaction(write=False) as tx:
            rows = tx.query("SELECT DISTINCT layer, feature_id FROM attachment_links WHERE sha256 = ?", [sha])
        return [(r[0], int(r[1])) for r in rows]

    def get_attachment(self, sha: str) -> dict:
        with self.transaction(write=False) as tx:
            row = tx.query_one(
                "SELECT sha256, name, mime, size, created_at, created_by, data FROM attachments "
                "WHERE sha256 = ?",
                [sha],
            )
        if row is None:
            raise NotFoundError(f"attachment {sha} does not exist", f"附件 {sha} 不存在")
        keys = ("sha256", "name", "mime", "size", "created_at", "created_by", "data")
        out = dict(zip(keys, row))
        out["data"] = bytes(out["data"])
        return out

    # ---------------------------------------------------------------- rectification items
    def add_item(self, tx: Tx, actor: str, at: str | None = None, **values) -> int:
        at = at or now_utc()
        values.setdefault("status", "in_progress")
        values.setdefault("progress_mode", "manual")
        values.update(version=1, created_at=at, updated_at=at, updated_by=actor)
        iid = self._reserve_ids(tx, "items", 1)[0]
        cols = list(values)
        tx.execute(
            f"INSERT INTO items (id, {', '.join(cols)}) VALUES (?, {', '.join('?' * len(cols))})",
            [iid, *values.values()],
        )
        # the item's text as created, so its state on any past day can be replayed from history
        initial = {k: v for k, v in values.items() if k not in (
            "status", "version", "created_at", "updated_at", "updated_by") and v is not None}
        self.add_events(
            tx, [("item", iid, at, actor, "create", None, values["status"],
                  dumps_json(initial) if initial else None, None, None, 1)]
        )
        return iid

    def link_item(self, tx: Tx, item_id: int, layer: str, feature_ids: Iterable[int]) -> None:
        S.layer(layer)
        rows = [(int(item_id), layer, int(f)) for f in feature_ids]
        tx.executemany(
            "INSERT INTO item_links (item_id, layer, feature_id) VALUES (?, ?, ?)", rows
        )

    def items(self) -> pd.DataFrame:
        return self.table("items", order="id")

    def item_links(self, item_id: int | None = None) -> pd.DataFrame:
        return self.table("item_links", where={"item_id": item_id} if item_id else None)

    def update_item(
        self,
        tx: Tx,
        item_id: int,
        *,
        expected_version: int | None,
        changes: dict,
        actor: str,
        comment: str | None = None,
        at: str | None = None,
    ) -> int:
        at = at or now_utc()
        allowed = {
            "code", "problem", "category", "measures", "leader", "unit", "deadline", "status",
            "progress_mode", "manual_progress", "note", "link_query",
        }
        bad = set(changes) - allowed
        if bad:
            raise ValidationError(f"items have no fields {sorted(bad)}", f"整改事项没有字段 {sorted(bad)}")
        row = tx.query_one("SELECT status, version FROM items WHERE id = ?", [int(item_id)])
        if row is None:
            raise NotFoundError(f"item #{item_id} does not exist", f"整改事项 #{item_id} 不存在")
        if expected_version is not None and int(expected_version) != int(row[1]):
            last = tx.query_one("SELECT actor, at FROM events WHERE layer = 'item' AND feature_id = ? "
                                "ORDER BY id DESC LIMIT 1", [int(item_id)])
            who, when = (last[0], fmt_local(last[1])) if last else ("?", "?")
            raise ConflictError(
                f"item #{item_id} was changed by {who} at {when} (now version {row[1]}, you had "
                f"{expected_version}); reload and try again",
                f"整改事项 #{item_id} 已被 {who} 于 {when} 修改（当前版本 {row[1]}，您看到的是版本 "
                f"{expected_version}），您的修改未保存，请刷新后重新填写",
                id=int(item_id), expected_version=int(expected_version),
                current_version=int(row[1]), changed_by=who, changed_at=when,
            )
        values = dict(changes, updated_at=at, updated_by=actor)
        sets = ", ".join(f"{k} = ?" for k in values) + ", version = version + 1"
        n = tx.execute(
            f"UPDATE items SET {sets} WHERE id = ? AND version = ?",
            [*values.values(), int(item_id), int(row[1])],
        )
        if n != 1:
            raise ConflictError(
                f"item #{item_id} was changed meanwhile", f"整改事项 #{item_id} 已被他人修改"
            )
        to_status = changes.get("status", row[0])
        changed = {k: v for k, v in changes.items() if k != "status"}
        self.add_events(
            tx,
            [("item", int(item_id), at, actor, "edit", row[0], to_status,
              dumps_json(changed) if changed else None, comment, None, int(row[1]) + 1)],
        )
        return int(row[1]) + 1
