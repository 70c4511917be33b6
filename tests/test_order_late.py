"""A 林长令 response after the deadline is late (迟报) — one rule (:func:`geo.chief.orders.is_late`)
seen alike in the register (an order's zones and details), the ledger's 林长令 sheet and the
bulletin; one on or before the deadline is not. The zones an order addresses come from the zones
register: an unknown zone, or one no longer in force, is refused by the write path and the CLI.
On both backends (a store with three zones, built here)."""

from __future__ import annotations

import io

import geopandas as gpd
import pytest
from docx import Document
from openpyxl import load_workbook
from shapely.geometry import MultiPolygon, box

from geo.chief.orders import details, is_late, respond, status_of_zones
from geo.core.config import Settings
from geo.core.errors import ValidationError
from geo.core.timeutil import today_local
from geo.engine import records, workflow
from geo.report import render
from tests.review_support import geo_cli

A, B, OLD = "甲县旗县级责任区", "乙县旗县级责任区", "丙县旗县级责任区"


@pytest.fixture
def zones(store):
    """Three banner zones: 甲县's and 乙县's in force, 丙县's ended."""
    frame = gpd.GeoDataFrame(
        {"name": [A, B, OLD], "level": ["banner"] * 3, "county_code": ["152224", "152223", "152222"],
         "county": ["突泉县", "扎赉特旗", "科尔沁右翼中旗"], "valid_to": [None, None, "2024-01-01"]},
        geometry=[MultiPolygon([box(121 + i, 45, 121.5 + i, 45.5)]) for i in range(3)], crs=4490)
    with store.transaction() as tx:
        ids = store.insert_features(tx, "zone", frame, actor="staff")
    return store, dict(zip([A, B, OLD], (int(i) for i in ids)))


def add_order(store, no: str, addressed, deadline="2024-06-30") -> int:
    return records.add(store, "order", {"order_no": no, "issued_on": "2024-06-01", "subject": "加强防火工作",
                                        "addressed": addressed, "deadline": deadline}, actor="staff")


def ledger_rows(store) -> list[dict]:
    ws = load_workbook(io.BytesIO(render(store, "xlsx", settings=Settings())))["林长令"]
    head = [c.value for c in ws[2]]
    return [dict(zip(head, (c.value for c in r))) for r in ws.iter_rows(min_row=3) if r[0].value is not None]


def bulletin_text(store) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(render(store, "docx", settings=Settings()))).paragraphs)


def test_the_rule():
    order = {"deadline": "2024-06-30"}
    assert is_late(order, {"on": "2024-07-01"})
    assert not is_late(order, {"on": "2024-06-30"})  # the deadline day is on time
    assert not is_late(order, {"on": "2024-06-01"})
    assert not is_late(order, None) and not is_late({"deadline": None}, {"on": "2024-07-01"})


def test_a_response_after_the_deadline_is_late_in_the_register_ledger_and_bulletin(zones):
    store, ids = zones
    fid = add_order(store, "兴林长令〔2024〕1号", f"{A}、#{ids[B]}")
    assert store.get_feature("order", fid)["addressed"] == f"{A}、{B}"  # kept as the zones' names
    respond(store, fid, ids[A], "已部署落实", on="2024-06-30", actor="staff")  # on the deadline day
    respond(store, fid, ids[B], "已部署落实", on="2024-07-05", actor="staff")  # five days late
    order = store.get_feature("order", fid)
    by_zone = {z["zone"]: z for z in status_of_zones(store, order, today_local())}
    assert (by_zone[A]["state"], by_zone[A]["late"]) == ("responded", False)
    assert (by_zone[B]["state"], by_zone[B]["late"]) == ("late", True)
    table = details(store, order)[0][1]
    assert dict(zip(table["责任区"], table["状态"])) == {A: "已反馈", B: "迟报"}
    assert dict(zip(table["责任区"], table["是否迟报"])) == {A: "否", B: "是"}

    # a second order answered on time: not late anywhere
    ok = add_order(store, "兴林长令〔2024〕2号", [A])
    respond(store, ok, ids[A], "已落实", on="2024-06-10", actor="staff")
    assert not any(z["late"] for z in status_of_zones(store, store.get_feature("order", ok), today_local()))

    rows = {r["令号"]: r for r in ledger_rows(store)}
    assert rows["兴林长令〔2024〕1号"]["是否迟报"] == "是"
    assert rows["兴林长令〔2024〕1号"]["迟报责任区"] == f"{B}（2024-07-05反馈）"
    assert rows["兴林长令〔2024〕2号"]["是否迟报"] == "否" and not rows["兴林长令〔2024〕2号"]["迟报责任区"]

    text = bulletin_text(store)
    assert "督促林长令落实" in text and "共签发林长令2张" in text
    assert "各责任区已反馈3个，其中迟报1个" in text


def test_responses_on_time_are_not_late_and_the_bulletin_says_nothing_of_them(zones):
    store, ids = zones
    fid = add_order(store, "兴林长令〔2024〕3号", f"{ids[A]},{ids[B]}")
    respond(store, fid, ids[A], "已落实", on="2024-06-05", actor="staff")
    respond(store, fid, ids[B], "已落实", on="2024-06-30", actor="staff")
    order = store.get_feature("order", fid)
    assert order["status"] == "done"
    assert {z["state"] for z in status_of_zones(store, order, today_local())} == {"responded"}
    assert [r["是否迟报"] for r in ledger_rows(store)] == ["否"]
    text = bulletin_text(store)
    assert "迟报" not in text and "督促林长令落实" not in text


