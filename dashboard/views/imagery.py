"""影像管理 — the scene register, NDVI per polygon for a batch, change detection, 回头看.

The page collects choices and renders; everything is :mod:`geo.imagery` (the same code as
``python -m geo imagery …``). Admin and data staff only.
"""

from __future__ import annotations

import json
from pathlib import Path

import folium
import pandas as pd
import shapely
import streamlit as st
from folium.utilities import JsCode
from streamlit_folium import st_folium

from dashboard.components import fmap
from dashboard.components.auth import current_access
from dashboard.components.common import lang, settings, show_error, store_or_stop, t
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from dashboard.components.text import plain
from geo.declare import registry as S
from geo.core.errors import GeoError
from geo.imagery import detect, regreen, zonal
from geo.imagery import scenes as SC

store = store_or_stop()
access = current_access()
zh = lang() == "zh"
s = settings()
FOLDER = Path(s.imagery_dir)
st.title(t("im.title"))
st.caption(t("im.intro"))
if access is None or not access.can_upload:
    st.warning(t("im.no_permission"))
    st.stop()

_TIP = """
function(feature, layer) {
  var el = document.createElement('span');
  el.textContent = String(feature.properties.n);
  layer.bindTooltip(el, {sticky: true});
  layer.setStyle({color: feature.properties.c, weight: 2, fillOpacity: 0.08});
}
"""


def _map(frame, labels: list[str], colour: str, key: str, height: int = 420) -> None:
    """Polygons (EPSG:4490) over the county outlines, labelled by text (never HTML)."""
    bounds = tuple(float(v) for v in frame.total_bounds)
    zoom = fmap.fit_zoom(bounds, 900, height)
    center = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2)
    counties = store.read_layer("admin", where={"level": "county"}, columns=["name"])
    outlines = fmap.feature_collection(counties, {"n": "name"}, 9) if len(counties) else None
    m = fmap.base_map(center, zoom, s.basemap, s.tianditu_key, outlines, lang())
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(shapely.to_geojson(g)), "properties": {"n": n, "c": colour}}
        for g, n in zip(frame.geometry.values, labels)]}
    folium.GeoJson(fc, name=key, on_each_feature=JsCode(_TIP)).add_to(m)
    st_folium(m, key=key, height=height, use_container_width=True, returned_objects=[])


def _scene_label(sc: SC.Scene) -> str:
    return sc.label(lang())


scenes = SC.visible(store)
tabs = st.tabs([t("im.tab.scenes"), t("im.tab.add"), t("im.tab.ndvi"), t("im.tab.detect"), t("im.tab.regreen")])

# ------------------------------------------------------------------------------ scenes
with tabs[0]:
    if not scenes:
        st.info(t("im.none"))
    else:
        frame = SC.frame(scenes)
        counties = store.read_layer("admin", where={"level": "county"}, columns=["name"])
        covered = [("、" if zh else ", ").join(counties.loc[counties.intersects(g), "name"]) for g in frame.geometry]
        table = pd.DataFrame({
            t("im.col.id"): frame["id"], t("im.col.date"): frame["acquired_on"], t("im.col.sensor"): frame["sensor"],
            t("im.col.name"): frame["name"], t("im.col.bands"): frame["bands"], t("im.col.res"): frame["res_m"],
            t("im.col.size"): frame["size"], t("im.col.counties"): covered,
            t("im.col.kind"): [t("im.kind.synthetic") if v else t("im.kind.real") for v in frame["synthetic"]],
            t("im.col.by"): frame["added_by"],
        }).sort_values(t("im.col.date"), ascending=False)
        st.dataframe(table, hide_index=True, width="stretch", placeholder="")
        if frame["synthetic"].any():
            st.caption(t("im.synthetic_note"))
        st.subheader(t("im.map"))
        _map(frame, [_scene_label(sc) for sc in scenes], "#7b3fb5", "im_footprints")

