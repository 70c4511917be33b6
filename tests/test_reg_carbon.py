"""Carbon sink (碳汇一张图): the factor arithmetic against a hand computation, a 小班 shapefile with
Chinese field names through the normal ingest path → figures per county → illegal loss subtracted
→ the page's overview; the factor table replaced by configuration; no 小班, no numbers."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo.carbon import carbon
from geo.core import crs as C
from geo.core.errors import ConfigError
from geo.ingest import commit, prepare
from geo.engine import overview as O
from geo.engine.figures import figures_of
from geo.declare import registry as S
from tests.test_ingest import TUQUAN, add_counties, opts, zipped


def test_factor_arithmetic_matches_a_hand_computation():
    """The shipped table's larch row (SVD 0.490, BEF 1.416, R 0.212, CF 0.5211) and steppe row
    (6.5 t d.m./ha, CF 0.47), worked by hand:

    * larch, 10 ha at 100 m³/ha = 1000 m³ → stem 1000 × 0.490 = 490 t d.m. → above ground × 1.416 =
      693.84 t → with roots × 1.212 = 840.93408 t → carbon × 0.5211 = 438.210749 t C;
    * five years earlier at 80 m³/ha: 800 m³ → 350.568599 t C; sink (438.210749 − 350.568599) / 5 =
      17.528430 t C/yr × 44/12 = 64.270910 t CO₂/yr;
    * steppe, 20 ha: 20 × 6.5 × 0.47 = 61.1 t C, no sink (IPCC Tier 1);
    * shrubland without a stock volume, and an unknown species: not computed, with the reason.
    """
    frame = pd.DataFrame([
        dict(land_class="乔木林地", species="兴安落叶松", volume_per_ha=100.0, area_ha=10.0, survey_year=2023,
             prev_year=2018, prev_volume_per_ha=80.0),
        dict(land_class="天然牧草地", grass_type="温性典型草原", area_ha=20.0),
        dict(land_class="灌木林地", species="山杏", area_ha=5.0),
        dict(land_class="乔木林地", species="桉树", volume_per_ha=60.0, area_ha=3.0),
    ])
    res = carbon.compute(frame, carbon.factors())
    assert res["carbon_t"].iloc[0] == pytest.approx(438.210749, rel=1e-8)
    assert res["biomass_t"].iloc[0] == pytest.approx(840.93408, rel=1e-9)
    assert res["carbon_prev_t"].iloc[0] == pytest.approx(350.568599, rel=1e-8)
    assert res["sink_tco2_yr"].iloc[0] == pytest.approx(64.270910, rel=1e-7)
    assert res["carbon_t"].iloc[1] == pytest.approx(61.1) and res["sink_tco2_yr"].iloc[1] == 0.0
    assert list(res["reason"]) == [None, None, "no_volume", "no_factor"]
    assert np.isnan(res["carbon_t"].iloc[2]) and np.isnan(res["carbon_t"].iloc[3])
    # a 小班 volume given as a total wins over volume per ha × area
    total = carbon.compute(pd.DataFrame([dict(land_class="111", species="落叶松", volume_m3=500.0, area_ha=10.0,
                                              volume_per_ha=1.0)]), carbon.factors())
    assert total["carbon_t"].iloc[0] == pytest.approx(438.210749 / 2, rel=1e-8)


def test_every_factor_row_names_a_source_and_the_table_is_replaceable(tmp_path, monkeypatch):
    table = carbon.factors()
    assert set(table.forest["source"]) | set(table.grass["source"]) <= set(table.sources)
    assert all(len(v) > 40 for v in table.sources.values())
    mine = tmp_path / "my_factors.csv"
    mine.write_text("kind,key,zh,aliases,wood_density,bef,root_shoot,carbon_fraction,biomass_t_ha,source\n"
                    "forest,larch,落叶松,兴安落叶松,0.5,2.0,0.25,0.5,,mine\n", encoding="utf-8")
    cfg = tmp_path / "forest.toml"
    cfg.write_text(f'carbon_factors = "{mine}"\n', encoding="utf-8")
    monkeypatch.setenv("FOREST_CONFIG", str(cfg))
    from geo.core.config import load_settings

    res = carbon.compute(pd.DataFrame([dict(land_class="乔木林地", species="兴安落叶松", volume_m3=100.0,
                                            area_ha=1.0)]), carbon.factors(load_settings()))
    assert res["carbon_t"].iloc[0] == pytest.approx(100 * 0.5 * 2.0 * 1.25 * 0.5)
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,key,zh,aliases,wood_density,bef,root_shoot,carbon_fraction,biomass_t_ha,source\n"
                   "forest,larch,落叶松,,zero,1,0.2,0.5,,x\n", encoding="utf-8")
    cfg.write_text(f'carbon_factors = "{bad}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        carbon.factors(load_settings())
    assert "wood_density" in err.value.zh and "正数" in err.value.zh


def _subcompartments():
    """A 林场 of three 小班 in 突泉县 with an inventory table's Chinese column names; area in 亩."""
    x, y = TUQUAN
    geoms = [box(x, y, x + 0.004, y + 0.003), box(x + 0.004, y, x + 0.008, y + 0.003),
             box(x, y + 0.003, x + 0.004, y + 0.006)]
    ha, mu, _ = C.areas_ha_mu(np.array(geoms, dtype=object))
    return gpd.GeoDataFrame({
        "林班": ["012"] * 3, "小班号": ["001", "002", "003"], "地类": ["乔木林地", "天然牧草地", "灌木林地"],
        "优势树种": ["樟子松", None, "山杏"], "龄组": ["中龄林", None, None], "每公顷蓄积": [90.0, None, None],
        "前期每公顷蓄积": [70.0, None, None], "前期调查年度": [2018, None, None], "调查年度": [2023] * 3,
        "草地类型": [None, "温性典型草原", None], "面积": np.round(mu, 2),
    }, geometry=geoms, crs=4490), ha


