"""Wood-processing enterprises: an office's enterprise list (Excel, merged title and two-level
headers) → the register and the map → forest border computed from the 小班 layer or recorded →
the year's sample drawn, reproducibly → checks recorded with photos → the figures and the bulletin
paragraph; the credit code's check character."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from openpyxl import Workbook
from shapely.geometry import box

from geo.enterprise import samples
from geo.enterprise import enterprises
from geo.engine import workflow
from geo.declare import registry as S
from geo.access.auth import Access
from geo.core.errors import PermissionDenied, ValidationError
from geo.ingest import tables
from geo.engine.operations import operate
from geo.engine.figures import figures_of
from tests.helpers import jpeg

TUQUAN = box(120.9, 45.3, 122.1, 46.05)
FRONT = box(120.0, 46.05, 122.1, 47.0)


def admin(store):
    """Two counties, each of two townships (west and east halves)."""
    rows = [dict(code="152224", name="突泉县", level="county", geometry=TUQUAN),
            dict(code="152221", name="科尔沁右翼前旗", level="county", geometry=FRONT),
            dict(code="152224001", name="突泉镇", level="township", parent_code="152224",
                 geometry=box(120.9, 45.3, 121.5, 46.05)),
            dict(code="152224002", name="六户镇", level="township", parent_code="152224",
                 geometry=box(121.5, 45.3, 122.1, 46.05)),
            dict(code="152221001", name="索伦镇", level="township", parent_code="152221",
                 geometry=box(120.0, 46.05, 121.0, 47.0)),
            dict(code="152221002", name="归流河镇", level="township", parent_code="152221",
                 geometry=box(121.0, 46.05, 122.1, 47.0))]
    with store.transaction() as tx:
        store.insert_features(tx, "admin", gpd.GeoDataFrame(rows, crs=4490), actor="test")
    return store


def forest(store):
    """One forest 小班 and one grassland 小班 in 突泉县 (none in 科右前旗)."""
    frame = gpd.GeoDataFrame({"land_class": ["乔木林地", "天然牧草地"], "species": ["樟子松", None],
                              "county_code": ["152224", "152224"], "xiao_ban": ["001", "002"]},
                             geometry=[box(121.60, 45.70, 121.61, 45.71), box(121.70, 45.70, 121.71, 45.71)], crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "subcompartment", frame, actor="test")


def credit(body17: str) -> str:
    return body17 + enterprises.credit_check_char(body17)


ROWS = [  # name, credit code, licence, lon, lat, capacity, borders (as recorded), address
    ("突泉县宏达木材加工厂", credit("91152224MA0N1A2B3"), "兴林木加〔2023〕001号", 121.6115, 45.7050, 1200, "否",
     "突泉县六户镇宏达路8号"),   # ~90 m east of the pine 小班: borders it (computed)
    ("突泉县福森家具厂", credit("92152224MA0N1A2B4"), "兴林木加〔2023〕002号", 121.7050, 45.7050, 600, "是",
     "突泉县六户镇"),           # inside grassland, 7 km from forest: does not border (computed beats recorded)
    ("突泉镇鑫源木制品加工部", credit("92152224MA0N1A2B5"), None, 121.20, 45.60, 300, None, "突泉镇"),
    ("科右前旗索伦金桦木业有限公司", credit("91152221MA0N1A2B6"), "兴林木加〔2022〕011号", 120.50, 46.50, 8000,
     "是", "索伦镇"),            # no 小班 in 科右前旗: as recorded
    ("科右前旗归流河森茂木材经销部", credit("92152221MA0N1A2B7"), None, 121.50, 46.40, 900, "否", "归流河镇"),
    ("科右前旗归流河永顺木材加工厂", credit("92152221MA0N1A2B8"), None, 121.60, 46.45, 1500, None, "归流河镇"),
]


def workbook(path, rows=ROWS):
    """The list as an office keeps it: a merged title, group headers over two-level columns, a note."""
    wb = Workbook()
    ws = wb.active
    ws.title = "企业名录"
    ws.append(["兴安盟木材经营加工企业名录（2024年12月）"])
    ws.merge_cells("A1:I1")
    ws.append(["序号", "企业基本信息", None, None, "位置", None, "年加工能力", "是否与林地接壤", "经营地址"])
    ws.append([None, "企业名称", "统一社会信用代码", "木材经营加工许可证号", "经度", "纬度", None, None, None])
    for col in ("A", "G", "H", "I"):
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("B2:D2")
    ws.merge_cells("E2:F2")
    for i, (name, code, lic, lon, lat, cap, border, addr) in enumerate(rows, start=1):
        ws.append([i, name, code, lic, lon, lat, cap, border, addr])
    ws.append([])
    ws.append(["注：年加工能力单位为立方米/年。"])
    wb.save(path)
    return path


# ------------------------------------------------------------------------------ credit codes
def test_credit_codes_are_checked_by_their_check_character():
    assert enterprises.credit_code("914403001922038216") == "914403001922038216"  # a published code
    assert enterprises.credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert enterprises.credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"  # full-width
    with pytest.raises(ValidationError) as err:
        enterprises.credit_code("914403001922038217")
    assert "校验位不符" in err.value.zh and "应为“6”" in err.value.zh
    with pytest.raises(ValidationError, match="18 characters"):
        enterprises.credit_code("9144030019220382")
    with pytest.raises(ValidationError) as err:
        enterprises.credit_code("91440300192203821O")
    assert "不允许的字符" in err.value.zh


# ------------------------------------------------------------------------------ the round trip
def test_an_enterprise_list_goes_to_the_map_the_sample_the_checks_and_the_figures(store, tmp_path):
    admin(store)
    forest(store)
    report = tables.import_file(store, "enterprise", workbook(tmp_path / "企业名录.xlsx"), actor="staff")
    assert report["stored"] == 6 and report["rows"] == 6
    m = report["mapping"]
    assert (m["企业基本信息·企业名称"], m["企业基本信息·统一社会信用代码"], m["年加工能力"]) == \
        ("name", "credit_code", "capacity_m3")
    ents = store.read_layer("enterprise")
    by = {r["name"]: r for r in ents.to_dict("records")}
    near = by["突泉县宏达木材加工厂"]
    assert near["borders_forest"] is True and near["border_basis"] == "computed"
    assert 60 < near["forest_distance_m"] < 120 and near["township"] == "六户镇" and near["county_code"] == "152224"
    assert by["突泉县福森家具厂"]["borders_forest"] is False  # recorded "是", but 7 km from forest land
    assert by["突泉县福森家具厂"]["border_basis"] == "computed"
    recorded = by["科右前旗索伦金桦木业有限公司"]
    assert recorded["borders_forest"] is True and recorded["border_basis"] == "recorded"
    assert all(isinstance(g, shapely.Point) for g in ents.geometry)  # (the map draws these)

    # a wrong credit code refuses the whole file, naming the row
    bad = list(ROWS)
    bad[2] = bad[2][:1] + ("92152224MA0N1A2B50",) + bad[2][2:]
    with pytest.raises(ValidationError) as err:
        tables.import_file(store, "enterprise", workbook(tmp_path / "bad.xlsx", bad), actor="staff")
    assert "第 3 条" in err.value.zh and "校验位" in err.value.zh
    assert store.count("enterprise") == 6

    # this year's sample: 30% of 6 → 2, reproducible from its seed
    from geo.core.timeutil import today_local

    today = today_local()
    sid = samples.draw_sample(store, today.year, actor="staff", seed=42)
    rec = store.get_feature("enterprise_sample", sid)
    assert rec["size"] == 2 and rec["population"] == 6 and rec["share"] == 0.3 and rec["seed"] == 42
    assert samples.verify(store, sid)["ids_match"] is True
    drawn = [int(i) for i in rec["ids"]]

    # checks: one sampled enterprise checked with a photo; fire inspections of the bordering ones
    cid = operate(store, "enterprise", drawn[0], "source_check",
                  {"checked_on": today.isoformat(), "result": "pass", "inspector": "张三"}, actor="staff",
                  attachments=[("现场照片.jpg", jpeg())])
    check = store.get_feature("enterprise_check", cid)
    assert check["sample_id"] == sid and check["year"] == today.year and check["county_code"] is not None
    assert store.get_feature("enterprise", drawn[0])["last_source_check"] == today.isoformat()
    assert [e["action"] for e in store.history("enterprise", drawn[0])][-1] == "inspect"
    assert any(e.get("attachment_ids") for e in store.history("enterprise_check", cid))
    for _ in range(2):
        operate(store, "enterprise", near["id"], "fire_check", {"checked_on": today.isoformat(), "result": "pass"},
                actor="staff")
    operate(store, "enterprise", recorded["id"], "fire_check", {"checked_on": today.isoformat(), "result": "pass"},
            actor="staff")
    fig = figures_of(store, S.layer("enterprise"))
    total = {k: v["total"] for k, v in fig.items()}
    assert (total["enterprises"], total["bordering"]) == (6, 2)
    assert (total["sample_required"], total["sample_size"], total["sample_checked"]) == (2, 2, 1)
    assert total["sample_completion_pct"] == 50.0
    assert (total["fire_inspections"], total["fire_ok"], total["fire_short"]) == (3, 1, 1)
    assert fig["fire_short"]["by_county"] == {"152221": 1}
    text = enterprises.bulletin(fig, {})
    assert text.startswith("木材经营加工企业监管：已排查登记木材经营加工企业6家，其中与林地接壤2家。")
    assert "抽取2家开展木材来源检查" in text and "完成率50%" in text and "1家尚未达到" in text
    # deregistering leaves the frame of next year's draw
    workflow.transition(store, "enterprise", by["突泉县福森家具厂"]["id"], "deregistered", actor="staff",
                        comment="已停产注销")
    assert figures_of(store, S.layer("enterprise"))["enterprises"]["total"] == 5
    # a new 小班 layer: the forest border is recomputed as an edit event
    with store.transaction() as tx:
        store.insert_features(tx, "subcompartment", gpd.GeoDataFrame(
            {"land_class": ["乔木林地"], "species": ["白桦"], "county_code": ["152221"]},
            geometry=[box(121.501, 46.399, 121.51, 46.41)], crs=4490), actor="test")
    out = enterprises.refresh_borders(store, actor="staff")
    assert by["科右前旗归流河森茂木材经销部"]["id"] in out["changed"]
    assert store.get_feature("enterprise", by["科右前旗归流河森茂木材经销部"]["id"])["borders_forest"] is True


# ------------------------------------------------------------------------------ the draw
def test_the_draw_is_reproducible_stratified_and_never_below_the_share():
    frame = {i: ("突泉县·突泉镇" if i <= 10 else "突泉县·六户镇" if i <= 16 else "突泉县·水泉镇") for i in range(1, 20)}
    ids, strata = samples.draw(frame, 7, 0.3)
    assert samples.draw(frame, 7, 0.3) == (ids, strata)  # same seed, same sample
    assert len(ids) == 6  # ceil(0.3 × 19)
    assert {k: v["drawn"] for k, v in strata.items()} == {"突泉县·突泉镇": 3, "突泉县·六户镇": 2, "突泉县·水泉镇": 1}
    assert samples.draw(frame, 8, 0.3)[0] != ids  # another seed, another sample
    # the rank is sha256("seed:id"), so anyone can redo it by hand
    import hashlib

    town = sorted(range(1, 11), key=lambda i: hashlib.sha256(f"7:{i}".encode()).hexdigest())[:3]
    assert set(town) <= set(ids)
    with pytest.raises(ValidationError):
        samples.draw(frame, 7, 1.5)
    for share in (0.1, 0.3, 0.55, 1.0):
        assert len(samples.draw(frame, 3, share)[0]) >= share * 19


def test_a_recorded_sample_is_verified_one_per_year_and_a_county_draws_only_its_own(store, tmp_path, capsys):
    from geo.cli.main import main

    admin(store)
    tables.import_file(store, "enterprise", workbook(tmp_path / "list.xlsx"), actor="staff")
    sid = samples.draw_sample(store, 2025, actor="staff", seed=20250301)
    with pytest.raises(ValidationError) as err:
        samples.draw_sample(store, 2025, actor="staff", seed=1)
    assert "已有有效的抽查名单" in err.value.zh
    with pytest.raises(ValidationError):  # a county draw while a league-wide one is in force
        samples.draw_sample(store, 2025, actor="staff", county_code="152224", seed=1)
    workflow.transition(store, "enterprise_sample", sid, "superseded", actor="staff", comment="名单漏登两家企业")
    inspector = Access(user="tq", role="inspector", counties=frozenset({"152224"}))
    with pytest.raises(PermissionDenied):  # a county inspector may not draw for the whole league
        samples.draw_sample(store, 2025, actor="tq", access=inspector, seed=5)
    mine = samples.draw_sample(store, 2025, actor="tq", access=inspector, county_code="152224", seed=5)
    rec = store.get_feature("enterprise_sample", mine)
    assert rec["population"] == 3 and rec["county"] == "突泉县"
    # the CLI draws and verifies the same way
    url = store.url
    assert main(["sample", "draw", "--year", "2026", "--seed", "99", "--db", url, "--system", "--json"]) == 0
    drawn = json.loads(capsys.readouterr().out)
    assert drawn["size"] == 2 and drawn["seed"] == 99 and drawn["method"] == samples.METHOD
    assert main(["sample", "verify", "--id", str(drawn["id"]), "--db", url, "--json"]) == 0
    audit = json.loads(capsys.readouterr().out)
    assert audit["ids_match"] and audit["frame_matches_register"] and audit["recorded"] == drawn["ids"]
    # a list altered afterwards is caught
    other = sorted(set(range(1, 7)) - set(drawn["ids"]))[:2]
    with store.transaction() as tx:
        tx.execute("UPDATE enterprise_samples SET ids = ? WHERE id = ?", [json.dumps(other), drawn["id"]])
    assert main(["sample", "verify", "--id", str(drawn["id"]), "--db", url, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["ids_match"] is False


def test_checks_belong_to_the_enterprise_county(store, tmp_path):
    admin(store)
    tables.import_file(store, "enterprise", workbook(tmp_path / "list.xlsx"), actor="staff")
    ents = store.read_layer("enterprise", columns=["name", "county_code"], geometry=False)
    front = int(ents.loc[ents["county_code"] == "152221", "id"].iloc[0])
    inspector = Access(user="tq", role="inspector", counties=frozenset({"152224"}))
    with pytest.raises(PermissionDenied):
        operate(store, "enterprise", front, "source_check", {"checked_on": "2026-05-01", "result": "pass"},
                actor="tq", access=inspector)
    with pytest.raises(ValidationError) as err:
        operate(store, "enterprise", front, "fire_check", {"checked_on": "2099-01-01", "result": "pass"},
                actor="staff")
    assert "不能晚于今天" in err.value.zh
    assert store.count("enterprise_check") == 0
