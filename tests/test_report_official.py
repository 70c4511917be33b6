"""Official figures: only polygons of official batches inside the jurisdiction count; the upload
sets a batch's purpose (automatic detection starts as a candidate), a reviewer promotes it, old
stores are migrated, and past figures keep the purposes of their day."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from geo.engine import official
from geo.core.errors import PermissionDenied, ValidationError
from geo.store import open_store
from tests.helpers import insert, polygons

ROOT = Path(__file__).resolve().parent.parent


def geo(*args):
    return subprocess.run([sys.executable, "-m", "geo", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def add_batch(store, name="2024年第1期", source="测试来源", **kw):
    with store.transaction() as tx:
        return store.add_batch(tx, name=name, layer="change", source=source, kind="forest",
                               issued_on="2024-04-01", verify_deadline="2024-06-30",
                               rectify_deadline="2024-12-31", **kw)


def _summary(store, **kw):
    from geo.stats.summary import summary

    return summary(store, use_cache=False, **kw)


def test_a_batch_purpose_defaults_by_its_source(store):
    auto = add_batch(store, name="自动检测第1批", source="自动检测（NDVI）")
    plain = add_batch(store, name="2024年第1期")
    test = add_batch(store, name="试传", purpose="test")
    flag = add_batch(store, name="非正式", official=False)
    b = store.batches().set_index("id")
    assert b.loc[auto, "purpose"] == "candidate" and b.loc[plain, "purpose"] == "official"
    assert b.loc[test, "purpose"] == "test" and b.loc[flag, "purpose"] == "test"
    with pytest.raises(ValidationError, match="purpose"):
        add_batch(store, name="坏", purpose="maybe")


def test_only_official_batches_inside_the_jurisdiction_count(store):
    official_b = add_batch(store, name="正式批次")
    candidate = add_batch(store, name="候选批次", source="自动检测（NDVI）")
    insert(store, polygons(4), official_b)
    insert(store, polygons(3, x0=121.7), candidate)
    insert(store, polygons(2, x0=121.9, county_code=None, county=None), official_b)  # placed in no county
    fig = _summary(store)
    assert fig["change"]["total"] == 4
    assert sum(r["total"] for r in fig["by_county"]) == 4
    assert [b["batch_id"] for b in fig["by_batch"]] == [official_b]
    sc = fig["scope"]
    assert sc["excluded"] == [{"batch_id": candidate, "name": "候选批次", "purpose": "candidate", "n": 3}]
    assert sc["outside_jurisdiction"] == 2
    # a requested batch that is not official counts nothing, and says so
    fig = _summary(store, batch_ids=[candidate])
    assert fig["change"]["total"] == 0 and fig["scope"]["dropped_batch_ids"] == [candidate]


def test_a_reviewer_promotes_a_candidate_and_past_figures_stay(store):
    from geo.access.auth import access_for

    base = add_batch(store, name="正式批次")
    cand = add_batch(store, name="候选批次", source="自动检测（NDVI）")
    insert(store, polygons(2), base)
    insert(store, polygons(3, x0=121.7), cand)
    from geo.core.timeutil import today_local

    yesterday = today_local() - dt.timedelta(days=1)
    leader = access_for({"name": "leader", "role": "leader", "counties": []})
    with pytest.raises(PermissionDenied):
        official.promote(store, cand, actor="leader", access=leader)
    assert _summary(store)["change"]["total"] == 2
    staff = access_for({"name": "staff", "role": "staff", "counties": []})
    assert official.promote(store, cand, actor="staff", access=staff) == "candidate"
    assert store.batch(cand)["purpose"] == "official"
    assert _summary(store)["change"]["total"] == 5
    # the promotion is an event; the day before, the batch was still a candidate
    ev = store.events() if hasattr(store, "events") else None
    assert ev is not None and ((ev["layer"] == "batch") & (ev["action"] == "purpose")).sum() == 1
    assert official.purposes(store, as_of=yesterday)[cand] == "candidate"
    assert official.purposes(store, as_of=today_local())[cand] == "official"


def test_the_trend_leaves_out_what_does_not_count(store):
    from geo.engine import workflow as W

    base = add_batch(store, name="正式批次")
    cand = add_batch(store, name="候选批次", source="自动检测（NDVI）")
    a = insert(store, polygons(2), base)
    b = insert(store, polygons(3, x0=121.7), cand)
    for fid in [*a, *b]:
        W.transition(store, "change", fid, "verifying", actor="张三")
        W.transition(store, "change", fid, "verified", actor="张三", fields={"verdict": "no_change"})
    trend = _summary(store)["trend"]
    assert sum(w["verified"] for w in trend) == 2


def test_an_old_store_gets_the_purpose_column(tmp_path):
    path = tmp_path / "old.gpkg"
    store = open_store(str(path), create=True)
    add_batch(store, name="2022年第1期")
    add_batch(store, name="自动检测", source="自动检测（NDVI）")
    with sqlite3.connect(path) as con:  # as a store from before batches had a purpose
        con.execute("ALTER TABLE batches DROP COLUMN purpose")
    from geo.store import _migrated

    _migrated.discard(str(path))
    again = open_store(str(path))
    assert again.batches()["purpose"].tolist() == ["official", "candidate"]


def test_the_cli_lists_and_promotes(tmp_path):
    path = tmp_path / "s.gpkg"
    store = open_store(str(path), create=True)
    cand = add_batch(store, name="候选批次", source="自动检测（NDVI）")
    insert(store, polygons(3), cand)
    out = json.loads(geo("batches", "--json", "--db", path).stdout)
    assert [(b["id"], b["purpose"]) for b in out["batches"]] == [(cand, "candidate")]
    stats = json.loads(geo("stats", "--json", "--db", path).stdout)
    assert stats["change"]["total"] == 0 and stats["scope"]["excluded"][0]["n"] == 3
    proc = geo("batches", "promote", "--db", path)
    assert proc.returncode == 2 and "--id" in proc.stderr
    proc = geo("batches", "promote", "--id", cand, "--actor", "审核员", "--json", "--db", path)
    assert proc.returncode == 2 and "不是本系统的账号" in proc.stdout + proc.stderr  # not an account
    assert json.loads(geo("stats", "--json", "--db", path).stdout)["change"]["total"] == 0
    proc = geo("batches", "promote", "--id", cand, "--system", "--json", "--db", path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"batch_id": cand, "purpose": "official", "was": "candidate"}
    assert json.loads(geo("stats", "--json", "--db", path).stdout)["change"]["total"] == 3


def test_ingest_sets_the_purpose(tmp_path):
    path = tmp_path / "s.gpkg"
    open_store(str(path), create=True)
    for k, (args, want) in enumerate(((["--source", "自动检测（无人机）"], "candidate"), (["--unofficial"], "test"),
                                      (["--purpose", "demo"], "demo"), ([], "official"))):
        src2 = tmp_path / f"b{k}.geojson"
        polygons(2, x0=121.5 + 0.1 * k, polygon_no=[f"{want}{i}" for i in range(2)]).to_file(
            src2, driver="GeoJSON")
        proc = geo("ingest", src2, "--layer", "change", "--batch", want, *args, "--system", "--json", "--db", path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        bid = json.loads(proc.stdout)["batch_id"]
        assert open_store(str(path)).batch(bid)["purpose"] == want


def test_recorded_actions_texts_and_settings_on_both_backends(store, tmp_path):
    """The bulletin's own records live in the store on GeoPackage and PostGIS alike."""
    import dataclasses

    from geo.core.config import load_settings
    from geo.report import records
    from geo.demo import report as demo_seed
    from geo.report import settings as rs

    demo_seed.seed(store)
    demo_seed.seed(store)  # a second time adds nothing
    acts = records.actions(store)
    assert len(acts) == len(demo_seed.ACTIONS) and acts["on_date"].iloc[0] == "2023-07-24"
    assert records.actions(store, as_of=__import__("datetime").date(2023, 8, 31))["kind"].tolist() == [
        "group", "meeting", "document"]
    records.set_text(store, "mechanism", "一是健全制度。", actor="staff", counties=["152224"])
    assert records.text(store, "mechanism", ["152224"]) == "一是健全制度。"
    assert records.text(store, "mechanism") is None  # another scope
    base = dataclasses.replace(load_settings(env={"FOREST_CONFIG": str(tmp_path / "none.toml")}), bulletin={})
    got = rs.load(store, base)
    assert got.inspection and got.team == "盟委第三巡察组" and got.date("feedback_date").isoformat() == "2023-08-17"