# ------------------------------------------------------------------------------ add
with tabs[1]:
    with st.form("im_add_form"):
        how = st.radio(t("im.source"), ["upload", "folder"], horizontal=True, key="im_how",
                       format_func=lambda k: t(f"im.source.{k}"))
        upload = st.file_uploader(t("im.file"), type=["tif", "tiff"], key="im_file",
                                  help=t("im.file_help", mb=s.upload_max_mb))
        rel = st.text_input(t("im.path"), key="im_path", help=t("im.path_help"))
        c1, c2 = st.columns(2)
        day = c1.date_input(t("im.date"), value=None, key="im_date", format="YYYY-MM-DD",
                            min_value=PICKER_MIN, max_value=PICKER_MAX)
        sensor = c2.text_input(t("im.sensor"), key="im_sensor", placeholder=t("im.sensor_ph"))
        meaning = st.radio(t("im.meaning"), ["roles", "ndvi"], horizontal=True, key="im_meaning",
                           format_func=lambda k: t(f"im.meaning.{k}"))
        c1, c2, c3, c4 = st.columns(4)
        bands = c1.text_input(t("im.bands"), value="red=1,green=2,blue=3,nir=4", key="im_bands",
                              help=t("im.bands_help"))
        ndvi_band = c2.number_input(t("im.ndvi_band"), min_value=1, value=1, step=1, key="im_ndvi_band")
        scale = c3.number_input(t("im.scale"), value=0.0001, format="%g", key="im_scale")
        nodata = c4.number_input(t("im.nodata"), value=-3000.0, format="%g", key="im_nodata")
        go = st.form_submit_button(t("im.add"), type="primary")
    if go:
        opts = {"date": day, "sensor": sensor or None}
        if meaning == "roles":
            opts["bands"] = bands
        else:
            opts.update(ndvi_band=int(ndvi_band), scale=float(scale), nodata=float(nodata))
        source = None
        if how == "upload" and upload is not None:
            source = (upload.name, upload.getvalue())
        elif how == "folder" and rel.strip():
            target = (FOLDER / rel.strip()).resolve()
            if not target.is_relative_to(FOLDER.resolve()):
                st.error(t("im.path_outside"))
            else:
                source = target
        elif how == "upload" or not rel.strip():
            st.warning(t("im.need_source"))
        if source is not None:
            try:
                with st.spinner("…"):
                    added = SC.add(store, source, folder=FOLDER, actor=access.user, access=access, **opts)
            except GeoError as err:
                show_error(err)
            else:
                st.success(t("im.added", n=len(added), names=plain("、".join(_scene_label(a) for a in added))))
                away = SC.outside(store, added)
                if away:
                    st.warning(t("forms.scene_outside", names=plain("、".join(_scene_label(a) for a in away))))
                scenes = SC.visible(store)

ndvi_scenes = [sc for sc in scenes if sc.can_ndvi]
by_id = {sc.id: sc for sc in ndvi_scenes}

# ------------------------------------------------------------------------------ NDVI per polygon
with tabs[2]:
    st.caption(t("im.ndvi_help"))
    batches = store.batches("change")
    if batches.empty or not ndvi_scenes:
        st.info(t("im.none") if not ndvi_scenes else t("common.empty_store"))
    else:
        names = dict(zip(pd.to_numeric(batches["id"]).astype(int), batches["name"]))
        bid = st.selectbox(t("im.batch"), sorted(names, reverse=True), key="im_ndvi_batch",
                           format_func=lambda k: f"#{k} {names[k]}")
        auto = st.checkbox(t("im.auto_pair"), value=True, key="im_ndvi_auto")
        before = after = None
        if not auto:
            c1, c2 = st.columns(2)
            ids = [sc.id for sc in ndvi_scenes]
            before = c1.selectbox(t("im.before"), ids, key="im_ndvi_before", format_func=lambda k: _scene_label(by_id[k]))
            after = c2.selectbox(t("im.after"), ids, index=len(ids) - 1, key="im_ndvi_after",
                                 format_func=lambda k: _scene_label(by_id[k]))
        if st.button(t("im.run_ndvi"), type="primary", key="im_ndvi_go"):
            try:
                with st.spinner("…"):
                    out = zonal.batch_ndvi(store, bid, folder=FOLDER, before=before, after=after)
            except GeoError as err:
                show_error(err)
            else:
                st.success(t("im.ndvi_done", id=out["batch_id"], computed=out["computed"], none=out["no_imagery"],
                             fell=out["fell_0_2"]))

