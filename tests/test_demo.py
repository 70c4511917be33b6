"""The demo store tells the bulletin's story on 兴安盟's real boundaries, with consistent history."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geo.declare import registry as S
from geo.engine import workflow as W
from geo.stats.summary import summary
from geo.store import open_store


@pytest.fixture(scope="module")
def demo(demo_master):
    return open_store(str(demo_master))


def test_real_county_boundaries_and_labelled_derived_units(demo):
    admin = demo.read_layer("admin", geometry=True)
    counties = admin[admin["level"] == "county"].sort_values("code")
    assert counties["code"].tolist() == ["152201", "152202", "152221", "152222", "152223", "152224"]
    assert counties["name"].tolist() == ["乌兰浩特市", "阿尔山市", "科尔沁右翼前旗", "科尔沁右翼中旗", "扎赉特旗", "突泉县"]
    assert not counties["derived"].any()
    townships = admin[admin["level"] == "township"]
    assert len(townships) >= 40 and townships["derived"].all()
    assert townships["source"].str.contains("推算生成").all()
    zones = demo.read_layer("zone", geometry=False)
    assert zones["derived"].all() and set(zones["level"]) == {"league", "banner", "township", "village"}


def test_every_status_is_represented_and_every_history_replays_through_the_workflow(demo):
    change = demo.read_layer("change", geometry=False, columns=["status", "version", "verdict"])
    assert set(change["status"]) == set(S.layer("change").statuses)
    events = demo.events("change")
    for fid, ev in events.groupby("feature_id"):
        ev = ev.sort_values(["at", "id"])
        rows = ev.to_dict("records")
        assert rows[0]["action"] == "import" and rows[0]["to_status"] == "issued"
        for prev, cur in zip(rows, rows[1:]):
            assert cur["from_status"] == prev["to_status"], fid
            if cur["action"] == "transition":  # (a review's check is an edit: the status stays)
                W.find("change", cur["from_status"], cur["to_status"])  # raises if not a workflow step
            assert cur["at"] >= prev["at"]
            if cur["to_status"] == "closed":  # (after a review the evidence came with the application)
                shown = cur if cur["from_status"] not in ("applied", "reviewed") else \
                    [r for r in rows if r["to_status"] == "applied" and r["at"] <= cur["at"]][-1]
                assert json.loads(shown["attachment_ids"]), f"closing #{fid} without evidence"
        feat = change.loc[change["id"] == fid].iloc[0]
        assert feat["status"] == rows[-1]["to_status"]
        assert feat["version"] == len(rows) == rows[-1]["version"]


def test_the_bulletin_figures(demo):
    batches = demo.batches("change").set_index("name")
    g22a = int(batches.loc["2022年第1期草原变化图斑", "id"])
    f23 = int(batches.loc["2023年第1期森林督查变化图斑", "id"])
    g22b = int(batches.loc["2022年第2期草原变化图斑", "id"])
    g23 = int(batches.loc["2023年第1期草原变化图斑", "id"])
    # "2022年1期我盟草原变化图斑需要整改的共有24个 … 12月底前全部销号 … 追缴罚金1758元"
    end_2022 = summary(demo, as_of=dt.date(2022, 12, 31), batch_ids=[g22a], use_cache=False)["change"]
    assert (end_2022["illegal"], end_2022["closed_pct"], end_2022["fines_yuan"]) == (24, 100.0, 1758.0)
    # "自治区下发2022年2期和2023年1期草原变化图斑共1195个，均已全部完成核查" (bulletin of 2023-12-09)
    dec9 = summary(demo, as_of=dt.date(2023, 12, 9), batch_ids=[g22b, g23], use_cache=False)["change"]
    assert (dec9["total"], dec9["verified"]) == (1195, 1195)
    # "4个违规违法使用林地项目 … 收缴罚款23.600517万元"
    forest = summary(demo, batch_ids=[f23], use_cache=False)["change"]
    assert (forest["illegal"], forest["fines_wan"]) == (4, 23.600517)
    rest = demo.read_layer("restoration", geometry=False)
    done_2023 = rest[rest["year"] == 2023].groupby("county")["completed_mu"].sum() / 1e4
    assert done_2023.round(2).to_dict() == {"科尔沁右翼中旗": 3.0, "乌兰浩特市": 0.62, "科尔沁右翼前旗": 0.2,
                                            "扎赉特旗": 1.1, "突泉县": 2.6}
    assert round(done_2023.sum(), 2) == 7.52
    # the restored parcels really are about that big on the map
    assert rest[rest["year"] == 2023]["area_mu"].sum() == pytest.approx(75200, rel=0.03)
    grass = rest[rest["type"] == "草原生态修复"].set_index("county")
    assert grass.loc["科尔沁右翼前旗", ["budget_yuan", "paid_yuan"]].tolist() == [9_000_000, 4_440_000]
    assert grass.loc["科尔沁右翼中旗", ["budget_yuan", "paid_yuan"]].tolist() == [1_630_000, 520_000]
    occ = demo.read_layer("occupation", geometry=False).set_index("name")
    quarry = occ.loc["突泉县红瑞采石场违法占用林地"]
    assert quarry["status"] == "delisted" and "专员办" in quarry["delisted_by"] and quarry["site_type"] == "采石场"


def test_signboards_at_every_level_with_a_few_stale(demo):
    boards = demo.read_layer("signboard", geometry=False)
    assert len(boards) == 942
    assert set(boards["level"]) == {"league", "banner", "township", "village"}
    assert boards["chief_name"].notna().all() and boards["phone"].notna().all()
    figs = summary(demo, use_cache=False)["signboards"]
    assert 5 <= figs["stale"] <= 30 and figs["stale_unrecorded"] > 0


def test_patrols_have_timestamps_and_plausible_speeds(demo):
    pats = demo.read_layer("patrol")
    assert len(pats) > 100
    one = demo.get_feature("patrol", int(pats["id"].iloc[0]))
    assert len(one["times"]) == len(one["geometry"].coords)
    assert (pats["length_km"] > 0).all() and pats["plausible"].all()
    assert set(pats["actor_level"]) >= {"ranger", "township_chief", "banner_chief"}


def test_overdue_and_repeats_exist(demo):
    figs = summary(demo, use_cache=False)["change"]
    assert figs["overdue"] > 0
    change = demo.read_layer("change", geometry=False, columns=["repeat_of"])
    assert change["repeat_of"].notna().sum() >= 5


def test_size_scales_the_change_polygons(tmp_path):
    from geo.demo import build as D

    out = D.build(str(tmp_path / "small.gpkg"), size=400, log=lambda *a: None)
    assert out["change_polygons"] == 400
    store = open_store(str(tmp_path / "small.gpkg"))
    assert store.count("change") == 400
