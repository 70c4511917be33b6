"""The folium map: offline assets, safe labels, and viewport-sized layers.

* Assets. Leaflet and MarkerCluster are served by the app itself (``dashboard/static/vendor``,
  Streamlit static serving); folium's CDN links are replaced on every map element, and a map that
  would still reference an external script or stylesheet raises instead of drawing nothing on an
  intranet.
* Safety. Attribute values reach the browser only as GeoJSON properties (serialised by
  ``tojson``, which escapes ``<``/``>``/``&``) and are put on the page with ``textContent``,
  never as HTML, so ``<img onerror>``, ``${…}`` or backticks stay text. Static labels that must go
  through folium's HTML sinks are escaped with :func:`safe_html`.
* Size. The base map (view, basemap, county outlines) stays the same between reruns; everything
  that changes goes through ``feature_group_to_add``, so panning updates layers in place.
"""

from __future__ import annotations

import functools
import html
import json
import math

import branca.element as _branca_element
import folium
import folium.plugins
import numpy as np
import shapely
from branca.element import MacroElement
from folium.utilities import JsCode
from jinja2 import Template

from geo.change import mapview as mv
from geo.declare import registry as S
from geo.fieldwork.patrols import excluded_lines, trusted_line

# branca wraps what each folium element renders (its JavaScript, with the GeoJSON data inside) in
# a new ``Element(text)``, which compiles that text again as a Jinja template. Two consequences:
# (1) attribute values are *evaluated* as Jinja — a polygon number "{{ 7*7 }}" became "49", and
#     "{{ cycler.__init__.__globals__.os… }}" would run on the server (tests/test_map_view.py);
# (2) compiling a megabyte of GeoJSON as a template took a third of the time of every action on
#     the map page (py-spy).
# So rendered output is kept as text, never compiled again; template strings without Jinja
# syntax become plain text too, and real templates are compiled once.
class _Rendered(_branca_element.Element):
    """Text a macro has already rendered: kept as it is."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


def _macro_render(self, **kwargs):
    figure = self.get_root()
    assert isinstance(figure, _branca_element.Figure), "You cannot render this Element if it is not in a Figure."
    for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
        macro = self._template.module.__dict__.get(part)
        if macro is not None:
            target.add_child(_Rendered(macro(self, kwargs)), name=self.get_name())
    for element in list(self._children.values()):
        element.render(**kwargs)


class _Text:
    """A 'template' without any Jinja syntax: renders to itself."""

    def __init__(self, source: str):
        self.source = source

    def render(self, *args, **kwargs) -> str:
        return self.source


def _template(source: str):
    if "{{" in source or "{%" in source or "{#" in source:
        return _compiled(source)
    return _Text(source)


if not getattr(_branca_element.MacroElement.render, "_forest", False):
    _compiled = functools.lru_cache(maxsize=256)(_branca_element.Template)
    _macro_render._forest = True
    _branca_element.MacroElement.render = _macro_render
    _branca_element.Template = _template


ASSETS = "../../app/static/vendor"  # relative to the component iframe: works under a base URL path
LOCAL_JS = {
    "leaflet": f"{ASSETS}/leaflet/leaflet.js",
    "markerclusterjs": f"{ASSETS}/leaflet.markercluster/leaflet.markercluster.js",
}
LOCAL_CSS = {
    "leaflet_css": f"{ASSETS}/leaflet/leaflet.css",
    "markerclustercss": f"{ASSETS}/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": f"{ASSETS}/leaflet.markercluster/MarkerCluster.Default.css",
}
# folium defaults the map does not use (no bootstrap widgets, no awesome-marker icons)
UNUSED = {"jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
          "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}

# Status colours: Paul Tol's "muted" qualitative scheme (designed to stay distinct for colour-blind
# readers), with its pale cyan — too close to water on every basemap — replaced by black.
# tests/test_map_palette.py checks the distances (CIEDE2000, also under simulated deuteranopia and
# protanopia) between the statuses and against the basemaps' colours.
PALETTE = "Paul Tol muted (pale cyan replaced by black)"
STATUS_COLORS = {
    "issued": "#CC6677",      # rose: new, needs a visit
    "verifying": "#DDCC77",   # sand
    "verified": "#44AA99",    # teal
    "case_filed": "#AA4499",  # purple
    "penalized": "#882255",   # wine
    "rectifying": "#332288",  # indigo
    "rectified": "#999933",   # olive
    "accepted": "#117733",    # green
    # the closure review (picked by tests/test_map_palette.py's distances from the nine above):
    "applied": "#0066FF",     # blue: awaiting the league's review (待审核)
    "returned": "#AA5577",    # dusky rose, near 下发's rose: back with the county (已退回)
    "reviewed": "#AACCAA",    # pale green: passed the league, awaiting the province (待省级抽查)
    "closed": "#000000",      # black: done
}
OVERDUE_COLOR = "#ff0000"  # dashed outline: the dashes, not only the colour, say "overdue"
# What each basemap mostly looks like (for the colour test and the outline around polygons):
# polygons and markers get a dark outline on light basemaps and a white one on imagery.
BASEMAP_BACKGROUNDS = {"none": "#eef0f2", "offline": "#f2efe9"}
# a polygon smaller than this on screen is drawn as a marker of its status colour: the rule and
# its reason are geo.change.mapview.drawn_as_marker's
MARKER_PX = mv.MARKER_PX
LAYER_COLORS = {"occupation": "#8e0152", "restoration": "#4dac26", "patrol": "#7b3294",
                "zone": "#999999", "signboard": "#1f78b4", "admin": "#444444"}


def safe_html(value) -> str:
    """Text for folium's HTML sinks (Popup/Tooltip): escaped, and inert inside JS template literals."""
    return html.escape("" if value is None else str(value)).replace("$", "&#36;").replace("`", "&#96;")


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localise(element) -> None:
    """Point every folium element under ``element`` at the app's own copies of its assets."""
    for el in _walk(element):
        if hasattr(el, "default_js"):
            js = []
            for name, url in el.default_js:
                if name in LOCAL_JS:
                    js.append((name, LOCAL_JS[name]))
                elif name not in UNUSED:
                    raise RuntimeError(f"map element {type(el).__name__} needs {name} ({url}), "
                                       "which the app does not serve")
            el.default_js = js
        if hasattr(el, "default_css"):
            css = []
            for name, url in el.default_css:
                if name in LOCAL_CSS:
                    css.append((name, LOCAL_CSS[name]))
                elif name not in UNUSED:
                    raise RuntimeError(f"map element {type(el).__name__} needs {name} ({url}), "
                                       "which the app does not serve")
            el.default_css = css


