"""系统管理 — accounts (add, reset passwords, disable), the store, and backups."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.components.auth import current_access, current_user
from dashboard.components.common import lang, show_error, store_or_stop, t
from dashboard.components.feature_panel import clear_flash, flash
from dashboard.components.text import plain
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

# Passwords: what the administrator types is the password (the rule is geo.access.auth's, checked
# where the account is written, for the page and `python -m geo users` alike); a button offers a
# random one, shown here once. The actions run as the buttons' callbacks, before the page is drawn,
# so a form's fields can be emptied after success and kept as typed after a refusal.
ss = st.session_state


def _seen(name: str | None) -> int | None:
    """The version of account ``name`` the table showed when the form was sent (kept at the end of
    the last run): a change another administrator made since is refused, not overwritten."""
    return (ss.get("acc_seen") or {}).get(name)


def _generate(key: str) -> None:
    ss[key] = ss[f"{key}_shown"] = auth.new_password()


def _outcome(key: str, kind: str, text: str) -> None:
    ss[f"{key}_msg"] = (kind, text)


def _add() -> None:
    name = (ss.get("acc_add_name") or "").strip()
    role = ss.get("acc_add_role") or "inspector"
    try:
        auth.add_user(raw, access, name=name, role=role, password=ss.get("acc_add_pw") or "",
                      display_name=(ss.get("acc_add_display") or "").strip() or None,
                      counties=list(ss.get("acc_add_scope") or []) if role == "inspector" else [])
    except GeoError as err:
        _outcome("acc_add", "error", err.message(lang()))
        return
    _outcome("acc_add", "success", t("acc.added", name=name))
    for k in ("acc_add_name", "acc_add_display", "acc_add_pw"):
        ss[k] = ""
    ss["acc_add_scope"] = []
    ss.pop("acc_add_pw_shown", None)


def _reset() -> None:
    who = ss.get("acc_reset_who")
    try:
        auth.reset_password(raw, access, who, ss.get("acc_reset_pw") or "", seen=_seen(who))
    except GeoError as err:
        _outcome("acc_reset", "error", err.message(lang()))
        return
    _outcome("acc_reset", "success", t("acc.reset_done", name=who))
    ss["acc_reset_pw"] = ""
    ss.pop("acc_reset_pw_shown", None)


def _shown(key: str) -> None:
    """The outcome of the last action of this form (once), and a generated password while it is the
    one in the field."""
    shown = ss.get(f"{key}_pw_shown")
    if shown and ss.get(f"{key}_pw") == shown:
        st.caption(t("acc.generated"))
        st.code(shown, language=None)
    msg = ss.pop(f"{key}_msg", None)
    if msg:
        ok = msg[0] == "success"
        (st.success if ok else st.error)(plain(msg[1]), icon=":material/check_circle:" if ok else ":material/block:")


rule = t("acc.rule", n=auth.MIN_PASSWORD)
disabled_names = set(users.loc[users["disabled"].astype(bool), "name"]) if len(users) else set()


def _account(n: str) -> str:
    return n + (t("acc.disabled_tag") if n in disabled_names else "")


c1, c2 = st.columns(2)
with c1, st.form("user_add"):
    st.markdown(f"**{t('admin.add')}**")
    st.text_input(t("admin.name"), key="acc_add_name")
    st.text_input(t("admin.display"), key="acc_add_display")
    st.selectbox(t("admin.role"), list(auth.ROLES), format_func=lambda r: role_name[r], index=2,
                 key="acc_add_role")
    st.multiselect(t("admin.counties"), list(county_names), format_func=lambda c: county_names[c],
                   placeholder=t("common.choose"), select_all=False, key="acc_add_scope")
    st.text_input(t("acc.password"), key="acc_add_pw", type="password", autocomplete="new-password")
    st.caption(rule)
    b1, b2 = st.columns(2)
    b1.form_submit_button(t("admin.add"), type="primary", on_click=_add)
    b2.form_submit_button(t("acc.generate"), on_click=_generate, args=("acc_add_pw",))
    _shown("acc_add")
with c2:
    names = users["name"].tolist() if len(users) else []
    with st.form("user_reset"):
        st.markdown(f"**{t('admin.reset')}**")
        st.selectbox(t("admin.name"), names, key="acc_reset_who", format_func=_account, index=None,
                     placeholder=t("common.choose"))
        st.text_input(t("acc.new_password"), key="acc_reset_pw", type="password", autocomplete="new-password")
        st.caption(rule)
        b1, b2 = st.columns(2)
        b1.form_submit_button(t("admin.reset"), on_click=_reset)
        b2.form_submit_button(t("acc.generate"), on_click=_generate, args=("acc_reset_pw",))
        _shown("acc_reset")
    with st.form("user_disable"):
        who2 = st.selectbox(t("admin.name"), names, key="disable_who", format_func=_account)
        b1, b2 = st.columns(2)
        off = b1.form_submit_button(t("admin.disable"))
        on = b2.form_submit_button(t("admin.enable"))
        if off or on:
            clear_flash()
            try:
                auth.set_disabled(raw, access, who2, bool(off), seen=_seen(who2))
                done = t("acc.disabled_done" if off else "acc.enabled_done", name=who2)
                st.session_state["flash"] = ("success", done)
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

# the accounts as this run showed them: the forms' actions on the next run check against these
ss["acc_seen"] = ({n: int(v) if pd.notna(v) else 0 for n, v in zip(users["name"], users["version"])}
                  if len(users) and "version" in users else {})
