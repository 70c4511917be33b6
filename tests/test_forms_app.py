"""Forms on the review page, the leaders' screen and the escalation page (Streamlit AppTest): a
reviewer's decision on a polygon someone changed meanwhile is refused naming who and when (the
forms once carried the version in their key, so a submit was dropped, or made against the new
version unseen); a future as-of date or week is answered in Chinese, not by Streamlit's English
refusal of a bound."""

from __future__ import annotations

import re

import pytest

from geo.access.auth import Access
from geo.change import review as R
from geo.store import open_store
from tests.test_app import run_app
from tests.test_review_app import REVIEWER


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
