"""Fire prevention registers (cameras and lookouts, hazards, fire breaks) on the register engine:
real-shaped files in through the CLI, placed on the map (county, township, zone), moved through
their workflow, and counted — each figure against a hand computation — on both backends."""

from __future__ import annotations

import datetime as dt
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo.core import crs as C
from geo.engine import workflow
from geo.core.errors import TransitionError, ValidationError
from geo.engine import figures as F
from geo.engine import records
from geo.fire.layers import CAMERA, FIREBREAK, HAZARD
from geo.core.timeutil import today_local
from tests.helpers import jpeg
from tests.test_cli import geo

COUNTY = box(121.0, 46.0, 121.4, 46.3)
WEST, EAST = box(121.0, 46.0, 121.2, 46.3), box(121.2, 46.0, 121.4, 46.3)
POLYGON_FACTOR = math.sin(2 * math.pi / 64) / (2 * math.pi / 64)  # a 64-gon circle's area / πr²


# ------------------------------------------------------------------------------ a small place
def place(store) -> dict:
    """A county (two townships), its zones — the county's and each township's — and their chief
    posts: the west township's filled, the east one's vacant. Returns the ids."""
    at = "2024-01-01T00:00:00Z"
    admin = gpd.GeoDataFrame({"code": ["152224", "152224001", "152224002"], "name": ["突泉县", "西镇", "东镇"],
                              "level": ["county", "township", "township"], "parent_code": ["152200", "152224", "152224"]},
                             geometry=[COUNTY, WEST, EAST], crs=4490)
    zones = gpd.GeoDataFrame({"name": ["突泉县旗县级责任区", "西镇责任区", "东镇责任区"],
                              "level": ["banner", "township", "township"], "county_code": "152224",
                              "county": "突泉县", "township": [None, "西镇", "东镇"]},
                             geometry=[COUNTY, WEST, EAST], crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "admin", admin, actor="test", at=at)
        zid = store.insert_features(tx, "zone", zones, actor="test", at=at)
        posts = gpd.GeoDataFrame({"title": ["突泉县总林长", "西镇林长", "东镇林长"], "level": ["banner", "township", "township"],
                                  "role": "chief", "zone_id": zid, "holder_name": ["县林长甲", "西镇林长乙", None],
                                  "status": ["filled", "filled", "vacant"], "county_code": "152224"},
                                 geometry=[None] * 3, crs=4490)
        pid = store.insert_features(tx, "post", posts, actor="test", at=at)
    return {"zones": dict(zip(["county", "west", "east"], zid)), "posts": dict(zip(["county", "west", "east"], pid))}


@pytest.fixture
def placed(store):
    ids = place(store)
    return store, ids


def csv_file(path, rows: list[dict], encoding="gb18030"):
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def regs(db) -> dict:
    return json.loads(geo("stats", "--json", db=db, check=0).stdout)["registers"]


# ------------------------------------------------------------------------------ cameras
def test_coverage_is_the_seen_share_of_the_land_measured_in_its_gk_zone():
    from geo.fire.cameras import coverage

    # a 20 km × 20 km square of land drawn in the CGCS2000 GK zone of 120°E (EPSG:4549)
    sq = shapely.segmentize(box(580_000, 5_100_000, 600_000, 5_120_000), 500)
    land = gpd.GeoDataFrame({"county_code": ["X"]},
                            geometry=C.transform_geoms(np.array([sq], dtype=object), "EPSG:4549", C.CGCS2000), crs=4490)
    pts = [shapely.Point(590_000, 5_110_000), shapely.Point(580_000, 5_110_000), shapely.Point(590_000, 5_110_000),
           shapely.Point(640_000, 5_110_000)]
    cams = gpd.GeoDataFrame({"radius_m": [3000.0, 2000.0, 1000.0, 5000.0]},
                            geometry=C.transform_geoms(np.array(pts, dtype=object), "EPSG:4549", C.CGCS2000), crs=4490)
    table, covered = coverage(cams, land)
    # by hand: a whole 3 km circle, half of a 2 km circle on the edge, a 1 km circle inside the
    # first (no extra), a camera 40 km away (nothing)
    seen = POLYGON_FACTOR * math.pi * (3 ** 2 + 2 ** 2 / 2)
    row = table.iloc[0]
    assert row["land_km2"] == pytest.approx(400.0, rel=1e-4)
    assert row["covered_km2"] == pytest.approx(seen, rel=2e-3)
    assert row["share"] == pytest.approx(seen / 400.0, rel=2e-3)
    assert row["cameras"] == 3
    back = C.areas_m2(covered.geometry.values)[0][0] / 1e6  # the map's shape measures the same
    assert back == pytest.approx(seen, rel=5e-3)


