"""Backups of a live store taken while people keep working, and restoring them."""

from __future__ import annotations

import threading
import time

import pytest

from geo import backup as B
from geo import workflow as W
from geo.errors import ValidationError
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
        files = [("p.jpg", jpeg())] if to == "closed" else None
        comment = "回头看发现反弹" if status == "closed" else None
        W.transition(store, "change", fid, to, actor="忙碌的核查员", fields=fields, attachments=files,
                     comment=comment)
        done.append(fid)
        i += 1


def test_backup_while_writing_is_consistent_and_restores(store_url, tmp_path):
    store = open_store(store_url, create=True)
    bid = add_batch(store)
    ids = insert(store, polygons(40), batch_id=bid)
    stop, done = threading.Event(), []
    worker = threading.Thread(target=busy_writer, args=(store, ids, stop, done))
    worker.start()
    try:
        time.sleep(0.5)
        out = tmp_path / ("backup.gpkg" if store.backend == "gpkg" else "backup.dump")
        B.backup(store, out)
        time.sleep(0.3)
    finally:
        stop.set()
        worker.join()
    assert len(done) > 5  # the writer kept working through the backup
    if store.backend == "gpkg":
        copy = open_store(str(out))
        assert consistent(copy)
        n_events_at_backup = len(copy.events())
    else:
        n_events_at_backup = None
    assert consistent(store)
    after = len(store.events())
    # restore brings the store back to the backup's moment
    with pytest.raises(ValidationError, match="--force"):
        B.restore(out, store_url)
    B.restore(out, store_url, force=True)
    restored = open_store(store_url)
    assert consistent(restored)
    if n_events_at_backup is not None:
        assert len(restored.events()) == n_events_at_backup <= after


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    bad = tmp_path / "not-a-backup.gpkg"
    bad.write_bytes(b"garbage" * 100)
    target = tmp_path / "store.gpkg"
    open_store(str(target), create=True)
    with pytest.raises(ValidationError, match="not a backup"):
        B.restore(bad, str(target), force=True)
    assert open_store(str(target)).count("change") == 0
