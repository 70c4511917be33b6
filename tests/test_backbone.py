"""The backbone's other registers maintained for real: patrols imported from a handheld GPS's GPX,
a CSV of points and a zip, judged by one rule and counted per level and person with coverage of
each grid; restoration payments whose sum is the 支付率; figures per county in ``stats --json``."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
import zipfile

import pytest
import shapely

from geo.fieldwork import patrols
from geo.core.errors import IngestError, ValidationError
from geo.engine.operations import operate
from tests.test_cli import geo

TUQUAN = "152224"


def handheld_gpx(start: tuple[float, float], minutes: int = 60, kmh: float = 4.0, jump_at: int | None = None) -> bytes:
    """A GPX as a handheld GPS writes it: metadata, <trk><name>, one <trkseg>, points with <ele> and
    <time> every minute, walking at ``kmh``; ``jump_at``: a GPS jump of ~20 km at that point."""
    lon, lat = start
    t0 = dt.datetime(2026, 5, 12, 8, 30, tzinfo=dt.timezone.utc)
    pts = []
    for k in range(minutes + 1):
        x = lon + k * kmh / 60 / (111.32 * 0.69)
        y = lat + 0.00002 * (k % 5)  # (a little sway, as a real walk)
        if jump_at is not None and k == jump_at:
            x += 0.25
        pts.append(f'<trkpt lat="{y:.6f}" lon="{x:.6f}"><ele>{420 + k * 0.5:.1f}</ele>'
                   f'<time>{(t0 + dt.timedelta(minutes=k)).strftime("%Y-%m-%dT%H:%M:%SZ")}</time></trkpt>')
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="Garmin eTrex 32x" xmlns="http://www.topografix.com/GPX/1/1">
<metadata><time>2026-05-12T08:30:00Z</time></metadata>
<trk><name>护林员巡护 2026-05-12</name><trkseg>
""" + "\n".join(pts) + "\n</trkseg></trk></gpx>").encode()


def _inside(store, code=TUQUAN):
    c = store.read_layer("admin", where={"code": code}, columns=[]).geometry.iloc[0]
    p = shapely.point_on_surface(c)
    return (p.x - 0.02, p.y)


def test_a_handheld_gpx_becomes_a_judged_track_with_its_length_time_and_speed(demo_store, tmp_path):
    path = tmp_path / "巡护.gpx"
    path.write_bytes(handheld_gpx(_inside(demo_store)))
    before = demo_store.count("patrol")
    res = json.loads(geo("patrol", "import", path, "--batch", "2026年5月巡护", "--level", "ranger", "--system",
                         "--json", db=demo_store.url, check=0).stdout)
    assert res["stored"] == 1 and demo_store.count("patrol") == before + 1
    track = demo_store.read_layer("patrol", columns=["length_km", "duration_h", "mean_kmh", "plausible", "actor_level",
                                           "county_code", "zone_id"], geometry=False).iloc[-1]
    assert track["duration_h"] == pytest.approx(1.0, abs=0.01)
    assert track["length_km"] == pytest.approx(4.0, rel=0.15) and track["mean_kmh"] == pytest.approx(4.0, rel=0.15)
    assert track["plausible"] is True or bool(track["plausible"]) is True
    assert track["actor_level"] == "ranger" and track["county_code"] == TUQUAN and track["zone_id"] is not None


def test_one_plausibility_rule_flags_a_gps_jump_the_same_everywhere(demo_store, tmp_path):
    path = tmp_path / "跳点.gpx"
    path.write_bytes(handheld_gpx(_inside(demo_store), jump_at=30))
    res = json.loads(geo("patrol", "import", path, "--batch", "跳点", "--system", "--json",
                         db=demo_store.url, check=0).stdout)
    flagged = [e for e in res["errors"] if "轨迹不可信" in e["message"]]
    assert flagged and "公里/时" in flagged[0]["message"]
    tracks = patrols.read_tracks(path.name, path.read_bytes())
    judged = patrols.assess(tracks[0].coords, tracks[0].times)
    # the jump is an implausible stretch, left out of the length; the rest of the track stays trusted
    assert judged["max_kmh"] > 80 and judged["excluded"] and judged["excluded_kmh"] > 80
    assert judged["plausible"] is True and judged["excluded_km"] > 0
    # the demo is judged by the same rule
    demo_tracks = demo_store.read_layer("patrol", columns=["times", "plausible"], limit=20)
    for g, t, p in zip(demo_tracks.geometry, demo_tracks["times"], demo_tracks["plausible"]):
        t = json.loads(t) if isinstance(t, str) else t
        assert patrols.assess(shapely.get_coordinates(g), t)["plausible"] == bool(p)


