"""The review's figures per county, now and as of past days, across a send-back and a
re-submission — against a timeline kept by hand in the test, and through ``stats --json``."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo.change import review as R
from geo.stats import summary as stats
from geo.engine import workflow as W
from geo.change.review_figures import figures
from geo.core.timeutil import to_utc_text
from tests.helpers import add_batch, jpeg, polygons
from tests.review_support import JAL, LG, TQ, config, geo_cli

D0, D1, D2, D3, D4 = (dt.date(2024, 5, d) for d in (2, 6, 8, 10, 13))


def at(day: dt.date, hour: int = 10) -> str:
    return to_utc_text(dt.datetime.combine(day, dt.time(hour)))  # Beijing time


CONFIG = '[review]\nlevels = ["league"]\nleague_share = 0.3\nleague_min = 2\n'


def build_timeline(store):
    """突泉县 A, B and 扎赉特旗 C apply on D1; A is sent back on D2 and re-submitted on D3; A and B
    are approved on D4 (two review levels)."""
    bid = add_batch(store)
    ids = []
    for county, name, x0 in (("152224", "突泉县", 121.5), ("152223", "扎赉特旗", 121.9)):
        frame = polygons(2 if county == "152224" else 1, x0=x0, county_code=county, county=name, after_date="2024-03-01")
        with store.transaction() as tx:
            ids += store.insert_features(tx, "change", frame, actor="staff", batch_id=bid, at=at(D0, 9))
    a, b, c = ids
    for fid, who in ((a, TQ), (b, TQ), (c, JAL)):
        W.transition(store, "change", fid, "verifying", actor=who.user, access=who, at=at(D0, 11))
        W.transition(store, "change", fid, "verified", actor=who.user, access=who, at=at(D0, 15),
                     fields={"verdict": "no_change", "verified_cause": "植物季节性变化"}, attachments=[("p.jpg", jpeg())])
        W.transition(store, "change", fid, "applied", actor=who.user, access=who, at=at(D1),
                     attachments=[("p.jpg", jpeg())])
    d = R.draw(store, "152224", "league", actor="lg", access=LG, seed=4, at=at(D2, 9))
    assert sorted(d["sample"]) == [a, b]  # at least 2: both
    R.record_check(store, a, method="field", result="fail", note="照片无坐标", actor="lg", access=LG, at=at(D2, 10))
    R.send_back(store, a, "现场照片无坐标和拍摄时间，请补拍", actor="lg", access=LG, at=at(D2, 11))
    W.transition(store, "change", a, "applied", actor="tq", access=TQ, at=at(D3), comment="已补拍",
                 attachments=[("q.jpg", jpeg(colour=(10, 200, 10)))])
    R.draw(store, "152224", "league", actor="lg", access=LG, seed=5, at=at(D4, 9))
    R.record_check(store, a, method="field", result="pass", note="补拍照片一致", actor="lg", access=LG, at=at(D4, 10))
    R.record_check(store, b, method="imagery", result="pass", note="影像一致", actor="lg", access=LG, at=at(D4, 10))
    R.approve(store, a, actor="lg", access=LG, at=at(D4, 14))
    R.approve(store, b, actor="lg", access=LG, at=at(D4, 14))
    return a, b, c


@pytest.fixture
def timeline(store, tmp_path, monkeypatch):
    monkeypatch.setenv("FOREST_CONFIG", config(tmp_path, CONFIG)["FOREST_CONFIG"])
    return build_timeline(store)


def county(fig, code):
    return next(r for r in fig["by_county"] if r["county_code"] == code)


# (day, county, expected) — counted by hand from the timeline above
EXPECTED = [
    (D1, "152224", dict(awaiting=2, oldest_days=0, applied=2, resubmitted=0, approved=0, sent_back=0, sent_back_rate=None,
                        sampled=0, checked=0, median_days=None)),
    (D1, "152223", dict(awaiting=1, oldest_days=0, applied=1, approved=0, sent_back=0)),
    (D2, "152224", dict(awaiting=1, oldest_days=2, applied=2, approved=0, sent_back=1, sent_back_rate=100.0, sampled=2,
                        checked=1)),
    (D3, "152224", dict(awaiting=2, oldest_days=4, applied=3, resubmitted=1, sent_back=1, sampled=2, checked=1)),
    (D4, "152224", dict(awaiting=0, oldest_days=None, applied=3, resubmitted=1, approved=2, sent_back=1,
                        sent_back_rate=33.3, sampled=3, checked=3, median_days=7.2)),
    (D4, "152223", dict(awaiting=1, oldest_days=7, approved=0, sampled=0)),
]


@pytest.mark.parametrize("day, code, expected", EXPECTED, ids=[f"{d}-{c}" for d, c, _ in EXPECTED])
def test_figures_as_of_each_day_across_a_send_back(store, timeline, day, code, expected):
    fig = figures(store, as_of=day)
    got = county(fig, code)
    assert {k: got[k] for k in expected} == expected


def test_now_equals_the_last_day_and_stats_carries_it(store, timeline):
    a, b, c = timeline
    now = figures(store, today=D4)
    assert county(now, "152224")["approved"] == 2 and now["total"]["awaiting"] == 1
    fig = stats.summary(store, as_of=D2, use_cache=False)
    assert fig["review"]["total"]["sent_back"] == 1
    assert fig["change"]["by_status"]["returned"] == 1 and fig["change"]["by_status"]["applied"] == 2
    past = stats.summary(store, as_of=D3, use_cache=False)["change"]["by_status"]
    assert (past["applied"], past["returned"], past["closed"]) == (3, 0, 0)
    later = stats.summary(store, as_of=D4, use_cache=False)["change"]
    assert later["by_status"]["closed"] == 2 and later["closed"] == 2 and later["open"] == 1
    # a county's account sees only its county
    from geo.access.scope import ScopedStore

    mine = figures(ScopedStore(store, JAL), as_of=D4)
    assert [r["county_code"] for r in mine["by_county"]] == ["152223"]


def test_stats_json_as_of(gpkg_url, tmp_path, monkeypatch):
    from geo.store import open_store

    env = config(tmp_path, CONFIG)
    monkeypatch.setenv("FOREST_CONFIG", env["FOREST_CONFIG"])
    build_timeline(open_store(gpkg_url, create=True))
    out = json.loads(geo_cli("stats", "--json", "--as-of", D2.isoformat(), db=gpkg_url, env=env, check=0).stdout)
    assert county(out["review"], "152224")["sent_back"] == 1 and county(out["review"], "152224")["awaiting"] == 1
    out = json.loads(geo_cli("review", "figures", "--as-of", D4.isoformat(), db=gpkg_url, env=env, check=0).stdout)
    assert county(out, "152224")["approved"] == 2 and county(out, "152224")["median_days"] == 7.2
