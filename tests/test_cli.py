"""`python -m geo` as scripts and other tools call it (DESIGN.md contracts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["init", "demo", "stats", "export", "transition", "history", "ingest", "report", "batches",
            "backup", "restore", "users"]


def geo(*args, db=None, env=None, check=None):
    e = {**os.environ, "FOREST_LANG": "zh", **(env or {})}
    if db is not None:
        args = (*args, "--db", str(db))
    proc = subprocess.run([sys.executable, "-m", "geo", *map(str, args)], cwd=ROOT, env=e,
                          capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check is not None:
        assert proc.returncode == check, (proc.stdout, proc.stderr)
    return proc


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help_with_db_and_json(cmd):
    out = geo(cmd, "--help", check=0).stdout
    assert "--db" in out and "--json" in out


def test_stats_json(demo_path):
    data = json.loads(geo("stats", "--json", db=demo_path, check=0).stdout)
    from geo.store import open_store

    store = open_store(str(demo_path))
    auto = store.batches("change").query("source == '自动检测'")["feature_count"].astype(int).sum()
    # the candidates detected on the demo's synthetic imagery are not official: listed apart, not counted
    assert data["change"]["total"] == store.count("change") - auto == 1675 and auto > 0
    assert [b["n"] for b in data["scope"]["excluded"]] == [auto]
    assert {"verified_pct", "closed_pct", "overdue", "fines_wan", "illegal_area_ha"} <= set(data["change"])
    assert data["signboards"]["total"] == 942


@pytest.mark.parametrize("fmt, ext", [("gpkg", "gpkg"), ("shp", "shp"), ("geojson", "geojson"), ("kml", "kml")])
def test_export_carries_id_status_version(demo_path, tmp_path, fmt, ext):
    out = tmp_path / f"out.{ext}"
    res = json.loads(geo("export", "--layer", "change", "--format", fmt, "--out", out,
                         "--where", "county_code=152224", "--json", db=demo_path, check=0).stdout)
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == res["features"] > 0
    cols = {c.lower() for c in frame.columns}
    # a KML is read by people's field apps: the same three under the label table's names
    assert ({"编号", "状态", "版本"} if fmt == "kml" else {"id", "status", "version"}) <= cols
    if fmt != "kml":
        assert set(frame["county"]) == {"突泉县"}  # no mojibake, in every format
        assert frame.crs.to_epsg() in (4490, 4326)


def test_transition_exit_codes_and_history(demo_path):
    from geo.store import open_store

    store = open_store(str(demo_path))
    frame = store.read_layer("change", where={"status": "issued"}, columns=["version"], geometry=False)
    fid, version = int(frame["id"].iloc[0]), int(frame["version"].iloc[0])
    ok = geo("transition", "--layer", "change", "--id", fid, "--to", "verifying", "--actor", "admin",
             "--version", version, "--comment", "批量派发", db=demo_path, check=0)
    assert ok.stdout.strip() == str(version + 1)
    stale = geo("transition", "--layer", "change", "--id", fid, "--to", "verified", "--system",
                "--version", version, "--field", "verdict=legal", db=demo_path, check=3)
    assert "已被 admin" in stale.stderr
    guard = geo("transition", "--layer", "change", "--id", fid, "--to", "verified", "--system",
                db=demo_path, check=2)
    assert "核查结论" in guard.stderr
    wrong = geo("transition", "--layer", "change", "--id", fid, "--to", "closed", "--system",
                "--json", db=demo_path, check=2)
    assert json.loads(wrong.stdout)["error"] == "TransitionError"
    hist = json.loads(geo("history", "--layer", "change", "--id", fid, "--json", db=demo_path, check=0).stdout)
    assert [e["to_status"] for e in hist] == ["issued", "verifying"]
    assert hist[-1]["actor"] == "admin" and hist[-1]["comment"] == "批量派发"


def test_every_change_on_the_command_line_names_an_account_or_the_system(demo_path):
    from geo.store import open_store

    store = open_store(str(demo_path))
    fid = int(store.read_layer("change", where={"status": "issued"}, columns=[], geometry=False)["id"].iloc[0])
    before = len(store.history("change", fid))
    for who in (["--actor", "张三"], []):  # a name that is no account, or no name at all
        res = geo("transition", "--layer", "change", "--id", fid, "--to", "verifying", *who, db=demo_path, check=2)
        assert "--system" in res.stderr and "Traceback" not in res.stderr
    assert "不是本系统的账号" in res.stderr or "请注明操作人" in res.stderr
    assert len(store.history("change", fid)) == before  # nothing was written
    geo("transition", "--layer", "change", "--id", fid, "--to", "verifying", "--system", db=demo_path, check=0)
    last = store.history("change", fid)[-1]
    assert last["actor"].startswith("system:")  # recorded as the system operator, not as a person


def test_transition_with_evidence_files(demo_path, tmp_path):
    from geo.store import open_store
    from tests.helpers import jpeg

    store = open_store(str(demo_path))
    row = store.read_layer("change", where={"status": "accepted"}, columns=["version"], geometry=False).iloc[0]
    photo = tmp_path / "验收照片.jpg"
    photo.write_bytes(jpeg())
    fake = tmp_path / "report.pdf"
    fake.write_text("not really a pdf")
    geo("transition", "--layer", "change", "--id", int(row["id"]), "--to", "closed", "--actor", "admin",
        "--attach", fake, db=demo_path, check=2)
    geo("transition", "--layer", "change", "--id", int(row["id"]), "--to", "closed", "--actor", "admin",
        "--attach", photo, db=demo_path, check=0)
    last = store.history("change", int(row["id"]))[-1]
    assert store.get_attachment(last["attachment_ids"][0])["name"] == "验收照片.jpg"


def test_a_missing_store_is_a_clear_message_not_a_traceback(tmp_path):
    res = geo("stats", "--json", db=tmp_path / "nowhere.gpkg", check=2)
    assert "python -m geo demo" in res.stdout


def test_demo_refuses_to_replace_a_real_store(tmp_path):
    db = tmp_path / "real.gpkg"
    geo("init", db=db, check=0)
    res = geo("demo", "--size", "50", db=db, check=2)
    assert "--force" in res.stderr
    geo("demo", "--size", "50", "--force", "--json", db=db, check=0)


def test_history_of_a_missing_feature(demo_path):
    res = geo("history", "--layer", "change", "--id", 999999, db=demo_path, check=2)
    assert "不存在" in res.stderr


def test_storing_a_batch_names_an_account_or_the_system(tmp_path, demo_path):
    """``ingest`` stores a batch only for an account allowed to upload or ``--system``; a check
    (``--dry-run``) needs neither."""
    import geopandas as gpd
    from shapely.geometry import box

    src = tmp_path / "b.geojson"
    gpd.GeoDataFrame({"polygon_no": ["T1"]}, geometry=[box(121.0, 46.0, 121.01, 46.01)], crs=4490).to_file(
        src, driver="GeoJSON")
    base = ("ingest", src, "--layer", "change", "--batch", "测试批次", "--json")
    assert geo(*base, "--dry-run", db=demo_path).returncode == 0
    out = geo(*base, db=demo_path)
    assert out.returncode == 2 and "--actor" in out.stdout and "--system" in out.stdout
    assert geo(*base, "--actor", "tuquan_inspector", db=demo_path).returncode == 2  # may not upload
    stored = json.loads(geo(*base, "--actor", "staff", db=demo_path, check=0).stdout)
    from geo.store import open_store

    assert open_store(str(demo_path)).batch(stored["batch_id"])["uploaded_by"] == "staff"
