"""Every page renders real data, in Chinese and English, on the demo store and on an empty one —
with no exception and no traceback (Streamlit AppTest, headless)."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo.store import open_store

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ["views/map.py", "views/items.py", "views/summary.py", "views/upload.py", "views/field.py",
         "views/admin.py"]
ADMIN = {"name": "admin", "display_name": "系统管理员", "role": "admin", "counties": [], "disabled": False}


def run_app(monkeypatch, db, page=None, lang="zh", user=ADMIN, query=None) -> AppTest:
    monkeypatch.setenv("FOREST_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    if user is not None:
        at.session_state["user"] = user
    at.session_state["lang"] = lang
    if query:
        for k, v in query.items():
            at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def texts(at: AppTest) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "metric"):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_renders_on_the_demo_store(monkeypatch, demo_path, page, lang):
    at = run_app(monkeypatch, demo_path, page, lang)
    assert not at.exception, at.exception
    assert "Traceback" not in texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_an_empty_store(monkeypatch, tmp_path, page):
    db = tmp_path / "empty.gpkg"
    open_store(str(db), create=True)
    at = run_app(monkeypatch, db, page)
    assert not at.exception, at.exception


def test_language_switch_changes_the_page(monkeypatch, demo_path):
    zh = run_app(monkeypatch, demo_path, "views/summary.py", "zh")
    en = run_app(monkeypatch, demo_path, "views/summary.py", "en")
    assert "领导驾驶舱" in texts(zh) and "Summary screen" in texts(en)


def test_without_sign_in_no_page_renders_only_the_way_to_sign_in(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, user=None)
    assert not at.exception
    assert "请先登录" in texts(at)
    assert not at.text_input  # no password is typed into the app: /signin is a plain server page
    assert "图斑" not in texts(at)


def test_map_page_opens_a_polygon_from_the_url(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, query={"id": "1600"})
    assert not at.exception
    store = open_store(str(demo_path))
    number = store.get_feature("change", 1600)["polygon_no"]
    assert number in texts(at)


def test_map_list_opens_on_demand_and_lists_the_filtered_polygons(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, query={"status": "issued", "county": "152224"})
    assert not at.exception
    assert len(at.dataframe) == 0  # not loaded until asked for (the grid's scripts are heavy)
    at.toggle(key="list_show").set_value(True).run()
    assert not at.exception
    listed = at.dataframe[-1].value
    expected = open_store(str(demo_path)).count("change", where={"status": "issued", "county_code": "152224"})
    assert 0 < len(listed) == min(expected, 1000)
    assert set(listed["状态"]) == {"下发"}
    # a link can open the page with the list shown
    at = run_app(monkeypatch, demo_path, query={"status": "issued", "county": "152224", "list": "1"})
    assert len(at.dataframe[-1].value) == len(listed)


def test_single_sign_on_button_appears_when_configured(monkeypatch, demo_path):
    monkeypatch.setenv("FOREST_DB", str(demo_path))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "c", "client_secret": "s",
                          "server_metadata_url": "http://localhost/.well-known/openid-configuration"}
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert any(b.key == "sso" for b in at.button)