def test_cameras_from_an_office_csv_to_coverage_per_county(placed, tmp_path):
    store, _ = placed
    year = today_local().year
    path = csv_file(tmp_path / "防火监控台账.csv", [
        {"名称": "一号监控", "类型": "林区视频监控", "经度": 121.06, "纬度": 46.05, "可视半径": 3000,
         "建成日期": f"{year}/3/1", "管护单位": "突泉县林草局"},
        {"名称": "中心瞭望塔", "类型": "瞭望塔", "经度": 121.20, "纬度": 46.15, "可视半径": "",
         "建成日期": "2019/6/30", "管护单位": "突泉县林草局"},
        {"名称": "路口监控", "类型": "路口监控", "经度": 121.35, "纬度": 46.27, "可视半径": 500,
         "建成日期": f"{year}年5月8日", "管护单位": "东镇"},
    ])
    out = json.loads(geo("import-table", path, "--layer", "camera", "--system", "--json", db=store.url, check=0).stdout)
    assert out["stored"] == 3
    cams = store.read_layer("camera", geometry=False)
    by = {r["name"]: r for r in cams.to_dict("records")}
    assert by["中心瞭望塔"]["camera_kind"] == "lookout" and by["中心瞭望塔"]["radius_m"] == 10000.0  # by its type
    assert json.loads(by["中心瞭望塔"]["flags"])["radius_default"] is True
    assert by["路口监控"]["township"] == "东镇" and by["一号监控"]["township"] == "西镇"
    assert set(cams["county_code"]) == {"152224"} and cams["zone_id"].notna().all()
    got = regs(store.url)["camera"]
    # by hand: three circles inside the county, apart from each other
    seen = POLYGON_FACTOR * math.pi * (3 ** 2 + 10 ** 2 + 0.5 ** 2)
    county_km2 = C.areas_m2(np.array([COUNTY], dtype=object))[0][0] / 1e6
    assert got["covered_km2"]["by_county"]["152224"] == pytest.approx(seen, abs=0.1)
    assert got["coverage_pct"]["by_county"]["152224"] == pytest.approx(round(100 * seen / county_km2, 1), abs=0.1)
    assert got["cameras"]["total"] == 2 and got["lookouts"]["total"] == 1 and got["built_this_year"]["total"] == 2
    # a faulty lookout sees nothing until repaired
    lookout = int(by["中心瞭望塔"]["id"])
    workflow.transition(store, "camera", lookout, "faulty", actor="test", comment="云台故障")
    again = regs(store.url)["camera"]
    assert again["covered_km2"]["total"] == pytest.approx(POLYGON_FACTOR * math.pi * 9.25, abs=0.1)
    assert again["faulty"]["total"] == 1
    with pytest.raises(ValidationError, match="radius"):
        records.add(store, "camera", {"name": "错单位", "camera_kind": "camera", "radius_m": 5_000_000},
                    geometry=shapely.Point(121.1, 46.1), actor="test")


