"""Markers or outlines on the review map, and what the map's counts count (issue 21).

* A change polygon is drawn as a marker while it is smaller on screen than
  :data:`geo.change.mapview.MARKER_PX` (its own size at the view's zoom, Web Mercator metres per
  pixel at its latitude), and as its outline from the zoom where it is at least that big.
* "当前视图 N 个图斑" counts the polygons in the map's bounds (with the filters), not in the
  larger box the layer is read for; the legend's counts add up to the total it states.
"""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from dashboard.components import fmap
from geo.change import mapview as mv
from geo.core import crs

LAT, LON = 46.08, 122.05  # 乌兰浩特, 兴安盟
STATUS_ENTRY = r"border-radius:50%[^>]*></span>[^<]+ <b>([\d,]+)</b>"  # a status's count in the legend


def square(ha: float, lon: float = LON, lat: float = LAT):
    """A square of ``ha`` hectares (measured as the app measures areas: CGCS2000 3° GK) centred
    at ``lon``/``lat``, in EPSG:4490."""
    epsg = f"EPSG:{crs.gk3_epsg_for_lon(lon)}"
    (x,), (y,) = crs.transformer(crs.CGCS2000, epsg).transform([lon], [lat])
    half = math.sqrt(ha * 10_000) / 2
    g = crs.transform_geoms(np.array([box(x - half, y - half, x + half, y + half)], dtype=object), epsg, crs.CGCS2000)
    return g[0]


def switch_zoom(geom, min_px: float = mv.MARKER_PX) -> int:
    """The first zoom at which ``geom`` is drawn as an outline."""
    return next(z for z in range(0, 23) if not mv.drawn_as_marker(shapely.bounds(geom), z, min_px)[0])


def test_the_square_is_what_it_says():
    ha, _, _ = crs.areas_ha_mu(np.array([square(0.4)], dtype=object))
    assert ha[0] == pytest.approx(0.4, rel=1e-3)


def test_metres_per_pixel_is_web_mercators():
    assert mv.metres_per_pixel(0, 0) == pytest.approx(156543.03392)
    assert mv.metres_per_pixel(46, 15) == pytest.approx(156543.03392 * math.cos(math.radians(46)) / 2**15)
    assert mv.metres_per_pixel(46, 15) == pytest.approx(3.319, abs=1e-3)


def test_a_0_4_ha_square_at_46N_is_a_marker_at_zoom_12_and_an_outline_at_15():
    g = square(0.4)
    side = math.sqrt(4000)  # 63.2 m
    for z in range(10, 18):  # its on-screen size is its side over the metres per pixel there (its
        # bounding box is ~1 % wider: the GK grid is turned by 0.7° against the meridian there)
        assert mv.extent_px(shapely.bounds(g), z)[0] == pytest.approx(side / mv.metres_per_pixel(LAT, z), rel=0.02)
    assert mv.drawn_as_marker(shapely.bounds(g), 12)[0]
    assert not mv.drawn_as_marker(shapely.bounds(g), 15)[0]
    # the switch is where its size on screen crosses the threshold: 4.7 px at 13, 9.5 px at 14 (the
    # 500 m scale bar, where a user asked to see it as itself)
    z = switch_zoom(g)
    assert z == 14
    assert mv.extent_px(shapely.bounds(g), z - 1)[0] < mv.MARKER_PX <= mv.extent_px(shapely.bounds(g), z)[0]
    # and the map draws exactly that: a point at 12 and 13, its outline from 14
    for zoom, kind in ((12, "Point"), (13, "Point"), (14, "Polygon"), (15, "Polygon"), (16, "Polygon")):
        fc = fmap.feature_collection(gpd.GeoDataFrame({"id": [1]}, geometry=[g], crs=4490), {"id": "id"}, zoom,
                                     min_px=fmap.MARKER_PX)
        assert fc["features"][0]["geometry"]["type"] == kind, zoom


