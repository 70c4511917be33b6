"""NDVI per polygon at batch scale: identical to rasterstats where both count the same pixels,
stored on the polygons with the scenes used, usable as a filter, and run from the CLI."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo.imagery import scenes as SC
from geo.imagery import zonal as Z
from tests.helpers import add_batch, insert
from tests.imagery_data import CRS, ORIGIN, field, write_ndvi, write_scene

TO_4490 = Transformer.from_crs(CRS, 4490, always_xy=True)


def _poly_4490(x0, y0, w, h):
    """A rectangle given in scene metres (from the scene's top-left corner) as EPSG:4490."""
    ring = shapely.segmentize(shapely.box(ORIGIN[0] + x0, ORIGIN[1] - y0 - h, ORIGIN[0] + x0 + w, ORIGIN[1] - y0), 20)
    return shapely.transform(ring, lambda xy: np.column_stack(TO_4490.transform(xy[:, 0], xy[:, 1])))


def test_means_match_rasterstats_where_both_count_the_same_pixels(store, tmp_path):
    from rasterstats import zonal_stats

    nd = field((200, 240), seed=11)
    nd[40:48, :] = np.nan  # a cloud gap: nodata inside some polygons
    path = write_ndvi(tmp_path / "n_20240701.tif", nd)
    [scene] = SC.add(store, path, folder=tmp_path / "im", actor="staff", ndvi_band=1, scale=1e-4)
    rng = np.random.default_rng(3)
    pts = shapely.points(rng.uniform(ORIGIN[0], ORIGIN[0] + 2400, 120), rng.uniform(ORIGIN[1] - 2000, ORIGIN[1], 120))
    geoms = shapely.buffer(pts, rng.uniform(8, 150, 120), quad_segs=3)  # some cross the edge, some overlap
    ours = Z.scene_stats(scene, geoms, crs=CRS)
    theirs = zonal_stats(list(geoms), str(path), stats=["mean", "median", "count"], nodata=-3000)
    count = np.array([r["count"] or 0 for r in theirs])
    same = (count == ours["valid"].to_numpy()) & (count > 0)
    assert same.sum() >= 100  # nearly all: the same pixel-centre rule
    mean = np.array([r["mean"] for r in theirs], dtype=float)[same] * 1e-4
    median = np.array([r["median"] for r in theirs], dtype=float)[same] * 1e-4
    assert np.abs(ours["mean"].to_numpy()[same] - mean).max() < 1e-6
    assert np.abs(ours["median"].to_numpy()[same] - median).max() < 1e-6
    assert (ours["valid"] <= ours["total"]).all() and (ours.loc[ours["total"] == 0, "mean"].isna()).all()


def test_overlapping_polygons_each_get_their_own_pixels(store, tmp_path):
    path = write_ndvi(tmp_path / "n_20240701.tif", field((100, 100), seed=12))
    [scene] = SC.add(store, path, folder=tmp_path / "im", actor="staff", ndvi_band=1, scale=1e-4)
    a = shapely.box(ORIGIN[0] + 100, ORIGIN[1] - 600, ORIGIN[0] + 600, ORIGIN[1] - 100)
    b = shapely.box(ORIGIN[0] + 300, ORIGIN[1] - 800, ORIGIN[0] + 900, ORIGIN[1] - 300)  # overlaps a
    both = Z.scene_stats(scene, [a, b], crs=CRS)
    alone = [Z.scene_stats(scene, [g], crs=CRS).iloc[0] for g in (a, b)]
    assert both["total"].tolist() == [2500, 3000] == [int(x["total"]) for x in alone]
    assert both["mean"].tolist() == pytest.approx([x["mean"] for x in alone], abs=1e-12)


def _batch_with_imagery(store, tmp_path):
    """A batch of three polygons in 突泉县 over a before/after pair in which the first one was cleared."""
    before = field((300, 300), seed=21, base=0.72)
    after = field((300, 300), seed=22, base=0.70)
    after[20:60, 20:70] = 0.15  # the clearing (pixels 20–60 down, 20–70 across)
    folder = tmp_path / "im"
    [b] = SC.add(store, write_scene(tmp_path / "b.tif", before, date="2023-07-10"), folder=folder, actor="staff",
                 bands="red=1,green=2,blue=3,nir=4")
    [a] = SC.add(store, write_scene(tmp_path / "a.tif", after, date="2024-07-15"), folder=folder, actor="staff",
                 bands="red=1,green=2,blue=3,nir=4")
    bid = add_batch(store)
    geoms = [_poly_4490(220, 220, 460, 360), _poly_4490(1500, 1500, 400, 400), _poly_4490(2200, 600, 300, 500)]
    frame = gpd.GeoDataFrame({"polygon_no": ["P1", "P2", "P3"], "county_code": "152224", "county": "突泉县",
                              "source": "测试来源", "kind": "forest", "before_date": "2023-07-01",
                              "after_date": "2024-07-01"}, geometry=geoms, crs=4490)
    ids = insert(store, frame, batch_id=bid)
    return bid, ids, b, a


def test_batch_ndvi_is_stored_with_the_scenes_used_and_filters(store, tmp_path):
    bid, ids, before, after = _batch_with_imagery(store, tmp_path)
    versions = store.read_layer("change", columns=["version"], geometry=False)["version"].tolist()
    out = Z.batch_ndvi(store, bid, folder=tmp_path / "im")
    assert out == {"batch_id": bid, "polygons": 3, "computed": 3, "no_imagery": 0,
                   "scenes": sorted([before.id, after.id]), "fell_0_2": 1}
    got = store.read_layer("change", columns=list(Z.NDVI_FIELDS) + ["version"], geometry=False).set_index("id")
    cleared = got.loc[ids[0]]
    assert cleared["ndvi_before"] == pytest.approx(0.72, abs=0.02) and cleared["ndvi_after"] == pytest.approx(0.15, abs=0.02)
    assert cleared["ndvi_change"] == pytest.approx(-0.57, abs=0.03)
    assert cleared["ndvi_before_median"] == pytest.approx(0.72, abs=0.02)
    assert (got["ndvi_before_scene"] == before.id).all() and (got["ndvi_after_scene"] == after.id).all()
    assert got.loc[ids[1:], "ndvi_change"].abs().max() < 0.06
    assert (got["ndvi_valid_share"] == 1.0).all() and got["ndvi_at"].notna().all()
    # derived values: no new version, no history event, so nobody's open form goes stale
    assert got["version"].tolist() == versions
    assert len(store.events("change")) == 3
    # the map filter: "NDVI fell by more than 0.2"
    assert Z.ids_where(store, below=-0.2) == [ids[0]]
    assert Z.ids_where(store, below=-0.2, batch_ids=[bid + 1]) == []
    assert sorted(Z.ids_where(store, below=None, above=-0.2)) == sorted(ids[1:])


def test_polygons_without_imagery_are_left_empty(store, tmp_path):
    bid, ids, _, _ = _batch_with_imagery(store, tmp_path)
    far = gpd.GeoDataFrame({"polygon_no": ["FAR"], "county_code": "152224", "source": "测试来源"},
                           geometry=[shapely.box(121.0, 45.5, 121.01, 45.51)], crs=4490)
    [fid] = insert(store, far, batch_id=bid)
    out = Z.batch_ndvi(store, bid, folder=tmp_path / "im")
    assert (out["computed"], out["no_imagery"]) == (3, 1)
    assert store.get_feature("change", fid)["ndvi_change"] is None


def test_cli_ndvi_for_a_batch(tmp_path, capsys):
    from geo.cli.main import main
    from geo.store import open_store

    db = str(tmp_path / "c.gpkg")
    store = open_store(db, create=True)
    bid, ids, _, _ = _batch_with_imagery(store, tmp_path)
    assert main(["imagery", "ndvi", "--batch", str(bid), "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["computed"] == 3 and out["fell_0_2"] == 1
    assert main(["imagery", "ndvi", "--batch", "999", "--db", db]) == 2
    assert "批次 #999 不存在" in capsys.readouterr().err
