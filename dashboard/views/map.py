"""地图核查 — the inspector's screen: filter, find, inspect and move change polygons."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import feature_panel as fp
from dashboard.components import fmap
from dashboard.components.auth import current_access, current_user
from dashboard.components.common import label, lang, settings, store_or_stop, t
from geo import export as gexport
from geo import mapview as mv
from geo import raster
from geo import schema as S
from geo import workflow
from geo.crs import crs_label
from geo.errors import NotFoundError, PermissionDenied
from geo.stats import token
from geo.timeutil import today_local

# The map's size in pixels on a typical wide screen (1600 px, sidebar open). The first run guesses
# the view from it; the real bounds come back from the browser, and both are snapped to a grid so
# that a good guess sends the layer once.
MAP_W, MAP_H = 680, 620

store = store_or_stop()
user = current_user()
access = current_access()
tok = token(store)
today = today_local()


@st.cache_data(show_spinner=False, max_entries=8)
def outlines(url: str, tok: str) -> dict:
    frame = store.read_layer("admin", where={"level": "county"}, columns=["name"])
    return fmap.feature_collection(frame, {"n": "name"}, 9)


@st.cache_data(show_spinner=False, max_entries=8)
def league_extent(url: str, tok: str):
    frame = store.read_layer("admin", where={"level": ["league", "county"]}, columns=["level"])
    if frame.empty:
        ext = store.extent("change")
        return ext or (119.4, 44.2, 123.7, 47.7)
    return tuple(float(v) for v in frame.total_bounds)


@st.cache_data(show_spinner=False, max_entries=64)
def view(url: str, tok: str, bbox, zoom: int, filters: mv.Filters, cap: int, scope_key: str):
    return mv.viewport(store, bbox, zoom, filters, cap=cap, today=today, scope=access)


@st.cache_data(show_spinner=False, max_entries=4)
def imagery(folder: str):
    return raster.catalogue(folder)


@st.cache_data(show_spinner=False, max_entries=4)
def imagery_overlays(folder: str):
    """The newest local image of each footprint, warped for the map."""
    latest = {}
    for im in imagery(folder):
        key = tuple(round(b, 3) for b in im.bounds)
        if key not in latest or (im.date and latest[key].date and im.date > latest[key].date):
            latest[key] = im
    return [(*raster.overlay(im), f"{im.date or ''} {im.path.name}") for im in latest.values()]


@st.cache_data(show_spinner=False, max_entries=64)
def image_chips(folder: str, fid: int, version: int, wkb: bytes, before, after):
    import shapely

    from geo.timeutil import as_date

    return raster.chips(imagery(folder), shapely.from_wkb(wkb), as_date(before), as_date(after))


@st.cache_data(show_spinner=False, max_entries=32)
def listing(url: str, tok: str, filters: mv.Filters, scope_key: str, bbox=None) -> pd.DataFrame:
    return mv.candidates(store, filters, bbox=bbox, today=today, scope=access)


@st.cache_data(show_spinner=False, max_entries=32)
def other_layer(url: str, tok: str, key: str, zoom: int, scope_key: str):
    if key == "township":
        frame = store.read_layer("admin", where={"level": "township"}, columns=["name"])
        return fmap.feature_collection(frame, {"n": "name"}, zoom)
    where = access.restrict_where({}, layer=key) if access else {}
    if where is None:
        return None
    if key == "signboard":
        frame = store.read_layer("signboard", where=where, columns=["board_no", "chief_name", "chief_post", "status"])
        return [[round(g.y, 5), round(g.x, 5), f"{b} {c}（{p}）", s]
                for g, b, c, p, s in zip(frame.geometry, frame["board_no"], frame["chief_name"],
                                         frame["chief_post"], frame["status"])]
    if key == "zone":
        frame = store.read_layer("zone", where={**where, "level": "village"}, columns=["name", "chief_name"])
        frame["label"] = frame["name"] + " · " + frame["chief_name"].fillna("")
        return fmap.feature_collection(frame, {"n": "label"}, zoom)
    if key == "patrol":
        frame = store.read_layer("patrol", where=where, columns=["actor", "actor_level", "started_at", "length_km"])
        frame["label"] = [f"{a}（{S.label('actor_level', lv, lang())}）{str(s)[:10]} {k} km"
                          for a, lv, s, k in zip(frame["actor"], frame["actor_level"], frame["started_at"], frame["length_km"])]
        return fmap.feature_collection(frame, {"n": "label"}, zoom)
    cols = {"occupation": ["name", "status"], "restoration": ["project", "status"]}[key]
    frame = store.read_layer(key, where=where, columns=cols)
    frame["label"] = frame[cols[0]] + " · " + frame["status"].map(lambda s: S.label("status", s, lang()))
    return fmap.feature_collection(frame, {"n": "label"}, zoom)


# ------------------------------------------------------------------------------ sidebar filters
batches = store.batches("change")
batch_names = dict(zip(pd.to_numeric(batches["id"]).astype(int), batches["name"])) if len(batches) else {}
counties = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
county_names = dict(zip(counties["code"], counties["name"]))
if access and access.counties is not None:
    county_names = {c: n for c, n in county_names.items() if c in access.counties}

# Filters from the URL (the summary screen links here with exactly what a figure counts)
query_key = "&".join(f"{k}={st.query_params.get(k)}" for k in ("batch", "county", "township", "status", "verdict", "overdue", "stage"))
if query_key != st.session_state.get("filters_from_query"):
    st.session_state["filters_from_query"] = query_key
    qf = mv.Filters.from_query(st.query_params)
    st.session_state["f_batch"] = [b for b in qf.batch_ids if b in batch_names]
    st.session_state["f_county"] = [c for c in qf.counties if c in county_names]
    st.session_state["f_township"] = list(qf.townships)
    st.session_state["f_status"] = qf.effective_statuses()
    st.session_state["f_verdict"] = list(qf.verdicts)
    st.session_state["f_overdue"] = qf.overdue_only

with st.sidebar:
    st.subheader(t("map.filters"))
    f_batch = st.multiselect(t("map.batch"), list(batch_names), format_func=lambda b: batch_names[b], key="f_batch", placeholder=t("common.choose"), select_all=False)
    f_county = st.multiselect(t("map.county"), list(county_names), format_func=lambda c: county_names[c], key="f_county", placeholder=t("common.choose"), select_all=False)
    township_options = sorted(store.read_layer(
        "admin", where={"level": "township", **({"parent_code": f_county} if f_county else {})},
        columns=["name"], geometry=False)["name"].tolist())
    st.session_state["f_township"] = [x for x in st.session_state.get("f_township", []) if x in township_options]
    f_township = st.multiselect(t("map.township"), township_options, key="f_township", placeholder=t("common.choose"), select_all=False)
    f_status = st.multiselect(t("map.status"), list(S.CHANGE_STATUSES), format_func=lambda s: label("status", s), key="f_status", placeholder=t("common.choose"), select_all=False)
    f_verdict = st.multiselect(t("map.verdict"), list(workflow.VERDICTS), format_func=lambda v: label("verdict", v), key="f_verdict", placeholder=t("common.choose"), select_all=False)
    f_overdue = st.toggle(t("map.overdue_only"), key="f_overdue")
    f_mine = st.toggle(t("map.assigned_to_me"), key="f_mine", disabled=user is None)
    st.subheader(t("map.layers"))
    layer_keys = ["change", "occupation", "restoration", "signboard", "patrol", "zone", "township", "imagery"]
    # ?layers=change,signboard picks the layers shown at first (?layers=none: an empty map)
    q_layers = st.query_params.get("layers")
    if q_layers is not None and st.session_state.get("layers_from_query") != q_layers:
        st.session_state["layers_from_query"] = q_layers
        for k in layer_keys:
            st.session_state[f"lyr_{k}"] = k in q_layers.split(",")
    shown = {k: st.checkbox(t(f"map.layer.{k}"), value=k in ("change", "occupation"), key=f"lyr_{k}") for k in layer_keys}

filters = mv.Filters(
    batch_ids=tuple(f_batch), counties=tuple(f_county), townships=tuple(f_township), statuses=tuple(f_status),
    verdicts=tuple(f_verdict), overdue_only=bool(f_overdue),
    assigned_to=user["name"] if (f_mine and user) else None,
)
scope_key = access.key if access else "all"

# ------------------------------------------------------------------------------ selection
q_id = st.query_params.get("id")
if q_id and st.session_state.get("q_id_seen") != q_id:
    st.session_state["q_id_seen"] = q_id
    try:
        st.session_state["sel_id"] = int(q_id)
        st.session_state["fly"] = True
    except ValueError:
        pass

state = st.session_state.get("review_map") or {}
clicked = (state.get("last_active_drawing") or {}).get("properties") or {}
if clicked.get("id") is not None and clicked.get("id") != st.session_state.get("last_click"):
    st.session_state["last_click"] = clicked["id"]
    st.session_state["sel_id"] = int(clicked["id"])
    st.session_state["fly"] = False

sel_id = st.session_state.get("sel_id")
if sel_id is not None:
    st.query_params["id"] = str(sel_id)

# ------------------------------------------------------------------------------ view
ext = league_extent(store.url, tok)
if "map_home" not in st.session_state:
    z0 = fmap.fit_zoom(ext, MAP_W, MAP_H)
    st.session_state["map_home"] = ((ext[1] + ext[3]) / 2, (ext[0] + ext[2]) / 2, z0)
    view_q = fmap.parse_view(st.query_params.get("view"))  # ?view=lat,lon,zoom opens that view
    if view_q:
        st.session_state["map_home"] = view_q
lat0, lon0, z0 = st.session_state["map_home"]

bbox = fmap.bounds_to_bbox(state.get("bounds")) if state else None
zoom = int(state.get("zoom") or z0) if state else z0
if bbox is None:
    bbox = fmap.view_bbox((lat0, lon0), z0, MAP_W, MAP_H)
bbox = fmap.snap_bbox(bbox, zoom)

fly_center, fly_zoom = None, None
selected = None
if sel_id is not None:
    try:
        selected = store.get_feature("change", sel_id)
        if access:
            access.check_feature("change", selected)
    except (NotFoundError, PermissionDenied):
        st.warning(t("detail.not_found", id=sel_id))
        st.session_state.pop("sel_id", None)
        selected, sel_id = None, None
if selected is not None and st.session_state.get("fly"):
    c = selected["geometry"].centroid
    fly_zoom = min(15, max(8, fmap.fit_zoom(selected["geometry"].bounds, MAP_W // 2, MAP_H // 2)))
    fly_center = (round(c.y, 6), round(c.x, 6))

st.title(t("nav.map"))
fp.flash()

col_map, col_side = st.columns([3, 2], gap="medium")
cap = settings().map_max_features
with col_map:
    groups = []
    v = None
    if shown["change"]:
        v = view(store.url, tok, bbox, zoom, filters, cap, scope_key)
        if v.mode == "features":
            as_points = zoom <= fmap.POINT_ZOOM and v.count > 300  # a few polygons: draw their shapes
            fc = fmap.feature_collection(
                v.features,
                {"id": "id", "s": "status", "o": "overdue", "n": "polygon_no", "c": "county", "a": "area_ha"},
                zoom, points=as_points, selected=sel_id,
            )
            groups.append(fmap.change_layer(fc, lang(), points=as_points))
        elif v.mode == "aggregate":
            groups.append(fmap.aggregate_layer(v.cells, lang()))
    if shown.get("imagery"):
        for png, bounds, name in imagery_overlays(settings().imagery_dir):
            groups.insert(0, fmap.imagery_layer(png, bounds, name))
    for key in ("occupation", "restoration", "zone", "township", "patrol", "signboard"):
        if not shown[key]:
            continue
        data = other_layer(store.url, tok, key, min(zoom, 12), scope_key)
        if not data:
            continue
        if key == "signboard":
            groups.append(fmap.point_layer(data, lang()))
        elif key == "patrol":
            groups.append(fmap.line_layer(data))
        else:
            groups.append(fmap.polygon_layer(data, "zone" if key == "township" else key))
    s = settings()
    m = fmap.base_map((lat0, lon0), z0, s.basemap, s.tianditu_key, outlines(store.url, tok), lang())
    out = st_folium(
        m,
        key="review_map",
        height=MAP_H,
        use_container_width=True,
        feature_group_to_add=fmap.finish(groups),
        center=fly_center,
        zoom=fly_zoom,
        returned_objects=["bounds", "zoom", "last_active_drawing"],
    )
    if v is not None:
        if v.mode == "aggregate":
            st.info(t("map.aggregated", n=v.count, cap=cap))
        elif v.mode == "empty":
            st.caption(t("map.nothing"))
        else:
            st.caption(t("map.in_view", n=v.count))
    # the legend is built from our own constants only (no data values), so st.html is safe here
    st.html(fmap.legend_html(lang(), [k for k in ("occupation", "restoration", "signboard", "patrol", "zone", "township") if shown[k]]))
    st.caption(t("common.derived_note"))

# ------------------------------------------------------------------------------ list
in_view = st.session_state.get("list_in_view", False)
matches = listing(store.url, tok, filters, scope_key, bbox if in_view else None)
ids = matches["id"].tolist()

with col_side:
    nav = st.columns([1, 1, 2])
    if nav[0].button(t("map.prev"), key="prev", disabled=not ids):
        st.session_state["sel_id"] = mv.step(ids, sel_id, -1)
        st.session_state["fly"] = True
        st.rerun()
    if nav[1].button(t("map.next"), key="next", disabled=not ids):
        st.session_state["sel_id"] = mv.step(ids, sel_id, 1)
        st.session_state["fly"] = True
        st.rerun()
    nav[2].caption(t("map.matching", n=len(ids)))
    if selected is None:
        st.info(t("map.select_hint"))
    else:
        feat = selected
        due, late = mv.deadline_of(store, feat, today)
        st.subheader(f"{feat.get('polygon_no') or '#' + str(feat['id'])}")
        st.markdown(f"**{label('status', feat['status'])}** · v{feat['version']} · "
                    f"{feat.get('county') or ''} {feat.get('township') or ''}")
        facts = [f"**{t('detail.area_computed')}** {feat.get('area_ha') or 0:.4f} 公顷（{feat.get('area_mu') or 0:.2f} 亩）"]
        if feat.get("area_reported_ha") is not None:
            facts.append(f"**{t('detail.area_reported')}** {feat['area_reported_ha']:.4f} 公顷")
        if due:
            facts.append(f"**{t('detail.deadline')}** {due}" + (f" :red[**{t('map.overdue')}**]" if late else ""))
        st.markdown(" · ".join(facts))
        if feat.get("area_crs"):
            st.caption(t("detail.area_note", crs=crs_label(feat["area_crs"], lang())))
        for flag, value in (feat.get("flags") or {}).items():
            if value:
                st.warning(fp.flag_text(flag, value))
        base = str(getattr(st.context, "url", "") or "").split("?")[0]
        st.text_input(t("map.link"), value=f"{base}?id={feat['id']}", key=f"link-{feat['id']}")
        tabs = st.tabs([t("detail.act"), t("detail.attrs"), t("detail.history"), t("detail.evidence"),
                        t("detail.imagery")])
        events = store.history("change", feat["id"])
        with tabs[0]:
            if user is None:
                st.caption("请先登录" if lang() == "zh" else "Sign in first")
            else:
                fp.action_form(store, "change", feat, user["name"], access=access,
                               on_done=lambda: st.cache_data.clear())
        with tabs[1]:
            info = []
            if feat.get("batch_id") is not None:
                info.append((t("detail.batch"), batch_names.get(int(feat["batch_id"]), str(feat["batch_id"]))))
            if feat.get("zone_id") is not None:
                try:
                    z = store.get_feature("zone", feat["zone_id"])
                    info.append((t("detail.chief"), f"{z.get('chief_name')}（{z.get('chief_post')}）"))
                except NotFoundError:
                    pass
            if feat.get("county_code"):
                try:
                    banner = store.read_layer("zone", where={"level": "banner", "county_code": feat["county_code"]},
                                              columns=["chief_name", "chief_post"], geometry=False)
                    if len(banner):
                        info.append((t("detail.county_chief"),
                                     f"{banner['chief_name'].iloc[0]}（{banner['chief_post'].iloc[0]}）"))
                except NotFoundError:
                    pass
            if info:
                st.dataframe(pd.DataFrame(info, columns=["", " "]), hide_index=True, width="stretch", placeholder="")
            st.dataframe(fp.attributes_table("change", feat), hide_index=True, width="stretch", placeholder="")
            repeats = store.read_layer("change", where={"repeat_of": feat["id"]}, columns=["polygon_no", "batch_id"], geometry=False)
            if feat.get("repeat_of") or len(repeats):
                st.caption(t("detail.repeats"))
                rep_ids = ([int(feat["repeat_of"])] if feat.get("repeat_of") else []) + repeats["id"].tolist()
                st.write(", ".join(f"#{i}" for i in rep_ids))
        with tabs[2]:
            st.dataframe(fp.history_table(events, "change"), hide_index=True, width="stretch", placeholder="")
        with tabs[3]:
            fp.evidence(store, events)
        with tabs[4]:
            shots = image_chips(settings().imagery_dir, feat["id"], feat["version"], feat["geometry"].wkb,
                                feat.get("before_date"), feat.get("after_date"))
            if not shots:
                st.caption(t("detail.no_imagery"))
            else:
                cols = st.columns(len(shots))
                for col, (caption, png) in zip(cols, shots):
                    col.image(png, caption=caption, width="stretch")

st.subheader(t("map.list"))
# The table is shown on demand: the grid's scripts weigh about 1.3 MB, more than the map itself,
# and a first visit over a county intranet link should not pay for it (bench/map.py).
if st.toggle(t("map.list_show"), key="list_show", value=st.query_params.get("list") == "1"):
    st.caption(t("map.list_help"))
    st.toggle(t("map.list_in_view"), key="list_in_view")
    table = matches.copy()
    LIST_MAX = 1000
    if len(table) > LIST_MAX:
        st.caption(t("map.list_capped", n=len(table), cap=LIST_MAX))
        table = table.head(LIST_MAX)
    table_view = pd.DataFrame({
        "ID": table["id"],
        S.CHANGE.field("polygon_no").zh if lang() == "zh" else "Polygon no.": table["polygon_no"],
        t("map.batch"): table["batch_id"].map(lambda b: batch_names.get(int(b), "") if pd.notna(b) else ""),
        t("map.county"): table["county"],
        t("map.township"): table["township"],
        t("map.status"): table["status"].map(lambda s_: label("status", s_)),
        t("map.verdict"): table["verdict"].map(lambda x: label("verdict", x) if isinstance(x, str) else ""),
        "公顷" if lang() == "zh" else "ha": table["area_ha"].round(4),
        t("detail.deadline"): table["due"],
        t("map.overdue"): table["overdue"],
    })
    event = st.dataframe(table_view, hide_index=True, width="stretch", height=320,
                         on_select="rerun", selection_mode="single-row", key="list", placeholder="")
    rows = (event or {}).get("selection", {}).get("rows", []) if event else []
    if rows:
        picked = int(table.iloc[rows[0]]["id"])
        if picked != st.session_state.get("list_pick"):
            st.session_state["list_pick"] = picked
            st.session_state["sel_id"] = picked
            st.session_state["fly"] = True
            st.rerun()

if access is not None and access.can_write and ids:
    with st.expander(t("bulk.title") + f"（{len(ids)}）"):
        inspectors = store.users()
        inspectors = inspectors[inspectors["role"] == "inspector"]["name"].tolist()
        b1, b2 = st.columns(2)
        who = b1.selectbox(t("act.assign"), inspectors, key="bulk_who", placeholder=t("common.choose"))
        if b1.button(t("bulk.assign"), key="bulk_assign", disabled=not who):
            res = workflow.bulk(store, "change", list(zip(ids, matches["version"].tolist())), actor=user["name"],
                                fields={"assigned_to": who}, access=access)
            st.session_state["flash"] = ("info", t("bulk.result", ok=len(res["done"]), bad=len(res["refused"])))
            st.cache_data.clear()
            st.rerun()
        issued = matches[matches["status"] == "issued"]
        if b2.button(t("bulk.start") + f"（{len(issued)}）", key="bulk_start", disabled=issued.empty):
            res = workflow.bulk(store, "change", list(zip(issued["id"].tolist(), issued["version"].tolist())),
                                actor=user["name"], to="verifying", access=access)
            st.session_state["flash"] = ("info", t("bulk.result", ok=len(res["done"]), bad=len(res["refused"])))
            st.cache_data.clear()
            st.rerun()

with st.expander(t("map.export")):
    fmt = st.radio(t("map.export"), ["xlsx", "kml", "gpkg"], horizontal=True, key="exp_fmt", label_visibility="collapsed",
                   format_func=lambda f: {"xlsx": "Excel", "kml": "KML（奥维等）", "gpkg": "GeoPackage"}[f])
    if st.button(t("common.download") + " …", key="exp_go", disabled=not ids):
        lyr, frame = gexport.selection(store, "change", ids=ids)
        out = Path(tempfile.mkdtemp()) / f"change_polygons.{fmt}"
        gexport.write(frame, lyr, fmt, out, lang())
        st.download_button(t("common.download"), out.read_bytes(), file_name=out.name, key="exp_dl")
