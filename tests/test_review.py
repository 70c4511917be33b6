"""The inspector's map review in Debian Chromium: filter, click, act, see history and colour,
conflicts between two people, and hostile attribute values that stay text."""

from __future__ import annotations

import time

import pytest

from geo.store import open_store
from tests.browser import choose, feature_point, feature_style, hover_tooltip, login, wait_drawn, wait_idle
from tests.conftest import DEMO_PASSWORDS, Dashboard
from tests.helpers import jpeg

pytestmark = pytest.mark.browser


def issued_in_tuquan(store):
    frame = store.read_layer("change", where={"status": "issued", "county_code": "152224"},
                             columns=["polygon_no", "version"], geometry=False)
    return int(frame["id"].iloc[0]), frame["polygon_no"].iloc[0]


def ready_to_start(browser, url, fid, number):
    """A new browser context where 突泉县's inspector has opened polygon ``fid`` and chosen to
    start verifying it (not yet submitted)."""
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100})
    p = ctx.new_page()
    p.set_default_timeout(30_000)
    login(p, url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path=f"?id={fid}")
    p.get_by_role("heading", name=number).wait_for()
    choose(p, "选择操作", "开始核查（→ 核查中）")
    return p


def submit(page):
    page.get_by_role("button", name="提交").click()
    wait_idle(page)


def test_filter_click_walk_to_closed_history_and_colour(dashboard, page, tmp_path):
    store = open_store(dashboard.db)
    fid, number = issued_in_tuquan(store)
    login(page, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"],
          path="?status=issued&county=152224")
    n = wait_drawn(page, minimum=1)
    expected = store.count("change", where={"status": "issued", "county_code": "152224"})
    assert n == expected  # the filter from the URL: only issued polygons of 突泉县 are drawn
    x, y = feature_point(page, fid)
    page.mouse.click(x, y)
    wait_idle(page)
    page.get_by_role("heading", name=number).wait_for()

    choose(page, "选择操作", "开始核查（→ 核查中）")
    submit(page)
    page.get_by_text("已办理：下发 → 核查中").wait_for()

    choose(page, "选择操作", "提交核查结论（→ 已核查）")
    choose(page, "核查结论 *", "合法")
    submit(page)
    page.get_by_text("已办理：核查中 → 已核查").wait_for()

    # the county applies for closure (the league's review closes it: tests/test_review_browser.py)
    choose(page, "选择操作", "申请销号（→ 待审核）")
    submit(page)  # without the cause and the evidence: refused, naming both, in Chinese
    page.get_by_text("需要上传").first.wait_for()
    page.get_by_label("核实变化原因 *").fill("60 森林抚育")
    photo = tmp_path / "现场照片.jpg"
    photo.write_bytes(jpeg())
    page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(photo))
    time.sleep(1)
    submit(page)
    page.get_by_text("已办理：已核查 → 待审核").wait_for()

    feat = store.get_feature("change", fid)
    assert feat["status"] == "applied" and feat["verdict"] == "legal"
    history = store.history("change", fid)
    assert [e["to_status"] for e in history] == ["issued", "verifying", "verified", "applied"]
    assert all(e["actor"] == "tuquan_inspector" for e in history[1:])
    assert len(history[-1]["attachment_ids"]) == 1

    page.get_by_role("tab", name="历史").click()
    page.get_by_text("待审核").first.wait_for()
    # the map shows the new colour at once (the URL filter was status=issued: clear it)
    page.goto(f"{dashboard.url}/?id={fid}")
    wait_idle(page)
    wait_drawn(page, minimum=1)
    end = time.time() + 20
    style = None
    while time.time() < end:
        style = feature_style(page, fid)
        if style:
            break
        time.sleep(0.3)
    from dashboard.components.fmap import STATUS_COLORS

    assert style["status"] == "applied" and style["fill"] == STATUS_COLORS.get("applied", "#888888")


def test_two_people_editing_the_same_polygon_get_a_conflict(dashboard, browser):
    store = open_store(dashboard.db)
    fid, number = issued_in_tuquan(store)
    a, b = (ready_to_start(browser, dashboard.url, fid, number) for _ in range(2))
    submit(a)
    a.get_by_text("已办理：下发 → 核查中").wait_for()
    submit(b)  # b still shows version 1
    b.get_by_text("已被 tuquan_inspector").wait_for()
    b.get_by_text("请刷新后重新操作").first.wait_for()
    # b now shows the newer state, and nothing was overwritten
    b.get_by_text("核查中 · v2").first.wait_for()
    assert [e["to_status"] for e in store.history("change", fid)] == ["issued", "verifying"]
    for p in (a, b):
        p.context.close()


HOSTILE = {
    "polygon_no": '<img src=x onerror="window.__xss=1">',
    "county": "${window.__xss=2}",
    "township": "`;window.__xss=3;`",
    "village": "</script><script>window.__xss=4</script>",
}


def test_hostile_attribute_values_stay_text(demo_path, browser):
    store = open_store(str(demo_path))
    frame = store.read_layer("change", where={"status": "issued", "county_code": "152224"}, limit=1)
    fid = int(frame["id"].iloc[0])
    with store.transaction() as tx:
        store.update_feature(tx, "change", fid, expected_version=None, changes=HOSTILE, actor="test",
                             action="edit")
    d = Dashboard(demo_path).start()
    try:
        ctx = browser.new_context(viewport={"width": 1600, "height": 1100})
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        dialogs = []
        page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
        login(page, d.url, "admin", DEMO_PASSWORDS["admin"], path=f"?id={fid}&county=152224&status=issued")
        wait_drawn(page, minimum=1)
        tip = hover_tooltip(page, fid)  # hover: the tooltip with the hostile values
        frame = page.frame(url=lambda u: "streamlit_folium" in u)
        assert HOSTILE["polygon_no"] in tip.inner_text()  # shown as text …
        assert tip.locator("img").count() == 0  # … not as an element
        page.get_by_role("tab", name="属性").click()
        time.sleep(1)
        page.get_by_role("heading", name=HOSTILE["polygon_no"]).wait_for()
        assert page.evaluate("window.__xss") is None
        assert frame.evaluate("window.__xss") is None
        assert dialogs == []
        ctx.close()
    finally:
        d.stop()


@pytest.mark.postgis
def test_two_app_processes_on_postgis_share_one_truth(pg_url, browser):
    """PostGIS for many users: two dashboard processes serve two inspectors at once; the second
    change to the same polygon is a conflict, whichever process it comes through."""
    from geo import demo
    from tests.conftest import DEMO_PASSWORDS as PW

    demo.build(pg_url, log=lambda *a: None, passwords=PW)
    store = open_store(pg_url)
    fid, number = issued_in_tuquan(store)
    apps = [Dashboard(pg_url).start(), Dashboard(pg_url).start()]
    try:
        pages = [ready_to_start(browser, app.url, fid, number) for app in apps]
        submit(pages[0])
        pages[0].get_by_text("已办理：下发 → 核查中").wait_for()
        submit(pages[1])
        pages[1].get_by_text("已被 tuquan_inspector").wait_for()
        assert [e["to_status"] for e in store.history("change", fid)] == ["issued", "verifying"]
        for p in pages:
            p.context.close()
    finally:
        for app in apps:
            app.stop()
