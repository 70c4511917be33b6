"""The page of any register (geo.declare.registry): its table, map, a record's details and history,
the actions its declaration allows, adding and importing records, and export. Special pages
(map review, summary, upload) stay their own; everything here is driven by the declaration."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.components import records as R
from dashboard.components.auth import current_access, current_user
from dashboard.components.common import lang, settings, store_or_stop, t
from dashboard.components.feature_panel import seen_version, set_seen
from dashboard.components.text import plain
from dashboard.components.words import setting_note
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from geo.report import export as gexport
from geo.declare import registry as S
from geo.engine import workflow
from geo.core.errors import GeoError, NotFoundError, PermissionDenied
from geo.declare.registry import rules_of
from geo.engine import display
from geo.engine import records
from geo.engine import search
from geo.engine import figures as rfig
from geo.engine.operations import operate
from geo.engine.asof import token
from geo.core.timeutil import today_local


def render(key: str) -> None:
    store = store_or_stop()
    user = current_user()
    access = current_access()
    lyr = S.layer(key)
    zh = lang() == "zh"
    can_write = access is not None and access.can_write_layer(key)
    st.title(lyr.label(lang()))
    R.flash()

    # ---------------------------------------------------------------- filters
    with st.sidebar:
        st.subheader("筛选" if zh else "Filters")
        statuses = st.multiselect("状态" if zh else "Status", list(lyr.statuses), key=f"{key}_f_status", select_all=False,
                                  format_func=lambda s: S.label("status", s, lang(), layer=key),
                                  placeholder="全部" if zh else "All")
        text = st.text_input("关键字" if zh else "Search", key=f"{key}_f_text")
        late_only = st.checkbox("只看逾期" if zh else "Overdue only", key=f"{key}_f_late") if lyr.deadline else False
    where = {"status": statuses} if statuses else None
    frame = store.read_layer(key, where=where, geometry=lyr.spatial)
    if lyr.deadline is not None:  # the declared deadline rule: due date and overdue, as the figures count
        frame = frame.assign(_due=rfig.due(lyr, frame, settings()),
                             _late=rfig.overdue(lyr, frame, today_local(), settings()))
        if late_only:
            frame = frame[frame["_late"].to_numpy(dtype=bool)]
    if text:  # every word, in any value as stored or as read (a status's label)
        frame = frame[search.matches(lyr, frame, text, lang())]
    rules = rules_of(lyr)
    q_id = st.query_params.get("id")
    if q_id and str(q_id).isdigit() and st.session_state.get(f"{key}_qid") != q_id:
        st.session_state[f"{key}_qid"] = q_id
        st.session_state[f"{key}_sel"] = int(q_id)

    counts = rfig.status_counts(store, lyr, frame)  # (as the register's rules count them: a stale board)
    cols = st.columns(min(6, len(lyr.statuses) + 1))
    cols[0].metric("记录" if zh else "Records", f"{len(frame):,}")
    for c, s in zip(cols[1:], lyr.statuses):
        c.metric(S.label("status", s, lang(), layer=key), f"{int(counts.get(s, 0)):,}")
    rules = rules_of(lyr)
    if rules is not None and hasattr(rules, "overview"):  # the register's own summary tables
        for caption, table in _hook(store, key, "overview", frame, access):
            st.caption(plain(caption))
            st.dataframe(table, hide_index=True, width="stretch", placeholder="")
        setting_note(lyr)  # where its deadline is set: administrators only
    if rules is not None and hasattr(rules, "panels"):  # its panels (figures, maps, lists) above the list
        try:
            R.overview(rules.panels(store, {"lang": lang(), "access": access, "settings": settings(),
                                            "today": R.today()}), key)
        except GeoError as err:
            st.warning(plain(err.message(lang())))

    left, right = st.columns([3, 2], gap="medium")
    with left:
        tabs = st.tabs(["列表" if zh else "List", *(["地图" if zh else "Map"] if lyr.spatial else [])])
        with tabs[0]:
            view = display.table(lyr, frame, lang())
            if "_due" in frame:
                view["到期日" if zh else "Due"] = [d or "" for d in frame["_due"].tolist()]
                view["逾期" if zh else "Overdue"] = [("逾期" if zh else "overdue") if v else "" for v in frame["_late"]]
            ev = st.dataframe(view, hide_index=True, width="stretch", height=380, on_select="rerun",
                              selection_mode="single-row", key=f"{key}_table", placeholder="")
            rows = (ev or {}).get("selection", {}).get("rows", []) if ev else []
            if rows:
                picked = int(view.iloc[rows[0]]["ID"])
                if picked != st.session_state.get(f"{key}_pick"):
                    st.session_state[f"{key}_pick"] = picked
                    st.session_state[f"{key}_sel"] = picked
        if lyr.spatial:
            with tabs[1]:
                overlays = _hook(store, key, "map_layers", frame, access) \
                    if rules is not None and hasattr(rules, "map_layers") else []
                clicked = R.records_map(lyr, frame, st.session_state.get(f"{key}_sel"), key=f"{key}_map",
                                        overlays=overlays, outlines=_outlines(store, token(store)))
                if clicked is not None and clicked != st.session_state.get(f"{key}_click"):
                    st.session_state[f"{key}_click"] = clicked
                    st.session_state[f"{key}_sel"] = int(clicked)
                    st.rerun()

    with right:
        sel = st.session_state.get(f"{key}_sel")
        record = None
        if sel is not None:
            try:
                record = store.get_feature(key, int(sel))
            except (NotFoundError, PermissionDenied) as err:
                st.warning(plain(err.message(lang())))
                st.session_state.pop(f"{key}_sel", None)
        if record is None:
            st.info("在列表或地图中选择一条记录查看详情。" if zh else "Pick a record in the list or on the map.")
        else:
            _record_panel(store, lyr, record, user, access, can_write)

    rules = rules_of(lyr)
    if rules is not None and hasattr(rules, "period_overview"):  # figures over a chosen period
        _overview(store, lyr, rules)
    if can_write:
        _add_and_import(store, lyr, user, access)
    _export(store, lyr, frame)


@st.cache_data(show_spinner=False, ttl=300, max_entries=16)
def _overview_items(url: str, scope_key: str, key: str, start, end, lang_: str):
    from dashboard.components.common import store_or_stop as _s

    return rules_of(S.layer(key)).period_overview(_s(), start, end, lang_)


def _overview(store, lyr, rules) -> None:
    import datetime as dt

    from dashboard.components.auth import current_access as _acc

    zh = lang() == "zh"
    st.subheader("统计与覆盖" if zh else "Overview")
    today = R.today()
    period = st.date_input("统计期间" if zh else "Period", min_value=PICKER_MIN, max_value=PICKER_MAX, value=(today - dt.timedelta(days=365), today),
                           key=f"{lyr.key}_period", format="YYYY-MM-DD")
    if not isinstance(period, (list, tuple)) or len(period) != 2:
        st.caption("请选择起止日期" if zh else "Pick a start and an end date")
        return
    acc = _acc()
    with st.spinner("正在计算…" if zh else "Computing…"):
        items = _overview_items(store.url, acc.key if acc else "-", lyr.key, period[0], period[1], lang())
    for item in items:
        st.caption(plain(item["title"]))
        if item["kind"] == "table":
            st.dataframe(item["frame"], hide_index=True, width="stretch", placeholder="")
        elif item["kind"] == "map":
            R.share_map(item["frame"], item["value"], key=f"{lyr.key}_ov_map")


def _hook(store, key: str, name: str, frame, access):
    """A register's page hook (``overview``, ``map_layers``), computed once per state of the data,
    the user's counties, the language and the records listed."""
    cols = [c for c in ("id", "version", "status") if c in frame]
    sig = int(pd.util.hash_pandas_object(frame[cols], index=False).sum()) if len(frame) else 0
    scope = None if access is None or access.counties is None else tuple(sorted(access.counties))
    return _cached_hook(key, name, token(store), scope, lang(), sig, store, frame)


