"""The dashboard's ASGI entry point: Streamlit's own app (``st.App``) plus the few routes that
must be plain HTTP.

* ``/signin`` (GET form, POST check) and the session cookie. The cookie is set here, by the
  server, ``HttpOnly; SameSite=Strict`` (``Secure`` behind HTTPS), so no script running in the
  page can read or forge it — which a cookie written by ``document.cookie`` from inside the app
  could not promise. Streamlit's own ``st.login`` (OIDC) stays available for bureaus with an
  identity provider (``secrets.toml``); this covers the accounts kept in the store.
* A gate in front of the app pages: a browser asking for a page without a live session is sent to
  ``/signin`` and comes back to the page it asked for.
* ``/tiles/<name>/<z>/<x>/<y>``: offline basemap tiles (:mod:`geo.imagery.basemap`), for signed-in users.
* ``/board/<number>``: the public page a signboard's QR code opens (no sign-in, nothing internal).
* ``/mapdata/change``: the change polygons of one map view, for the signed-in user's counties
  (:mod:`dashboard.maplayer`): the map page's layer, fetched by the map itself when it moves.

Run with ``streamlit run dashboard/server.py`` (``make run`` does).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import HTMLResponse, RedirectResponse, Response  # noqa: E402
from starlette.routing import Route  # noqa: E402

from dashboard import maplayer, web  # noqa: E402

COOKIE = web.COOKIE

# Libraries the pages import, loaded here once at start rather than by the first visitor of each
# page: altair alone took 0.3-0.85 s of the first summary visit in a process (bench/map.py).
# (Only plain libraries: a module declaring a Streamlit component, such as streamlit_folium, must
# be imported once the app runs, or its front end is not served.)
WARM_IMPORTS = ("altair", "folium", "folium.plugins", "geo.stats.summary", "geo.report", "geo.engine.official", "geo.change.mapview")
for _name in WARM_IMPORTS:
    __import__(_name)

# paths the gate lets through: Streamlit's machinery, served assets, and our own routes
OPEN_PREFIXES = ("/_stcore", "/static", "/component", "/media", "/app/static", "/signin", "/board",
                 "/auth/", "/oauth2callback", "/favicon", "/manifest", "/bidi-component")


class SessionGate:
    """ASGI middleware: page requests (HTML GETs) need a live session, else → ``/signin``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        path = scope.get("path") or "/"
        if path.startswith(OPEN_PREFIXES) or "." in path.rsplit("/", 1)[-1]:
            return await self.app(scope, receive, send)
        request = Request(scope)
        if "text/html" not in request.headers.get("accept", ""):
            return await self.app(scope, receive, send)
        if request.cookies.get(web.SSO_COOKIE):  # signed in through the identity provider
            return await self.app(scope, receive, send)
        user = await run_in_threadpool(web.session_user, request.cookies.get(COOKIE))
        if user is None:
            target = path + (("?" + scope["query_string"].decode()) if scope.get("query_string") else "")
            response = RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
            if request.cookies.get(COOKIE):
                response.delete_cookie(COOKIE, path="/")
            return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def _safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, no host, no '//' trick) may be the way back."""
    value = value or "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("forest_lang") or ""
    return "en" if lang == "en" else "zh"


async def signin_page(request: Request):
    lang = _lang(request)
    nxt = _safe_next(request.query_params.get("next"))
    body = web.signin_html(lang, nxt, message=None, sso=web.sso_configured())
    response = HTMLResponse(body)
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path="/")
    return response


async def signin_post(request: Request):
    form = await request.form()
    lang = "en" if form.get("lang") == "en" else "zh"
    nxt = _safe_next(form.get("next"))
    if not web.same_origin(request.headers):
        return HTMLResponse(web.signin_html(lang, nxt, message=web.text("cross_site", lang)), status_code=403)
    ip = request.client.host if request.client else None
    result = await run_in_threadpool(web.sign_in, str(form.get("name") or ""), str(form.get("password") or ""), ip, lang)
    if isinstance(result, str):  # the refusal, in the user's language
        return HTMLResponse(web.signin_html(lang, nxt, message=result, name=str(form.get("name") or "")),
                            status_code=401)
    token, max_age = result
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https")
    return response


async def tile(request: Request):
    if await run_in_threadpool(web.session_user, request.cookies.get(COOKIE)) is None \
            and not request.cookies.get(web.SSO_COOKIE):
        return Response(status_code=401)
    p = request.path_params
    found = await run_in_threadpool(web.tile, p["name"], p["z"], p["x"], p["y"])
    if found is None:
        return Response(status_code=404)
    data, mime = found
    return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=86400"})


async def change_layer(request: Request):
    """The change polygons of one map view for the signed-in user (dashboard/maplayer.py)."""
    user = await run_in_threadpool(web.session_user, request.cookies.get(COOKIE))
    if user is None:
        return Response(status_code=401, headers={"Cache-Control": "no-store"})
    status, body = await run_in_threadpool(maplayer.answer, user, request.query_params)
    return Response(body, status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


async def board(request: Request):
    lang = _lang(request)
    status, body = await run_in_threadpool(web.board_page, request.path_params["number"], lang)
    return HTMLResponse(body, status_code=status, headers={
        "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "Referrer-Policy": "no-referrer"})


routes = [
    Route("/signin", signin_page, methods=["GET"]),
    Route("/signin", signin_post, methods=["POST"]),
    Route("/tiles/{name}/{z:int}/{x:int}/{y:int}", tile, methods=["GET"]),
    Route("/tiles/{name}/{z:int}/{x:int}/{y:int}.{ext}", tile, methods=["GET"]),
    Route("/board/{number}", board, methods=["GET"]),
    Route("/mapdata/change", change_layer, methods=["GET"]),
]

app = st.App("app.py", routes=routes, middleware=[Middleware(SessionGate)])
