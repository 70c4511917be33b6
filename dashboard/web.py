"""What the plain-HTTP routes of ``dashboard/server.py`` do, kept apart from Starlette so it can be
tested as functions: the sign-in page and check, sign-out, who a request is (:func:`request_user`),
basemap tiles, and the public signboard page. Every value put into HTML here is escaped."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import html
import json
import threading
import time
from urllib.parse import urlsplit

from geo.core.config import load_settings
from geo.core.errors import GeoError, StoreError

COOKIE = "forest_session"
SSO_COOKIE = "_streamlit_user"  # Streamlit's own cookie after an OIDC sign-in (st.login)

TEXTS = {
    "title": ("林长制整改一张图", "Forest-chief rectification map"),
    "signin": ("登录", "Sign in"),
    "name": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "sso": ("单点登录（SSO）", "Single sign-on"),
    "other_lang": ("English", "中文"),
    "cross_site": ("请从本系统的登录页登录。", "Please sign in from this site's own sign-in page."),
    "signed_out": ("您已退出登录。", "You have signed out."),
    "signout_cross_site": ("请使用本系统页面上的“退出登录”按钮退出。",
                           "Please sign out with the Sign out button of this site's pages."),
    "unavailable": ("数据库暂时无法访问，请稍后再试或联系系统管理员。",
                    "The database cannot be reached; try again later or ask the administrator."),
    "no_accounts": ("尚无账号。请系统管理员在服务器上运行：python -m geo users add --system --name admin --role admin",
                    "No accounts yet. An administrator creates the first one on the server: "
                    "python -m geo users add --system --name admin --role admin"),
    "hint": ("会话在 {idle} 分钟无操作或登录 {hours} 小时后结束。",
             "A session ends after {idle} minutes without use or {hours} hours after sign-in."),
}


def text(key: str, lang: str, **kw) -> str:
    pair = TEXTS[key]
    return (pair[0] if lang == "zh" else pair[1]).format(**kw)


@functools.lru_cache(maxsize=1)
def app_settings():
    return load_settings()


@functools.lru_cache(maxsize=1)
def shared_store():
    from geo.store import open_store

    return open_store(app_settings().db)


def policy():
    from geo.access.sessions import Policy

    return Policy.from_settings(app_settings())


def sso_configured() -> bool:
    import tomllib
    from pathlib import Path

    path = Path(__file__).resolve().parent / ".streamlit" / "secrets.toml"
    try:
        with open(path, "rb") as fh:
            return "auth" in tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return False


def session_user(token: str | None, store=None) -> dict | None:
    from geo.access import sessions

    if not token:
        return None
    try:
        return sessions.user_of(store or shared_store(), token, policy())
    except StoreError:
        return None


def sso_identity(cookies) -> dict | None:
    """The identity a configured provider vouches for: the claims of Streamlit's own sign-in cookie
    when it carries Streamlit's signature (the cookie secret), says signed in, and was issued for
    this site's origin — else ``None``. With no provider configured (no ``[auth]`` redirect URI in
    secrets.toml) a cookie of that name proves nothing and is ignored."""
    if not cookies.get(SSO_COOKIE):
        return None
    try:  # Streamlit's own reading of its cookie (its websocket handler does the same)
        from streamlit.auth_util import get_cookie_with_chunks, get_origin_from_redirect_uri
        from streamlit.web.server.server_util import get_cookie_secret
        from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

        origin = get_origin_from_redirect_uri()
        if not origin:
            return None
        secret = get_cookie_secret()

        def one(name: str) -> bytes | None:
            value = cookies.get(name)
            return None if value is None else decode_signed_value(secret, name, value.encode("latin-1"))

        claims = json.loads(get_cookie_with_chunks(one, SSO_COOKIE) or b"null")
    except Exception:  # (an unreadable cookie, or a Streamlit that reads it differently: nobody)
        return None
    if not isinstance(claims, dict) or claims.get("is_logged_in") is not True or claims.get("origin") != origin:
        return None
    return claims


def request_user(cookies, store=None) -> dict | None:
    """The account a request speaks for: its live session (the HttpOnly cookie this server set), or
    the account of an identity a configured provider vouches for (:func:`sso_identity`). A cookie
    that merely has the right name is nobody."""
    user = session_user(cookies.get(COOKIE), store)
    if user is not None:
        return user
    claims = sso_identity(cookies)
    if claims is None:
        return None
    from geo.access import auth

    try:
        return auth.account_for_claims(store or shared_store(), claims)
    except (GeoError, StoreError):
        return None


def signin_delay(name: str, ip: str | None) -> float:
    """Seconds the server waits before checking this sign-in (many recent failures of the account
    or the address); the server waits without holding a worker thread."""
    from geo.access import sessions

    try:
        return sessions.delay(shared_store(), name, ip, policy())
    except StoreError:
        return 0.0


def sign_in(name: str, password: str, ip: str | None, lang: str, *, waited: bool = False):
    """``(token, max_age seconds)``, or the refusal message in ``lang``. ``waited``: the caller
    already waited :func:`signin_delay`."""
    from geo.access import sessions

    try:
        kw = {"sleep": lambda seconds: None} if waited else {}
        _user, token = sessions.sign_in(shared_store(), name, password, policy(), ip=ip, **kw)
    except StoreError:
        return text("unavailable", lang)
    except GeoError as err:
        return err.message(lang)
    return token, int(policy().absolute_hours * 3600)


def sign_out(token: str | None) -> None:
    """End the session of ``token`` on the server (its cookie opens nothing afterwards)."""
    from geo.access import sessions

    try:
        sessions.end(shared_store(), token)
    except StoreError:
        pass


def same_origin(headers, *, strict: bool = False) -> bool:
    """A form must come from this site: its Origin (else Referer) names this host. A sign-in from a
    client that sends neither is let through (old browsers, scripts; the cookie is SameSite=Strict
    anyway); with ``strict`` (sign-out) it is not."""
    host = headers.get("x-forwarded-host") or headers.get("host") or ""
    origin = headers.get("origin") or headers.get("referer")
    if not origin or origin == "null":
        return not strict and not origin
    return bool(host) and urlsplit(origin).netloc == host


_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f3f6f2;margin:0;color:#1b2b1b}
main{max-width:380px;margin:12vh auto;background:#fff;padding:32px 36px;border-radius:8px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 20px;color:#1a7837}
label{display:block;margin:14px 0 4px;font-size:14px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:9px;font-size:15px;
border:1px solid #b8c4b8;border-radius:4px}
button,.sso{margin-top:22px;width:100%;padding:10px;font-size:16px;background:#1a7837;color:#fff;
border:0;border-radius:4px;cursor:pointer;display:block;text-align:center;text-decoration:none}
.sso{background:#2b6cb0}
.msg{background:#fde8e8;color:#8b1c1c;padding:10px;border-radius:4px;font-size:14px}
.ok{background:#e6f4ea;color:#1a5c2e;padding:10px;border-radius:4px;font-size:14px}
.foot{margin-top:18px;font-size:12px;color:#667;display:flex;justify-content:space-between}
a{color:#1a7837}
"""