def test_an_order_to_an_unknown_or_ended_zone_is_refused(zones):
    store, _ = zones
    with pytest.raises(ValidationError) as err:
        add_order(store, "兴林长令〔2024〕4号", f"{A}、不存在的责任区")
    assert "不存在的责任区" in err.value.zh and err.value.zh.startswith("下达责任区中找不到")
    with pytest.raises(ValidationError) as err:
        add_order(store, "兴林长令〔2024〕4号", "#9999")
    assert "9999" in err.value.zh
    with pytest.raises(ValidationError) as err:
        add_order(store, "兴林长令〔2024〕4号", OLD)
    assert "已停用" in err.value.zh
    with pytest.raises(ValidationError) as err:
        add_order(store, "兴林长令〔2024〕4号", "、")
    assert "至少下达一个责任区" in err.value.zh
    assert store.count("order") == 0
    fid = add_order(store, "兴林长令〔2024〕4号", A)
    with pytest.raises(ValidationError):  # an edit naming an unknown zone, too
        workflow.edit(store, "order", fid, actor="staff", fields={"addressed": "不存在的责任区"})
    assert store.get_feature("order", fid)["addressed"] == A


def test_the_zones_offered_are_those_in_force(zones):
    store, ids = zones
    assert records.choices(store, "zone") == {ids[B]: B, ids[A]: A}  # (by county code)


def test_text_stored_before_zones_were_chosen_is_shown_as_it_is(zones):
    store, _ = zones
    fid = add_order(store, "兴林长令〔2024〕5号", A)
    with store.transaction() as tx:  # as an order written before: free text naming no zone
        tx.execute("UPDATE chief_orders SET addressed = ? WHERE id = ?", ["全盟各旗县", fid])
    order = store.get_feature("order", fid)
    assert status_of_zones(store, order, today_local()) == []
    table = details(store, order)[0][1]
    assert table.iloc[0]["下达责任区"] == "全盟各旗县"
    assert [r["下达责任区"] for r in ledger_rows(store)] == ["全盟各旗县"]


def test_the_cli_takes_zone_names_or_ids_and_refuses_unknown_ones(zones, store_url):
    store, ids = zones
    base = ("add", "--layer", "order", "--system", "--field", "order_no=兴林长令〔2024〕6号",
            "--field", "issued_on=2024-06-01", "--field", "subject=测试", "--field", "deadline=2024-06-30")
    refused = geo_cli(*base, "--field", f"addressed={A}、不存在的责任区", db=store_url, check=2)
    assert "下达责任区中找不到：不存在的责任区" in refused.stderr
    refused = geo_cli(*base, "--field", f"addressed={OLD}", db=store_url, check=2)
    assert "责任区已停用" in refused.stderr
    assert store.count("order") == 0
    geo_cli(*base, "--field", f"addressed={ids[A]}、{B}", db=store_url, check=0)
    assert store.read_layer("order", geometry=False)["addressed"].tolist() == [f"{A}、{B}"]


# ------------------------------------------------------------------------------ the pages (demo, AppTest)
def _register_page(monkeypatch, demo_path, user):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def page():
        from dashboard.views.register import render

        render("order")

    monkeypatch.setenv("FOREST_DB", str(demo_path))
    st.cache_resource.clear()
    at = AppTest.from_function(page, default_timeout=120)
    at.session_state["user"] = user
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_pages_offer_the_users_zones_and_show_a_late_response(monkeypatch, demo_path):
    from geo.access.auth import Access
    from geo.store import open_store
    from tests.test_app import run_app

    staff = {"name": "tuquan_staff", "display_name": "突泉县数据管理员", "role": "staff", "counties": ["152224"],
             "disabled": False}
    at = _register_page(monkeypatch, demo_path, staff)
    pick = next(m for m in at.multiselect if m.label.startswith("下达责任区"))
    store = open_store(str(demo_path))
    zones = store.read_layer("zone", columns=["name", "county_code"], geometry=False)
    mine = zones[zones["county_code"] == "152224"]
    assert len(pick.options) == len(mine) > 1 and set(pick.options) <= set(mine["name"])

    # 科右中旗 answers the overdue order today, after its deadline: 迟报 on the 督办 page
    orders = store.read_layer("order", geometry=False).to_dict("records")
    rec, zone = next((o, z) for o in orders for z in status_of_zones(store, o, today_local()) if z["overdue"])
    respond(store, rec["id"], zone["zone_id"], "已书面报告", actor="horqin_mid_inspector",
            access=Access("horqin_mid_inspector", "inspector", frozenset({"152222"})))
    admin = {"name": "admin", "display_name": "系统管理员", "role": "admin", "counties": [], "disabled": False}
    at = run_app(monkeypatch, demo_path, "views/escalation.py", user=admin)
    assert not at.exception, at.exception
    assert int(next(m for m in at.metric if m.label == "迟报（责任区）").value) == 1
    table = next(d.value for d in at.dataframe if "反馈情况" in d.value.columns)
    assert (table["反馈情况"] == f"迟报（{today_local().isoformat()}反馈）").sum() == 1
