"""The GeoPackage backend: one ``.gpkg`` file, written through SQLite transactions.

Why SQLite directly rather than pyogrio for writes: a batch import must be one transaction with
its batch row and its import events, and a status change one transaction with its event.
pyogrio opens its own GDAL connection, so it cannot share a transaction with anything, and its
default (``append=False``) deletes the layer or even the file (PITFALLS §4). Here every write is
``BEGIN IMMEDIATE`` … ``COMMIT`` on a connection opened for that action, in WAL mode, and the
file stays a standard GeoPackage 1.4 (R-tree spatial index and its triggers included) that GDAL,
QGIS and pyogrio read as usual — the tests check that.

The R-tree triggers of the GeoPackage spec call ``ST_IsEmpty``/``ST_MinX``…, which only GDAL
provides; each connection registers them here, computed from the geometry blob's header.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import shapely
from pyproj import CRS

from geo.declare import registry as S
from geo.core.errors import StoreError
from geo.store.base import INDEXES, TABLES, Store, Tx
from geo.core.types import BBox
from geo.store import rtree_bulk
from geo.store.tables import column_sql

_TYPES = {
    "{pk}": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "{int}": "INTEGER",
    "{real}": "REAL",
    "{text}": "TEXT",
    "{date}": "DATE",
    "{ts}": "DATETIME",
    "{bool}": "BOOLEAN",
    "{blob}": "BLOB",
}
_FIELD_TYPES = {
    S.TEXT: "TEXT",
    S.INT: "INTEGER",
    S.REAL: "REAL",
    S.DATE: "DATE",
    S.DATETIME: "DATETIME",
    S.BOOL: "BOOLEAN",
    S.JSON: "TEXT",
}
_ENVELOPE_BYTES = (0, 32, 48, 48, 64, 0, 0, 0)
_HEADER = struct.Struct("<2sBBi4d")  # magic, version, flags, srs_id, minx, maxx, miny, maxy
GEOM = "geom"


# --------------------------------------------------------------------------- geometry blobs
_MULTI_ONE = b"\x01\x06\x00\x00\x00\x01\x00\x00\x00"  # little-endian MultiPolygon of one part


def encode(geoms, srs_id: int = 4490, multi: bool = False) -> list[bytes | None]:
    """Shapely geometries to GeoPackage binary (header with XY envelope + ISO WKB, little endian).
    With ``multi``, polygons are written as one-part multipolygons (the WKB of a multipolygon is
    the polygon's own WKB after a 9-byte header: no geometry is rebuilt)."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return []
    missing = shapely.is_missing(geoms)
    empty = shapely.is_empty(geoms)  # (false for a missing one)
    wkb = shapely.to_wkb(geoms, output_dimension=2, byte_order=1, flavor="iso")
    if multi:
        single = (shapely.get_type_id(geoms) == 3) & ~empty
        if single.any():
            wkb = wkb.copy()
            wkb[single] = [_MULTI_ONE + w for w in wkb[single]]
    b = shapely.bounds(geoms)
    head = np.zeros(
        len(geoms),
        dtype=[("m", "S2"), ("v", "u1"), ("f", "u1"), ("s", "<i4"), ("e", "<f8", (4,))],
    )
    head["m"] = b"GP"
    head["f"] = 0b11  # little endian, XY envelope
    head["s"] = srs_id
    head["e"] = b[:, [0, 2, 1, 3]]
    raw = head.tobytes()
    if not (missing.any() or empty.any()):  # (a batch: every row a header and its WKB)
        return [raw[k:k + 40] + w for k, w in zip(range(0, 40 * len(wkb), 40), wkb)]
    out: list[bytes | None] = []
    for i, w in enumerate(wkb):
        if missing[i]:
            out.append(None)
        elif empty[i]:
            out.append(b"GP\x00\x11" + struct.pack("<i", srs_id) + w)
        else:
            out.append(raw[i * 40 : i * 40 + 40] + w)
    return out


def _header_len(blob) -> int:
    return 8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 7]


def decode(blobs: Iterable) -> np.ndarray:
    """GeoPackage binary to shapely geometries (any envelope type; ``None`` stays missing)."""
    blobs = list(blobs)
    if not blobs:
        return np.array([], dtype=object)
    wkb = [None if b is None else bytes(memoryview(b)[_header_len(b) :]) for b in blobs]
    return shapely.from_wkb(wkb)


