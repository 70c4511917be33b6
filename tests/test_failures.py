"""Writes that fail — a locked store, a full disk, a process killed mid-batch — tell the user and
lose nothing already saved."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geo.engine import workflow as W
from geo.core.errors import StoreError
from geo.store import open_store
from geo.store.gpkg import GpkgStore
from tests.helpers import insert, polygons

ROOT = Path(__file__).resolve().parent.parent


def test_a_locked_store_says_so_and_changes_nothing(gpkg_url):
    store = open_store(gpkg_url, create=True)
    (fid,) = insert(store, polygons(1))
    blocker = sqlite3.connect(gpkg_url, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    impatient = GpkgStore(gpkg_url, timeout=0.3)
    try:
        with pytest.raises(StoreError) as info:
            W.transition(impatient, "change", fid, "verifying", actor="甲")
        assert "正忙" in info.value.zh and "nothing was changed" in info.value.en
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.get_feature("change", fid)["status"] == "issued"
    W.transition(store, "change", fid, "verifying", actor="甲")  # and works once it is free


class TinyDisk(GpkgStore):
    """A GeoPackage whose 'disk' fills up: SQLite refuses to grow the file past a few pages."""

    def _connect(self):
        con = super()._connect()
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages + 3}")
        return con


def test_a_full_disk_says_so_and_loses_nothing(gpkg_url):
    store = open_store(gpkg_url, create=True)
    ids = insert(store, polygons(3))
    before = store.read_layer("change", geometry=False)
    full = TinyDisk(gpkg_url)
    with pytest.raises(StoreError) as info:
        with full.transaction() as tx:
            full.insert_features(tx, "change", polygons(2000, x0=110.0), actor="乙")
    assert "磁盘空间已满" in info.value.zh
    after = open_store(gpkg_url).read_layer("change", geometry=False)
    assert after["id"].tolist() == ids and after.equals(before)
    con = sqlite3.connect(gpkg_url)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def batch_zip(path: Path, n: int, seed: int = 3) -> Path:
    """A zipped GBK shapefile of ``n`` change polygons, as a Windows tool writes it."""
    from geo.ingest import samples

    frame = samples.change_polygons(n, seed=seed, prefix=f"15{seed:04d}")
    files = samples.shapefile_bytes(frame, stem="变化图斑", encoding="GBK")
    path.write_bytes(samples.gbk_zip(files))
    return path


def batch_state(store, name):
    batches = store.batches()
    mine = batches[batches["name"] == name]
    if mine.empty:
        return "absent", 0
    bid = int(mine["id"].iloc[0])
    return "present", store.count("change", where={"batch_id": bid})


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_an_upload_killed_at_any_moment_is_whole_or_absent(backend, tmp_path, request):
    """`python -m geo ingest` killed with SIGKILL at random moments, again and again: each time the
    store opens cleanly and holds that batch complete or not at all."""
    url = str(tmp_path / "store.gpkg") if backend == "gpkg" else request.getfixturevalue("pg_url")
    open_store(url, create=True)
    n = 5000
    rng = random.Random(7)
    outcomes = []
    for i in range(6):
        name = f"kill-{i}"
        upload = batch_zip(tmp_path / f"批次{i}.zip", n, seed=10 + i)
        proc = subprocess.Popen([sys.executable, "-m", "geo", "ingest", str(upload), "--db", url,
                                 "--layer", "change", "--batch", name, "--source", f"kill-test-{i}", "--system"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reopened = open_store(url)
        state, count = batch_state(reopened, name)
        stored = reopened.batches()
        expected = int(stored[stored["name"] == name]["feature_count"].iloc[0]) if state == "present" else 0
        assert count == expected and (state == "absent" or count > 0.9 * n), (state, count)
        outcomes.append(state)
        if backend == "gpkg":
            con = sqlite3.connect(url)
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            con.close()
    assert "absent" in outcomes  # some kills really landed mid-upload
    final = open_store(url)
    assert final.count("change") == len(final.events("change", actions=["import"]))
