"""系统管理 — accounts (add, reset passwords, disable), the store, and backups."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.components.auth import current_access, current_user
from dashboard.components.common import lang, show_error, store_or_stop, t
from dashboard.components.feature_panel import clear_flash, flash
from geo.access import auth
from geo.declare import registry as S
from geo.core.errors import GeoError
from geo.access.labels import audit_text
from geo.core.timeutil import fmt_local

store = store_or_stop()
user = current_user()
access = current_access()
zh = lang() == "zh"

st.title(t("admin.title"))
flash()

st.subheader(t("admin.store"))
raw = store  # (the scoped store: lists and counts of the user's scope)
# Counted through the user's scope: someone limited to some counties sees only theirs (the menu
# shows this page to administrators only, but the figures must not depend on that).
counts = {(S.layer(k).zh if zh else S.layer(k).en): store.count(k) for k in S.LAYERS}
info = pd.DataFrame(
    [("后端" if zh else "Backend", "GeoPackage" if raw.backend == "gpkg" else "PostGIS"),
     ("版本" if zh else "Schema version", raw.meta("schema_version") or ""),
     ("批次" if zh else "Batches", str(len(raw.batches()))),
     *[(k, f"{v:,}") for k, v in counts.items()]],
    columns=["", " "],
)
st.dataframe(info, hide_index=True, placeholder="")

if access is None or not access.is_admin:
    st.info(t("admin.only"))
    st.stop()

with st.expander(t("admin.backup")):
    st.caption(t("admin.backup_help"))
    if st.button(t("admin.backup"), key="backup"):
        from geo.engine.backup import backup

        try:
            suffix = ".gpkg" if raw.backend == "gpkg" else ".dump"
            out = Path(tempfile.mkdtemp()) / f"forest-backup{suffix}"
            backup(raw, out, actor=access.user)
            st.download_button(t("common.download"), out.read_bytes(), file_name=out.name, key="backup_dl")
        except GeoError as err:
            show_error(err)

st.subheader(t("admin.users"))
counties = raw.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
county_names = dict(zip(counties["code"], counties["name"]))
users = raw.users()
role_name = {k: v[0 if zh else 1] for k, v in auth.ROLE_LABELS.items()}
if len(users):
    st.dataframe(pd.DataFrame({
        t("admin.name"): users["name"],
        t("admin.display"): users["display_name"],
        t("admin.role"): users["role"].map(role_name),
        t("admin.counties"): users["counties"].map(
            lambda c: "、".join(county_names.get(x, x) for x in (__import__("json").loads(c) if c else []))),
        t("admin.disabled"): users["disabled"].map(bool),
        "创建时间" if zh else "Created": users["created_at"].map(fmt_local),
    }), hide_index=True, width="stretch", placeholder="")

c1, c2 = st.columns(2)
with c1, st.form("user_add", clear_on_submit=True):
    st.markdown(f"**{t('admin.add')}**")
    name = st.text_input(t("admin.name"))
    display = st.text_input(t("admin.display"))
    role = st.selectbox(t("admin.role"), list(auth.ROLES), format_func=lambda r: role_name[r], index=2)
    scope = st.multiselect(t("admin.counties"), list(county_names), format_func=lambda c: county_names[c],
                           placeholder=t("common.choose"), select_all=False)
    password = st.text_input(t("admin.password"), value=auth.new_password())
    if st.form_submit_button(t("admin.add"), type="primary"):
        clear_flash()
        try:
            auth.add_user(raw, access, name=name, role=role, password=password, display_name=display or None,
                          counties=scope if role == "inspector" else [])
            st.session_state["flash"] = ("success", t("admin.done", what=f"{t('admin.add')} {name}（{password}）"))
            st.rerun()
        except GeoError as err:
            show_error(err)
with c2:
    names = users["name"].tolist() if len(users) else []
    with st.form("user_reset", clear_on_submit=True):
        st.markdown(f"**{t('admin.reset')}**")
        who = st.selectbox(t("admin.name"), names, key="reset_who")
        new_pw = st.text_input(t("admin.new_password"), value=auth.new_password())
        if st.form_submit_button(t("admin.reset")):
            clear_flash()
            try:
                auth.reset_password(raw, access, who, new_pw)
                st.session_state["flash"] = ("success", t("admin.done", what=f"{t('admin.reset')} {who}（{new_pw}）"))
                st.rerun()
            except GeoError as err:
                show_error(err)
    with st.form("user_disable"):
        who2 = st.selectbox(t("admin.name"), names, key="disable_who")
        b1, b2 = st.columns(2)
        off = b1.form_submit_button(t("admin.disable"))
        on = b2.form_submit_button(t("admin.enable"))
        if off or on:
            clear_flash()
            try:
                auth.set_disabled(raw, access, who2, bool(off))
                st.session_state["flash"] = ("success", t("admin.done", what=f"{t('admin.disable') if off else t('admin.enable')} {who2}"))
                st.rerun()
            except GeoError as err:
                show_error(err)

st.subheader(t("admin.audit"))
trail = raw.events("user")
if len(trail):
    st.dataframe(pd.DataFrame({
        t("history.at"): trail["at"].map(fmt_local),
        t("history.actor"): trail["actor"],
        t("history.action"): trail["action"].map(lambda a: S.label("action", a, lang())),
        t("history.fields"): trail["fields"].map(lambda f: audit_text(f, lang(), county_names)),
    }).iloc[::-1], hide_index=True, width="stretch", placeholder="")
