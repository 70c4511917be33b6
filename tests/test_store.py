"""The store on both backends: schema, round trips, the spatial index, transactions, history."""

from __future__ import annotations

import json
import sqlite3
import threading

import pandas as pd
import pyogrio
import pytest

from geo.declare import registry as S
from geo.core.errors import ConflictError, NotFoundError, StoreError, ValidationError
from geo.store import open_store
from tests.helpers import add_batch, insert, polygons


def test_init_is_idempotent_and_creates_every_layer(store):
    store.init()
    store.init()
    for key in S.LAYERS:
        assert store.count(key) == 0
    assert store.meta("schema_version") == "1"


def test_features_round_trip_with_chinese_text_dates_and_json(store):
    frame = polygons(2, deadline=["2024-06-30", None], flags=[{"面积差异": True}, None],
                     fine_yuan=[1758.0, None])
    ids = insert(store, frame)
    back = store.read_layer("change")
    assert back["id"].tolist() == ids
    assert back["county"].tolist() == ["突泉县", "突泉县"]
    assert back["deadline"].tolist()[0] == "2024-06-30" and pd.isna(back["deadline"].tolist()[1])
    assert back["status"].tolist() == ["issued", "issued"] and back["version"].tolist() == [1, 1]
    assert back.crs.to_epsg() == 4490
    assert back.geometry.iloc[0].equals_exact(frame.geometry.iloc[0].buffer(0).normalize(), 1e-9) or \
        back.geometry.iloc[0].geom_type == "MultiPolygon"
    one = store.get_feature("change", ids[0])
    assert one["flags"] == {"面积差异": True} and one["fine_yuan"] == 1758.0
    assert one["geometry"].geom_type == "MultiPolygon"
    assert abs(one["geometry"].area - frame.geometry.iloc[0].area) < 1e-12


def test_bbox_query_returns_only_features_in_view(store):
    insert(store, polygons(5))  # x from 121.50 to 121.544
    inside = store.read_layer("change", bbox=(121.505, 45.89, 121.525, 45.92))
    assert inside["polygon_no"].tolist() == ["T0001", "T0002"]
    assert store.read_layer("change", bbox=(100, 30, 101, 31)).empty


def test_where_filters_and_rejects_unknown_fields(store):
    insert(store, polygons(3, status=["issued", "verifying", "issued"]))
    assert store.count("change", where={"status": "issued"}) == 2
    assert store.count("change", where={"status": ["issued", "verifying"]}) == 3
    with pytest.raises(ValidationError, match="no field"):
        store.read_layer("change", where={"status; DROP TABLE events": 1})


def test_a_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            store.insert_features(tx, "change", polygons(3), actor="staff")
            raise RuntimeError("crash in the middle of a batch")
    assert store.count("change") == 0
    assert store.events().empty


def test_history_events_are_append_only(store):
    insert(store, polygons(1))
    with pytest.raises(StoreError, match="append-only"):
        with store.transaction() as tx:
            tx.execute("UPDATE events SET actor = 'someone else'")
    with pytest.raises(StoreError, match="append-only"):
        with store.transaction() as tx:
            tx.execute("DELETE FROM events")
    assert store.events()["actor"].tolist() == ["staff"]


def test_a_large_batch_gets_the_same_import_events_as_a_small_one(store):
    """A batch of thousands has its import events written by the database from the stored rows
    (GeoPackage) instead of one Python row each: every feature still has exactly one, alike in
    every column to a small batch's."""
    bid = add_batch(store)
    small = insert(store, polygons(3), batch_id=bid)
    big = insert(store, polygons(6000, y0=46.0), batch_id=bid)
    ev = store.events("change", actions=["import"])
    assert sorted(ev["feature_id"].tolist()) == sorted(small + big)
    cols = ["layer", "actor", "action", "from_status", "to_status", "fields", "comment", "version"]
    first = ev[ev["feature_id"] == small[0]][cols].astype(str).iloc[0].tolist()
    for fid in (big[0], big[2999], big[-1]):
        assert ev[ev["feature_id"] == fid][cols].astype(str).iloc[0].tolist() == first
    assert json.loads(ev[ev["feature_id"] == big[-1]]["fields"].iloc[0]) == {"batch_id": bid}
    assert ev.sort_values("id")["feature_id"].tolist()[-6000:] == big  # in the order stored


def test_optimistic_locking_refuses_a_stale_version(store):
    (fid,) = insert(store, polygons(1))
    with store.transaction() as tx:
        v2 = store.update_feature(tx, "change", fid, expected_version=1, changes={"assigned_to": "甲"},
                                  actor="甲", action="edit")
    assert v2 == 2
    with pytest.raises(ConflictError) as info:
        with store.transaction() as tx:
            store.update_feature(tx, "change", fid, expected_version=1, changes={"assigned_to": "乙"},
                                 actor="乙", action="edit")
    assert info.value.details["current_version"] == 2 and info.value.details["changed_by"] == "甲"
    assert "已被 甲" in info.value.zh
    assert store.get_feature("change", fid)["assigned_to"] == "甲"


