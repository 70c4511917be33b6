"""The imagery page (影像管理) in Debian Chromium on the demo store: staff see the synthetic scenes
with their footprints, run a detection, NDVI for a batch and the re-greening check, and upload a
scene; an inspector is turned away."""

from __future__ import annotations

import pytest

from geo.imagery import scenes as SC
from geo.store import open_store
from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS
from tests.imagery_data import field, write_scene

pytestmark = pytest.mark.browser


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_idle(page)


def test_staff_use_the_imagery_page(dashboard, page, tmp_path):
    store = open_store(dashboard.db)
    batches = len(store.batches())
    page.set_viewport_size({"width": 1600, "height": 1600})
    login(page, dashboard.url, "staff", DEMO_PASSWORDS["staff"], path="imagery")
    page.get_by_role("heading", name="影像管理").wait_for()
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    assert page.get_by_text("不是真实遥感影像").count() == 1  # the synthetic note
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]')  # the footprints map

    _tab(page, "变化检测")
    area = page.get_by_label("最小图斑面积（亩）")
    area.fill("2")
    area.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="检测并登记候选批次").click()
    wait_idle(page)
    page.get_by_text("没有新的候选图斑").wait_for(timeout=60_000)  # the demo already registered them
    assert len(store.batches()) == batches

    _tab(page, "图斑 NDVI")
    page.get_by_role("button", name="计算 NDVI").click()
    wait_idle(page)
    page.get_by_text("个图斑已计算").wait_for(timeout=60_000)

    _tab(page, "回头看复绿")
    page.get_by_role("button", name="开始核查").click()
    wait_idle(page)
    page.get_by_role("heading", name="未复绿地块").wait_for(timeout=60_000)
    box = page.locator("[data-testid='stMetric']").filter(has_text="未复绿").first
    assert int(box.locator("[data-testid='stMetricValue']").inner_text()) >= 1

    _tab(page, "登记影像")
    tif = write_scene(tmp_path / "GF1_20250701.tif", field((120, 120), seed=5), date="2025-07-01")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(tif))
    wait_idle(page)
    page.get_by_label("传感器").fill("GF-1")
    page.get_by_role("button", name="登记").click()
    wait_idle(page)
    page.get_by_text("已登记 1 景影像").wait_for(timeout=60_000)
    added = [s for s in SC.all_scenes(store) if s.name == "GF1_20250701.tif"]
    assert len(added) == 1 and added[0].sensor == "GF-1" and not added[0].synthetic
    page.screenshot(path=str(tmp_path / "imagery.png"), full_page=True)


def test_an_inspector_is_turned_away(shared_dashboard, page):
    login(page, shared_dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path="imagery")
    page.get_by_text("只有数据管理员和系统管理员可以使用影像管理").wait_for()
    assert page.locator("[data-testid='stTab']").count() == 0
