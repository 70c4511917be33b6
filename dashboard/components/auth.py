"""Sign-in for the dashboard. Who may do what is decided in :mod:`geo.auth`; this only asks
for the password, keeps the session token in a cookie, and shows who is signed in."""

from __future__ import annotations

import streamlit as st

from dashboard.components.common import lang, settings, show_error, store
from geo import auth
from geo.errors import GeoError, StoreError

COOKIE = "forest_session"


def _set_cookie(token: str, max_age: int) -> None:
    # The token is urlsafe base64 (letters, digits, '-', '_'): nothing in it can break the script.
    st.html(
        f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age={max_age}; SameSite=Strict';</script>",
        unsafe_allow_javascript=True,
    )


def sso_configured() -> bool:
    """Single sign-on through Streamlit's OIDC login, when ``[auth]`` is in secrets.toml."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _sso_user() -> dict | None:
    try:
        if not (sso_configured() and st.user.is_logged_in):
            return None
        claims = dict(st.user.to_dict()) if hasattr(st.user, "to_dict") else dict(st.user)
    except Exception:
        return None
    try:
        return auth.account_for_claims(store(), claims)
    except GeoError as err:
        show_error(err)
        return None


def current_user() -> dict | None:
    user = st.session_state.get("user")
    if user is not None:
        return user
    user = _sso_user()
    if user is not None:
        st.session_state["user"] = user
        return user
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser context (AppTest, bare mode)
        token = None
    if isinstance(token, str) and token:
        try:
            user = auth.session_user(store(), token)
        except StoreError:
            user = None
        if user is not None:
            st.session_state["user"] = user
            st.session_state["token"] = token
    return user


def current_access() -> auth.Access | None:
    user = current_user()
    return auth.access_for(user) if user else None


def login_form() -> None:
    """The sign-in form (or, on a store with no accounts yet, the first administrator's)."""
    s = store()
    zh = lang() == "zh"
    st.title("林长制整改一张图" if zh else "Forest-chief rectification map")
    if s.users().empty:
        st.info("尚无账号：请创建第一个系统管理员账号。" if zh else "No accounts yet: create the first administrator.")
        with st.form("first_admin"):
            name = st.text_input("用户名" if zh else "User name", value="admin")
            pw = st.text_input("密码（至少 8 位）" if zh else "Password (8+ characters)", type="password")
            ok = st.form_submit_button("创建并登录" if zh else "Create and sign in", type="primary")
        if ok:
            try:
                bootstrap = auth.Access(user="setup", role="admin")
                auth.add_user(s, bootstrap, name=name, role="admin", password=pw,
                              display_name="系统管理员")
                _sign_in(s, name, pw)
            except GeoError as err:
                show_error(err)
        return
    if sso_configured():
        if st.button("单点登录（SSO）" if zh else "Single sign-on", type="primary", key="sso"):
            st.login()
        st.caption("或使用本系统账号登录：" if zh else "Or sign in with an account of this system:")
    with st.form("login"):
        name = st.text_input("用户名" if zh else "User name", key="login_name")
        pw = st.text_input("密码" if zh else "Password", type="password", key="login_password")
        ok = st.form_submit_button("登录" if zh else "Sign in", type="primary")
    if ok:
        try:
            _sign_in(s, name, pw)
        except GeoError as err:
            show_error(err)


def _sign_in(s, name: str, pw: str) -> None:
    user = auth.authenticate(s, name, pw)
    hours = settings().session_hours
    token = auth.start_session(s, user, hours)
    st.session_state["user"] = user
    st.session_state["token"] = token
    st.session_state["set_cookie"] = (token, int(hours * 3600))
    st.rerun()


def sidebar_user() -> None:
    user = st.session_state.get("user")
    if user is None:
        return
    pending = st.session_state.pop("set_cookie", None)
    if pending:
        _set_cookie(*pending)
    zh = lang() == "zh"
    role = auth.ROLE_LABELS[user["role"]][0 if zh else 1]
    scope = "、".join(user.get("counties") or []) or ("全部旗县" if zh else "all counties")
    st.caption(f":material/person: {user.get('display_name') or user['name']}（{role}；{scope}）")
    if st.button("退出登录" if zh else "Sign out", key="logout"):
        try:
            auth.end_session(store(), st.session_state.get("token"))
        except StoreError:
            pass
        for k in ("user", "token"):
            st.session_state.pop(k, None)
        _set_cookie("", 0)
        if sso_configured():
            try:
                if st.user.is_logged_in:
                    st.logout()
            except Exception:
                pass
        st.rerun()
