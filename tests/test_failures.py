"""Writes that fail — a locked store, a full disk, a process killed mid-batch — tell the user and
lose nothing already saved."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from geo import workflow as W
from geo.errors import StoreError
from geo.store import open_store
from geo.store.gpkg import GpkgStore
from tests.helpers import add_batch, insert, polygons

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


BATCH_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from geo.store import open_store
    from tests.helpers import polygons
    store = open_store(sys.argv[1])
    frame = polygons(int(sys.argv[2]), x0=100.0)
    frame["polygon_no"] = [f"K{{i}}" for i in range(len(frame))]
    with store.transaction() as tx:
        bid = store.add_batch(tx, name=sys.argv[3], layer="change", source="kill-test")
        store.insert_features(tx, "change", frame, actor="staff", batch_id=bid)
    print("done", flush=True)
""")


def batch_state(store, name):
    batches = store.batches()
    mine = batches[batches["name"] == name]
    if mine.empty:
        return "absent", 0
    bid = int(mine["id"].iloc[0])
    return "present", store.count("change", where={"batch_id": bid})


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_a_batch_killed_at_any_moment_is_whole_or_absent(backend, tmp_path, request):
    url = str(tmp_path / "store.gpkg") if backend == "gpkg" else request.getfixturevalue("pg_url")
    store = open_store(url, create=True)
    script = tmp_path / "batch.py"
    script.write_text(BATCH_SCRIPT.format(root=str(ROOT)))
    n = 4000
    rng = random.Random(7)
    outcomes = []
    for i in range(6):
        name = f"kill-{i}"
        proc = subprocess.Popen([sys.executable, str(script), url, str(n), name], stdout=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reopened = open_store(url)
        state, count = batch_state(reopened, name)
        assert (state, count) in (("absent", 0), ("present", n)), (state, count)
        outcomes.append(state)
        if backend == "gpkg":
            con = sqlite3.connect(url)
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            con.close()
    assert "absent" in outcomes  # some kills really landed mid-batch
    # the store still takes writes, and events match features
    insert(open_store(url), polygons(1, x0=90.0))
    final = open_store(url)
    assert final.count("change") == len(final.events("change"))
