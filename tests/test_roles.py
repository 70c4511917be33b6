"""Each role, signed in through the real sign-in form in Chromium: which pages its menu lists,
which buttons the map's details panel offers on one polygon, and which figures the summary and
the administration page show it."""

from __future__ import annotations

import pytest

from geo.stats import summary as stats
from geo.access.auth import scoped
from geo.store import open_store
from tests.browser import login, unfold_menu, wait_idle
from tests.conftest import DEMO_PASSWORDS

pytestmark = pytest.mark.browser
MAIN = "[data-testid='stMain']"

def _registers(chief: bool) -> list[str]:
    """The register pages every role reads (each through its county scope), in menu order: the
    forest-chief system's (``chief``) or the others (台账)."""
    from geo.declare import registry as S
    from geo.declare.registry import GROUPS

    out = []
    for group in GROUPS:
        if (group == "chief") is chief:
            out += [lyr.zh for lyr in S.LAYERS.values() if lyr.group == group]
    return out


# the menu's sections (dashboard/components/nav.py): 图斑整改, 林长制, 台账, 系统
CHIEF = ["林长视图", "公示牌·巡护·修复", *_registers(True)]
LEDGER = _registers(False)
ALL = ["地图核查", "整改事项", "销号审核", "领导驾驶舱", "督办与周报", "批次上传", "影像管理", *CHIEF, *LEDGER, "系统管理"]
READERS = ["地图核查", "整改事项", "领导驾驶舱", "督办与周报", *CHIEF, *LEDGER]
EXPECTED = {
    "admin": {"pages": ALL, "acts": True, "bulk": True},
    "staff": {"pages": [p for p in ALL if p not in ("销号审核", "系统管理")], "acts": False, "bulk": False},
    "leader": {"pages": READERS, "acts": False, "bulk": False},
    "tuquan_inspector": {"pages": READERS, "acts": True, "bulk": True},
    # the closure review's reviewer: its queue besides what every reader has; it changes polygons
    # only through the review (geo.change.review), not on the map
    "league_reviewer": {"pages": READERS[:2] + ["销号审核"] + READERS[2:], "acts": False, "bulk": False},
}


def seen_by(browser, url: str, who: str, fid: int, number: str) -> dict:
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, url, who, DEMO_PASSWORDS[who], path=f"?id={fid}")
        page.locator(f"{MAIN} h3", has_text=number).wait_for()
        wait_idle(page)
        page.wait_for_timeout(500)  # (the menu folds the sections the map is not in)
        unfold_menu(page)
        seen = {
            "pages": [t.strip().split("\n")[-1] for t in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()],
            "acts": page.get_by_role("button", name="提交").count() == 1,
            "read_only_note": page.get_by_text("当前角色只能查看详情和历史").count() == 1,
            "bulk": page.get_by_text("批量办理（当前筛选结果）").count() == 1,
            "buttons": sorted({b.strip() for b in page.locator(f"{MAIN} button").all_inner_texts() if b.strip()}),
        }
        page.locator("[data-testid='stSidebarNav'] a", has_text="领导驾驶舱").click()
        page.get_by_role("heading", name="领导驾驶舱").first.wait_for()
        wait_idle(page)
        metric = page.locator("[data-testid='stMetric']", has_text="下发图斑").first
        seen["issued_figure"] = metric.locator("[data-testid='stMetricValue']").inner_text().strip()
        if "系统管理" in seen["pages"]:
            page.locator("[data-testid='stSidebarNav'] a", has_text="系统管理").click()
            page.get_by_role("heading", name="系统管理").first.wait_for()
            wait_idle(page)
            seen["admin_text"] = page.locator(MAIN).inner_text()
        return seen
    finally:
        ctx.close()


