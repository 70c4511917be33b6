"""The review and escalation pages render (Streamlit AppTest) for the roles that use them, in
Chinese and English, on the demo store and an empty one; the menu offers the review queue only to
reviewers; the queue and the sent-back notice show what the store holds."""

from __future__ import annotations

import pytest

from geo import review as R
from geo.store import open_store
from tests.test_app import run_app, texts

REVIEWER = {"name": "league_reviewer", "display_name": "盟林草局销号审核员", "role": "league_reviewer", "counties": [],
            "disabled": False}
INSPECTOR = {"name": "tuquan_inspector", "display_name": "突泉县核查员", "role": "inspector", "counties": ["152224"],
             "disabled": False}
ADMIN = {"name": "admin", "display_name": "系统管理员", "role": "admin", "counties": [], "disabled": False}


@pytest.mark.parametrize("page", ["views/review.py", "views/escalation.py"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_render_for_a_reviewer(monkeypatch, demo_path, page, lang):
    at = run_app(monkeypatch, demo_path, page, lang, user=REVIEWER)
    assert not at.exception, at.exception
    assert "Traceback" not in texts(at)


@pytest.mark.parametrize("page", ["views/review.py", "views/escalation.py"])
def test_pages_render_on_an_empty_store(monkeypatch, tmp_path, page):
    db = tmp_path / "empty.gpkg"
    open_store(str(db), create=True)
    at = run_app(monkeypatch, db, page, user=ADMIN)
    assert not at.exception, at.exception


def test_the_menu_offers_the_queue_to_reviewers_only(monkeypatch, demo_path):
    at = run_app(monkeypatch, demo_path, user=INSPECTOR)
    with pytest.raises(ValueError):
        at.switch_page("views/review.py")
    at = run_app(monkeypatch, demo_path, "views/escalation.py", user=INSPECTOR)
    assert not at.exception


def test_the_queue_shows_what_waits_and_a_polygon_opens_by_link(monkeypatch, demo_path):
    store = open_store(str(demo_path))
    q = R.queue(store, "league")
    at = run_app(monkeypatch, demo_path, "views/review.py", user=REVIEWER)
    metric = next(m for m in at.metric if m.label.startswith("待盟市审核"))
    assert int(metric.value) == len(q) > 0
    fid = int(q["id"].iloc[0])
    at = run_app(monkeypatch, demo_path, "views/review.py", user=REVIEWER, query={"id": str(fid)})
    assert not at.exception
    assert any(str(store.get_feature("change", fid)["polygon_no"]) in s.value for s in at.subheader)
    assert any(c.value.startswith("按“") for c in at.caption)  # the rule the polygon's cause falls under


def test_the_map_page_says_why_a_polygon_was_sent_back(monkeypatch, demo_path):
    store = open_store(str(demo_path))
    back = store.read_layer("change", where={"status": "returned", "county_code": "152224"}, columns=["returned_reason"],
                            geometry=False)
    if back.empty:
        back = store.read_layer("change", where={"status": "returned"}, columns=["returned_reason", "county_code"],
                                geometry=False)
    fid, reason = int(back["id"].iloc[0]), back["returned_reason"].iloc[0]
    at = run_app(monkeypatch, demo_path, "views/map.py", user=ADMIN, query={"id": str(fid)})
    assert not at.exception
    assert any(reason in e.value and "退回" in e.value for e in at.error)


def test_the_leaders_screen_has_the_review_figures(monkeypatch, demo_path):
    from geo import stats

    fig = stats.summary(open_store(str(demo_path)), use_cache=False)["review"]["total"]
    at = run_app(monkeypatch, demo_path, "views/summary.py", user=ADMIN)
    assert not at.exception
    metric = next(m for m in at.metric if m.label == "审核销号")
    assert int(metric.value) == fig["approved"] > 0
