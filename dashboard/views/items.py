"""整改事项 — the rectification items of the inspection feedback: problem, measures, who, by
when, how far, and the features each concerns."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.auth import current_access, current_user
from dashboard.components.common import label, lang, show_error, store_or_stop, t
from dashboard.components.feature_panel import flash, seen_version, set_seen
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from dashboard.components.text import plain
from geo.items import items as gitems
from geo.change.layers import VERDICTS
from geo.declare import registry as S
from geo.core.errors import ConflictError, GeoError
from geo.core.timeutil import fmt_local

store = store_or_stop()
user = current_user()
access = current_access()
zh = lang() == "zh"
can_edit = access is not None and access.role in gitems.EDIT_ROLES

st.title(t("items.title"))
flash()
frame = gitems.progress(store)
rows, item = [], None
if frame.empty:
    st.info(t("items.empty"))
else:
    wanted = [s for s in (st.query_params.get("status") or "").split(",") if s in gitems.ITEM_STATUSES]
    if "items_status" not in st.session_state:
        st.session_state["items_status"] = wanted
    pick = st.multiselect(t("map.status"), list(gitems.ITEM_STATUSES), key="items_status",
                          format_func=lambda s: label("status", s), placeholder=t("common.all"), select_all=False)
    if "items_late" not in st.session_state:
        st.session_state["items_late"] = st.query_params.get("overdue") == "1"
    only_late = st.toggle(t("map.overdue_only"), key="items_late")
    view = frame
    if pick:
        view = view[view["status"].isin(pick)]
    if only_late:
        view = view[view["overdue"]]
    c = st.columns(4)
    c[0].metric(t("items.total"), len(frame))
    c[1].metric(label("status", "done"), int((frame["status"] == "done").sum()))
    c[2].metric(label("status", "in_progress"), int((frame["status"] == "in_progress").sum()))
    c[3].metric(label("status", "long_term"), int((frame["status"] == "long_term").sum()))
    table = pd.DataFrame({
        t("items.code"): view["code"],
        t("items.problem"): view["problem"],
        t("items.unit"): view["unit"],
        t("items.leader"): view["leader"],
        t("items.deadline"): view["deadline"],
        t("map.status"): view["status"].map(lambda s: label("status", s)),
        t("items.progress"): view["progress_pct"],
        t("map.overdue"): view["overdue"],
        t("items.links"): view["links"],
    })
    event = st.dataframe(
        table, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
        key="items_table", placeholder="",
        column_config={t("items.progress"): st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f%%")},
    )
    rows = event.selection.rows if event else []
    if rows:
        item = view.iloc[rows[0]].to_dict()
        # the item's texts as typed (never Markdown)
        st.subheader(plain(f"{item['code'] or ''} {item['problem']}"), anchor=False)
        st.markdown(f"**{t('items.measures')}**")
        st.text(item["measures"] or "")
        st.markdown(f"**{t('items.note')}**：{plain(item['note']) or t('common.none')}")
        st.caption(f"{t('items.unit')}：{plain(item['unit'])} · {t('items.leader')}：{plain(item['leader'])} · "
                   f"{t('items.deadline')}：{plain(item['deadline'])} · v{item['version']}")
        links = store.item_links(int(item["id"]))
        if len(links):
            counts = links.groupby("layer").size()
            st.write("，".join(f"{S.layer(k).zh if zh else S.layer(k).en} {v}" for k, v in counts.items()))
            change_ids = links[links["layer"] == "change"]["feature_id"].astype(int).tolist()
            if change_ids:
                st.caption(t("items.open_on_map") + "：" + " ".join(f"[#{i}](/?id={i})" for i in change_ids[:30]))
        hist = store.events("item", int(item["id"]))
        if len(hist):
            st.dataframe(pd.DataFrame({
                t("history.at"): hist["at"].map(fmt_local), t("history.actor"): hist["actor"],
                t("history.action"): hist["action"].map(lambda a: label("action", a)),
                t("history.to"): hist["to_status"].map(lambda s: label("status", s) if s else ""),
                t("history.comment"): hist["comment"].fillna(""),
            }), hide_index=True, width="stretch", placeholder="")
        if can_edit:
            iid = int(item["id"])
            seen = seen_version("item", item)  # the version this person opened: a change since is a conflict
            if seen != int(item["version"]):
                st.warning(t("forms.changed", seen=seen, now=item["version"]))
                st.button(t("forms.refresh"), key=f"item-refresh-{iid}",
                          on_click=lambda: set_seen("item", iid, int(item["version"])))
            pct = gitems.reason_needed(store, iid)
            if pct is not None and item["status"] != "done":
                st.caption(t("forms.reason_needed", pct=f"{pct:g}", done=label("status", "done")))
            with st.form(f"item-{iid}"):
                options = [tr for tr in gitems.ITEM_MACHINE if item["status"] in tr.src]
                choice = st.selectbox(t("act.choose"), [None] + options,
                                      format_func=lambda tr: t("items.keep") if tr is None else
                                      f"{tr.zh if zh else tr.en}（→ {label('status', tr.dst)}）")
                note = st.text_area(t("items.note"), value=item["note"] or "")
                manual = st.number_input(t("items.manual"),
                                         value=float(item["manual_progress"]) if pd.notna(item["manual_progress"]) else None)
                comment = st.text_input(t("act.comment"))
                if st.form_submit_button(t("act.submit"), type="primary"):
                    try:
                        version = seen
                        changes = {}
                        if (note or None) != (item["note"] or None):
                            changes["note"] = note or None
                        if manual is not None and manual != item["manual_progress"]:
                            changes["manual_progress"] = manual
                        # done without a reason first: refused (below 100%) before anything else is written
                        first = choice is not None and choice.dst == "done" and not (comment or "").strip()
                        if first:
                            version = gitems.transition(store, iid, choice.dst, actor=user["name"], version=version,
                                                        comment=comment)
                        if changes:
                            version = gitems.edit(store, iid, actor=user["name"], version=version,
                                                  fields=changes, comment=comment or None)
                        if choice is not None and not first:
                            version = gitems.transition(store, iid, choice.dst, actor=user["name"],
                                                        version=version, comment=comment)
                        set_seen("item", iid, version)
                        st.session_state["flash"] = ("success", t("items.saved"))
                        st.rerun()
                    except ConflictError as err:
                        set_seen("item", iid, int(err.details.get("current_version") or item["version"]))
                        show_error(err)
                    except GeoError as err:
                        show_error(err)

if can_edit and item is not None:
    with st.expander("按条件关联要素（保存为查询）" if zh else "Link features by a saved query"):
        st.caption("例如：某批次突泉县的全部违法图斑。以后到达的图斑可用“重新应用查询”补充关联。" if zh else
                   "e.g. all illegal polygons of a batch in one county; apply it again later for new arrivals.")
        with st.form(f"item-query-{item['id']}"):
            bmap = store.batches("change")
            bnames = dict(zip(bmap["id"].astype(int), bmap["name"])) if len(bmap) else {}
            cunits = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
            cnames = dict(zip(cunits["code"], cunits["name"]))
            q1, q2, q3 = st.columns(3)
            qb = q1.multiselect(t("map.batch"), list(bnames), format_func=bnames.get, select_all=False,
                                placeholder=t("sum.all"))
            qc = q2.multiselect(t("map.county"), list(cnames), format_func=cnames.get, select_all=False,
                                placeholder=t("sum.all"))
            qv = q3.multiselect(t("map.verdict"), list(VERDICTS), format_func=lambda v: label("verdict", v),
                                select_all=False, placeholder=t("sum.all"))
            if st.form_submit_button("关联" if zh else "Link", type="primary"):
                try:
                    n = gitems.link_query(store, int(item["id"]), "change",
                                          {"batch_id": qb, "county_code": qc, "verdict": qv},
                                          actor=user["name"], access=access)
                    st.session_state["flash"] = ("success", ("已关联 {n} 个图斑" if zh else "{n} polygons linked").format(n=n))
                    st.rerun()
                except GeoError as err:
                    show_error(err)

if can_edit:
    with st.expander("导入问题清单（Excel/CSV）" if zh else "Import a problem list (Excel/CSV)"):
        up = st.file_uploader("选择文件" if zh else "Choose a file", type=["xlsx", "csv"], key="items_file")
        if up is not None:
            import tempfile
            from pathlib import Path

            path = Path(tempfile.mkdtemp()) / up.name
            path.write_bytes(up.getvalue())
            try:
                frame_in, mapping = gitems.read_list(path)
            except GeoError as err:
                show_error(err)
            else:
                st.caption(("识别到 {n} 行；请确认每一列对应的字段。" if zh else "{n} rows; check what each column holds.")
                           .format(n=len(frame_in)))
                fields = [None, *gitems.ITEM_COLUMNS]
                chosen = {}
                for col in frame_in.columns:
                    chosen[col] = st.selectbox(plain(col), fields, index=fields.index(mapping.get(col)),
                                               key=f"items_map_{col}",
                                               format_func=lambda f: ("（不导入）" if zh else "(skip)") if f is None
                                               else gitems.ITEM_LABELS[f][0 if zh else 1])
                if st.button("导入" if zh else "Import", type="primary", key="items_import"):
                    try:
                        res = gitems.import_list(store, path, actor=user["name"], access=access, overrides=chosen)
                        st.session_state["flash"] = ("success", ("已导入 {n} 条整改事项" if zh else "{n} items imported")
                                                     .format(n=res["stored"]))
                        st.rerun()
                    except GeoError as err:
                        show_error(err)

if can_edit:
    with st.expander(t("items.add")):
        with st.form("item-add", clear_on_submit=True):
            code = st.text_input(t("items.code"))
            problem = st.text_area(t("items.problem") + " *")
            measures = st.text_area(t("items.measures"))
            c1, c2, c3 = st.columns(3)
            leader = c1.text_input(t("items.leader"))
            unit = c2.text_input(t("items.unit"))
            deadline = c3.date_input(t("items.deadline"), value=None, format="YYYY-MM-DD", min_value=PICKER_MIN,
                                     max_value=PICKER_MAX)
            if st.form_submit_button(t("items.add"), type="primary"):
                try:
                    gitems.add(store, actor=user["name"], code=code or None, problem=problem, measures=measures or None,
                               leader=leader or None, unit=unit or None,
                               deadline=deadline.isoformat() if deadline else None)
                    st.session_state["flash"] = ("success", t("items.saved"))
                    st.rerun()
                except GeoError as err:
                    show_error(err)
