"""``/mapdata/change``: the map's change layer over plain HTTP (dashboard/maplayer.py). Only a
live session gets an answer, only with its own filters' ticket, and only polygons of the user's
counties — whatever box and ticket the browser sends."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from geo.change import mapview as mv
from geo.store import open_store
from tests.browser import login, wait_drawn
from tests.conftest import DEMO_PASSWORDS

TUQUAN, JALAID = "152224", "152223"  # 突泉县, 扎赉特旗


def _get(url: str, cookie: str | None = None) -> tuple[int, dict | None]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, None


def _query(ticket: str, box, zoom: int) -> str:
    return f"/mapdata/change?t={ticket}&zoom={zoom}&bbox=" + ",".join(f"{v:.6f}" for v in box)


def _signed_in(browser, url: str, name: str):
    """A browser context signed in as ``name`` with the map drawn: (context, cookie header, ticket)."""
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100})
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    login(page, url, name, DEMO_PASSWORDS[name])
    assert wait_drawn(page, minimum=1) >= 1
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    ticket = frame.evaluate("() => window.forestChange.ticket()")
    cookie = next(c for c in ctx.cookies() if c["name"] == "forest_session")
    return ctx, f"forest_session={cookie['value']}", ticket


def _ids(answer: dict) -> set[int]:
    return {f["properties"]["id"] for f in (answer.get("data") or {}).get("features", [])
            if "id" in f["properties"]}


@pytest.mark.browser
def test_the_route_answers_only_a_live_session_with_its_own_ticket_and_counties(shared_dashboard, browser):
    store = open_store(shared_dashboard.db)
    jalaid_box = mv.area_extent(store, {JALAID})
    tuquan_box = mv.area_extent(store, {TUQUAN})
    jalaid_ids = set(store.read_layer("change", where={"county_code": JALAID}, columns=[], geometry=False)["id"])
    tuquan_ids = set(store.read_layer("change", where={"county_code": TUQUAN}, columns=[], geometry=False)["id"])
    assert jalaid_ids and tuquan_ids

    ctx_i, cookie_i, ticket_i = _signed_in(browser, shared_dashboard.url, "tuquan_inspector")
    ctx_a, cookie_a, ticket_a = _signed_in(browser, shared_dashboard.url, "admin")
    try:
        # no session, or a dead one: 401 and nothing else
        assert _get(shared_dashboard.url + _query(ticket_i, tuquan_box, 11))[0] == 401
        assert _get(shared_dashboard.url + _query(ticket_i, tuquan_box, 11), "forest_session=forged")[0] == 401
        # the inspector's own county: its polygons (features or, zoomed out, counted cells)
        status, own = _get(shared_dashboard.url + _query(ticket_i, tuquan_box, 12), cookie_i)
        assert status == 200 and own["n"] > 0 and own["mode"] in ("features", "aggregate")
        if own["mode"] == "features":
            assert _ids(own) and _ids(own) <= tuquan_ids
        # another county's box, closely: the admin sees its polygons there, the inspector nothing
        status, seen = _get(shared_dashboard.url + _query(ticket_a, jalaid_box, 13), cookie_a)
        assert status == 200 and seen["n"] > 0
        status, other = _get(shared_dashboard.url + _query(ticket_i, jalaid_box, 13), cookie_i)
        assert status == 200 and not (_ids(other) & jalaid_ids) and other["n"] < seen["n"]
        if other["mode"] == "features":
            assert _ids(other) <= tuquan_ids  # at most 突泉县's polygons near the shared border
        else:
            assert other["n"] <= len(tuquan_ids)
        # zoomed out over the whole league: counted cells, never more than the inspector's county holds
        league = mv.area_extent(store)
        status, far = _get(shared_dashboard.url + _query(ticket_i, league, 7), cookie_i)
        assert status == 200 and far["n"] == len(tuquan_ids)
        # the admin's ticket with the inspector's cookie (or an unknown one): refused
        assert _get(shared_dashboard.url + _query(ticket_a, jalaid_box, 13), cookie_i)[0] == 403
        assert _get(shared_dashboard.url + _query("0" * 32, jalaid_box, 13), cookie_i)[0] == 404
        # a box that is not one
        assert _get(shared_dashboard.url + f"/mapdata/change?t={ticket_i}&zoom=11&bbox=1,2,x,4", cookie_i)[0] == 400
        assert _get(shared_dashboard.url + f"/mapdata/change?t={ticket_i}&zoom=99&bbox=120,45,121,46", cookie_i)[0] == 400
    finally:
        ctx_i.close()
        ctx_a.close()


@pytest.mark.browser
def test_a_pan_redraws_the_layer_without_a_rerun(dashboard, page):
    """Dragging the map draws the new view's layer from the route; the page sends nothing over the
    websocket for it (no rerun); a click on a polygon still opens and highlights it, and an action
    on it shows its new colour on the map at once."""
    from tests.browser import MAP_FRAME, choose, feature_point, wait_idle

    store = open_store(dashboard.db)
    login(page, dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"])
    wait_drawn(page, minimum=1)
    wait_idle(page)
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    frame.evaluate("() => { window.map.eachLayer(l => { if (l.feature) l._old = 1; }); }")
    sent = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on("Network.webSocketFrameSent", lambda e: sent.append(e))
    answers = []
    page.on("response", lambda r: answers.append(r.status) if "/mapdata/change" in r.url else None)
    box = page.locator(MAP_FRAME).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 150, y, steps=5)
    page.mouse.up()
    page.wait_for_function("""() => { const f = [...document.querySelectorAll('iframe')].find(
        i => i.title === 'streamlit_folium.st_folium'); if (!f) return false; let n = 0;
        f.contentWindow.map.eachLayer(l => { if (l.feature && l.feature.properties.s && !l._old) n++; });
        return n > 0; }""", timeout=30_000)
    page.wait_for_timeout(1000)
    assert 200 in answers and sent == [], (answers, len(sent))
    # a click on a drawn polygon opens it (streamlit-folium's own click handler)
    fid = frame.evaluate("""() => { let out = null; window.map.eachLayer(l => { const p = l.feature && l.feature.properties;
        if (p && p.s === 'issued' && p.n !== undefined && out === null) { const c = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
          const pt = window.map.latLngToContainerPoint(c), s = window.map.getSize();
          if (pt.x > 60 && pt.y > 60 && pt.x < s.x - 60 && pt.y < s.y - 60 && (l.getLatLng || l.getBounds().contains(c))) out = p.id; } });
        return out; }""")
    assert fid is not None
    px, py = feature_point(page, fid)
    page.mouse.click(px, py)
    number = store.get_feature("change", fid)["polygon_no"]
    page.locator("[data-testid='stMain'] h3", has_text=number).wait_for(timeout=30_000)
    # the selected one is highlighted on the map
    page.wait_for_function(f"""() => {{ const f = [...document.querySelectorAll('iframe')].find(
        i => i.title === 'streamlit_folium.st_folium'); let sel = null;
        f.contentWindow.map.eachLayer(l => {{ const p = l.feature && l.feature.properties; if (p && p.sel) sel = p.id; }});
        return sel === {fid}; }}""", timeout=30_000)
    # an action: the map's layer reloads with the polygon's new status
    choose(page, "选择操作", "开始核查（→ 核查中）")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("已办理：下发 → 核查中").wait_for(timeout=30_000)
    page.wait_for_function(f"""() => {{ const f = [...document.querySelectorAll('iframe')].find(
        i => i.title === 'streamlit_folium.st_folium'); let s = null;
        f.contentWindow.map.eachLayer(l => {{ const p = l.feature && l.feature.properties; if (p && p.id === {fid}) s = p.s; }});
        return s === 'verifying'; }}""", timeout=30_000)