def test_each_role_sees_only_what_it_may_use(shared_dashboard, browser):
    store = open_store(shared_dashboard.db)
    frame = store.read_layer("change", where={"status": "issued", "county_code": "152224"},
                             columns=["polygon_no"], geometry=False, limit=1)
    fid, number = int(frame["id"].iloc[0]), frame["polygon_no"].iloc[0]
    report = {}
    for who, want in EXPECTED.items():
        seen = seen_by(browser, shared_dashboard.url, who, fid, number)
        report[who] = seen
        assert seen["pages"] == want["pages"], (who, seen["pages"])
        assert seen["acts"] is want["acts"] and seen["read_only_note"] is (not want["acts"]), (who, seen)
        assert seen["bulk"] is want["bulk"], (who, seen)
        assert ("下一个 ▶" in seen["buttons"]) and ("提交" in seen["buttons"]) is want["acts"]
        # the summary's figures are the user's own scope
        user = store.user(who)
        total = stats.summary(scoped(store, user))["change"]["total"]
        assert seen["issued_figure"] == f"{total:,}", (who, seen["issued_figure"], total)
    assert report["tuquan_inspector"]["issued_figure"] != report["leader"]["issued_figure"]
    # administration: only administrators reach it (its counts are a data grid: checked below)
    assert "账号操作记录" in report["admin"]["admin_text"]
    print({k: {x: v for x, v in s.items() if x != "admin_text"} for k, s in report.items()})


def test_the_administration_counts_follow_the_scope(demo_store):
    """The page counts through the user's scope (geo.access.auth.ScopedStore): an inspector limited to
    突泉县 would get only its polygons even if the page were shown to him."""
    user = demo_store.user("tuquan_inspector")
    mine = scoped(demo_store, user).count("change")
    assert 0 < mine == demo_store.count("change", where={"county_code": "152224"}) < demo_store.count("change")


def test_the_as_of_date_applies_as_soon_as_typed_or_picked(shared_dashboard, page):
    """A leader types a past date (applied on Enter or on leaving the box, not only when a
    calendar closes), then picks another one from the calendar (applied at once)."""
    login(page, shared_dashboard.url, "leader", DEMO_PASSWORDS["leader"], path="summary")
    page.get_by_role("heading", name="领导驾驶舱").first.wait_for()
    wait_idle(page)
    caption = page.locator(f"{MAIN} [data-testid='stCaptionContainer']").first
    box = page.get_by_role("textbox", name="统计截至")
    box.fill("2023-12-09")
    box.press("Enter")
    page.get_by_text("统计截至 2023-12-09").first.wait_for()
    assert "2023-12-09" in caption.inner_text()
    wait_idle(page)
    calendar = page.get_by_role("group", name="统计截至")
    for _ in range(3):  # the first click may only take the focus out of the text box
        page.locator("[data-testid='stPopoverButton']").first.click()
        try:
            calendar.last.wait_for(timeout=3000)
            break
        except Exception:
            wait_idle(page)
    calendar.last.click()
    page.get_by_role("button", name="15").last.click() if page.get_by_role("button", name="15").count() \
        else page.get_by_text("15", exact=True).last.click()
    page.get_by_text("统计截至 2023-12-15").first.wait_for()
    assert box.input_value() == "2023-12-15"
    box.fill("2023-13-45")  # not a date: refused, the figures stay on the last good date
    box.press("Enter")
    page.get_by_text("日期格式：年-月-日").wait_for()
    shown = page.locator(f"{MAIN} [data-testid='stCaptionContainer']").all_inner_texts()
    assert any("统计截至 2023-12-15" in c for c in shown)  # the figures stay on the last good date


@pytest.mark.browser
def test_configuration_hints_are_for_administrators_only(shared_dashboard, browser):
    """Where a rule lives in the configuration is told to who can change it (in Chinese, the key
    in small print), never to an inspector, a leader or a reviewer (issue 21)."""
    pages = {"escalation": "配置项 review.escalation", "review": "配置项 review.closure_rules"}
    for who in ("admin", "leader", "league_reviewer"):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page = ctx.new_page()
        page.set_default_timeout(45_000)
        try:
            login(page, shared_dashboard.url, who, DEMO_PASSWORDS[who], path="escalation")
            for path, hint in pages.items():
                if path == "review" and who == "leader":
                    continue  # not a leader's page
                page.goto(f"{shared_dashboard.url}/{path}")
                wait_idle(page)
                if path == "review":
                    page.get_by_role("tab", name="销号要件").click()
                    wait_idle(page)
                page.get_by_text("督办规则" if path == "escalation" else "销号类别").first.wait_for()
                text = page.locator("[data-testid='stMain']").inner_text()
                assert "forest.toml" not in text and "[[review" not in text, (who, path)
                assert (hint in text) == (who == "admin"), (who, path)
        finally:
            ctx.close()
