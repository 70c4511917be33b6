"""Widgets for any register, built from its declaration: an input per field, a record's details
and history, forms for its transitions and operations, and a small map of its records.
Everything done goes through :mod:`geo` (records, workflow, operations)."""

from __future__ import annotations

import datetime as dt

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import fmap
from dashboard.components.common import lang, settings, show_error
from dashboard.components.text import plain
from geo.declare import registry as S
from geo.core.errors import GeoError
from geo.engine import display, records
from geo.core.timeutil import today_local


def _zh() -> bool:
    return lang() == "zh"


def ref_options(store, register: str) -> dict[int, str]:
    """Records of ``register`` a field can point to, by id, as the user may see them."""
    lyr = S.layer(register)
    cols = [c for c in (lyr.label_field, "county", "level", "valid_to", "status") if lyr.has(c)]
    frame = store.read_layer(register, columns=cols, geometry=False)
    out = {}
    for rec in frame.to_dict("records"):
        if not records.offered(lyr, rec):  # ended, or retired (a person who has left)
            continue
        parts = [str(rec.get(lyr.label_field) or f"#{rec['id']}")]
        if rec.get("county"):
            parts.append(str(rec["county"]))
        out[int(rec["id"])] = " · ".join(parts)
    return out


# a date picker's own bounds: none to speak of (Streamlit's default, ten years either side, refuses a
# date beyond in English); the write path refuses a date out of range in Chinese (geo.engine.values)
PICKER_MIN, PICKER_MAX = dt.date(1000, 1, 1), dt.date(9999, 12, 31)


def field_input(store, f: S.Field, key: str, default=None):
    """One input for field ``f`` (its type, value list, or the records it points to)."""
    label = f.label(lang()) + (" *" if f.required else "") + (f"（{f.unit}）" if f.unit and f.unit not in f.zh else "")
    if f.ref and f.type == S.TEXT:  # several records of the register (林长令's 下达责任区)
        return several_input(store, f, label, key, default)
    if f.ref:
        options = ref_options(store, f.ref)
        if default not in (None, "") and default not in options:  # the value it has stays a choice
            options[default] = f"#{default}"
        ids = [None, *options]
        index = ids.index(default) if default in ids else 0
        return st.selectbox(label, ids, index=index, key=key,
                            format_func=lambda i: "—" if i is None else options.get(i, f"#{i}"))
    if f.options:
        opts = [None, *f.options]
        return st.selectbox(label, opts, index=opts.index(default) if default in opts else 0, key=key,
                            format_func=lambda o: "—" if o is None else S.label(f.name, o, lang()))
    if f.type == S.DATE:
        value = pd.to_datetime(default).date() if default not in (None, "") else None
        return st.date_input(label, value=value, key=key, format="YYYY-MM-DD", min_value=PICKER_MIN,
                             max_value=PICKER_MAX)
    if f.type in (S.REAL, S.INT):
        step = 1.0 if f.type == S.INT else 0.01
        val = None if default in (None, "") or (isinstance(default, float) and pd.isna(default)) else float(default)
        out = st.number_input(label, value=val, min_value=0.0, step=step, key=key, placeholder="—")
        return None if out is None else (int(out) if f.type == S.INT else out)
    if f.type == S.BOOL:
        return st.checkbox(label, value=bool(default), key=key)
    return st.text_input(label, value="" if default is None else str(default), key=key)


def several_input(store, f: S.Field, label: str, key: str, default=None):
    """A multiselect of the records (in force) of ``f.ref`` the user may see; returns them as "#id"s
    joined by 、 (the register's rule keeps their names), or the value as it was when the choice is
    unchanged — so a value written before the records were chosen (text naming none) stays as it is."""
    options = records.choices(store, f.ref)
    by_name = {name: i for i, name in options.items()}
    picked, other = [], []
    for part in records.several(default):
        bare = part.lstrip("#＃")
        i = int(bare) if bare.isdigit() and int(bare) in options else by_name.get(part)
        (picked if i is not None else other).append(i if i is not None else part)
    if other:
        st.caption(("原填写：{v}（其中“{o}”未对应到可选记录）" if _zh() else "As written: {v} ({o} not in the list)")
                   .format(v=plain(str(default)), o=plain("、".join(other))))
    chosen = st.multiselect(label, list(options), default=list(dict.fromkeys(picked)), key=key, select_all=False,
                            format_func=lambda i: options.get(i, f"#{i}"), placeholder="请选择" if _zh() else "Choose")
    if default not in (None, "") and sorted(chosen) == sorted(set(picked)):
        return default
    return "、".join(f"#{int(i)}" for i in chosen) or None


def clean(values: dict) -> dict:
    out = {}
    for k, v in values.items():
        if isinstance(v, dt.date):
            v = v.isoformat()
        if v in (None, ""):
            continue
        out[k] = v
    return out


