"""User text is text (issue 20), in Debian Chromium.

A set of hostile values — a Markdown image and link, Streamlit's ``:red[…]`` directive, HTML, a
template — is written into every free-text field of one record of every layer (through the write
path, as the administrator), into a history comment, a send-back reason, an attachment's name, a
rectification item's texts and an account's display name. Every page that shows them is opened as
an administrator: no element is made from the values (no image, link, bold text or coloured span),
no request goes where they point, and the values are there to read, as typed.

A small app also puts :func:`dashboard.components.text.plain` through every Streamlit element that
reads Markdown, so that a Streamlit upgrade which renders one more thing fails here first.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.i18n import translate
from geo.declare import registry as S
from tests.browser import login, wait_idle
from tests.conftest import ROOT, Dashboard, free_port

pytestmark = pytest.mark.browser

PIECES = ("![x](/signin?x=1)", "[点我](http://example.invalid/)", ":red[红字]", "<img src=/signin?y=1>",
          "<b>粗</b>", "{{ 7*7 }}")
PAYLOAD = " ".join(PIECES)
# where the values point: a request there (or to the sign-in page with their query) is a failure
BAD_URL = re.compile(r"signin\?[xy]=1|example\.invalid")
VIEWER, VIEWER_PW = "payload_admin", "Payload-pass-12"
WJ = "\u2060"

# Elements the values would make if rendered: images and links pointing where they say, the
# link's text, bold "粗", and the red span. (Found anywhere in the page, iframes aside.)
MADE_BY_PAYLOAD = r"""() => {
  const bad = [], hit = s => !!s && /signin\?[xy]=1|example\.invalid/.test(s);
  for (const el of document.querySelectorAll('img, source, video, audio, iframe, embed, object'))
    for (const a of ['src', 'srcset', 'data'])
      if (hit(el.getAttribute(a))) bad.push(`<${el.tagName.toLowerCase()} ${a}=${el.getAttribute(a)}>`);
  for (const el of document.querySelectorAll('a'))
    if (hit(el.getAttribute('href')) || el.textContent.trim() === '点我')
      bad.push(`<a href=${el.getAttribute('href')}>${el.textContent}`);
  for (const el of document.querySelectorAll('b, strong'))
    if (el.textContent.trim() === '粗') bad.push('<b>粗</b>');
  const coloured = '.stMarkdownColoredText, .stMarkdownColoredBackground, .stMarkdownBadge, [style*="color"]';
  for (const el of document.querySelectorAll(coloured))
    if (el.textContent.includes('红字') && !el.textContent.includes(':red['))
      bad.push('coloured ' + el.outerHTML.slice(0, 120));
  return bad;
}"""
# the page's own text (not the sidebar, which shows the viewer's display name), grids included
SHOWN_TEXT = """() => { const main = document.querySelector('[data-testid=stMain]');
  return main.innerText + '\\n' +
    [...main.querySelectorAll('[data-testid=stDataFrame] table')].map(t => t.textContent).join('\\n'); }"""


def made_by_payload(page) -> list[str]:
    return page.evaluate(MADE_BY_PAYLOAD)


def shown_text(page) -> str:
    return page.evaluate(SHOWN_TEXT).replace(WJ, "")


# ------------------------------------------------------------------------------ the store
def _edit_each(store, layer: str, fid: int, fields: list[str], **extra) -> list[str]:
    """Write the payload into ``fields`` of one record (with ``extra``: a comment, files); the
    fields the write path refuses are tried one by one and returned."""
    from geo.core.errors import GeoError
    from geo.engine import workflow

    try:
        workflow.edit(store, layer, fid, actor="admin", fields={f: PAYLOAD for f in fields}, **extra)
        return []
    except GeoError:
        pass
    refused = []
    for f in fields:
        try:
            workflow.edit(store, layer, fid, actor="admin", fields={f: PAYLOAD})
        except GeoError:
            refused.append(f)
    if extra:
        workflow.edit(store, layer, fid, actor="admin", fields={}, **extra)
    return refused


def free_text_fields(layer: str) -> list[str]:
    return [f.name for f in S.layer(layer).fields if f.type == S.TEXT and not f.options and not f.internal]


def build(path: Path) -> dict:
    """The payload everywhere it can go; returns the records to open and the refused fields."""
    from geo.access.auth import Access, add_user
    from geo.change import review
    from geo.chief import chiefs
    from geo.items import items as gitems
    from geo.store import open_store

    store = open_store(str(path))
    admin = Access("admin", "admin", None)
    add_user(store, admin, name=VIEWER, role="admin", password=VIEWER_PW, display_name=PAYLOAD)

    applied = store.read_layer("change", where={"status": "applied"}, columns=["status"], geometry=False)
    queued, returned = (int(i) for i in applied["id"].iloc[:2])
    review.send_back(store, returned, PAYLOAD, actor="admin")  # the reason: a banner on the map and review pages

    chief = chiefs.chiefs_list(store).iloc[0]
    post = store.get_feature("post", int(chief["id"]))
    ids = {"change": returned, "person": int(chief["holder_id"]), "post": int(post["id"]),
           "zone": int(post["zone_id"])}
    refused: dict[str, list[str]] = {}
    for key in S.LAYERS:
        fid = ids.get(key)
        if fid is None:
            frame = store.read_layer(key, columns=["status"], geometry=False)
            if frame.empty:
                continue
            fid = ids[key] = int(frame["id"].min())
        extra = {"comment": PAYLOAD}
        if key == "change":  # a file whose name is the payload, on the polygon's evidence tab
            extra["attachments"] = [(PAYLOAD + ".pdf", b"%PDF-1.4\n%%EOF\n")]
        refused[key] = _edit_each(store, key, fid, free_text_fields(key), **extra)
    refused["change (queued)"] = _edit_each(store, "change", queued, free_text_fields("change"), comment=PAYLOAD)
    ids["queued"] = queued

    item = gitems.progress(store).iloc[0]
    item_id, version, item_refused = int(item["id"]), int(item["version"]), []
    for f in ("code", "problem", "measures", "leader", "unit", "note"):
        try:
            version = gitems.edit(store, item_id, actor="admin", version=version, fields={f: PAYLOAD},
                                  comment=PAYLOAD)
        except Exception:  # noqa: BLE001 - a field the items' write path keeps to itself
            item_refused.append(f)
    refused["item"] = item_refused
    gitems.link(store, item_id, "change", [returned], actor="admin")
    ids["item"] = item_id
    return {"ids": ids, "refused": refused}


@pytest.fixture(scope="module")
def hostile(demo_master, tmp_path_factory):
    from geo.store import open_store

    path = tmp_path_factory.mktemp("plain") / "demo.gpkg"
    open_store(str(demo_master)).backup(path)
    made = build(path)
    print("refused by the write path:", {k: v for k, v in made["refused"].items() if v})
    d = Dashboard(path).start()
    yield d, made
    d.stop()


@pytest.fixture(scope="module")
def viewer(hostile, browser):
    """One administrator's browser for the module, with every request it makes recorded."""
    d, _ = hostile
    ctx = browser.new_context(viewport={"width": 1600, "height": 1400}, locale="zh-CN")
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    # recorded, then not sent: a request to /signin would end the session and fail every later page
    ctx.route(BAD_URL, lambda route: route.abort())
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    login(page, d.url, VIEWER, VIEWER_PW)
    yield page, requests
    ctx.close()


