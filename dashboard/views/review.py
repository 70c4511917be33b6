"""销号审核 — the league reviewer's (and province spot-checker's) queue.

The polygons the counties applied to close, on a map and in a list, filtered by county, closure
category (the cause's rule) and age; a spot-check sample drawn per county from a recorded seed
(and redrawn to verify it); a check recorded for each sampled polygon; the rest approved in bulk;
anything wrong sent back with its reason. Everything is done by :mod:`geo.change.review` (which checks
the user's role and counties); this page renders and calls it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.components import feature_panel as fp
from dashboard.components import fmap
from dashboard.components.auth import current_access, current_user
from dashboard.components.common import label, lang, settings, show_error, store_or_stop, t
from dashboard.components.review_summary import queue_layer, review_section
from dashboard.components.text import plain
from geo.change import closure
from geo.change import review
from geo.declare import registry as S
from geo.core.errors import ConflictError, GeoError, NotFoundError, PermissionDenied
from geo.change.review_figures import figures
from geo.core.timeutil import fmt_local

store = store_or_stop()
user = current_user()
access = current_access()
zh = lang() == "zh"

st.title(t("rv.title"))
levels = review.levels_for(access)
if not levels:
    st.info(t("rv.no_role"))
    st.stop()
fp.flash()
q_id = st.query_params.get("id")  # /review?id=N opens that polygon (links from lists and documents)
if q_id and str(q_id).isdigit() and st.session_state.get("rv_qid") != q_id:
    st.session_state["rv_qid"] = q_id
    st.session_state["rv_sel"] = int(q_id)


def _level_name(lv: str) -> str:
    return review.LEVEL_LABEL[lv][0 if zh else 1]


# ------------------------------------------------------------------------------ filters
counties = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
county_names = dict(zip(counties["code"], counties["name"]))
if access is not None and access.counties is not None:
    county_names = {c: n for c, n in county_names.items() if c in access.counties}
rules = {}
for table in closure.tables().values():
    for r in table.rules:
        rules.setdefault(r.key, r.zh if zh else r.en)
with st.sidebar:
    st.subheader(t("rv.filters"))
    level = st.radio(t("rv.level"), levels, format_func=_level_name, key="rv_level") if len(levels) > 1 else levels[0]
    f_county = st.multiselect(t("map.county"), list(county_names), format_func=lambda c: county_names[c],
                              key="rv_county", placeholder=t("common.choose"), select_all=False)
    f_cause = st.multiselect(t("rv.cause"), list(rules), format_func=lambda k: rules[k], key="rv_cause",
                             placeholder=t("common.choose"), select_all=False)
    f_age = st.number_input(t("rv.min_age"), min_value=0, value=0, step=1, key="rv_age")
    f_show = st.radio(t("rv.show"), ["all", "todo", "resubmitted"], key="rv_show",
                      format_func=lambda k: t(f"rv.show_{k}"))

queue = review.queue(store, level, access=access, counties=f_county or None, causes=f_cause or None,
                     min_age_days=int(f_age) or None, geometry=True)
if f_show == "todo":
    queue = queue[queue["sampled"].astype(bool) & queue["check_result"].isna()].reset_index(drop=True)
elif f_show == "resubmitted":
    queue = queue[queue["resubmitted"].astype(bool)].reset_index(drop=True)

m = st.columns(5)
m[0].metric(t("rv.awaiting", level=_level_name(level)), len(queue))
m[1].metric(t("rv.sampled"), int(queue["sampled"].astype(bool).sum()) if len(queue) else 0)
m[2].metric(t("rv.checked"), int((queue["sampled"].astype(bool) & queue["check_result"].notna()).sum()) if len(queue) else 0)
m[3].metric(t("rv.resubmitted"), int(queue["resubmitted"].astype(bool).sum()) if len(queue) else 0)
m[4].metric(t("rv.oldest"), f"{int(pd.to_numeric(queue['age_days']).max())}" if len(queue) else "—")


def _sample_text(row) -> str:
    if row.get("draw_no") is None or pd.isna(row.get("draw_no")):
        return t("rv.not_drawn")
    if not row.get("sampled"):
        return t("rv.not_sampled", no=int(row["draw_no"]))
    if row.get("check_result") in ("pass", "fail"):
        return t("rv.checked_as", no=int(row["draw_no"]), result=label("check_result", row["check_result"]))
    return t("rv.sampled_todo", no=int(row["draw_no"]))


left, right = st.columns([3, 2], gap="medium")
with left:
    tabs = st.tabs([t("rv.tab_list"), t("rv.tab_map"), t("rv.tab_draws"), t("rv.tab_rules")])
    with tabs[0]:
        if queue.empty:
            st.caption(t("rv.empty"))
        else:
            view = pd.DataFrame({
                "ID": queue["id"].astype(int),
                t("rv.col_no"): queue["polygon_no"],
                t("map.county"): queue["county"],
                t("rv.col_rule"): queue["rule_zh"] if zh else queue["rule"].map(rules),
                t("rv.col_round"): [t("rv.round", n=int(r or 1)) for r in queue["review_round"]],
                t("rv.col_age"): queue["age_days"],
                t("rv.col_sample"): [_sample_text(r) for r in queue.to_dict("records")],
                t("rv.col_reason"): queue["returned_reason"].fillna(""),
            })
            ev = st.dataframe(view, hide_index=True, width="stretch", height=360, on_select="rerun",
                              selection_mode="single-row", key="rv_table", placeholder="")
            rows = (ev or {}).get("selection", {}).get("rows", []) if ev else []
            if rows:
                picked = int(view.iloc[rows[0]]["ID"])
                if picked != st.session_state.get("rv_pick"):
                    st.session_state["rv_pick"] = picked
                    st.session_state["rv_sel"] = picked
                    st.rerun()
    with tabs[1]:
        shapes = queue[queue.geometry.notna() & ~queue.geometry.is_empty] if len(queue) else queue
        if shapes.empty:
            st.caption(t("rv.empty"))
        else:
            minx, miny, maxx, maxy = shapes.total_bounds
            zoom = min(13, fmap.fit_zoom((minx, miny, maxx, maxy), 640, 460))
            from dashboard.components import basemaps

            bm = basemaps.for_user(store, (current_user() or {}).get("name", ""), settings())  # as on the map page
            base = fmap.base_map(((miny + maxy) / 2, (minx + maxx) / 2), zoom, lang=lang(), bm=bm)
            shapes = shapes.assign(
                _state=["checked" if r.get("check_result") in ("pass", "fail") else "sampled" if r.get("sampled")
                        else "drawn" if r.get("draw_no") is not None and not pd.isna(r.get("draw_no")) else "new"
                        for r in shapes.to_dict("records")],
                _label=[f"{n}（{c}）" for n, c in zip(shapes["polygon_no"], shapes["county"])])
            fc = fmap.feature_collection(shapes, {"id": "id", "n": "_label", "k": "_state"}, max(zoom, 10),
                                         min_px=fmap.MARKER_PX,  # too small to see: a dot
                                         selected=st.session_state.get("rv_sel"))
            group = queue_layer(fc)
            out = st_folium(base, key="rv_map", height=460, use_container_width=True,
                            feature_group_to_add=[group], returned_objects=["last_active_drawing"])
            st.caption(t("rv.map_legend"))
            props = ((out or {}).get("last_active_drawing") or {}).get("properties") or {}
            if props.get("id") is not None and props.get("id") != st.session_state.get("rv_click"):
                st.session_state["rv_click"] = props["id"]
                st.session_state["rv_sel"] = int(props["id"])
                st.rerun()
    with tabs[2]:
        st.caption(t("rv.draw_help", share=f"{closure.review_settings().share(level)[0]:.0%}",
                     n=closure.review_settings().share(level)[1]))
        waiting = review.queue(store, level, access=access)
        todo = waiting[waiting["draw_no"].isna()] if len(waiting) else waiting
        by = todo.groupby("county_code").size() if len(todo) else pd.Series(dtype=int)
        if by.empty:
            st.caption(t("rv.nothing_to_draw"))
        for code, n in by.items():
            c1, c2 = st.columns([3, 1])
            c1.write(t("rv.draw_line", county=plain(county_names.get(code, code)), n=int(n)))
            if c2.button(t("rv.draw"), key=f"rv_draw_{code}"):
                try:
                    rec = review.draw(store, code, level, actor=user["name"], access=access)
                except GeoError as err:
                    show_error(err)
                else:
                    st.session_state["flash"] = ("success", rec["comment"])
                    st.rerun()
        recs = review.draws(store, level=level, access=access)
        if recs:
            st.dataframe(pd.DataFrame([{
                t("rv.col_draw"): d["no"], t("map.county"): d.get("county"), t("rv.col_at"): fmt_local(d["at"]),
                t("rv.col_by"): d["actor"], t("rv.col_seed"): d["seed"], t("rv.col_pop"): len(d["population"]),
                t("rv.col_sample_n"): len(d["sample"]),
                t("rv.col_sample_ids"): "、".join(f"#{i}" for i in d["sample"]),
            } for d in recs]), hide_index=True, width="stretch", placeholder="")
            c1, c2 = st.columns([2, 1])
            no = c1.selectbox(t("rv.verify_pick"), [d["no"] for d in recs], key="rv_verify_no")
            if c2.button(t("rv.verify"), key="rv_verify"):
                res = review.verify_draw(store, no, access=access)
                (st.success if res["ok"] else st.error)(
                    t("rv.verify_ok" if res["ok"] else "rv.verify_bad", no=no, seed=res["seed"],
                      ids="、".join(f"#{i}" for i in res["redrawn"])))
    with tabs[3]:
        rows_ = closure.describe(lang=lang())
        st.dataframe(pd.DataFrame(rows_).rename(columns={
            "kind": t("rv.r_kind"), "rule": t("rv.r_rule"), "verdicts": t("rv.r_verdicts"), "causes": t("rv.r_causes"),
            "requires": t("rv.r_requires"), "evidence": t("rv.r_evidence"), "checks": t("rv.r_checks"),
            "measures": t("rv.r_measures")}).drop(columns=["key"]), hide_index=True, width="stretch",
                         placeholder="")
        if access is not None and access.is_admin:  # only who can change the configuration
            st.caption(t("rv.rules_help"))

# ------------------------------------------------------------------------------ bulk approval
ready = queue[queue["draw_no"].notna() & (~queue["sampled"].astype(bool) | (queue["check_result"] == "pass"))] \
    if len(queue) else queue
with left:
    with st.expander(t("rv.bulk", n=len(ready)), expanded=False):
        st.caption(t("rv.bulk_help", target=label("status", review.approval_target(level))))
        # what the reviewer saw: the list drawn on the run before the click (a polygon changed since
        # is refused with who changed it, not approved at its new state)
        shown_key = f"rv_bulk_shown_{level}"
        shown = st.session_state.get(shown_key)
        now = [(int(i), int(v)) for i, v in zip(ready["id"], ready["version"])]
        st.session_state[shown_key] = now
        if st.button(t("rv.bulk_go", n=len(ready)), key="rv_bulk", disabled=ready.empty, type="primary"):
            res = review.approve_many(store, shown if shown is not None else now, actor=user["name"], access=access)
            text = t("rv.bulk_result", ok=len(res["done"]), bad=len(res["refused"]))
            if res["refused"]:
                text += " " + "；".join(f"#{r['id']}：{r['message_zh'] if zh else r['message_en']}"
                                        for r in res["refused"][:5])
            st.session_state["flash"] = ("success" if not res["refused"] else "warning", text)
            st.cache_data.clear()
            st.rerun()

# ------------------------------------------------------------------------------ one polygon
with right:
    sel = st.session_state.get("rv_sel")
    feat = None
    if sel is not None:
        try:
            feat = store.get_feature("change", int(sel))
        except (NotFoundError, PermissionDenied):
            st.session_state.pop("rv_sel", None)
    if feat is None:
        st.info(t("rv.pick"))
    else:
        fid = int(feat["id"])
        # (record values and the send-back reason: text, never Markdown)
        st.subheader(plain(feat.get("polygon_no") or f"#{fid}"), anchor=False)
        st.markdown(f"**{plain(label('status', feat['status']))}** · v{feat['version']} · {plain(feat.get('county'))} "
                    f"{plain(feat.get('township'))} · [{t('rv.open_map')}](/?id={fid})")
        note = review.banner(store, feat, lang())
        if note:
            getattr(st, note[0])(plain(note[1]))
        rule = closure.rule_for(feat)
        if rule is not None:
            need = closure.needs(feat)
            st.caption(plain(need.note(lang())))
            facts = [(need.label(n, lang()), fp.value_text("change", n, feat.get(n)) or "—")
                     for n in ("verdict", *need.requires, *need.optional) if n in S.layer("change").names]
            facts += [(S.layer("change").field("area_ha").label(lang()), f"{feat.get('area_ha') or 0:.4f}"),
                      (S.layer("change").field("after_date").label(lang()), feat.get("after_date") or "—")]
            st.dataframe(pd.DataFrame(facts, columns=[t("rv.field"), t("rv.value")]), hide_index=True, width="stretch",
                         placeholder="")
        events = store.history("change", fid)
        d_tabs = st.tabs([t("rv.tab_check"), t("rv.tab_decide"), t("detail.evidence"), t("detail.history")])
        busy = feat["status"] != review.PENDING[level]
        # the version this reviewer opened: a change by someone else since is refused at submit with
        # who and when (the forms' keys no longer carry the version, so a submit is never dropped)
        seen = fp.seen_version("change", feat)
        if seen != int(feat["version"]):
            st.warning(t("forms.changed", seen=seen, now=feat["version"]))
            st.button(t("forms.refresh"), key=f"rv_refresh_{fid}",
                      on_click=lambda: fp.set_seen("change", fid, int(feat["version"])))

        def _submitted(step, done: str) -> None:
            """Run one decision against the version the reviewer opened: done, the flash and a
            rerun; stale, the conflict message (who changed it and when) and nothing written."""
            try:
                version = step(seen)
            except ConflictError as err:
                fp.set_seen("change", fid, int(err.details.get("current_version") or feat["version"]))
                st.warning(plain(err.message(lang())))
            except GeoError as err:
                show_error(err)
            else:
                fp.set_seen("change", fid, int(version))
                st.session_state["flash"] = ("success", done)
                st.rerun()
        with d_tabs[0]:
            if busy:
                st.caption(t("rv.not_here"))
            else:
                with st.form(f"rv_check_{fid}"):
                    method = st.radio(t("rv.method"), list(review.METHODS), horizontal=True,
                                      format_func=lambda k: label("check_method", k))
                    result = st.radio(t("rv.result"), list(review.RESULTS), horizontal=True,
                                      format_func=lambda k: label("check_result", k))
                    c_note = st.text_area(t("rv.note"))
                    photos = st.file_uploader(t("rv.photos"), type=["jpg", "jpeg", "png", "gif", "webp", "pdf"],
                                              accept_multiple_files=True)
                    if st.form_submit_button(t("rv.check_go"), type="primary"):
                        _submitted(lambda v: review.record_check(
                            store, fid, method=method, result=result, note=c_note,
                            attachments=[(f.name, f.getvalue()) for f in photos or []],
                            actor=user["name"], access=access, version=v), t("rv.check_done"))
        with d_tabs[1]:
            if busy:
                st.caption(t("rv.not_here"))
            else:
                if st.button(t("rv.approve", target=label("status", review.approval_target(level))), type="primary",
                             key=f"rv_ok_{fid}"):
                    _submitted(lambda v: review.approve(store, fid, actor=user["name"], version=v, access=access),
                               t("rv.approved"))
                with st.form(f"rv_back_{fid}"):
                    reason = st.text_area(t("rv.reason"))
                    if st.form_submit_button(t("rv.send_back")):
                        _submitted(lambda v: review.send_back(store, fid, reason, actor=user["name"], version=v,
                                                              access=access), t("rv.sent_back"))
        with d_tabs[2]:
            fp.evidence(store, events)
        with d_tabs[3]:
            st.dataframe(fp.history_table(events, "change"), hide_index=True, width="stretch", placeholder="")

# ------------------------------------------------------------------------------ per county
review_section(figures(store), county_names, title=t("rv.by_county"), level=level, level_name=_level_name(level))
