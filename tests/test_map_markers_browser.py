"""On the map page in Chromium: a small change polygon is a circle marker while it is too small to
click as a shape and its outline (a path) from the zoom where it is big enough (issue 21); the
note in the map's corner counts the polygons in the map's own bounds."""

from __future__ import annotations

import os

import pytest
import shapely

from geo.change import mapview as mv
from tests.browser import login, map_view, wait_idle
from tests.conftest import DEMO_PASSWORDS

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("FOREST_SHOTS")  # a folder: keep screenshots of the map there


def _kind(frame, fid: int):
    """'marker', 'outline' or None: how the map draws polygon ``fid`` now."""
    return frame.evaluate(
        """(fid) => { let out = null;
             window.map.eachLayer(l => { if (l.feature && l.feature.properties && l.feature.properties.id === fid)
               out = l.setRadius ? 'marker' : (l.getLatLngs ? 'outline' : 'other'); });
             return out; }""", fid)


def _wait_kind(page, frame, fid: int, kind: str) -> None:
    for _ in range(120):
        if _kind(frame, fid) == kind:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"polygon {fid} is drawn as {_kind(frame, fid)!r}, not as {kind!r}")


def test_a_small_polygon_is_an_outline_where_it_is_big_enough_to_click(shared_dashboard, shared_store, page):
    frame_ = shared_store.read_layer("change", columns=["area_ha"])
    small = frame_[(frame_["area_ha"] > 0.35) & (frame_["area_ha"] < 0.45)]
    bounds = shapely.bounds(small.geometry.values)
    ok = mv.drawn_as_marker(bounds, 12) & ~mv.drawn_as_marker(bounds, 15)
    assert ok.any()
    row = small[ok].iloc[0]
    fid = int(row["id"])
    c = row.geometry.representative_point()

    login(page, shared_dashboard.url, "admin", DEMO_PASSWORDS["admin"])
    page.goto(f"{shared_dashboard.url}/?view={c.y:.6f},{c.x:.6f},15")
    wait_idle(page)
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=30_000)
    page.wait_for_function("() => !!document.querySelector('iframe[title=\"streamlit_folium.st_folium\"]')"
                           ".contentWindow.map")
    frame = page.frame(url=lambda u: "streamlit_folium" in u)
    assert map_view(page)[0] == 15
    _wait_kind(page, frame, fid, "outline")  # ~0.4 ha, ~19 px across at zoom 15: its own outline
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "map_z15.png"))
    # the note counts what the map's bounds hold (the layer is read for a slightly larger box)
    frame.wait_for_function("() => { const d = document.querySelector('.forest-view-info'); "
                            "return d && /当前视图 \\d+ 个图斑/.test(d.textContent); }", timeout=30_000)
    page.wait_for_timeout(500)
    note = frame.evaluate("() => document.querySelector('.forest-view-info').textContent")
    w, s, e, n = frame.evaluate("() => { const b = window.map.getBounds(); "
                                "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }")
    assert note == f"当前视图 {shared_store.count('change', {}, (w, s, e, n))} 个图斑"
    # zoomed out to 12 it is too small to click as a shape: a marker of its status colour
    frame.evaluate("() => { window.map.setZoom(12); }")
    _wait_kind(page, frame, fid, "marker")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "map_z12.png"))
