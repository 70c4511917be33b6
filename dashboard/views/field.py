"""公示牌·巡护·修复 — signboards, patrol tracks, restoration areas and illegal-occupation plots."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import feature_panel as fp
from dashboard.components import fmap
from dashboard.components.auth import current_access, current_user
from dashboard.components.common import label, lang, settings, store_or_stop, t
from dashboard.components.text import plain
from geo.stats import field as gfield
from geo.declare import registry as S
from geo.core.timeutil import fmt_local

store = store_or_stop()
user = current_user()
access = current_access()
zh = lang() == "zh"
LAYERS = ["signboard", "patrol", "restoration", "occupation"]

st.title(t("field.title"))
fp.flash()
q_layer = st.query_params.get("layer")
if q_layer in LAYERS and st.session_state.get("field_q") != q_layer:
    st.session_state["field_q"] = q_layer
    st.session_state["field_layer"] = q_layer
layer = st.segmented_control(" ", LAYERS, key="field_layer", default="signboard",
                             format_func=lambda k: t(f"field.{k}"), label_visibility="collapsed") or "signboard"
q_status = [s for s in (st.query_params.get("status") or "").split(",") if s]
q_level = st.query_params.get("level")


def preview(frame_one, key: str):
    """A small map of one feature (local assets, text-only tooltips)."""
    if frame_one.empty:
        return
    geom = frame_one.geometry.iloc[0]
    c = geom.centroid
    zoom = 15 if geom.geom_type == "Point" else max(8, min(15, fmap.fit_zoom(geom.bounds, 500, 300)))
    m = fmap.base_map((c.y, c.x), zoom, settings().basemap, settings().tianditu_key)
    if geom.geom_type == "Point":
        row = frame_one.iloc[0]
        groups = [fmap.point_layer([[round(c.y, 6), round(c.x, 6), str(row.get("board_no") or ""),
                                     str(row.get("status") or "ok")]], lang())]
    elif key == "patrol":
        groups = [fmap.line_layer(fmap.feature_collection(frame_one.assign(n=frame_one["actor"]), {"n": "n"}, zoom))]
    else:
        groups = [fmap.polygon_layer(fmap.feature_collection(frame_one.assign(n=""), {"n": "n"}, zoom), key)]
    st_folium(m, key=f"preview-{key}", height=320, use_container_width=True,
              feature_group_to_add=fmap.finish(groups), returned_objects=[])


def pick_row(table: pd.DataFrame, key: str):
    event = st.dataframe(table, hide_index=True, width="stretch", height=360, on_select="rerun",
                         selection_mode="single-row", key=key, placeholder="")
    rows = event.selection.rows if event else []
    return rows[0] if rows else None


if layer == "signboard":
    boards = gfield.signboards(store)
    if boards.empty:
        st.info(t("common.empty_store"))
        st.stop()
    boards["bad"] = (boards["status"] != "ok") | boards["chief_changed"]
    boards = gfield.filter_by_query(boards, "signboard", st.query_params)
    c = st.columns(5)
    c[0].metric(t("field.signboard"), f"{len(boards):,}")
    for i, lvl in enumerate(("league", "banner", "township", "village")):
        c[i + 1].metric(label("level", lvl), int((boards["level"] == lvl).sum()))
    f1, f2 = st.columns(2)
    levels = f1.multiselect(t("field.level"), ["league", "banner", "township", "village"],
                            default=[q_level] if q_level in ("league", "banner", "township", "village") else [],
                            format_func=lambda v: label("level", v), placeholder=t("common.all"), select_all=False)
    bad_only = f2.toggle(t("field.stale_only"), value=False)
    view = boards
    if levels:
        view = view[view["level"].isin(levels)]
    if bad_only:
        view = view[view["bad"]]
    table = pd.DataFrame({
        S.layer("signboard").field("board_no").zh if zh else "Board no.": view["board_no"],
        t("field.level"): view["level"].map(lambda v: label("level", v)),
        S.layer("signboard").field("chief_name").zh if zh else "Chief": view["chief_name"],
        S.layer("signboard").field("chief_post").zh if zh else "Post": view["chief_post"],
        S.layer("signboard").field("zone_desc").zh if zh else "Area": view["zone_desc"],
        S.layer("signboard").field("phone").zh if zh else "Phone": view["phone"],
        t("map.status"): view["status"].map(lambda v: label("status", v)),
        t("field.stale_derived"): view["chief_changed"],
        S.layer("signboard").field("last_inspected_on").zh if zh else "Last inspected": view["last_inspected_on"],
    })
    st.caption(t("field.pick"))
    i = pick_row(table, "boards")
    if i is not None:
        row = view.iloc[i]
        feat = store.get_feature("signboard", int(row["id"]))
        left, right = st.columns([2, 1])
        with left:
            preview(view.iloc[[i]], "signboard")
            if row["chief_changed"]:
                st.warning(f"{t('field.stale_derived')}：{plain(row['chief_name'])}")
        with right:
            st.image(gfield.qr_png(feat), caption=t("field.qr"), width=180)
            if user is not None:
                fp.action_form(store, "signboard", feat, user["name"], access=access)

elif layer == "patrol":
    pats = store.read_layer("patrol", geometry=True)
    if pats.empty:
        st.info(t("common.empty_store"))
        st.stop()
    summary = gfield.patrol_summary(pats, lang())
    summary.columns = [t("field.level"), t("field.count"), t("field.km"), t("field.hours")]
    st.subheader(t("field.by_level"))
    st.dataframe(summary, hide_index=True, placeholder="")
    view = gfield.filter_by_query(pats, "patrol", st.query_params)
    view = view.sort_values("started_at", ascending=False)
    table = pd.DataFrame({
        S.layer("patrol").field("actor").zh if zh else "By": view["actor"],
        t("field.level"): view["actor_level"].map(lambda v: label("actor_level", v)),
        S.layer("patrol").field("county").zh if zh else "County": view["county"],
        S.layer("patrol").field("started_at").zh if zh else "Started": view["started_at"].map(fmt_local),
        t("field.km"): view["length_km"], t("field.hours"): view["duration_h"],
        S.layer("patrol").field("mean_kmh").zh if zh else "km/h": view["mean_kmh"],
        t("field.implausible"): view["plausible"].eq(False).fillna(False).astype(bool),  # unknown: not flagged
    })
    i = pick_row(table, "patrols")
    if i is not None:
        preview(view.iloc[[i]], "patrol")

else:
    frame = store.read_layer(layer, geometry=True)
    if frame.empty:
        st.info(t("common.empty_store"))
        st.stop()
    frame = gfield.filter_by_query(frame, layer, st.query_params)
    lyr = S.layer(layer)
    if layer == "restoration":
        planned, done = frame["planned_mu"].sum() / 1e4, frame["completed_mu"].sum() / 1e4
        budget, paid = frame["budget_yuan"].sum(), frame["paid_yuan"].sum()
        c = st.columns(3)
        c[0].metric("计划（万亩）" if zh else "Planned (10k mu)", f"{planned:.2f}")
        c[1].metric("完成（万亩）" if zh else "Completed (10k mu)", f"{done:.2f}")
        c[2].metric(t("field.pay_rate"), f"{100 * paid / budget:.1f}%" if budget else t("common.nodata"))
        cols = ["project", "type", "county", "year", "planned_mu", "completed_mu", "budget_yuan", "paid_yuan", "status"]
    else:
        cols = ["name", "site_type", "party", "county", "area_ha", "fine_yuan", "case_no", "deadline", "delisted_on", "status"]
    table = pd.DataFrame({(lyr.field(c).zh if zh else lyr.field(c).en): (
        frame[c].map(lambda v: label("status", v)) if c == "status" else frame[c]) for c in cols})
    if layer == "restoration":
        table[t("field.pay_rate")] = (100 * frame["paid_yuan"] / frame["budget_yuan"]).round(1)
    i = pick_row(table, f"tbl-{layer}")
    if i is not None:
        feat = store.get_feature(layer, int(frame.iloc[i]["id"]))
        left, right = st.columns([2, 1])
        with left:
            preview(frame.iloc[[i]], layer)
            st.dataframe(fp.attributes_table(layer, feat), hide_index=True, width="stretch", placeholder="")
        with right:
            if user is not None:
                fp.action_form(store, layer, feat, user["name"], access=access)
            st.dataframe(fp.history_table(store.history(layer, feat["id"]), layer), hide_index=True, placeholder="")