def test_each_polygon_switches_by_its_own_size_and_latitude():
    small, large = square(0.4), square(1.5)
    # metres per pixel shrink with cos(latitude): a 0.25 ha square switches one zoom earlier at 60°N
    assert switch_zoom(square(0.25, lon=122.05, lat=60.0)) == 14 < switch_zoom(square(0.25)) == 15
    assert switch_zoom(large) == 13 < switch_zoom(small) == 14
    assert switch_zoom(square(10.0)) == 12
    # one view at zoom 13 holds both kinds
    frame = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[small, large], crs=4490)
    kinds = [f["geometry"]["type"] for f in fmap.feature_collection(frame, {"id": "id"}, 13, min_px=fmap.MARKER_PX)["features"]]
    assert kinds == ["Point", "Polygon"]
    # a long thin polygon is an outline once its length is big enough to hit
    strip = box(LON, LAT, LON + 0.0003, LAT + 0.002)  # ~23 m × 222 m
    assert not mv.drawn_as_marker(shapely.bounds(strip), 14)[0]


def test_the_threshold_is_one_constant():
    assert fmap.MARKER_PX is mv.MARKER_PX
    assert mv.MARKER_PX == 8
    # at the 500 m scale bar (zoom 14 at 46°N) a 0.4 ha polygon is an outline, not a dot
    assert not mv.drawn_as_marker(shapely.bounds(square(0.4)), 14)[0]


def test_the_page_layer_draws_markers_and_outlines_by_the_rule():
    frame = gpd.GeoDataFrame({
        "id": [1, 2], "status": ["issued", "applied"], "overdue": [False, False], "polygon_no": ["A", "B"],
        "county": ["乌兰浩特市", "乌兰浩特市"], "area_ha": [0.4, 4.0],
    }, geometry=[square(0.4), square(4.0, lon=LON + 0.01)], crs=4490)
    view = mv.View("features", 2, features=frame)
    for zoom, kinds in ((12, {"Point"}), (13, {"Point", "Polygon"}), (14, {"Polygon"})):
        mode, n, data = fmap.view_payload(view, zoom)
        assert {f["geometry"]["type"] for f in json.loads(data)["features"]} == kinds, zoom


# ------------------------------------------------------------------------------ counts
def test_in_view_counts_the_polygons_meeting_the_bounds():
    bounds = np.array([[0, 0, 1, 1], [2, 2, 3, 3], [0.5, 0.5, 2.5, 2.5], [5, 5, 6, 6]], dtype=float)
    assert mv.in_view(bounds, (0.9, 0.9, 2.1, 2.1)).tolist() == [True, True, True, False]
    assert mv.count_in_view(bounds, 4, (1.5, 1.5, 1.8, 1.8)) == 1
    assert mv.count_in_view(bounds, 4, None) == 4  # no bounds known: the count of the box read
    assert mv.count_in_view(None, 7, (0, 0, 1, 1)) == 7  # grid cells: their count stands
    view = mv.View("features", 2, features=gpd.GeoDataFrame({"id": [1, 2]}, geometry=[box(0, 0, 1, 1), box(4, 4, 5, 5)],
                                                            crs=4490))
    assert view.bounds().tolist() == [[0, 0, 1, 1], [4, 4, 5, 5]]
    assert mv.View("aggregate", 9).bounds() is None