# ------------------------------------------------------------------------------ view math
TILE = 256


def _px(lon, lat, zoom):
    scale = TILE * 2**zoom
    x = (lon + 180.0) / 360.0 * scale
    s = math.sin(math.radians(max(min(lat, 85.0), -85.0)))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def _lonlat(x, y, zoom):
    scale = TILE * 2**zoom
    lon = x / scale * 360.0 - 180.0
    n = math.pi - 2 * math.pi * y / scale
    lat = math.degrees(math.atan(math.sinh(n)))
    return lon, lat


def fit_zoom(bbox, width_px: int, height_px: int, max_zoom: int = 16) -> int:
    minx, miny, maxx, maxy = bbox
    for z in range(max_zoom, 0, -1):
        x0, y1 = _px(minx, miny, z)
        x1, y0 = _px(maxx, maxy, z)
        if x1 - x0 <= width_px and y1 - y0 <= height_px:
            return z
    return 1


def view_bbox(center, zoom: int, width_px: int, height_px: int):
    """The lon/lat box a map of this pixel size shows at ``center`` (lat, lon) and ``zoom``."""
    cx, cy = _px(center[1], center[0], zoom)
    minx, maxy = _lonlat(cx - width_px / 2, cy - height_px / 2, zoom)
    maxx, miny = _lonlat(cx + width_px / 2, cy + height_px / 2, zoom)
    return (minx, miny, maxx, maxy)


def snap_bbox(bbox, zoom: int, cell_px: int = 64):
    """Grow ``bbox`` outward to a grid of ``cell_px`` pixels at ``zoom``, so the estimated first
    view and the map's real bounds usually give the identical layer (no redraw)."""
    minx, miny, maxx, maxy = bbox
    x0, y1 = _px(minx, miny, zoom)
    x1, y0 = _px(maxx, maxy, zoom)
    x0, y0 = math.floor(x0 / cell_px) * cell_px, math.floor(y0 / cell_px) * cell_px
    x1, y1 = math.ceil(x1 / cell_px) * cell_px, math.ceil(y1 / cell_px) * cell_px
    a = _lonlat(x0, y1, zoom)
    b = _lonlat(x1, y0, zoom)
    return (round(a[0], 6), round(a[1], 6), round(b[0], 6), round(b[1], 6))


def parse_view(text):
    """``"46.05,121.6,11"`` → ``(46.05, 121.6, 11)``; anything else → None."""
    try:
        lat, lon, zoom = (float(v) for v in str(text).split(","))
    except (TypeError, ValueError):
        return None
    if not (-85 < lat < 85 and -180 <= lon <= 180 and 1 <= zoom <= 18):
        return None
    return (lat, lon, int(zoom))


