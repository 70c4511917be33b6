"""The complaint page in Chromium, as a county inspector: only the county's complaints and
figures, and a new complaint (placed from its address) assigned to its zone's forest chief with
one click."""

from __future__ import annotations

from geo.engine import records
from geo.core.timeutil import now_utc
from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS


def test_a_county_inspector_sees_the_county_and_assigns_a_complaint_to_the_chief(dashboard, demo_store, page):
    fid = records.add(demo_store, "complaint", {
        "ticket_no": "20991231TEST", "received_at": now_utc(), "address": "突泉县六户镇", "category_text": "偷牧",
        "content": "反映有牧民在禁牧区偷牧"}, actor="staff")
    rec = demo_store.get_feature("complaint", fid)
    assert rec["located_by"] == "township" and rec["county_code"] == "152224"
    mine = int((demo_store.read_layer("complaint", columns=["county_code"], geometry=False)["county_code"]
                == "152224").sum())
    login(page, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], f"r-complaint?id={fid}")
    metric = page.locator("[data-testid='stMetric']").filter(has_text="接收12345热线").first
    metric.wait_for()
    assert metric.locator("[data-testid='stMetricValue']").inner_text().strip() == str(mine)
    page.get_by_role("heading", name="20991231TEST").wait_for()
    page.get_by_role("tab", name="办理").click()
    page.get_by_text("派给责任区林长").first.click()
    wait_idle(page)
    page.get_by_role("button", name="派给责任区林长").click()
    wait_idle(page)
    page.get_by_text("已办理").first.wait_for(timeout=30_000)
    got = demo_store.get_feature("complaint", fid)
    assert got["status"] == "assigned" and "林长" in got["assignee"]
    page.get_by_text("已派单 · v2").first.wait_for(timeout=30_000)
    page.screenshot(path="/tmp/reg_complaint.png", full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
