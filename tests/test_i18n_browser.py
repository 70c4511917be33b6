"""Chinese throughout, as people see it: every page in Chinese mode, signed in as each role, in
Chromium, holds no Latin word outside an allow-list of units, codes, file formats, proper nouns
and account names.

What is scanned on each page, after opening its tabs and expanders: the text drawn on the page
(visible text nodes, icon ligatures excepted), the placeholders of empty inputs, every option of
every select box and multiselect (their lists opened one by one), the cells of data grids (the
grid's own accessible copy of what it draws), and the text inside the map. Screen-reader labels
Streamlit gives its own controls (e.g. "Collapse sidebar") and the data grid's toolbar are not:
the README lists them as what cannot be changed in Streamlit 1.67.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import login, wait_idle
from tests.conftest import DEMO_PASSWORDS

pytestmark = pytest.mark.browser

ROLES = ["admin", "staff", "leader", "tuquan_inspector"]
# a Latin word: letters (and _), not glued to digits (EPSG:4490, UI0001, v3 and CGCS2000 are codes)
WORD = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z][A-Za-z_']*(?![A-Za-z0-9_]|[-:]?\d)")
ALLOWED = {
    # units
    "km", "m", "ha", "MB", "KB", "GB", "mu",
    # codes, formats and standards
    "EPSG", "CGCS", "WGS", "GCJ", "UTM", "ID", "QR", "TIN", "NDVI", "MODIS", "UTF", "GBK", "BIG",
    "SHIFT_JIS", "CP", "KML", "KMZ", "GPX", "JSON", "GeoJSON", "GeoPackage", "Shapefile", "ZIP", "SHP", "SHX",
    "DBF", "PRJ", "CPG", "GPKG", "GEOJSON", "GeoTIFF", "TIFF", "COG", "PDF", "JPG", "JPEG", "PNG", "GIF", "WEBP",
    "Excel", "Word", "CSV", "PostGIS", "WMTS", "XYZ",
    # proper nouns
    "QGIS", "ArcGIS", "Leaflet", "OpenStreetMap", "Streamlit",
    # the language switch says its own name in both languages
    "Language", "English",
}
ACCOUNT = re.compile(  # login names are data
    r"^(?:admin|staff|leader|system|league_reviewer|province_checker|[a-z]+(?:_[a-z]+)*_inspector)$")

SCAN_JS = r"""() => {
  const out = [];
  const walk = (root, where) => {
    const w = root.createTreeWalker(root.body || root, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = w.nextNode())) {
      const text = n.nodeValue.trim();
      const el = n.parentElement;
      if (!text || !el || el.closest('[translate=no], style, script, noscript, title')) continue;
      const grid = el.closest('[data-testid=stDataFrame] table');
      if (grid) { if (!/^(true|false)$/.test(text) && !/^\.{0,2}\//.test(text)) out.push(['grid', text]); continue; }
      if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
      if (parseFloat(getComputedStyle(el).fontSize) === 0) continue;
      const r = el.getBoundingClientRect();
      if (r.right <= 0 || r.bottom + (root.defaultView || window).scrollY <= 0) continue;  // off the page
      if (r.width <= 1 && r.height <= 1) continue;  // visually hidden (screen-reader text)
      out.push([where, text]);
    }
    for (const el of root.querySelectorAll('input, textarea'))
      if (el.placeholder && !el.value && el.checkVisibility()) out.push([where + ' placeholder', el.placeholder]);
  };
  walk(document, 'text');
  for (const f of document.querySelectorAll('iframe')) {
    try { if (f.contentDocument && f.contentDocument.body) walk(f.contentDocument, 'map'); } catch (e) {}
  }
  return out;
}"""


def latin_words(items) -> dict[str, str]:
    bad = {}
    for kind, text in items:
        for word in WORD.findall(text):
            if word in ALLOWED or ACCOUNT.match(word):
                continue
            bad.setdefault(word, f"{kind}: {text[:120]}")
    return bad


def open_everything(page) -> list:
    """Scan the page, then again with each tab shown and each select list open."""
    found = list(page.evaluate(SCAN_JS))
    for summary in page.locator("[data-testid='stExpander'] summary").all():
        try:
            if summary.get_attribute("aria-expanded") != "true" and summary.is_visible():
                summary.click()
                wait_idle(page)
        except Exception:  # noqa: BLE001 - an expander that went away with a rerun
            pass
    found += page.evaluate(SCAN_JS)
    tabs = page.get_by_role("tab").all()
    for tab in tabs:
        try:
            tab.click(timeout=5_000)
            wait_idle(page)
            found += page.evaluate(SCAN_JS)
        except Exception:  # noqa: BLE001
            pass
    for box in page.locator("[data-testid='stSelectbox'], [data-testid='stMultiSelect']").all():
        try:
            if not box.is_visible():
                continue
            box.get_by_role("button", name="Open").first.click(timeout=3_000)
            page.get_by_role("listbox").first.wait_for(timeout=3_000)
            found += [["option", t] for t in page.get_by_role("listbox").first.locator("[role=option]").all_inner_texts()]
            page.keyboard.press("Escape")
        except Exception:  # noqa: BLE001 - a box without a list (disabled) or one a rerun replaced
            page.keyboard.press("Escape")
    return found


@pytest.fixture
def app(shared_dashboard):
    """The shared app server: the scan only reads (it opens tabs, expanders and select lists, and
    checks a batch on the upload page without importing it)."""
    return shared_dashboard


def feature_with_history(db: str, county: str | None) -> int:
    """A change polygon (in ``county``) that has been imported and moved at least twice."""
    from geo.store import open_store

    store = open_store(db)
    ev = store.events("change")
    moved = ev[ev["action"] == "transition"].groupby("feature_id").size()
    ids = moved[moved >= 2].index.tolist()
    frame = store.read_layer("change", ids=ids, columns=["county_code"], geometry=False)
    if county:
        frame = frame[frame["county_code"] == county]
    return int(frame["id"].iloc[0])


def batch_file(tmp: Path) -> Path:
    """A 森林督查 verification batch with the standard Chinese column names."""
    import geopandas as gpd

    from tests.test_ingest import tb, zipped

    f = tb(3, prefix="ZH")
    g = gpd.GeoDataFrame({"图斑号": f["PAN_NO_TB"], "县": f["XIAN"], "乡镇": f["XIANG"], "前地类": ["乔木林地"] * 3,
                          "后地类": ["建设用地"] * 3, "变化原因": ["建设项目使用林地"] * 3, "判读面积": f["MIAN_JI"],
                          "前时相": f["QQYX_SJ"], "后时相": f["HQYX_SJ"]}, geometry=f.geometry, crs=4490)
    path = tmp / "2024年第9期.zip"
    path.write_bytes(zipped(g, stem="2024年第9期图斑").files["2024年第9期图斑.zip"])
    return path


@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_chinese(app, browser, role, tmp_path):
    from geo.access.auth import access_for
    from geo.store import open_store

    account = open_store(app.db).user(role)
    county = min(access_for(account).counties or [None])
    fid = feature_with_history(app.db, county)
    pages = [f"?id={fid}&list=1", "items", "summary", "field?layer=signboard", "field?layer=patrol",
             "field?layer=restoration", "field?layer=occupation", "admin", "upload"]
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        login(page, app.url, role, DEMO_PASSWORDS[role])
        leaks = {}
        for path in pages:
            page.goto(f"{app.url}/{path}")
            wait_idle(page)
            page.wait_for_timeout(500)
            wait_idle(page)
            for word, where in latin_words(open_everything(page)).items():
                leaks.setdefault(word, f"/{path} {where}")
        if role == "staff":  # the upload page with a batch checked: report, mapping form, preview
            page.goto(f"{app.url}/upload")
            wait_idle(page)
            page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(batch_file(tmp_path)))
            wait_idle(page)
            page.get_by_text("检查结果").wait_for(timeout=60_000)
            for word, where in latin_words(open_everything(page)).items():
                leaks.setdefault(word, f"/upload (with a batch) {where}")
        assert not leaks, "\n".join(f"{w!r} on {where}" for w, where in sorted(leaks.items()))
    finally:
        ctx.close()


def test_the_scan_finds_what_it_should():
    found = latin_words([["text", "Upload"], ["text", "200MB per file • ZIP, SHP"], ["grid", "import"],
                         ["text", "CGCS2000 / 3-degree Gauss-Kruger zone 41"], ["text", "EPSG:4550 · 第41带"],
                         ["grid", "tuquan_inspector"], ["text", "图斑.zip 1.2KB"], ["option", "Select all"]])
    assert set(found) == {"Upload", "per", "file", "import", "degree", "Gauss", "Kruger", "zone", "Select", "all"}
