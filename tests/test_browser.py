"""The real dashboard in Debian Chromium: sign in, the map draws the demo polygons, offline."""

from __future__ import annotations

import urllib.request

import pytest

from tests.browser import login, map_frame, wait_drawn
from tests.conftest import DEMO_PASSWORDS

pytestmark = pytest.mark.browser


def test_map_page_draws_the_demo_polygons_with_no_internet(shared_dashboard, page):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    login(page, shared_dashboard.url, "admin", DEMO_PASSWORDS["admin"])
    frame = map_frame(page)
    drawn = wait_drawn(page, minimum=1000)
    from geo.store import open_store

    # every demo polygon, coloured by status: all lie in the league now, the automatically
    # detected ones included (found on the demo's synthetic imagery of 兴安盟)
    assert drawn == open_store(shared_dashboard.db).count("change") > 1675
    scale = frame.locator(".leaflet-control-scale-line")
    assert scale.count() == 1 and scale.first.inner_text().endswith(("km", " m"))  # metric only, no miles
    host = shared_dashboard.url
    external = [u for u in requests if not u.startswith((host, "data:", "blob:", "about:"))]
    assert external == [], f"the page reached outside the app: {external[:5]}"
    assert any("/app/static/vendor/leaflet/leaflet.js" in u for u in requests)


def test_streamlit_config_toml_is_the_configuration_in_effect(shared_dashboard):
    # enableStaticServing is off by default; only streamlit_config.toml switches it on
    with urllib.request.urlopen(shared_dashboard.url + "/app/static/vendor/leaflet/leaflet.js") as r:
        assert r.status == 200
        assert "javascript" in r.headers["Content-Type"]
        assert b"Leaflet" in r.read(2000)


def test_a_polygons_field_check_sheet_is_downloaded_from_its_details(shared_dashboard, page, tmp_path):
    """What ``python -m geo imagery sheet`` writes, a page offers (issue 22): the 图斑核查表 of the
    polygon open in the details, as a Word file named for the polygon."""
    import docx

    from geo.store import open_store
    from tests.browser import wait_idle

    store = open_store(shared_dashboard.db)
    feat = store.read_layer("change", where={"county_code": "152224"}, columns=["polygon_no"], limit=1,
                            geometry=False).iloc[0]
    login(page, shared_dashboard.url, "tuquan_inspector", DEMO_PASSWORDS["tuquan_inspector"], path=f"?id={feat['id']}")
    page.get_by_role("button", name="生成图斑核查表（Word）").click()
    wait_idle(page)
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="下载图斑核查表").click()
    path = tmp_path / "sheet.docx"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.startswith(f"图斑核查表_{feat['polygon_no']}_")
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "图斑核查表" in text
    cells = " ".join(c.text for t in docx.Document(str(path)).tables for r in t.rows for c in r.cells)
    assert str(feat["polygon_no"]) in text + cells
