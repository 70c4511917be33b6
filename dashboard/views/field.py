"""公示牌·巡护·修复 — signboards, patrol tracks, restoration areas and illegal-occupation plots."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import feature_panel as fp
from dashboard.components import fmap
from dashboard.components.auth import current_access, current_user
from dashboard.components.common import label, lang, settings, show_error, store_or_stop, t
from dashboard.components.text import plain
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from geo.chief import zones as Z
from geo.core.errors import GeoError
from geo.fieldwork import patrols as P
from geo.ingest.refusal import unexpected
from geo.stats import field as gfield
from geo.declare import registry as S
from geo.core.timeutil import fmt_local, today_local
from geo.store.attribution import LEVEL_ORDER

store = store_or_stop()
user = current_user()
access = current_access()
zh = lang() == "zh"
LAYERS = ["signboard", "patrol", "restoration", "occupation", "coverage"]
# the zone check: for those who keep the zones (data staff, administrators), as `geo zones check`
if access is not None and (access.can_upload or access.can_write_layer("zone")):
    LAYERS.append("zones")

st.title(t("field.title"))
fp.flash()
q_layer = st.query_params.get("layer")
if q_layer in LAYERS and st.session_state.get("field_q") != q_layer:
    st.session_state["field_q"] = q_layer
    st.session_state["field_layer"] = q_layer
layer = st.segmented_control(" ", LAYERS, key="field_layer", default="signboard",
                             format_func=lambda k: t(f"field.{k}"), label_visibility="collapsed") or "signboard"
if layer not in LAYERS:  # (a zone check kept in the session by a role that may not use it)
    layer = "signboard"
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
        # the trusted track, and its implausible stretches drawn apart (red, dashed)
        groups = [fmap.line_layer(fmap.track_collection(frame_one.assign(n=frame_one["actor"]), zoom, lang(), "n"))]
    else:
        groups = [fmap.polygon_layer(fmap.feature_collection(frame_one.assign(n=""), {"n": "n"}, zoom), key)]
    st_folium(m, key=f"preview-{key}", height=320, use_container_width=True,
              feature_group_to_add=fmap.finish(groups), returned_objects=[])


def pick_row(table: pd.DataFrame, key: str):
    event = st.dataframe(table, hide_index=True, width="stretch", height=360, on_select="rerun",
                         selection_mode="single-row", key=key, placeholder="")
    rows = event.selection.rows if event else []
    return rows[0] if rows else None


def import_form() -> None:
    """巡护轨迹导入: who patrolled, at what level and over which period, then the files; checked
    first (nothing written), stored on a second click — geo.fieldwork.patrols.import_files, as
    `python -m geo patrol import`."""
    with st.expander(t("pt.import"), icon=":material/upload_file:",
                     expanded=bool(st.session_state.get("pt_checked") or st.session_state.get("pt_done"))):
        done = st.session_state.pop("pt_done", None)
        if done:
            st.success(t("pt.done", id=done["id"], n=done["n"]))
        if access is None or not access.can_upload:
            st.caption(t("pt.no_permission"))
            return
        nonce = st.session_state.setdefault("pt_nonce", 0)
        with st.form(f"pt_form_{nonce}", border=False):
            c1, c2, c3 = st.columns(3)
            who = c1.text_input(t("pt.patroller"), key=f"pt_who_{nonce}", placeholder=t("pt.patroller_ph"),
                                max_chars=100)
            level = c2.selectbox(t("pt.level"), list(P.LEVEL_ZH), index=None, key=f"pt_level_{nonce}",
                                 format_func=lambda v: label("actor_level", v), placeholder=t("common.choose"))
            period = c3.date_input(t("pt.period"), min_value=PICKER_MIN, max_value=PICKER_MAX, value=(), key=f"pt_period_{nonce}", format="YYYY-MM-DD",
                                   help=t("pt.period_help"))
            batch = st.text_input(t("pt.batch"), key=f"pt_batch_{nonce}", placeholder=t("pt.batch_ph"), max_chars=200)
            files = st.file_uploader(t("pt.files"), type=["gpx", "kml", "kmz", "csv", "zip"], accept_multiple_files=True,
                                     key=f"pt_files_{nonce}", help=t("pt.import_help"))
            checked = st.form_submit_button(t("pt.check"))
        if checked:
            st.session_state.pop("pt_checked", None)
            missing = [t(k) for k, bad in (("pt.no_files", not files), ("pt.no_level", level is None),
                                            ("pt.no_period", len(period or ()) != 2)) if bad]
            if missing:
                st.error("；".join(missing), icon="🚫")
                return
            args = {"files": [(f.name, f.getvalue()) for f in files], "patroller": who, "actor_level": level,
                    "period": tuple(period), "batch": batch}
            report = run_import(args, dry_run=True)
            if report is not None:
                st.session_state["pt_checked"] = {"args": args, "counts": dict(report.counts),
                                                  "problems": report.problem_table(lang())}
        state = st.session_state.get("pt_checked")
        if not state:
            return
        c = state["counts"]
        st.info(t("pt.checked", read=c["read"], n=c["to_store"], flagged=c["flagged"]))
        if not state["problems"].empty:
            st.dataframe(state["problems"], hide_index=True, width="stretch", placeholder="")
        if st.button(t("pt.store", n=c["to_store"]), type="primary", key="pt_store", disabled=c["to_store"] == 0):
            report = run_import(state["args"], dry_run=False)
            if report is not None:
                st.session_state.pop("pt_checked", None)
                st.session_state["pt_done"] = {"id": report.batch_id, "n": report.to_store}
                st.session_state["pt_nonce"] = nonce + 1  # a fresh, empty form
                st.rerun()


def run_import(args: dict, *, dry_run: bool):
    """The import (or its check), or None after showing the refusal."""
    try:
        return P.import_files(store, args["files"], batch=args["batch"], actor=access.user, access=access,
                              actor_level=args["actor_level"], patroller=args["patroller"], period=args["period"],
                              dry_run=dry_run, need_person=True)
    except GeoError as err:
        show_error(err)
    except Exception as ex:  # noqa: BLE001 - any file ends in a refusal naming it, never an error page
        show_error(unexpected(ex, "、".join(n for n, _ in args["files"])))
    return None


def zone_check() -> None:
    """Gaps and overlaps of the zones in force (geo.chief.zones.check_counties, as `geo zones
    check`), drawn on a map and listed."""
    st.caption(t("zc.intro", tol=f"{Z.TOLERANCE_MU:g}"))
    counties = access.counties if access is not None else None
    problems = Z.check_counties(store, counties)
    sums = Z.summary(problems)
    c = st.columns(3)
    for col, key in zip(c, ("gaps", "overlaps", "outside_parent")):
        col.metric(t(f"zc.{key}"), f"{sums[key]['count']} · {sums[key]['area_mu']:,.1f} " + ("亩" if zh else "mu"))
    rows = []
    for key in ("gaps", "overlaps", "outside_parent"):
        for p in problems[key]:
            names = p.get("names") or ([p["name"]] if p.get("name") else [])
            rows.append({"kind": key, "county": p.get("county") or p.get("county_code") or "",
                         "level": label("level", p.get("level")), "zones": "、".join(str(n) for n in names if n),
                         "area_mu": p["area_mu"], "geometry": p["geometry"]})
    if not rows:
        st.success(t("zc.none"))
        return
    frame = pd.DataFrame(rows)
    import geopandas as gpd

    shapes = gpd.GeoDataFrame(frame, geometry="geometry", crs=4490)
    shapes["n"] = [f"{t('zc.' + k)} · {lv} · {z + ' · ' if z else ''}{a:,.1f} {'亩' if zh else 'mu'}"
                   for k, lv, z, a in zip(shapes["kind"], shapes["level"], shapes["zones"], shapes["area_mu"])]
    b = shapes.total_bounds
    zoom = fmap.fit_zoom(tuple(b), 900, 460)
    m = fmap.base_map(((b[1] + b[3]) / 2, (b[0] + b[2]) / 2), zoom, settings().basemap, settings().tianditu_key)
    groups = [fmap.problem_layer(fmap.feature_collection(shapes[shapes["kind"] == k], {"n": "n"}, zoom), k)
              for k in ("gaps", "overlaps", "outside_parent") if (shapes["kind"] == k).any()]
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]], padding=(16, 16))
    st_folium(m, key="zone-check-map", height=460, use_container_width=True,
              feature_group_to_add=fmap.finish(groups), returned_objects=[])
    st.markdown(fmap.problem_legend(lang()), unsafe_allow_html=True)
    st.dataframe(pd.DataFrame({
        t("zc.kind"): frame["kind"].map(lambda k: t(f"zc.{k}")), t("zc.county"): frame["county"],
        t("zc.level"): frame["level"], t("zc.zones"): frame["zones"], t("zc.area"): frame["area_mu"],
    }), hide_index=True, width="stretch", placeholder="")


def zone_coverage() -> None:
    """Each zone's share of 1 km cells crossed by trusted patrol tracks over a period
    (geo.fieldwork.patrols.coverage, as `geo patrol coverage`), on a map and in a table."""
    c1, c2 = st.columns(2)
    level = c1.selectbox(t("cv.level"), [lv for lv in LEVEL_ORDER if lv != "league"], index=2, key="cv_level",
                         format_func=lambda v: label("level", v))
    today = today_local()
    period = c2.date_input(t("cv.period"), min_value=PICKER_MIN, max_value=PICKER_MAX, value=(today - dt.timedelta(days=30), today), key="cv_period",
                           format="YYYY-MM-DD")
    if len(period or ()) != 2:
        st.info(t("pt.no_period"))
        return
    st.caption(t("cv.help"))
    counties = access.counties if access is not None else None
    with st.spinner(t("up.checking")):
        table, cells = cached_coverage(store.url, period[0], period[1], level,
                                       tuple(sorted(counties)) if counties is not None else None)
    if table.empty:
        st.info(t("cv.none"))
        return
    if len(cells):
        b = cells.total_bounds
        zoom = fmap.fit_zoom(tuple(b), 900, 460)
        m = fmap.base_map(((b[1] + b[3]) / 2, (b[0] + b[2]) / 2), zoom, settings().basemap, settings().tianditu_key)
        share = pd.to_numeric(cells["share"], errors="coerce")
        shown = cells.assign(n=[f"{z or ''} · {'—' if pd.isna(v) else f'{v:.0f}%'}" for z, v in zip(cells["zone"], share)],
                             v=(share / 100).fillna(0.0))
        m.fit_bounds([[b[1], b[0]], [b[3], b[2]]], padding=(16, 16))
        st_folium(m, key="coverage-map", height=460, use_container_width=True,
                  feature_group_to_add=fmap.finish([fmap.share_layer(
                      fmap.feature_collection(shown, {"n": "n", "v": "v"}, zoom))]), returned_objects=[])
    st.dataframe(pd.DataFrame({
        t("cv.zone"): table["zone"], t("zc.county"): table["county"], t("cv.cells"): table["cells"],
        t("cv.visited"): table["visited"], t("cv.share"): table["share"],
        t("cv.tracks"): table["tracks"], t("cv.km"): table["km"],
    }), hide_index=True, width="stretch", placeholder="")


@st.cache_data(show_spinner=False, ttl=300, max_entries=16)
def cached_coverage(url: str, start, end, level: str, counties):
    return P.coverage(store, start, end, level=level, counties=list(counties) if counties is not None else None)


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
    import_form()
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
    flags = view["flags"] if "flags" in view else pd.Series([None] * len(view), index=view.index)
    table = pd.DataFrame({
        S.layer("patrol").field("actor").zh if zh else "By": view["actor"],
        t("field.level"): view["actor_level"].map(lambda v: label("actor_level", v)),
        S.layer("patrol").field("county").zh if zh else "County": view["county"],
        S.layer("patrol").field("started_at").zh if zh else "Started": view["started_at"].map(fmt_local),
        t("field.km"): view["length_km"], t("field.hours"): view["duration_h"],
        S.layer("patrol").field("mean_kmh").zh if zh else "km/h": view["mean_kmh"],
        t("field.implausible"): view["plausible"].eq(False).fillna(False).astype(bool),  # unknown: not flagged
        t("pt.excluded"): [len(P.excluded_lines(g, f)) for g, f in zip(view.geometry.values, flags)],
    })
    i = pick_row(table, "patrols")
    if i is not None:
        one = view.iloc[[i]]
        info = P.track_details(one.geometry.iloc[0], flags.iloc[i])
        st.subheader(t("pt.details"))
        d = st.columns(3)
        d[0].metric(t("field.km"), f"{info['trusted_km']:.2f}")
        d[1].metric(t("pt.excluded"), info["excluded"])
        d[2].metric(t("pt.excluded_km"), f"{info['excluded_km']:.2f}")
        if info["excluded"]:
            st.caption(t("pt.excluded_note", km=f"{info['excluded_km']:.2f}"))
        if info["reasons"]:
            st.warning(t("pt.reasons", r=plain("；".join(info["reasons"]))))
        preview(one, "patrol")

elif layer == "zones":
    zone_check()

elif layer == "coverage":
    zone_coverage()

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
