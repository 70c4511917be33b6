"""No traceback reaches the terminal from ``python -m geo``: a file a library fails on (a shapefile
whose Chinese field name the 10-byte DBF limit cut in the middle of a character) is refused with
a clean message, and the traceback goes to the error log (setting ``error_log``; by default
``logs/forest-errors.log`` beside the store) — not to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import box

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cut_shapefile(tmp_path) -> Path:
    """A UTF-8 shapefile whose field 变化图斑编号 (18 bytes) GDAL cut to 10: three characters and
    the first byte of the fourth."""
    folder = tmp_path / "upload"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"变化图斑编号": ["a", "b"], "XIAN": ["突泉县"] * 2},
                             geometry=[box(121.54, 45.64, 121.544, 45.644), box(121.55, 45.64, 121.554, 45.644)],
                             crs=4490)
    path = folder / "图斑.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyogrio.write_dataframe(frame, path, encoding="UTF-8")
    dbf = (folder / "图斑.dbf").read_bytes()
    assert dbf[32:43].rstrip(b"\0") == "变化图斑".encode()[:10]  # cut mid-character
    return path


@pytest.fixture
def db(tmp_path) -> Path:
    from geo.store import open_store

    path = tmp_path / "store" / "s.gpkg"
    path.parent.mkdir()
    open_store(str(path), create=True)
    return path


def geo(*args, env=None):
    env = {**os.environ, "FOREST_LANG": "zh", **(env or {})}
    env.pop("FOREST_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "geo", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=180)


@pytest.mark.parametrize("as_json", [True, False])
def test_a_file_a_library_fails_on_leaves_its_traceback_in_the_log_not_on_stderr(cut_shapefile, db, as_json):
    out = geo("ingest", cut_shapefile, "--layer", "change", "--batch", "2024年第1期", "--db", db,
              *(["--json"] if as_json else []))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, out.stderr
    assert "UnicodeDecodeError" not in out.stderr + out.stdout
    message = json.loads(out.stdout)["message"] if as_json else out.stderr
    assert "图斑.shp" in message and "未写入任何数据" in message
    log = db.parent / "logs" / "forest-errors.log"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "UnicodeDecodeError" in text and "图斑.shp" in text


def test_the_log_goes_where_the_setting_says(cut_shapefile, db, tmp_path):
    where = tmp_path / "elsewhere" / "geo.log"
    cfg = tmp_path / "forest.toml"
    cfg.write_text(f'error_log = "{where}"\n', encoding="utf-8")
    out = geo("ingest", cut_shapefile, "--layer", "change", "--batch", "x", "--db", db, "--json",
              env={"FOREST_CONFIG": str(cfg)})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "UnicodeDecodeError" in where.read_text(encoding="utf-8")
    assert not (db.parent / "logs").exists()


def test_a_command_that_succeeds_writes_no_log(db):
    out = geo("batches", "--db", db, "--json")
    assert out.returncode == 0, out.stderr
    assert not (db.parent / "logs").exists()
