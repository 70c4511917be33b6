"""The basemaps the map offers, all reachable without the internet (except 天地图, which needs a
key and its servers):

* ``offline`` — drawn in the browser from what the app has: county and township boundaries of the
  store (the demo's townships are derived), rivers and place names shipped in ``data/basemap``
  (sources and licences in data/README.md), with labels that appear as one zooms in;
* ``none`` — a plain background;
* intranet XYZ/WMTS services configured under ``[[basemaps]]`` in forest.toml;
* tile archives built from the bureau's own GeoTIFFs (``geo.imagery.basemap``, served at
  ``/tiles/<name>/{z}/{x}/{y}``), when that module is present and has any;
* 天地图 vector and imagery, each with its label layer, when a key is configured;
* OpenStreetMap only when a deployment names it as its default (it needs the internet).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import folium
from branca.element import MacroElement
from jinja2 import Template

DATA = Path(__file__).resolve().parents[2] / "data" / "basemap"
TIANDITU = ("https://t{s}.tianditu.gov.cn/{l}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={l}"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=")


@dataclass(frozen=True)
class Tiles:
    url: str
    attribution: str
    subdomains: str = ""
    max_zoom: int = 18
    overlay: bool = False


@dataclass(frozen=True)
class Basemap:
    key: str
    zh: str
    en: str
    tiles: tuple[Tiles, ...] = ()
    dark: bool = False  # imagery: white outlines around polygons
    background: str = "#eef0f2"
    offline: bool = False  # the app's own vector basemap

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def archives() -> list[dict]:
    """The tile archives built from local GeoTIFFs (``geo.imagery.basemap.available``: name, label, zooms)."""
    from geo.imagery import basemap as gb

    try:
        return list(gb.available())
    except Exception:  # a broken archive folder must not take the map page down
        return []


def options(settings, archive_names=None) -> dict[str, Basemap]:
    """Every basemap this deployment can show, in the order the picker lists them."""
    out = {
        "offline": Basemap("offline", "离线底图（行政区划·河流·地名）", "Offline (boundaries, rivers, places)",
                           background="#f2efe9", offline=True),
        "none": Basemap("none", "无底图", "No basemap"),
    }
    for entry in (archives() if archive_names is None else archive_names):
        # geo.imagery.basemap.available() lists archives as dicts (name, label, zooms, bounds)
        name = entry["name"] if isinstance(entry, dict) else str(entry)
        label = (entry.get("label") if isinstance(entry, dict) else None) or name
        out[f"tiles:{name}"] = Basemap(f"tiles:{name}", f"本地影像：{label}", f"Local imagery: {label}",
                                       (Tiles(f"/tiles/{name}/{{z}}/{{x}}/{{y}}", name, max_zoom=20),),
                                       dark=True, background="#30342c")
    for src in settings.basemaps:
        tiles = [Tiles(src.url, src.attribution, src.subdomains, src.max_zoom)]
        if src.labels:
            tiles.append(Tiles(src.labels, src.attribution, src.subdomains, src.max_zoom, overlay=True))
        out[src.key] = Basemap(src.key, src.name, src.name, tuple(tiles), dark=src.dark,
                               background="#30342c" if src.dark else "#eef0f2")
    key = settings.tianditu_key
    if key:
        t = TIANDITU + key
        out["tianditu"] = Basemap("tianditu", "天地图 矢量（含注记）", "Tianditu map (with labels)", (
            Tiles(t.replace("{l}", "vec"), "天地图", "01234567"),
            Tiles(t.replace("{l}", "cva"), "天地图", "01234567", overlay=True)))
        out["tianditu_img"] = Basemap("tianditu_img", "天地图 影像（含注记）", "Tianditu imagery (with labels)", (
            Tiles(t.replace("{l}", "img"), "天地图", "01234567"),
            Tiles(t.replace("{l}", "cia"), "天地图", "01234567", overlay=True)), dark=True, background="#30342c")
    if settings.basemap == "osm":
        out["osm"] = Basemap("osm", "OpenStreetMap（需联网）", "OpenStreetMap (internet)",
                             (Tiles("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                                    "&copy; OpenStreetMap contributors", max_zoom=19),))
    return out


def choose(opts: dict[str, Basemap], wanted: str | None, default: str) -> str:
    for k in (wanted, default, "offline"):
        if k in opts:
            return k
    return next(iter(opts))


def for_user(store, user_name: str, settings) -> Basemap:
    """The basemap ``user_name`` last picked on the map page (or the deployment's default), for
    any page that shows a map (e.g. the upload preview)."""
    from geo.access import prefs

    opts = options(settings)
    return opts[choose(opts, prefs.get(store, user_name, "basemap"), settings.basemap)]


@lru_cache(maxsize=1)
def shipped() -> tuple[dict, list]:
    """Rivers (GeoJSON) and places ([lat, lon, name]) shipped in data/basemap."""
    try:
        rivers = json.loads((DATA / "rivers.geojson").read_text(encoding="utf-8"))
        places = json.loads((DATA / "places.geojson").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"type": "FeatureCollection", "features": []}, []
    pts = []
    # cities first: a banner whose seat is in a city (科尔沁右翼前旗 in 乌兰浩特) keeps the city's name
    for f in sorted(places["features"], key=lambda f: not f["properties"]["n"].endswith("市")):
        lon, lat = f["geometry"]["coordinates"]
        if any(abs(lat - p[0]) < 0.08 and abs(lon - p[1]) < 0.16 for p in pts):
            continue  # labels on top of each other
        pts.append([lat, lon, f["properties"]["n"]])
    return rivers, pts


class _Background(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.getContainer().style.background = {{ this.colour|tojson }};
        {% endmacro %}
    """)

    def __init__(self, colour: str):
        super().__init__()
        self.colour = colour