def details(lyr: S.Layer, record: dict, store=None) -> None:
    """A record's fields as people read them (a reference shows the record it points to)."""
    if store is not None:
        record = dict(record)
        for f in lyr.fields:
            if f.ref and f.type != S.TEXT and record.get(f.name) not in (None, "") \
                    and record.get(f.name) == record.get(f.name):
                try:
                    record[f.name] = ref_options(store, f.ref).get(int(record[f.name]), f"#{int(record[f.name])}")
                except (GeoError, ValueError, TypeError):
                    pass
    rows = display.record_rows(lyr, record, lang())
    if rows:
        st.dataframe(pd.DataFrame(rows, columns=["字段" if _zh() else "Field", "值" if _zh() else "Value"]),
                     hide_index=True, width="stretch", placeholder="")


def history(lyr: S.Layer, events: list[dict]) -> None:
    st.dataframe(display.history_rows(lyr, events, lang()), hide_index=True, width="stretch", placeholder="")


def place_inputs(key: str, default=None):
    """Longitude/latitude inputs for a point register (returns a point or None)."""
    from geo.engine.records import point

    c1, c2 = st.columns(2)
    lon = c1.number_input("经度" if _zh() else "Longitude", value=None if default is None else float(default.x),
                          format="%.6f", key=f"{key}_lon", placeholder="121.6")
    lat = c2.number_input("纬度" if _zh() else "Latitude", value=None if default is None else float(default.y),
                          format="%.6f", key=f"{key}_lat", placeholder="46.08")
    if lon is None or lat is None:
        return None
    return point(lon, lat)


def run_safely(fn, success: str) -> bool:
    try:
        fn()
    except GeoError as err:
        st.session_state["reg_flash"] = ("error", err.message(lang()))
        return False
    st.session_state["reg_flash"] = ("success", success)
    st.cache_data.clear()
    return True


def flash() -> None:
    msg = st.session_state.pop("reg_flash", None)
    if msg:
        getattr(st, msg[0])(plain(msg[1]))  # (an outcome may quote a value: text, not Markdown)


def records_map(lyr: S.Layer, frame, selected: int | None = None, key: str = "reg_map", overlays=(),
                outlines: dict | None = None):
    """The register's records on a map (capped); a click returns the record id.

    ``overlays`` are the register's own layers drawn beneath its records (its rules'
    ``map_layers`` hook): dicts with ``name``, ``geojson`` (a FeatureCollection in EPSG:4490),
    ``color`` and optionally ``fill_opacity``; they are not clickable."""
    if frame is None or frame.empty or not lyr.spatial:
        st.caption("暂无可显示在地图上的记录" if _zh() else "Nothing to show on the map")
        return None
    frame = frame[~frame.geometry.is_empty & frame.geometry.notna()]
    if frame.empty:
        st.caption("暂无可显示在地图上的记录" if _zh() else "Nothing to show on the map")
        return None
    frame = frame.head(3000)
    minx, miny, maxx, maxy = frame.total_bounds
    zoom = min(14, fmap.fit_zoom((minx, miny, maxx, maxy), 640, 460))
    m = fmap.base_map(((miny + maxy) / 2, (minx + maxx) / 2), zoom, settings().basemap, settings().tianditu_key,
                      outlines, lang())
    label = lyr.label_field if lyr.has(lyr.label_field) else "id"
    frame = frame.assign(_label=[str(v or "") for v in frame[label]])
    fc = fmap.feature_collection(frame, {"id": "id", "n": "_label", "s": "status"}, max(zoom, 10),
                                 points=lyr.geometry == "POINT", selected=selected)
    groups = []
    for ov in overlays or ():
        og = folium.FeatureGroup(name=str(ov["name"]))
        color, opacity = ov.get("color", "#1a9850"), float(ov.get("fill_opacity", 0.3))
        folium.GeoJson(ov["geojson"], interactive=False,
                       style_function=lambda f, c=color, o=opacity: {"color": c, "weight": 1, "fillColor": c,
                                                                     "fillOpacity": o}).add_to(og)
        fmap.localise(og)
        groups.append(og)
    group = folium.FeatureGroup(name=lyr.label(lang()))
    folium.GeoJson(
        fc,
        marker=folium.CircleMarker(radius=6, fill=True, fill_opacity=0.85, weight=1),
        style_function=lambda f: {"color": "#b2182b" if f["properties"].get("sel") else "#1f78b4",
                                  "weight": 3 if f["properties"].get("sel") else 1.5,
                                  "fillColor": "#b2182b" if f["properties"].get("sel") else "#1f78b4",
                                  "fillOpacity": 0.35},
    ).add_to(group)
    fmap.localise(group)
    out = st_folium(m, key=key, height=460, use_container_width=True, feature_group_to_add=[*groups, group],
                    returned_objects=["last_active_drawing"])
    if overlays:
        st.caption(plain("；".join(f"{ov['name']}：{ov.get('legend', '')}".rstrip("：") for ov in overlays)))
    props = ((out or {}).get("last_active_drawing") or {}).get("properties") or {}
    return props.get("id")


