"""``python -m geo ingest`` in a real process: exit codes, the ``--json`` object, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_ingest import add_counties, tb, zipped

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"batch_id", "read", "stored", "repaired", "rejected", "duplicates", "errors"}


def ingest(db, *args, lang="zh"):
    env = {**os.environ, "FOREST_LANG": lang}
    env.pop("FOREST_DEBUG", None)
    who = [] if "--actor" in args or "--system" in args else ["--system"]
    out = subprocess.run([sys.executable, "-m", "geo", "ingest", *map(str, args), *who, "--db", str(db)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr
    return out


@pytest.fixture
def db(tmp_path):
    from geo.store import open_store

    path = tmp_path / "cli.gpkg"
    add_counties(open_store(str(path), create=True))
    return path


def write(tmp_path, upload) -> Path:
    name, data = next(iter(upload.files.items()))
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_ingest_stores_a_batch_and_refuses_the_same_file_again(db, tmp_path):
    from geo.store import open_store

    frame = tb(3)
    frame.loc[1, "MIAN_JI"] *= 3
    path = write(tmp_path, zipped(frame))
    out = ingest(db, path, "--layer", "change", "--batch", "2024年第1期", "--source", "国家森林督查",
                 "--verify-deadline", "2024-06-30", "--rectify-deadline", "2024-12-31", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert KEYS <= set(res)
    assert (res["read"], res["stored"], res["repaired"], res["rejected"], res["duplicates"]) == (3, 3, 0, 0, 0)
    assert res["encoding"] == "GB18030"
    assert res["errors"] == [{"feature": 2, "field": "area_reported_ha", "level": "flag", "label": "T0001",
                              "message": res["errors"][0]["message"]}]
    assert "上报面积" in res["errors"][0]["message"]
    store = open_store(str(db))
    batch = store.batch(res["batch_id"])
    assert batch["name"] == "2024年第1期" and batch["rectify_deadline"] == "2024-12-31"
    assert store.count("change") == 3

    again = ingest(db, path, "--layer", "change", "--batch", "重复上传", "--json")
    assert again.returncode == 2
    res2 = json.loads(again.stdout)
    assert KEYS <= set(res2) and res2["stored"] == 0 and res2["batch_id"] is None
    assert f"批次 #{res['batch_id']}“2024年第1期”" in res2["message"]
    assert store.count("change") == 3 and len(store.batches()) == 1


def test_dry_run_writes_nothing(db, tmp_path):
    from geo.store import open_store

    out = ingest(db, write(tmp_path, zipped(tb(2))), "--layer", "change", "--batch", "x", "--dry-run", "--json")
    assert out.returncode == 0
    res = json.loads(out.stdout)
    assert res["dry_run"] is True and res["to_store"] == 2 and res["stored"] == 0 and res["batch_id"] is None
    assert open_store(str(db)).count("change") == 0


def test_refusals_exit_2_with_a_message_and_no_traceback(db, tmp_path):
    bogus = tmp_path / "批次.zip"
    bogus.write_bytes(b"this is not a zip archive\n")
    out = ingest(db, bogus, "--layer", "change", "--batch", "x")
    assert out.returncode == 2 and "不是有效的 zip 压缩包" in out.stderr
    out = ingest(db, bogus, "--layer", "change", "--batch", "x", "--json")
    res = json.loads(out.stdout)
    assert out.returncode == 2 and KEYS <= set(res) and res["error"] == "IngestError"
    out = ingest(db, tmp_path / "nope.zip", "--layer", "change", "--batch", "x", lang="en")
    assert out.returncode == 2 and "does not exist" in out.stderr
    good = write(tmp_path, zipped(tb(2)))
    out = ingest(db, good, "--layer", "change", "--batch", "x", "--map", "BEIZHU=nonsense")
    assert out.returncode == 2 and "nonsense" in out.stderr
    out = ingest(db, good, "--layer", "change", "--batch", "x", "--encoding", "klingon")
    assert out.returncode == 2 and "klingon" in out.stderr


def test_crs_and_mapping_options(db, tmp_path):
    from geo.store import open_store

    path = write(tmp_path, zipped(tb(2).to_crs(4549), prj=False))
    out = ingest(db, path, "--layer", "change", "--batch", "x", "--json")
    res = json.loads(out.stdout)
    assert out.returncode == 2 and res["option"] == "crs" and "EPSG:4549" in res["candidates"]
    out = ingest(db, path, "--layer", "change", "--batch", "x", "--crs", "EPSG:4549", "--map", "BEIZHU=measure",
                 "--map", "XIANG=", "--json")
    assert out.returncode == 0, out.stdout
    res = json.loads(out.stdout)
    assert res["crs"] == "EPSG:4549" and res["mapping"]["BEIZHU"] == "measure" and "XIANG" not in res["mapping"]
    f = open_store(str(db)).read_layer("change", where={"batch_id": res["batch_id"]})
    assert f["measure"].tolist() == ["建设项目使用林地"] * 2 and f["township"].isna().all()
    assert json.loads(f["extra"].iloc[0])["XIANG"] == "突泉镇"
