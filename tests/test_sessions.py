"""Sessions no script can steal: a server-set HttpOnly cookie, idle and absolute expiry, sign-out
on the server, slowed and locked password guessing with an audit trail, a password policy; and
the public signboard page that shows nothing internal."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from geo.access import auth
from geo.access import sessions
from geo.core.errors import PermissionDenied, ValidationError
from tests.browser import login
from tests.conftest import DEMO_PASSWORDS


def test_sessions_end_when_idle_or_too_old_or_signed_out(demo_store):
    user = demo_store.user("leader")
    policy = sessions.Policy(idle_minutes=30, absolute_hours=8)
    token = sessions.start(demo_store, user, policy)
    now = dt.datetime.now(dt.timezone.utc)
    assert sessions.user_of(demo_store, token, policy, now=now)["name"] == "leader"
    # used 20 minutes later: still alive, and the use keeps it alive
    assert sessions.user_of(demo_store, token, policy, now=now + dt.timedelta(minutes=20))
    assert sessions.user_of(demo_store, token, policy, now=now + dt.timedelta(minutes=45))
    # but never beyond the absolute lifetime, however busy
    assert sessions.user_of(demo_store, token, policy, now=now + dt.timedelta(hours=8, minutes=1)) is None
    idle = sessions.start(demo_store, user, policy)
    assert sessions.user_of(demo_store, idle, policy, now=now + dt.timedelta(minutes=31)) is None
    out = sessions.start(demo_store, user, policy)
    sessions.end(demo_store, out)
    assert sessions.user_of(demo_store, out, policy) is None
    assert sessions.user_of(demo_store, "made-up-token", policy) is None


def test_password_guessing_is_slowed_then_locked_and_audited(demo_store):
    policy = sessions.Policy(slow_after=2, lock_after=4, lock_minutes=10)
    waits = []
    for _ in range(4):
        with pytest.raises(ValidationError):
            sessions.sign_in(demo_store, "leader", "wrong-guess-1", policy, ip="10.0.0.9", sleep=waits.append)
    assert waits == sorted(waits) and len(waits) == 2 and waits[0] > 0  # slower and slower
    # the account is locked now, even with the right password
    with pytest.raises(sessions.SignInLocked) as err:
        sessions.sign_in(demo_store, "leader", DEMO_PASSWORDS["leader"], policy, ip="10.0.0.9", sleep=waits.append)
    assert "锁定" in err.value.zh
    # the address is only slowed: another account's right password from it still signs in
    user, token = sessions.sign_in(demo_store, "staff", DEMO_PASSWORDS["staff"], policy, ip="10.0.0.9",
                                   sleep=waits.append)
    assert user["name"] == "staff" and sessions.user_of(demo_store, token, policy) and len(waits) == 3
    # another account from another address is not affected
    user, token = sessions.sign_in(demo_store, "staff", DEMO_PASSWORDS["staff"], policy, ip="10.0.0.7")
    assert user["name"] == "staff" and sessions.user_of(demo_store, token, policy)
    trail = demo_store.events("user")
    actions = trail["action"].tolist()
    assert actions.count("signin_failed") == 4 and actions.count("signin_locked") == 1 and "signin" in actions
    failed = [json.loads(f) for f, a in zip(trail["fields"], actions) if a == "signin_failed"]
    assert all(f["user"] == "leader" and f["ip"] == "10.0.0.9" for f in failed)


def test_the_password_policy_applies_when_passwords_are_set(demo_store):
    admin = auth.access_for(demo_store.user("admin"))
    for bad, why in [("Short-1", "至少"), ("alllowercase", "三类"), ("Password123", "常见"),
                     ("Newuser-2024", "用户名")]:
        with pytest.raises(ValidationError) as err:
            auth.add_user(demo_store, admin, name="newuser", role="leader", password=bad)
        assert why in err.value.zh
    auth.add_user(demo_store, admin, name="newuser", role="leader", password="Grass-land-7")
    pw = auth.new_password()
    auth.check_password(pw, "newuser")  # generated passwords meet the policy
    with pytest.raises(ValidationError):
        auth.reset_password(demo_store, admin, "newuser", "weakweakweak")


# ------------------------------------------------------------------------------ in the browser
def _get(url: str, cookie: str | None = None, data: dict | None = None, headers: dict | None = None):
    req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data else None,
                                 headers={"Accept": "text/html", **({"Cookie": cookie} if cookie else {}),
                                          **(headers or {})})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_the_session_cookie_is_set_by_the_server_and_hidden_from_scripts(shared_dashboard, browser):
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    # a page asked for without a session goes to the sign-in page and comes back after it
    page.goto(f"{shared_dashboard.url}/summary?county=152224")
    assert "/signin" in page.url
    login(page, shared_dashboard.url, "leader", DEMO_PASSWORDS["leader"], path="summary?county=152224")
    assert "/summary" in page.url and "county=152224" in page.url
    cookie = next(c for c in ctx.cookies() if c["name"] == "forest_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "forest_session" not in page.evaluate("document.cookie")  # no script in the page can read it
    # signing out ends the session on the server: the same cookie opens nothing afterwards
    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("您已退出登录").wait_for()
    status, headers, _ = _get(f"{shared_dashboard.url}/summary", cookie=f"forest_session={cookie['value']}")
    assert status == 303 and headers["location"].startswith("/signin")
    ctx.close()


def test_sign_in_refusals_and_redirects(dashboard):
    status, _, body = _get(f"{dashboard.url}/signin", data={"name": "leader", "password": "wrong-pass-9", "next": "/"})
    assert status == 401 and "用户名或密码错误" in body and "Traceback" not in body
    # a form posted from another site is refused; a way back to another site is not followed
    status, _, _ = _get(f"{dashboard.url}/signin", data={"name": "leader", "password": DEMO_PASSWORDS["leader"]},
                        headers={"Origin": "http://evil.example"})
    assert status == 403
    status, headers, _ = _get(f"{dashboard.url}/signin", data={
        "name": "staff", "password": DEMO_PASSWORDS["staff"], "next": "//evil.example/x"})
    assert status == 303 and headers["location"] == "/"
    assert "HttpOnly" in headers["set-cookie"] and "SameSite=strict" in headers["set-cookie"].replace("Strict", "strict")


def test_the_public_signboard_page_shows_the_board_and_nothing_internal(dashboard, browser, demo_store):
    board = demo_store.read_layer("signboard", columns=["board_no", "chief_name", "phone", "zone_id"],
                                  geometry=False).iloc[0]
    ctx = browser.new_context(locale="zh-CN")  # no sign-in
    page = ctx.new_page()
    sockets, requests = [], []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{dashboard.url}/board/{urllib.parse.quote(board['board_no'])}")
    page.wait_for_load_state("networkidle")
    text = page.inner_text("body")
    assert board["chief_name"] in text and board["phone"] in text
    html = page.content()
    assert not sockets  # no websocket: nothing reaches the page but this HTML
    assert requests == [page.url]
    for internal in ("change_polygons", "图斑", "罚款", "fine", "county_code", "zone_id", "version", "forest_session"):
        assert internal not in html
    assert page.locator("svg path").count() == 1  # the zone outline, drawn without coordinates
    status, _, body = _get(f"{dashboard.url}/board/NO-SUCH-BOARD")
    assert status == 404 and "未找到该公示牌" in body
    ctx.close()


def test_tiles_need_a_session(shared_dashboard):
    status, _, _ = _get(f"{shared_dashboard.url}/tiles/demo/8/210/92.png")
    assert status == 401


def test_permission_denied_is_the_parent_of_a_lock():
    assert issubclass(sessions.SignInLocked, PermissionDenied)
