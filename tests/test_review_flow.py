"""The closure review in the library, on both stores: apply, sample, check, approve, send back,
re-submit — with two levels and with three; jurisdiction and roles; the spot-check sample redrawn
from its recorded seed by an independent implementation of the documented procedure; and a
county applying while the league approves, at the same moment."""

from __future__ import annotations

import math
import random
import threading

import pytest

from geo.change import review as R
from geo.engine import workflow as W
from geo.core.errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from tests.helpers import jpeg
from tests.review_support import JAL, LG, LG_JAL, PV, TQ, apply, config, polygons_in, to_verified


@pytest.fixture
def two_levels(tmp_path, monkeypatch):
    monkeypatch.setenv("FOREST_CONFIG", config(tmp_path, '[review]\nlevels = ["league"]\nleague_share = 0.3\n'
                                                         'league_min = 2\n')["FOREST_CONFIG"])


@pytest.fixture
def three_levels(tmp_path, monkeypatch):
    monkeypatch.setenv("FOREST_CONFIG", config(tmp_path, '[review]\nlevels = ["league", "province"]\n'
                                                         'league_share = 0.3\nleague_min = 2\nprovince_share = 0.2\n'
                                                         'province_min = 1\n')["FOREST_CONFIG"])


CAUSES = ["植物季节性变化", "遥感数据质量", "60 森林抚育"]


def applied_in(store, n, county="152224", name="突泉县", who=TQ, x0=121.5):
    ids = polygons_in(store, n, county_code=county, county=name, x0=x0)
    for k, fid in enumerate(ids):
        verdict = "no_change" if k % 3 < 2 else "legal"
        to_verified(store, fid, verdict, CAUSES[k % 3], access=who)
        apply(store, fid, access=who)
    return ids


def test_two_levels_apply_sample_check_send_back_resubmit_approve(store, two_levels):
    ids = applied_in(store, 7)
    other = applied_in(store, 3, "152223", "扎赉特旗", JAL, x0=121.8)
    assert set(R.queue(store, "league", access=LG)["id"]) == set(ids + other)
    assert set(R.queue(store, "league", access=LG_JAL)["id"]) == set(other)  # the reviewer's jurisdiction
    with pytest.raises(TransitionError, match="draw one"):  # approval waits for the county's sample
        R.approve(store, ids[0], actor="lg", access=LG)
    with pytest.raises(PermissionDenied):
        R.draw(store, "152224", "league", actor="lg_jal", access=LG_JAL)
    with pytest.raises(PermissionDenied):
        R.draw(store, "152224", "league", actor="tq", access=TQ)
    d = R.draw(store, "152224", "league", actor="lg", access=LG, seed=7)
    assert len(d["sample"]) == math.ceil(0.3 * 7) and set(d["sample"]) <= set(ids)
    assert sum(n for _, n in d["strata"].values()) == len(d["sample"])
    assert all(n >= 1 for _, n in d["strata"].values())  # every cause looked at
    with pytest.raises(ValidationError):  # everything in 突泉县 is covered now
        R.draw(store, "152224", "league", actor="lg", access=LG)
    q = R.queue(store, "league", access=LG, counties=["152224"]).set_index("id")
    assert q["draw_no"].tolist() == [d["no"]] * 7 and q["sampled"].sum() == len(d["sample"])
    # bulk: the unsampled ones pass, the sampled ones wait for their check
    res = R.approve_many(store, [(i, None) for i in ids], actor="lg", access=LG)
    assert sorted(res["done"]) == sorted(set(ids) - set(d["sample"]))
    assert {r["id"] for r in res["refused"]} == set(d["sample"])
    assert all("需先登记复核结果" in r["message_zh"] for r in res["refused"])
    first, second = d["sample"][:2]
    with pytest.raises(ValidationError):  # a check says what was found
        R.record_check(store, first, method="field", result="pass", actor="lg", access=LG)
    with pytest.raises(PermissionDenied):
        R.record_check(store, first, method="field", result="pass", note="x", actor="tq", access=TQ)
    R.record_check(store, first, method="field", result="pass", note="实地核查与材料一致", actor="lg", access=LG)
    R.record_check(store, second, method="imagery", result="fail", actor="lg", access=LG,
                   attachments=[("影像.jpg", jpeg())])
    R.approve(store, first, actor="lg", access=LG)
    assert store.get_feature("change", first)["status"] == "closed"
    with pytest.raises(TransitionError, match="send it back"):
        R.approve(store, second, actor="lg", access=LG)
    with pytest.raises(TransitionError):  # a send-back says why
        R.send_back(store, second, "  ", actor="lg", access=LG)
    R.send_back(store, second, "整改后植被未恢复，请补植后重新上报", actor="lg", access=LG)
    feat = store.get_feature("change", second)
    assert (feat["status"], feat["returned_reason"], feat["check_result"]) == ("returned", "整改后植被未恢复，请补植后重新上报", None)
    kind, text = R.banner(store, feat)
    assert kind == "error" and "整改后植被未恢复" in text and "盟市审核" in text
    # the county re-submits: a second submission, visible as such, covered by a new draw only
    with pytest.raises(TransitionError, match="comment"):
        W.transition(store, "change", second, "applied", actor="tq", access=TQ, attachments=[("b.jpg", jpeg())])
    W.transition(store, "change", second, "applied", actor="tq", access=TQ, comment="已补植并补充照片",
                 attachments=[("补植后.jpg", jpeg())])
    feat = store.get_feature("change", second)
    assert feat["review_round"] == 2 and R.banner(store, feat)[0] == "info"
    q = R.queue(store, "league", access=LG, counties=["152224"])
    row = q[q["id"] == second].iloc[0]
    assert row["resubmitted"] and row["draw_no"] is None
    d2 = R.draw(store, "152224", "league", actor="lg", access=LG, seed=11)
    assert [p[0] for p in d2["population"]] == [second] and d2["sample"] == [second]  # at least N, all if fewer
    R.record_check(store, second, method="field", result="pass", note="补植到位", actor="lg", access=LG)
    R.approve(store, second, actor="lg", access=LG)
    rest = [i for i in ids if store.get_feature("change", i)["status"] == "applied"]
    for fid in rest:
        R.record_check(store, fid, method="imagery", result="pass", note="影像核查", actor="lg", access=LG)
    assert sorted(R.approve_many(store, [(i, None) for i in rest], actor="lg", access=LG)["done"]) == sorted(rest)
    assert {store.get_feature("change", i)["status"] for i in ids} == {"closed"}
    # every step an event with actor, time and comment
    hist = store.history("change", second)
    assert [(e["action"], e["to_status"], e["actor"]) for e in hist[3:]] == [
        ("transition", "applied", "tq"), ("check", "applied", "lg"), ("transition", "returned", "lg"),
        ("transition", "applied", "tq"), ("check", "applied", "lg"), ("transition", "closed", "lg")]
    assert all(e["at"] and e["actor"] for e in hist) and all(e["comment"] for e in hist[4:])  # decisions say why
    assert [e["comment"] for e in hist if e["to_status"] == "returned"] == ["整改后植被未恢复，请补植后重新上报"]