def share_map(frame, value: str, key: str) -> None:
    """Polygons shaded by a 0–100 value (share), with the value in the tooltip; no clicks. (A
    register's period overview; :func:`choropleth` draws an overview panel.)"""
    if frame is None or frame.empty:
        st.caption("暂无数据" if _zh() else "No data")
        return
    minx, miny, maxx, maxy = frame.total_bounds
    zoom = fmap.fit_zoom((minx, miny, maxx, maxy), 700, 420)
    m = fmap.base_map(((miny + maxy) / 2, (minx + maxx) / 2), zoom, settings().basemap, settings().tianditu_key,
                      None, lang())
    label = "zone" if "zone" in frame else value
    shown = frame.assign(_v=frame[value].fillna(-1).astype(float), _n=[f"{n}：{v if v == v else '—'}%" for n, v in
                                                                          zip(frame[label], frame[value])])
    fc = fmap.feature_collection(shown, {"v": "_v", "n": "_n"}, zoom)
    group = folium.FeatureGroup(name=value)

    def style(f):
        v = f["properties"].get("v", -1)
        if v is None or v < 0:
            return {"color": "#888888", "weight": 0.8, "fillColor": "#dddddd", "fillOpacity": 0.4}
        # light to dark green (ColorBrewer Greens, colour-blind safe)
        steps = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"]
        return {"color": "#555555", "weight": 0.8, "fillColor": steps[min(4, int(v // 20))], "fillOpacity": 0.75}

    folium.GeoJson(fc, style_function=style,
                   on_each_feature=folium.utilities.JsCode(fmap.TEXT_TOOLTIP_JS.replace("__FIELD__", "n"))).add_to(group)
    fmap.localise(group)
    st_folium(m, key=key, height=420, use_container_width=True, feature_group_to_add=[group], returned_objects=[])


def today() -> dt.date:
    return today_local()


def show_error_of(err: GeoError) -> None:
    show_error(err)


# ------------------------------------------------------------------------------ overview panels
def overview(panels, key: str) -> None:
    """A register's overview (geo.engine.overview panels), above its list. Their texts are the
    register's and may quote records (a file name, a place): shown as text."""
    from geo.engine import overview as O

    for i, p in enumerate(panels or []):
        if isinstance(p, O.Notice):
            getattr(st, p.level if p.level in ("info", "warning", "success") else "info")(plain(p.text))
        elif isinstance(p, O.Note):
            st.caption(plain(p.text))
        elif isinstance(p, O.Metrics):
            if p.title:
                st.caption(plain(p.title))
            cols = st.columns(max(1, min(6, len(p.items))))
            for j, (label, value) in enumerate(p.items):
                cols[j % len(cols)].metric(plain(label), plain(value))
        elif isinstance(p, O.Table):  # (folded: the list and a record's details stay in view)
            with st.expander(f"{plain(p.title)}（{len(p.frame)}）"):
                st.dataframe(p.frame, hide_index=True, width="stretch", key=f"{key}_ov_{i}", placeholder="")
        elif isinstance(p, O.Choropleth):
            st.caption(plain(p.title))
            choropleth(p, key=f"{key}_ov_map_{i}")


def choropleth(panel, key: str) -> None:
    """Polygons shaded by a value; tooltips built as text (never HTML) in the browser."""
    from folium.utilities import JsCode

    from geo.engine.overview import classes

    frame = panel.frame
    if frame is None or frame.empty:
        st.caption("暂无可显示的区域" if _zh() else "Nothing to show")
        return
    minx, miny, maxx, maxy = frame.total_bounds
    zoom = fmap.fit_zoom((minx, miny, maxx, maxy), 1100, 420)
    m = fmap.base_map(((miny + maxy) / 2, (minx + maxx) / 2), zoom, settings().basemap, settings().tianditu_key,
                      None, lang())
    tips = []
    for rec in frame.to_dict("records"):
        parts = [str(rec.get(panel.label) or "")]
        parts += [f"{c}：{rec.get(c)}" for c in panel.columns if rec.get(c) not in (None, "")]
        tips.append("\n".join(parts))
    shown = frame.assign(_c=classes(frame[panel.value]), _t=tips)
    fc = fmap.feature_collection(shown, {"c": "_c", "t": "_t"}, zoom)
    js = """
function(feature, layer) {
  var c = feature.properties.c;
  layer.setStyle({color: '#555555', weight: 1, fill: true, fillColor: c || '#dddddd', fillOpacity: c ? 0.75 : 0.3});
  var el = document.createElement('div');
  el.style.whiteSpace = 'pre';
  el.textContent = String(feature.properties.t || '');
  layer.bindTooltip(el, {sticky: true});
}
"""
    group = folium.FeatureGroup(name=panel.title)
    folium.GeoJson(fc, on_each_feature=JsCode(js)).add_to(group)
    fmap.localise(group)
    st_folium(m, key=key, height=420, use_container_width=True, feature_group_to_add=[group], returned_objects=[])
    st.caption(plain(panel.legend))