# ------------------------------------------------------------------------------ hazards
def test_hazards_from_a_list_through_assignment_rectification_and_figures(placed, tmp_path):
    store, ids = placed
    today = today_local()
    long_ago = today - dt.timedelta(days=60)
    path = csv_file(tmp_path / "防火隐患排查表.csv", [
        {"隐患内容": "林缘可燃物堆积", "隐患类别": "可燃物堆积", "发现日期": today.isoformat(), "经度": 121.1,
         "纬度": 46.1, "WKT": ""},
        {"隐患内容": "秸秆堆放紧邻林地", "隐患类别": "可燃物堆积", "发现日期": today.strftime("%Y/%m/%d"), "经度": "",
         "纬度": "", "WKT": "POLYGON ((121.30 46.10, 121.302 46.10, 121.302 46.102, 121.30 46.102, 121.30 46.10))"},
        {"隐患内容": "坟地祭祀用火", "隐患类别": "违规野外用火", "发现日期": long_ago.isoformat(), "经度": 121.15,
         "纬度": 46.2, "WKT": ""},
        {"隐患内容": "县界外的隐患", "隐患类别": "其他", "发现日期": today.isoformat(), "经度": 121.6, "纬度": 46.1,
         "WKT": ""},
    ])
    out = json.loads(geo("import-table", path, "--layer", "hazard", "--system", "--json", db=store.url, check=0).stdout)
    west, east, old, outside = out["ids"]
    plot = store.get_feature("hazard", east)
    assert plot["geometry"].geom_type == "Polygon" and plot["area_ha"] == pytest.approx(
        C.areas_ha_mu(np.array([plot["geometry"]], dtype=object))[0][0], rel=1e-6)
    assert plot["township"] == "东镇" and store.get_feature("hazard", west)["hazard_category"] == "fuel"
    # assigned without a unit: to the zone's chief — the west township's, and for the east one
    # (its chief post vacant) the county's; the deadline found + hazard_rectify_days (30)
    workflow.transition(store, "hazard", west, "assigned", actor="staff")
    workflow.transition(store, "hazard", east, "assigned", actor="staff")
    w, e = store.get_feature("hazard", west), store.get_feature("hazard", east)
    assert (w["assignee"], w["assignee_post"]) == ("西镇林长乙", ids["posts"]["west"])
    assert (e["assignee"], e["assignee_post"]) == ("县林长甲", ids["posts"]["county"])
    assert w["deadline"] == (today + dt.timedelta(days=30)).isoformat()
    with pytest.raises(ValidationError, match="unit"):  # outside every zone: a unit must be named
        workflow.transition(store, "hazard", outside, "assigned", actor="staff")
    workflow.transition(store, "hazard", outside, "assigned", actor="staff", fields={"unit": "邻县林草局"})
    workflow.transition(store, "hazard", old, "assigned", actor="staff")  # due 30 days after it was found: overdue
    # rectified needs the measure and photos; verified stamps who and when
    with pytest.raises(TransitionError, match="evidence"):
        workflow.transition(store, "hazard", west, "rectified", actor="staff", fields={"measure": "清理可燃物"})
    workflow.transition(store, "hazard", west, "rectified", actor="staff", fields={"measure": "清理可燃物"},
                        attachments=[("整改后.jpg", jpeg())])
    workflow.transition(store, "hazard", west, "verified", actor="leader_check")
    w = store.get_feature("hazard", west)
    assert (w["rectified_on"], w["verified_on"], w["verified_by"]) == (today.isoformat(), today.isoformat(), "leader_check")
    assert len(store.history("hazard", west)[-2]["attachment_ids"]) == 1
    workflow.transition(store, "hazard", east, "rectified", actor="staff", fields={"measure": "清运"},
                        attachments=[("a.jpg", jpeg())])
    with pytest.raises(TransitionError, match="comment"):  # sent back only with a reason
        workflow.transition(store, "hazard", east, "assigned", actor="staff")
    # the CLI refuses in the user's language with exit 2
    proc = geo("transition", "--layer", "hazard", "--id", old, "--to", "verified", "--system", db=store.url, check=2)
    assert "不能变更为" in proc.stderr + proc.stdout
    got = regs(store.url)["hazard"]
    frame = store.read_layer("hazard", geometry=False)
    this_year = frame["found_on"].str[:4] == str(today.year)
    assert got["found"]["total"] == int(this_year.sum()) == (4 if long_ago.year == today.year else 3)
    assert got["eliminated"]["total"] == 2  # west (verified) and east (rectified), both this year
    assert got["open"]["total"] == 2 and got["overdue"]["total"] == 1  # outside and old; old is past due
    assert got["overdue"]["by_county"] == {"152224": 1}
    # on the map: exported with id, status and version, as every layer
    gj = tmp_path / "隐患.geojson"
    geo("export", "--layer", "hazard", "--format", "geojson", "--out", gj, db=store.url, check=0)
    feats = json.loads(gj.read_text())["features"]
    assert {f["properties"]["id"] for f in feats} == {west, east, old, outside}
    assert {f["properties"]["status"] for f in feats} == {"verified", "rectified", "assigned"}


def test_a_hazards_deadline_follows_the_configured_days(placed, tmp_path):
    store, _ = placed
    found = today_local() - dt.timedelta(days=12)
    fid = records.add(store, "hazard", {"title": "线路下方树木超高", "found_on": found.isoformat()},
                      geometry=shapely.Point(121.1, 46.1), actor="test")
    cfg = tmp_path / "forest.toml"
    cfg.write_text("hazard_rectify_days = 10\n", encoding="utf-8")
    late = regs_with(store.url, cfg)["hazard"]["overdue"]["total"]
    cfg.write_text("hazard_rectify_days = 20\n", encoding="utf-8")
    assert (late, regs_with(store.url, cfg)["hazard"]["overdue"]["total"]) == (1, 0)
    frame = store.read_layer("hazard", geometry=False)
    from geo.core.config import Settings

    assert F.due(HAZARD, frame, Settings(hazard_rectify_days=10)).tolist() == [(found + dt.timedelta(days=10)).isoformat()]
    assert fid == int(frame["id"].iloc[0])


def regs_with(db, cfg) -> dict:
    return json.loads(geo("stats", "--json", db=db, env={"FOREST_CONFIG": str(cfg)}, check=0).stdout)["registers"]