def test_three_levels_the_province_spot_checks_what_the_league_passed(store, three_levels):
    ids = applied_in(store, 5)
    assert [t.dst for t in W.allowed("change", "applied", LG)] == ["reviewed", "returned"]
    R.draw(store, "152224", "league", actor="lg", access=LG, seed=3)
    for fid in ids:
        R.record_check(store, fid, method="imagery", result="pass", note="影像一致", actor="lg", access=LG)
    with pytest.raises(PermissionDenied):
        R.approve(store, ids[0], actor="pv", access=PV)
    R.approve_many(store, [(i, None) for i in ids], actor="lg", access=LG)
    assert {store.get_feature("change", i)["status"] for i in ids} == {"reviewed"}
    feat = store.get_feature("change", ids[0])
    assert feat["check_result"] is None  # the province checks for itself
    with pytest.raises(PermissionDenied):
        R.draw(store, "152224", "province", actor="lg", access=LG)
    d = R.draw(store, "152224", "province", actor="pv", access=PV, seed=5)
    assert len(d["sample"]) == 1 and d["level"] == "province"
    (s,) = d["sample"]
    rest = [i for i in ids if i != s]
    R.send_back(store, rest[0], "影像显示变化范围大于审核面积", actor="pv", access=PV)
    assert R.return_notice(store, store.get_feature("change", rest[0]))["level"] == "province"
    res = R.approve_many(store, [(i, None) for i in ids if i != rest[0]], actor="pv", access=PV)
    assert res["refused"] and res["refused"][0]["id"] == s
    R.record_check(store, s, method="field", result="pass", note="省级实地抽查", actor="pv", access=PV)
    R.approve(store, s, actor="pv", access=PV)
    assert store.get_feature("change", s)["status"] == "closed"
    assert store.get_feature("change", rest[0])["status"] == "returned"


# ------------------------------------------------------------------------------ the sample and its seed
def documented_sample(population, share, minimum, seed):
    """The procedure of geo.change.review.sample_of's docstring, written again from the text alone."""
    n = min(len(population), max(minimum, math.ceil(share * len(population))))
    strata = {}
    for fid, s in population:
        strata.setdefault(s, []).append(fid)
    sizes = {k: len(v) for k, v in strata.items()}
    alloc = R.allocate(sizes, n)
    rng = random.Random(seed)
    out = []
    for k in sorted(strata):
        keys = sorted((rng.random(), fid) for fid in sorted(strata[k]))
        out += [fid for _, fid in keys[:alloc[k]]]
    return sorted(out)


