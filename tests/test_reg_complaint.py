"""12345 complaints: the hotline's Excel export (merged title, grouped headers, cells merged down
the rows, dates as offices write them, some coordinates) → placed by coordinates, village or
township, the rest listed for placing by hand → assigned to the zone's chief or a unit → handled →
replied with satisfaction → the seeds' figures and paragraph; deadlines per category from the
settings; links to the change polygons nearby."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import Point, box

from geo.complaint import complaints
from geo.engine import workflow
from geo.declare import registry as S
from geo.access.auth import Access
from geo.core.errors import PermissionDenied, ValidationError
from geo.engine import overview as O
from geo.ingest import tables
from geo.engine.operations import operate
from geo.engine.figures import figures_of
from tests.test_reg_enterprise import admin

HEAD = ["工单编号", "受理时间", "诉求人信息", None, "事发地址", "诉求类型", "诉求内容", "经纬度", "办理情况", None, None]
SUB = [None, None, "姓名", "联系电话", None, None, None, None, "承办单位", "办结时间", "满意度"]
TICKETS = [  # ticket, received, caller, phone, address, category, content, lon/lat, unit, closed, satisfaction
    ("2024050900123", "2024/5/9 9:05", "王某", "139****1234", "突泉县六户镇永安村东山", "农林牧渔>草原保护>偷牧",
     "反映有牧民在禁牧区偷牧", None, "六户镇人民政府", "2024/5/12", "满意"),
    ("2024051100045", dt.datetime(2024, 5, 11, 14, 30), "李某", "150****8899", "突泉镇北侧林地", "林业>乱砍滥伐",
     "反映有人盗伐杨树", None, "突泉县林草局", None, None),
    ("2024052000311", "2024年5月20日 10时2分", "张某", None, "", "应急管理>防火", "发现烧荒冒烟",
     "121.6020,45.7020", None, None, None),
    ("2024060100007", "2024-06-01 08:00:00", "赵某", None, "突泉县国道111线旁树林", "其他", "咨询采伐证办理",
     None, None, None, None),
    ("2024060300019", "2024-06-03 16:20", "孙某", None, "索伦镇", "农林牧渔>草原保护", "反映有人开垦草原种地",
     None, "科右前旗林草局", "2024-06-06", "基本满意"),
]


def export(path, rows=TICKETS):
    wb = Workbook()
    ws = wb.active
    ws.title = "工单明细"
    ws.append(["兴安盟12345政务服务便民热线工单明细表（林草类）"])
    ws.merge_cells("A1:K1")
    ws.append(HEAD)
    ws.append(SUB)
    for col in "ABEFGH":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("C2:D2")
    ws.merge_cells("I2:K2")
    for r in rows:
        ws.append(list(r))
    # the two 突泉 tickets handled by the same unit: the export merges the unit cell down the rows
    if rows[1:3] == TICKETS[1:3]:
        ws["I5"] = "突泉县林草局"
        ws.merge_cells("I5:I6")
    ws.append([])
    ws.append(["制表：兴安盟12345热线办公室"])
    wb.save(path)
    return path


def places(store, tmp_path):
    """Counties and townships, a village list imported from CSV, a township zone with its chief, and
    a change polygon verified illegal near the coordinates of one ticket."""
    admin(store)
    villages = tmp_path / "嘎查村名录.csv"
    villages.write_text("嘎查村,苏木乡镇,旗县,经度,纬度,别名\n永安村,六户镇,突泉县,121.80,45.60,永安屯\n"
                        "永安村,突泉镇,突泉县,121.20,45.50,\n", encoding="utf-8")
    assert tables.import_file(store, "village", villages, actor="staff")["stored"] == 2
    zone = gpd.GeoDataFrame({"name": ["六户镇责任区"], "level": ["township"], "chief_name": ["包巴特尔"],
                             "chief_post": ["六户镇党委书记、林长"], "county_code": ["152224"], "township": ["六户镇"]},
                            geometry=[box(121.5, 45.3, 122.1, 46.05)], crs=4490)
    change = gpd.GeoDataFrame({"polygon_no": ["W0001"], "verdict": ["illegal"], "county_code": ["152224"]},
                              geometry=[box(121.603, 45.701, 121.606, 45.704)], crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "zone", zone, actor="test")
        store.insert_features(tx, "change", change, actor="test")


def test_a_hotline_export_is_placed_assigned_handled_replied_and_counted(store, tmp_path):
    places(store, tmp_path)
    report = tables.import_file(store, "complaint", export(tmp_path / "12345工单.xlsx"), actor="staff")
    assert report["stored"] == 5
    assert report["mapping"]["诉求人信息·联系电话"] == "caller_phone" and report["mapping"]["办理情况·满意度"] == "satisfaction"
    c = {r["ticket_no"]: r for r in store.read_layer("complaint").to_dict("records")}
    grazing = c["2024050900123"]
    # the address named 六户镇 and 永安村: the 六户镇 one of the two villages of that name
    assert (grazing["located_by"], grazing["place_match"], grazing["township"]) == ("village", "永安村", "六户镇")
    assert (grazing["geometry"].x, grazing["geometry"].y) == (121.80, 45.60)
    assert grazing["category"] == "grazing" and grazing["received_at"] == "2024-05-09T01:05:00Z"
    assert grazing["due_on"] == "2024-05-14"  # 5 days for grazing
    assert grazing["status"] == "replied" and grazing["satisfaction"] == "satisfied"  # closed in the export
    logging = c["2024051100045"]
    assert logging["located_by"] == "township" and logging["township"] == "突泉镇"
    assert logging["assignee_unit"] == "突泉县林草局" and logging["status"] == "assigned"  # (merged cell, filled)
    fire = store.get_feature("complaint", c["2024052000311"]["id"])
    assert fire["located_by"] == "coordinates" and fire["category"] == "fire"
    assert [(l["layer"], l["label"]) for l in fire["links"]] == [("change", "W0001")] and fire["links"][0]["m"] < 150
    lost = c["2024060100007"]
    assert lost["located_by"] is None and (lost["geometry"] is None or lost["geometry"].is_empty)
    assert lost["county_code"] == "152224"  # the county the address names: visible to its inspectors
    assert c["2024060300019"]["satisfaction"] == "basic" and c["2024060300019"]["county"] == "科尔沁右翼前旗"

    # the same export again: refused, naming the tickets, nothing stored
    with pytest.raises(ValidationError) as err:
        tables.import_file(store, "complaint", export(tmp_path / "again.xlsx"), actor="staff")
    assert "已导入过" in err.value.zh and store.count("complaint") == 5

    # the two 突泉 tickets the export merged one unit cell over arrive assigned to it
    assert (fire["status"], fire["assignee_unit"]) == ("assigned", "突泉县林草局")
    with pytest.raises(ValidationError, match="not offered"):  # assigned already
        operate(store, "complaint", fire["id"], "assign_chief", {}, actor="staff")

    # the unplaced one: no zone, so no chief to assign it to; listed on the page, placed by hand,
    # then assigned to its zone's chief
    with pytest.raises(ValidationError, match="unit by hand"):
        operate(store, "complaint", lost["id"], "assign_chief", {}, actor="staff")
    panels = complaints.panels(store, {"lang": "zh"})
    waiting = next(p for p in panels if isinstance(p, O.Table) and p.title == "待手动定位的诉求").frame
    assert waiting["ID"].tolist() == [lost["id"]]
    operate(store, "complaint", lost["id"], "place", {}, actor="staff", geometry=Point(121.70, 45.80))
    placed = store.get_feature("complaint", lost["id"])
    assert placed["located_by"] == "manual" and placed["township"] == "六户镇" and placed["zone_id"] is not None
    assert [e["action"] for e in store.history("complaint", lost["id"])][-1] == "place"
    operate(store, "complaint", lost["id"], "assign_chief", {}, actor="staff")
    got = store.get_feature("complaint", lost["id"])
    from geo.core.timeutil import today_local

    assert got["status"] == "assigned" and got["assignee"] == "包巴特尔（六户镇党委书记、林长）"
    assert got["assignee_unit"] == "六户镇责任区林长" and got["assigned_on"] == today_local().isoformat()
    for fid in (fire["id"], logging["id"], lost["id"]):
        workflow.transition(store, "complaint", fid, "handled", actor="staff", fields={"handling": "已到场处置"})
    with pytest.raises(Exception, match="satisfaction"):
        workflow.transition(store, "complaint", fire["id"], "replied", actor="staff", fields={"reply": "已处置"})
    workflow.transition(store, "complaint", fire["id"], "replied", actor="staff",
                        fields={"reply": "已处置", "satisfaction": "不满意"})
    workflow.transition(store, "complaint", logging["id"], "replied", actor="staff",
                        fields={"reply": "已查处", "satisfaction": "满意"})
    assert store.get_feature("complaint", fire["id"])["replied_on"] == today_local().isoformat()  # stamped

    fig = figures_of(store, S.layer("complaint"))
    total = {k: v["total"] for k, v in fig.items()}
    assert (total["received"], total["closed"], total["open"], total["overdue"]) == (5, 4, 1, 1)
    assert total["satisfaction_pct"] == 75.0 and total["rated"] == 4  # 满意 2 + 基本满意 1 of 4 rated
    assert total["unplaced"] == 0 and total["cat_grazing"] == 1 and total["cat_fire"] == 1
    assert fig["received"]["by_county"] == {"152224": 4, "152221": 1}
    text = complaints.bulletin(fig, {})
    assert text.startswith("接诉即办：接收12345热线5条，已办结4条，办结满意率75%，正在办理1条（其中逾期1条）。")


def test_deadlines_follow_the_configured_days_per_category(store, tmp_path, monkeypatch):
    cfg = tmp_path / "forest.toml"
    cfg.write_text("[complaint_days]\ngrazing = 2\nfire = 0\n", encoding="utf-8")
    monkeypatch.setenv("FOREST_CONFIG", str(cfg))
    admin(store)
    tables.import_file(store, "complaint", export(tmp_path / "x.xlsx", TICKETS[:3]), actor="staff")
    due = dict(zip(*[store.read_layer("complaint", columns=["ticket_no", "due_on"], geometry=False)[c]
                     for c in ("ticket_no", "due_on")]))
    assert due == {"2024050900123": "2024-05-11", "2024051100045": "2024-05-14", "2024052000311": "2024-05-20"}


def test_county_inspectors_see_and_import_only_their_county(store, tmp_path):
    from geo.access.scope import ScopedStore

    admin(store)
    front = Access(user="qq", role="inspector", counties=frozenset({"152221"}))
    with pytest.raises(PermissionDenied):  # the file holds 突泉县 tickets too
        tables.import_file(store, "complaint", export(tmp_path / "all.xlsx"), actor="qq", access=front)
    assert store.count("complaint") == 0
    tables.import_file(store, "complaint", export(tmp_path / "front.xlsx", TICKETS[4:]), actor="qq", access=front)
    tables.import_file(store, "complaint", export(tmp_path / "rest.xlsx", TICKETS[:4]), actor="staff")
    seen = ScopedStore(store, front).read_layer("complaint", columns=["ticket_no"], geometry=False)
    assert seen["ticket_no"].tolist() == ["2024060300019"]
    fig = figures_of(ScopedStore(store, front), S.layer("complaint"), counties=["152221"])
    assert fig["received"]["total"] == 1 and fig["satisfaction_pct"]["total"] == 100.0
