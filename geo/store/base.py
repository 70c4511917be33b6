"""The store interface, shared by the GeoPackage and PostGIS backends.

A store is opened from a URL (a ``.gpkg`` path or ``postgresql://…``) and holds no open
connection: every action opens one, runs in one transaction and closes it, so a store object can
be shared by Streamlit sessions on different threads. SQL here is written once with ``?``
placeholders; backends translate what differs (geometry encoding, bbox filter, DDL types).

Writes that belong together (a batch and its features and their import events; a status change
and its event) share one :class:`Tx`: all of it lands or none of it does.
"""

import json
import secrets
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.declare import registry as S
from geo.core.errors import ConflictError, NotFoundError, ValidationError
from geo.store import cells, facts, visits
from geo.store.accounts import AccountsMixin
from geo.store.precount import PrecountMixin
from geo.store.reading import ReadMixin
from geo.store.records import RecordsMixin
# the DDL and value conversion live in their own modules; re-exported here for existing imports
from geo.store.tables import (  # noqa: F401
    INT_COLUMNS, REAL_COLUMNS, TOKEN_TYPES, BACKFILL_PURPOSE, DERIVED_TABLES, EVENT_COLS, INDEXES,
    RETIRED_INDEXES, TABLES, TOKEN_BYTES, TOKEN_FIELDS,
    table_columns, table_fields,
)
from geo.store.values import dumps_json, column_to_db, to_db_value  # noqa: F401
from geo.core.timeutil import fmt_local, now_utc
from geo.core.types import BBox
from geo.core.geometry import geom_hashes
from geo.store.attribution import for_features

SCHEMA_VERSION = 1


class Tx(ABC):
    """One open transaction. ``sql`` uses ``?`` placeholders in every backend."""

    @abstractmethod
    def execute(self, sql: str, params: Iterable = ()) -> int:
        """Run a statement; return the affected row count."""

    @abstractmethod
    def executemany(self, sql: str, rows: list) -> None: ...

    @abstractmethod
    def query(self, sql: str, params: Iterable = ()) -> list[tuple]: ...

    def query_one(self, sql: str, params: Iterable = ()):
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @abstractmethod
    def columns(self, sql: str, params: Iterable = ()) -> tuple[list[str], list[tuple]]:
        """Run a query; return its column names and rows."""