class _OfflineBase(MacroElement):
    """Rivers, township lines and labels shown by zoom. Names are put on the page with
    ``textContent`` (never as HTML)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
          var css = document.createElement('style');
          css.textContent = '.forest-lbl{transform:translate(-50%,-50%);white-space:nowrap;pointer-events:none;' +
            'font:12px "Noto Sans CJK SC","Noto Sans SC",sans-serif;color:#555;' +
            'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}' +
            '.forest-lbl-county{font-size:15px;font-weight:600;color:#444;letter-spacing:2px}' +
            '.forest-lbl-place{color:#111;font-size:13px}' +
            '.forest-lbl-place:before{content:"";display:inline-block;width:6px;height:6px;border:1.5px solid #333;' +
            'background:#fff;border-radius:50%;margin-right:3px;vertical-align:1px}' +
            '.forest-lbl-town{color:#6b5d4f}.forest-lbl-wrap{background:none;border:none}';
          document.head.appendChild(css);
          map.createPane('forestBase'); map.getPane('forestBase').style.zIndex = 250;
          map.getPane('forestBase').style.pointerEvents = 'none';
          L.geoJSON({{ this.rivers|tojson }}, {pane: 'forestBase', interactive: false,
            style: {color: '#5b9bd5', weight: 1.4, opacity: 0.9}}).addTo(map);
          var towns = L.geoJSON({{ this.towns|tojson }}, {pane: 'forestBase', interactive: false,
            style: {color: '#9c8f80', weight: 0.9, dashArray: '4 3', fill: false}});
          var items = {{ this.labels|tojson }};  // [lat, lon, text, minZoom, maxZoom, kind]
          var group = L.layerGroup().addTo(map);
          function draw() {
            var z = map.getZoom();
            group.clearLayers();
            if (z >= 9) { towns.addTo(map); } else { towns.remove(); }
            items.forEach(function (it) {
              if (z < it[3] || z > it[4]) { return; }
              var el = document.createElement('div');
              el.className = 'forest-lbl forest-lbl-' + it[5];
              el.textContent = String(it[2]);
              group.addLayer(L.marker([it[0], it[1]], {icon: L.divIcon({html: el, className: 'forest-lbl-wrap',
                iconSize: null}), interactive: false, keyboard: false, pane: 'tooltipPane'}));
            });
          }
          map.on('zoomend', draw);
          draw();
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, rivers: dict, towns: dict, labels: list):
        super().__init__()
        self.rivers, self.towns, self.labels = rivers, towns, labels


def add_to(m: folium.Map, bm: Basemap, counties: dict | None = None, towns: dict | None = None) -> None:
    """Put basemap ``bm`` on map ``m``. ``counties``/``towns``: FeatureCollections of the store's
    boundaries with a name property ``n`` and, for labels, ``lx``/``ly`` (a point inside)."""
    _Background(bm.background).add_to(m)
    for t in bm.tiles:
        folium.TileLayer(t.url, attr=t.attribution, subdomains=t.subdomains or "abc", max_zoom=t.max_zoom,
                         max_native_zoom=min(t.max_zoom, 18), overlay=t.overlay, name=bm.key,
                         control=False).add_to(m)
    if not bm.offline:
        return
    rivers, places = shipped()
    labels = []
    for f in (counties or {}).get("features", []):
        p = f["properties"]
        if "lx" in p:
            labels.append([p["ly"], p["lx"], p.get("n", ""), 6, 9, "county"])
    for lat, lon, name in places:
        labels.append([lat, lon, name, 8, 20, "place"])
    town_lines = {"type": "FeatureCollection", "features": []}
    for f in (towns or {}).get("features", []):
        p = f["properties"]
        if "lx" in p:
            labels.append([p["ly"], p["lx"], p.get("n", ""), 10, 20, "town"])
        town_lines["features"].append({"type": "Feature", "properties": {}, "geometry": f["geometry"]})
    _OfflineBase(rivers, town_lines, labels).add_to(m)


def label_points(frame) -> tuple[list, list]:
    """A point inside each polygon of ``frame`` (for its label), rounded to ~10 m."""
    import shapely

    pts = shapely.point_on_surface(frame.geometry.values)
    return [round(p.x, 4) for p in pts], [round(p.y, 4) for p in pts]