def check(page, requests: list[str], where: str, shown: bool = True) -> None:
    """Nothing made by the values, no request where they point, and (``shown``) each value there
    to read as typed."""
    page.wait_for_timeout(300)  # (an image is requested as soon as it is in the page)
    wait_idle(page)
    bad = made_by_payload(page)
    assert not bad, f"{where}: elements made from user text: {bad}"
    went = [u for u in requests if BAD_URL.search(u)]
    assert not went, f"{where}: requests made by user text: {went}"
    assert "Traceback" not in page.inner_text("body"), where
    if shown:  # (on a loaded machine a page may still be filling in after it went idle: a few seconds more)
        deadline = time.time() + 20
        while True:
            text = shown_text(page)
            missing = [p for p in PIECES if p not in text]
            if not missing or time.time() > deadline:
                break
            page.wait_for_timeout(500)
        assert not missing, f"{where}: {missing} not shown as text"


def open_tab(page, name: str) -> None:
    """Open the tab called ``name`` (a key of the string tables, or the text itself)."""
    page.get_by_role("tab", name=translate(name, "zh") if "." in name else name, exact=True).first.click()
    wait_idle(page)


def test_the_write_path_took_the_values(hostile):
    """What the browser tests below rely on: the values are in the store (the fields the write
    path refuses are printed and known: codes it checks, the review's own fields)."""
    _, made = hostile
    refused = made["refused"]
    # (指派给 takes only an existing, enabled account: hostile text is refused there too)
    assert set(refused["change"]) == {"returned_reason", "check_method", "check_result", "check_note", "geom_hash",
                                      "assigned_to"}
    assert refused["enterprise"] == ["credit_code"] and refused["order"] == ["addressed"]
    assert not refused["person"] and not refused["zone"] and not refused["item"]