def bounds_to_bbox(bounds: dict):
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]
        box = (float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]))
    except (KeyError, TypeError, ValueError):
        return None
    if any(v is None or not math.isfinite(v) for v in box) or box[0] >= box[2] or box[1] >= box[3]:
        return None
    return box


def decimals_for_zoom(zoom: int) -> int:
    # ~half a pixel: 360/(256*2^z) degrees per pixel
    deg = 360.0 / (TILE * 2**zoom) / 2
    return max(3, min(7, int(math.ceil(-math.log10(deg)))))


def simplify_for_zoom(geoms, zoom: int):
    tol = 360.0 / (TILE * 2**zoom) / 2
    geoms = shapely.simplify(np.asarray(geoms, dtype=object), tol, preserve_topology=True)
    d = decimals_for_zoom(zoom)
    return shapely.transform(geoms, lambda c: np.round(c, d))


def small_on_screen(geoms, zoom: int, min_px: int = MARKER_PX) -> np.ndarray:
    """Whether each geometry is drawn as a marker at ``zoom``: its bounding box is smaller than
    ``min_px`` screen pixels both ways (:func:`geo.change.mapview.drawn_as_marker`)."""
    b = shapely.bounds(np.asarray(geoms, dtype=object))
    if not len(b):
        return np.zeros(0, dtype=bool)
    return mv.drawn_as_marker(b, zoom, min_px)


def feature_collection(frame, props: dict[str, str], zoom: int, points: bool = False,
                       selected: int | None = None, min_px: int = 0) -> dict:
    """A compact FeatureCollection: simplified, rounded geometries and short property names.
    With ``points``, each feature is drawn as a dot at a point inside it; with ``min_px``, only the
    features smaller than that on screen are (the others keep their shape)."""
    geoms = frame.geometry.values
    if points:
        dots = np.ones(len(geoms), dtype=bool)
    elif min_px:
        dots = small_on_screen(geoms, zoom, min_px)
    else:
        dots = np.zeros(len(geoms), dtype=bool)
    out = np.empty(len(geoms), dtype=object)
    if dots.any():
        d = decimals_for_zoom(zoom)
        out[dots] = shapely.transform(shapely.point_on_surface(geoms[dots]), lambda c: np.round(c, d))
    if (~dots).any():
        out[~dots] = simplify_for_zoom(geoms[~dots], zoom)
    gj = shapely.to_geojson(out)
    cols = {short: frame[col].tolist() for short, col in props.items()}
    features = []
    for i, g in enumerate(gj):
        p = {}
        for short, values in cols.items():
            v = values[i]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            p[short] = v.item() if isinstance(v, np.generic) else v
        if selected is not None and p.get("id") == selected:
            p["sel"] = 1
        features.append({"type": "Feature", "geometry": json.loads(g), "properties": p})
    return {"type": "FeatureCollection", "features": features}


def to_js(obj) -> str:
    """``obj`` as JSON that is safe inside a <script> (as jinja's ``tojson``), computed once per
    cached view instead of on every run."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"),
                 ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text


class JsonLayer(MacroElement):
    """A GeoJSON layer whose data comes already serialised (:func:`to_js`), styled and labelled by
    ``on_each`` (JavaScript); points become circle markers. Clicks reach streamlit-folium as for
    ``folium.GeoJson`` (it listens on every layer of the map)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(null, {
            pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, {{ this.marker }}); },
            onEachFeature: {{ this.on_each }}
        });
        {{ this.get_name() }}.addData({{ this.data_js }});
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data_js: str, on_each: str, name: str = "json_layer"):
        super().__init__()
        self._name = name
        self.data_js, self.on_each = data_js, on_each
        self.marker = to_js({"radius": 6, "weight": 1.5, "fill": True})


