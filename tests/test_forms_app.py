"""Forms on the review page, the leaders' screen and the escalation page (Streamlit AppTest): a
reviewer's decision on a polygon someone changed meanwhile is refused naming who and when (the
forms once carried the version in their key, so a submit was dropped, or made against the new
version unseen); a future as-of date or week is answered in Chinese, not by Streamlit's English
refusal of a bound."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from geo.access.auth import Access
from geo.change import review as R
from geo.core.timeutil import today_local
from geo.store import open_store
from tests.test_app import run_app, texts
from tests.test_review_app import ADMIN, REVIEWER


def _decide(at, fid: int, how: str) -> None:
    if how == "approve":
        at.button(key=f"rv_ok_{fid}").click().run()
    else:
        next(a for a in at.text_area if a.label == "退回原因（必填）").input("图斑边界与现场不符")
        next(b for b in at.button if b.label == "退回旗县").click().run()


@pytest.mark.parametrize("how", ["approve", "send back"])
def test_a_reviewers_stale_decision_is_refused_naming_who_and_when(monkeypatch, demo_path, how):
    store = open_store(str(demo_path))
    fid = int(R.queue(store, "league")["id"].iloc[0])
    # (an approval waits for its county's sample draw; a sampled polygon for its check, made below)
    R.draw(store, store.get_feature("change", fid)["county_code"], "league", actor="league_reviewer", seed=7)
    at = run_app(monkeypatch, demo_path, "views/review.py", user=REVIEWER, query={"id": str(fid)})
    assert not at.exception, at.exception
    opened = store.get_feature("change", fid)
    # meanwhile another account records its check of the same polygon
    R.record_check(store, fid, method="field", result="pass", note="现场已复绿", actor="admin",
                   access=Access("admin", "admin"), version=int(opened["version"]))
    changed = store.get_feature("change", fid)
    _decide(at, fid, how)
    assert not at.exception, at.exception
    warning = "\n".join(w.value for w in at.warning)
    assert re.search(r"已被 admin 于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}", warning), warning  # who and when
    assert "请刷新后重新操作" in warning
    now = store.get_feature("change", fid)
    assert now["status"] == opened["status"] and int(now["version"]) == int(changed["version"])  # nothing written
    # refreshed to what is there now, the reviewer's next decision goes through
    _decide(at, fid, how)
    assert store.get_feature("change", fid)["status"] != opened["status"]


def _future() -> dt.date:
    return today_local() + dt.timedelta(days=30)


def test_a_future_as_of_date_on_the_leaders_screen_is_answered_in_chinese(monkeypatch, demo_path):
    day = _future()
    at = run_app(monkeypatch, demo_path, "views/summary.py", user=ADMIN)
    at.text_input(key="sum_asof_text").input(day.isoformat()).run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert f"统计截至日期 {day.isoformat()} 晚于今天" in shown, shown[:2000]
    assert at.text_input(key="sum_asof_text").value == today_local().isoformat()  # today's figures
    at.date_input(key="sum_asof_pick").set_value(day).run()  # the calendar has no bound of its own
    assert not at.exception, at.exception
    assert f"统计截至日期 {day.isoformat()} 晚于今天" in texts(at)
    at = run_app(monkeypatch, demo_path, "views/summary.py", user=ADMIN, query={"as_of": day.isoformat()})
    assert f"统计截至日期 {day.isoformat()} 晚于今天" in texts(at)


def test_a_future_week_on_the_escalation_page_is_answered_in_chinese(monkeypatch, demo_path):
    day = _future()
    at = run_app(monkeypatch, demo_path, "views/escalation.py", user=ADMIN)
    at.date_input(key="esc_week").set_value(day).run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert f"所选日期 {day.isoformat()} 晚于今天" in shown, shown[:2000]
    assert "Streamlit" not in shown and "must be" not in shown


def test_bulk_approval_approves_what_the_reviewer_saw_not_what_changed_since(monkeypatch, demo_path):
    """批量审核通过 acts on the list as the reviewer saw it: a polygon someone changed after the page
    was drawn is refused (who changed it is named), the others are approved."""
    store = open_store(str(demo_path))
    queue = R.queue(store, "league")
    county = queue["county_code"].iloc[0]
    R.draw(store, county, "league", actor="league_reviewer", seed=7)
    drawn = R.queue(store, "league")
    for fid, version in zip(drawn.loc[drawn["sampled"].astype(bool), "id"], drawn.loc[drawn["sampled"].astype(bool), "version"]):
        R.record_check(store, int(fid), method="field", result="pass", note="现场已复绿", actor="admin",
                       access=Access("admin", "admin"), version=int(version))
    at = run_app(monkeypatch, demo_path, "views/review.py", user=REVIEWER)
    assert not at.exception, at.exception
    ready = R.queue(store, "league")
    ready = ready[ready["draw_no"].notna()]
    assert len(ready) >= 2, ready
    changed = int(ready["id"].iloc[0])
    # meanwhile an administrator changes one of them
    from geo.engine import workflow
    workflow.edit(store, "change", changed, actor="admin", fields={"measure": "补植补造"},
                  access=Access("admin", "admin"))
    at.button(key="rv_bulk").click().run()
    assert not at.exception, at.exception
    shown = "\n".join(w.value for w in at.warning) + "\n".join(s.value for s in at.success)
    assert f"#{changed}：" in shown and "已被 admin 于" in shown, shown
    assert store.get_feature("change", changed)["status"] == R.PENDING["league"]
    others = [int(i) for i in ready["id"].iloc[1:]]
    assert all(store.get_feature("change", i)["status"] != R.PENDING["league"] for i in others)