def test_the_map_details_panel_shows_user_text_as_text(hostile, viewer):
    d, made = hostile
    page, requests = viewer
    fid = made["ids"]["change"]
    page.goto(f"{d.url}/?id={fid}")
    wait_idle(page)
    page.get_by_role("tab", name="属性").wait_for()
    check(page, requests, "map: details")  # title, place, the send-back reason
    for tab in ("detail.attrs", "detail.history", "detail.evidence"):  # attributes and items, history, files
        open_tab(page, tab)
        check(page, requests, f"map: {tab}")


@pytest.mark.parametrize("which", ["queued", "change"])
def test_the_review_page_shows_user_text_as_text(hostile, viewer, which):
    d, made = hostile
    page, requests = viewer
    page.goto(f"{d.url}/review?id={made['ids'][which]}")
    wait_idle(page)
    page.get_by_role("tab", name="历史").first.wait_for()
    check(page, requests, "review")
    for tab in ("detail.evidence", "detail.history"):
        open_tab(page, tab)
        check(page, requests, f"review: {tab}")


@pytest.mark.parametrize("key", [k for k, lyr in S.LAYERS.items() if lyr.group])
def test_every_register_page_shows_user_text_as_text(hostile, viewer, key):
    d, made = hostile
    page, requests = viewer
    page.goto(f"{d.url}/r-{key}?id={made['ids'][key]}")
    wait_idle(page)
    page.get_by_role("tab", name="历史").wait_for()
    check(page, requests, f"r-{key}")
    for tab in ("办理", "历史"):
        open_tab(page, tab)
        check(page, requests, f"r-{key}: {tab}")


def test_the_chiefs_page_shows_user_text_as_text(hostile, viewer):
    d, made = hostile
    page, requests = viewer
    page.goto(f"{d.url}/chief?chief={made['ids']['person']}")
    wait_idle(page)
    page.get_by_text("待办变化图斑").wait_for()
    check(page, requests, "chief")


def test_the_items_page_shows_user_text_as_text(hostile, viewer):
    d, made = hostile
    page, requests = viewer
    from geo.items import items as gitems
    from geo.store import open_store

    order = gitems.progress(open_store(d.db))["id"].astype(int).tolist()
    row = order.index(made["ids"]["item"])  # (the page lists the items in this order)
    page.goto(f"{d.url}/items")
    wait_idle(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 * (row + 1) + 17)  # the row's selection box
    wait_idle(page)
    page.get_by_role("heading", level=3).filter(has_text="粗").wait_for()
    check(page, requests, "items")


@pytest.mark.parametrize("path, tabs, shown", [
    ("escalation", ("esc.tab_orders", "esc.tab_brief"), True),  # chiefs, zones, orders
    ("admin", (), True),  # accounts (the display name)
    ("summary", (), False),  # batch and county names, none of them changed here: nothing made, at least
])
def test_the_other_pages_show_user_text_as_text(hostile, viewer, path, tabs, shown):
    d, _ = hostile
    page, requests = viewer
    page.goto(f"{d.url}/{path}")
    wait_idle(page)
    check(page, requests, path, shown=shown)
    for tab in tabs:
        open_tab(page, tab)
        check(page, requests, f"{path}: {tab}", shown=False)