class ChangeLoader(MacroElement):
    """The change layer drawn by the browser itself: on every move of the map it asks the app's
    ``/mapdata/change`` route (dashboard/maplayer.py) for the view's polygons or grid cells and
    replaces the layer, so a pan needs no Streamlit rerun. Which polygons (the page's filters, as
    a ticket) and which one is selected come with each run through :func:`change_state`; what
    the user may see is decided by the route from their session cookie. Clicks go to
    streamlit-folium's own click handler (as for every layer it found on the map), so a click
    still returns the feature in ``last_active_drawing``. The note on what the view holds (the
    count, or that it is aggregated) is shown in the map's corner."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
          var map = {{ this._parent.get_name() }}, cfg = {{ this.cfg }};
          var changeEach = {{ this.change_js }};
          var aggregateEach = {{ this.aggregate_js }};
          var state = {t: null, sel: null}, seq = 0, layer = null, last = null;
          var Info = L.Control.extend({onAdd: function () {
            var d = L.DomUtil.create('div', 'forest-view-info');
            d.style.cssText = 'background: rgba(255,255,255,0.9); padding: 2px 6px; border-radius: 3px; ' +
                              'font-size: 12px; max-width: 420px; color: #1f2d3d;';
            d.style.display = 'none';
            return d; }});
          var info = new Info({position: 'bottomleft'});
          info.addTo(map);
          function note(d) {
            var el = info.getContainer(), text = cfg.texts[d.mode] || '';
            el.textContent = text.replace('{n}', String(d.n)).replace('{cap}', String(cfg.cap));
            el.style.display = text ? '' : 'none';
          }
          function clickHandler() {  // streamlit-folium's own, bound on the layers it found
            for (var k in map._layers) {
              var l = map._layers[k], ev = l && l._events && l._events.click;
              if (ev && ev.length && l !== layer && !(layer && layer.hasLayer(l))) { return ev[0].fn; }
            }
            return null;
          }
          function draw(d) {
            window.forestChangeSel = state.sel;
            var next = L.geoJson(null, {
              pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, cfg.marker); },
              onEachFeature: d.mode === 'aggregate' ? aggregateEach : changeEach});
            if (d.data) { next.addData(d.data); }
            var fn = clickHandler();
            if (fn) { next.on('click', fn); }
            next.addTo(map);
            // the page's other layers stay above the change polygons, as when the page drew them all
            (window.feature_group || []).forEach(function (g) { if (g && g.bringToFront && map.hasLayer(g)) { g.bringToFront(); } });
            if (layer) { map.removeLayer(layer); }
            layer = next;
            last = d;
            note(d);
          }
          function load() {
            if (!state.t) { return; }
            var b = map.getBounds(), mine = ++seq;
            var q = '?t=' + encodeURIComponent(state.t) + '&zoom=' + map.getZoom() + '&bbox=' +
                    [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(',');
            fetch(cfg.url + q, {credentials: 'same-origin', cache: 'no-store'})
              .then(function (r) { return r.ok ? r.json() : null; })
              .then(function (d) { if (d && mine === seq) { draw(d); } })
              .catch(function () {});
          }
          var pending = null;
          function schedule() {  // one request for a run's new state and the view it then moves to
            if (pending === null) { pending = setTimeout(function () { pending = null; load(); }, 0); }
          }
          map.on('moveend', schedule);
          window.forestChange = {ticket: function () { return state.t; }, set: function (s) {
            var again = s.t !== state.t || s.v !== state.v;  // other filters, or the data changed
            state = s;
            if (!s.t) {  // the layer switched off
              seq++;
              if (layer) { map.removeLayer(layer); }
              layer = null;
              last = null;
              info.getContainer().style.display = 'none';
            } else if (s.d) {  // the page's own answer for its view (a page load): draw it, then ask for the map's
              draw(s.d);
              schedule();
            } else if (again) { schedule(); } else if (last) { draw(last); }
          }};
        })();
        {% endmacro %}
    """)

    def __init__(self, lang: str, dark: bool, texts: dict[str, str], cap: int, url: str = "../../mapdata/change"):
        super().__init__()
        self._name = "change_loader"
        self.cfg = to_js({"url": url, "texts": texts, "cap": int(cap),
                          "marker": {"radius": 6, "weight": 1.5, "fill": True}})
        self.change_js = change_each_js(lang, dark, "window.forestChangeSel", clear=True)
        self.aggregate_js = aggregate_each_js(lang)