class Store(ReadMixin, PrecountMixin, RecordsMixin, AccountsMixin, ABC):
    """A forest store. Subclasses: :class:`geo.store.gpkg.GpkgStore`, ``postgis.PostgisStore``."""

    backend: str = "?"

    def __init__(self, url: str):
        self.url = url

    # ---------------------------------------------------------------- backend hooks
    @abstractmethod
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        """Context manager: one connection, one transaction (committed on success)."""

    @abstractmethod
    def _create_schema(self, tx: Tx) -> None: ...

    @abstractmethod
    def _exists(self) -> bool: ...

    @abstractmethod
    def _geom_select(self) -> str:
        """SQL expression selecting the geometry column as bytes the backend can decode."""

    @abstractmethod
    def _decode_geoms(self, blobs: list) -> np.ndarray: ...

    @abstractmethod
    def _center_selects(self, layer: S.Layer) -> tuple[str, str]:
        """SQL expressions for the centre (x, y) of each feature's bounding box."""

    @abstractmethod
    def _bbox_clause(self, layer: S.Layer, bbox: BBox) -> tuple[str, list]: ...

    @abstractmethod
    def _insert_rows(self, tx: Tx, layer: S.Layer, cols: list[str], values: list[list], geoms) -> None:
        """Insert rows given column-wise (``values[k]`` holds column ``cols[k]`` of every row;
        the geometry added by the backend)."""

    @abstractmethod
    def _reserve_ids(self, tx: Tx, table: str, n: int) -> list[int]: ...

    @abstractmethod
    def _update_geometry(self, tx: Tx, layer: S.Layer, fid: int, geom) -> None: ...

    def _after_layer_write(self, tx: Tx, layer: S.Layer, added=None) -> None:
        """Hook for bookkeeping after features were written (GeoPackage extents). ``added``: the
        bounds of features only inserted (the extent can only grow), else None (recompute)."""

    @contextmanager
    def bulk_load(self, tx: Tx, layer: str):
        """Several :meth:`insert_features` calls into ``layer`` in ``tx`` (a batch stored chunk by
        chunk): a backend may defer index work to the end (the GeoPackage packs its R-tree once)."""
        yield

    # ---------------------------------------------------------------- lifecycle
    def init(self) -> "Store":
        """Create the schema if the store is new; migrate it if it is old. Idempotent."""
        with self.transaction() as tx:
            self._create_schema(tx)
            row = tx.query_one("SELECT value FROM meta WHERE key = ?", ["schema_version"])
            if row is None:
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    ["schema_version", str(SCHEMA_VERSION)],
                )
                tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ["created_at", now_utc()])
        return self

    def exists(self) -> bool:
        return self._exists()

    @abstractmethod
    def _columns(self, tx: Tx, table: str) -> set[str]:
        """The column names of ``table`` as it is in the database (empty if it does not exist)."""

    @abstractmethod
    def _add_column(self, tx: Tx, table: str, field: S.Field) -> None: ...

    @abstractmethod
    def _indexes(self, tx: Tx) -> set[str]:
        """The names of the store's (non-spatial) indexes as they are in the database."""

    def migrate(self) -> list[str]:
        """Bring an existing store up to the current schema by adding what is missing (tables,
        columns, indexes). Nothing recorded is dropped or rewritten; only the pre-counted
        tables (:data:`DERIVED_TABLES`) are recounted, and re-created when their layout changed.
        Returns what was added."""
        with self.transaction(write=False) as tx:
            missing = [
                (lyr, f) for lyr in S.LAYERS.values() for f in lyr.fields
                if f.name not in (cols := self._columns(tx, lyr.table)) and cols
            ]
            tables_missing = [name for name in TABLES if not self._columns(tx, name)]
            # a register declared since the store was made (its table is created below)
            tables_missing += [lyr.table for lyr in S.LAYERS.values() if not self._columns(tx, lyr.table)]
            # columns added to a kept table since the store was made (nullable ones only)
            missing += [(name, f) for name in TABLES if name not in tables_missing and name not in DERIVED_TABLES
                        for f in table_fields(name) if f.name not in self._columns(tx, name)]
            # a derived table whose columns changed is counted anew, not altered
            stale = [name for name in DERIVED_TABLES
                     if name not in tables_missing and self._columns(tx, name) != table_columns(name)]
            retired = sorted(set(RETIRED_INDEXES) & self._indexes(tx))
            # records without their random token (stored before the field existed, or by another tool)
            untokened = [(layer, col) for layer, col in TOKEN_FIELDS if self._columns(tx, S.layer(layer).table)
                         and (col not in self._columns(tx, S.layer(layer).table) or tx.query_one(
                             f"SELECT 1 FROM {S.layer(layer).table} WHERE {col} IS NULL LIMIT 1"))]
        if not missing and not tables_missing and not stale and not retired and not untokened:
            return []
        added = []
        with self.transaction() as tx:
            for name in retired:  # (an index, not data: what it indexed stays)
                tx.execute(f"DROP INDEX IF EXISTS {name}")
            for name in stale:
                tx.execute(f"DROP TABLE {name}")
            for lyr, f in missing:  # columns first: the indexes below may need them
                table = lyr if isinstance(lyr, str) else lyr.table
                if f.name not in self._columns(tx, table):
                    self._add_column(tx, table, f)
                    added.append(f"{table}.{f.name}")
            if "batches.purpose" in added:
                tx.execute(BACKFILL_PURPOSE)
            self._create_schema(tx)
            if "change_polygons.geom_hash" in added:
                self._backfill_geom_hash(tx)
            for layer, col in untokened:
                if self._fill_tokens(tx, layer, col):
                    added.append(f"{S.layer(layer).table}.{col} (filled)")
            if "attachment_links" in tables_missing:
                self._link_attachments(tx, tx.query(
                    "SELECT layer, feature_id, attachment_ids FROM events WHERE attachment_ids IS NOT NULL"))
            if set(DERIVED_TABLES) & set(tables_missing + stale) or "change_polygons.visited" in added:
                self.rebuild_cells(tx)
        return added + tables_missing + stale + [f"-{name}" for name in retired]

    def _fill_tokens(self, tx: Tx, layer: str, col: str) -> int:
        """A random token for each record of ``layer`` without one (:data:`TOKEN_FIELDS`); the
        first day this happened is kept in meta ``tokens_since:<layer>``. Returns how many."""
        table = S.layer(layer).table
        ids = [r[0] for r in tx.query(f"SELECT id FROM {table} WHERE {col} IS NULL")]
        tx.executemany(f"UPDATE {table} SET {col} = ? WHERE id = ?",
                       [(secrets.token_urlsafe(TOKEN_BYTES), i) for i in ids])
        if ids and tx.query_one("SELECT value FROM meta WHERE key = ?", [f"tokens_since:{layer}"]) is None:
            tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [f"tokens_since:{layer}", now_utc()])
        return len(ids)

    def _backfill_geom_hash(self, tx: Tx) -> None:

        rows = tx.query(f"SELECT id, {self._geom_select()} FROM change_polygons")
        if rows:
            hashes = geom_hashes(self._decode_geoms([r[1] for r in rows]))
            tx.executemany("UPDATE change_polygons SET geom_hash = ? WHERE id = ?",
                           [(h, r[0]) for h, r in zip(hashes, rows)])

    def meta(self, key: str) -> str | None:
        with self.transaction(write=False) as tx:
            row = tx.query_one("SELECT value FROM meta WHERE key = ?", [key])
        return row[0] if row else None

    def set_meta(self, key: str, value: str, tx: Tx | None = None) -> None:
        with self._tx(tx) as t:
            t.execute("DELETE FROM meta WHERE key = ?", [key])
            t.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [key, value])

    @contextmanager
    def _tx(self, tx: Tx | None, write: bool = True):
        if tx is not None:
            yield tx
        else:
            with self.transaction(write=write) as t:
                yield t

    # ---------------------------------------------------------------- writing features
    def insert_features(
        self,
        tx: Tx,
        layer: str,
        frame: gpd.GeoDataFrame,
        *,
        actor: str,
        at: str | None = None,
        comment: str | None = None,
        action: str = "import",
        batch_id: int | None = None,
        raw: bool = False,
        record_values: bool = False,
    ) -> list[int]:
        """Insert features (EPSG:4490) and one ``import`` event per feature, in ``tx``.

        Columns of ``frame`` that are layer fields are stored; any other column is an error (the
        caller maps or moves unknown columns into ``extra`` first). ``status`` defaults to the
        layer's initial status and ``version`` to 1.

        With ``raw=True`` the frame's own ``status``/``version``/``created_at`` are kept and no
        events are written: the caller writes the features' whole history itself (demo builder,
        restore). With ``record_values`` each feature's event carries the values it was created
        with, so its state on any earlier day replays exactly after later edits.
        """
        lyr = S.layer(layer)
        at = at or now_utc()
        n = len(frame)
        if n == 0:
            return []
        if frame.crs is not None and frame.crs.to_epsg() != 4490:
            raise ValidationError(
                f"features must be in EPSG:4490, got {frame.crs}",
                f"要素坐标系应为 EPSG:4490（CGCS2000），实际为 {frame.crs}",
            )
        known = set(lyr.names)
        attrs = [c for c in frame.columns if c not in (frame.geometry.name, "id")]
        unknown = [c for c in attrs if c not in known]
        if unknown:
            raise ValidationError(
                f"layer '{layer}' has no fields {unknown}",
                f"图层“{lyr.zh}”没有字段 {unknown}",
            )
        types = {f.name: f.type for f in lyr.fields}
        data: dict[str, list] = {}
        for c in attrs:
            if frame[c].isna().all():
                continue
            data[c] = column_to_db(frame[c], types[c])
        status = data.get("status") or [lyr.initial_status] * n
        data["status"] = [s or lyr.initial_status for s in status]
        if not (raw and "version" in data):
            data["version"] = [1] * n
        data.setdefault("created_at", [at] * n)
        data["updated_at"] = [at] * n
        data["updated_by"] = [actor] * n
        if batch_id is not None and "batch_id" in known:
            data["batch_id"] = [int(batch_id)] * n
        if "geom_hash" in known and "geom_hash" not in data:

            data["geom_hash"] = geom_hashes(frame.geometry.values)
        b = shapely.bounds(frame.geometry.values)
        if lyr.attributed and "zones" in known and "zones" not in data:

            zone_id, zones = for_features(self, tx, frame.geometry.values)
            if any(z is not None for z in zones):
                data["zones"] = zones
                if "zone_id" not in data or all(v is None for v in data["zone_id"]):
                    data["zone_id"] = zone_id
        if layer == "change" and "visited" not in data:
            data["visited"] = visits.for_new_polygons(self, tx, b, data.get("batch_id", [None] * n))
        ids = self._reserve_ids(tx, lyr.table, n)
        cols = ["id"] + list(data)
        # a batch's import events (one per feature, all alike but for the id and status) written
        # by the database from the rows just stored, where the backend can (no Python per row)
        by_sql = not raw and not record_values and n >= 5000 and self._events_by_sql
        fields_json = dumps_json({"batch_id": batch_id}) if batch_id is not None else None

        def derived():
            """The aggregate rows and the import events of these features (pure Python/pandas)."""
            agg = None
            if layer == "change":
                agg = (facts.fact_rows(pd.DataFrame({k: data.get(k, [None] * n) for k in (*facts.KEYS, *facts.VALUES)})),
                       cells.rows(pd.DataFrame({
                           "batch_id": data.get("batch_id", [None] * n),
                           "county_code": data.get("county_code", [None] * n),
                           "status": data["status"], "verdict": data.get("verdict", [None] * n),
                           "cx": (b[:, 0] + b[:, 2]) / 2, "cy": (b[:, 1] + b[:, 3]) / 2})))
            if raw or by_sql:
                events = None
            elif record_values:
                kept = [k for k in data if k not in ("status", "version", "created_at", "updated_at", "updated_by")]
                events = [(layer, fid, at, actor, action, None, st,
                           dumps_json({k: data[k][i] for k in kept if data[k][i] is not None}) or None, comment, None, 1)
                          for i, (fid, st) in enumerate(zip(ids, data["status"]))]
            else:
                events = [(layer, fid, at, actor, action, None, st, fields_json, comment, None, 1)
                          for fid, st in zip(ids, data["status"])]
            return agg, events

        later = None
        if n >= 5000:  # computed while the database writes the rows (sqlite and COPY release the GIL)
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insert-derived")
            later = pool.submit(derived)
            pool.shutdown(wait=False)
        self._insert_rows(tx, lyr, cols, [ids, *data.values()], frame.geometry.values)
        self._after_layer_write(tx, lyr, added=b)
        if layer == "patrol":
            visits.after_new_tracks(self, tx, frame.geometry.values, data.get("started_at", [None] * n))
        agg, events = later.result() if later is not None else derived()
        if agg is not None:
            if agg[0]:
                tx.executemany(facts.UPSERT_FACTS, agg[0])
            if agg[1]:
                tx.executemany(cells.UPSERT, agg[1])
        if raw:
            return ids
        if by_sql:
            self._import_events(tx, layer, lyr, ids, at, actor, action, fields_json, comment)
        else:
            self.add_events(tx, events)
        return ids

    _events_by_sql = False  # (a backend that implements _import_events says so)

    def _import_events(self, tx: Tx, layer: str, lyr: S.Layer, ids: list[int], at: str, actor: str,
                       action: str, fields_json: str | None, comment: str | None) -> None:
        """One event per feature of ``ids`` (a contiguous range just inserted into ``lyr``), from
        the stored rows: the same events :meth:`add_events` would write."""
        tx.execute(
            f"INSERT INTO events ({', '.join(EVENT_COLS)}) "
            f"SELECT ?, id, ?, ?, ?, NULL, status, ?, ?, NULL, 1 FROM {lyr.table} "
            "WHERE id BETWEEN ? AND ? ORDER BY id",
            [layer, at, actor, action, fields_json, comment, int(ids[0]), int(ids[-1])])

    def add_events(self, tx: Tx, rows: list[tuple]) -> None:
        self._bulk_insert(tx, "events", EVENT_COLS, rows)
        facts.apply_hours(tx, rows)
        cited = [(r[0], r[1], r[9]) for r in rows if r[9]]
        if cited:
            self._link_attachments(tx, cited)

    def _link_attachments(self, tx: Tx, rows) -> None:
        """Which feature cites which evidence file (``attachment_links``), so that whether a user
        may open a file is one indexed lookup, not a scan of the history."""
        links = set()
        for layer, fid, shas in rows:
            for sha in (json.loads(shas) if isinstance(shas, str) else shas or []):
                links.add((sha, layer, int(fid)))
        if links:
            tx.executemany("INSERT INTO attachment_links (sha256, layer, feature_id) VALUES (?, ?, ?)",
                           sorted(links))

    def batch_ids_in(self, counties: list[str]) -> set[int]:
        """Ids of the batches with at least one change polygon in ``counties`` (from the kept facts)."""
        if not counties:
            return set()
        with self.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT DISTINCT batch_id FROM change_facts WHERE n > 0 AND county_code IN "
                f"({', '.join('?' * len(counties))})", list(counties))
        return {int(r[0]) for r in rows}

    def _bulk_insert(self, tx: Tx, table: str, cols, rows: list[tuple]) -> None:
        """Insert many plain rows (backends may use a faster path such as COPY)."""
        tx.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows
        )

    def update_feature(
        self,
        tx: Tx,
        layer: str,
        fid: int,
        *,
        expected_version: int | None,
        changes: dict[str, Any],
        actor: str,
        action: str,
        comment: str | None = None,
        attachments: list[str] | None = None,
        at: str | None = None,
        geometry=None,
    ) -> int:
        """Change fields of one feature if its version is still ``expected_version``.

        Appends an event with the old and new status and the changed fields, in ``tx``.
        Returns the new version. Raises :class:`ConflictError` if someone else changed the
        feature meanwhile, :class:`NotFoundError` if it does not exist.
        """
        lyr = S.layer(layer)
        at = at or now_utc()
        types = {f.name: f.type for f in lyr.fields}
        for key in changes:
            if key in ("id", "version", "created_at"):
                raise ValidationError(f"field '{key}' cannot be changed", f"字段“{key}”不可修改")
            lyr.field(key)
        current = tx.query_one(f"SELECT status, version FROM {lyr.table} WHERE id = ?", [int(fid)])
        if current is None:
            raise NotFoundError(
                f"{lyr.en} #{fid} does not exist", f"{lyr.zh} #{fid} 不存在", layer=layer, id=fid
            )
        from_status, version = current[0], int(current[1])
        if expected_version is not None and int(expected_version) != version:
            raise self.conflict(lyr, fid, expected_version, version, tx)
        values = {k: to_db_value(v, types[k]) for k, v in changes.items()}
        moves_cell = layer == "change" and (geometry is not None or set(changes) & set(cells.DIMS))
        if moves_cell:
            self._settle_cells(tx)  # another tool's edits first: the rows this write adds are its own
            old_cell = self._cell_frame(tx, " WHERE id = ?", [int(fid)])
        moves_fact = layer == "change" and bool(set(changes) & facts.WATCHED)
        if moves_fact:
            old_fact = self._fact_frame(tx, fid)
        values.update({"updated_at": at, "updated_by": actor})
        sets = ", ".join(f"{k} = ?" for k in values) + ", version = version + 1"
        count = tx.execute(
            f"UPDATE {lyr.table} SET {sets} WHERE id = ? AND version = ?",
            [*values.values(), int(fid), version],
        )
        if count != 1:  # lost a race between the read above and this write
            now = tx.query_one(f"SELECT version FROM {lyr.table} WHERE id = ?", [int(fid)])
            raise self.conflict(lyr, fid, version, now[0] if now else None, tx)
        if geometry is not None:
            self._update_geometry(tx, lyr, fid, geometry)
            self._after_layer_write(tx, lyr)
        if moves_cell:
            cells.apply(tx, old_cell, -1)
            cells.apply(tx, self._cell_frame(tx, " WHERE id = ?", [int(fid)]), +1)
            tx.execute("DELETE FROM change_cells_moved WHERE id = ?", [int(fid)])  # counted just now
        if moves_fact:
            facts.apply_facts(tx, old_fact, -1)
            facts.apply_facts(tx, self._fact_frame(tx, fid), +1)
        to_status = values.get("status", from_status)
        changed = {k: v for k, v in changes.items() if k != "status"}
        self.add_events(
            tx,
            [
                (
                    layer,
                    int(fid),
                    at,
                    actor,
                    action,
                    from_status,
                    to_status,
                    dumps_json(changed) if changed else None,
                    comment,
                    dumps_json(attachments) if attachments else None,
                    version + 1,
                )
            ],
        )
        return version + 1

    def conflict(self, lyr, fid, expected, actual, tx) -> ConflictError:
        last = tx.query_one(
            "SELECT actor, at, to_status FROM events WHERE layer = ? AND feature_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [lyr.key, int(fid)],
        )
        who, when, status = last if last else ("?", "?", "?")
        when = fmt_local(when) if when != "?" else when
        return ConflictError(
            f"{lyr.en} #{fid} was changed by {who} at {when} (now version {actual}, status "
            f"{status}); you had version {expected}. Reload it and apply your change again.",
            f"{lyr.zh} #{fid} 已被 {who} 于 {when} 修改（当前版本 {actual}，状态"
            f"“{S.label('status', status)}”），您看到的是版本 {expected}。请刷新后重新操作。",
            layer=lyr.key,
            id=int(fid),
            expected_version=expected,
            current_version=actual,
            changed_by=who,
            changed_at=when,
        )
