"""A large shapefile is read, checked and stored a chunk at a time (bounded memory, bench/ingest.py
measures it): the report and what is stored are those of a single read, whatever spans chunks —
a number or a shape seen in an earlier chunk, the unit of the reported area, the CRS — and the
commit is still one transaction."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core.errors import IngestError
from geo.ingest import commit, prepare, samples
from geo.store import open_store
from tests.test_ingest import COUNTIES, add_counties, opts, zipped

CHUNK = 50


def batch_file() -> gpd.GeoDataFrame:
    """240 polygons (10% self-intersecting) whose duplicates sit in other chunks than their first
    copies, with areas reported in 亩."""
    frame = samples.change_polygons(240, seed=11, invalid=0.1, box=(121.0, 45.6, 122.0, 46.0))
    nos = frame["PAN_NO_TB"].to_numpy(dtype=object)
    geoms = frame.geometry.values.copy()
    nos[150], nos[170], nos[171] = nos[10], nos[160], nos[160]  # numbers seen in an earlier chunk
    geoms[200], geoms[120] = geoms[20], geoms[60]  # shapes seen in an earlier chunk
    frame["PAN_NO_TB"] = nos
    frame["MIAN_JI"] = np.round(frame["MIAN_JI"] * 15, 2)
    return frame.set_geometry(gpd.GeoSeries(geoms, crs=4490))


def stored_before(store, frame: gpd.GeoDataFrame) -> None:
    """An earlier batch holding a number, a shape and a near copy (a repeat) of the new file."""
    geoms = [frame.geometry.iloc[5], frame.geometry.iloc[130],
             shapely.affinity.translate(frame.geometry.iloc[220], 0.00002, 0.00001), shapely.box(121.9, 45.9, 121.91, 45.91)]
    old = gpd.GeoDataFrame({"polygon_no": ["X1", "X2", "X3", frame["PAN_NO_TB"].iloc[90]], "source": "国家森林督查",
                            "kind": "forest"}, geometry=geoms, crs=4490)
    with store.transaction() as tx:
        bid = store.add_batch(tx, name="2022年第2期", layer="change", source="国家森林督查", kind="forest")
        store.insert_features(tx, "change", old, actor="staff", batch_id=bid)


def test_a_batch_checked_in_chunks_gives_the_report_of_one_read_and_stores_the_same(store):
    add_counties(store)
    frame = batch_file()
    stored_before(store, frame)
    up = zipped(frame)
    whole = prepare(up, opts(), store)
    chunked = prepare(up, opts(), store, chunk_rows=CHUNK)
    assert not whole.staged.on_disk and chunked.staged.on_disk
    assert chunked.counts == whole.counts
    c = whole.counts
    assert c["read"] == 240 and c["duplicates"] >= 7 and c["repaired"] > 10 and c["repeats"] >= 1
    pd.testing.assert_frame_equal(chunked.problems, whole.problems)
    a, b = chunked.features, whole.features
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert shapely.equals(a.geometry.values, b.geometry.values).all()
    assert chunked.notes == whole.notes and any("亩" in zh for zh, _ in whole.notes)
    msgs = " ".join(whole.problems["zh"])
    assert "与第 11 个要素相同" in msgs and "与第 21 个要素完全相同" in msgs  # held by features of the first chunk

    bid = commit(chunked, store, actor="staff")
    got = store.read_layer("change", where={"batch_id": bid}, columns=["polygon_no", "area_reported_ha", "repeat_of"])
    want = whole.features
    assert got["polygon_no"].tolist() == want["polygon_no"].tolist()
    assert np.allclose(got["area_reported_ha"].to_numpy(float), want["area_reported_ha"].to_numpy(float))
    assert shapely.equals(got.geometry.values, shapely.normalize(want.geometry.values)).all() or \
        shapely.equals(got.geometry.values, want.geometry.values).all()
    assert store.batch(bid)["feature_count"] == len(want)
    imports = store.events("change", actions=["import"])
    assert set(imports["feature_id"]) >= set(got["id"])
    # every polygon is found through the spatial index
    for fid, g in zip(got["id"].tolist()[::17], got.geometry.values[::17]):
        assert fid in store.read_layer("change", bbox=g.bounds, columns=[], geometry=False)["id"].tolist()


def test_a_chunked_commit_is_one_transaction(gpkg_url, monkeypatch):
    """A failure while the third chunk is stored leaves nothing of the batch behind."""
    store = open_store(gpkg_url, create=True)
    add_counties(store)
    report = prepare(zipped(batch_file()), opts(), store, chunk_rows=CHUNK)
    before = (store.count("change"), len(store.batches()), len(store.events()))
    real, calls = store.insert_features, []

    def failing(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk gone")
        return real(*a, **k)

    monkeypatch.setattr(store, "insert_features", failing)
    with pytest.raises(OSError):
        commit(report, store, actor="staff")
    assert (store.count("change"), len(store.batches()), len(store.events())) == before
    monkeypatch.undo()
    commit(report, store, actor="staff")
    con = sqlite3.connect(gpkg_url)
    assert con.execute("SELECT rtreecheck('rtree_change_polygons_geom')").fetchone()[0] == "ok"
    n_tree = con.execute("SELECT COUNT(*) FROM rtree_change_polygons_geom").fetchone()[0]
    con.close()
    assert n_tree == store.count("change") == len(report.staged)
    from tests.gpkg_validator import failures

    assert failures(gpkg_url) == []


def test_too_many_features_is_refused_before_any_chunk_is_read(gpkg_url):
    from geo.ingest.archive import Limits

    store = open_store(gpkg_url, create=True)
    add_counties(store, COUNTIES)
    with pytest.raises(IngestError, match="240 features, over the limit of 100"):
        prepare(zipped(batch_file()), opts(), store, chunk_rows=CHUNK, limits=Limits(max_features=100))


@pytest.mark.parametrize("whole", [True, False], ids=["leaves", "per-tile"])
def test_stored_boxes_met_by_new_ones_are_found_exactly(gpkg_url, whole, monkeypatch):
    """The stored boxes read once (from the R-tree's leaves, or per tile for a very large layer)
    and matched in memory (banded sweeps for small boxes, a tree for wide or tall ones, the R-tree
    itself for a new box reaching beyond its tile) are exactly those a plain intersection test
    finds — across tile edges, for wide and tiny boxes alike."""
    from geo.ingest import dedupe as D

    if not whole:
        monkeypatch.setattr(D.StoredBoxes, "ALL_AT_ONCE", 0)

    rng = np.random.default_rng(3)
    store = open_store(gpkg_url, create=True)

    def boxes(n, size):
        x = rng.uniform(120.8, 122.2, n)
        y = rng.uniform(45.3, 46.3, n)
        w = rng.uniform(0.0002, size, n)
        return shapely.box(x, y, x + w, y + rng.uniform(0.0002, size, n))

    stored = np.concatenate([boxes(3000, 0.004), boxes(40, 0.3)])  # many small, a few wide ones
    frame = gpd.GeoDataFrame({"polygon_no": [f"S{i}" for i in range(len(stored))]}, geometry=stored, crs=4490)
    with store.transaction() as tx:
        ids = np.asarray(store.insert_features(tx, "change", frame, actor="t"))
    new = np.concatenate([boxes(2000, 0.004), boxes(5, 0.2)])  # … and new ones reaching over a tile
    cache = D.StoredBoxes()
    got = {tuple(p) for p in D.candidate_pairs(store, "change", new, cache).tolist()}
    tree = shapely.STRtree(stored)
    src, dst = tree.query(new, predicate="intersects")
    want = {(int(i), int(ids[j])) for i, j in zip(src, dst)}
    assert got == want and len(want) > 100
    again = {tuple(p) for p in D.candidate_pairs(store, "change", new[:500], cache).tolist()}
    assert again == {p for p in want if p[0] < 500}  # a later chunk, from the boxes kept


def test_a_refused_chunked_file_leaves_no_reading_behind(gpkg_url, tmp_path, monkeypatch):
    """The next chunk is read while one is checked; when the check refuses the file (here: it was
    imported already), the refusal comes through, the read under way is waited for and its
    temporary copy is gone."""
    import tempfile
    import threading

    store = open_store(gpkg_url, create=True)
    add_counties(store)
    up = zipped(batch_file())
    commit(prepare(up, opts(), store, chunk_rows=CHUNK), store, actor="staff")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(IngestError, match="already imported"):
        prepare(up, opts(), store, chunk_rows=CHUNK)
    assert list(scratch.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("ingest-read")]