# ------------------------------------------------------------------------------ fire breaks
def test_fire_breaks_from_a_projected_file_to_km_planned_and_cleared(placed, tmp_path):
    store, _ = placed
    year = today_local().year
    # two straight breaks drawn in the GK zone of 120°E, as a county survey delivers them
    lines = [shapely.LineString([(585_000, 5_100_000), (585_000, 5_112_000)]),
             shapely.LineString([(590_000, 5_105_000), (595_500, 5_105_000)])]
    src = gpd.GeoDataFrame({"名称": ["一号阻隔带", "二号阻隔带"], "年度": [year, year], "类型": ["生土阻隔带", "割打防火隔离带"],
                            "宽度": [20, 15]}, geometry=lines, crs="EPSG:4549")
    path = tmp_path / "阻隔带.geojson"
    src.to_file(path, driver="GeoJSON")
    out = json.loads(geo("ingest", path, "--layer", "firebreak", "--batch", f"{year}年阻隔带", "--system", "--json",
                         db=store.url, check=0).stdout)
    assert out["stored"] == 2
    frame = store.read_layer("firebreak", geometry=False).sort_values("name")
    assert frame["length_km"].tolist() == pytest.approx([12.0, 5.5], abs=0.002)  # measured in its GK zone
    assert frame["planned_km"].tolist() == pytest.approx([12.0, 5.5], abs=0.002)  # the register's rule, on ingest too
    assert frame["break_kind"].tolist() == ["soil", "mowed"] and set(frame["county_code"]) == {"152224"}
    one, two = frame["id"].astype(int).tolist()
    with pytest.raises(ValidationError, match="length"):
        workflow.transition(store, "firebreak", two, "cleared", actor="staff", fields={"cleared_km": 20})
    workflow.transition(store, "firebreak", one, "in_progress", actor="staff")
    workflow.transition(store, "firebreak", one, "cleared", actor="staff", fields={"cleared_km": 11.5})
    got = regs(store.url)["firebreak"]
    assert got["planned_km"]["total"] == pytest.approx(17.5, abs=0.05)
    assert got["cleared_km"]["total"] == pytest.approx(11.5)
    assert got["cleared_pct"]["total"] == pytest.approx(round(100 * 11.5 / 17.5, 1), abs=0.1)
    assert store.get_feature("firebreak", one)["cleared_on"] == today_local().isoformat()
    # next year's plan on the same line; not twice
    from geo.engine.operations import operate

    new = operate(store, "firebreak", one, "next_year", {}, actor="staff")
    nxt = store.get_feature("firebreak", new)
    assert (nxt["year"], nxt["status"], nxt["planned_km"]) == (year + 1, "planned", pytest.approx(12.0, abs=0.002))
    assert nxt["geometry"].equals_exact(store.get_feature("firebreak", one)["geometry"], 1e-9)
    with pytest.raises(ValidationError, match="already"):
        operate(store, "firebreak", one, "next_year", {}, actor="staff")
    assert regs(store.url)["firebreak"]["planned_km"]["total"] == pytest.approx(17.5, abs=0.05)  # this year's only


def test_the_fire_paragraph_speaks_the_seeds_words():
    from geo.fire.bulletin import paragraph

    figs = {"hazard": {"found": {"total": 40}, "eliminated": {"total": 33}, "open": {"total": 0}},
            "firebreak": {"cleared_km": {"total": 166.0}, "planned_km": {"total": 166.0}},
            "camera": {"cameras": {"total": 56}, "lookouts": {"total": 9}, "built_this_year": {"total": 12},
                       "coverage_pct": {"total": 13.2}}}
    text = paragraph(figs, {"today": dt.date(2025, 12, 31)})
    assert "及时消除森林防火隐患33处" in text and "清理森林防火阻隔带166公里" in text
    assert "2025年新建监控12处" in text and "13.2%" in text and "尚有" not in text
    assert paragraph({}, {}) is None


def test_the_demo_holds_the_seeds_figures(demo_store):
    figs = {k: F.figures_of(demo_store, lyr) for k, lyr in (("camera", CAMERA), ("hazard", HAZARD),
                                                             ("firebreak", FIREBREAK))}
    assert figs["hazard"]["eliminated"]["total"] == 33
    assert figs["firebreak"]["cleared_km"]["total"] == pytest.approx(166.0)
    assert figs["camera"]["built_this_year"]["total"] > 0 and 0 < figs["camera"]["coverage_pct"]["total"] < 100
    notes = demo_store.read_layer("hazard", columns=["note"], geometry=False)["note"]
    assert (notes == "演示数据").all()
