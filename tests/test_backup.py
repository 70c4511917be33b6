"""Backups of a live store taken while people keep working, and restoring them."""

from __future__ import annotations

import threading
import time

import pytest

from geo.engine import backup as B
from geo.engine import workflow as W
from geo.core.errors import ValidationError
from geo.store import open_store
from tests.helpers import add_batch, insert, polygons


def consistent(store) -> bool:
    """Every feature's version equals the number of its events, and its status the last one."""
    feats = store.read_layer("change", geometry=False, columns=["status", "version"])
    ev = store.events("change")
    last = ev.sort_values(["at", "id"]).groupby("feature_id").tail(1).set_index("feature_id")
    counts = ev.groupby("feature_id").size()
    return all(counts[f] == v and last.loc[f, "to_status"] == s
               for f, s, v in zip(feats["id"], feats["status"], feats["version"]))


NEXT = {"issued": ("verifying", {}), "verifying": ("verified", {"verdict": "no_change", "verified_cause": "植物季节性变化"}),
        "verified": ("closed", {}), "closed": ("rectifying", {}), "rectifying": ("rectified", {}),
        "rectified": ("accepted", {}), "accepted": ("closed", {})}


def busy_writer(store, ids, stop, done):
    """Walk polygons round the workflow (closing with evidence, reopening by look-back) until
    told to stop; counts the changes that landed."""
    from tests.helpers import jpeg

    i = 0
    while not stop.is_set():
        fid = ids[i % len(ids)]
        status = store.get_feature("change", fid)["status"]
        to, fields = NEXT[status]
        files = [("p.jpg", jpeg())] if to in ("closed", "rectified", "accepted") else None
        comment = "回头看发现反弹" if status == "closed" else None
        who = "忙碌的验收组" if to == "accepted" else "忙碌的核查员"  # acceptance is someone else's
        W.transition(store, "change", fid, to, actor=who, fields=fields, attachments=files,
                     comment=comment)
        done.append(fid)
        i += 1


def wait_for(condition, timeout: float = 60.0) -> None:
    """Until ``condition()`` holds (a precondition of the test, not a measurement)."""
    end = time.time() + timeout
    while not condition():
        if time.time() > end:
            raise TimeoutError("the writer made no progress")
        time.sleep(0.02)


def test_backup_while_writing_is_consistent_complete_and_loses_no_write(store_url, tmp_path):
    """How many writes land during a backup is measured by ``bench/backup.py``; here only what
    must hold: the copy is consistent and holds every write made before it began, no write made
    meanwhile is lost from the live store, and restoring brings back exactly the copy's moment."""
    store = open_store(store_url, create=True)
    bid = add_batch(store)
    ids = insert(store, polygons(40), batch_id=bid)
    stop, done = threading.Event(), []
    worker = threading.Thread(target=busy_writer, args=(store, ids, stop, done))
    worker.start()
    try:
        wait_for(lambda: len(done) >= 3)
        before = len(done)  # writes that had landed when the backup began
        out = tmp_path / ("backup.gpkg" if store.backend == "gpkg" else "backup.dump")
        B.backup(store, out)
        after_backup = len(done)
        wait_for(lambda: len(done) > after_backup)  # the writer carries on after the backup
    finally:
        stop.set()
        worker.join()
    # nothing the writer did is lost: one event per write, every history consistent
    live = store.events("change")
    assert (live["action"] != "import").sum() == len(done)
    assert consistent(store)
    if store.backend == "gpkg":
        assert consistent(open_store(str(out)))
    with pytest.raises(ValidationError, match="--force"):
        B.restore(out, store_url)
    B.restore(out, store_url, force=True)
    restored = open_store(store_url)
    assert consistent(restored)
    # the copy is the history up to one moment: every import, every write made before the backup
    # began, and the live history's first events exactly
    copied = restored.events("change")
    assert (copied["action"] == "import").sum() == len(ids)
    assert before <= (copied["action"] != "import").sum() <= len(done)
    first = live.sort_values("id").head(len(copied))[["id", "feature_id", "to_status", "version"]]
    assert copied.sort_values("id")[["id", "feature_id", "to_status", "version"]].reset_index(drop=True).equals(
        first.reset_index(drop=True))


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    bad = tmp_path / "not-a-backup.gpkg"
    bad.write_bytes(b"garbage" * 100)
    target = tmp_path / "store.gpkg"
    open_store(str(target), create=True)
    with pytest.raises(ValidationError, match="not a backup"):
        B.restore(bad, str(target), force=True)
    assert open_store(str(target)).count("change") == 0