@st.cache_data(show_spinner=False, max_entries=32, ttl=600)
def _cached_hook(key, name, tok, scope, lang_, sig, _store, _frame):
    return getattr(rules_of(S.layer(key)), name)(_store, _frame, lang_)


@st.cache_data(show_spinner=False, max_entries=8)
def _outlines(_store, tok: str) -> dict:
    from dashboard.components import fmap

    frame = _store.read_layer("admin", where={"level": "county"}, columns=["name"])
    return fmap.feature_collection(frame, {"n": "name"}, 9) if len(frame) else None


def _record_panel(store, lyr, record, user, access, can_write) -> None:
    zh = lang() == "zh"
    key = lyr.key
    title = record.get(lyr.label_field) if lyr.has(lyr.label_field) else None
    # the record's values (and what its rules say of it) as typed: text, never Markdown
    # (a long text is the heading's first 40 characters: the whole of it is in 详情)
    if isinstance(title, str) and len(title) > 40:
        title = title[:40] + "…"
    st.subheader(plain(title) or f"#{record['id']}", anchor=False)
    st.caption(f"{plain(S.label('status', record.get('status'), lang(), layer=lyr.key))} · v{record.get('version')}")
    # keyed: after an action the page reruns (its outcome shows at the top) with the same tab open
    tabs = st.tabs(["详情" if zh else "Details", "办理" if zh else "Actions", "历史" if zh else "History"],
                   key=f"{lyr.key}_record_tabs", on_change="rerun")
    with tabs[0]:
        R.details(lyr, record, store)
        rules = rules_of(lyr)
        if rules is not None and hasattr(rules, "details"):
            for caption, table in rules.details(store, record, lang()):
                st.caption(plain(caption))
                st.dataframe(table, hide_index=True, width="stretch", placeholder="")
        if rules is not None and hasattr(rules, "images"):
            base = str(getattr(st.context, "url", "") or "")
            base = base.split("/", 3)[:3] if "://" in base else []
            for caption, png in rules.images(store, record, lang(), "/".join(base)):
                st.image(png, caption=plain(caption), width=200)
    with tabs[1]:
        if not can_write:
            st.caption("当前角色只能查看。" if zh else "Your role can only view.")
        else:
            _actions(store, lyr, record, user, access)
    with tabs[2]:
        R.history(lyr, store.history(key, int(record["id"])))


