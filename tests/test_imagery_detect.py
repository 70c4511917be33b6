"""Candidate change polygons: found where NDVI fell (real MODIS pair), cleaned to the mapping unit
within a pixel, and registered through the upload path as a 自动检测 batch, without what was
already issued."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely

from geo.core.errors import ImageryError
from geo.imagery import detect as D
from geo.imagery import scenes as SC
from geo.imagery import zonal as Z
from tests.helpers import add_batch, insert
from tests.imagery_data import CRS, MODIS_AFTER, MODIS_BEFORE, ORIGIN, field, write_scene
from tests.test_imagery_scenes import _counties


def test_on_the_real_modis_pair_candidates_sit_where_ndvi_fell(store, tmp_path):
    folder = tmp_path / "im"
    [before] = SC.add(store, MODIS_BEFORE, folder=folder, actor="staff", ndvi_band=1, sensor="MODIS")
    [after] = SC.add(store, MODIS_AFTER, folder=folder, actor="staff", ndvi_band=1, sensor="MODIS")
    found = D.candidates(before, after, threshold=0.25, min_area_mu=200)
    assert len(found) >= 5 and (found["ndvi_change"] < -0.25).all() and found.crs.to_epsg() == 4490
    assert (found["area_mu"] >= 200).all()
    # the whole tile hardly changed ...
    with rasterio.open(MODIS_BEFORE) as a, rasterio.open(MODIS_AFTER) as b:
        x, y = a.read(1).astype(float), b.read(1).astype(float)
    ok = (x != -3000) & (y != -3000)
    tile_change = float((y[ok] - x[ok]).mean() * 1e-4)
    assert abs(tile_change) < 0.05
    # ... while inside the detected polygons, measured independently by the zonal statistics,
    # NDVI fell far more
    st_b = Z.scene_stats(before, found.geometry.values)
    st_a = Z.scene_stats(after, found.geometry.values)
    w = st_b["valid"].to_numpy()
    inside = float(np.average(st_a["mean"] - st_b["mean"], weights=w))
    assert inside < tile_change - 0.2
    assert ((st_a["mean"] - st_b["mean"]) < tile_change - 0.1).all()
    # real fires: the burnt areas form a few large patches, not speckle
    assert found["pixels"].max() >= 20


def _pair(store, tmp_path):
    """Before/after scenes in 突泉县 (10 m) with planted NDVI drops:
    A (rows 40–90, cols 40–110) with a 2×2 and an 8×8 island left green, B (rows 150–190,
    cols 150–200), C a 2×2 speck (rows 250–252, cols 250–252)."""
    before = field((300, 300), seed=31, base=0.72, noise=0.01)
    after = field((300, 300), seed=32, base=0.71, noise=0.01)
    after[40:90, 40:110] = 0.2
    after[50:52, 50:52] = 0.72  # a small island: a hole below the mapping unit, filled
    after[60:68, 80:88] = 0.72  # a large island: kept as a hole
    after[150:190, 150:200] = 0.25
    after[250:252, 250:252] = 0.1
    folder = tmp_path / "im"
    [b] = SC.add(store, write_scene(tmp_path / "b.tif", before, date="2023-07-10"), folder=folder, actor="staff",
                 bands="red=1,green=2,blue=3,nir=4", sensor="GF-1")
    [a] = SC.add(store, write_scene(tmp_path / "a.tif", after, date="2024-07-15"), folder=folder, actor="staff",
                 bands="red=1,green=2,blue=3,nir=4", sensor="GF-1")
    return b, a


def _px_box(r0, r1, c0, c1):
    return shapely.box(ORIGIN[0] + c0 * 10, ORIGIN[1] - r1 * 10, ORIGIN[0] + c1 * 10, ORIGIN[1] - r0 * 10)


def test_clean_polygons_within_a_pixel_holes_and_mapping_unit(store, tmp_path):
    b, a = _pair(store, tmp_path)
    timings = {}
    found = D.candidates(b, a, threshold=0.2, min_area_mu=1.0, timings=timings)
    assert len(found) == 2 and found.attrs["regions"] == 3  # the speck is below the mapping unit
    assert set(timings) == {"read", "label", "polygonise", "clean"}
    local = found.to_crs(CRS).sort_values("pixels", ascending=False)
    big = local.geometry.iloc[0]
    raw_a = _px_box(40, 90, 40, 110).difference(_px_box(60, 68, 80, 88))  # (the 2×2 hole filled)
    assert big.hausdorff_distance(raw_a) <= 10.0 + 1e-6  # smoothing moved no edge by more than a pixel
    assert big.covers(_px_box(50, 52, 50, 52))
    assert len(big.interiors) == 1  # the 8×8 island stays a hole, the 2×2 one was filled
    assert shapely.Polygon(big.interiors[0]).area == pytest.approx(6400, rel=0.15)
    assert local["pixels"].iloc[0] == 50 * 70 - 64 - 4 and local["pixels"].iloc[1] == 40 * 50
    assert local["ndvi_before"].iloc[0] == pytest.approx(0.72, abs=0.01)
    assert local["ndvi_after"].iloc[0] == pytest.approx(0.2, abs=0.01)
    assert local["ndvi_after_median"].iloc[1] == pytest.approx(0.25, abs=0.01)
    assert local["area_mu"].iloc[1] == pytest.approx(2000 * 100 / 666.667, rel=1e-3)


def test_refusals(store, tmp_path):
    b, a = _pair(store, tmp_path)
    with pytest.raises(ImageryError, match="must be older"):
        D.candidates(a, b)
    with pytest.raises(ImageryError, match="threshold"):
        D.candidates(b, a, threshold=0)
    with pytest.raises(ImageryError, match="not registered"):
        D.run(store, b.id, 999, actor="staff")


def test_registered_as_a_candidate_batch_without_what_was_issued(tmp_path):
    from geo.store import open_store

    store = open_store(str(tmp_path / "s.gpkg"), create=True)
    _counties(store)
    b, a = _pair(store, tmp_path)
    # polygon B was already issued in an earlier batch
    issued = gpd.GeoDataFrame({"polygon_no": ["ISSUED-1"], "county_code": "152224", "source": "国家森林督查"},
                              geometry=[_px_box(148, 192, 148, 202)], crs=CRS).to_crs(4490)
    insert(store, issued, batch_id=add_batch(store, name="2024年第1期"))
    out = D.run(store, b.id, a.id, actor="staff", threshold=0.2, min_area_mu=1.0)
    assert (out["found"], out["already_issued"], out["stored"]) == (2, 1, 1)
    batch = store.batch(out["batch_id"])
    assert batch["source"] == D.SOURCE == "自动检测" and batch["feature_count"] == 1
    assert "2023-07-10" in batch["name"] and "2024-07-15" in batch["name"]
    [row] = store.read_layer("change", where={"batch_id": out["batch_id"]}).to_dict("records")
    assert row["county_code"] == "152224" and row["county"] == "突泉县" and row["source"] == "自动检测"
    assert row["polygon_no"].startswith("AUTO20240715") and row["status"] == "issued"
    assert row["ndvi_change"] == pytest.approx(-0.52, abs=0.02)
    assert (row["ndvi_before_scene"], row["ndvi_after_scene"]) == (b.id, a.id)
    assert row["before_date"] == "2023-07-10" and row["area_mu"] > 0
    assert store.history("change", row["id"])[0]["action"] == "import"  # the normal upload path
    # again: everything found is now issued, nothing new is stored
    again = D.run(store, b.id, a.id, actor="staff", threshold=0.2, min_area_mu=1.0)
    assert (again["already_issued"], again["stored"], again["batch_id"]) == (2, 0, None)
    assert len(store.batches("change")) == 2


def test_cli_detect(tmp_path, capsys):
    from geo.cli.main import main
    from geo.store import open_store

    db = str(tmp_path / "c.gpkg")
    store = open_store(db, create=True)
    _counties(store)
    b, a = _pair(store, tmp_path)
    assert main(["imagery", "detect", "--before", str(b.id), "--after", str(a.id), "--threshold", "0.2",
                 "--min-area-mu", "1", "--db", db, "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["found"], dry["batch_id"]) == (2, None) and store.batches("change").empty
    assert main(["imagery", "detect", "--before", str(b.id), "--after", str(a.id), "--db", db]) == 0
    assert "已登记候选批次" in capsys.readouterr().out and len(store.batches("change")) == 1
    assert main(["imagery", "detect", "--before", str(a.id), "--after", str(b.id), "--db", db]) == 2
    assert "应早于" in capsys.readouterr().err