def test_the_legend_adds_up_to_the_total_it_states():
    from geo.declare import registry as S

    statuses = S.layer("change").statuses
    counts = {s: i + 1 for i, s in enumerate(statuses)}
    html = fmap.legend_html("zh", counts=counts)
    total = sum(counts.values())
    assert f"筛选结果共 <b>{total:,}</b> 个图斑" in html
    shown = [int(v.replace(",", "")) for v in re.findall(STATUS_ENTRY, html)]
    assert sum(shown) == total and len(shown) == len(statuses)  # every status, the review's three included
    for s in ("applied", "returned", "reviewed"):
        assert f"{S.label('status', s)} <b>{counts[s]:,}</b>" in html
    # a status the palette does not know (or none) is counted under 其他, never dropped
    odd = fmap.legend_counts({"issued": 2, "no-such": 3, float("nan"): 1})
    assert sum(odd.values()) == 6 and odd[""] == 4
    assert "其他 <b>4</b>" in fmap.legend_html("zh", counts={"issued": 2, "no-such": 3, float("nan"): 1})
    assert "其他" not in html
    # the listing's categorical counts (as the page makes them) keep an undeclared status
    cat = pd.Series(pd.Categorical(["issued", "closed", None], categories=list(statuses)))
    assert sum(fmap.legend_counts(cat.value_counts(dropna=False).to_dict()).values()) == 3


ADMIN = {"name": "admin", "display_name": "系统管理员", "role": "admin", "counties": [], "disabled": False}


@pytest.fixture
def route(monkeypatch, demo_path):
    """``/mapdata/change``'s answer function on a copy of the demo, as the admin."""
    from dashboard import maplayer, web

    monkeypatch.setenv("FOREST_DB", str(demo_path))
    web.shared_store.cache_clear()
    maplayer._layer.cache_clear()
    yield maplayer
    web.shared_store.cache_clear()
    maplayer._layer.cache_clear()


def test_the_view_note_counts_the_maps_bounds_not_the_box_read(route, demo_path):
    from geo.store import open_store

    store = open_store(str(demo_path))
    ticket = route.ticket("admin", mv.Filters())
    zoom = 14
    tried = 0
    for g in store.read_layer("change", columns=["status"]).geometry.values[:400]:
        # a view whose right edge cuts just past a polygon: the snapped box holds more than the map
        minx, miny, maxx, maxy = g.bounds
        cy = (miny + maxy) / 2
        view = fmap.view_bbox((cy, minx - 0.02), zoom, 668, 600)
        snapped = fmap.snap_bbox(view, zoom)
        exact_n = store.count("change", {}, view)
        read_n = store.count("change", {}, snapped)
        if not 0 < exact_n < read_n:
            continue
        tried += 1
        status, body = route.answer(ADMIN, {"t": ticket, "zoom": str(zoom), "bbox": ",".join(f"{v:.6f}" for v in view)})
        assert status == 200
        answer = json.loads(body)
        assert answer["mode"] == "features"
        assert len(answer["data"]["features"]) == read_n  # drawn a little beyond the edges (no redraw on small pans)
        assert answer["n"] == exact_n  # counted in the map's own bounds
        if tried >= 3:
            break
    assert tried, "no view in the demo where the snapped box holds more polygons than the map's bounds"


def test_the_map_page_counts_the_view_and_its_legend_adds_up(monkeypatch, demo_path):
    """The page drawing the layer itself (no session cookie: AppTest, or single sign-on): the
    caption counts the view's polygons, the legend all that match the filters."""
    from geo.store import open_store
    from tests.test_app import run_app

    query = {"county": "152224"}
    at = run_app(monkeypatch, demo_path, query=query)
    assert not at.exception, at.exception
    store = open_store(str(demo_path))
    where = {"county_code": "152224"}
    view = at.session_state["view_box"]
    expected = store.count("change", where, view)
    captions = [c.value for c in at.caption if "当前视图" in c.value]
    assert captions == [f"当前视图 {expected} 个图斑"] or (
        expected > 3000 and any("当前视图共" in i.value for i in at.info))
    legend = next(h.proto.body for h in at.get("html") if "筛选结果共" in h.proto.body)
    total = int(re.search(r"筛选结果共 <b>([\d,]+)</b>", legend).group(1).replace(",", ""))
    assert total == store.count("change", where)
    shown = [int(v.replace(",", "")) for v in re.findall(STATUS_ENTRY, legend)]
    assert sum(shown) == total