def test_a_draw_is_reproducible_from_its_recorded_seed(store, two_levels):
    applied_in(store, 12)
    d = R.draw(store, "152224", "league", actor="lg", access=LG)  # a seed the system chose
    rec = R.draws(store, level="league", county_code="152224")[0]
    assert rec["seed"] == d["seed"] and rec["sample"] == d["sample"] and rec["algorithm"] == "random-keys-v1"
    check = R.verify_draw(store, d["no"])
    assert check["ok"] and check["redrawn"] == check["recorded"] == sorted(d["sample"])
    pop = [(p[0], p[2]) for p in rec["population"]]
    assert documented_sample(pop, rec["share"], rec["min_n"], rec["seed"]) == rec["sample"]
    # another seed (almost always) another sample; a tampered record does not verify
    others = {tuple(R.sample_of(pop, rec["share"], rec["min_n"], s)) for s in range(20)}
    assert len(others) > 1
    a, b = R.sample_of(pop, rec["share"], rec["min_n"], 1), R.sample_of(pop, rec["share"], rec["min_n"], 2)
    assert a != b and R.redraw({**rec, "seed": 1}) == a  # a record claiming another seed shows another sample


def test_allocation_is_proportional_with_every_stratum_seen():
    assert R.allocate({"a": 10, "b": 10}, 4) == {"a": 2, "b": 2}
    assert R.allocate({"a": 18, "b": 1, "c": 1}, 3) == {"a": 1, "b": 1, "c": 1}
    assert R.allocate({"a": 18, "b": 1, "c": 1}, 6) == {"a": 4, "b": 1, "c": 1}
    assert R.allocate({"a": 2, "b": 1}, 10) == {"a": 2, "b": 1}
    assert R.sample_size(40, 0.1, 3) == 4 and R.sample_size(10, 0.1, 3) == 3 and R.sample_size(2, 0.1, 3) == 2
    assert sum(R.allocate({"a": 7, "b": 5, "c": 3}, 5).values()) == 5


# ------------------------------------------------------------------------------ at the same moment
def test_a_county_applying_and_the_league_approving_at_once_lose_nothing(store, two_levels):
    ready = applied_in(store, 4)
    R.draw(store, "152224", "league", actor="lg", access=LG, seed=1)
    for fid in ready:
        R.record_check(store, fid, method="imagery", result="pass", note="一致", actor="lg", access=LG)
    waiting = polygons_in(store, 4, x0=122.0)
    for k, fid in enumerate(waiting):
        to_verified(store, fid, "no_change", CAUSES[0], access=TQ)
    errors = []

    def county():
        for fid in waiting:
            try:
                apply(store, fid)
            except Exception as err:  # noqa: BLE001 - collected and reported
                errors.append(err)

    def league():
        for fid in ready:
            try:
                R.approve(store, fid, actor="lg", access=LG)
            except Exception as err:  # noqa: BLE001
                errors.append(err)

    threads = [threading.Thread(target=county), threading.Thread(target=league)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert {store.get_feature("change", i)["status"] for i in ready} == {"closed"}
    assert {store.get_feature("change", i)["status"] for i in waiting} == {"applied"}
    for fid in ready + waiting:  # every change has its event, versions count them
        hist = store.history("change", fid)
        assert hist[-1]["version"] == store.get_feature("change", fid)["version"] == len(hist)
    # the same polygon at once: one wins, the other is told who changed it
    (fid,) = [i for i in waiting][:1]
    R.draw(store, "152224", "league", actor="lg", access=LG, seed=2)
    R.record_check(store, fid, method="field", result="pass", note="一致", actor="lg", access=LG)
    v = store.get_feature("change", fid)["version"]
    results = []
    barrier = threading.Barrier(2)

    def act(kind):
        barrier.wait()
        try:
            if kind == "approve":
                R.approve(store, fid, actor="lg", version=v, access=LG)
            else:
                R.send_back(store, fid, "材料不全", actor="lg", version=v, access=LG)
            results.append(kind)
        except ConflictError as err:
            results.append(("conflict", err.details["changed_by"]))

    threads = [threading.Thread(target=act, args=(k,)) for k in ("approve", "send_back")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 2 and sum(isinstance(r, tuple) for r in results) == 1, results
    won = next(r for r in results if not isinstance(r, tuple))
    assert store.get_feature("change", fid)["status"] == ("closed" if won == "approve" else "returned")
