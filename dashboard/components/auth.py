"""Who is signed in. Who may do what is decided in :mod:`geo.access.auth` / :mod:`geo.access.scope`.

The session credential is an ``HttpOnly; SameSite=Strict`` cookie set by the server on
``/signin`` (``dashboard/server.py``): the page's scripts never see it. Each script run checks it
against the store (:func:`geo.access.sessions.user_of`: idle and absolute expiry, sign-out), so a session
ended elsewhere ends here at the next click. Signing out is a form POSTed to the server's
``/signout`` (checked to come from this site), which deletes the session on the server and the
cookie in the browser — and, for an identity provider's sign-in, goes on to Streamlit's own sign-out.
"""

from __future__ import annotations

import html
from urllib.parse import quote

import streamlit as st

from dashboard.components.common import lang, settings, show_error, store
from dashboard.components.text import plain
from geo.access import auth
from geo.access import sessions
from geo.access.labels import county_names, scope_text
from geo.core.errors import GeoError, NotFoundError, StoreError

COOKIE = "forest_session"


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


def _cookie() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser context (AppTest, bare mode)
        return None
    return token if isinstance(token, str) and token else None


def _policy() -> sessions.Policy:
    return sessions.Policy.from_settings(settings())


def current_user() -> dict | None:
    token = _cookie()
    user = st.session_state.get("user")
    if user is not None and st.session_state.get("sso"):
        return user
    if user is not None and token is None and st.session_state.get("token") is None:
        return user  # signed in by a test harness (AppTest), no browser session to check
    if token is not None:
        try:
            user = sessions.user_of(store(), token, _policy())
        except StoreError:
            user = None
        if user is None:
            st.session_state.pop("user", None)
            st.session_state.pop("token", None)
            return None
        st.session_state["user"] = user
        st.session_state["token"] = token
        return user
    st.session_state.pop("user", None)
    user = _sso_user()
    if user is not None:
        st.session_state["user"] = user
        st.session_state["sso"] = True
    return user


def current_access() -> auth.Access | None:
    user = current_user()
    return auth.access_for(user) if user else None


def login_form() -> None:
    """Shown when the page was opened without a live session (the server normally sends the
    browser to ``/signin`` first): a link to the sign-in page, or the SSO button."""
    zh = lang() == "zh"
    st.title("林长制整改一张图" if zh else "Forest-chief rectification map")
    try:
        path = str(getattr(st.context, "url", "") or "")
        path = "/" + path.split("://", 1)[-1].split("/", 1)[1] if "://" in path and "/" in path.split("://", 1)[-1] else "/"
    except Exception:
        path = "/"
    st.info("请先登录（会话已结束或尚未登录）。" if zh else "Please sign in (no session, or it has ended).")
    st.link_button("登录" if zh else "Sign in", f"/signin?next={quote(path, safe='')}" + ("" if zh else "&lang=en"),
                   type="primary")
    if sso_configured():
        if st.button("单点登录（SSO）" if zh else "Single sign-on", key="sso"):
            st.login()


def sidebar_user() -> None:
    user = st.session_state.get("user")
    if user is None:
        return
    zh = lang() == "zh"
    role = auth.ROLE_LABELS[user["role"]][0 if zh else 1]
    scope = scope_text(user.get("counties"), lang(), _county_names(settings().db))
    who = plain(user.get("display_name") or user["name"])
    st.caption(f":material/person: {who}（{role}；{plain(scope)}）" if zh
               else f":material/person: {who} ({role}; {plain(scope)})")
    st.html(signout_form(zh))


@st.cache_data(ttl=600, show_spinner=False)
def _county_names(db: str) -> dict[str, str]:
    try:
        return county_names(store())
    except GeoError:
        return {}


def remember_language(choice: str) -> None:
    """Keep the language the signed-in user just chose with their account (geo.access.auth), so the
    dashboard opens in it after a reload and at their next sign-in."""
    user = st.session_state.get("user")
    if user is None or user.get("lang") == choice:
        return
    try:
        auth.set_language(store(), auth.access_for(user), user["name"], choice)
        user["lang"] = choice
    except NotFoundError:  # signed in by a test harness with no such account: kept for the session only
        pass
    except GeoError as err:
        show_error(err)


# a form, not a Streamlit button: the browser POSTs it to the server, which alone can drop the HttpOnly
# cookie; styled as Streamlit's secondary buttons
_SIGNOUT_CSS = (
    "form.forest-signout{margin:0}form.forest-signout button{font:inherit;font-size:.875rem;"
    "padding:.25rem .75rem;min-height:2.5rem;border-radius:.5rem;cursor:pointer;"
    "border:1px solid rgba(49,51,63,.2);background:#fff;color:inherit}"
    "form.forest-signout button:hover{border-color:#1a7837;color:#1a7837}"
)


def signout_form(zh: bool) -> str:
    """The sign-out control: a POST to ``/signout`` (dashboard/server.py)."""
    label = html.escape("退出登录" if zh else "Sign out")
    return (f"<style>{_SIGNOUT_CSS}</style>"
            f'<form class="forest-signout" method="post" action="/signout">'
            f'<input type="hidden" name="lang" value="{"zh" if zh else "en"}">'
            f'<button type="submit">{label}</button></form>')
