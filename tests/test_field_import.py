"""Issue 22 (part): what a batch counts as is chosen, never assumed; an official batch with features
outside the jurisdiction needs their number confirmed (page and CLI); a patrol track's implausible
stretch is left out of its length and coverage; the patrol form keeps who patrolled and at what
level; the zone check is scoped to a person's counties."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import shapely

from geo.core.errors import IngestError, ValidationError
from geo.ingest import Options, check_declared, commit, prepare
from tests.test_ingest import TUQUAN, add_counties, counts, gj, opts, tb
from tests.test_ingest_cli import ingest

FAR = (116.40, 39.90)  # Beijing: outside every county of the store


@pytest.fixture
def gstore(tmp_path):
    from geo.store import open_store

    return add_counties(open_store(str(tmp_path / "g.gpkg"), create=True))


def far_batch(n=3):
    return gj(tb(n, x0=FAR[0], y0=FAR[1], prefix="W", XIAN=["外地县"] * n), name="外地图斑.geojson")


def gpx(x0=TUQUAN[0], y0=TUQUAN[1], n=60, spike=30, start=dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc),
        name="T1") -> bytes:
    """A walk east (about 39 m every 30 s, 4.7 km/h) with one point 5.5 km north and back (a GPS spike)."""
    pts = []
    for i in range(n):
        y = y0 + (0.05 if i == spike else 0.0)
        when = start + dt.timedelta(seconds=30 * i)
        pts.append(f'<trkpt lat="{y}" lon="{x0 + i * 0.0005}"><time>{when:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>')
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
            'xmlns="http://www.topografix.com/GPX/1/1"><trk>' + f"<name>{name}</name><trkseg>" + "".join(pts)
            + "</trkseg></trk></gpx>").encode()


# ------------------------------------------------------------------------------ declared source and purpose
def test_a_batch_without_source_or_purpose_is_refused_naming_both(gstore):
    with pytest.raises(IngestError) as err:
        check_declared(Options(layer="change", batch="第1期"))
    assert "来源" in err.value.zh and "批次性质" in err.value.zh
    with pytest.raises(IngestError) as err:
        check_declared(Options(layer="change", batch="第1期", source="国家森林督查"))
    assert "批次性质" in err.value.zh and "来源" not in err.value.zh
    check_declared(Options(layer="change", batch="第1期", source="国家森林督查", purpose="official"))


# ------------------------------------------------------------------------------ outside the jurisdiction
def test_an_official_batch_outside_the_jurisdiction_needs_the_number_confirmed(gstore):
    report = prepare(far_batch(3), opts(layer="change", purpose="official"), gstore)
    assert report.outside == 3 and report.to_store == 3
    before = counts(gstore)
    for said in (None, 2):
        with pytest.raises(IngestError) as err:
            commit(report, gstore, actor="test", accept_outside=said)
        assert "3 个要素不在本辖区" in err.value.zh and "未写入" in err.value.zh
        assert counts(gstore) == before  # nothing written
    commit(report, gstore, actor="test", accept_outside=3)
    assert counts(gstore)["change"] == before["change"] + 3


def test_a_candidate_batch_or_one_inside_needs_no_confirmation(gstore):
    commit(prepare(far_batch(2), opts(layer="change", purpose="candidate"), gstore), gstore, actor="test")
    report = prepare(gj(tb(2)), opts(layer="change", purpose="official", batch="第2期"), gstore)
    assert report.outside == 0
    commit(report, gstore, actor="test")
    assert gstore.count("change") == 4


def test_the_cli_stores_outside_features_only_with_accept_outside(tmp_path):
    from geo.store import open_store

    db = tmp_path / "cli.gpkg"
    add_counties(open_store(str(db), create=True))
    path = tmp_path / "外地图斑.geojson"
    path.write_bytes(far_batch(3).files["外地图斑.geojson"])
    out = ingest(db, path, "--layer", "change", "--batch", "外地", "--source", "国家森林督查")
    assert out.returncode == 2 and "--accept-outside 3" in out.stdout + out.stderr
    assert open_store(str(db)).count("change") == 0
    out = ingest(db, path, "--layer", "change", "--batch", "外地", "--source", "国家森林督查", "--accept-outside", "3")
    assert out.returncode == 0, out.stdout + out.stderr
    assert open_store(str(db)).count("change") == 3


# ------------------------------------------------------------------------------ patrol tracks
def test_a_speed_spike_is_left_out_of_the_length_and_the_rest_is_trusted(gstore):
    from geo.fieldwork import patrols as P

    P.import_files(gstore, [("巡护.gpx", gpx())], actor="test", actor_level="ranger", patroller="张三",
                   period=(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))
    stored = gstore.read_layer("patrol", geometry=True)
    row = stored.iloc[0]
    # 59 steps of ~39 m walked; the spike (2 × 5.5 km) is not
    assert 2.1 < float(row["length_km"]) < 2.5
    assert row["plausible"] in (True, 1)
    assert row["actor"] == "张三" and row["actor_level"] == "ranger"
    batch = gstore.batches().iloc[-1]
    assert batch["source"] == P.SOURCE != "自动检测" and batch["purpose"] == "official"
    details = P.track_details(row.geometry, row["flags"])
    assert details["excluded"] == 1 and 10 < details["excluded_km"] < 12 and 2.1 < details["trusted_km"] < 2.5
    trusted = P.trusted_line(row.geometry, row["flags"])
    assert shapely.get_coordinates(trusted)[:, 1].max() < TUQUAN[1] + 0.01  # the spike's point is not covered
    # the spike drawn apart: one red stretch reaching the spike's point
    assert shapely.get_coordinates(P.excluded_lines(row.geometry, row["flags"])[0])[:, 1].max() > TUQUAN[1] + 0.04


def test_a_track_driven_fast_all_along_is_not_trusted():
    from geo.fieldwork import patrols as P

    start = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc)
    coords = [(TUQUAN[0] + i * 0.02, TUQUAN[1]) for i in range(10)]  # 1.56 km every 10 s: 560 km/h
    times = [(start + dt.timedelta(seconds=10 * i)).isoformat() for i in range(10)]
    res = P.assess(coords, times)
    assert res["plausible"] is False and res["reasons"]


def test_the_patrol_form_keeps_the_period_as_a_hint_and_needs_a_name(gstore):
    from geo.fieldwork import patrols as P

    report = P.import_files(gstore, [("巡护.gpx", gpx())], actor="test", actor_level="村级林长", patroller="李四",
                            period=(dt.date(2026, 10, 1), dt.date(2026, 10, 31)), dry_run=True)
    assert report.features["actor_level"].iloc[0] == "village_chief"  # the Chinese label accepted
    hints = report.problem_table("zh").to_string()
    assert "不在所填巡护期间" in hints
    assert gstore.count("patrol") == 0  # a check writes nothing
    with pytest.raises(ValidationError) as err:
        P.import_files(gstore, [("无名.gpx", gpx())], actor="test", actor_level="ranger", need_person=True,
                       period=(dt.date(2026, 11, 1), dt.date(2026, 11, 30)))
    assert "请填写巡护人员" in err.value.zh and "无名.gpx" in err.value.zh
    with pytest.raises(ValidationError) as err:
        P.import_files(gstore, [("巡护.gpx", gpx())], actor="test", actor_level="队长", patroller="王五")
    assert "巡护人身份“队长”无效" in err.value.zh
    assert gstore.count("patrol") == 0


def test_a_jump_and_back_is_bridged_and_a_move_breaks_the_track():
    from geo.fieldwork import patrols as P

    line = shapely.LineString([(0, 0), (1, 0), (2, 0)])
    assert P.trusted_line(line, None) is line
    xy = [(i, 0.0) for i in range(29)] + [(29, 5.0)] + [(i, 0.0) for i in range(30, 40)]
    bridged = P.trusted_line(shapely.LineString(xy), json.dumps({"excluded": [[28, 30, 1]]}))
    assert bridged.geom_type == "LineString" and (shapely.get_coordinates(bridged)[:, 1] == 0).all()
    assert len(shapely.get_coordinates(bridged)) == 39
    broken = P.trusted_line(shapely.LineString(xy), json.dumps({"excluded": [[28, 30, 0]]}))
    assert broken.geom_type == "MultiLineString" and (shapely.get_coordinates(broken)[:, 1] == 0).all()


# ------------------------------------------------------------------------------ zone check
def test_the_zone_check_shows_only_the_persons_counties(demo_store):
    from geo.chief import zones as Z

    every = Z.check_counties(demo_store, None)
    codes = {p["county_code"] for p in every["gaps"]}
    assert len(codes) >= 2
    one = sorted(codes)[0]
    mine = Z.check_counties(demo_store, {one})
    assert mine["gaps"] and {p["county_code"] for p in mine["gaps"]} == {one}
    names = {p["county"] for p in every["gaps"]}
    assert "突泉县" in names and not any(str(n).isdigit() for n in names)  # named, not coded
