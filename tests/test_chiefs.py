"""The forest-chief system as live registers: a roster imported from an office's Excel (merged
header cells, one sheet per level), chiefs changing post with the boards of that post going stale,
zones replaced by a new version with gaps and overlaps reported, and every feature attributed to
its zone's chief when it arrives — shown in its details and its export."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from openpyxl import Workbook

from geo.chief import chiefs
from geo.chief import zones
from geo.core.errors import ValidationError
from geo.ingest import tables
from tests.test_cli import geo

TUQUAN = "152224"


def roster(path: Path, zone_names: dict[str, list[str]], bad_zone: str | None = None) -> Path:
    """An office's roster: a merged title row, a two-level header ("林长" over 姓名 | 职务), one sheet
    per level, a note under the table."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet, names in zone_names.items():
        ws = wb.create_sheet(sheet)
        ws.append([f"突泉县{sheet}名册"] + [None] * 5)
        ws.merge_cells("A1:F1")
        ws.append(["序号", "林长", None, "责任区域", "联系电话", "工作单位"])
        ws.append([None, "姓名", "职务", None, None, None])
        ws.merge_cells("B2:C2")
        for col in "ADEF":
            ws.merge_cells(f"{col}2:{col}3")
        for i, zone in enumerate(names, start=1):
            ws.append([i, f"林{sheet[:2]}{i}", f"{zone}林长", bad_zone if (bad_zone and i == 1) else zone,
                       f"1380000{i:04d}", f"{zone}人民政府"])
        ws.append(["注：本表由林长办填报"])
    wb.save(path)
    return path


def test_an_office_roster_with_merged_headers_becomes_people_posts_and_appointments(demo_store, tmp_path):
    live = demo_store.read_layer("zone", where={"county_code": TUQUAN}, columns=["name", "level"], geometry=False)
    towns = live[live["level"] == "township"]["name"].tolist()[:3]
    villages = live[live["level"] == "village"]["name"].tolist()[:4]
    path = roster(tmp_path / "突泉县林长名册.xlsx", {"苏木乡镇级林长": towns, "嘎查村级林长": villages})
    preview = tables.read(path, "post")
    assert preview.sheets == ["苏木乡镇级林长", "嘎查村级林长"] and len(preview.frame) == 7  # title, header, note skipped
    assert preview.mapping["林长·姓名"] == "holder_name" and preview.mapping["林长·职务"] == "title"
    assert preview.mapping["责任区域"] == "zone_name" and preview.mapping["联系电话"] == "phone"
    people_before = demo_store.count("person")
    res = json.loads(geo("import-table", path, "--layer", "post", "--system", "--json", db=demo_store.url,
                         check=0).stdout)
    assert res["stored"] == 7
    posts = demo_store.read_layer("post", ids=res["ids"], geometry=False)
    assert sorted(posts["level"].tolist()) == ["township"] * 3 + ["village"] * 4  # from the sheet names
    assert set(posts["status"]) == {"filled"} and posts["zone_id"].notna().all()
    assert demo_store.count("person") == people_before + 7
    person = demo_store.get_feature("person", int(posts["holder_id"].iloc[0]))
    assert person["unit"].endswith("人民政府")  # the unit column went to the person
    history = chiefs.tenures(demo_store, int(posts["id"].iloc[0]))
    assert history["name"].tolist() == [posts["holder_name"].iloc[0]]


def test_a_roster_naming_an_unknown_zone_changes_nothing(demo_store, tmp_path):
    live = demo_store.read_layer("zone", where={"county_code": TUQUAN, "level": "township"}, columns=["name"],
                                 geometry=False)["name"].tolist()[:2]
    path = roster(tmp_path / "名册.xlsx", {"苏木乡镇级林长": live}, bad_zone="不存在的苏木")
    before = (demo_store.count("post"), demo_store.count("person"))
    res = geo("import-table", path, "--layer", "post", "--system", db=demo_store.url, check=2)
    assert "不存在的苏木" in res.stderr and "未导入任何数据" in res.stderr
    assert (demo_store.count("post"), demo_store.count("person")) == before


def test_a_chief_changing_post_flags_exactly_the_boards_of_that_post(demo_store):
    from geo.stats.field import signboards

    boards = signboards(demo_store)
    before = set(boards[boards["chief_changed"]]["id"])
    fresh = boards[~boards["chief_changed"] & boards["post_id"].notna() & (boards["status"] == "ok")]
    post_id = int(fresh["post_id"].iloc[0])
    mine = set(boards[boards["post_id"] == post_id]["id"])
    person = demo_store.read_layer("person", columns=["name"], geometry=False)["id"].iloc[-1]
    chiefs.appoint(demo_store, post_id, int(person), "2026-01-05", actor="admin")
    after = signboards(demo_store)
    assert set(after[after["chief_changed"]]["id"]) == before | mine
    # updating a board to the current holder clears it, and only it
    from geo.engine.operations import operate

    board = sorted(mine)[0]
    operate(demo_store, "signboard", board, "refresh", {}, actor="admin")
    after = signboards(demo_store)
    assert set(after[after["chief_changed"]]["id"]) == (before | mine) - {board}
    assert demo_store.get_feature("signboard", board)["chief_name"] == demo_store.get_feature("person", int(person))["name"]