def test_parallel_writers_with_the_same_version_one_wins(store):
    (fid,) = insert(store, polygons(1))
    results = []

    def write(name):
        try:
            with store.transaction() as tx:
                store.update_feature(tx, "change", fid, expected_version=1, changes={"assigned_to": name},
                                     actor=name, action="edit")
            results.append(("ok", name))
        except ConflictError:
            results.append(("conflict", name))

    threads = [threading.Thread(target=write, args=(f"user{i}",)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(r[0] for r in results) == ["conflict"] * 5 + ["ok"]
    winner = next(n for r, n in results if r == "ok")
    assert store.get_feature("change", fid)["assigned_to"] == winner
    edits = store.events("change", fid, actions=["edit"])
    assert edits["actor"].tolist() == [winner]


def test_missing_feature_is_not_found(store):
    with pytest.raises(NotFoundError, match="does not exist"):
        store.get_feature("change", 424242)


def test_attachments_are_stored_once_by_content_hash(store):
    with store.transaction() as tx:
        a = store.put_attachment(tx, "现场照片.jpg", b"\xff\xd8\xff same bytes", "image/jpeg", "甲")
        b = store.put_attachment(tx, "copy.jpg", b"\xff\xd8\xff same bytes", "image/jpeg", "乙")
    assert a == b
    assert len(store.table("attachments")) == 1
    assert store.get_attachment(a)["data"] == b"\xff\xd8\xff same bytes"


def test_batches_items_and_links(store):
    bid = add_batch(store)
    ids = insert(store, polygons(2), batch_id=bid)
    with store.transaction() as tx:
        iid = store.add_item(tx, "staff", code="（1）", problem="推动落实林草长制不够深入", deadline="2023-12-31")
        store.link_item(tx, iid, "change", ids)
    assert store.batch(bid)["name"] == "2024年第1期"
    assert store.read_layer("change", where={"batch_id": bid})["id"].tolist() == ids
    assert store.item_links(iid)["feature_id"].tolist() == ids
    imports = store.events("change", ids[0])
    assert json.loads(imports["fields"].iloc[0]) == {"batch_id": bid}


def test_geopackage_is_a_standard_file_that_gdal_reads(gpkg_url):
    store = open_store(gpkg_url, create=True)
    insert(store, polygons(3))
    layers = dict(pyogrio.list_layers(gpkg_url))
    assert layers["change_polygons"] == "MultiPolygon" and "events" in layers
    info = pyogrio.read_info(gpkg_url, layer="change_polygons")
    assert info["crs"] == "EPSG:4490" and info["features"] == 3
    gdal_view = pyogrio.read_dataframe(gpkg_url, layer="change_polygons", bbox=(121.505, 45.89, 121.525, 45.92))
    assert gdal_view["polygon_no"].tolist() == ["T0001", "T0002"]  # GDAL uses our R-tree
    con = sqlite3.connect(gpkg_url)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert con.execute("SELECT COUNT(*) FROM rtree_change_polygons_geom").fetchone()[0] == 3
    con.close()


def test_bulk_insert_keeps_the_rtree_in_step(gpkg_url):
    store = open_store(gpkg_url, create=True)
    insert(store, polygons(600, x0=120.0))
    con = sqlite3.connect(gpkg_url)
    assert con.execute("SELECT COUNT(*) FROM rtree_change_polygons_geom").fetchone()[0] == 600
    trig = con.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='trigger' AND name LIKE "
                       "'rtree_change_polygons_geom_%'").fetchone()[0]
    assert trig == 7  # the insert trigger dropped for the bulk path is back (GeoPackage 1.4: 7)
    extent = "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'change_polygons'"
    assert con.execute(extent).fetchone() == pytest.approx((120.0, 45.9, 125.994, 45.904), abs=1e-4)
    insert(store, polygons(600, x0=126.0, y0=47.0))  # a second bulk insert widens it
    assert con.execute(extent).fetchone() == pytest.approx((120.0, 45.9, 131.994, 47.004), abs=1e-4)
    con.close()
    # a later single insert goes through the trigger again
    insert(store, polygons(1, x0=130.0, y0=40.0))
    assert len(store.read_layer("change", bbox=(129.9, 39.9, 130.1, 40.1))) == 1
    con = sqlite3.connect(gpkg_url)
    assert con.execute(extent).fetchone() == pytest.approx((120.0, 40.0, 131.994, 47.004), abs=1e-4)
    con.close()


def test_a_packed_rtree_is_sound_and_finds_every_feature(gpkg_url):
    """A large batch into a small layer packs the R-tree anew (rtree_bulk): SQLite's own check
    passes, GDAL and the store find exactly the features in a box, and the tree keeps working
    for single inserts, moves and deletes afterwards."""
    import numpy as np
    import shapely

    store = open_store(gpkg_url, create=True)
    insert(store, polygons(3, x0=119.0))  # already stored (inserted one by one by the trigger)
    rng = np.random.default_rng(3)
    x = rng.uniform(120.0, 123.0, 5000)
    y = rng.uniform(44.5, 47.5, 5000)
    frame = polygons(5000).set_geometry(shapely.box(x, y, x + 0.003, y + 0.002))
    ids = insert(store, frame)
    con = sqlite3.connect(gpkg_url)
    rt = "rtree_change_polygons_geom"
    assert con.execute(f"SELECT rtreecheck('{rt}')").fetchone()[0] == "ok"
    assert con.execute(f"SELECT COUNT(*) FROM {rt}").fetchone()[0] == 5003
    depth = int.from_bytes(con.execute(f"SELECT substr(data, 1, 2) FROM {rt}_node WHERE nodeno = 1").fetchone()[0], "big")
    assert depth >= 2  # a real multi-level tree (5003 boxes, 51 per node)
    # every stored box contains its polygon (rounded outwards to 32-bit floats)
    boxes = dict((r[0], r[1:]) for r in con.execute(f"SELECT id, minx, maxx, miny, maxy FROM {rt}"))
    for fid, (x0, y0) in list(zip(ids, zip(x, y)))[:500]:
        minx, maxx, miny, maxy = boxes[fid]
        assert minx <= x0 and maxx >= x0 + 0.003 and miny <= y0 and maxy >= y0 + 0.002
    con.close()
    view = (121.0, 45.0, 121.5, 45.5)
    want = {i for i, a, b in zip(ids, x, y) if a <= 121.5 and a + 0.003 >= 121.0 and b <= 45.5 and b + 0.002 >= 45.0}
    assert set(store.read_layer("change", bbox=view, columns=[])["id"]) == want
    gdal = pyogrio.read_dataframe(gpkg_url, layer="change_polygons", bbox=view, fid_as_index=True)
    assert set(gdal.index) == want
    # the packed tree keeps working: a single insert, a moved polygon, a deleted one
    one = insert(store, polygons(1, x0=121.2, y0=45.2))[0]
    con = store._connect()  # (the GeoPackage triggers call the ST_ functions it registers)
    con.execute("UPDATE change_polygons SET geom = (SELECT geom FROM change_polygons WHERE id = ?) "
                "WHERE id = ?", [one, ids[0]])
    con.execute("DELETE FROM change_polygons WHERE id = ?", [ids[1]])
    con.close()
    con = sqlite3.connect(gpkg_url)
    assert con.execute(f"SELECT rtreecheck('{rt}')").fetchone()[0] == "ok"
    con.close()
    got = set(store.read_layer("change", bbox=(121.19, 45.19, 121.21, 45.21), columns=[])["id"])
    assert {one, ids[0]} <= got and ids[1] not in set(store.read_layer("change", columns=[], geometry=False)["id"])


def test_opening_something_that_is_not_a_store_is_a_clear_error(tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("this is not a database")
    with pytest.raises(StoreError, match="not a GeoPackage"):
        open_store(str(bad)).count("change")
    assert bad.read_text() == "this is not a database"  # untouched
    with pytest.raises(StoreError, match="does not exist"):
        open_store(str(tmp_path / "missing.gpkg"))
    with pytest.raises(StoreError, match=r"\.gpkg path or a postgresql"):
        open_store(str(tmp_path / "store.sqlite"))


def test_an_older_store_loses_only_its_unused_fingerprint_index(store):
    """A store made before the fingerprint index was retired drops it when opened; the
    fingerprints themselves stay, and the same shape uploaded again is still found."""
    ids = insert(store, polygons(2))
    with store.transaction() as tx:  # the previous release's index
        tx.execute("CREATE INDEX ix_change_hash ON change_polygons (geom_hash)")
        assert "ix_change_hash" in store._indexes(tx)
    from geo.store import _migrated

    _migrated.discard(store.url)
    again = open_store(store.url)
    with again.transaction(write=False) as tx:
        assert "ix_change_hash" not in again._indexes(tx) and "ix_change_no" in again._indexes(tx)
    kept = again.read_layer("change", columns=["geom_hash"], geometry=False)
    assert kept["id"].tolist() == ids and kept["geom_hash"].notna().all()
    assert again.migrate() == []  # (done once)