# ------------------------------------------------------------------------------ detection
with tabs[3]:
    if len(ndvi_scenes) < 2:
        st.info(t("im.need_two"))
    else:
        ids = [sc.id for sc in ndvi_scenes]
        c1, c2 = st.columns(2)
        before = c1.selectbox(t("im.before"), ids, index=len(ids) - 2, key="im_det_before",
                              format_func=lambda k: _scene_label(by_id[k]))
        after = c2.selectbox(t("im.after"), ids, index=len(ids) - 1, key="im_det_after",
                             format_func=lambda k: _scene_label(by_id[k]))
        c1, c2, c3 = st.columns(3)
        threshold = c1.slider(t("im.threshold"), 0.1, 0.6, 0.2, 0.05, key="im_det_threshold")
        min_area = c2.number_input(t("im.min_area"), min_value=0.1, value=1.0, step=0.5, key="im_det_min_area")
        kind = c3.radio(t("im.kind"), ["forest", "grassland"], horizontal=True, key="im_det_kind",
                        format_func=lambda k: S.label("kind", k, lang()))
        name = st.text_input(t("im.batch_name"), key="im_det_name")
        st.caption(t("im.detect_help"))
        if st.button(t("im.run_detect"), type="primary", key="im_det_go"):
            try:
                with st.spinner("…"):
                    out = detect.run(store, before, after, actor=access.user, threshold=float(threshold),
                                     min_area_mu=float(min_area), folder=FOLDER, name=name.strip() or None,
                                     kind=kind, access=access)
            except GeoError as err:
                show_error(err)
            else:
                if out["batch_id"]:
                    st.success(t("im.detect_done", found=out["found"], issued=out["already_issued"],
                                 id=out["batch_id"], n=out["stored"]))
                else:
                    st.info(t("im.detect_none", found=out["found"], issued=out["already_issued"]))

# ------------------------------------------------------------------------------ 回头看
with tabs[4]:
    st.caption(t("im.regreen_help"))
    if st.button(t("im.run_regreen"), type="primary", key="im_rg_go"):
        try:
            with st.spinner("…"):
                st.session_state["im_rg"] = regreen.check(store, folder=FOLDER, scenes=scenes)
        except GeoError as err:
            show_error(err)
    rows = st.session_state.get("im_rg")
    if rows is not None:
        figs = regreen.figures_from(rows)["total"]
        cols = st.columns(6)
        for col, key in zip(cols, ("checked", "greened", "greening", "not_greened", "no_imagery")):
            col.metric(t(f"im.rg.{key}"), figs[key])
        cols[5].metric(t("im.rg.mu"), f"{figs['not_greened_mu']:g}")
        failed = rows[rows["verdict"] == "not_greened"]
        st.subheader(t("im.rg.list"))
        if failed.empty:
            st.caption(t("im.rg.none"))
        else:
            verdicts = regreen.VERDICT_ZH if zh else regreen.VERDICT_EN
            st.dataframe(pd.DataFrame({
                t("im.rg.layer"): [S.layer(v).zh if zh else S.layer(v).en for v in failed["layer"]],
                t("im.rg.label"): failed["label"], t("im.rg.county"): failed["county"],
                t("im.rg.date"): failed["rect_date"], t("im.rg.before"): failed["ndvi_before"],
                t("im.rg.after"): failed["ndvi_after"], t("im.rg.ring"): failed["ndvi_ring"],
                t("im.rg.verdict"): failed["verdict"].map(verdicts),
            }), hide_index=True, width="stretch", placeholder="")
            _map(failed, [f"{lb}（{c}）" for lb, c in zip(failed["label"], failed["county"])], "#d7301f", "im_rg_map",
                 height=360)
            if st.button(t("im.rg.items"), key="im_rg_items"):
                try:
                    made = regreen.to_items(store, rows, actor=access.user, access=access)
                except GeoError as err:
                    show_error(err)
                else:
                    st.success(t("im.rg.items_done", ids="、".join(f"#{i}" for i in made)))
