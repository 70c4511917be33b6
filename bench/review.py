"""What the closure review adds to the summary, and the reviewers' queue, against baselines measured
in the same run.

    .venv/bin/python bench/review.py --n 100000

Builds (or reuses, under /tmp/forest-bench) the demo store with N change polygons — the demo's
review history included (applications, draws, checks, send-backs, approvals) — then, with the file
in the OS cache, the median of --runs of:

* review_figures_cold: :func:`geo.change.review_figures.figures` (now), against the whole summary's cold
  computation it is part of (``summary_cold``, measured here too) — the review's share of it;
* review_figures_as_of: the same figures as of ten days ago, against the floor of reading the
  history rows they replay with plain SQL;
* review_queue: the league's queue (with the draws covering it), against the floor of reading the
  waiting polygons' rows.

One JSON object per line: ``{"metric", "n", "value", "unit", "baseline", "baseline_value", …}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def floor_history(store, cutoff: str) -> None:
    with store.transaction(write=False) as tx:
        tx.query("SELECT id, feature_id, at, action, from_status, to_status FROM events NOT INDEXED "
                 "WHERE layer = 'change' AND at < ?", [cutoff])


def main() -> int:
    from summary import build  # bench/summary.py: the same demo builder

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--db")
    a = p.parse_args()

    from geo.change import review
    from geo.change.review_figures import figures
    from geo.stats.summary import summary
    from geo.store import open_store
    from geo.core.timeutil import end_of_local_day_utc, today_local

    if a.db:
        url = a.db
    else:
        path = Path(f"/tmp/forest-bench/review-{a.n}.gpkg")
        path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        build(a.n, path)
        print(f"store ready in {time.perf_counter() - t0:.1f} s: {path}", file=sys.stderr)
        url = str(path)
    store = open_store(url)
    n = store.count("change")
    past = today_local() - dt.timedelta(days=10)
    figures(store)
    summary(store, use_cache=False)
    fig, whole = [], []
    for _ in range(a.runs):
        fig += timed(lambda: figures(store), 1)
        whole += timed(lambda: summary(store, use_cache=False), 1)
    fig_past = statistics.median(timed(lambda: figures(store, as_of=past), a.runs))
    floor_past = statistics.median(timed(lambda: floor_history(store, end_of_local_day_utc(past)), a.runs))
    queue = statistics.median(timed(lambda: review.queue(store, "league"), a.runs))
    floor_queue = statistics.median(timed(lambda: store.read_layer("change", where={"status": "applied"},
                                                                   columns=review.QUEUE_COLUMNS, geometry=False),
                                          a.runs))
    common = {"n": n, "backend": store.backend, "runs": a.runs,
              "reviewed": figures(store)["total"]["applied"]}
    lines = [
        {"metric": "review_figures_cold", "value": round(statistics.median(fig), 4), "unit": "s",
         "baseline": "summary_cold: the whole summary, the review's figures included",
         "baseline_value": round(statistics.median(whole), 4),
         "share_of_summary": round(statistics.median(fig) / statistics.median(whole), 2)},
        {"metric": "review_figures_as_of", "value": round(fig_past, 4), "unit": "s",
         "baseline": "floor: read the change history up to the day (plain SQL)", "baseline_value": round(floor_past, 4),
         "floor_value": round(floor_past, 4), "ratio_to_floor": round(fig_past / floor_past, 2)},
        {"metric": "review_queue", "value": round(queue, 4), "unit": "s",
         "baseline": "floor: read the waiting polygons' rows", "baseline_value": round(floor_queue, 4),
         "floor_value": round(floor_queue, 4), "ratio_to_floor": round(queue / floor_queue, 2)},
    ]
    for line in lines:
        print(json.dumps({**line, **common}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