class _ChangeState(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        if (window.forestChange) { window.forestChange.set({{ this.state }}); }
        {% endmacro %}
    """)

    def __init__(self, ticket: str, selected: int | None, version: str, first=None):
        super().__init__()
        self._name = "change_state"
        state = to_js({"t": ticket, "v": version, "sel": None if selected is None else int(selected)})
        if first is not None:
            mode, n, data = first
            state = state[:-1] + f',"d":{{"mode":{to_js(mode)},"n":{int(n)},"data":{data}}}}}'
        self.state = state


def change_state(ticket: str, selected: int | None, version: str = "", first=None) -> folium.FeatureGroup:
    """What the browser-side change layer (:class:`ChangeLoader`) shows: the filters' ticket, the
    selected polygon and the store's change token (``version``). Sent with every run; the layer
    reloads when the ticket or the token changes (an action's new status shows at once), and is
    only restyled when just the selection does. ``first``: the page's own ``(mode, count,
    serialised layer)`` for its view, drawn at once when the map is (re)built, before the map asks
    for its exact view."""
    fg = folium.FeatureGroup(name="change_state")
    _ChangeState(ticket, selected, version, first).add_to(fg)
    return fg


# ------------------------------------------------------------------------------ map pieces
class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


def base_map(center, zoom: int, basemap: str = "none", tianditu_key: str = "",
             outlines: dict | None = None, lang: str = "zh", *, bm=None, towns: dict | None = None,
             settings=None, loader: ChangeLoader | None = None) -> folium.Map:
    """The map every page starts from: view, basemap (``bm``, or the key ``basemap`` looked up
    among this deployment's options) and county outlines. ``towns``: township boundaries for the
    offline basemap; ``loader``: the browser-side change layer (:class:`ChangeLoader`)."""
    from dashboard.components import basemaps

    if bm is None:
        import types

        cfg = settings or types.SimpleNamespace(basemap=basemap, tianditu_key=tianditu_key, basemaps=())
        opts = basemaps.options(cfg)
        bm = opts[basemaps.choose(opts, basemap, getattr(cfg, "basemap", "offline"))]
    m = folium.Map(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True,
                   control_scale=False, min_zoom=4, max_zoom=18, inertia=False)
    _MetricScale().add_to(m)  # folium's own scale bar also shows miles
    basemaps.add_to(m, bm, outlines, towns)
    if outlines:
        folium.GeoJson(
            outlines,
            name="counties",
            style_function=lambda f: {"color": "#333333", "weight": 1.6, "fill": False},
            on_each_feature=JsCode(TEXT_TOOLTIP_JS.replace("__FIELD__", "n")),
            interactive=False,
        ).add_to(m)
    if loader is not None:
        loader.add_to(m)
    localise(m)
    return m


TEXT_TOOLTIP_JS = """
function(feature, layer) {
  var v = feature.properties.__FIELD__;
  if (v !== undefined && v !== null) {
    var el = document.createElement('span');
    el.textContent = String(v);
    layer.bindTooltip(el, {sticky: true});
  }
}
"""


def change_layer(fc, lang: str, points: bool = False, dark: bool = False, selected: int | None = None) -> folium.FeatureGroup:
    """Change polygons coloured by status; overdue ones outlined in dashed red. Features given as
    points (too small to see as shapes) are drawn as round markers of the same colour. On a dark
    basemap (imagery) outlines are white, on a light one dark, so every colour stands out.
    ``fc``: a FeatureCollection, or one already serialised with :func:`to_js`; ``selected``: the id
    drawn highlighted (also taken from a ``sel`` property)."""
    js = change_each_js(lang, dark, "null" if selected is None else str(int(selected)))
    fg = folium.FeatureGroup(name="change")
    JsonLayer(fc if isinstance(fc, str) else to_js(fc), js, name="change_polygons").add_to(fg)
    return fg


def change_each_js(lang: str, dark: bool, selected: str, clear: bool = False) -> str:
    """The ``onEachFeature`` of the change layer: style by status, tooltip as text. ``selected``:
    a JavaScript expression for the highlighted id; with ``clear``, a feature that is no longer
    the selected one loses its highlight (the browser-side layer redraws the same data)."""
    labels = {s: S.label("status", s, lang) for s in S.layer("change").statuses}
    late = "逾期" if lang == "zh" else "overdue"
    ha = "公顷" if lang == "zh" else "ha"
    halo = "#ffffff" if dark else "#222222"
    js = """
function(feature, layer) {
  var colors = %s, labels = %s, p = feature.properties, dot = !!layer.setRadius;
  if (p.id === %s) { p.sel = 1; }%s
  var c = colors[p.s] || '%s';
  layer.setStyle({color: p.sel ? '%s' : (p.o ? '%s' : (dot ? '%s' : c)),
                  weight: p.sel ? 4 : (p.o ? 2.5 : (dot ? 1.5 : 1.6)),
                  dashArray: p.o && !p.sel ? '5 3' : null, opacity: 1,
                  fill: true, fillColor: c, fillOpacity: dot ? 0.95 : 0.55});
  if (dot) { layer.setRadius(p.sel ? 9 : (p.s === 'closed' && !p.o ? 4 : 6)); }
  if (p.sel && layer.bringToFront) { setTimeout(function () { layer.bringToFront(); }, 0); }
  var box = document.createElement('div');
  var title = document.createElement('b');
  title.textContent = p.n === undefined ? ('#' + p.id) : String(p.n);
  box.appendChild(title);
  var line = document.createElement('div');
  line.textContent = (labels[p.s] || String(p.s)) + (p.o ? ' · %s' : '') +
      (p.a !== undefined ? ' · ' + p.a + ' %s' : '') + (p.c !== undefined ? ' · ' + String(p.c) : '');
  box.appendChild(line);
  layer.bindTooltip(box, {sticky: true});
}
""" % (json.dumps(STATUS_COLORS), json.dumps(labels, ensure_ascii=False), selected,
       " else if (p.sel) { delete p.sel; }" if clear else "", OTHER_COLOR, "#ffff00" if dark else "#00e5ff",
       OVERDUE_COLOR, halo, late, ha)
    return js.strip()


def view_payload(view, zoom: int) -> tuple[str, int, str]:
    """What the change layer draws for one :func:`geo.change.mapview.viewport` answer: ``(mode, count,
    serialised FeatureCollection of polygons or of grid cells)``."""
    if view.mode == "features":
        # closed polygons first, so the open ones are drawn on top of them
        order = (view.features["status"] != "closed").to_numpy().argsort(kind="stable")
        fc = feature_collection(
            view.features.iloc[order], {"id": "id", "s": "status", "o": "overdue", "n": "polygon_no", "c": "county",
                                        "a": "area_ha"},
            zoom, min_px=MARKER_PX)
        return view.mode, view.count, to_js(fc)
    return view.mode, view.count, to_js(aggregate_fc(view.cells))


def aggregate_fc(cells: list[dict]) -> dict:
    """Grid cells with their counts as a FeatureCollection (``k`` count, ``f`` fill, ``l`` label)."""
    features = []
    top = max((c["count"] for c in cells), default=1)
    for c in cells:
        x0, y0, x1, y1 = (round(v, 6) for v in c["bbox"])
        features.append({
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]},
            "properties": {"k": int(c["count"]), "f": round(0.15 + 0.6 * c["count"] / top, 3),
                           "l": 1 if len(cells) <= 300 else 0},
        })
    return {"type": "FeatureCollection", "features": features}


def aggregate_layer(cells, lang: str) -> folium.FeatureGroup:
    """Counts on a grid when the view holds more polygons than the map should draw. ``cells``: the
    cells (list of dicts), or their FeatureCollection already serialised with :func:`to_js`."""
    fg = folium.FeatureGroup(name="aggregate")
    JsonLayer(cells if isinstance(cells, str) else to_js(aggregate_fc(cells)), aggregate_each_js(lang),
              name="aggregate").add_to(fg)
    return fg


def aggregate_each_js(lang: str) -> str:
    unit = "个图斑，放大查看" if lang == "zh" else "polygons, zoom in"
    js = """
function(feature, layer) {
  var p = feature.properties;
  layer.setStyle({color: '#b2182b', weight: 0.5, fillColor: '#b2182b', fillOpacity: p.f});
  var el = document.createElement('span');
  el.textContent = p.k + ' %s';
  layer.bindTooltip(el, {sticky: true});
  if (p.l) {
    var n = document.createElement('b');
    n.textContent = String(p.k);
    layer.bindTooltip(n, {permanent: true, direction: 'center', className: 'forest-count'});
  }
}
""" % unit
    return js.strip()


def polygon_layer(fc: dict, key: str, label_field: str = "n") -> folium.FeatureGroup:
    colour = LAYER_COLORS[key]
    fill = key in ("occupation", "restoration")
    js = """
function(feature, layer) {
  layer.setStyle({color: '%s', weight: %s, fill: %s, fillColor: '%s', fillOpacity: 0.25,
                  dashArray: %s});
  var v = feature.properties.%s;
  if (v !== undefined && v !== null) {
    var el = document.createElement('span');
    el.textContent = String(v);
    layer.bindTooltip(el, {sticky: true});
  }
}
""" % (colour, 2 if fill else 0.8, "true" if fill else "false", colour,
       "'4 4'" if key == "zone" else "null", label_field)
    fg = folium.FeatureGroup(name=key)
    folium.GeoJson(fc, name=key, on_each_feature=JsCode(js)).add_to(fg)
    return fg


PROBLEM_COLORS = {"gaps": "#ff7f00", "overlaps": "#e31a1c", "outside_parent": "#6a3d9a"}  # the zone check's


def tooltip_layer(fc: dict, name: str, style_js: str) -> folium.FeatureGroup:
    """Features styled by ``style_js`` (JavaScript run with ``feature`` and ``layer``), each with its
    property ``n`` as a text tooltip (set as text, never as HTML)."""
    js = """
function(feature, layer) {
%s
  var el = document.createElement('span');
  el.textContent = String(feature.properties.n || '');
  layer.bindTooltip(el, {sticky: true});
}
""" % style_js
    fg = folium.FeatureGroup(name=name)
    folium.GeoJson(fc, name=name, on_each_feature=JsCode(js)).add_to(fg)
    return fg


def problem_layer(fc: dict, key: str) -> folium.FeatureGroup:
    """A kind of the zone check's problems (gaps, overlaps, parts outside the parent zone): filled
    in its colour, with a text tooltip ``n``."""
    colour = PROBLEM_COLORS[key]
    return tooltip_layer(fc, key, "  layer.setStyle({color: '%s', weight: 2, fill: true, fillColor: '%s', "
                                  "fillOpacity: 0.45});" % (colour, colour))


def problem_legend(lang: str) -> str:
    """The zone check map's legend (our own words)."""
    names = {"gaps": ("缺口", "Gap"), "overlaps": ("重叠", "Overlap"), "outside_parent": ("超出上级", "Outside parent")}
    items = "".join(
        f"<span style='margin-right:14px;white-space:nowrap'><span style='display:inline-block;width:14px;height:10px;"
        f"background:{c};opacity:0.7;margin-right:4px'></span>{safe_html(names[k][0 if lang == 'zh' else 1])}</span>"
        for k, c in PROBLEM_COLORS.items())
    return f"<div style='font-size:0.8rem;line-height:1.8'>{items}</div>"


def share_layer(fc: dict) -> folium.FeatureGroup:
    """Zones filled by their patrol coverage ``v`` (0–1: pale to dark green), tooltip ``n``."""
    return tooltip_layer(fc, "coverage", """
  var v = Number(feature.properties.v || 0);
  var c = v >= 0.8 ? '#006d2c' : v >= 0.5 ? '#31a354' : v >= 0.2 ? '#a1d99b' : v > 0 ? '#e5f5e0' : '#f7f7f7';
  layer.setStyle({color: '#555555', weight: 1, fill: true, fillColor: c, fillOpacity: 0.6});""")


EXCLUDED_COLOR = "#d7191c"  # a track's implausible stretch (property ``x``): red and dashed, left out of its length


def line_layer(fc: dict, key: str = "patrol") -> folium.FeatureGroup:
    """Lines (patrol tracks) with a text tooltip; a feature with ``x`` is an implausible stretch of
    a track, drawn red and dashed (the dashes, not only the colour, say so)."""
    return tooltip_layer(fc, key, """
  if (feature.properties.x) {
    layer.setStyle({color: '%s', weight: 3, opacity: 0.9, dashArray: '6 6'});
  } else {
    layer.setStyle({color: '%s', weight: 2, opacity: 0.8});
  }""" % (EXCLUDED_COLOR, LAYER_COLORS[key]))


def point_layer(points: list, lang: str) -> folium.FeatureGroup:
    """Signboards, clustered; each point is [lat, lon, label, status]."""
    bad = {"stale": "#e66101", "damaged": "#b2182b"}
    js = """
function (row) {
  var colors = %s;
  var m = L.circleMarker(new L.LatLng(row[0], row[1]),
    {radius: 6, weight: 1, color: '#ffffff', fillColor: colors[row[3]] || '%s', fillOpacity: 0.9});
  var el = document.createElement('span');
  el.textContent = String(row[2]);
  m.bindTooltip(el);
  return m;
}
""" % (json.dumps(bad), LAYER_COLORS["signboard"])
    fg = folium.FeatureGroup(name="signboard")
    folium.plugins.FastMarkerCluster(points, callback=js, name="signboards").add_to(fg)
    return fg


def finish(groups: list[folium.FeatureGroup]) -> list[folium.FeatureGroup]:
    for g in groups:
        localise(g)
    return groups


LAYER_NAMES = {"occupation": ("违法占用地块", "Illegal occupation"), "restoration": ("生态修复区", "Restoration"),
               "signboard": ("林长公示牌（橙：信息过期，红：损坏）", "Signboards (orange: stale, red: damaged)"),
               "patrol": ("巡护轨迹", "Patrol tracks"), "zone": ("责任区网格", "Grids"),
               "township": ("苏木乡镇界线（推算）", "Townships (derived)")}


OTHER_COLOR = "#888888"  # a status without a colour of its own (the change layer's JS draws it so too)


def legend_counts(counts: dict) -> dict[str, int]:
    """``counts`` (polygons per status) as the legend shows them: every status of
    :data:`STATUS_COLORS`, and anything else (a status without a colour, none) under ``""``, so
    that the entries always add up to the polygons counted."""
    out = {s: 0 for s in STATUS_COLORS}
    for k, v in counts.items():
        v = 0 if v is None or (isinstance(v, float) and math.isnan(v)) else int(v)
        key = k if k in out else ""
        out[key] = out.get(key, 0) + v
    if not out.get("", 1):
        out.pop("")
    return out


def legend_html(lang: str, layers: list[str] = (), counts: dict | None = None, overdue: int | None = None) -> str:
    """The legend: every status colour (with how many polygons of the current selection — the
    filters, over the whole area, not only the map's view — have it, when ``counts`` is given,
    after their total), the overdue outline, and the other layers shown."""
    shown = None if counts is None else legend_counts(counts)

    def n(k):
        return "" if shown is None else f" <b>{shown.get(k, 0):,}</b>"

    items = ""
    if shown is not None:
        total = sum(shown.values())
        items += (f"<span style='margin-right:10px;white-space:nowrap'>"
                  + (f"筛选结果共 <b>{total:,}</b> 个图斑：" if lang == "zh" else f"<b>{total:,}</b> polygons match the filters:")
                  + "</span>")
    colours = dict(STATUS_COLORS)
    if shown is not None and "" in shown:
        colours[""] = OTHER_COLOR
    items += "".join(
        f"<span style='margin-right:10px;white-space:nowrap'><span style='display:inline-block;"
        f"width:12px;height:12px;background:{c};border:1px solid #222;border-radius:50%;margin-right:4px;"
        f"vertical-align:-1px'></span>"
        f"{safe_html(S.label('status', s, lang) if s else ('其他' if lang == 'zh' else 'other'))}{n(s)}</span>"
        for s, c in colours.items()
    )
    late = "逾期（红色虚线边框）" if lang == "zh" else "overdue (dashed red outline)"
    items += (f"<span style='white-space:nowrap'><span style='display:inline-block;width:12px;height:12px;"
              f"border:2px dashed {OVERDUE_COLOR};margin-right:4px;vertical-align:-2px'></span>{late}"
              f"{'' if overdue is None else f' <b>{int(overdue):,}</b>'}</span>")
    for key in layers:
        colour = LAYER_COLORS["zone" if key == "township" else key]
        name = LAYER_NAMES[key][0 if lang == "zh" else 1]
        items += (f"<span style='margin-left:10px;white-space:nowrap'><span style='display:inline-block;"
                  f"width:14px;height:4px;background:{colour};margin-right:4px;vertical-align:3px'></span>"
                  f"{safe_html(name)}</span>")
        if key == "patrol":
            items += excluded_legend(lang)
    return f"<div style='font-size:0.8rem;line-height:1.8'>{items}</div>"


def excluded_legend(lang: str) -> str:
    """The legend entry of a track's implausible stretch (our own text only)."""
    text = "轨迹不可信段（红色虚线，不计入里程和覆盖）" if lang == "zh" else \
        "implausible stretch of a track (dashed red, not counted)"
    return (f"<span style='margin-left:10px;white-space:nowrap'><span style='display:inline-block;width:14px;"
            f"height:0;border-top:3px dashed {EXCLUDED_COLOR};margin-right:4px;vertical-align:3px'></span>"
            f"{safe_html(text)}</span>")


def track_collection(frame, zoom: int, lang: str = "zh", label_col: str = "label") -> dict:
    """Patrol tracks as a FeatureCollection for :func:`line_layer`: each track's trusted line,
    then its implausible stretches (``flags["excluded"]``, geo.fieldwork.patrols) as features of
    their own with ``x`` (drawn red and dashed)."""
    props = {"n": label_col, **({"id": "id"} if "id" in frame else {})}
    if "flags" not in frame:
        return feature_collection(frame, props, zoom)
    trusted = [trusted_line(g, f) or g for g, f in zip(frame.geometry.values, frame["flags"])]
    fc = feature_collection(frame.set_geometry(type(frame.geometry)(trusted, index=frame.index, crs=frame.crs)),
                            props, zoom)
    extra = []
    zh = lang == "zh"
    for geom, flags, lab in zip(frame.geometry.values, frame["flags"], frame[label_col]):
        for line in excluded_lines(geom, flags):
            extra.append({"type": "Feature", "geometry": json.loads(shapely.to_geojson(simplify_for_zoom(
                np.array([line], dtype=object), zoom)[0])),
                "properties": {"x": 1, "n": f"{lab or ''} · {'不可信段，不计入里程和覆盖' if zh else 'implausible'}"}})
    fc["features"] += extra
    return fc


def imagery_layer(png: bytes, bounds, name: str) -> folium.FeatureGroup:
    """A local image (already warped to Web Mercator) as an overlay; the pixels travel as a data
    URL, so nothing is fetched from elsewhere."""
    import base64

    from folium.raster_layers import ImageOverlay

    west, south, east, north = bounds
    fg = folium.FeatureGroup(name="imagery")
    ImageOverlay(image="data:image/png;base64," + base64.b64encode(png).decode(), bounds=[[south, west], [north, east]],
                 opacity=0.85, name=name, interactive=False).add_to(fg)
    return fg
