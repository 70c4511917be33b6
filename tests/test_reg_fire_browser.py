"""The fire-prevention pages in Debian Chromium: signed in, each page renders its table and
summary, a record opens from a link, and a workflow step done on the page is stored."""

from __future__ import annotations

import pytest

from geo.store import open_store
from tests.browser import choose, login, wait_drawn, wait_idle
from tests.conftest import DEMO_PASSWORDS, Dashboard

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dash(demo_master, tmp_path_factory):
    path = tmp_path_factory.mktemp("fire") / "demo.gpkg"
    open_store(str(demo_master)).backup(path)
    d = Dashboard(path).start()
    yield d
    d.stop()


def first(store, layer, **where):
    frame = store.read_layer(layer, where=where, geometry=False)
    return frame.sort_values("id").iloc[0].to_dict()


def open_record(page, dash, key, rec, label):
    login(page, dash.url, "staff", DEMO_PASSWORDS["staff"], path=f"r-{key}?id={int(rec['id'])}")
    page.get_by_role("heading", name=str(rec[label])).wait_for()


def actions_tab(page):
    page.get_by_role("tab", name="办理").click()
    wait_idle(page)


def test_camera_page_maps_the_coverage_and_records_a_fault(dash, page):
    store = open_store(dash.db)
    cam = first(store, "camera", status="active", camera_kind="camera")
    open_record(page, dash, "camera", cam, "name")
    page.get_by_text("监控覆盖（按可视半径的圆计算").wait_for()  # the coverage per county above the list
    page.get_by_role("tab", name="地图").click()
    wait_idle(page)
    n = wait_drawn(page, minimum=1)
    assert n == store.count("camera")
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    covered = frame.evaluate("""() => { let n = 0; window.map.eachLayer(l => {
        if (l.feature && l.feature.properties && l.feature.properties.county_code) n++; }); return n; }""")
    assert covered >= 1  # the coverage layer beneath the cameras
    actions_tab(page)
    choose(page, "流程操作", "登记故障")
    page.get_by_label("说明（必填）").fill("云台故障，画面中断")
    page.get_by_role("button", name="登记故障").click()
    wait_idle(page)
    page.get_by_text("已办理").first.wait_for()
    rec = store.get_feature("camera", int(cam["id"]))
    assert rec["status"] == "faulty" and store.history("camera", int(cam["id"]))[-1]["comment"] == "云台故障，画面中断"


def test_hazard_page_assigns_a_hazard_to_its_zones_chief(dash, page):
    from geo.fire.hazards import zone_chief

    store = open_store(dash.db)
    haz = first(store, "hazard", status="found")
    open_record(page, dash, "hazard", haz, "title")
    actions_tab(page)
    choose(page, "流程操作", "交办整改")
    page.get_by_role("button", name="交办整改").click()
    wait_idle(page)
    page.get_by_text("已办理").first.wait_for()
    rec = store.get_feature("hazard", int(haz["id"]))
    chief = zone_chief(store, rec)
    assert rec["status"] == "assigned" and rec["assignee"] == chief["name"] and rec["deadline"]
    page.get_by_role("tab", name="历史").click()
    page.get_by_text("已交办").first.wait_for()


def test_fire_break_page_records_a_clearing(dash, page):
    store = open_store(dash.db)
    brk = first(store, "firebreak", status="planned")
    open_record(page, dash, "firebreak", brk, "name")
    page.get_by_text("各年度阻隔带清理").wait_for()
    actions_tab(page)
    choose(page, "流程操作", "清理完成")
    page.get_by_label("已清理 *（公里）").fill("6.5")
    page.get_by_role("button", name="清理完成").click()
    wait_idle(page)
    page.get_by_text("已办理").first.wait_for()
    rec = store.get_feature("firebreak", int(brk["id"]))
    assert rec["status"] == "cleared" and rec["cleared_km"] == pytest.approx(6.5) and rec["cleared_on"]
