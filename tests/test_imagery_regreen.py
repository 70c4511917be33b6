"""The re-greening check (回头看): re-vegetated polygons and restoration areas against the NDVI
before the rectification and around them after it."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

from geo.imagery import regreen as R
from geo.imagery import scenes as SC
from tests.helpers import add_batch
from tests.imagery_data import field, write_scene
from tests.test_imagery_zonal import _poly_4490


def setup_page(store, tmp_path):
    """Three places in 突泉县 over a 2023-07 / 2024-07 pair: A (closed, 恢复植被) green again,
    B (closed, 补植补造) still bare, C (restoration accepted in 2023) green again; D (closed, but
    rectified by removing a building) is not a re-vegetation and is not checked."""
    before = field((300, 300), seed=41, base=0.72, noise=0.02)
    after = field((300, 300), seed=42, base=0.72, noise=0.02)
    for r0, c0 in ((30, 30), (30, 150), (170, 30)):  # A, B, C bare before the rectification
        before[r0:r0 + 50, c0:c0 + 60] = 0.12
    after[30:80, 150:210] = 0.15  # B did not green
    folder = tmp_path / "im"
    for name, arr, day in (("s0.tif", before, "2023-07-01"), ("s1.tif", after, "2024-07-15")):
        SC.add(store, write_scene(tmp_path / name, arr, date=day), folder=folder, actor="staff",
               bands="red=1,green=2,blue=3,nir=4")
    bid = add_batch(store)
    geo = [_poly_4490(300, 300, 600, 500), _poly_4490(1500, 300, 600, 500), _poly_4490(1500, 1700, 600, 500)]
    ch = gpd.GeoDataFrame({"polygon_no": ["A", "B", "D"], "county_code": "152224", "county": "突泉县",
                           "source": "测试来源", "status": "closed", "measure": ["恢复植被", "补植补造", "拆除建(构)筑物"],
                           "deadline": "2023-09-30", "area_mu": [45.0, 45.0, 45.0], "version": 5},
                          geometry=geo, crs=4490)
    with store.transaction() as tx:
        ids = store.insert_features(tx, "change", ch, actor="staff", batch_id=bid, raw=True)
        rs = gpd.GeoDataFrame({"project": ["2023年突泉退化林修复"], "type": ["退化林修复-更替"], "county_code": "152224",
                               "county": "突泉县", "year": [2023], "status": "accepted", "area_mu": [45.0]},
                              geometry=[_poly_4490(300, 1700, 600, 500)], crs=4490)
        rid = store.insert_features(tx, "restoration", rs, actor="staff", raw=True)
    return ids, rid[0], folder


def test_the_check_flags_what_did_not_green(store, tmp_path):
    ids, rid, folder = setup_page(store, tmp_path)
    rows = R.check(store, folder=folder).set_index("label")
    assert sorted(rows.index) == ["2023年突泉退化林修复", "A", "B"]  # D was no re-vegetation
    assert rows.loc["A", "verdict"] == "greened" and rows.loc["2023年突泉退化林修复", "verdict"] == "greened"
    b = rows.loc["B"]
    assert b["verdict"] == "not_greened" and b["gain"] == pytest.approx(0.03, abs=0.03)
    assert b["gap"] == pytest.approx(-0.57, abs=0.04) and b["ndvi_ring"] == pytest.approx(0.72, abs=0.03)
    assert rows.loc["A", "gain"] == pytest.approx(0.6, abs=0.04) and rows.loc["A", "rect_date"] == "2023-09-30"
    assert rows.loc["2023年突泉退化林修复", "rect_date"] == "2023-10-31"
    assert (rows["before_scene"] > 0).all() and (rows["after_scene"] > rows["before_scene"]).all()
    figs = R.regreen_figures(store, folder=folder)
    assert figs["counties"]["152224"] == {"county": "突泉县", "places": 3, "checked": 3, "greened": 2, "greening": 0,
                                         "not_greened": 1, "no_imagery": 0, "not_greened_mu": 45.0}
    assert figs["total"]["not_greened"] == 1
    assert R.regreen_figures(store, counties=["152202"], folder=folder)["total"]["places"] == 0


def test_without_imagery_after_the_date_there_is_no_verdict(store, tmp_path):
    ids, rid, folder = setup_page(store, tmp_path)
    only = [s for s in SC.all_scenes(store) if s.acquired_on.year == 2023]
    rows = R.check(store, folder=folder, scenes=only)
    assert set(rows["verdict"]) == {"no_imagery"}


def test_not_greened_places_become_items_for_the_next_round(store, tmp_path):
    from geo.items import items

    ids, rid, folder = setup_page(store, tmp_path)
    rows = R.check(store, folder=folder)
    made = R.to_items(store, rows, actor="staff", deadline="2025-06-30")
    assert len(made) == 1
    item = items.progress(store).set_index("id").loc[made[0]]
    assert "突泉县" in item["problem"] and "植被未恢复" in item["problem"] and item["deadline"] == "2025-06-30"
    links = store.item_links(made[0])
    assert links[["layer", "feature_id"]].values.tolist() == [["change", ids[1]]]
    assert R.to_items(store, rows[rows["verdict"] != "not_greened"], actor="staff") == []


def test_cli_regreen(tmp_path, capsys, monkeypatch):
    from geo.cli.main import main
    from geo.store import open_store

    db = str(tmp_path / "c.gpkg")
    store = open_store(db, create=True)
    ids, rid, folder = setup_page(store, tmp_path)
    monkeypatch.setenv("FOREST_IMAGERY_DIR", str(folder))
    assert main(["imagery", "regreen", "--db", db, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["checked"] == 3 and [r["label"] for r in out["not_greened"]] == ["B"]
    assert main(["imagery", "regreen", "--db", db, "--items", "--system"]) == 0  # (no account in this store)
    assert "未复绿 1 个" in capsys.readouterr().out and len(store.items()) == 1
