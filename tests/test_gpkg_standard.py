"""The GeoPackage store is a standard GeoPackage 1.4 that other tools may write.

GDAL's own validator (``validate_gpkg.py -k --extra``) finds no failure after any write path of
the application — demo build, upload, transition, backup and restore, migration of a store made
before — and a polygon whose geometry another tool changes through GDAL (as QGIS does) is found
where it now is by the map's viewport query, because the R-tree triggers keep the index in step.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import shapely
from shapely.geometry import box

from geo.engine import backup as B
from geo.engine import workflow as W
from geo.ingest import commit, prepare
from geo.change.mapview import Filters, viewport
from geo.store import open_store
from geo.store.gpkg import ATTRIBUTE_TABLES, encode
from geo.store.base import TABLES
from tests.gpkg_validator import failures
from tests.helpers import add_batch, insert, polygons
from tests.test_ingest import opts, tb, zipped

DEBIAN_PYTHON = "/usr/bin/python3"


def test_every_write_path_leaves_a_valid_geopackage(demo_path, tmp_path):
    assert failures(demo_path) == []  # the demo build
    store = open_store(str(demo_path))

    # upload: a zipped GBK shapefile of 600 polygons (the bulk insert path) through prepare/commit
    report = prepare(zipped(tb(600, step=0.006)), opts(verify_deadline="2024-06-30",
                                                       rectify_deadline="2024-12-31"), store)
    # (the test grid runs past the league's edge: storing its outside part is confirmed, as staff would)
    bid = commit(report, store, actor="staff", accept_outside=report.outside)
    assert store.count("change", {"batch_id": bid}) == 600
    assert failures(demo_path) == []

    # a transition, with evidence
    fid = int(store.read_layer("change", where={"batch_id": bid}, columns=[], geometry=False)["id"].iloc[0])
    W.transition(store, "change", fid, "verifying", actor="tuquan_inspector")
    W.transition(store, "change", fid, "verified", actor="tuquan_inspector",
                 fields={"verdict": "legal", "verified_cause": "60 森林抚育"})
    W.transition(store, "change", fid, "closed", actor="tuquan_inspector",
                 attachments=[("现场照片.jpg", b"\xff\xd8\xff photo")])
    assert store.get_feature("change", fid)["status"] == "closed"
    assert failures(demo_path) == []

    # backup, then restore over a store that changed since
    out = tmp_path / "backup.gpkg"
    B.backup(store, out)
    assert failures(out) == []
    W.transition(store, "change", fid, "rectifying", actor="tuquan_inspector", comment="回头看发现反弹")
    B.restore(out, str(demo_path), force=True)
    assert open_store(str(demo_path)).get_feature("change", fid)["status"] == "closed"
    assert failures(demo_path) == []


# What a store made before GeoPackage 1.4 compliance holds: these R-tree triggers (update5 missing,
# update6/update7 with other meanings) and every table registered as 'attributes'.
def _triggers_made_before(t: str, c: str = "geom", i: str = "id") -> list[str]:
    r = f"rtree_{t}_{c}"
    vals = f"NEW.{i}, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})"
    return [
        f"CREATE TRIGGER {r}_insert AFTER INSERT ON {t} WHEN (new.{c} NOT NULL AND NOT "
        f"ST_IsEmpty(NEW.{c})) BEGIN INSERT OR REPLACE INTO {r} VALUES ({vals}); END",
        f"CREATE TRIGGER {r}_update6 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND "
        f"(NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN INSERT OR REPLACE INTO {r} VALUES ({vals}); END",
        f"CREATE TRIGGER {r}_update7 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} = NEW.{i} AND "
        f"(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END",
        f"CREATE TRIGGER {r}_update2 AFTER UPDATE OF {c} ON {t} WHEN OLD.{i} != NEW.{i} AND "
        f"(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id = OLD.{i}; END",
        f"CREATE TRIGGER {r}_update4 AFTER UPDATE ON {t} WHEN OLD.{i} != NEW.{i} AND "
        f"(NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c})) BEGIN DELETE FROM {r} WHERE id = "
        f"OLD.{i}; INSERT OR REPLACE INTO {r} VALUES ({vals}); END",
        f"CREATE TRIGGER {r}_delete AFTER DELETE ON {t} WHEN old.{c} NOT NULL BEGIN DELETE FROM "
        f"{r} WHERE id = OLD.{i}; END",
    ]


def _make_it_as_before(path: Path) -> None:
    con = open_store(str(path))._connect()
    con.execute("BEGIN")
    layers = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
    for t in layers:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                                   "AND name LIKE 'rtree%'", [t]).fetchall():
            con.execute(f"DROP TRIGGER {name}")
        for sql in _triggers_made_before(t):
            con.execute(sql)
    for name in TABLES:
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
                    "VALUES (?, 'attributes', ?, ?)", [name, name, f"forest store table {name}"])
    con.execute("COMMIT")
    con.close()


def test_a_store_made_before_is_brought_to_geopackage_1_4_when_opened(tmp_path):
    path = tmp_path / "old.gpkg"
    store = open_store(str(path), create=True)
    bid = add_batch(store)
    ids = insert(store, polygons(5), batch_id=bid)
    _make_it_as_before(path)
    found = failures(path)
    assert any("update5 trigger missing" in f for f in found)
    assert any("Req 119" in f and "users" in f for f in found)

    old_backup = tmp_path / "old-backup.gpkg"
    shutil.copyfile(path, old_backup)

    import geo.store as stores

    stores._migrated.discard(str(path))  # (as a new process would)
    store = open_store(str(path))
    assert failures(path) == []
    # a backup taken before, restored into a running process, is brought up to date too
    B.restore(old_backup, str(path), force=True)
    assert failures(path) == []
    con = sqlite3.connect(path)
    registered = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'attributes'")}
    con.close()
    assert registered == set(ATTRIBUTE_TABLES)
    # the application's own writes keep working: a transition, a geometry moved, a bulk insert
    W.transition(store, "change", ids[0], "verifying", actor="甲")
    with store.transaction() as tx:
        store.update_feature(tx, "change", ids[1], expected_version=1, changes={}, actor="甲", action="edit",
                             geometry=box(122.0, 46.0, 122.004, 46.004))
    insert(store, polygons(600, x0=119.0), batch_id=bid)
    assert store.read_layer("change", bbox=(121.99, 45.99, 122.01, 46.01), columns=[])["id"].tolist() == [ids[1]]
    assert ids[1] not in store.read_layer("change", bbox=(121.5, 45.9, 121.6, 45.91), columns=[])["id"].tolist()
    assert failures(path) == []


def _gdal_python(code: str, *args) -> None:
    if not Path(DEBIAN_PYTHON).exists():
        pytest.fail("Debian's python3 is required (scripts/system-deps.sh)")
    out = subprocess.run([DEBIAN_PYTHON, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_a_polygon_moved_by_gdal_is_found_where_it_now_is(tmp_path):
    """Another tool edits the file: QGIS changes a geometry through OGR (SetFeature), a script
    runs SQL through ogrinfo. The spatial index follows both, so the map finds the polygons."""
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.fail("GDAL's ogrinfo is required (Debian gdal-bin, scripts/system-deps.sh)")
    path = tmp_path / "edited.gpkg"
    store = open_store(str(path), create=True)
    bid = add_batch(store)
    ids = insert(store, polygons(5), batch_id=bid)
    there = box(121.80, 45.70, 121.806, 45.704)
    _gdal_python(
        "import sys\n"
        "from osgeo import gdal, ogr\n"
        "gdal.UseExceptions()\n"
        "ds = gdal.OpenEx(sys.argv[1], gdal.OF_VECTOR | gdal.OF_UPDATE)\n"
        "lyr = ds.GetLayerByName('change_polygons')\n"
        "f = lyr.GetFeature(int(sys.argv[2]))\n"
        "f.SetGeometry(ogr.CreateGeometryFromWkt(sys.argv[3]))\n"
        "assert lyr.SetFeature(f) == 0\n"
        "ds = None\n",
        path, ids[1], shapely.to_wkt(shapely.multipolygons([there])),
    )
    elsewhere = box(121.90, 45.80, 121.904, 45.803)
    blob = encode([shapely.multipolygons([elsewhere])])[0].hex()
    out = subprocess.run([ogrinfo, str(path), "-sql", f"UPDATE change_polygons SET geom = X'{blob}' WHERE id = {ids[2]}"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr

    def drawn(bbox):
        view = viewport(store, bbox, 14, Filters())
        return [] if view.features is None else sorted(view.features["id"].tolist())

    assert drawn((121.79, 45.69, 121.81, 45.71)) == [ids[1]]
    assert drawn((121.89, 45.79, 121.91, 45.81)) == [ids[2]]
    assert drawn((121.49, 45.89, 121.53, 45.91)) == [ids[0], ids[3]]  # no longer where they were
    con = sqlite3.connect(path)
    assert con.execute("SELECT rtreecheck('rtree_change_polygons_geom')").fetchone()[0] == "ok"
    con.close()
    assert failures(path) == []