def _envelope(blob):
    if blob is None:
        return None
    if (blob[3] >> 1) & 7:
        return struct.unpack_from("<4d", blob, 8)
    geom = shapely.from_wkb(bytes(blob[_header_len(blob) :]))
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return (minx, maxx, miny, maxy)


def _register_functions(con: sqlite3.Connection) -> None:
    def is_empty(blob):
        if blob is None:
            return None
        return 1 if (blob[3] & 0b10000) else 0

    def coord(i):
        def fn(blob):
            env = _envelope(blob)
            return None if env is None else env[i]

        return fn

    con.create_function("ST_IsEmpty", 1, is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        con.create_function(name, 1, coord(i), deterministic=True)


# --------------------------------------------------------------------------- transactions
class _SqliteTx(Tx):
    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def execute(self, sql: str, params: Iterable = ()) -> int:
        return self.con.execute(sql, list(params)).rowcount

    def executemany(self, sql: str, rows: list) -> None:
        self.con.executemany(sql, rows)

    def query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    def columns(self, sql: str, params: Iterable = ()):
        cur = self.con.execute(sql, list(params))
        rows = cur.fetchall()
        return [d[0] for d in cur.description], rows


def _moved(name: str, event: str) -> str:
    """A trigger keeping the state a polygon had before another tool changed where it is or what
    it is filed under (the centre as the R-tree held it, before its own triggers update it)."""
    r = f"rtree_change_polygons_{GEOM}"
    return (f"CREATE TRIGGER IF NOT EXISTS change_cells_moved_{name} BEFORE {event} "
            "ON change_polygons BEGIN INSERT INTO change_cells_moved "
            "(id, batch_id, county_code, status, verdict, cx, cy) VALUES (OLD.id, OLD.batch_id, "
            f"OLD.county_code, OLD.status, OLD.verdict, (SELECT (minx + maxx) / 2 FROM {r} WHERE id = OLD.id), "
            f"(SELECT (miny + maxy) / 2 FROM {r} WHERE id = OLD.id)); END")


_CELLS_MOVED = [_moved("update", f"UPDATE OF {GEOM}, batch_id, county_code, status, verdict"),
                _moved("delete", "DELETE")]


def _rtree_triggers(t: str, c: str = GEOM, i: str = "id") -> list[str]:
    """The R-tree triggers of GeoPackage 1.4 (Annex F.3), the set GDAL creates and its validator
    expects: ``update1`` and ``update3`` of earlier versions are replaced by ``update5``-``update7``
    (an UPDATE of the index row instead of INSERT OR REPLACE, which mishandled upserts)."""
    r = f"rtree_{t}_{c}"
    vals = f"NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})"
    new_full = f"(NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))"
    new_empty = f"(NEW.{c} IS NULL OR ST_IsEmpty(NEW.{c}))"
    return [
        # a non-empty geometry inserted: index it
        f"CREATE TRIGGER {r}_insert AFTER INSERT ON {t} WHEN {new_full} "
        f"BEGIN INSERT OR REPLACE INTO {r} VALUES ({vals}); END",
        # the geometry emptied, same id: drop its box
        f"CREATE TRIGGER {r}_update2 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND "
        f"{new_empty} BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END",
        # the id changed, the geometry empty: drop both ids' boxes
        f"CREATE TRIGGER {r}_update4 AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND "
        f"{new_empty} BEGIN DELETE FROM {r} WHERE id IN (OLD.{i}, NEW.{i}); END",
        # the id changed, the geometry non-empty: move the box to the new id
        f"CREATE TRIGGER {r}_update5 AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND "
        f"{new_full} BEGIN DELETE FROM {r} WHERE id = OLD.{i}; "
        f"INSERT OR REPLACE INTO {r} VALUES ({vals}); END",
        # a non-empty geometry replaced by another: update its box
        f"CREATE TRIGGER {r}_update6 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND "
        f"{new_full} AND (OLD.{c} NOT NULL AND NOT ST_IsEmpty(OLD.{c})) BEGIN UPDATE {r} SET "
        f"minx = ST_MinX(NEW.{c}), maxx = ST_MaxX(NEW.{c}), miny = ST_MinY(NEW.{c}), "
        f"maxy = ST_MaxY(NEW.{c}) WHERE id = NEW.{i}; END",
        # a null or empty geometry given a non-empty one: index it
        f"CREATE TRIGGER {r}_update7 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND "
        f"{new_full} AND (OLD.{c} IS NULL OR ST_IsEmpty(OLD.{c})) BEGIN INSERT INTO {r} "
        f"VALUES ({vals}); END",
        f"CREATE TRIGGER {r}_delete AFTER DELETE ON {t} WHEN old.{c} NOT NULL BEGIN DELETE FROM "
        f"{r} WHERE id = OLD.{i}; END",
    ]


# Tables registered in gpkg_contents as ``attributes``: those a GIS user opening the file gains
# from (history, batches, rectification items), each keyed by an INTEGER PRIMARY KEY as the spec
# asks (Req 119). The others are the application's own bookkeeping — accounts with password
# hashes, sessions, settings, evidence bytes, pre-counted aggregates, link rows — and stay
# unregistered: an Extended GeoPackage may hold tables it does not list (spec §2, "Extended
# GeoPackage"), GDAL and QGIS then do not offer them as layers, and their natural keys (a
# content hash, an account name) stay the keys without a surrogate id.
ATTRIBUTE_TABLES = ("batches", "events", "items")

_APPEND_ONLY = [
    "CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events BEGIN "
    "SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events BEGIN "
    "SELECT RAISE(ABORT, 'events are append-only'); END",
]


class GpkgStore(Store):
    backend = "gpkg"
    _events_by_sql = True  # a batch's import events: INSERT … SELECT from the rows just stored

    def __init__(self, url: str, timeout: float = 30.0):
        super().__init__(url)
        self.path = Path(url)
        self.timeout = timeout

    def _exists(self) -> bool:
        return self.path.exists()

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as ex:
            raise StoreError(
                f"cannot open GeoPackage {self.path}: {ex}",
                f"无法打开数据库文件 {self.path}：{ex}",
            ) from ex
        _register_functions(con)
        try:
            con.execute("PRAGMA synchronous = FULL")
            con.execute("PRAGMA cache_size = -131072")
        except sqlite3.DatabaseError as ex:
            con.close()
            raise self._translate(ex) from ex
        return con

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Tx]:
        if not write and not self.path.exists():
            raise StoreError(
                f"store {self.path} does not exist; build it with `python -m geo demo` or "
                "point FOREST_DB at an existing store",
                f"数据库 {self.path} 不存在：请先运行 `python -m geo demo` 生成示例库，"
                "或将 FOREST_DB 指向已有数据库",
            )
        con = self._connect()
        try:
            try:
                con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.DatabaseError as ex:
                raise self._translate(ex) from ex
            try:
                yield _SqliteTx(con)
            except BaseException:
                if con.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
                    con.execute("ROLLBACK")
                raise
            else:
                try:
                    con.execute("COMMIT")
                except sqlite3.DatabaseError as ex:
                    if con.in_transaction:
                        con.execute("ROLLBACK")
                    raise self._translate(ex) from ex
        except sqlite3.DatabaseError as ex:
            raise self._translate(ex) from ex
        finally:
            con.close()

    def _translate(self, ex: sqlite3.DatabaseError) -> StoreError:
        text = str(ex)
        if "locked" in text or "busy" in text:
            return StoreError(
                f"the store {self.path} is busy (another write is running); nothing was changed, "
                "try again in a moment",
                "数据库正忙（另一项写入正在进行），本次操作未做任何修改，请稍后重试",
            )
        if "full" in text:
            return StoreError(
                f"the disk holding {self.path} is full; nothing was changed",
                "磁盘空间已满，本次操作未做任何修改，请联系管理员清理空间",
            )
        if "not a database" in text or "malformed" in text:
            return StoreError(
                f"{self.path} is not a GeoPackage store ({text})",
                f"{self.path} 不是有效的 GeoPackage 数据库（{text}）",
            )
        if "append-only" in text:
            return StoreError(
                "history events are append-only and cannot be changed or deleted",
                "历史记录只能追加，不能修改或删除",
            )
        return StoreError(f"store error: {text}", f"数据库错误：{text}")

    # ------------------------------------------------------------------ schema
    def init(self) -> "GpkgStore":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect()
        try:
            con.execute("PRAGMA application_id = 1196444487")  # 'GPKG'
            con.execute("PRAGMA user_version = 10400")
            con.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as ex:
            raise self._translate(ex) from ex
        finally:
            con.close()
        return super().init()

    def _create_schema(self, tx: Tx) -> None:
        have = {r[0] for r in tx.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "gpkg_spatial_ref_sys" not in have:
            self._create_gpkg_core(tx)
        for lyr in S.LAYERS.values():
            if lyr.table not in have:
                self._create_feature_table(tx, lyr)
        for name, cols in TABLES.items():
            if name not in have:
                ddl = cols
                for token, sql_type in _TYPES.items():
                    ddl = ddl.replace(token, sql_type)
                tx.execute(f"CREATE TABLE {name} ({ddl})")
                # (a table re-created by a migration is registered anew, or no longer)
                tx.execute("DELETE FROM gpkg_contents WHERE table_name = ?", [name])
                if name in ATTRIBUTE_TABLES:
                    tx.execute(
                        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                        "VALUES (?, 'attributes', ?, ?)",
                        [name, name, f"forest store table {name}"],
                    )
        for sql in INDEXES + _APPEND_ONLY + _CELLS_MOVED:
            tx.execute(sql)

    def migrate(self) -> list[str]:
        """Also bring the GeoPackage's own bookkeeping up to GeoPackage 1.4: each layer's R-tree
        triggers (a store made before had ``update5`` missing and others named differently) and
        which tables are registered (see :data:`ATTRIBUTE_TABLES`)."""
        with self.transaction(write=False) as tx:
            todo = self._gpkg_upgrades(tx)
        if todo:
            with self.transaction() as tx:
                todo = self._gpkg_upgrades(tx, apply=True)
        return todo + super().migrate()

    def _gpkg_upgrades(self, tx: Tx, apply: bool = False) -> list[str]:
        done = []
        tables = {r[0] for r in tx.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "gpkg_contents" not in tables:
            return done
        for lyr in S.LAYERS.values():
            if lyr.table not in tables:
                continue
            want = {sql.split()[2]: sql for sql in _rtree_triggers(lyr.table)}
            have = dict(tx.query(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                "AND name LIKE 'rtree%'", [lyr.table]))
            if have == want:
                continue
            done.append(f"{lyr.table}: GeoPackage 1.4 R-tree triggers")
            if apply:
                for name in have:
                    tx.execute(f"DROP TRIGGER {name}")
                for sql in want.values():
                    tx.execute(sql)
        internal = [n for n in TABLES if n not in ATTRIBUTE_TABLES]
        marks = ", ".join("?" * len(internal))
        listed = [r[0] for r in tx.query(
            f"SELECT table_name FROM gpkg_contents WHERE table_name IN ({marks})", internal)]
        if listed:
            done.append(f"unregistered internal tables {', '.join(listed)}")
            if apply:
                tx.execute(f"DELETE FROM gpkg_contents WHERE table_name IN ({marks})", internal)
                if "gpkg_ogr_contents" in tables:
                    tx.execute(f"DELETE FROM gpkg_ogr_contents WHERE table_name IN ({marks})", internal)
        return done

    def _create_gpkg_core(self, tx: Tx) -> None:
        tx.execute(
            "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY "
            "KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, "
            "definition TEXT NOT NULL, description TEXT)"
        )
        srs = [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, CRS.from_epsg(4326).to_wkt("WKT1_GDAL"), ""),
            ("China Geodetic Coordinate System 2000", 4490, "EPSG", 4490,
             CRS.from_epsg(4490).to_wkt("WKT1_GDAL"), "CGCS2000"),
        ]
        tx.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", srs)
        tx.execute(
            "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT "
            "NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT "
            "NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, "
            "max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY "
            "(srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))"
        )
        tx.execute(
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT "
            "NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, "
            "m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT uk_gc_table_name UNIQUE (table_name), CONSTRAINT fk_gc_tn FOREIGN KEY "
            "(table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY "
            "(srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))"
        )
        tx.execute(
            "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT "
            "NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE "
            "(table_name, column_name, extension_name))"
        )

    def _create_feature_table(self, tx: Tx, lyr: S.Layer) -> None:
        cols = ["id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", f"{GEOM} {lyr.storage_geometry}"]
        for f in lyr.fields:
            decl = column_sql(f, _FIELD_TYPES)
            if f.name in ("status", "version"):
                decl += " NOT NULL"
            cols.append(decl)
        tx.execute(f"CREATE TABLE {lyr.table} ({', '.join(cols)})")
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
            "VALUES (?, 'features', ?, ?, 4490)",
            [lyr.table, lyr.table, f"{lyr.zh} {lyr.en}"],
        )
        tx.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, 4490, 0, 0)",
            [lyr.table, GEOM, lyr.storage_geometry],
        )
        tx.execute(f"CREATE VIRTUAL TABLE rtree_{lyr.table}_{GEOM} USING rtree(id, minx, maxx, miny, maxy)")
        tx.execute(
            "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            [lyr.table, GEOM],
        )
        for sql in _rtree_triggers(lyr.table):
            tx.execute(sql)

    def _columns(self, tx: Tx, table: str) -> set[str]:
        return {r[1] for r in tx.query(f"PRAGMA table_info({table})")}

    def _indexes(self, tx: Tx) -> set[str]:
        return {r[0] for r in tx.query("SELECT name FROM sqlite_master WHERE type = 'index'")}

    def _add_column(self, tx: Tx, table: str, field: S.Field) -> None:
        tx.execute(f"ALTER TABLE {table} ADD COLUMN {column_sql(field, _FIELD_TYPES)}")

    # ------------------------------------------------------------------ geometry I/O
    def _geom_select(self) -> str:
        return GEOM

    def _decode_geoms(self, blobs: list) -> np.ndarray:
        return decode(blobs)

    @staticmethod
    def _floor(expr: str) -> str:
        # SQLite has no floor() before 3.35 built with math functions; CAST truncates toward zero
        return f"(CAST(({expr}) AS INTEGER) - (({expr}) < CAST(({expr}) AS INTEGER)))"

    def _center_selects(self, lyr: S.Layer) -> tuple[str, str]:
        r = f"rtree_{lyr.table}_{GEOM}"
        return (f"(SELECT (minx + maxx) / 2 FROM {r} WHERE {r}.id = {lyr.table}.id)",
                f"(SELECT (miny + maxy) / 2 FROM {r} WHERE {r}.id = {lyr.table}.id)")

    def _bbox_clause(self, lyr: S.Layer, bbox: BBox) -> tuple[str, list]:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
        return (
            f"id IN (SELECT id FROM rtree_{lyr.table}_{GEOM} WHERE minx <= ? AND maxx >= ? "
            "AND miny <= ? AND maxy >= ?)",
            [maxx, minx, maxy, miny],
        )

    def _reserve_ids(self, tx: Tx, table: str, n: int) -> list[int]:
        top = tx.query_one(f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0]
        seq = tx.query_one("SELECT seq FROM sqlite_sequence WHERE name = ?", [table])
        start = max(int(top), int(seq[0]) if seq else 0) + 1
        return list(range(start, start + n))

    @contextmanager
    def bulk_load(self, tx: Tx, layer: str):
        """Inserts into ``layer`` within this block leave the R-tree to its end, where the boxes
        of all of them go in at once (packed anew when that pays): a batch stored in chunks gets
        the index a single insert would have given it."""
        lyr = S.layer(layer)
        if getattr(tx, "rtree_pending", {}).get(lyr.table) is not None:
            yield  # (already deferred by an enclosing block)
            return
        pending = tx.__dict__.setdefault("rtree_pending", {})
        pending[lyr.table] = []
        try:
            yield
            parts = pending[lyr.table]
        finally:
            del pending[lyr.table]
        if parts:
            ids = np.concatenate([p[0] for p in parts])
            bounds = np.concatenate([p[1] for p in parts])
            self._rtree_add(tx, lyr, ids, bounds)
            tx.execute([s for s in _rtree_triggers(lyr.table) if f"_{GEOM}_insert " in s][0])
            self._after_layer_write(tx, lyr, added=bounds)

    def _insert_rows(self, tx: Tx, lyr: S.Layer, cols: list[str], values: list[list], geoms) -> None:
        geoms, blobs = _blobs(lyr, geoms)
        names = ", ".join([*cols, GEOM])
        marks = ", ".join("?" * (len(cols) + 1))
        sql = f"INSERT INTO {lyr.table} ({names}) VALUES ({marks})"
        ids = values[0]
        pending = getattr(tx, "rtree_pending", {}).get(lyr.table)
        if len(ids) < 500 and pending is None:
            tx.executemany(sql, list(zip(*values, blobs)))
            return
        # Bulk path: the R-tree rows are written in one statement from the blobs' envelopes
        # instead of five Python calls per feature from the insert trigger. DDL is transactional
        # in SQLite, so dropping and re-creating the trigger is part of this same transaction.
        trig = f"rtree_{lyr.table}_{GEOM}_insert"
        tx.execute(f"DROP TRIGGER IF EXISTS {trig}")
        tx.executemany(sql, zip(*values, blobs))
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        bounds = shapely.bounds(geoms[ok])
        ids = np.asarray(ids)[ok]
        if pending is not None:  # (bulk_load: the boxes go in at the end of the block)
            pending.append((ids, bounds))
            return
        self._rtree_add(tx, lyr, ids, bounds)
        create = [s for s in _rtree_triggers(lyr.table) if f"{trig} " in s][0]
        tx.execute(create)

    def _rtree_add(self, tx: Tx, lyr: S.Layer, ids: np.ndarray, bounds: np.ndarray) -> None:
        rtree = f"rtree_{lyr.table}_{GEOM}"
        if rtree_bulk.worth_it(tx, rtree, len(ids)):
            rtree_bulk.rebuild(tx, rtree, ids, bounds)  # the index packed anew, stored boxes included
        else:
            self._rtree_insert(tx, lyr, ids, bounds)

    def _rtree_insert(self, tx: Tx, lyr: S.Layer, ids: np.ndarray, bounds: np.ndarray) -> None:
        # in space-filling-curve order: neighbours land in the same R-tree nodes
        order = np.argsort(rtree_bulk.hilbert_keys(bounds), kind="stable")
        bounds, ids = bounds[order], ids[order]
        tx.executemany(
            f"INSERT INTO rtree_{lyr.table}_{GEOM} VALUES (?, ?, ?, ?, ?)",
            zip(ids.tolist(), bounds[:, 0].tolist(), bounds[:, 2].tolist(),
                bounds[:, 1].tolist(), bounds[:, 3].tolist()),
        )

    def _update_geometry(self, tx: Tx, lyr: S.Layer, fid: int, geom) -> None:
        blob = _blobs(lyr, [geom])[1][0]
        tx.execute(f"UPDATE {lyr.table} SET {GEOM} = ? WHERE id = ?", [blob, int(fid)])

    def _after_layer_write(self, tx: Tx, lyr: S.Layer, added=None) -> None:
        r = f"rtree_{lyr.table}_{GEOM}"
        if added is not None and len(added) and np.isfinite(added).any():
            # inserts only grow the extent: widen it by the new boxes (no scan of the index)
            lo = np.nanmin(added, axis=0)
            hi = np.nanmax(added, axis=0)
            tx.execute(
                f"UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
                f"min_x = CASE WHEN min_x IS NULL THEN (SELECT MIN(minx) FROM {r}) ELSE MIN(min_x, ?) END, "
                f"min_y = CASE WHEN min_y IS NULL THEN (SELECT MIN(miny) FROM {r}) ELSE MIN(min_y, ?) END, "
                f"max_x = CASE WHEN max_x IS NULL THEN (SELECT MAX(maxx) FROM {r}) ELSE MAX(max_x, ?) END, "
                f"max_y = CASE WHEN max_y IS NULL THEN (SELECT MAX(maxy) FROM {r}) ELSE MAX(max_y, ?) END "
                "WHERE table_name = ?",
                [float(lo[0]), float(lo[1]), float(hi[2]), float(hi[3]), lyr.table],
            )
            return
        tx.execute(
            f"UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
            f"min_x = (SELECT MIN(minx) FROM {r}), max_x = (SELECT MAX(maxx) FROM {r}), "
            f"min_y = (SELECT MIN(miny) FROM {r}), max_y = (SELECT MAX(maxy) FROM {r}) "
            "WHERE table_name = ?",
            [lyr.table],
        )

    # ------------------------------------------------------------------ maintenance
    def backup(self, out: str | os.PathLike) -> None:
        """A consistent copy of the live store (SQLite online backup: WAL content included)."""
        out = Path(out)
        tmp = out.with_suffix(out.suffix + ".part")
        src = self._connect()
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(tmp, out)


def _blobs(lyr: S.Layer, geoms) -> tuple[np.ndarray, list]:
    """The geometries (2D) and their GeoPackage blobs in the layer's declared type (polygons
    written as one-part multipolygons by their WKB header)."""
    geoms = prepare_geoms(lyr, geoms, promote=False)
    return geoms, encode(geoms, multi=lyr.geometry == "MULTIPOLYGON")


def prepare_geoms(lyr: S.Layer, geoms, promote: bool = True) -> np.ndarray:
    """Geometries in the layer's declared type: polygons promoted to multipolygons (unless
    ``promote`` is false: the caller writes them as multis itself), 2D only."""
    geoms = np.asarray(geoms, dtype=object)
    if shapely.has_z(geoms).any():  # (false for a missing one)
        geoms = shapely.force_2d(geoms)
    if lyr.geometry == "MULTIPOLYGON" and promote:
        types = shapely.get_type_id(geoms)
        single = types == 3
        if single.any():
            geoms = geoms.copy()
            geoms[single] = shapely.multipolygons(geoms[single], indices=np.arange(single.sum()))
    return geoms
