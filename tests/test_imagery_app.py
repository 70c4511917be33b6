"""The imagery page renders on the demo store (both languages) and on an empty store, with no
exception; English mode shows the English strings (Streamlit AppTest, headless)."""

from __future__ import annotations

import pytest

from geo.store import open_store
from tests.test_app import run_app, texts

PAGE = "views/imagery.py"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_imagery_page_renders_on_the_demo_store(monkeypatch, demo_path, lang):
    at = run_app(monkeypatch, demo_path, PAGE, lang)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Traceback" not in shown
    assert ("影像管理" if lang == "zh" else "Imagery") in shown
    assert [tab.label for tab in at.tabs][:2] == (["影像列表", "登记影像"] if lang == "zh" else ["Scenes", "Add a scene"])


def test_imagery_page_renders_on_an_empty_store(monkeypatch, tmp_path):
    db = tmp_path / "empty.gpkg"
    open_store(str(db), create=True)
    at = run_app(monkeypatch, db, PAGE)
    assert not at.exception, at.exception
    assert "还没有登记的影像" in texts(at)
