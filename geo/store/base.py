"""The store interface, shared by the GeoPackage and PostGIS backends.

A store is opened from a URL (a ``.gpkg`` path or ``postgresql://…``) and holds no open
connection: every action opens one, runs in one transaction and closes it, so a store object can
be shared by Streamlit sessions on different threads. SQL here is written once with ``?``
placeholders; backends translate what differs (geometry encoding, bbox filter, DDL types).

Writes that belong together (a batch and its features and their import events; a status change
and its event) share one :class:`Tx`: all of it lands or none of it does.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import schema as S
from geo.errors import ConflictError, NotFoundError, ValidationError
from geo.store import cells, facts, visits
from geo.timeutil import fmt_local, now_utc
from geo.types import BBox

SCHEMA_VERSION = 1

# Non-spatial tables. Types are tokens the backend replaces: {pk} {int} {real} {text} {date}
# {ts} {bool} {blob}.
TABLES: dict[str, str] = {
    "meta": "key {text} PRIMARY KEY, value {text}",
    "batches": (
        "id {pk}, name {text} NOT NULL, layer {text} NOT NULL, source {text}, kind {text}, "
        "issued_on {date}, verify_deadline {date}, rectify_deadline {date}, file_name {text}, "
        "file_sha256 {text}, uploaded_by {text}, uploaded_at {ts}, feature_count {int}, "
        "field_mapping {text}, source_crs {text}, source_encoding {text}, note {text}, "
        "purpose {text}"  # official / demo / test / candidate (geo.official): what counts in figures
    ),
    "events": (
        "id {pk}, layer {text} NOT NULL, feature_id {int} NOT NULL, at {ts} NOT NULL, "
        "actor {text} NOT NULL, action {text} NOT NULL, from_status {text}, to_status {text}, "
        "fields {text}, comment {text}, attachment_ids {text}, version {int}"
    ),
    "attachments": (
        "sha256 {text} PRIMARY KEY, name {text} NOT NULL, mime {text} NOT NULL, "
        "size {int} NOT NULL, created_at {ts}, created_by {text}, data {blob} NOT NULL"
    ),
    "items": (
        "id {pk}, code {text}, problem {text} NOT NULL, category {text}, measures {text}, "
        "leader {text}, unit {text}, deadline {date}, status {text} NOT NULL, "
        "progress_mode {text}, manual_progress {real}, note {text}, version {int} NOT NULL, "
        "created_at {ts}, updated_at {ts}, updated_by {text}, link_query {text}"
    ),
    "attachment_links": (
        "id {pk}, sha256 {text} NOT NULL, layer {text} NOT NULL, feature_id {int} NOT NULL"
    ),
    "item_links": (
        "item_id {int} NOT NULL, layer {text} NOT NULL, feature_id {int} NOT NULL, "
        "PRIMARY KEY (item_id, layer, feature_id)"
    ),
    "users": (
        "name {text} PRIMARY KEY, display_name {text}, role {text} NOT NULL, counties {text}, "
        "password_hash {text}, disabled {bool} NOT NULL, created_at {ts}, "
        "password_changed_at {ts}"
    ),
    "change_cells": (
        "z {int} NOT NULL, gx {int} NOT NULL, gy {int} NOT NULL, batch_id {int} NOT NULL, "
        "county_code {text} NOT NULL, status {text} NOT NULL, verdict {text} NOT NULL, n {int} NOT NULL, "
        "PRIMARY KEY (z, gx, gy, batch_id, county_code, status, verdict)"
    ),
    # the earlier state of polygons another tool (QGIS, ogrinfo SQL) moved or re-filed: the store's
    # own writes keep change_cells right as they go; these rows let it catch up (cells.settle)
    "change_cells_moved": (
        "seq {pk}, id {int} NOT NULL, batch_id {int}, county_code {text}, status {text}, verdict {text}, "
        "cx {real}, cy {real}"
    ),
    "change_facts": (
        "batch_id {int} NOT NULL, county_code {text} NOT NULL, county {text} NOT NULL, status {text} NOT NULL, "
        "verdict {text} NOT NULL, deadline {text} NOT NULL, visited {int} NOT NULL, n {int} NOT NULL, "
        "fine_sum {real} NOT NULL, fine_n {int} NOT NULL, ha {real} NOT NULL, mu {real} NOT NULL, "
        "PRIMARY KEY (batch_id, county_code, county, status, verdict, deadline, visited)"
    ),
    "event_hours": (
        "h {text} NOT NULL, layer {text} NOT NULL, to_status {text} NOT NULL, n {int} NOT NULL, "
        "PRIMARY KEY (h, layer, to_status)"
    ),
    "sessions": (
        "token_hash {text} PRIMARY KEY, user_name {text} NOT NULL, created_at {ts}, "
        "expires_at {ts} NOT NULL, last_seen {ts}, ip {text}"
    ),
    "signin_failures": "id {pk}, key {text} NOT NULL, at {ts} NOT NULL",
    # the bulletin's settings, editable sections and the bureau's recorded actions (geo.report.records)
    "report_settings": "key {text} PRIMARY KEY, value {text}, updated_at {ts}, updated_by {text}",
    "report_texts": (
        "section {text} NOT NULL, scope {text} NOT NULL, body {text}, updated_at {ts}, updated_by {text}, "
        "PRIMARY KEY (section, scope)"
    ),
    "report_actions": (
        "id {pk}, on_date {date} NOT NULL, kind {text} NOT NULL, title {text} NOT NULL, doc_no {text}, "
        "county_code {text}, note {text}, created_at {ts}, created_by {text}"
    ),
    "field_profiles": (
        "source {text} NOT NULL, layer {text} NOT NULL, mapping {text}, encoding {text}, "
        "crs {text}, updated_at {ts}, updated_by {text}, PRIMARY KEY (source, layer)"
    ),
    # the imagery register (geo.imagery.scenes): footprint as WKT in EPSG:4490 plus its bounds
    "scenes": (
        "id {pk}, name {text} NOT NULL, path {text} NOT NULL, acquired_on {date} NOT NULL, "
        "sensor {text}, bands {text}, ndvi_band {int}, value_scale {real}, value_offset {real}, "
        "nodata {real}, footprint {text} NOT NULL, minx {real}, miny {real}, maxx {real}, maxy {real}, "
        "crs {text}, width {int}, height {int}, band_count {int}, dtype {text}, res_m {real}, "
        "cog {bool}, synthetic {bool}, file_sha256 {text}, size_bytes {int}, added_by {text}, "
        "added_at {ts}, note {text}"
    ),
}

# tables counted from the others (rebuild_cells): recounted, not migrated, when their layout changes
DERIVED_TABLES = ("change_cells", "change_facts", "event_hours", "change_cells_moved")


def _table_columns(name: str) -> set[str]:
    """The column names a table of :data:`TABLES` is declared with."""
    return set(re.findall(r"(\w+) \{", TABLES[name]))


_TOKEN_TYPES = {"int": S.INT, "real": S.REAL, "text": S.TEXT, "date": S.DATE, "ts": S.DATETIME, "bool": S.BOOL}


def _table_fields(name: str) -> list[S.Field]:
    """The declared columns of a table of :data:`TABLES` that a migration can add (not keys)."""
    out = []
    for col, token, rest in re.findall(r"(\w+) \{(\w+)\}([^,]*)", TABLES[name]):
        if token in _TOKEN_TYPES and "PRIMARY KEY" not in rest and "NOT NULL" not in rest:
            out.append(S.Field(col, _TOKEN_TYPES[token], col, col))
    return out
# a batch stored before batches had a purpose: automatic detection is a candidate, the rest official
BACKFILL_PURPOSE = ("UPDATE batches SET purpose = CASE WHEN source LIKE '自动检测%' THEN 'candidate' "
                    "ELSE 'official' END WHERE purpose IS NULL")


INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_events_feature ON events (layer, feature_id)",
    "CREATE INDEX IF NOT EXISTS ix_batches_sha ON batches (file_sha256)",
    "CREATE INDEX IF NOT EXISTS ix_item_links_feature ON item_links (layer, feature_id)",
    "CREATE INDEX IF NOT EXISTS ix_attachment_links_sha ON attachment_links (sha256)",
    "CREATE INDEX IF NOT EXISTS ix_signin_failures ON signin_failures (key, at)",
    "CREATE INDEX IF NOT EXISTS ix_change_batch ON change_polygons (batch_id)",
    "CREATE INDEX IF NOT EXISTS ix_change_no ON change_polygons (source, polygon_no)",
    "CREATE INDEX IF NOT EXISTS ix_change_hash ON change_polygons (geom_hash)",
    # the closure review's steps (geo.review_figures reads them with this very predicate)
    "CREATE INDEX IF NOT EXISTS ix_events_review ON events (feature_id) WHERE layer = 'change' AND "
    "(to_status IN ('applied', 'returned', 'reviewed') OR from_status IN ('applied', 'reviewed'))",
]

_INT_COLUMNS = {"id", "version", "feature_count", "size", "item_id", "feature_id"}
_REAL_COLUMNS = {"manual_progress"}

EVENT_COLS = (
    "layer",
    "feature_id",
    "at",
    "actor",
    "action",
    "from_status",
    "to_status",
    "fields",
    "comment",
    "attachment_ids",
    "version",
)


def _dumps(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def to_db_value(value, ftype: str):
    """One Python value in the form both backends accept for a field of type ``ftype``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if ftype == S.JSON:
        return _dumps(value)
    if isinstance(value, np.generic):
        value = value.item()
    if ftype == S.INT:
        return int(value)
    if ftype == S.REAL:
        return float(value)
    if ftype == S.BOOL:
        return bool(value)
    if ftype == S.DATE:
        if hasattr(value, "date") and not isinstance(value, str):
            value = value.date() if callable(value.date) else value
        return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]
    if ftype == S.DATETIME:
        from geo.timeutil import to_utc_text

        return to_utc_text(value)
    return str(value)


