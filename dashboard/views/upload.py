"""批次上传 — read and check a batch file, show every problem, then store it once.

The page only collects choices and renders; reading, checking and storing are
:func:`geo.ingest.load_for` / :func:`geo.ingest.check` / :func:`geo.ingest.commit`, the same code
as ``python -m geo ingest``, called through :mod:`dashboard.components.upload_check` so that any
file — however broken — ends in a refusal that names it, never in an error page. Nothing is
written until the commit button.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import fmap
from dashboard.components import upload_check as U
from dashboard.components.auth import current_access
from dashboard.components.common import lang, settings, show_error, store_or_stop, t
from dashboard.components.text import plain
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from geo import ingest as I
from geo.engine import official
from geo.core.timeutil import fmt_local
from geo.declare import registry as S
from geo.core.crs import crs_label
from geo.ingest.archive import Limits
from geo.core.timeutil import today_local

# patrol tracks have their own form (views/field.py, 巡护轨迹: patroller, level, period), not a batch's fields
LAYERS = ["change", "occupation", "restoration", "zone", "signboard"]
ENCODINGS = ["", "GB18030", "UTF-8", "BIG5", "SHIFT_JIS", "CP949", "CP1252"]
CRS_CODES = [4490, 4326, *range(4534, 4555), *range(4513, 4534), *range(4491, 4512), 4610, 4214]
MAP_CAP = 2000
MAP_W, MAP_H = 1000, 460
FILE_TYPES = ["zip", "shp", "shx", "dbf", "prj", "cpg", "gpkg", "geojson", "json", "kml", "kmz", "gpx"]

store = store_or_stop()
access = current_access()
cur_lang = lang()
zh = cur_lang == "zh"
st.title(t("up.title"))
st.caption(t("up.intro"))
if access is None or not access.can_upload:
    st.warning(t("up.no_permission"))
    st.stop()

done = st.session_state.pop("up_done", None)
if done:
    st.success(t("up.done", id=done["id"], name=plain(done["name"]), n=done["n"]) + " " + t("up.done_view"))


@st.cache_data(show_spinner=False)
def crs_choices(language: str) -> dict[str, str]:
    return {f"EPSG:{c}": crs_label(f"EPSG:{c}", language) for c in CRS_CODES}


@st.cache_data(show_spinner=False, max_entries=4)
def county_outlines(url: str) -> dict:
    frame = store.read_layer("admin", where={"level": "county"}, columns=["name"])
    return fmap.feature_collection(frame, {"n": "name"}, 9) if len(frame) else {}


def known_sources() -> list[str]:
    """The sources offered (those remembered first); none is pre-selected: the person chooses."""
    names = list(store.table("field_profiles")["source"].dropna().unique())
    b = store.batches()
    if len(b):
        names += [s for s in b["source"].dropna().unique() if s not in names]
    for default in ("国家森林督查", "草原变化图斑", "自治区", "盟市", "自动检测"):
        if default not in names:
            names.append(default)
    return [n for n in names if n != "巡护轨迹导入"]  # (the patrol form's own source)


def layer_name(key: str) -> str:
    return (S.layer(key).zh if zh else S.layer(key).en) if key in S.LAYERS else key


# ------------------------------------------------------------------------------ the batch
st.subheader(t("up.batch"))
c1, c2, c3 = st.columns([1, 1, 1])
layer = c1.selectbox(t("up.layer"), LAYERS, key="up_layer", format_func=layer_name, placeholder=t("common.choose"))
name = c2.text_input(t("up.name"), key="up_name", placeholder=t("up.name_ph"))
source = c3.selectbox(t("up.source"), known_sources(), index=None, key="up_source", accept_new_options=True,
                      help=t("up.source_help"), placeholder=t("up.source_ph"))
c1, c2, c3, c4 = st.columns(4)
kind = None
if layer == "change":
    kind = c1.radio(t("up.kind"), ["forest", "grassland"], key="up_kind", horizontal=True,
                    format_func=lambda k: S.label("kind", k, cur_lang))
# the bureau's date (geo.core.timeutil), not the server's: from midnight to 08:00 they differ
issued = c2.date_input(t("up.issued_on"), min_value=PICKER_MIN, max_value=PICKER_MAX, value=today_local(), key="up_issued", format="YYYY-MM-DD")
verify = c3.date_input(t("up.verify_deadline"), min_value=PICKER_MIN, max_value=PICKER_MAX, value=None, key="up_verify", help=t("up.deadline_help"),
                       format="YYYY-MM-DD")
rectify = c4.date_input(t("up.rectify_deadline"), min_value=PICKER_MIN, max_value=PICKER_MAX, value=None, key="up_rectify", help=t("up.deadline_help"),
                        format="YYYY-MM-DD")
# what the batch counts as: only official batches count in the figures and reports (geo.engine.official);
# chosen by the person, never assumed (a real batch left as a candidate is silently not counted)
p1, p2 = st.columns([1, 3])
purpose = p1.selectbox(
    t("batch.purpose"), list(official.PURPOSES), index=None, key="up_purpose", placeholder=t("common.choose"),
    format_func=lambda p: official.label(p, cur_lang), help=t("batch.purpose_help"))
if source and purpose and official.default_purpose(source) != purpose and purpose in ("official", "candidate"):
    p2.caption(t("up.purpose_hint_official" if purpose == "official" else "up.purpose_hint_counted"))

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
# mapping choices belong to one file and one target layer
edits = st.session_state.get("up_mapping")
overrides = edits[1] if edits and edits[0] == (digest, layer) else {}
opts = I.Options(layer=layer, batch=name, source=(source or "").strip() or None, kind=kind,
                 issued_on=issued, verify_deadline=verify, rectify_deadline=rectify, encoding=enc,
                 crs=crs or None, gcj02=gcj02, source_layer=src_layer, mapping=overrides, purpose=purpose)

checked = U.Checked()
if any(f.name.lower().endswith(".gpx") for f in files or []):
    st.info(t("up.gpx_elsewhere"))
    st.stop()
if files:
    checked = U.check([(f.name, f.getvalue()) for f in files], opts, store, limits, digest, st.session_state,
                      on_work=lambda: st.spinner(t("up.checking")))
else:
    U.forget(st.session_state)
    st.session_state.pop("up_mapping", None)
error, loaded, report = checked.error, checked.loaded, checked.report

# ------------------------------------------------------------------------------ advanced choices
need = error.details.get("option") if error is not None else None
with st.expander(t("up.advanced"), expanded=need in ("encoding", "crs", "source_layer")):
    a1, a2 = st.columns(2)
    a1.selectbox(t("up.encoding"), ENCODINGS, key="up_enc",
                 format_func=lambda e: t("up.auto") if not e else e, placeholder=t("common.choose"))
    if need == "encoding" and error.details.get("samples"):
        a1.caption(plain("；".join(f"{k}：{v}" for k, v in error.details["samples"].items())))  # (the file's text)
    crs_opts = crs_choices(cur_lang)
    a2.selectbox(t("up.crs"), ["", *crs_opts, "other"], key="up_crs", placeholder=t("common.choose"),
                 format_func=lambda c: t("up.auto") if not c else (t("up.crs_other") if c == "other" else crs_opts[c]))
    if st.session_state.get("up_crs") == "other":
        a2.text_input(t("up.crs_other"), key="up_crs_other", placeholder=t("up.crs_other_ph"))
    if need == "crs" and error.details.get("candidates"):
        a2.caption(plain(" / ".join(crs_opts.get(c) or crs_label(c, cur_lang) for c in error.details["candidates"])))
    st.checkbox(t("up.gcj02"), key="up_gcj02")
    layer_choices = (error.details.get("choices") if need == "source_layer" else None) or \
        (loaded.choices if loaded is not None and len(loaded.choices) > 1 else None)
    if layer_choices:
        if st.session_state.get("up_src_layer") not in (None, *layer_choices):
            st.session_state["up_src_layer"] = None
        st.selectbox(t("up.source_layer"), [None, *layer_choices], key="up_src_layer",
                     format_func=lambda c: t("common.choose") if c is None else c, placeholder=t("common.choose"))

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
            t("up.col.id"): recent["id"],
            t("up.col.batch"): recent["name"],
            t("up.col.layer"): recent["layer"].map(layer_name),
            t("up.col.source"): recent["source"],
            t("batch.purpose"): [official.label(p or official.default_purpose(src), lang())
                                 for p, src in zip(recent["purpose"], recent["source"])],
            t("up.col.count"): recent["feature_count"],
            t("up.col.by"): recent["uploaded_by"].map(lambda a: S.label("actor", a, cur_lang)),
            t("up.col.at"): recent["uploaded_at"].map(fmt_local),
        }), hide_index=True, width="stretch", placeholder="")
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
crs_shown = crs_label(lo.crs.source_crs, cur_lang) if lo.crs.source_crs else lo.crs.label
# the file's own names (data set, columns, values) as text: never Markdown
st.caption(t("up.what", dataset=plain(lo.dataset), enc=plain(lo.encoding.gdal if lo.encoding else "UTF-8"),
             crs=plain(crs_shown)))
for note in report.notes:
    st.info(plain(note[0] if zh else note[1]))
refusal = U.refusal(report)
if refusal is not None:
    show_error(refusal)

# field mapping: one select box per column of the file, pre-set as suggested (schema aliases +
# what this source used last); a choice that differs from the suggestion is an override
columns = [str(col) for col in lo.frame.columns]
profile = store.field_profile(opts.source, layer) if opts.source else None
base = I.suggest(columns, layer, (profile or {}).get("mapping"))
current = {**base, **overrides}
fields = I.mappable(layer)
choices = [None, *(f.name for f in fields)]
label_of = {f.name: (f.zh if zh else f"{f.en} ({f.name})") for f in fields}
with st.expander(t("up.mapping") + t("up.mapping_count", n=sum(1 for v in current.values() if v), total=len(columns)),
                 expanded=bool(overrides)):
    st.caption(t("up.mapping_help"))
    form_id = f"up_map_{layer}_{lo.sha256[:10]}_{hashlib.sha1(str(opts.source).encode()).hexdigest()[:6]}"
    with st.form(form_id, border=False):
        grid = st.columns(3)
        picked: dict[str, str | None] = {}
        for i, col in enumerate(columns):
            vals = lo.frame[col].dropna()
            sample = "" if vals.empty else str(vals.iloc[0])[:30]
            now = current.get(col)
            picked[col] = grid[i % 3].selectbox(
                plain(col), choices, index=choices.index(now) if now in choices else 0, key=f"{form_id}_{i}",
                format_func=lambda f: t("up.extra") if f is None else label_of[f],
                help=t("up.sample", v=plain(sample)) if sample else None, placeholder=t("common.choose"))
        applied = st.form_submit_button(t("up.mapping_apply"), type="secondary")
    if applied:
        used = pd.Series([f for f in picked.values() if f])
        twice = sorted(set(used[used.duplicated()]))
        if twice:
            st.error(t("up.mapping_twice", fields="、".join(label_of[f] for f in twice)))
        else:
            chosen = {col: f for col, f in picked.items() if f != base.get(col)}
            if chosen != overrides:
                st.session_state["up_mapping"] = ((digest, layer), chosen)
                st.rerun()

# the map of what would be stored (capped; the store is untouched), over the county outlines and
# the basemap, fitted to the batch
feats = report.features
if len(feats):
    st.subheader(t("up.map"))
    shown = feats if len(feats) <= MAP_CAP else feats.sample(MAP_CAP, random_state=0)
    minx, miny, maxx, maxy = (float(v) for v in shown.total_bounds)
    zoom = min(fmap.fit_zoom((minx, miny, maxx, maxy), MAP_W, MAP_H), 16)
    center = ((miny + maxy) / 2, (minx + maxx) / 2)
    label_col = S.layer(layer).label_field if S.layer(layer).label_field in shown.columns else "number"
    shown = shown.assign(_s="issued", _label=shown[label_col].astype(object).where(shown[label_col].notna(), shown["number"]))
    if layer == "signboard":
        pts = [[round(g.y, 6), round(g.x, 6), str(lb), "ok"] for g, lb in zip(shown.geometry, shown["_label"])]
        groups = [fmap.point_layer(pts, cur_lang)]
    else:
        props = {"id": "number", "n": "_label", "s": "_s"}
        if "area_ha" in shown.columns:
            props["a"] = "area_ha"
        fc = fmap.feature_collection(shown, props, min(zoom, 14))
        if layer == "change":
            groups = [fmap.change_layer(fc, cur_lang)]
        elif layer == "patrol":
            groups = [fmap.line_layer(fc)]
        else:
            groups = [fmap.polygon_layer(fc, layer)]
    s = settings()
    # the basemap the person picked on the map page (mapui keeps it in session state), else the default
    basemap = st.session_state.get("basemap") or s.basemap
    preview = fmap.base_map(center, zoom, basemap, s.tianditu_key, county_outlines(store.url) or None, cur_lang)
    if maxx > minx or maxy > miny:
        preview.fit_bounds([[miny, minx], [maxy, maxx]], padding=(24, 24), max_zoom=16)
    st_folium(preview, key=f"up_map_{lo.sha256[:10]}", height=MAP_H, use_container_width=True,
              feature_group_to_add=fmap.finish(groups), returned_objects=[])
    if len(feats) > len(shown):
        st.caption(t("up.map_cap", n=len(feats), shown=len(shown)))

# every problem, downloadable
st.subheader(t("up.problems"))
problems = report.problem_table(cur_lang)
if problems.empty:
    st.caption(t("up.no_problems"))
else:
    st.dataframe(problems, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(problems)),
                 placeholder="")
    st.download_button(t("up.download"), data=lambda: report.to_excel(cur_lang),  # built on click
                       file_name=f"{'问题清单' if zh else 'problems'}_{(name or lo.file_name)}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="up_download")

# one button stores it all, once the person has said what the batch is
undeclared = U.missing(opts)
if undeclared is not None:
    st.warning(undeclared.message(cur_lang), icon=":material/rule:")
# rows outside every county in an official batch: stored only when confirmed by their number
# (geo.ingest.check_outside), since the figures will not count them
accept_outside = None
outside_open = report.outside > 0 and undeclared is None and I.effective_purpose(opts) == "official"
if outside_open:
    n_out = report.outside
    st.warning(t("up.outside_warn", n=n_out), icon=":material/wrong_location:")
    if st.checkbox(t("up.outside_confirm", n=n_out), key=f"up_outside_{lo.sha256[:10]}_{n_out}"):
        accept_outside = n_out
if not (name or "").strip():
    st.caption(t("up.name_needed"))
clicked = st.button(t("up.commit", n=f"{report.to_store:,}"), type="primary", key="up_commit",
                    disabled=report.to_store == 0 or not (name or "").strip() or undeclared is not None
                    or (outside_open and accept_outside is None))
if clicked:
    with st.spinner(t("up.checking")):
        bid, err = U.commit(report, store, actor=access.user, access=access, opts=opts,
                            accept_outside=accept_outside)
    if err is not None:
        show_error(err)
    else:
        st.session_state["up_done"] = {"id": bid, "name": name.strip(), "n": report.to_store}
        U.forget(st.session_state)
        st.session_state.pop("up_mapping", None)
        st.session_state["up_nonce"] = nonce + 1  # a fresh, empty file picker
        st.rerun()
