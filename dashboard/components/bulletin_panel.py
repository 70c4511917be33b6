"""The bulletin's editable parts on the leaders' screen: its settings (genre, provenance, 公文
details — saved in the store, see :mod:`geo.report.settings`), the bureau's recorded actions
(section 一 is drafted from them) and its own text of sections 一, 三 and 四 (a saved text replaces
the draft). The page only collects and shows; :mod:`geo.report` checks and stores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.common import confirm, confirmation, lang, settings, show_error, t
from dashboard.components.records import PICKER_MAX, PICKER_MIN
from geo.core.timeutil import today_local
from geo.core.errors import GeoError
from geo.report import records
from geo.report import settings as rsettings

EDIT_ROLES = records.EDIT_ROLES


def marked_done_but_open(store, counties, as_of) -> int:
    from geo.report.problems import marked_done_but_open as count

    return count(store, settings(), as_of, counties)


def _pair(pair) -> str:
    return pair[0] if lang() == "zh" else pair[1]


def _settings_form(store, access) -> None:
    current = rsettings.load(store, settings())
    seen = st.session_state.setdefault("bp_set_seen", rsettings.stored(store))  # as first shown: later changes conflict
    with st.form("bp_settings"):
        values = {}
        cols = st.columns(2)
        for i, key in enumerate(rsettings.KEYS):
            col = cols[i % 2]
            label = _pair(rsettings.LABELS[key])
            if key in rsettings.CHOICES:
                opts = list(rsettings.CHOICES[key])
                values[key] = col.selectbox(label, opts, index=opts.index(getattr(current, key)),
                                            format_func=lambda k, c=key: _pair(rsettings.CHOICES[c][k]),
                                            key=f"bp_set_{key}")
            else:
                values[key] = col.text_input(label, value=getattr(current, key), key=f"bp_set_{key}",
                                             placeholder=(("如 2023-12-09" if lang() == "zh" else "YYYY-MM-DD")
                                                          if key in rsettings.DATE_KEYS else ""))
        if st.form_submit_button(t("bp.save"), icon=":material/save:"):
            try:
                rsettings.save(store, values, actor=access.user, access=access, seen=seen)
            except GeoError as err:
                show_error(err)
            else:
                st.success(t("bp.saved"))
            st.session_state["bp_set_seen"] = rsettings.stored(store)


def _actions(store, access, counties, as_of) -> None:
    acts = records.actions(store, counties=counties or None)
    confirmation("bp_actions")
    if len(acts):
        st.dataframe(pd.DataFrame({
            "ID": acts["id"],
            t("bp.date"): acts["on_date"],
            t("bp.kind"): acts["kind"].map(lambda k: _pair(records.KINDS.get(k, (k, k)))),
            t("bp.what"): acts["title"],
            t("bp.doc_no"): acts["doc_no"],
        }), hide_index=True, width="stretch", placeholder="")
    else:
        st.caption(t("bp.no_actions"))
    with st.form("bp_add_action", clear_on_submit=True):
        c1, c2 = st.columns([1, 1])
        day = c1.date_input(t("bp.date"), value=as_of or today_local(), key="bp_act_date", format="YYYY-MM-DD",
                            min_value=PICKER_MIN, max_value=PICKER_MAX)
        kind = c2.selectbox(t("bp.kind"), list(records.KINDS), key="bp_act_kind",
                            format_func=lambda k: _pair(records.KINDS[k]))
        title = st.text_input(t("bp.what"), key="bp_act_title", placeholder=t("bp.what_ph"))
        doc_no = st.text_input(t("bp.doc_no"), key="bp_act_doc", placeholder="兴林草发〔2023〕12号")
        if st.form_submit_button(t("bp.add"), icon=":material/add:"):
            county = counties[0] if access.counties is not None and counties else None
            try:
                records.add_action(store, on_date=day, kind=kind, title=title, doc_no=doc_no, county_code=county,
                                   actor=access.user, access=access)
            except GeoError as err:
                show_error(err)
            else:
                confirm(t("sh.action_added", what=title.strip()), "bp_actions")
                st.rerun()
    if len(acts):
        d1, d2 = st.columns([3, 1])
        gone = d1.selectbox(t("bp.delete_pick"), acts["id"].tolist(), key="bp_act_delete",
                            format_func=lambda i: f"#{i} " + str(acts.loc[acts["id"] == i, "title"].iloc[0]))
        if d2.button(t("bp.delete"), key="bp_act_delete_go", icon=":material/delete:"):
            try:
                records.delete_action(store, gone, access=access)
            except GeoError as err:
                show_error(err)
            else:
                confirm(t("sh.action_deleted", id=gone), "bp_actions")
                st.rerun()


def _draft_text(store, counties, as_of, section: str) -> str:
    """The draft the bulletin prints for ``section`` now (nothing saved), as editable text."""
    from geo.report.bulletin import context
    from geo.report.sections import numbered, paragraphs

    ctx = context(store, settings=settings(), as_of=as_of, counties=counties or None)
    style = "（一）" if section == "responsibility" else "一是"
    return "\n".join(b.head + b.text for b in numbered(paragraphs(store, ctx, section), style))


def _sections(store, access, counties, as_of) -> None:
    st.caption(t("bp.sections_help"))
    for key, pair in records.SECTIONS.items():
        saved = records.text(store, key, counties) or ""
        box = f"bp_text_{key}"
        # the text as first shown: a change by someone else since is a conflict
        seen = st.session_state.setdefault(f"{box}_seen_{records.scope_key(counties)}", saved)
        if st.session_state.get(f"{box}_draft"):
            st.session_state[box] = st.session_state.pop(f"{box}_draft")
        body = st.text_area(_pair(pair), value=saved, key=box, height=160, placeholder=t("bp.empty_uses_draft"))
        confirmation(box)
        c1, c2, c3 = st.columns(3)
        if c1.button(t("bp.save_text"), key=f"{box}_save", icon=":material/save:"):
            try:
                records.set_text(store, key, body, actor=access.user, counties=counties, access=access, seen=seen)
            except GeoError as err:
                show_error(err)
            else:
                st.success(t("bp.saved"))
            st.session_state[f"{box}_seen_{records.scope_key(counties)}"] = records.text(store, key, counties) or ""
        if c2.button(t("bp.load_draft"), key=f"{box}_load", icon=":material/draft:"):
            st.session_state[f"{box}_draft"] = _draft_text(store, counties, as_of, key)
            st.rerun()
        if saved and c3.button(t("bp.clear_text"), key=f"{box}_clear", icon=":material/undo:"):
            try:
                records.set_text(store, key, None, actor=access.user, counties=counties, access=access, seen=seen)
            except GeoError as err:
                show_error(err)
            else:
                st.session_state.pop(box, None)
                st.session_state.pop(f"{box}_seen_{records.scope_key(counties)}", None)
                confirm(t("sh.text_cleared", section=_pair(pair)), box)
                st.rerun()


def render(store, access, counties, as_of) -> None:
    tabs = [t("bp.tab_sections"), t("bp.tab_actions")]
    full = access.counties is None and access.role in ("admin", "staff", "leader")
    if full:
        tabs.append(t("bp.tab_settings"))
    parts = st.tabs(tabs)
    with parts[0]:
        _sections(store, access, counties, as_of)
    with parts[1]:
        _actions(store, access, counties, as_of)
    if full:
        with parts[2]:
            _settings_form(store, access)
