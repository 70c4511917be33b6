"""Issue 22's words in Chromium: a user who is not an administrator sees no configuration key,
file name or English citation on the register pages that had them (碳汇, 防火隐患, 枯死松树, 木材企业);
an administrator sees where each is set, in Chinese with the key; a county inspector is told why
his county's sample is smaller than 30% of its enterprises; the chief's view shows 台账 apart
from 待办."""

from __future__ import annotations

import re

import pytest

from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS
from tests.test_plain_text_browser import shown_text

pytestmark = pytest.mark.browser
MAIN = "[data-testid='stMain']"
MACHINE = re.compile(r"factors\.csv|sources\.csv|ipcc_grass|IPCC 2006 Guidelines|carbon_factors|hazard_rectify_days|"
                     r"pine_clear_days|设置 [a-z]|python -m geo")
# each page and a text its figures show once drawn (the overview tables stand only where a county has records)
PAGES = {"r-subcompartment": "碳汇因子来源", "r-hazard": "森林防火隐患", "r-deadtree": "松材线虫病枯死松树",
         "r-enterprise": "抽查名单"}
FOCUS = {"r-subcompartment": "碳汇因子来源", "r-hazard": "隐患整改：", "r-deadtree": "即死即清：",
         "r-enterprise": "抽查名单"}
ADMIN_SEES = {"r-subcompartment": "配置项 carbon_factors", "r-hazard": "配置项 hazard_rectify_days",
              "r-deadtree": "配置项 pine_clear_days"}


def _open(page, url: str, path: str, marker: str) -> str:
    page.goto(f"{url}/{path}")
    wait_idle(page)
    page.locator(MAIN).get_by_text(marker).first.wait_for()
    wait_idle(page)
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, (path, errors.first.inner_text()[:2000])
    return shown_text(page)


@pytest.mark.parametrize("who", ["leader", "tuquan_inspector", "admin"])
def test_configuration_keys_and_file_names_are_for_administrators_only(shared_dashboard, browser, who):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(45_000)
    try:
        login(page, shared_dashboard.url, who, DEMO_PASSWORDS[who], path="r-subcompartment")
        for path, marker in PAGES.items():
            text = _open(page, shared_dashboard.url, path, marker)
            focus = page.locator(MAIN).get_by_text(FOCUS[path]).first
            if focus.count():  # (the page scrolls inside its main pane: bring the words into the picture)
                focus.scroll_into_view_if_needed()
            page.screenshot(path=f"/tmp/words_{path}_{who}.png")
            if who == "admin":
                if path in ADMIN_SEES:
                    assert ADMIN_SEES[path] in text, path
                continue
            assert not MACHINE.search(text), (path, MACHINE.search(text).group(0))
            if path == "r-subcompartment":
                assert "《2006年IPCC国家温室气体清单指南》" in text
            if path == "r-enterprise" and who == "tuquan_inspector":
                assert "全盟统一抽取" in text and "突泉县的10家企业分得" in text
    finally:
        ctx.close()


def test_the_chiefs_view_shows_stock_apart_from_open_work(shared_dashboard, page):
    login(page, shared_dashboard.url, "leader", DEMO_PASSWORDS["leader"], "chief?chief=1")
    page.get_by_text("台账", exact=True).first.wait_for()
    wait_idle(page)
    grids = page.locator(f"{MAIN} [data-testid='stDataFrame']")
    stock = grids.filter(has_text="森林资源小班")
    stock.first.wait_for(state="attached")  # (the grid draws on a canvas; its cells are in the page too)
    assert stock.count() == 1 and "木材经营加工企业" in stock.first.text_content()
    assert "变化图斑" not in stock.first.text_content()
    open_work = grids.filter(has_text="变化图斑")
    open_work.first.wait_for(state="attached")
    text = open_work.first.text_content()
    assert "森林资源小班" not in text and "木材经营加工企业" not in text and "森林防火隐患" in text
    page.screenshot(path="/tmp/words_chief_leader.png", full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
