"""Who a plain-HTTP request speaks for (dashboard/web.py ``request_user``, used by the file, tile and
map-layer routes): a live session of this server, or an identity a configured provider vouches for
— a cookie that only has the right name is nobody (issue 20)."""

from __future__ import annotations

import json

import pytest
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

from dashboard import web
from geo.access import auth, sessions

SECRET = "cookie-secret-of-this-site"
ORIGIN = "https://forest.example"


def _sso_cookie(claims: dict, secret: str = SECRET) -> dict:
    value = create_signed_value(secret, web.SSO_COOKIE, json.dumps(claims))
    return {web.SSO_COOKIE: value.decode("latin-1")}


def _leader(**more) -> dict:
    return {"is_logged_in": True, "origin": ORIGIN, "email": "leader@forest.example", **more}


@pytest.fixture
def provider(monkeypatch):
    """An identity provider configured in secrets.toml ([auth] with its redirect URI)."""
    import streamlit.auth_util
    import streamlit.web.server.server_util

    monkeypatch.setattr(streamlit.auth_util, "get_origin_from_redirect_uri", lambda: ORIGIN)
    monkeypatch.setattr(streamlit.web.server.server_util, "get_cookie_secret", lambda: SECRET)


def test_without_a_provider_a_signed_in_cookie_is_nobody(demo_store, monkeypatch):
    import streamlit.web.server.server_util

    monkeypatch.setattr(streamlit.web.server.server_util, "get_cookie_secret", lambda: SECRET)
    assert web.request_user(_sso_cookie(_leader()), demo_store) is None
    assert web.request_user({web.SSO_COOKIE: "made-up"}, demo_store) is None


def test_a_providers_identity_is_its_account_and_nothing_else_is(demo_store, provider):
    assert web.request_user(_sso_cookie(_leader()), demo_store)["name"] == "leader"
    refused = {
        "made up": {web.SSO_COOKIE: "made-up"},
        "signed with another secret": _sso_cookie(_leader(), secret="guessed-secret"),
        "issued for another site": _sso_cookie(_leader(origin="https://elsewhere.example")),
        "signed out": _sso_cookie(_leader(is_logged_in=False)),
        "no account here": _sso_cookie(_leader(email="stranger@forest.example")),
        "an app cookie made up": {web.COOKIE: "made-up-token"},
    }
    for why, cookies in refused.items():
        assert web.request_user(cookies, demo_store) is None, why
    admin = auth.access_for(demo_store.user("admin"))
    auth.set_disabled(demo_store, admin, "leader", True)
    assert web.request_user(_sso_cookie(_leader()), demo_store) is None  # a disabled account


def test_a_live_session_is_its_user_until_it_ends(demo_store):
    token = sessions.start(demo_store, demo_store.user("staff"))
    assert web.request_user({web.COOKIE: token}, demo_store)["name"] == "staff"
    sessions.end(demo_store, token)
    assert web.request_user({web.COOKIE: token}, demo_store) is None
