"""The inspector's map review in Debian Chromium: filter, click, act, see history and colour,
conflicts between two people, and hostile attribute values that stay text."""

from __future__ import annotations

import time

import pytest

from dashboard.components.fmap import STATUS_COLORS
from geo.access import auth
from geo.change import mapview as mv
from geo.store import open_store
from tests.browser import (choose, feature_point, feature_style, hover_tooltip, login, map_view, wait_drawn,
                           wait_idle)
from tests.conftest import DEMO_PASSWORDS, Dashboard
from tests.helpers import jpeg

pytestmark = pytest.mark.browser
CLOSED = STATUS_COLORS["closed"]
MAIN = "[data-testid='stMain']"


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
    # one message: what happened and what the screen shows now (not "refresh" beside "refreshed")
    text = b.locator(f"{MAIN} [data-testid='stAlert']").all_inner_texts()
    assert len(text) == 1 and "下方已显示最新状态" in text[0] and "请刷新" not in text[0], text
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
    from geo.demo import build as demo
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


def heading(page) -> str:
    return page.locator(f"{MAIN} h3").first.inner_text()


def inside(view, ext, margin=0.0) -> bool:
    _, lat, lon = view
    return ext[0] - margin <= lon <= ext[2] + margin and ext[1] - margin <= lat <= ext[3] + margin


def test_the_map_opens_on_the_users_area_and_moves_to_filter_results(shared_dashboard, page, browser):
    store = open_store(shared_dashboard.db)
    tuquan = mv.area_extent(store, {"152224"})
    login(page, shared_dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])
    wait_drawn(page, minimum=1)
    view = map_view(page)
    assert inside(view, tuquan) and view[0] >= 9, view  # his county, not the league at zoom 7

    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    p = ctx.new_page()
    p.set_default_timeout(30_000)
    login(p, shared_dashboard.url, "admin", DEMO_PASSWORDS["admin"])
    wait_drawn(p, minimum=1)
    league = map_view(p)
    assert inside(league, mv.area_extent(store)) and league[0] < view[0]
    # ?county= (as the summary's links write it) moves the view to that county
    p.goto(f"{shared_dashboard.url}/?county=152223")
    wait_idle(p)
    p.wait_for_timeout(1500)
    jalaid = map_view(p)
    assert inside(jalaid, mv.area_extent(store, {"152223"})) and jalaid[0] > league[0], jalaid
    # a batch: the automatic-detection batch lies far north of the others
    batches = store.batches("change")
    far = int(batches["id"].iloc[-1])
    ext = mv.results_extent(store, mv.Filters(batch_ids=(far,)))
    p.goto(f"{shared_dashboard.url}/?batch={far}")
    wait_idle(p)
    p.wait_for_timeout(1500)
    assert inside(map_view(p), ext, margin=0.05), (map_view(p), ext)
    ctx.close()


def test_every_polygon_is_visible_and_the_legend_counts_them(shared_dashboard, page):
    store = open_store(shared_dashboard.db)
    login(page, shared_dashboard.url, "admin", DEMO_PASSWORDS["admin"])
    wait_drawn(page, minimum=1000)
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    kinds = frame.evaluate("""() => { let dots = 0, shapes = 0, tiny = 0;
        window.map.eachLayer(l => { if (!(l.feature && l.feature.properties && l.feature.properties.s)) return;
          if (l.setRadius) { dots++; if (l.getRadius() < 4) tiny++; return; }
          shapes++;
          const b = l.getBounds(), a = window.map.latLngToContainerPoint(b.getSouthWest()),
                c = window.map.latLngToContainerPoint(b.getNorthEast());
          if (Math.abs(c.x - a.x) < 4 && Math.abs(c.y - a.y) < 4) tiny++; });
        return {dots, shapes, tiny}; }""")
    # at league zoom most polygons are a few pixels: they are drawn as markers, none as a speck
    assert kinds["dots"] > 1000 and kinds["tiny"] == 0, kinds
    legend = page.locator(MAIN).inner_text()
    issued = store.count("change", where={"status": "issued"})
    assert f"下发 {issued:,}" in legend


