"""批次上传 — read and check a batch file, show every problem, then store it once.

The page only collects choices and renders; reading, checking and storing are
:func:`geo.ingest.load_for` / :func:`geo.ingest.check` / :func:`geo.ingest.commit`, the same code
as ``python -m geo ingest``. Nothing is written until the commit button.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import fmap
from dashboard.components.auth import current_access
from dashboard.components.common import lang, settings, show_error, store_or_stop, t
from geo import ingest as I
from geo import official
from geo.timeutil import fmt_local
from geo import schema as S
from geo.errors import GeoError
from geo.ingest.archive import Limits

LAYERS = ["change", "occupation", "restoration", "zone", "signboard", "patrol"]
ENCODINGS = ["", "GB18030", "UTF-8", "BIG5", "SHIFT_JIS", "CP949", "CP1252"]
MAP_CAP = 2000
FILE_TYPES = ["zip", "shp", "shx", "dbf", "prj", "cpg", "gpkg", "geojson", "json", "kml", "kmz", "gpx"]

store = store_or_stop()
access = current_access()
zh = lang() == "zh"
st.title(t("up.title"))
st.caption(t("up.intro"))
if access is None or not access.can_upload:
    st.warning(t("up.no_permission"))
    st.stop()

done = st.session_state.pop("up_done", None)
if done:
    st.success(t("up.done", id=done["id"], name=done["name"], n=done["n"]) + " " + t("up.done_view"))


@st.cache_data(show_spinner=False)
def crs_choices() -> dict[str, str]:
    from pyproj import CRS

    codes = [4490, 4326, *range(4534, 4555), *range(4513, 4534), *range(4491, 4502), 4610, 4214]
    return {f"EPSG:{c}": f"EPSG:{c} {CRS.from_epsg(c).name}" for c in codes}


def known_sources() -> list[str]:
    names = list(store.table("field_profiles")["source"].dropna().unique())
    b = store.batches()
    if len(b):
        names += [s for s in b["source"].dropna().unique() if s not in names]
    for default in ("国家森林督查", "草原变化图斑", "自治区", "盟市", "自动检测"):
        if default not in names:
            names.append(default)
    return names


# ------------------------------------------------------------------------------ the batch
st.subheader(t("up.batch"))
c1, c2, c3 = st.columns([1, 1, 1])
layer = c1.selectbox(t("up.layer"), LAYERS, key="up_layer",
                     format_func=lambda k: S.layer(k).zh if zh else S.layer(k).en)
name = c2.text_input(t("up.name"), key="up_name", placeholder=t("up.name_ph"))
source = c3.selectbox(t("up.source"), known_sources(), key="up_source", accept_new_options=True,
                      help=t("up.source_help"))
c1, c2, c3, c4 = st.columns(4)
kind = None
if layer == "change":
    kind = c1.radio(t("up.kind"), ["forest", "grassland"], key="up_kind", horizontal=True,
                    format_func=lambda k: S.label("kind", k, lang()))
issued = c2.date_input(t("up.issued_on"), value=dt.date.today(), key="up_issued")
verify = c3.date_input(t("up.verify_deadline"), value=None, key="up_verify", help=t("up.deadline_help"))
rectify = c4.date_input(t("up.rectify_deadline"), value=None, key="up_rectify", help=t("up.deadline_help"))
# what the batch counts as: only official batches count in the figures and reports (geo.official)
by_source = official.default_purpose(source)
purpose = st.columns(4)[0].selectbox(
    t("batch.purpose"), list(official.PURPOSES), index=official.PURPOSES.index(by_source),
    key=f"up_purpose_{by_source}", format_func=lambda p: official.label(p, lang()), help=t("batch.purpose_help"))

limits = Limits.from_settings(settings())
nonce = st.session_state.setdefault("up_nonce", 0)
files = st.file_uploader(t("up.file"), type=FILE_TYPES, accept_multiple_files=True, key=f"up_files_{nonce}",
                         help=t("up.file_help", mb=limits.max_upload_mb))

# choices made under "advanced" (read before the widgets are drawn: they keep their last value)
enc = st.session_state.get("up_enc") or None
crs_pick = st.session_state.get("up_crs") or ""
crs = (st.session_state.get("up_crs_other") or "").strip() if crs_pick == "other" else crs_pick
gcj02 = bool(st.session_state.get("up_gcj02"))
src_layer = st.session_state.get("up_src_layer") or None
digest = hashlib.sha256(b"".join(hashlib.sha256(f.getvalue()).digest() for f in files or [])).hexdigest()
# mapping edits belong to one file and one target layer
edits = st.session_state.get("up_mapping")
overrides = edits[1] if edits and edits[0] == (digest, layer) else {}
opts = I.Options(layer=layer, batch=name, source=(source or "").strip() or None, kind=kind,
                 issued_on=issued, verify_deadline=verify, rectify_deadline=rectify, encoding=enc,
                 crs=crs or None, gcj02=gcj02, source_layer=src_layer, mapping=overrides, purpose=purpose)

error: GeoError | None = None
loaded = report = None
if files:
    upload = I.Upload.from_files([(f.name, f.getvalue()) for f in files])
    key = (digest, opts.load_key(), layer)
    cached = st.session_state.get("up_loaded")
    try:
        if cached is not None and cached[0] == key:
            loaded = cached[1]
        else:
            with st.spinner(t("up.checking")):
                loaded = I.load_for(upload, opts, store, limits)
            st.session_state["up_loaded"] = (key, loaded)
            st.session_state.pop("up_report", None)
        top = store.batches()
        rkey = (key, tuple(sorted(opts.mapping.items())), opts.source, kind, len(top))
        cached = st.session_state.get("up_report")
        if cached is not None and cached[0] == rkey:
            report = cached[1]
        else:
            with st.spinner(t("up.checking")):
                report = I.check(loaded, opts, store)
            st.session_state["up_report"] = (rkey, report)
    except GeoError as err:
        error = err
else:
    for k in ("up_loaded", "up_report", "up_mapping"):
        st.session_state.pop(k, None)

# ------------------------------------------------------------------------------ advanced choices
need = error.details.get("option") if error is not None else None
with st.expander(t("up.advanced"), expanded=need in ("encoding", "crs", "source_layer")):
    a1, a2 = st.columns(2)
    a1.selectbox(t("up.encoding"), ENCODINGS, key="up_enc",
                 format_func=lambda e: t("up.auto") if not e else e)
    if need == "encoding" and error.details.get("samples"):
        a1.caption("；".join(f"{k}：{v}" for k, v in error.details["samples"].items()))
    crs_opts = crs_choices()
    a2.selectbox(t("up.crs"), ["", *crs_opts, "other"], key="up_crs",
                 format_func=lambda c: t("up.auto") if not c else (t("up.crs_other") if c == "other" else crs_opts[c]))
    if st.session_state.get("up_crs") == "other":
        a2.text_input(t("up.crs_other"), key="up_crs_other", placeholder=t("up.crs_other_ph"))
    if need == "crs" and error.details.get("candidates"):
        a2.caption(" / ".join(crs_opts.get(c, c) for c in error.details["candidates"]))
    st.checkbox(t("up.gcj02"), key="up_gcj02")
    layer_choices = (error.details.get("choices") if need == "source_layer" else None) or \
        (loaded.choices if loaded is not None and len(loaded.choices) > 1 else None)
    if layer_choices:
        if st.session_state.get("up_src_layer") not in (None, *layer_choices):
            st.session_state["up_src_layer"] = None
        st.selectbox(t("up.source_layer"), [None, *layer_choices], key="up_src_layer",
                     format_func=lambda c: t("common.choose") if c is None else c)

if error is not None:
    show_error(error)
    if need in ("encoding", "crs", "source_layer"):
        st.info(t("up.choose_hint"))
    st.stop()
if report is None:
    b = store.batches()
    if len(b):
        st.subheader(t("up.recent"))
        recent = b.tail(10).iloc[::-1]
        st.dataframe(pd.DataFrame({
            "ID": recent["id"],
            t("up.col.batch"): recent["name"],
            t("up.col.layer"): recent["layer"].map(
                lambda k: (S.layer(k).zh if lang() == "zh" else S.layer(k).en) if k in S.LAYERS else k),
            t("up.col.source"): recent["source"],
            t("batch.purpose"): [official.label(p or official.default_purpose(src), lang())
                                 for p, src in zip(recent["purpose"], recent["source"])],
            t("up.col.count"): recent["feature_count"],
            t("up.col.by"): recent["uploaded_by"],
            t("up.col.at"): recent["uploaded_at"].map(fmt_local),
        }), hide_index=True, width="stretch")
    st.stop()

# ------------------------------------------------------------------------------ the report
c = report.counts
st.subheader(t("up.report"))
m = st.columns(6)
m[0].metric(t("up.read"), f"{c['read']:,}")
m[1].metric(t("up.to_store"), f"{c['to_store']:,}")
m[2].metric(t("up.repaired"), f"{c['repaired']:,}")
m[3].metric(t("up.rejected"), f"{c['rejected']:,}")
m[4].metric(t("up.duplicates"), f"{c['duplicates']:,}")
m[5].metric(t("up.flagged"), f"{c['flagged']:,}")
lo = report.loaded
st.caption(t("up.what", dataset=lo.dataset, enc=lo.encoding.gdal if lo.encoding else "UTF-8", crs=lo.crs.label))
for note in report.notes:
    st.info(note[0] if zh else note[1])
refusal = report.refusal()
if refusal is not None:
    show_error(refusal)

# field mapping: shown as suggested (schema aliases + what this source used last); edits are
# overrides, so the editor's own data stays the same between reruns
columns = [str(col) for col in lo.frame.columns]
profile = store.field_profile(opts.source, layer) if opts.source else None
base = I.suggest(columns, layer, (profile or {}).get("mapping"))
fields = I.mappable(layer)
extra_label = t("up.extra")
label_of = {f.name: f"{f.zh if zh else f.en}（{f.name}）" for f in fields}
name_of = {v: k for k, v in label_of.items()}
samples = []
for col in columns:
    vals = lo.frame[col].dropna()
    samples.append("" if vals.empty else str(vals.iloc[0])[:40])
with st.expander(t("up.mapping"), expanded=False):
    st.caption(t("up.mapping_help"))
    table = pd.DataFrame({t("up.col"): columns, t("up.sample"): samples,
                          t("up.field"): [label_of.get(base.get(col), extra_label) for col in columns]})
    edited = st.data_editor(
        table, key=f"up_map_editor_{layer}_{lo.sha256[:8]}_{hashlib.sha1(str(opts.source).encode()).hexdigest()[:6]}", hide_index=True, width="stretch",
        disabled=[t("up.col"), t("up.sample")],
        column_config={t("up.field"): st.column_config.SelectboxColumn(
            options=[extra_label, *label_of.values()], required=True)},
    )
    chosen = {col: name_of.get(v) for col, v in zip(edited[t("up.col")], edited[t("up.field")])}
    used = pd.Series([f for f in chosen.values() if f])
    twice = sorted(set(used[used.duplicated()]))
    if twice:
        st.error(("以下字段对应了多个列，请每个字段只选一列：" if zh else "Each field takes one column; chosen twice: ")
                 + "、".join(label_of[f] for f in twice))
    else:
        chosen_overrides = {col: f for col, f in chosen.items() if f != base.get(col)}
        if chosen_overrides != overrides:
            st.session_state["up_mapping"] = ((digest, layer), chosen_overrides)
            st.rerun()

# the map of what would be stored (capped; the store is untouched)
feats = report.features
if len(feats):
    st.subheader(t("up.map"))
    shown = feats if len(feats) <= MAP_CAP else feats.sample(MAP_CAP, random_state=0)
    bounds = tuple(float(v) for v in shown.total_bounds)
    zoom = fmap.fit_zoom(bounds, 1000, 460)
    center = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2)
    label_col = S.layer(layer).label_field if S.layer(layer).label_field in shown.columns else "number"
    shown = shown.assign(_s="issued", _label=shown[label_col].astype(object).where(shown[label_col].notna(), shown["number"]))
    if layer == "signboard":
        pts = [[round(g.y, 6), round(g.x, 6), str(lb), "ok"] for g, lb in zip(shown.geometry, shown["_label"])]
        groups = [fmap.point_layer(pts, lang())]
    else:
        props = {"id": "number", "n": "_label", "s": "_s"}
        if "area_ha" in shown.columns:
            props["a"] = "area_ha"
        fc = fmap.feature_collection(shown, props, min(zoom, 14))
        if layer == "change":
            groups = [fmap.change_layer(fc, lang())]
        elif layer == "patrol":
            groups = [fmap.line_layer(fc)]
        else:
            groups = [fmap.polygon_layer(fc, layer)]
    s = settings()
    base_map = fmap.base_map(center, zoom, s.basemap, s.tianditu_key, None, lang())
    st_folium(base_map, key="up_map", height=460, use_container_width=True,
              feature_group_to_add=fmap.finish(groups), returned_objects=[])
    if len(feats) > len(shown):
        st.caption(t("up.map_cap", n=len(feats), shown=len(shown)))

# every problem, downloadable
st.subheader(t("up.problems"))
problems = report.problem_table(lang())
if problems.empty:
    st.caption(t("up.no_problems"))
else:
    st.dataframe(problems, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(problems)))
    current = lang()
    st.download_button(t("up.download"), data=lambda: report.to_excel(current),  # built on click
                       file_name=f"{'问题清单' if zh else 'problems'}_{(name or lo.file_name)}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="up_download")

# one button stores it all
if not (name or "").strip():
    st.caption(t("up.name_needed"))
clicked = st.button(t("up.commit", n=f"{report.to_store:,}"), type="primary", key="up_commit",
                    disabled=report.to_store == 0 or not (name or "").strip())
if clicked:
    try:
        with st.spinner(t("up.checking")):
            bid = I.commit(report, store, actor=access.user, access=access, options=opts)
    except GeoError as err:
        show_error(err)
    else:
        st.session_state["up_done"] = {"id": bid, "name": name.strip(), "n": report.to_store}
        for k in ("up_loaded", "up_report", "up_mapping"):
            st.session_state.pop(k, None)
        st.session_state["up_nonce"] = nonce + 1  # a fresh, empty file picker
        st.rerun()