def signin_html(lang: str, nxt: str, message: str | None = None, name: str = "", sso: bool = False,
                notice: str | None = None) -> str:
    """The sign-in page: ``message`` a refusal (red), ``notice`` news (green, e.g. signed out)."""
    e = html.escape
    s = app_settings()
    if message is None and not _has_accounts():
        message = text("no_accounts", lang)
    msg = f'<p class="msg" role="alert">{e(message)}</p>' if message else ""
    if notice and not message:
        msg = f'<p class="ok" role="status">{e(notice)}</p>'
    other = "en" if lang == "zh" else "zh"
    sso_link = f'<a class="sso" href="/?sso=1">{e(text("sso", lang))}</a>' if sso else ""
    return f"""<!doctype html><html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{e(text("signin", lang))} · {e(text("title", lang))}</title>
<style>{_STYLE}</style></head><body><main>
<h1>{e(text("title", lang))}</h1>{msg}
<form method="post" action="/signin" autocomplete="on">
<input type="hidden" name="next" value="{e(nxt)}"><input type="hidden" name="lang" value="{lang}">
<label for="name">{e(text("name", lang))}</label>
<input id="name" name="name" type="text" autocomplete="username" required autofocus value="{e(name)}">
<label for="password">{e(text("password", lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{e(text("signin", lang))}</button></form>{sso_link}
<div class="foot"><span>{e(text("hint", lang, idle=int(s.session_idle_minutes), hours=int(s.session_hours)))}</span>
<a href="/signin?lang={other}&amp;next={e(nxt)}">{e(text("other_lang", lang))}</a></div>
</main></body></html>"""


def _has_accounts() -> bool:
    try:
        return not shared_store().users().empty
    except (StoreError, GeoError):
        return True


def tile(name: str, z: int, x: int, y: int):
    try:
        from geo.imagery import basemap
    except ImportError:
        return None
    return basemap.tile(name, int(z), int(x), int(y))


class RateLimit:
    """At most ``limit`` requests per ``window`` seconds from one address (in this process; the
    requests refused are not counted, so waiting a minute is always enough)."""

    def __init__(self, window: float = 60.0, max_addresses: int = 10_000):
        self.window, self.max_addresses = window, max_addresses
        self._hits: dict[str, collections.deque] = {}
        self._lock = threading.Lock()

    def wait(self, address: str | None, limit: int, now: float | None = None) -> float:
        """0 when this request may go ahead (it is counted), else the seconds until one may."""
        now = time.monotonic() if now is None else now
        key = address or "?"
        with self._lock:
            hits = self._hits.setdefault(key, collections.deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= max(int(limit), 1):
                return max(hits[0] + self.window - now, 1.0)
            hits.append(now)
            if len(self._hits) > self.max_addresses:  # forget addresses not seen for a window
                for k in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
                    del self._hits[k]
            return 0.0


BOARD_LIMIT = RateLimit()


def number_links_open(store, settings) -> bool:
    """Whether links by board number (printed before boards had tokens) are still answered: for
    ``board_number_links_days`` after the store gave its boards tokens (meta ``tokens_since:signboard``);
    a store whose boards always had tokens never printed such links."""
    from geo.core.timeutil import parse_datetime

    since = store.meta("tokens_since:signboard")
    days = int(settings.board_number_links_days or 0)
    if not since or days <= 0:
        return False
    return dt.datetime.now(dt.timezone.utc) < parse_datetime(since.replace("Z", "+00:00")) + dt.timedelta(days=days)


def board_page(key: str, lang: str = "zh", ip: str | None = None, *, store=None,
               settings=None) -> tuple[int, str, dict]:
    """``(HTTP status, page, headers)`` for the public page of the board whose link token is
    ``key`` (or, during the transition period, whose number is ``key``). One address asking too
    often gets 429 with a Chinese (or English) message."""
    from geo.chief import signboards as boards

    settings = settings or app_settings()
    wait = BOARD_LIMIT.wait(ip, settings.board_pages_per_minute)
    if wait > 0:
        return 429, boards.busy_html(lang), {"Retry-After": str(int(wait + 0.999))}
    try:
        store = store or shared_store()
        card = boards.public_card(store, key, by_number=number_links_open(store, settings))
    except StoreError:
        return 503, boards.not_found_html(lang, unavailable=True), {}
    if card is None:
        return 404, boards.not_found_html(lang), {}
    return 200, boards.public_html(card, lang), {}