def test_a_csv_of_points_and_a_zip_of_files_import_as_tracks(demo_store, tmp_path):
    lon, lat = _inside(demo_store)
    rows = ["巡护人,时间,经度,纬度"]
    for who, off in (("张护林", 0.0), ("李护林", 0.01)):
        for k in range(30):
            rows.append(f"{who},2026-06-01 09:{k:02d}:00,{lon + off + k * 0.0012:.6f},{lat + off:.6f}")
    csv = ("\n".join(rows) + "\n").encode("gb18030")  # as Excel saves it on a Chinese Windows
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("points.csv", csv)
        zf.writestr("handheld.gpx", handheld_gpx((lon, lat + 0.02)))
    path = tmp_path / "六月巡护.zip"
    path.write_bytes(buf.getvalue())
    res = json.loads(geo("patrol", "import", path, "--batch", "六月", "--system", "--json", db=demo_store.url,
                         check=0).stdout)
    assert res["stored"] == 3
    people = patrols.by_person(demo_store, dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    assert set(people["actor"]) >= {"张护林", "李护林"}
    assert people.set_index("actor").loc["张护林", "count"] == 1


def test_bad_patrol_files_are_refused_and_change_nothing(demo_store, tmp_path):
    empty = tmp_path / "空.gpx"
    empty.write_bytes(b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"></gpx>')
    before = demo_store.count("patrol")
    res = geo("patrol", "import", empty, "--batch", "空", "--system", db=demo_store.url, check=2)
    assert "没有" in res.stderr
    with pytest.raises(IngestError):
        patrols.read_tracks("readme.txt", b"hello")
    assert demo_store.count("patrol") == before


def test_coverage_of_each_grid_over_a_period(demo_store):
    end = dt.date.today()
    table, zones = patrols.coverage(demo_store, end - dt.timedelta(days=540), end, counties=[TUQUAN])
    assert len(table) and (table["cells"] > 0).all()
    assert ((table["share"] >= 0) & (table["share"] <= 100)).all()
    assert table["visited"].sum() > 0  # the demo's patrols visited some cells
    # a grid no track came near has no visited cell
    quiet = table[table["tracks"] == 0]
    assert (quiet["visited"] == 0).all()
    assert len(zones) == len(table) and set(zones["zone_id"]) == set(table["zone_id"])


def test_payments_are_events_and_the_paid_share_comes_from_them(demo_store):
    proj = demo_store.read_layer("restoration", where={"county_code": TUQUAN}, columns=["budget_yuan", "paid_yuan"],
                                 geometry=False).iloc[0]
    fid, paid0, budget = int(proj["id"]), float(proj["paid_yuan"] or 0), float(proj["budget_yuan"])
    operate(demo_store, "restoration", fid, "payment", {"amount_yuan": "1000", "voucher_no": "记-2026-018",
                                                        "paid_on": "2026-03-02"}, actor="admin")
    geo("op", "--layer", "restoration", "--id", fid, "payment", "--field", "amount_yuan=250.5", "--field",
        "voucher_no=记-2026-019", "--system", db=demo_store.url, check=0)
    feat = demo_store.get_feature("restoration", fid)
    assert feat["paid_yuan"] == pytest.approx(paid0 + 1250.5)
    from geo.fieldwork.restoration import payments

    pay = payments(demo_store, fid)
    assert pay["voucher"].tolist()[-2:] == ["记-2026-018", "记-2026-019"]
    with pytest.raises(ValidationError):  # beyond the budget: refused, nothing changes
        operate(demo_store, "restoration", fid, "payment", {"amount_yuan": str(budget * 2), "voucher_no": "x"},
                actor="admin")
    assert demo_store.get_feature("restoration", fid)["paid_yuan"] == pytest.approx(paid0 + 1250.5)
    stats = json.loads(geo("stats", "--json", db=demo_store.url, check=0).stdout)
    r = stats["registers"]["restoration"]
    frame = demo_store.read_layer("restoration", columns=["budget_yuan", "paid_yuan", "county_code"], geometry=False)
    mine = frame[frame["county_code"] == TUQUAN]
    assert r["paid_pct"]["by_county"][TUQUAN] == round(100 * mine["paid_yuan"].sum() / mine["budget_yuan"].sum(), 1)


def test_stats_json_carries_the_backbone_per_county(demo_store):
    stats = json.loads(geo("stats", "--json", db=demo_store.url, check=0).stdout)
    reg = stats["registers"]
    zones = demo_store.read_layer("zone", where={"county_code": TUQUAN}, columns=["valid_to"], geometry=False)
    assert reg["zone"]["zones"]["by_county"][TUQUAN] == int(zones["valid_to"].isna().sum())
    assert "gap_mu" in reg["zone"]
    pats = demo_store.read_layer("patrol", where={"county_code": TUQUAN}, columns=["actor_level"], geometry=False)
    assert reg["patrol"]["patrols_ranger"]["by_county"][TUQUAN] == int((pats["actor_level"] == "ranger").sum())
    row = next(r for r in stats["by_county"] if r["county_code"] == TUQUAN)
    assert "signboards_stale" in row
    assert reg["post"]["chiefs_banner"]["by_county"][TUQUAN] == 1


def problem_list(path: Path) -> Path:
    """A 问题清单 as offices keep it: a merged title, headers, a sub-heading row, mixed status words."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    ws.append(["巡察反馈问题整改清单", None, None, None, None, None])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "存在问题", "整改措施", "责任单位", "完成时限", "完成情况"])
    ws.append(["一、履行主体责任方面", None, None, None, None, None])
    ws.append([1, "林长制责任落实不到位", "建立林长巡林制度", "林长办", "2024-06-30", "已完成"])
    ws.append([2, "违法占用林地问题整改滞后", "逐一销号", "资源管理科", "2025-12-31", "正在整改"])
    ws.append([3, "防火基础设施薄弱", "新建监控", "防火办", "长期", "长期坚持"])
    wb.save(path)
    return path


def test_a_problem_list_from_excel_becomes_items_and_a_saved_query_links_features(demo_store, tmp_path):
    from geo.items import items

    path = problem_list(tmp_path / "问题清单.xlsx")
    before = len(demo_store.items())
    res = json.loads(geo("items", "import", path, "--system", "--json", db=demo_store.url, check=0).stdout)
    assert res["stored"] == 3 and len(demo_store.items()) == before + 3
    got = demo_store.items().tail(3)
    assert got["status"].tolist() == ["done", "in_progress", "long_term"]
    assert got["unit"].tolist() == ["林长办", "资源管理科", "防火办"]
    iid = int(got["id"].iloc[1])
    bad = demo_store.read_layer("change", where={"county_code": TUQUAN, "verdict": "illegal"}, columns=["batch_id"],
                                geometry=False)
    bid = int(bad["batch_id"].mode().iloc[0])
    res = json.loads(geo("items", "link", "--id", iid, "--layer", "change", "--where", f"batch_id={bid}", "--where",
                         f"county_code={TUQUAN}", "--where", "verdict=illegal", "--system", "--json",
                         db=demo_store.url, check=0).stdout)
    want = demo_store.count("change", where={"batch_id": bid, "county_code": TUQUAN, "verdict": "illegal"})
    assert res["linked"] == want > 0
    prog = items.progress(demo_store).set_index("id").loc[iid]
    closed = demo_store.count("change", where={"batch_id": bid, "county_code": TUQUAN, "verdict": "illegal",
                                               "status": "closed"})
    assert prog["links"] == want and prog["progress_pct"] == round(100 * closed / want, 1)
    hist = demo_store.events("item", iid)
    assert "link" in hist["action"].tolist()  # every change is in the history


def test_a_problem_list_with_a_bad_date_changes_nothing(demo_store, tmp_path):
    from openpyxl import load_workbook

    path = problem_list(tmp_path / "问题清单.xlsx")
    wb = load_workbook(path)
    wb.active["E4"] = "明年春天"
    wb.save(path)
    before = len(demo_store.items())
    res = geo("items", "import", path, "--system", db=demo_store.url, check=2)
    assert "明年春天" in res.stderr and "未导入任何数据" in res.stderr
    assert len(demo_store.items()) == before


def test_an_invalid_polygon_straddling_two_zones_is_attributed_by_its_repaired_area():
    """Delivered geometry is kept as delivered, so a self-overlapping multipolygon (GEOS cannot
    intersect it as it is) straddling two zones still goes to the zone holding most of it."""
    import geopandas as gpd
    import shapely

    from geo.store.attribution import attribute

    zones = gpd.GeoDataFrame({"id": [1, 2], "level": ["township", "township"]},
                             geometry=[shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)])
    bad = shapely.from_wkt("MULTIPOLYGON(((2 2, 11 2, 11 8, 2 8, 2 2)),((5 3, 12 3, 12 7, 5 7, 5 3)))")
    assert not bad.is_valid
    zone_id, detail = attribute([bad], zones)
    assert zone_id == [1] and '"others": {"township": [2]}' in detail[0]