def test_next_goes_to_the_open_overdue_polygons_first(shared_dashboard, page):
    store = open_store(shared_dashboard.db)
    acc = auth.access_for(store.user("tuquan_inspector"))
    order = mv.review_order(mv.candidates(store, mv.Filters(), scope=acc))
    assert order["overdue"].iloc[0]  # the demo has overdue polygons in 突泉县
    login(page, shared_dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])
    for fid in order["id"].tolist()[:3]:
        page.get_by_role("button", name="下一个 ▶").click()
        number = store.get_feature("change", fid)["polygon_no"]
        page.locator(f"{MAIN} h3", has_text=number).wait_for()
        wait_idle(page)
    assert page.url.endswith(f"id={order['id'].iloc[2]}")


def test_a_refusal_stays_until_the_next_action_and_replaces_the_success(dashboard, page):
    store = open_store(dashboard.db)
    fid, number = issued_in_tuquan(store)
    login(page, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path=f"?id={fid}")
    page.locator(f"{MAIN} h3", has_text=number).wait_for()
    choose(page, "选择操作", "开始核查（→ 核查中）")
    submit(page)
    page.get_by_text("已办理：下发 → 核查中").wait_for()
    choose(page, "选择操作", "提交核查结论（→ 已核查）")  # choosing is not an action: the success stays
    submit(page)  # no verdict: refused
    refusal = page.get_by_text("需要填写")
    refusal.wait_for()
    assert page.get_by_text("已办理：下发 → 核查中").count() == 0  # no green beside the red
    # panning the map reruns the page; the refusal stays
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 250, steps=5)
    page.mouse.up()
    page.wait_for_timeout(2500)
    wait_idle(page)
    assert refusal.count() == 1
    page.get_by_role("button", name="下一个 ▶").click()  # the next action clears it
    wait_idle(page)
    page.wait_for_timeout(500)
    assert page.get_by_text("需要填写").count() == 0


def test_a_link_to_another_countys_polygon_says_why_after_sign_in(shared_dashboard, page):
    store = open_store(shared_dashboard.db)
    other = store.read_layer("change", where={"county_code": "152223"}, columns=["polygon_no"],
                             geometry=False, limit=1)
    fid = int(other["id"].iloc[0])
    # opened before signing in: the link survives the sign-in, and the refusal says why
    login(page, shared_dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path=f"?id={fid}")
    msg = page.get_by_text(f"无法打开链接中的图斑 #{fid}")
    msg.wait_for()
    assert "其他旗县" in msg.inner_text()
    page.wait_for_timeout(4000)  # still there after the map's own reruns
    assert msg.count() == 1
    assert page.locator(f"{MAIN} h3", has_text=other["polygon_no"].iloc[0]).count() == 0


def test_read_only_roles_see_details_and_history_without_an_action_form(shared_dashboard, page):
    store = open_store(shared_dashboard.db)
    fid, number = issued_in_tuquan(store)
    login(page, shared_dashboard.url, "leader", DEMO_PASSWORDS["leader"], path=f"?id={fid}")
    page.locator(f"{MAIN} h3", has_text=number).wait_for()
    page.get_by_text("当前角色只能查看详情和历史，不能办理").wait_for()
    assert page.get_by_role("button", name="提交").count() == 0
    assert page.get_by_role("combobox", name="选择操作").count() == 0
    page.get_by_role("tab", name="历史").click()
    page.get_by_text("下发").first.wait_for()


def test_the_basemap_choice_is_remembered_for_the_user(dashboard, page, browser):
    login(page, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])
    wait_drawn(page, minimum=1)
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    assert frame.evaluate("() => !!window.map.getPane('forestBase')")  # the offline basemap by default
    choose(page, "底图", "无底图")
    page.wait_for_timeout(1500)
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    assert not frame.evaluate("() => !!window.map.getPane('forestBase')")
    # another session of the same user (another browser): the choice is kept
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    p = ctx.new_page()
    p.set_default_timeout(30_000)
    login(p, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])
    wait_drawn(p, minimum=1)
    frame = p.frame(url=lambda u: "streamlit_folium" in u)
    assert not frame.evaluate("() => !!window.map.getPane('forestBase')")
    assert open_store(dashboard.db).meta("pref:tuquan_inspector:basemap") == "none"
    ctx.close()
