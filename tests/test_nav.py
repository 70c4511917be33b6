"""The menu folds into four sections by part of the system (图斑整改 / 林长制 / 台账 / 系统) and only
the current page's section is open, so the map's filters are in view on a 1000-px-high window;
every role still reaches every page it reached when the menu listed everything (issue 22)."""

from __future__ import annotations

import os

import pytest

from dashboard.components.nav import SECTIONS, menu
from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS

SHOTS = os.environ.get("FOREST_SHOTS")  # a folder: keep screenshots there

_REGISTERS = {
    "chief", "r-camera", "r-complaint", "r-deadtree", "r-enterprise", "r-enterprise_check", "r-enterprise_sample",
    "r-firebreak", "r-hazard", "r-occupation", "r-order", "r-patrol", "r-person", "r-pest_contractor", "r-pest_site",
    "r-post", "r-restoration", "r-signboard", "r-subcompartment", "r-village", "r-zone",
}
# Each role's pages before the menu was folded (the menu of commit 9fb62b0, by URL path; the map is "")
BEFORE = {
    "admin": {"", "items", "review", "summary", "escalation", "upload", "field", "imagery", "admin", *_REGISTERS},
    "staff": {"", "items", "summary", "escalation", "upload", "field", "imagery", *_REGISTERS},
    "inspector": {"", "items", "summary", "escalation", "field", *_REGISTERS},
    "leader": {"", "items", "summary", "escalation", "field", *_REGISTERS},
    "league_reviewer": {"", "items", "review", "summary", "escalation", "field", *_REGISTERS},
    "province_checker": {"", "items", "review", "summary", "escalation", "field", *_REGISTERS},
}


@pytest.mark.parametrize("role", sorted(BEFORE))
def test_every_role_lists_the_pages_it_listed_before(role):
    listed = {e.url_path for e in menu(role, "zh") if e.visible}
    assert listed == BEFORE[role]
    assert {e.url_path for e in menu(role, "en") if e.visible} == listed
    # a page the role may not use still answers its URL (with a refusal), and no URL is listed twice
    paths = [e.url_path for e in menu(role, "zh")]
    assert len(paths) == len(set(paths)) and set(paths) == BEFORE["admin"]


def test_the_menu_has_four_sections_in_order():
    entries = menu("admin", "zh")
    seen = list(dict.fromkeys(e.section for e in entries))
    assert seen == list(SECTIONS)
    by_title = {e.title: e.section for e in entries}
    assert by_title["地图核查"] == by_title["整改事项"] == by_title["领导驾驶舱"] == "change"
    assert by_title["林长视图"] == by_title["林长公示牌"] == by_title["公示牌·巡护·修复"] == "chief"
    assert by_title["森林防火隐患"] == by_title["12345热线诉求"] == "ledger"
    assert by_title["系统管理"] == "system"
    assert entries[[e.section for e in entries].index("chief")].title == "林长视图"  # heads its section


def _sections(page) -> dict[str, list[str]]:
    """The menu as shown: each section header with the pages listed under it (none when folded)."""
    return page.evaluate(
        """() => { const out = {};
             document.querySelectorAll('[data-testid="stSidebarNav"] [data-testid="stNavSectionHeader"]')
               .forEach(h => { out[h.firstElementChild.textContent.trim()] = Array.from(
                 h.parentElement.querySelectorAll('[data-testid="stSidebarNavLink"]')).map(a => a.innerText.trim().split('\\n').pop()); });
             return out; }""")


def _wait_folded(page, open_title: str) -> dict[str, list[str]]:
    for _ in range(80):
        got = _sections(page)
        if got and all(bool(v) == (k == open_title) for k, v in got.items()):
            return got
        page.wait_for_timeout(100)
    raise AssertionError(f"the menu did not fold to {open_title!r}: {_sections(page)}")


@pytest.mark.browser
@pytest.mark.parametrize("who", ["tuquan_inspector", "leader"])
def test_the_first_map_filter_is_in_view_without_scrolling(shared_dashboard, browser, who):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, shared_dashboard.url, who, DEMO_PASSWORDS[who])
        page.get_by_role("heading", name="地图核查").first.wait_for()
        got = _wait_folded(page, "图斑整改")
        assert list(got) == ["图斑整改", "林长制", "台账"]  # no 系统 for these roles
        assert got["图斑整改"] == ["地图核查", "整改事项", "领导驾驶舱", "督办与周报"]
        wait_idle(page)
        sidebar = page.locator("[data-testid='stSidebar']")
        first = sidebar.get_by_role("combobox", name="批次", exact=True)
        box = first.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 1000, box
        assert sidebar.evaluate("s => (s.querySelector('[data-testid=\"stSidebarContent\"]') || s).scrollTop") == 0
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"map_menu_{who}.png"))
        # a folded section opens on a click and its pages are reached; that page's section is then
        # the open one
        page.locator("[data-testid='stNavSectionHeader']", has_text="台账").click()
        page.locator("[data-testid='stSidebarNavLink']", has_text="森林防火隐患").click()
        page.get_by_role("heading", name="森林防火隐患").first.wait_for()
        got = _wait_folded(page, "台账")
        assert "12345热线诉求" in got["台账"] and not got["图斑整改"]
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"register_menu_{who}.png"))
        page.locator("[data-testid='stNavSectionHeader']", has_text="图斑整改").click()
        page.locator("[data-testid='stSidebarNavLink']", has_text="地图核查").click()
        page.get_by_role("heading", name="地图核查").first.wait_for()
        _wait_folded(page, "图斑整改")
        assert sidebar.get_by_role("combobox", name="批次", exact=True).bounding_box()["y"] < 1000
    finally:
        ctx.close()
