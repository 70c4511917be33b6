"""Writes that land while an online backup runs, against the same writer with no backup running.

    .venv/bin/python bench/backup.py --n 50000 [--db postgresql://…/forest_bench_backup]

Builds (or reuses, under /tmp) a store of N change polygons, then runs one writer thread walking
polygons round the workflow (each step a transition with its event, as an inspector's would be):
first for ``--seconds`` with nothing else running (the baseline), then while ``geo.engine.backup.backup``
copies the store (SQLite's online backup API on a GeoPackage, ``pg_dump`` on PostGIS) — backups
back to back for as long again — and counts the transitions that landed in each window. A backup that blocked writers would show as a
rate near zero during it.

Prints one JSON object per line: ``{"metric", "n", "value", "unit", "baseline", "baseline_value",
…}``: the write rate during the backup against the rate without one (higher is better), and the
backup's own duration.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NEXT = {"issued": ("verifying", {}), "verifying": ("verified", {"verdict": "no_change"}),
        "verified": ("verifying", {})}


def build(n: int, url: str) -> list[int]:
    """A store of ``n`` polygons in one batch (reused when it already holds them); returns the ids
    the writer walks."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo.store import open_store

    store = open_store(url, create=True)
    if store.count("change") != n:
        if store.count("change"):
            raise SystemExit(f"{url} holds another store; remove it or pass another --db")
        rng = np.random.default_rng(5)
        x = rng.uniform(120.0, 123.0, n)
        y = rng.uniform(45.0, 47.0, n)
        frame = gpd.GeoDataFrame({"polygon_no": [f"B{i:07d}" for i in range(n)], "county_code": "152224",
                                  "county": "突泉县", "source": "测试来源", "kind": "forest"},
                                 geometry=shapely.box(x, y, x + 0.003, y + 0.002), crs=4490)
        with store.transaction() as tx:
            bid = store.add_batch(tx, name="基准批次", layer="change", source="测试来源", kind="forest",
                                  issued_on="2024-04-01", verify_deadline="2024-06-30",
                                  rectify_deadline="2024-12-31")
            store.insert_features(tx, "change", frame, actor="bench", batch_id=bid)
    return store.read_layer("change", columns=[], geometry=False, limit=200)["id"].tolist()


def writer(store, ids, stop: threading.Event, landed: list) -> None:
    from geo.engine import workflow as W

    i = 0
    while not stop.is_set():
        fid = ids[i % len(ids)]
        status = store.get_feature("change", fid)["status"]
        to, fields = NEXT.get(status, ("verifying", {}))
        W.transition(store, "change", fid, to, actor="基准核查员", fields=fields or None)
        landed.append(time.perf_counter())
        i += 1


def run(n: int, url: str, seconds: float) -> list[dict]:
    from geo.engine import backup as B
    from geo.store import open_store

    ids = build(n, url)
    store = open_store(url)
    landed: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=writer, args=(store, ids, stop, landed), daemon=True)
    thread.start()
    time.sleep(1.0)  # warm-up
    t0 = time.perf_counter()
    time.sleep(seconds)
    t1 = time.perf_counter()
    windows, sizes = [], []
    with tempfile.TemporaryDirectory() as tmp:  # backups back to back for as long as the baseline
        out = Path(tmp) / ("backup.gpkg" if store.backend == "gpkg" else "backup.dump")
        while not windows or windows[-1][1] - windows[0][0] < seconds:
            b0 = time.perf_counter()
            B.backup(store, out)
            windows.append((b0, time.perf_counter()))
            sizes.append(out.stat().st_size / 1e6)
    stop.set()
    thread.join()
    base = sum(t0 <= t < t1 for t in landed) / (t1 - t0)
    during_n = sum(any(b0 <= t < b1 for b0, b1 in windows) for t in landed)
    spent = sum(b1 - b0 for b0, b1 in windows)
    during = during_n / spent
    return [
        {"metric": f"writes_during_backup_{store.backend}", "n": n, "value": round(during, 2),
         "unit": "transitions/s (higher is better)", "baseline": "the same writer with no backup running",
         "baseline_value": round(base, 2), "writes_during_backup": during_n,
         "backups": len(windows), "ratio": round(during / base, 3) if base else None},
        {"metric": f"backup_seconds_{store.backend}", "n": n, "value": round(spent / len(windows), 3),
         "unit": "s per backup (mean of the runs above)", "baseline": "backup size (MB)",
         "baseline_value": round(sizes[-1], 1)},
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50_000, help="change polygons in the store")
    ap.add_argument("--db", default=None, help="a .gpkg path or postgresql:// URL (default: a file under /tmp)")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of the baseline window")
    args = ap.parse_args(argv)
    url = args.db or str(Path(tempfile.gettempdir()) / f"forest-bench-backup-{args.n}.gpkg")
    if url.startswith("postgres"):
        from bench.scale import ensure_database

        ensure_database(url)  # a database of its own, created when missing
    for row in run(args.n, url, args.seconds):
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
