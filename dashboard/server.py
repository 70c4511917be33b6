"""The dashboard's ASGI entry point: Streamlit's own app (``st.App``) plus the few routes that
must be plain HTTP.

* ``/signin`` (GET form, POST check) and the session cookie. The cookie is set here, by the
  server, ``HttpOnly; SameSite=Strict`` (``Secure`` behind HTTPS), so no script running in the
  page can read or forge it — which a cookie written by ``document.cookie`` from inside the app
  could not promise. Streamlit's own ``st.login`` (OIDC) stays available for bureaus with an
  identity provider (``secrets.toml``); this covers the accounts kept in the store.
* ``/signout``: a POST from this site's own pages (its Origin is checked) ends the session. No GET
  ends a session — not of ``/signin`` nor of any page — so an image or link planted in a page
  (``![](/signin?…)``) signs nobody out; Streamlit's ``/auth/logout`` is let through only as a
  navigation of this site.
* A gate in front of the app pages: a browser asking for a page without a live session is sent to
  ``/signin`` and comes back to the page it asked for.
* Files served by Streamlit (``/media/…``: evidence photos and documents, downloads, pictures of
  the pages), ``/tiles/<name>/<z>/<x>/<y>`` (offline basemap tiles, :mod:`geo.imagery.basemap`) and
  ``/mapdata/change`` (the change polygons of one map view for the user's counties,
  :mod:`dashboard.maplayer`) answer only a live session, or an identity a configured provider
  vouches for (:func:`dashboard.web.request_user`): a cookie that merely has the right name is
  refused (401).
* ``/board/<token>``: the public page a signboard's QR code opens (no sign-in, nothing internal;
  links by board number only during their transition period; a few a minute per address).

Run with ``streamlit run dashboard/server.py`` (``make run`` does).
"""

from __future__ import annotations

import asyncio
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
OPEN_PREFIXES = ("/_stcore", "/static", "/component", "/app/static", "/signin", "/signout", "/board",
                 "/auth/", "/oauth2callback", "/favicon", "/manifest", "/bidi-component")
# files Streamlit serves from a session's memory (st.image, st.download_button: evidence among them)
PRIVATE_PREFIXES = ("/media/",)
NO_STORE = {"Cache-Control": "no-store"}


def _navigation_from_here(headers) -> bool:
    """A top-level navigation started on this site (or typed by the user), not an image, frame or
    script request nor a link from elsewhere (Fetch metadata; older browsers send none)."""
    return headers.get("sec-fetch-dest", "document") == "document" and \
        headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


