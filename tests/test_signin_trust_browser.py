"""Trust on the running dashboard (issue 20): no GET ends a session and signing out is a POST from this
site; files, tiles and the map layer answer only a live session (a cookie with the right name is not
enough); the public signboard page opens by token, by number only during the transition, and tells
an address walking the numbers to wait."""

from __future__ import annotations

import io
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest
from PIL import Image

from geo.store import open_store
from tests.browser import login, wait_drawn
from tests.conftest import DEMO_PASSWORDS, Dashboard

pytestmark = pytest.mark.browser

TILE = (8, 210, 92)  # z, x, y of the one tile in the test's basemap


def _tiles(folder) -> None:
    """A basemap archive ``demo.mbtiles`` holding one PNG tile."""
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (40, 120, 60)).save(buf, format="PNG")
    con = sqlite3.connect(folder / "demo.mbtiles")
    con.execute("CREATE TABLE metadata (name text, value text)")
    con.execute("CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, tile_data blob)")
    con.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "demo"), ("format", "png")])
    z, x, y = TILE
    con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, (1 << z) - 1 - y, buf.getvalue()))
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def site(demo_master, tmp_path_factory):
    """One dashboard for the module, on its own copy of the demo store, with a basemap archive."""
    folder = tmp_path_factory.mktemp("trust")
    db = folder / "demo.gpkg"
    open_store(str(demo_master)).backup(db)
    (folder / "tiles").mkdir()
    _tiles(folder / "tiles")
    d = Dashboard(db, env={"FOREST_TILES_DIR": str(folder / "tiles")}).start()
    yield d
    d.stop()


def _http(url: str, *, cookie: str | None = None, data: dict | None = None, headers: dict | None = None):
    """``(status, headers, body)`` without following redirects."""
    req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data is not None else None,
                                 headers={"Accept": "text/html", **({"Cookie": cookie} if cookie else {}),
                                          **(headers or {})})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _sign_in(site, name: str) -> str:
    status, headers, _ = _http(f"{site.url}/signin", data={"name": name, "password": DEMO_PASSWORDS[name], "next": "/"})
    assert status == 303, status
    return "forest_session=" + headers["set-cookie"].split("forest_session=", 1)[1].split(";", 1)[0]


def _alive(site, cookie: str) -> bool:
    status, _, _ = _http(f"{site.url}/summary", cookie=cookie)
    assert status in (200, 303)
    return status == 200


