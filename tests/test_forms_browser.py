"""The items page in Debian Chromium: a stale edit is refused with who changed the item and when
(it was dropped without a word before), and marking an item done below 100% asks for a reason.
Screenshots of the pages go to FORMS_SHOTS when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.access.auth import Access
from geo.items import items as I
from tests.browser import choose, login, wait_idle
from tests.conftest import DEMO_PASSWORDS

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("FORMS_SHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _open_item(page, url: str, row: int) -> None:
    page.goto(f"{url}/items")
    wait_idle(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 * (row + 1) + 17)  # the row's selection box
    wait_idle(page)
    page.locator("[data-testid='stForm']").first.wait_for(timeout=30_000)


def test_a_stale_item_edit_is_refused_with_who_and_when(dashboard, page, demo_store):
    items = I.progress(demo_store)
    row = int(next(i for i, s in enumerate(items["status"]) if s == "in_progress"))
    item = items.iloc[row]
    iid = int(item["id"])
    page.set_viewport_size({"width": 1400, "height": 1000})
    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="items")
    _open_item(page, dashboard.url, row)
    _shot(page, "items_staff_open")
    # meanwhile another user completes the item
    I.transition(demo_store, iid, "done", actor="admin", access=Access("admin", "admin"), version=int(item["version"]),
                 comment="现场核实已完成")
    form = page.locator("[data-testid='stForm']").first
    form.get_by_label("完成情况").fill("第二人填写的完成情况，" + "很长的说明" * 60)
    form.get_by_role("button", name="提交").click()
    wait_idle(page)
    body = page.inner_text("body")
    _shot(page, "items_staff_conflict")
    assert "admin" in body and "未保存" in body, body[:3000]
    assert I.progress(demo_store).set_index("id").loc[iid, "note"] in (None, item["note"])  # nothing written
    assert I.progress(demo_store).set_index("id").loc[iid, "status"] == "done"


def test_done_below_100_percent_asks_for_a_reason_on_the_page(dashboard, page, demo_store):
    items = I.progress(demo_store)
    row = int(next(i for i, (s, p) in enumerate(zip(items["status"], items["progress_pct"]))
                   if s == "in_progress" and p is not None and p == p and p < 100))
    item = items.iloc[row]
    page.set_viewport_size({"width": 1400, "height": 1000})
    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="items")
    _open_item(page, dashboard.url, row)
    body = page.inner_text("body")
    assert "须在“办理说明”中填写原因" in body, body[:3000]
    choose(page, "选择操作", "完成整改（→ 已办结）")
    page.locator("[data-testid='stForm']").first.get_by_role("button", name="提交").click()
    wait_idle(page)
    _shot(page, "items_staff_reason")
    assert "未达 100%" in page.inner_text("body")
    assert I.progress(demo_store).set_index("id").loc[int(item["id"]), "status"] == "in_progress"