def _actions(store, lyr, record, user, access) -> None:
    zh = lang() == "zh"
    key, fid = lyr.key, int(record["id"])
    version = seen_version(key, record)  # the version this person opened: a change since is a conflict
    if version != int(record["version"]):
        st.warning(t("forms.changed", seen=version, now=record["version"]))
        st.button(t("forms.refresh"), key=f"{key}_{fid}_refresh",
                  on_click=lambda: set_seen(key, fid, int(record["version"])))
    moves = [t for t in workflow.machine(key) if record["status"] in t.src] if lyr.transitions else []
    if moves:
        names = {i: t.zh if zh else t.en for i, t in enumerate(moves)}
        pick = st.selectbox("流程操作" if zh else "Workflow step", list(names), format_func=names.get,
                            key=f"{key}_{fid}_move")
        t = moves[pick]
        with st.form(f"{key}_{fid}_form_{pick}"):
            values = {name: R.field_input(store, replace(lyr.field(name), required=name in t.requires),
                                          f"{key}_{fid}_{pick}_{name}", record.get(name))
                      for name in (*t.requires, *t.optional)}
            comment = st.text_area("说明" + ("（必填）" if t.comment else "") if zh else "Comment", key=f"{key}_{fid}_c{pick}")
            files = st.file_uploader("证据材料（照片或 PDF）" if zh else "Evidence (photos or PDF)", accept_multiple_files=True,
                                     key=f"{key}_{fid}_f{pick}") if t.evidence else []
            if st.form_submit_button(t.zh if zh else t.en, type="primary"):
                R.run_safely(lambda: workflow.transition(
                        store, key, fid, t.dst, actor=user["name"], version=version, comment=comment,
                        fields=R.clean(values), attachments=[(f.name, f.getvalue()) for f in files or []], access=access),
                        "已办理" if zh else "Done")
                _seen_now(store, key, fid)
                st.rerun()  # (the outcome shows at the top of the page, not in a closing form)
    for op in lyr.operations:
        if op.statuses and record["status"] not in op.statuses:
            continue
        with st.expander(op.zh if zh else op.en):
            with st.form(f"{key}_{fid}_op_{op.key}"):
                values = {f.name: R.field_input(store, f, f"{key}_{fid}_{op.key}_{f.name}") for f in op.fields}
                place = R.place_inputs(f"{key}_{fid}_{op.key}_pt") if op.geometry else None
                comment = st.text_input("说明" if zh else "Comment", key=f"{key}_{fid}_{op.key}_c")
                files = st.file_uploader("材料" if zh else "Files", accept_multiple_files=True,
                                         key=f"{key}_{fid}_{op.key}_files") if op.evidence else []
                if st.form_submit_button(op.zh if zh else op.en, type="primary"):
                    R.run_safely(lambda: operate(store, key, fid, op.key, R.clean(values), actor=user["name"],
                                                    access=access, comment=comment or None, geometry=place,
                                                    attachments=[(f.name, f.getvalue()) for f in files or []],
                                                    version=version),
                                    "已办理" if zh else "Done")
                    _seen_now(store, key, fid)
                    st.rerun()  # (the outcome shows at the top of the page, not in a closing form)
    with st.expander("修改信息" if zh else "Edit"):
        with st.form(f"{key}_{fid}_edit"):
            editable = [f for f in lyr.fields if not f.internal and f.name not in ("county_code",)]
            values = {f.name: R.field_input(store, f, f"{key}_{fid}_e_{f.name}", record.get(f.name)) for f in editable}
            if st.form_submit_button("保存" if zh else "Save"):
                changed = {k: v for k, v in R.clean(values).items() if str(v) != str(record.get(k) or "")}
                R.run_safely(lambda: workflow.edit(store, key, fid, actor=user["name"], fields=changed,
                                                      version=version, access=access), "已保存" if zh else "Saved")
                _seen_now(store, key, fid)
                st.rerun()  # (the outcome shows at the top of the page, not in a closing form)