def test_no_get_ends_a_session_and_sign_out_is_a_post_from_this_site(site):
    cookie = _sign_in(site, "leader")
    assert _alive(site, cookie)
    # the sign-in page, as a planted image or link would ask for it: the session stays
    for path in ("/signin", "/signin?next=%2Fsummary", "/signin?out=1&lang=en", "/signin?next=/&lang=zh"):
        status, headers, _ = _http(site.url + path, cookie=cookie)
        assert status == 200 and "set-cookie" not in headers
        assert _alive(site, cookie)
    # a sign-out posted from another site, or with no origin at all: refused, the session stays
    for origin in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"}, {}):
        status, headers, body = _http(f"{site.url}/signout", cookie=cookie, data={}, headers=origin)
        assert status == 403 and "set-cookie" not in headers and "退出登录" in body.decode()
        assert _alive(site, cookie)
    # from this site's own page: the session ends on the server and the cookie is dropped
    status, headers, _ = _http(f"{site.url}/signout", cookie=cookie, data={}, headers={"Origin": site.url})
    assert status == 303 and headers["location"].startswith("/signin?out=1")
    assert 'forest_session=""' in headers["set-cookie"] or "Max-Age=0" in headers["set-cookie"]
    assert not _alive(site, cookie)
    status, _, body = _http(f"{site.url}/signin?out=1")
    assert status == 200 and "您已退出登录" in body.decode()
    # Streamlit's own sign-out (of an identity provider's sign-in) only as a navigation of this site
    status, _, _ = _http(f"{site.url}/auth/logout", headers={"Sec-Fetch-Dest": "image", "Sec-Fetch-Site": "same-origin"})
    assert status == 403
    status, _, _ = _http(f"{site.url}/auth/logout", headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site"})
    assert status == 403


def test_the_sign_out_button_posts_and_ends_the_session(site, page):
    login(page, site.url, "staff", DEMO_PASSWORDS["staff"])
    cookie = next(c for c in page.context.cookies() if c["name"] == "forest_session")
    sent = []
    page.on("request", lambda r: sent.append((r.method, urllib.parse.urlsplit(r.url).path)))
    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("您已退出登录").wait_for()
    assert ("POST", "/signout") in sent and "/signin" in page.url
    assert not any(c["name"] == "forest_session" for c in page.context.cookies())
    assert not _alive(site, f"forest_session={cookie['value']}")


def test_files_tiles_and_the_map_layer_answer_only_a_live_session(site, page, demo_master):
    login(page, site.url, "admin", DEMO_PASSWORDS["admin"])
    cookie = next(c for c in page.context.cookies() if c["name"] == "forest_session")
    live = f"forest_session={cookie['value']}"
    # the map's own layer ticket, and a picture Streamlit serves from the session (the board's QR code,
    # served as evidence photos and downloads are)
    assert wait_drawn(page, minimum=1) >= 1
    ticket = page.frame(url=lambda u: "streamlit_folium" in u).evaluate("() => window.forestChange.ticket()")
    board = open_store(site.db).read_layer("signboard", where={"status": "ok"}, columns=["board_no", "public_token"],
                                           geometry=False).iloc[0]
    page.goto(f"{site.url}/r-signboard?id={int(board['id'])}")
    page.get_by_role("heading", name=board["board_no"]).wait_for(timeout=60_000)
    caption = page.get_by_text("扫码查看公示信息").first
    caption.wait_for()
    # the register page's QR code opens the board's token link, not its number
    assert f"/board/{board['public_token']}" in caption.inner_text() and board["board_no"] not in caption.inner_text()
    media = urllib.parse.urlsplit(page.locator("[data-testid='stImage'] img").first.get_attribute("src")).path
    assert media.startswith("/media/")
    z, x, y = TILE
    routes = {
        "media": media,
        "tile": f"/tiles/demo/{z}/{x}/{y}.png",
        "map layer": f"/mapdata/change?t={ticket}&zoom=8&bbox=119.5,45.5,123.5,47.5",
    }
    for what, path in routes.items():
        for cookie_header in (None, "forest_session=made-up-token", "_streamlit_user=made-up",
                              "forest_session=made-up-token; _streamlit_user=made-up"):
            status, _, body = _http(site.url + path, cookie=cookie_header, headers={"Accept": "*/*"})
            assert status == 401 and len(body) < 100, (what, cookie_header, status)
        status, _, body = _http(site.url + path, cookie=live, headers={"Accept": "*/*"})
        assert status == 200 and len(body) > 50, (what, status)
    # a session that ended opens none of them
    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("您已退出登录").wait_for()
    for what, path in routes.items():
        assert _http(site.url + path, cookie=live, headers={"Accept": "*/*"})[0] == 401, what


def test_the_board_page_opens_by_token_and_an_address_walking_numbers_is_told_to_wait(site):
    frame = open_store(site.db).read_layer("signboard", where={"status": "ok"},
                                           columns=["board_no", "public_token", "chief_name"], geometry=False)
    board = frame.iloc[0]
    walker = {"X-Forwarded-For": "203.0.113.77"}  # (the test's own address is the proxy uvicorn trusts)
    status, _, body = _http(f"{site.url}/board/{board['public_token']}", headers={"X-Forwarded-For": "203.0.113.1"})
    assert status == 200 and board["chief_name"] in body.decode()
    # the demo's boards got their tokens when its store was first opened: printed number links still work
    status, _, body = _http(f"{site.url}/board/{urllib.parse.quote(board['board_no'])}",
                            headers={"X-Forwarded-For": "203.0.113.2"})
    assert status == 200 and board["chief_name"] in body.decode()
    # walking the numbers fast: after a dozen pages a minute, 429 and a message in Chinese
    answers = []
    for no in frame["board_no"].head(20):
        status, headers, body = _http(f"{site.url}/board/{urllib.parse.quote(no)}", headers=walker)
        answers.append(status)
    assert answers[:12] == [200] * 12 and set(answers[12:]) == {429}
    assert "查询过于频繁" in body.decode() and int(headers["retry-after"]) > 0
    assert board["chief_name"] not in body.decode()
    # … the walker only: another address still opens a board
    assert _http(f"{site.url}/board/{board['public_token']}", headers={"X-Forwarded-For": "203.0.113.3"})[0] == 200