# ------------------------------------------------------------------------------ Streamlit itself
SINKS_APP = '''
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from dashboard.components.text import plain

V = plain({payload!r})
EXTRA = {extra!r}
st.markdown("markdown " + V)
st.write("write " + V)
st.caption("caption " + V)
st.info("info " + V)
st.warning("warning " + V)
st.subheader("subheader " + V, anchor=False)
st.metric("metric " + V, "value " + V, help="help " + V)
with st.expander("expander " + V):
    st.write("inside")
st.tabs(["tab " + V, "two"])
st.radio("radio " + V, ["option " + V, "two"])
st.segmented_control("segmented", ["segment " + V])
st.button("button " + V)
st.text_input("label " + V)
st.image({image!r}, caption="image " + V, width=40)
st.page_link("https://example.org/", label="page link " + V)
for i, v in enumerate(EXTRA):
    st.markdown(plain(v))
    st.caption("caption" + str(i) + " " + plain(v))
'''
# what else Markdown (and Streamlit's renderer) would make something of, each at the start of a block
EXTRA = (":material/home: :material_home: :smile: :+1: :streamlit: 10:30:00",
         "a -> b <- c <-> d -- e >= f <= g ~= h", "http://example.invalid/x www.example.invalid a@example.invalid",
         "<http://example.invalid/y> [a][b] [^1] `code` **bold** __b__ *i* _i_ ~~s~~ ~s~ $x^2$ $$y$$ &amp; &#60;",
         ":blue-badge[b] :small[s] :color[c]{foreground=\"red\"} :help[h] ::x :::y", "# h1", "## h2", "- item",
         "+ item", "* item", "1. one", "2) two", "> quote", "---", "***", "___", "| a | b |", "=== x", "\\*not* \\",
         "    indented", "line one\n\n# line two\n- three",
         "EPSG:4326 PAN_NO_TB a_b_c _x_ a _b_ c snake_ __init__ :x a:b 10:30")


def test_plain_is_inert_in_every_streamlit_element_that_reads_markdown(browser, tmp_path):
    app = tmp_path / "sinks.py"
    app.write_text(SINKS_APP.format(root=str(ROOT), payload=PAYLOAD,
                                    image=str(ROOT / "dashboard" / "static" / "favicon.png"), extra=EXTRA),
                   encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = browser.new_context(viewport={"width": 1400, "height": 2400})
    try:
        import urllib.request

        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        requests: list[str] = []
        ctx.on("request", lambda r: requests.append(r.url))
        page = ctx.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        wait_idle(page)
        page.get_by_text("page link").wait_for()
        check(page, requests, "sinks")
        text = shown_text(page)
        for word in ("markdown", "write", "caption", "info", "warning", "subheader", "metric", "value", "expander",
                     "tab", "radio", "option", "segment", "button", "label", "image", "page link"):
            assert f"{word} {PAYLOAD}" in text, word
        for i, v in enumerate(EXTRA):  # each as typed (line breaks as spaces), in a block and in a caption
            assert " ".join(v.split()) in text, v
            assert f"caption{i} " + " ".join(v.split()) in text, v
        made = page.evaluate("""() => { const main = document.querySelector('[data-testid=stMain]');
          return [...main.querySelectorAll('[data-testid=stIconMaterial], .katex, a, h1, h2, ul, ol, blockquote, ' +
                                           'hr, table, code, pre, em, del, strong, span[class*=Badge]')]
            .filter(e => e.textContent.trim() === 'home' || !e.matches('[data-testid=stIconMaterial]'))
            .filter(e => !(e.matches('a') && e.getAttribute('href') === 'https://example.org/'))
            .map(e => e.outerHTML.slice(0, 100)); }""")
        assert not made, made
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(10)