def _seen_now(store, key: str, fid: int) -> None:
    """After a submit (done, or refused as stale — the message says who changed it and when) the
    form goes on from the record as it now is."""
    try:
        set_seen(key, fid, int(store.get_feature(key, fid)["version"]))
    except GeoError:
        pass


def _add_and_import(store, lyr, user, access) -> None:
    zh = lang() == "zh"
    key = lyr.key
    with st.expander(("新增" if zh else "Add ") + lyr.label(lang())):
        with st.form(f"{key}_add"):
            fields = [f for f in lyr.fields if not f.internal and f.name not in ("county_code", "county", "township")]
            values = {f.name: R.field_input(store, f, f"{key}_add_{f.name}") for f in fields}
            county = None
            if not lyr.spatial and lyr.has("county_code"):
                units = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
                names = {c: n for c, n in zip(units["code"], units["name"])
                         if access is None or access.counties is None or c in access.counties}
                county = st.selectbox("旗县" if zh else "County", [None, *names], key=f"{key}_add_county",
                                      format_func=lambda c: ("全盟" if zh else "Whole league") if c is None else names[c])
            place = R.place_inputs(f"{key}_add_pt") if lyr.geometry in ("POINT", "GEOMETRY") else None
            files = st.file_uploader("照片/材料" if zh else "Photos/files", accept_multiple_files=True, key=f"{key}_add_files")
            if st.form_submit_button("新增" if zh else "Add", type="primary"):
                vals = R.clean(values)
                if county:
                    vals["county_code"], vals["county"] = county, names[county]
                R.run_safely(lambda: records.add(store, key, vals, geometry=place, actor=user["name"], access=access,
                                                    attachments=[(f.name, f.getvalue()) for f in files or []]),
                                "已新增" if zh else "Added")
                st.rerun()  # (the outcome shows at the top of the page, not in a closing form)
    with st.expander("从表格导入（Excel/CSV）" if zh else "Import a list (Excel/CSV)"):
        up = st.file_uploader("选择文件" if zh else "Choose a file", type=["xlsx", "xls", "csv"], key=f"{key}_table_file")
        if up is not None:
            from geo.ingest import tables

            try:
                path = Path(tempfile.mkdtemp()) / up.name
                path.write_bytes(up.getvalue())
                preview = tables.read(path, key)
            except GeoError as err:
                st.error(plain(err.message(lang())))
                return
            st.caption(("识别到 {n} 行；字段对应如下，可调整。" if zh else "{n} rows; the field mapping below can be changed.")
                       .format(n=len(preview.frame)))
            overrides = {}
            options = [None, *[f.name for f in lyr.fields if not f.internal]]
            for col, fld in preview.mapping.items():
                choice = st.selectbox(plain(col), options, index=options.index(fld) if fld in options else 0,
                                      key=f"{key}_map_{col}",
                                      format_func=lambda n: "（不导入，保存在其他属性）" if n is None and zh
                                      else ("(kept in other attributes)" if n is None else lyr.field(n).label(lang())))
                overrides[col] = choice
            if st.button("导入" if zh else "Import", type="primary", key=f"{key}_table_go"):
                R.run_safely(lambda: tables.import_file(store, key, path, actor=user["name"], access=access,
                                                         overrides={c: f for c, f in overrides.items() if f}),
                             "已导入" if zh else "Imported")
                st.rerun()


def _export(store, lyr, frame) -> None:
    zh = lang() == "zh"
    with st.expander("导出" if zh else "Export"):
        formats = ["xlsx", "geojson", "kml", "gpkg"] if lyr.spatial else ["xlsx"]
        fmt = st.radio("格式" if zh else "Format", formats, horizontal=True, key=f"{lyr.key}_exp_fmt")
        if st.button("生成文件" if zh else "Make the file", key=f"{lyr.key}_exp_go", disabled=frame.empty):
            try:
                sel_layer, sel = gexport.selection(store, lyr.key, ids=frame["id"].astype(int).tolist())
                out = Path(tempfile.mkdtemp()) / gexport.file_name(
                    sel_layer, fmt, scope=gexport.scope_label(store, sel, lang()), lang=lang())
                gexport.write(sel, sel_layer, fmt, out, lang())
                st.download_button("下载" if zh else "Download", out.read_bytes(), file_name=out.name,
                                   key=f"{lyr.key}_exp_dl")
            except GeoError as err:
                st.error(plain(err.message(lang())))