def column_to_db(series: pd.Series, ftype: str) -> list:
    """A whole column converted for the database, vectorised where pandas allows (a batch of
    100,000 features has over a million values: per-value Python here costs seconds)."""
    mask = series.isna().to_numpy()
    if ftype == S.REAL and pd.api.types.is_numeric_dtype(series.dtype):
        out = series.astype("float64").tolist()
    elif ftype == S.INT and pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        out = series.astype("float64").fillna(0).astype("int64").tolist()
    elif ftype in (S.TEXT, S.DATE, S.JSON) and (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        values = series.astype(object).tolist()
        if series.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            out = values  # a string dtype holds only strings; an object column is checked in C
        else:
            out = [v if (m or isinstance(v, str)) else to_db_value(v, ftype) for v, m in zip(values, mask)]
    elif ftype == S.DATE and pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series.dt.strftime("%Y-%m-%d").tolist()
    else:
        return [to_db_value(v, ftype) for v in series.tolist()]
    if mask.any():
        for i in np.flatnonzero(mask):
            out[i] = None
    return out


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


class Store(ABC):
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
            # columns added to a kept table since the store was made (nullable ones only)
            missing += [(name, f) for name in TABLES if name not in tables_missing and name not in DERIVED_TABLES
                        for f in _table_fields(name) if f.name not in self._columns(tx, name)]
            # a derived table whose columns changed is counted anew, not altered
            stale = [name for name in DERIVED_TABLES
                     if name not in tables_missing and self._columns(tx, name) != _table_columns(name)]
        if not missing and not tables_missing and not stale:
            return []
        added = []
        with self.transaction() as tx:
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
            if "attachment_links" in tables_missing:
                self._link_attachments(tx, tx.query(
                    "SELECT layer, feature_id, attachment_ids FROM events WHERE attachment_ids IS NOT NULL"))
            if set(DERIVED_TABLES) & set(tables_missing + stale) or "change_polygons.visited" in added:
                self.rebuild_cells(tx)
        return added + tables_missing + stale

    # ---------------------------------------------------------------- pre-counted map cells
    def _cell_frame(self, tx: Tx, where_sql: str = "", params=()) -> pd.DataFrame:
        lyr = S.CHANGE
        cx, cy = self._center_selects(lyr)
        names, rows = tx.columns(
            f"SELECT batch_id, county_code, status, verdict, {cx}, {cy} FROM {lyr.table}{where_sql}",
            list(params))
        return pd.DataFrame(rows, columns=["batch_id", "county_code", "status", "verdict", "cx", "cy"], dtype=object)

    def settle_cells(self) -> int:
        """Bring the map cells up to date with edits another tool made to the polygons (recorded by
        the backend's triggers in ``change_cells_moved``); the number of polygons recounted."""
        with self.transaction(write=False) as tx:
            if tx.query_one("SELECT 1 FROM change_cells_moved LIMIT 1") is None:
                return 0
        with self.transaction() as tx:
            return self._settle_cells(tx)

    def _settle_cells(self, tx: Tx) -> int:
        rows = tx.query("SELECT seq, id, batch_id, county_code, status, verdict, cx, cy FROM change_cells_moved "
                        "ORDER BY seq")
        if not rows:
            return 0
        first: dict[int, tuple] = {}
        for row in rows:  # the state before the first edit is what the cells still count
            first.setdefault(int(row[1]), row)
        old = pd.DataFrame([r[2:] for r in first.values() if r[6] is not None and r[7] is not None],
                           columns=["batch_id", "county_code", "status", "verdict", "cx", "cy"], dtype=object)
        cells.apply(tx, old, -1)
        ids = list(first)
        for k in range(0, len(ids), 500):
            part = ids[k:k + 500]
            now = self._cell_frame(tx, f" WHERE id IN ({', '.join('?' * len(part))})", part)
            cells.apply(tx, now.dropna(subset=["cx", "cy"]), +1)
        tx.execute("DELETE FROM change_cells_moved WHERE seq <= ?", [int(rows[-1][0])])
        return len(first)

    def rebuild_cells(self, tx: Tx | None = None) -> None:
        """Recount the pre-aggregated tables — map cells (:mod:`geo.store.cells`), summary facts
        and hourly transitions (:mod:`geo.store.facts`) — from the polygons and events."""
        with self._tx(tx) as t:
            t.execute("DELETE FROM change_cells")
            t.execute("DELETE FROM change_cells_moved")
            cells.apply(t, self._cell_frame(t))
            visits.recompute(self, t)
            facts.rebuild(self, t)

    def _fact_frame(self, tx: Tx, fid: int) -> pd.DataFrame:
        names, rows = tx.columns(
            f"SELECT {', '.join(facts.KEYS)}, {', '.join(facts.VALUES)} FROM change_polygons WHERE id = ?", [int(fid)])
        return pd.DataFrame(rows, columns=names, dtype=object)

    def _backfill_geom_hash(self, tx: Tx) -> None:
        from geo.geometry import geom_hashes

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

    # ---------------------------------------------------------------- reading features
    def count(self, layer: str, where: dict | None = None, bbox: BBox | None = None) -> int:
        lyr = S.layer(layer)
        clause, params = self._where(lyr, where, bbox)
        with self.transaction(write=False) as tx:
            return int(tx.query_one(f"SELECT COUNT(*) FROM {lyr.table}{clause}", params)[0])

    def grid_counts(self, layer: str, bbox: BBox, cell_w: float, cell_h: float,
                    where: dict | None = None, zoom: int | None = None) -> list[tuple[int, int, int]]:
        """How many features (matching ``where``) have their bounding-box centre in each cell of a
        ``cell_w`` × ``cell_h`` degree grid, over ``bbox`` — counted by the database, from the
        spatial index, so no feature leaves it. Returns ``[(gx, gy, n), …]`` with cell
        ``(gx, gy)`` spanning ``[gx·cell_w, (gx+1)·cell_w)`` × ``[gy·cell_h, (gy+1)·cell_h)``."""
        lyr = S.layer(layer)
        if layer == "change" and cells.answerable(where, zoom) and (cell_w, cell_h) == (cells.cell_w(zoom), cells.cell_h(zoom)):
            self.settle_cells()
            with self.transaction(write=False) as tx:
                return cells.query(tx, zoom, bbox, where)
        clause, params = self._where(lyr, where, bbox)
        cx, cy = self._center_selects(lyr)
        sql = (f"SELECT gx, gy, COUNT(*) FROM (SELECT {self._floor('ux')} AS gx, {self._floor('uy')} AS gy "
               f"FROM (SELECT {cx} / ? AS ux, {cy} / ? AS uy FROM {lyr.table}{clause}) AS u) AS cells "
               "GROUP BY gx, gy")
        with self.transaction(write=False) as tx:
            rows = tx.query(sql, [float(cell_w), float(cell_h), *params])
        return [(int(a), int(b), int(n)) for a, b, n in rows]

    @staticmethod
    def _floor(expr: str) -> str:
        return f"floor({expr})"

    def _where(self, lyr: S.Layer, where: dict | None, bbox: BBox | None = None, ids=None):
        parts, params = [], []
        for key, value in (where or {}).items():
            if key != "id":
                lyr.field(key)  # validates the name: no SQL from outside reaches the query
            if isinstance(value, (list, tuple, set, np.ndarray, pd.Index)):
                values = list(value)
                if not values:
                    parts.append("1 = 0")
                    continue
                parts.append(f"{key} IN ({', '.join('?' * len(values))})")
                params.extend(values)
            elif value is None:
                parts.append(f"{key} IS NULL")
            else:
                parts.append(f"{key} = ?")
                params.append(value)
        if ids is not None:
            ids = [int(i) for i in ids]
            if not ids:
                parts.append("1 = 0")
            else:
                parts.append(f"id IN ({', '.join('?' * len(ids))})")
                params.extend(ids)
        if bbox is not None:
            boxes = [bbox] if not isinstance(bbox[0], (list, tuple)) else list(bbox)
            if not boxes:
                parts.append("1 = 0")
            else:
                clauses = []
                for box in boxes:
                    clause, bparams = self._bbox_clause(lyr, box)
                    clauses.append(clause)
                    params.extend(bparams)
                parts.append(clauses[0] if len(clauses) == 1 else "(" + " OR ".join(clauses) + ")")
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def read_layer(
        self,
        layer: str,
        *,
        bbox: BBox | None = None,
        where: dict | None = None,
        ids: Iterable[int] | None = None,
        columns: Iterable[str] | None = None,
        geometry: bool = True,
        limit: int | None = None,
        centers: bool = False,
        tx: Tx | None = None,
    ) -> gpd.GeoDataFrame | pd.DataFrame:
        """Features of one layer as a GeoDataFrame in EPSG:4490, indexed by nothing (``id`` column).

        ``bbox`` uses the spatial index (GeoPackage R-tree / PostGIS GiST); a list of boxes reads
        the features meeting any of them in one query. ``where`` maps field
        names to a value or a list of values. ``columns`` limits the attribute columns read.
        ``tx``: read inside an open transaction (sees its own uncommitted writes).
        """
        lyr = S.layer(layer)
        cols = ["id"] + [c for c in (columns if columns is not None else lyr.names) if c != "id"]
        for c in cols[1:]:
            lyr.field(c)
        clause, params = self._where(lyr, where, bbox, ids)
        extra = list(self._center_selects(lyr)) if centers else []
        select = ", ".join(cols + extra + ([self._geom_select()] if geometry else []))
        sql = f"SELECT {select} FROM {lyr.table}{clause} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._tx(tx, write=False) as t:
            names, rows = t.columns(sql, params)
        if centers:
            k = len(cols)
            xy = [(r[k], r[k + 1]) for r in rows]
            rows = [r[:k] + r[k + 2:] for r in rows]
            frame = self._frame(lyr, cols, rows, geometry)
            frame["cx"] = np.array([p[0] for p in xy], dtype="float64")
            frame["cy"] = np.array([p[1] for p in xy], dtype="float64")
            return frame
        return self._frame(lyr, cols, rows, geometry)

    def _frame(self, lyr: S.Layer, cols: list[str], rows: list, geometry: bool):
        ncol = len(cols)
        if rows:
            data = list(zip(*rows))
            frame = pd.DataFrame({c: pd.Series(data[i], dtype=object) for i, c in enumerate(cols)})
        else:
            data = [()] * (ncol + 1)
            frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        frame = self._normalise_types(lyr, frame)
        if not geometry:
            return frame
        geoms = self._decode_geoms(list(data[ncol]) if rows else [])
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=4490), crs=4490)

    @staticmethod
    def _normalise_types(lyr: S.Layer, frame: pd.DataFrame) -> pd.DataFrame:
        types = {f.name: f.type for f in lyr.fields}
        for col in frame.columns:
            t = "int" if col == "id" else types.get(col)
            if t == S.INT:
                frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
            elif t == S.REAL:
                frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
            elif t == S.BOOL:
                frame[col] = pd.array(
                    [None if v is None else bool(v) for v in frame[col].tolist()], dtype="boolean"
                )
        if "id" in frame.columns and not frame["id"].isna().any():
            frame["id"] = frame["id"].astype("int64")
        return frame

    def get_feature(self, layer: str, fid: int, tx: Tx | None = None) -> dict:
        """One feature as a dict of its fields (JSON fields decoded) plus ``geometry``."""
        lyr = S.layer(layer)
        cols = ["id"] + lyr.names
        sql = f"SELECT {', '.join(cols)}, {self._geom_select()} FROM {lyr.table} WHERE id = ?"
        with self._tx(tx, write=False) as t:
            row = t.query_one(sql, [int(fid)])
        if row is None:
            raise NotFoundError(
                f"{lyr.en} #{fid} does not exist",
                f"{lyr.zh} #{fid} 不存在",
                layer=layer,
                id=int(fid),
            )
        out = dict(zip(cols, row[:-1]))
        for f in lyr.fields:
            if f.type == S.JSON and out.get(f.name):
                out[f.name] = json.loads(out[f.name])
            elif f.type == S.BOOL and out.get(f.name) is not None:
                out[f.name] = bool(out[f.name])
        out["geometry"] = self._decode_geoms([row[-1]])[0]
        return out

    def extent(self, layer: str) -> BBox | None:
        S.layer(layer)  # (an unknown layer is an error)
        frame = self.read_layer(layer, columns=[], geometry=True)
        if frame.empty:
            return None
        return tuple(float(v) for v in frame.total_bounds)

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
            from geo.geometry import geom_hashes

            data["geom_hash"] = geom_hashes(frame.geometry.values)
        b = shapely.bounds(frame.geometry.values)
        if lyr.attributed and "zones" in known and "zones" not in data:
            from geo.attribution import for_features

            zone_id, zones = for_features(self, tx, frame.geometry.values)
            if any(z is not None for z in zones):
                data["zones"] = zones
                if "zone_id" not in data or all(v is None for v in data["zone_id"]):
                    data["zone_id"] = zone_id
        if layer == "change" and "visited" not in data:
            data["visited"] = visits.for_new_polygons(self, tx, b, data.get("batch_id", [None] * n))
        ids = self._reserve_ids(tx, lyr.table, n)
        cols = ["id"] + list(data)
        fields_json = _dumps({"batch_id": batch_id}) if batch_id is not None else None

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
            if raw:
                events = None
            elif record_values:
                kept = [k for k in data if k not in ("status", "version", "created_at", "updated_at", "updated_by")]
                events = [(layer, fid, at, actor, action, None, st,
                           _dumps({k: data[k][i] for k in kept if data[k][i] is not None}) or None, comment, None, 1)
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
        self.add_events(tx, events)
        return ids

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

    def attachment_refs(self, sha: str) -> list[tuple[str, int]]:
        """The ``(layer, feature id)`` of every feature whose history cites file ``sha``."""
        with self.transaction(write=False) as tx:
            rows = tx.query("SELECT DISTINCT layer, feature_id FROM attachment_links WHERE sha256 = ?", [sha])
        return [(r[0], int(r[1])) for r in rows]

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
            raise self._conflict(lyr, fid, expected_version, version, tx)
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
            raise self._conflict(lyr, fid, version, now[0] if now else None, tx)
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
                    _dumps(changed) if changed else None,
                    comment,
                    _dumps(attachments) if attachments else None,
                    version + 1,
                )
            ],
        )
        return version + 1

    def _conflict(self, lyr, fid, expected, actual, tx) -> ConflictError:
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
        (``None``: any county) — what :mod:`geo.scope` asks for a user bound to counties."""
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
        """Insert a batch row; its ``purpose`` defaults by its source (:func:`geo.official.default_purpose`)."""
        from geo import official

        values.setdefault("uploaded_at", now_utc())
        if "official" in values:  # official=True/False as a shorthand
            flag = values.pop("official")
            values.setdefault("purpose", "official" if flag else official.default_purpose(values.get("source"), False))
        values["purpose"] = official.check_purpose(values.get("purpose") or official.default_purpose(values.get("source")))
        cols = list(values)
        for key in ("field_mapping",):
            if key in values:
                values[key] = _dumps(values[key])
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
            if col in _INT_COLUMNS:
                frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
            elif col in _REAL_COLUMNS:
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
                  _dumps(initial) if initial else None, None, None, 1)]
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
            raise ConflictError(
                f"item #{item_id} was changed meanwhile (now version {row[1]}, you had "
                f"{expected_version}); reload and try again",
                f"整改事项 #{item_id} 已被他人修改（当前版本 {row[1]}），请刷新后重试",
                id=int(item_id),
                current_version=int(row[1]),
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
              _dumps(changed) if changed else None, comment, None, int(row[1]) + 1)],
        )
        return int(row[1]) + 1

    # ---------------------------------------------------------------- users
    def put_user(self, tx: Tx, **values) -> None:
        values.setdefault("created_at", now_utc())
        values.setdefault("disabled", False)
        if "counties" in values:
            values["counties"] = _dumps(values["counties"])
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

    def update_user(self, tx: Tx, name: str, **values) -> None:
        if "counties" in values:
            values["counties"] = _dumps(values["counties"])
        sets = ", ".join(f"{k} = ?" for k in values)
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
            [source, layer, _dumps(mapping), encoding, crs, now_utc(), actor],
        )
