"""The review and escalation pages render (Streamlit AppTest) for the roles that use them, in
Chinese and English, on the demo store and an empty one; the menu offers the review queue only to
reviewers; the queue and the sent-back notice show what the store holds."""

from __future__ import annotations

import pytest

from geo.change import review as R
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
    from geo.stats import summary as stats

    fig = stats.summary(open_store(str(demo_path)), use_cache=False)["review"]["total"]
    at = run_app(monkeypatch, demo_path, "views/summary.py", user=ADMIN)
    assert not at.exception
    table = next(d.value for d in at.dataframe if "审核销号" in d.value.columns)
    total = table.iloc[0]
    assert total["旗县"] == "合计" and int(total["审核销号"]) == fig["approved"] > 0
    assert int(total["待审核"]) == fig["awaiting"] and total["待审核图斑"] == "/?status=applied,reviewed"


def test_the_order_register_page_flags_the_overdue_response(monkeypatch, demo_path):
    store = open_store(str(demo_path))
    orders = store.read_layer("order", columns=["order_no", "status", "deadline"], geometry=False)
    late = orders[(orders["status"] == "open") & (orders["deadline"] < str(__import__("datetime").date.today()))]
    fid = int(late["id"].iloc[0])
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def register_page():
        from dashboard.views.register import render

        render("order")

    monkeypatch.setenv("FOREST_DB", str(demo_path))
    st.cache_resource.clear()
    at = AppTest.from_function(register_page, default_timeout=120)
    at.session_state["user"] = ADMIN
    at.session_state["lang"] = "zh"
    at.query_params["id"] = str(fid)
    at.run()
    assert not at.exception, at.exception
    shown = [df.value for df in at.dataframe]
    table = next(t for t in shown if "状态" in t.columns and "责任区" in t.columns)
    assert (table["状态"] == "逾期未反馈").sum() == 1 and (table["状态"] == "已反馈").sum() == 2