class SessionGate:
    """ASGI middleware: page requests (HTML GETs) need a live session, else → ``/signin``; files
    served by Streamlit need one, else 401; Streamlit's sign-out of an SSO identity only as a
    navigation of this site."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path") or "/"
        if path.startswith(PRIVATE_PREFIXES):
            if await run_in_threadpool(web.request_user, Request(scope).cookies) is None:
                return await Response(status_code=401, headers=NO_STORE)(scope, receive, send)
            return await self.app(scope, receive, send)
        if path.rstrip("/") == "/auth/logout" and not _navigation_from_here(Request(scope).headers):
            return await Response(status_code=403, headers=NO_STORE)(scope, receive, send)
        if scope.get("method") != "GET":
            return await self.app(scope, receive, send)
        if path.startswith(OPEN_PREFIXES) or "." in path.rsplit("/", 1)[-1]:
            return await self.app(scope, receive, send)
        request = Request(scope)
        if "text/html" not in request.headers.get("accept", ""):
            return await self.app(scope, receive, send)
        if web.sso_identity(request.cookies) is not None:  # vouched for by the identity provider
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
    """The sign-in form. A GET changes nothing: whatever session the browser has stays as it is."""
    lang = _lang(request)
    nxt = _safe_next(request.query_params.get("next"))
    out = request.query_params.get("out") == "1" and not request.cookies.get(COOKIE)
    body = web.signin_html(lang, nxt, message=None, sso=web.sso_configured(),
                           notice=web.text("signed_out", lang) if out else None)
    return HTMLResponse(body, headers=NO_STORE)


async def signin_post(request: Request):
    form = await request.form()
    lang = "en" if form.get("lang") == "en" else "zh"
    nxt = _safe_next(form.get("next"))
    if not web.same_origin(request.headers):
        return HTMLResponse(web.signin_html(lang, nxt, message=web.text("cross_site", lang)), status_code=403)
    ip = request.client.host if request.client else None
    name = str(form.get("name") or "")
    wait = await run_in_threadpool(web.signin_delay, name, ip)
    if wait > 0:  # (waited here, not in a worker thread a burst of guesses could use up)
        await asyncio.sleep(wait)
    result = await run_in_threadpool(web.sign_in, name, str(form.get("password") or ""), ip, lang, waited=True)
    if isinstance(result, str):  # the refusal, in the user's language
        return HTMLResponse(web.signin_html(lang, nxt, message=result, name=name), status_code=401)
    token, max_age = result
    if request.cookies.get(COOKIE):  # signing in as someone else: the session before ends
        await run_in_threadpool(web.sign_out, request.cookies.get(COOKIE))
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https")
    return response


async def signout(request: Request):
    """Sign out: a POST from this site's own page (its Origin names this host) ends the session on the
    server and drops the cookie; an identity provider's sign-in is ended by Streamlit's own route."""
    form = await request.form()
    lang = "en" if form.get("lang") == "en" else "zh"
    if not web.same_origin(request.headers, strict=True):
        return HTMLResponse(web.signin_html(lang, "/", message=web.text("signout_cross_site", lang)),
                            status_code=403, headers=NO_STORE)
    await run_in_threadpool(web.sign_out, request.cookies.get(COOKIE))
    target = "/auth/logout" if request.cookies.get(web.SSO_COOKIE) else "/signin?out=1" + ("&lang=en" if lang == "en" else "")
    response = RedirectResponse(target, status_code=303, headers=NO_STORE)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def _user(request: Request):
    return await run_in_threadpool(web.request_user, request.cookies)


async def tile(request: Request):
    if await _user(request) is None:
        return Response(status_code=401, headers=NO_STORE)
    p = request.path_params
    found = await run_in_threadpool(web.tile, p["name"], p["z"], p["x"], p["y"])
    if found is None:
        return Response(status_code=404)
    data, mime = found
    return Response(data, media_type=mime, headers={"Cache-Control": "private, max-age=86400"})


async def change_layer(request: Request):
    """The change polygons of one map view for the signed-in user (dashboard/maplayer.py)."""
    user = await _user(request)
    if user is None:
        return Response(status_code=401, headers=NO_STORE)
    status, body = await run_in_threadpool(maplayer.answer, user, request.query_params)
    return Response(body, status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


async def board(request: Request):
    lang = _lang(request)
    ip = request.client.host if request.client else None
    status, body, extra = await run_in_threadpool(web.board_page, request.path_params["key"], lang, ip)
    return HTMLResponse(body, status_code=status, headers={
        "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "Referrer-Policy": "no-referrer", **extra})


routes = [
    Route("/signin", signin_page, methods=["GET"]),
    Route("/signin", signin_post, methods=["POST"]),
    Route("/signout", signout, methods=["POST"]),
    Route("/tiles/{name}/{z:int}/{x:int}/{y:int}", tile, methods=["GET"]),
    Route("/tiles/{name}/{z:int}/{x:int}/{y:int}.{ext}", tile, methods=["GET"]),
    Route("/board/{key}", board, methods=["GET"]),
    Route("/mapdata/change", change_layer, methods=["GET"]),
]

app = st.App("app.py", routes=routes, middleware=[Middleware(SessionGate)])