def _zones_file(tmp_path, county_geom) -> Path:
    """Two township zones of a county with one gap (a strip no zone covers) and one overlap."""
    minx, miny, maxx, maxy = county_geom.bounds
    mid = (minx + maxx) / 2
    w = (maxx - minx) * 0.02
    west = shapely.intersection(county_geom, shapely.box(minx, miny, mid + w, maxy))  # overlaps east by w
    east = shapely.intersection(county_geom, shapely.box(mid, miny, maxx, maxy - (maxy - miny) * 0.1))  # leaves a gap
    frame = gpd.GeoDataFrame({"名称": ["西部新网格", "东部新网格"], "级别": ["苏木乡镇级", "苏木乡镇级"]},
                             geometry=[west, east], crs=4490)
    path = tmp_path / "新责任区.gpkg"
    frame.to_file(path, driver="GPKG")
    return path


def test_replacing_a_countys_zones_reports_gaps_and_overlaps_and_reattributes_features(demo_store, tmp_path):
    county = demo_store.read_layer("admin", where={"code": TUQUAN}, columns=[]).geometry.iloc[0]
    path = _zones_file(tmp_path, county)
    res = json.loads(geo("zones", "replace", path, "--county", TUQUAN, "--from", "2026-01-01", "--system", "--json",
                         db=demo_store.url, check=0).stdout)
    assert res["added"] == 2 and res["ended"] > 2
    assert res["check"]["gaps"]["count"] >= 1 and res["check"]["gaps"]["area_mu"] > 0
    assert res["check"]["overlaps"]["count"] == 1 and res["check"]["overlaps"]["area_mu"] > 0
    assert res["reattributed"]["change"] > 0
    # the old version stays in history; the features say, as events, from which zone to which
    old = demo_store.read_layer("zone", where={"county_code": TUQUAN, "level": "township"}, columns=["valid_to"],
                                geometry=False)
    assert (old["valid_to"] == "2026-01-01").sum() == len(old) - 2
    ev = demo_store.events("change", actions=["attribute"])
    assert len(ev) == res["reattributed"]["change"]
    some = demo_store.get_feature("change", int(ev["feature_id"].iloc[0]))
    names = {c["zone"] for c in chiefs.for_feature(demo_store, some)}
    assert names & {"西部新网格", "东部新网格"}


def test_a_zones_file_outside_the_county_is_refused(demo_store, tmp_path):
    far = gpd.GeoDataFrame({"名称": ["外地网格"], "级别": ["苏木乡镇级"]},
                           geometry=[shapely.box(100, 30, 100.1, 30.1)], crs=4490)
    path = tmp_path / "wrong.gpkg"
    far.to_file(path, driver="GPKG")
    before = demo_store.count("zone")
    res = geo("zones", "replace", path, "--county", TUQUAN, "--system", db=demo_store.url, check=2)
    assert "不在突泉县范围内" in res.stderr
    assert demo_store.count("zone") == before


def test_polygons_uploaded_into_a_county_with_zones_get_their_chief(demo_store, tmp_path):
    from tests.test_ingest import tb, zipped

    frame = tb(5, prefix="CH")
    path = tmp_path / "批次.zip"
    path.write_bytes(zipped(frame, stem="批次").files["批次.zip"])
    res = json.loads(geo("ingest", path, "--layer", "change", "--batch", "2026年第1期", "--system", "--json", db=demo_store.url,
                         check=0).stdout)
    new = demo_store.read_layer("change", where={"batch_id": res["batch_id"]}, columns=["zone_id", "zones"],
                                geometry=False)
    assert len(new) == res["stored"] > 0 and new["zone_id"].notna().all()
    feat = demo_store.get_feature("change", int(new["id"].iloc[0]))
    levels = chiefs.for_feature(demo_store, feat)
    assert levels and levels[0]["name"]  # the finest zone's chief, by name
    out = tmp_path / "导出.xlsx"
    geo("export", "--layer", "change", "--format", "xlsx", "--out", out, "--where", f"batch_id={res['batch_id']}",
        db=demo_store.url, check=0)
    import pandas as pd

    sheet = pd.read_excel(out)
    assert "责任区林长" in sheet.columns and sheet["责任区林长"].notna().all()
    assert levels[0]["name"] in sheet["责任区林长"].iloc[0]


def test_uploading_into_a_store_without_zones_still_works(tmp_path):
    from geo.store import open_store
    from tests.test_ingest import tb, zipped

    db = tmp_path / "empty.gpkg"
    store = open_store(str(db), create=True)
    path = tmp_path / "批次.zip"
    path.write_bytes(zipped(tb(3, prefix="NZ")).files[next(iter(zipped(tb(3, prefix="NZ")).files))])
    res = json.loads(geo("ingest", path, "--layer", "change", "--batch", "无责任区", "--system", "--json", db=db, check=0).stdout)
    feat = store.get_feature("change", int(store.read_layer("change", columns=[], geometry=False)["id"].iloc[0]))
    assert res["stored"] == 3 and feat["zone_id"] is None and chiefs.for_feature(store, feat) == []


def test_zone_check_finds_nothing_wrong_in_a_clean_partition(demo_store):
    problems = zones.check(demo_store, TUQUAN)
    assert problems["outside_parent"] == [] and problems["overlaps"] == []
    with pytest.raises(ValidationError):
        zones.replace(demo_store, TUQUAN, gpd.GeoDataFrame({"name": [], "level": []}, geometry=[], crs=4490),
                      actor="admin")
