"""What the plain-HTTP routes of ``dashboard/server.py`` do, kept apart from Starlette so it can be
tested as functions: the sign-in page and check, session look-up, basemap tiles, and the public
signboard page. Every value put into HTML here is escaped."""

from __future__ import annotations

import functools
import html
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


def session_user(token: str | None) -> dict | None:
    from geo.access import sessions

    try:
        return sessions.user_of(shared_store(), token, policy())
    except StoreError:
        return None


def sign_in(name: str, password: str, ip: str | None, lang: str):
    """``(token, max_age seconds)``, or the refusal message in ``lang``."""
    from geo.access import sessions

    try:
        _user, token = sessions.sign_in(shared_store(), name, password, policy(), ip=ip)
    except StoreError:
        return text("unavailable", lang)
    except GeoError as err:
        return err.message(lang)
    return token, int(policy().absolute_hours * 3600)


def same_origin(headers) -> bool:
    """A sign-in form must come from this site (Origin, else Referer, matches Host)."""
    host = headers.get("x-forwarded-host") or headers.get("host") or ""
    origin = headers.get("origin") or headers.get("referer")
    if not origin:
        return True  # (old browsers / plain clients send neither; the cookie is SameSite=Strict anyway)
    return urlsplit(origin).netloc == host


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
.foot{margin-top:18px;font-size:12px;color:#667;display:flex;justify-content:space-between}
a{color:#1a7837}
"""


def signin_html(lang: str, nxt: str, message: str | None = None, name: str = "", sso: bool = False) -> str:
    e = html.escape
    s = app_settings()
    if message is None and not _has_accounts():
        message = text("no_accounts", lang)
    msg = f'<p class="msg" role="alert">{e(message)}</p>' if message else ""
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


def board_page(number: str, lang: str = "zh") -> tuple[int, str]:
    """``(HTTP status, page)`` for the public page of signboard ``number``."""
    from geo.chief import signboards as boards

    try:
        card = boards.public_card(shared_store(), number)
    except StoreError:
        return 503, boards.not_found_html(lang, unavailable=True)
    if card is None:
        return 404, boards.not_found_html(lang)
    return 200, boards.public_html(card, lang)
