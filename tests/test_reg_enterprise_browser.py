"""The enterprise pages in Chromium: the year's sample and its completion above the list, and a
sample drawn from the page's add form (year and seed), its strata shown in the details."""

from __future__ import annotations

import re

from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS


def test_the_enterprise_pages_show_the_sample_and_draw_one(dashboard, page):
    login(page, dashboard.url, "admin", DEMO_PASSWORDS["admin"], "r-enterprise")
    main = page.locator("section.main, [data-testid='stMain']").first
    main.get_by_text("木材经营加工企业", exact=True).first.wait_for()
    for label in ("在册企业", "与林地接壤", "抽查完成率"):
        assert main.get_by_text(label, exact=True).count() >= 1, label
    assert re.search(r"\d{4}年度木材来源抽查名单", main.inner_text())
    assert page.locator("[data-testid='stException']").count() == 0

    page.goto(f"{dashboard.url}/r-enterprise_sample")
    wait_idle(page)
    page.get_by_text("新增木材来源抽查名单").click()
    wait_idle(page)
    page.get_by_label("年度 *").fill("2031")
    page.get_by_label("随机种子").fill("7")
    page.get_by_role("button", name="新增", exact=True).click()
    wait_idle(page)
    page.get_by_text("已新增").first.wait_for(timeout=30_000)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.get_by_text("2031").first.wait_for(state="attached", timeout=30_000)  # (the grid draws on a canvas)
    page.screenshot(path="/tmp/reg_enterprise_sample.png", full_page=True)
    # the same year again is refused with the reason, nothing added
    year = page.get_by_label("年度 *")
    if not year.is_visible():  # (the form may still be open)
        page.get_by_text("新增木材来源抽查名单").click()
        wait_idle(page)
    year.fill("2031")
    page.get_by_role("button", name="新增", exact=True).click()
    wait_idle(page)
    page.get_by_text(re.compile("2031年度已有有效的抽查名单")).first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
