"""地图核查 — the inspector's screen: filter, find, inspect and move change polygons.

Speed: the map and the details panel are one fragment (``review``), so an action, "next", or a
click on the map reruns only them, not the sidebar or the rest of the page. Actions run in
callbacks (before the rerun), so one run shows their outcome. Every query is cached by the store's
change token, so a run after an action reads only what the action changed.

View: the map opens on the user's area (an inspector's counties, everyone else's whole
jurisdiction); a filter, a link with filters or ``?id=`` moves it to the results. The base map
(basemap, outlines, first view) stays the same between runs; only the layers change, through
``feature_group_to_add``, and the view moves through ``center``/``zoom`` (PITFALLS §1, and never
a centre computed from the returned bounds: that loops).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import maplayer
from dashboard.components import basemaps
from dashboard.components import feature_panel as fp
from dashboard.components import fmap
from dashboard.components import item_link
from dashboard.components import warmup
from dashboard.components.auth import current_access, current_user
from dashboard.components.common import label, lang, settings, store_or_stop, t
from dashboard.components.text import plain
from geo.report import export as gexport
from geo.change import mapview as mv
from geo.access import prefs
from geo.access.auth import assignees
from geo.change import review as closure_review
from geo.change.layers import VERDICTS
from geo.declare import registry as S
from geo.engine import workflow
from geo.core.crs import crs_label
from geo.core.errors import GeoError, NotFoundError, PermissionDenied
from geo.engine.asof import token
from geo.core.timeutil import today_local

# The map's size in pixels at 1600 px wide with the sidebar open. A view set by the page (fit to
# results, fly to a polygon) is queried at once for a box of this size; the real bounds come
# back from the browser, and both are snapped to a grid so that a good guess sends the layer once.
MAP_W, MAP_H = 668, 600
LIST_MAX = 1000

store = store_or_stop()
user = current_user()
access = current_access()
uname = user["name"] if user else ""
today = today_local()
scope_key = access.key if access else "all"


# ------------------------------------------------------------------------------ cached reads
@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)
def admin_shapes(url: str, level: str, zoom: int) -> dict:
    """Boundaries of one admin level with their names and a label point (lx, ly)."""
    frame = store.read_layer("admin", where={"level": level}, columns=["name"])
    fc = fmap.feature_collection(frame, {"n": "name"}, zoom)
    xs, ys = basemaps.label_points(frame) if len(frame) else ([], [])
    for f, x, y in zip(fc["features"], xs, ys):
        f["properties"].update(lx=x, ly=y)
    return fc


@st.cache_data(show_spinner=False, max_entries=32, ttl=3600)
def home_extent(url: str, scope_key: str):
    ext = mv.area_extent(store, access.counties if access and access.counties is not None else None)
    return ext or (119.4, 44.2, 123.7, 47.7)


@st.cache_data(show_spinner=False, max_entries=64)
def results_extent(url: str, tok: str, filters: mv.Filters, scope_key: str):
    return mv.results_extent(store, filters, scope=access, today=today)


@st.cache_data(show_spinner=False, max_entries=64)
def change_layer_data(url: str, tok: str, bbox, zoom: int, filters: mv.Filters, cap: int, scope_key: str):
    """What the change layer draws for one view: ``(mode, count, serialised FeatureCollection or
    cells, the drawn polygons' bounding boxes or None)``. Serialised once here: a run that redraws
    the same view sends the cached text."""
    view = mv.viewport(store, bbox, zoom, filters, cap=cap, today=today, scope=access)
    return (*fmap.view_payload(view, zoom), view.bounds())


@st.cache_data(show_spinner=False, max_entries=8)  # an all-county list at 500,000 is ~40 MB
def listing(url: str, tok: str, filters: mv.Filters, scope_key: str) -> pd.DataFrame:
    """The filtered polygons in working order (open overdue first): what "next" steps through."""
    frame = mv.review_order(mv.candidates(store, filters, today=today, scope=access, columns=mv.ORDER_COLS))
    # categorical: counting the statuses for the legend takes milliseconds, not 0.3 s, at 500,000
    frame["status"] = pd.Categorical(frame["status"], categories=list(S.layer("change").statuses))
    return frame


@st.cache_data(show_spinner=False, max_entries=16)
def list_rows(url: str, tok: str, ids: tuple[int, ...], scope_key: str) -> pd.DataFrame:
    frame = store.read_layer("change", ids=list(ids), columns=mv.LIST_COLS, geometry=False)
    return frame.set_index("id").loc[[i for i in ids if i in set(frame["id"])]].reset_index()


@st.cache_data(show_spinner=False, max_entries=4)
def scene_footprints(url: str, tok: str, scope_key: str):
    """The registered scenes the user may see, as outlines with their date (geo.imagery)."""
    from geo.imagery import scenes as SC

    frame = SC.frame(SC.visible(store))
    if frame is None or frame.empty:
        return None
    frame = frame.assign(label=[f"{n}（{d}）" for n, d in zip(frame["name"], frame["acquired_on"])])
    return fmap.feature_collection(frame, {"n": "label"}, 10)


@st.cache_data(show_spinner=False, max_entries=8)
def ndvi_ids(url: str, tok: str, batch_ids: tuple[int, ...]) -> tuple[int, ...]:
    """Polygons whose NDVI fell by more than 0.2 between their before and after scenes."""
    from geo.imagery.zonal import ids_where

    return tuple(ids_where(store, below=-0.2, batch_ids=list(batch_ids) or None))


@st.cache_data(show_spinner=False, max_entries=64)
def image_chips(fid: int, version: int, kind: str, scope_key: str):
    """Before/after chips of one polygon from the scenes covering it (geo.imagery; cached on disk too)."""
    from geo.imagery.chips import chips_for

    return chips_for(store, store.get_feature("change", fid), kind=kind)


@st.cache_data(show_spinner=False, max_entries=32)
def other_layer(url: str, layer_tok: str, key: str, zoom: int, scope_key: str):
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


# ------------------------------------------------------------------------------ moving the view
def fly_to(lat: float, lon: float, zoom: int) -> None:
    """Move the map to ``(lat, lon, zoom)`` and query that view at once (the browser's own bounds
    follow and usually give the identical, cached layer)."""
    seq = st.session_state.get("fly_seq", 0) + 1
    st.session_state["fly_seq"] = seq
    # streamlit-folium applies center/zoom only when they differ from the last ones passed: a
    # sub-millimetre nudge lets "go there again" move the map back after the user panned away.
    target = (round(lat, 6) + (seq % 2) * 1e-7, round(lon, 6), int(zoom))
    st.session_state["fly_to"] = target
    exact = fmap.view_bbox(target[:2], target[2], MAP_W, MAP_H)
    st.session_state["view_box"] = exact  # what "当前视图 N 个图斑" counts (the layer is read for the snapped box)
    st.session_state["view"] = (fmap.snap_bbox(exact, target[2]), target[2])


def fit(ext, max_zoom: int = 14) -> None:
    minx, miny, maxx, maxy = ext
    pad_x, pad_y = max((maxx - minx) * 0.08, 0.01), max((maxy - miny) * 0.08, 0.01)
    box = (minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y)
    zoom = min(max_zoom, fmap.fit_zoom(box, MAP_W, MAP_H))
    fly_to((box[1] + box[3]) / 2, (box[0] + box[2]) / 2, zoom)


def select(fid: int | None, fly: bool) -> None:
    """Make ``fid`` the polygon shown in the details panel (and fly to it)."""
    if fid is None:
        return
    try:
        feat = store.get_feature("change", int(fid))
    except NotFoundError:
        fp.set_flash("warning", t("map.missing", id=fid))
        return
    except PermissionDenied as err:
        fp.set_flash("error", t("map.refused", id=fid, why=err.message(lang())))
        return
    st.session_state["sel_id"] = int(fid)
    st.session_state["q_id_seen"] = str(fid)
    if fly:
        g = feat["geometry"]
        c = g.representative_point()
        zoom = min(14, max(10, fmap.fit_zoom(g.bounds, MAP_W // 3, MAP_H // 3)))  # with its neighbours
        fly_to(c.y, c.x, zoom)


def on_step(ids: list[int], current, direction: int) -> None:
    fp.clear_flash()
    select(mv.step(ids, current, direction), fly=True)


def on_map_change() -> None:
    """The map reported a pan/zoom or a click (a callback, so the run that follows already knows).
    (With the browser-side change layer only a zoom or a click is reported: the other layers'
    detail follows the zoom.)"""
    out = st.session_state.get("review_map") or {}
    box = exact = fmap.bounds_to_bbox(out.get("bounds"))
    zoom = out.get("zoom")
    if box is None and zoom and st.session_state.get("view"):
        box = st.session_state["view"][0]
    if box is not None and zoom:
        st.session_state["view_box"] = exact  # None when the map reported only its zoom
        view = (fmap.snap_bbox(box, int(zoom)), int(zoom))
        if view != st.session_state.get("view"):
            st.session_state["view"] = view
    props = (out.get("last_active_drawing") or {}).get("properties") or {}
    click = props.get("id")
    if click is not None and click != st.session_state.get("last_click"):
        st.session_state["last_click"] = click
        fp.clear_flash()
        select(int(click), fly=False)


def one_event_apart(old: str, new: str) -> bool:
    """Whether token ``new`` is ``old`` plus exactly one event (and no new batch)."""
    try:
        a, b = old.rsplit("|", 3), new.rsplit("|", 3)
        return a[0] == b[0] and a[2:] == b[2:] and int(b[1]) == int(a[1]) + 1
    except (ValueError, IndexError):
        return False


def note_change(fid: int, old_tok: str) -> None:
    """After this user's own action: if it is the only change since the list was read, the list
    is patched (one row) instead of read again (:func:`current_listing`)."""
    new = token(store)
    if one_event_apart(old_tok, new):
        st.session_state["own_change"] = (old_tok, new, int(fid))


class Listing:
    """The filtered list with what each run needs from it, computed once per change of data."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.ids = frame["id"].tolist()
        # (dropna=False: a status outside the declared ones still counts, under "other" in the legend)
        self.counts = frame["status"].value_counts(dropna=False).to_dict() if len(frame) else {}
        self.late = int(frame["overdue"].sum()) if len(frame) else 0


def current_listing(tok: str) -> Listing:
    key = (filters, scope_key)
    kept = st.session_state.get("list_cache")
    own = st.session_state.pop("own_change", None)
    if kept and kept[0] == key:
        if kept[1] == tok:
            return kept[2]
        if own and own[0] == kept[1] and own[1] == tok:
            try:
                feat = store.get_feature("change", own[2])
            except (NotFoundError, PermissionDenied):
                feat = None
            if feat is not None:
                lst = Listing(mv.patch_listing(kept[2].frame, feat, filters, store.batches("change"), today))
                st.session_state["list_cache"] = (key, tok, lst)
                return lst
    lst = Listing(listing(store.url, tok, filters, scope_key))
    st.session_state["list_cache"] = (key, tok, lst)
    return lst


def on_home() -> None:
    fit(home_extent(store.url, scope_key), max_zoom=12)


def on_basemap() -> None:
    prefs.put(store, uname, "basemap", st.session_state["basemap"])


# ------------------------------------------------------------------------------ sidebar
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

s = settings()
bm_options = basemaps.options(s)
if st.session_state.get("basemap") not in bm_options:
    st.session_state["basemap"] = basemaps.choose(bm_options, prefs.get(store, uname, "basemap"), s.basemap)

with st.sidebar:
    st.subheader(t("map.filters"))
    f_batch = st.multiselect(t("map.batch"), list(batch_names), format_func=lambda b: batch_names[b], key="f_batch", placeholder=t("common.choose"), select_all=False)
    f_county = st.multiselect(t("map.county"), list(county_names), format_func=lambda c: county_names[c], key="f_county", placeholder=t("common.choose"), select_all=False)
    township_options = sorted(store.read_layer(
        "admin", where={"level": "township", **({"parent_code": f_county} if f_county else {})},
        columns=["name"], geometry=False)["name"].tolist())
    st.session_state["f_township"] = [x for x in st.session_state.get("f_township", []) if x in township_options]
    f_township = st.multiselect(t("map.township"), township_options, key="f_township", placeholder=t("common.choose"), select_all=False)
    f_status = st.multiselect(t("map.status"), list(S.layer("change").statuses), format_func=lambda s_: label("status", s_), key="f_status", placeholder=t("common.choose"), select_all=False)
    f_verdict = st.multiselect(t("map.verdict"), list(VERDICTS), format_func=lambda v: label("verdict", v), key="f_verdict", placeholder=t("common.choose"), select_all=False)
    f_overdue = st.toggle(t("map.overdue_only"), key="f_overdue")
    f_ndvi = st.toggle("NDVI 下降超过 0.2" if lang() == "zh" else "NDVI fell by more than 0.2", key="f_ndvi")
    f_mine = st.toggle(t("map.assigned_to_me"), key="f_mine", disabled=user is None)
    st.subheader(t("map.layers"))
    cur_lang = lang()
    st.selectbox(t("map.basemap"), list(bm_options), format_func=lambda k: bm_options[k].label(cur_lang),
                 key="basemap", on_change=on_basemap)
    layer_keys = ["change", "occupation", "restoration", "signboard", "patrol", "zone", "township", "imagery"]
    # ?layers=change,signboard picks the layers shown at first (?layers=none: an empty map)
    q_layers = st.query_params.get("layers")
    if q_layers is not None and st.session_state.get("layers_from_query") != q_layers:
        st.session_state["layers_from_query"] = q_layers
        for k in layer_keys:
            st.session_state[f"lyr_{k}"] = k in q_layers.split(",")
    shown = {k: st.checkbox(t(f"map.layer.{k}"), value=k in ("change", "occupation"), key=f"lyr_{k}") for k in layer_keys}

bm = bm_options[st.session_state["basemap"]]
filters = mv.Filters(
    batch_ids=tuple(f_batch), counties=tuple(f_county), townships=tuple(f_township), statuses=tuple(f_status),
    verdicts=tuple(f_verdict), overdue_only=bool(f_overdue),
    assigned_to=user["name"] if (f_mine and user) else None,
    ids=ndvi_ids(store.url, token(store), tuple(f_batch)) if f_ndvi else None,
)
cap = s.map_max_features
tok = token(store)

# ------------------------------------------------------------------------------ where the map looks
first_run = "view" not in st.session_state
if st.session_state.get("last_filters") != filters:
    st.session_state["last_filters"] = filters
    if filters == mv.Filters():
        if first_run:
            fit(home_extent(store.url, scope_key), max_zoom=12)
    else:
        ext = results_extent(store.url, tok, filters, scope_key)
        if ext:
            fit(ext)
        elif first_run:
            fit(home_extent(store.url, scope_key), max_zoom=12)
if "view" not in st.session_state:
    fit(home_extent(store.url, scope_key), max_zoom=12)
view_q = fmap.parse_view(st.query_params.get("view"))  # ?view=lat,lon,zoom opens that view
if first_run and view_q:
    fly_to(*view_q)

q_id = st.query_params.get("id")
if q_id and st.session_state.get("q_id_seen") != q_id:
    st.session_state["q_id_seen"] = q_id
    if q_id.isdigit():
        select(int(q_id), fly=True)
    else:
        fp.set_flash("warning", t("map.missing", id=q_id))
    if "sel_id" not in st.session_state or str(st.session_state["sel_id"]) != q_id:
        del st.query_params["id"]  # refused: the message says why; a reload does not repeat it

if "map_home" not in st.session_state:  # the base map's own view: fixed for the session
    st.session_state["map_home"] = st.session_state["fly_to"]

st.title(t("nav.map"))
if access is not None and access.role == "inspector":  # what the league or the province sent back to him
    n_back = closure_review.sent_back(store, access)
    if n_back:
        st.warning(t("map.sent_back", n=n_back))


# ------------------------------------------------------------------------------ map + details
# The change layer is drawn by the map itself from the app's /mapdata/change route
# (dashboard/maplayer.py) for a browser signed in with the app's session cookie: a pan then needs
# no rerun. Signed in through an identity provider (no such cookie), the page sends the layer.
browser_layer = st.session_state.get("token") is not None and not st.session_state.get("sso")
FULL_RUN = secrets.token_hex(8)  # this run of the whole page (a fragment rerun keeps the last one)


def draw_map(tok: str, sel_id, matches: Listing) -> None:
    bbox, zoom = st.session_state["view"]
    groups, data = [], None
    if browser_layer:
        first = None
        if shown["change"] and st.session_state.get("map_first_sent") != FULL_RUN:
            # a page load, a page switch or a filter: the map is (re)built, so the view's layer
            # comes with the run instead of one more round trip (fragment runs send none)
            st.session_state["map_first_sent"] = FULL_RUN
            first = change_layer_data(store.url, tok, bbox, zoom, filters, cap, scope_key)
            first = (first[0], mv.count_in_view(first[3], first[1], st.session_state.get("view_box")), first[2])
        groups.append(fmap.change_state(maplayer.ticket(uname, filters) if shown["change"] else "", sel_id,
                                        hashlib.sha256(tok.encode()).hexdigest()[:16], first))
    elif shown["change"]:
        data = change_layer_data(store.url, tok, bbox, zoom, filters, cap, scope_key)
        mode, n, payload, _ = data
        if mode == "features":
            groups.append(fmap.change_layer(payload, lang(), dark=bm.dark, selected=sel_id))
        elif mode == "aggregate":
            groups.append(fmap.aggregate_layer(payload, lang()))
    if shown.get("imagery"):  # the registered scenes' footprints (their pixels come as tile basemaps)
        footprints = scene_footprints(store.url, tok, access.key if access else "all")
        if footprints:
            groups.insert(0, fmap.polygon_layer(footprints, "zone"))
    for key in ("occupation", "restoration", "zone", "township", "patrol", "signboard"):
        if not shown[key]:
            continue
        layer_tok = store.url if key == "township" else mv.layer_token(store, key)
        layer = other_layer(store.url, layer_tok, key, min(zoom, 12), scope_key)
        if not layer:
            continue
        if key == "signboard":
            groups.append(fmap.point_layer(layer, lang()))
        elif key == "patrol":
            groups.append(fmap.line_layer(layer))
        else:
            groups.append(fmap.polygon_layer(layer, "zone" if key == "township" else key))
    lat0, lon0, z0 = st.session_state["map_home"]
    towns = admin_shapes(store.url, "township", 11) if bm.offline else None
    loader = None
    if browser_layer:
        loader = fmap.ChangeLoader(lang(), bm.dark, {"aggregate": t("map.aggregated", n="{n}", cap="{cap}"),
                                                     "features": t("map.in_view", n="{n}"),
                                                     "empty": t("map.nothing")}, cap)
    m = fmap.base_map((lat0, lon0), z0, bm=bm, outlines=admin_shapes(store.url, "county", 9), towns=towns,
                      lang=lang(), loader=loader)
    fly = st.session_state["fly_to"]
    returned = ["zoom", "last_active_drawing"] if browser_layer else ["bounds", "zoom", "last_active_drawing"]
    st_folium(m, key="review_map", height=MAP_H, use_container_width=True, feature_group_to_add=fmap.finish(groups),
              center=fly[:2], zoom=fly[2], returned_objects=returned, on_change=on_map_change)
    if data is not None:
        mode, _, _, drawn = data
        n = mv.count_in_view(drawn, data[1], st.session_state.get("view_box"))  # the map's bounds, not the box read
        if mode == "aggregate":
            st.info(t("map.aggregated", n=n, cap=cap))
        elif mode == "empty":
            st.caption(t("map.nothing"))
        else:
            st.caption(t("map.in_view", n=n))
    # the legend is built from our own constants and counts only (no data values): st.html is safe
    st.html(fmap.legend_html(lang(), [k for k in ("occupation", "restoration", "signboard", "patrol", "zone", "township") if shown[k]],
                             counts=matches.counts, overdue=matches.late))
    st.button(t("map.home"), key="home", on_click=on_home)
    st.caption(t("common.derived_note"))


def details(feat: dict, tok: str) -> None:
    # (record values, a send-back reason, flags quoting attributes: text, never Markdown)
    st.subheader(plain(feat.get("polygon_no") or f"#{feat['id']}"), anchor=False)
    banner = closure_review.banner(store, feat, lang())  # sent back / re-submitted: said first (geo.change.review)
    if banner:
        getattr(st, banner[0])(plain(banner[1]))
    due, late = mv.deadline_of(store, feat, today)
    st.markdown(f"**{plain(label('status', feat['status']))}** · v{feat['version']} · "
                f"{plain(feat.get('county'))} {plain(feat.get('township'))}")
    facts = [f"**{t('detail.area_computed')}** {feat.get('area_ha') or 0:.4f} 公顷（{feat.get('area_mu') or 0:.2f} 亩）"]
    if feat.get("area_reported_ha") is not None:
        facts.append(f"**{t('detail.area_reported')}** {feat['area_reported_ha']:.4f} 公顷")
    if due:
        facts.append(f"**{t('detail.deadline')}** {plain(due)}" + (f" :red[**{t('map.overdue')}**]" if late else ""))
    st.markdown(" · ".join(facts))
    if feat.get("area_crs"):
        st.caption(t("detail.area_note", crs=plain(crs_label(feat["area_crs"], lang()))))
    for flag, value in (feat.get("flags") or {}).items():
        if value:
            st.warning(plain(fp.flag_text(flag, value)))
    base = str(getattr(st.context, "url", "") or "").split("?")[0]
    st.text_input(t("map.link"), value=f"{base}?id={feat['id']}", key=f"link-{feat['id']}")
    sheet_download(feat)
    # Only the open tab's content runs (history, evidence and imagery cost reads the others skip).
    tabs = st.tabs([t("detail.act"), t("detail.attrs"), t("detail.history"), t("detail.evidence"),
                    t("detail.imagery")], key="detail_tab", on_change="rerun")
    with tabs[0]:
        if tabs[0].open is not False:
            if user is None:
                st.caption("请先登录" if lang() == "zh" else "Sign in first")
            else:
                fp.action_form(store, "change", feat, user["name"], access=access,
                               on_done=lambda: note_change(feat["id"], tok))
    with tabs[1]:
        if tabs[1].open:
            attributes(feat)
            item_link.panel(store, "change", feat, user["name"] if user else None, access)
    with tabs[2]:
        if tabs[2].open:
            st.dataframe(fp.history_table(store.history("change", feat["id"]), "change"), hide_index=True, width="stretch", placeholder="")
    with tabs[3]:
        if tabs[3].open:
            fp.evidence(store, store.history("change", feat["id"]))
    with tabs[4]:
        if tabs[4].open:
            kind = st.radio(t("detail.imagery"), ["rgb", "ndvi"], horizontal=True, key="chip_kind",
                            label_visibility="collapsed",
                            format_func=lambda k: ("真彩色" if lang() == "zh" else "True colour") if k == "rgb" else "NDVI")
            shots = image_chips(feat["id"], feat["version"], kind, access.key if access else "all")
            if not shots:
                st.caption(t("detail.no_imagery"))
            else:
                cols = st.columns(len(shots))
                for col, (caption, png) in zip(cols, shots):
                    col.image(png, caption=plain(caption), width="stretch")


def sheet_download(feat: dict) -> None:
    """The polygon's 图斑核查表 (geo.imagery.sheet: its attributes, the before/after chips and the
    blanks the field team fills in), as ``python -m geo imagery sheet`` writes it: made when asked
    for (it draws the chips), then offered as a Word file named for the polygon and the day."""
    from geo.imagery import sheet

    fid, cur = int(feat["id"]), lang()
    key = f"sheet-{fid}-{feat['version']}"
    if st.session_state.get("sheet_ready", (None,))[0] != key:
        if st.button("生成图斑核查表（Word）" if cur == "zh" else "Make the field-check sheet (Word)",
                     key=f"make-{key}", icon=":material/description:"):
            try:
                data = sheet.document(store, fid, folder=settings().imagery_dir, lang=cur)
            except GeoError as err:
                st.error(plain(err.message(cur)))
            else:
                st.session_state["sheet_ready"] = (key, data)
    ready = st.session_state.get("sheet_ready", (None, None))
    if ready[0] == key:
        number = re.sub(r'[\\/:*?"<>|\s]+', "-", str(feat.get("polygon_no") or f"#{fid}"))
        st.download_button("下载图斑核查表" if cur == "zh" else "Download the field-check sheet", data=ready[1],
                           file_name=f"{'图斑核查表' if cur == 'zh' else 'field_sheet'}_{number}_{today.isoformat()}.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                           key=f"get-{key}", icon=":material/download:")


def attributes(feat: dict) -> None:
    info = []
    if feat.get("batch_id") is not None:
        info.append((t("detail.batch"), batch_names.get(int(feat["batch_id"]), str(feat["batch_id"]))))
    from geo.chief.chiefs import for_feature

    levels = for_feature(store, feat)  # the feature's zone and chief at every level, finest first
    if not levels:
        info.append((t("detail.chief"), "未划定责任区" if lang() == "zh" else "No responsibility zone defined here"))
    for rec in levels:
        who = f"{rec['name']}（{rec['title']}）" if rec.get("name") else ("空缺" if lang() == "zh" else "vacant")
        info.append((f"{t('detail.chief')} · {label('level', rec['level'])}", f"{who} · {rec.get('zone') or ''}"))
    for ndvi_key in ("ndvi_before", "ndvi_after", "ndvi_change"):
        if feat.get(ndvi_key) is not None:
            info.append((S.layer("change").field(ndvi_key).label(lang()), f"{float(feat[ndvi_key]):.3f}"))
    if info:
        st.dataframe(pd.DataFrame(info, columns=["", " "]), hide_index=True, width="stretch", placeholder="")
    st.dataframe(fp.attributes_table("change", feat), hide_index=True, width="stretch", placeholder="")
    repeats = store.read_layer("change", where={"repeat_of": feat["id"]}, columns=["polygon_no"], geometry=False)
    if feat.get("repeat_of") or len(repeats):
        st.caption(t("detail.repeats"))
        rep_ids = ([int(feat["repeat_of"])] if feat.get("repeat_of") else []) + repeats["id"].tolist()
        st.write(", ".join(f"#{i}" for i in rep_ids))


def polygon_list(tok: str, ids: list[int], matches: pd.DataFrame) -> None:
    st.subheader(t("map.list"))
    # The table is shown on demand: the grid's scripts weigh about 1.3 MB, more than the map
    # itself, and a first visit over a county intranet link should not pay for it (bench/map.py).
    if not st.toggle(t("map.list_show"), key="list_show", value=st.query_params.get("list") == "1"):
        return
    st.caption(t("map.list_help") + " " + t("map.order_note"))
    if len(ids) > LIST_MAX:
        st.caption(t("map.list_capped", n=len(ids), cap=LIST_MAX))
    table = list_rows(store.url, tok, tuple(ids[:LIST_MAX]), scope_key)
    head = matches.head(LIST_MAX)
    due = dict(zip(head["id"], head["due"]))
    late = dict(zip(head["id"], head["overdue"]))
    table_view = pd.DataFrame({
        "ID": table["id"],
        S.layer("change").field("polygon_no").zh if lang() == "zh" else "Polygon no.": table["polygon_no"],
        t("map.batch"): table["batch_id"].map(lambda b: batch_names.get(int(b), "") if pd.notna(b) else ""),
        t("map.county"): table["county"],
        t("map.township"): table["township"],
        t("map.status"): table["status"].map(lambda s_: label("status", s_)),
        t("map.verdict"): table["verdict"].map(lambda x: label("verdict", x) if isinstance(x, str) else ""),
        "公顷" if lang() == "zh" else "ha": table["area_ha"].round(4),
        t("detail.deadline"): table["id"].map(due),
        t("map.overdue"): table["id"].map(late).fillna(False).astype(bool),
    })
    event = st.dataframe(table_view, hide_index=True, width="stretch", height=320,
                         on_select="rerun", selection_mode="single-row", key="list", placeholder="")
    rows = (event or {}).get("selection", {}).get("rows", []) if event else []
    if rows:
        picked = int(table.iloc[rows[0]]["id"])
        if picked != st.session_state.get("list_pick"):
            st.session_state["list_pick"] = picked
            fp.clear_flash()
            select(picked, fly=True)
            st.rerun(scope="fragment")


@st.fragment
def review() -> None:
    tok = token(store)  # fresh in every fragment run: cached reads follow the latest change
    matches = current_listing(tok)
    ids = matches.ids
    sel_id = st.session_state.get("sel_id")
    feat = None
    if sel_id is not None:
        try:
            feat = store.get_feature("change", sel_id)
        except (NotFoundError, PermissionDenied):
            st.session_state.pop("sel_id", None)
            sel_id = None
    if sel_id is not None and st.query_params.get("id") != str(sel_id):
        st.query_params["id"] = str(sel_id)
    col_map, col_side = st.columns([3, 2], gap="medium")
    with col_map:
        draw_map(tok, sel_id, matches)
    with col_side:
        fp.flash(page="map")
        nav = st.columns([1, 1, 2])
        nav[0].button(t("map.prev"), key="prev", disabled=not ids, on_click=on_step, args=(ids, sel_id, -1))
        nav[1].button(t("map.next"), key="next", disabled=not ids, on_click=on_step, args=(ids, sel_id, 1))
        nav[2].caption(t("map.matching", n=len(ids)))
        if feat is None:
            st.info(t("map.select_hint"))
        else:
            details(feat, tok)
    polygon_list(tok, ids, matches.frame)


review()

# ------------------------------------------------------------------------------ whole selection
selection = current_listing(token(store))
matches, ids = selection.frame, selection.ids
if access is not None and access.can_write and ids:
    with st.expander(t("bulk.title") + f"（{len(ids)}）"):
        # who may be assigned (geo.access.auth.assignees): enabled inspectors of the counties in view
        inspectors = assignees(store, filters.counties or (sorted(access.counties) if access.counties is not None
                                                           else None))
        b1, b2 = st.columns(2)
        who = b1.selectbox(t("act.assign"), inspectors, key="bulk_who", placeholder=t("common.choose"))
        if b1.button(t("bulk.assign"), key="bulk_assign", disabled=not who):
            res = workflow.bulk(store, "change", list(zip(ids, matches["version"].tolist())), actor=user["name"],
                                fields={"assigned_to": who}, access=access)
            fp.set_flash("info", t("bulk.result", ok=len(res["done"]), bad=len(res["refused"])))
            st.rerun()
        issued = matches[matches["status"] == "issued"]
        if b2.button(t("bulk.start") + f"（{len(issued)}）", key="bulk_start", disabled=issued.empty):
            res = workflow.bulk(store, "change", list(zip(issued["id"].tolist(), issued["version"].tolist())),
                                actor=user["name"], to="verifying", access=access)
            fp.set_flash("info", t("bulk.result", ok=len(res["done"]), bad=len(res["refused"])))
            st.rerun()

with st.expander(t("map.export")):
    fmt = st.radio(t("map.export"), ["xlsx", "kml", "gpkg"], horizontal=True, key="exp_fmt", label_visibility="collapsed",
                   format_func=lambda f: {"xlsx": "Excel", "kml": "KML（奥维等）", "gpkg": "GeoPackage"}[f])
    if st.button(t("common.download") + " …", key="exp_go", disabled=not ids):
        lyr, frame = gexport.selection(store, "change", ids=ids)
        # named for what it holds: 变化图斑_突泉县_2026-12-07.gpkg (geo.report.export.file_name)
        scope = gexport.scope_label(store, frame, lang())
        out = Path(tempfile.mkdtemp()) / gexport.file_name(lyr, fmt, scope=scope, lang=lang())
        gexport.write(frame, lyr, fmt, out, lang())
        st.download_button(t("common.download"), out.read_bytes(), file_name=out.name, key="exp_dl")

# the summary's figure tiles draw at once on its first visit (dashboard/components/warmup.py)
warmup.element_types()