def test_a_subcompartment_file_goes_through_ingest_to_figures_with_the_illegal_loss_apart(store, tmp_path):
    add_counties(store)
    frame, ha = _subcompartments()
    report = prepare(zipped(frame, stem="小班"),
                     opts(layer="subcompartment", batch="2023年森林资源小班", source="二类调查"), store)
    assert report.mapping["小班号"] == "xiao_ban" and report.mapping["每公顷蓄积"] == "volume_per_ha"
    # a DBF keeps 10 bytes of a column name: five GBK characters, still mapped
    assert report.mapping["前期每公顷"] == "prev_volume_per_ha" and report.mapping["前期调查年"] == "prev_year"
    commit(report, store, actor="staff")
    subs = store.read_layer("subcompartment", geometry=False)
    assert len(subs) == 3 and set(subs["county_code"]) == {"152224"}
    # the reported area was in 亩 and is read as 公顷
    assert subs["area_reported_ha"].round(2).tolist() == pytest.approx(np.round(ha, 2).tolist(), abs=0.011)
    ha = subs.sort_values("xiao_ban")["area_ha"].to_numpy()  # (as computed in its Gauss-Krüger zone)
    lyr = S.layer("subcompartment")
    fig = figures_of(store, lyr)
    t = carbon.compute(subs.sort_values("xiao_ban").reset_index(drop=True), carbon.factors())
    pine = ha[0] * 90.0 * 0.375 * 1.425 * (1 + 0.241) * 0.5223
    grass = ha[1] * 6.5 * 0.47
    assert t["carbon_t"].iloc[0] == pytest.approx(pine, rel=1e-6)
    assert fig["carbon_stock_t"]["total"] == pytest.approx(round(pine + grass, 1), abs=0.06)
    assert fig["carbon_stock_t"]["by_county"] == {"152224": fig["carbon_stock_t"]["total"]}
    assert fig["uncounted"]["total"] == 1 and fig["illegal_loss_t"]["total"] == 0
    sink = (pine - ha[0] * 70.0 * 0.375 * 1.425 * 1.241 * 0.5223) / 5 * 44 / 12
    assert fig["annual_sink_tco2"]["total"] == pytest.approx(round(sink, 1), abs=0.06)
    # a change polygon verified illegal over the west half of the pine 小班 takes half its carbon
    x, y = TUQUAN
    change = gpd.GeoDataFrame({"polygon_no": ["W1"], "verdict": ["illegal"], "status": ["case_filed"],
                               "after_date": ["2024-05-01"], "county_code": ["152224"]},
                              geometry=[box(x - 0.001, y - 0.001, x + 0.002, y + 0.004)], crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "change", change, actor="staff")
    # ... and one verified illegal before the survey changes nothing (the survey saw it already)
    old = change.assign(polygon_no=["W0"], after_date=["2019-05-01"],
                        geometry=[box(x + 0.0041, y + 0.0001, x + 0.0079, y + 0.0029)])
    with store.transaction() as tx:
        store.insert_features(tx, "change", old, actor="staff")
    fig = figures_of(store, lyr)
    sub = shapely.box(x, y, x + 0.004, y + 0.003)
    share = C.areas_m2(np.array([sub.intersection(change.geometry.iloc[0])], dtype=object))[0][0] / \
        C.areas_m2(np.array([sub], dtype=object))[0][0]
    assert share == pytest.approx(0.5, abs=0.01)
    assert fig["illegal_loss_t"]["total"] == pytest.approx(round(pine * share, 1), abs=0.06)
    assert fig["carbon_net_t"]["total"] == pytest.approx(fig["carbon_stock_t"]["total"] - pine * share, abs=0.1)
    # stats --json carries the same figures
    from geo.stats.summary import summary

    assert summary(store)["registers"]["subcompartment"]["illegal_loss_t"] == fig["illegal_loss_t"]
    # the page: figures, a county choropleth, the reasons a 小班 was not computed, the factor sources
    panels = carbon.panels(store, {"lang": "zh"})
    kinds = [type(p).__name__ for p in panels]
    assert kinds[:2] == ["Metrics", "Choropleth"]
    choro = panels[1]
    assert choro.frame["name"].tolist() == ["突泉县"] and choro.frame["carbon_stock_t"].iloc[0] > 0
    reasons = next(p for p in panels if isinstance(p, O.Table) and "原因" in p.title).frame
    assert reasons.iloc[0, 0].startswith("林地没有蓄积")
    # the sources by their Chinese names (the English citation in the English page)
    assert "《2006年IPCC国家温室气体清单指南》" in panels[-1].text and "LY/T 2253" in panels[-1].text
    assert "IPCC 2006 Guidelines" in carbon.panels(store, {"lang": "en"})[-1].text
    # a 小班's details show each step
    rec = store.get_feature("subcompartment", int(subs.loc[subs["xiao_ban"] == "001", "id"].iloc[0]))
    (caption, table), = carbon.details(store, rec)
    assert "0.375 × 1.425 × (1+0.241) × 0.5223" in table["值"].tolist()
    # the paragraph of the bulletin
    text = carbon.bulletin(fig, {})
    assert text.startswith("碳汇一张图：经测算，全盟林草植被碳储量") and "已从碳储量中扣除" in text
    assert "另有1个小班因缺少蓄积或因子未计入" in text


def test_without_a_subcompartment_layer_the_page_says_what_is_needed_and_no_number_is_made_up(store):
    lyr = S.layer("subcompartment")
    fig = figures_of(store, lyr)
    assert fig["carbon_stock_t"] == {"total": None, "by_county": {}}
    assert fig["annual_sink_tco2"]["total"] is None
    (notice,) = carbon.panels(store, {"lang": "zh"})
    assert isinstance(notice, O.Notice) and notice.level == "warning"
    assert "优势树种" in notice.text and "每公顷蓄积" in notice.text and "--layer subcompartment" in notice.text
    assert carbon.bulletin(fig, {}) is None  # the bulletin sent upward invents no carbon paragraph either
    assert json.dumps(fig)  # (stats --json serialises it)
