"""The pine-wilt pages in Debian Chromium: a dead-tree list imported on the page, a removal refused
for a lapsed certificate and done with a valid one and a photo, a site's years and its yearly
check, a contractor barred."""

from __future__ import annotations

import time

import pytest

from geo.store import open_store
from geo.core.timeutil import today_local
from tests.browser import choose, login, wait_idle
from tests.conftest import DEMO_PASSWORDS, Dashboard
from tests.helpers import jpeg
from tests.test_reg_fire import csv_file
from tests.test_reg_fire_browser import actions_tab, first, open_record

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dash(demo_master, tmp_path_factory):
    path = tmp_path_factory.mktemp("pest") / "demo.gpkg"
    open_store(str(demo_master)).backup(path)
    d = Dashboard(path).start()
    yield d
    d.stop()


def attach(page, button: str, path) -> None:
    """A file into the uploader of the form whose submit button is ``button``."""
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_role("button", name=button))
    form.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    form.get_by_text(path.name).wait_for()
    time.sleep(0.5)


def test_dead_tree_page_imports_a_list_and_checks_the_certificate_on_removal(dash, page, tmp_path):
    store = open_store(dash.db)
    before = store.count("deadtree")
    today = today_local().isoformat()
    path = csv_file(tmp_path / "枯死松树调查表.csv", [
        {"编号": "WEB001", "调查日期": today, "株数": 2, "树种": "樟子松", "经度": 119.95, "纬度": 47.17, "是否取样": "是",
         "检测结果": "待检"},
        {"编号": "WEB002", "调查日期": today, "株数": 1, "树种": "油松", "经度": 120.02, "纬度": 47.2, "是否取样": "否",
         "检测结果": ""},
    ])
    login(page, dash.url, "staff", DEMO_PASSWORDS["staff"], path="r-deadtree")
    page.get_by_text("即死即清：发现后").wait_for()
    page.get_by_text("从表格导入（Excel/CSV）").click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(path))
    wait_idle(page)
    page.get_by_text("识别到 2 行").wait_for()
    page.get_by_role("button", name="导入", exact=True).click()
    wait_idle(page)
    page.get_by_text("已导入").first.wait_for()
    assert store.count("deadtree") == before + 2
    new = store.read_layer("deadtree", where={"tree_no": ["WEB001", "WEB002"]}, geometry=False)
    assert set(new["county_code"]) == {"152202"} and set(new["status"]) == {"found"}

    tree = new.sort_values("tree_no").iloc[0].to_dict()
    open_record(page, dash, "deadtree", tree, "tree_no")
    contractors = store.read_layer("pest_contractor", geometry=False)
    lapsed = contractors[contractors["cert_valid_to"] < today]["name"].iloc[0]
    good = contractors[(contractors["cert_valid_to"] > today) & (contractors["status"] == "active")]["name"].iloc[0]
    actions_tab(page)
    choose(page, "流程操作", "清理除治")
    choose(page, "除治方式 *", "打包")
    choose(page, "施工单位（名录）", lapsed)
    photo = tmp_path / "打包处理.jpg"
    photo.write_bytes(jpeg())
    attach(page, "清理除治", photo)
    page.get_by_role("button", name="清理除治").click()
    wait_idle(page)
    page.get_by_text("防止无资质施工").first.wait_for()  # refused: the certificate ran out before today
    assert store.get_feature("deadtree", int(tree["id"]))["status"] == "found"
    choose(page, "施工单位（名录）", good)
    # the form kept what was entered, the photo included (nothing to do again but the fix)
    assert page.locator("[data-testid='stFileChipName']").filter(has_text="打包处理.jpg").count() == 1
    page.get_by_role("button", name="清理除治").click()
    wait_idle(page)
    page.get_by_text("已办理").first.wait_for()
    rec = store.get_feature("deadtree", int(tree["id"]))
    assert (rec["status"], rec["method"], rec["contractor"], rec["removed_on"]) == ("removed", "bagging", good, today)
    assert len(store.history("deadtree", int(tree["id"]))[-1]["attachment_ids"]) == 1
    page.get_by_role("tab", name="详情").click()
    page.get_by_text("即死即清与资质核对").wait_for()  # (the table itself is drawn on a canvas)


def test_site_page_shows_the_years_and_records_a_yearly_check(dash, page):
    store = open_store(dash.db)
    site = first(store, "pest_site", status="listed")
    open_record(page, dash, "pest_site", site, "name")
    page.get_by_text("历年疫情状态").wait_for()
    actions_tab(page)
    page.get_by_text("年度核查").first.click()
    year = today_local().year
    page.get_by_label("核查年度 *").fill(str(year))
    choose(page, "当年状态 *", "疫情持续")
    page.get_by_role("button", name="年度核查").click()
    wait_idle(page)
    page.get_by_text("已办理").first.wait_for()
    rec = store.get_feature("pest_site", int(site["id"]))
    assert (rec["last_year"], rec["last_year_status"]) == (year, "ongoing")
    assert store.history("pest_site", int(site["id"]))[-1]["action"] == "annual"


def test_contractor_page_bars_a_contractor(dash, page):
    store = open_store(dash.db)
    c = first(store, "pest_contractor", status="active")
    open_record(page, dash, "pest_contractor", c, "name")
    actions_tab(page)
    choose(page, "流程操作", "暂停承接（不良行为）")
    page.get_by_label("说明（必填）").fill("被记录不良行为")
    page.get_by_role("button", name="暂停承接（不良行为）").click()
    wait_idle(page)
    page.get_by_text("已办理").first.wait_for()
    assert store.get_feature("pest_contractor", int(c["id"]))["status"] == "barred"
