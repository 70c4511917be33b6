"""PostGIS at scale: viewport queries and the summary on 1,000,000 change polygons against the
same on 100,000, in the same run (a benchmark, not part of the test suite).

    .venv/bin/python bench/scale.py [--small 100000] [--large 1000000] [--pg postgresql://…/forest_scale]

Needs a running PostgreSQL with PostGIS (``scripts/test-postgres.sh`` starts one and makes the
``forest_test`` role); the database given by ``--pg`` is created when missing.

Each store is the demo at that size (same 兴安盟 counties, so the large one is ten times denser)
built once into its own schema and reused by later runs. Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIEWS = {
    # name: (bbox, zoom) — a county-zoom view in 突泉县 and the whole league
    "viewport_county": ((121.40, 45.80, 121.70, 46.00), 11),
    "viewport_league": ((119.40, 44.20, 123.70, 47.70), 7),
}


def ensure_database(url: str) -> None:
    """Create the benchmark's database (with PostGIS) when it does not exist yet: it lives apart
    from the test database, which the test command recreates on every run."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        psycopg.connect(url).close()
        return
    except psycopg.OperationalError:
        pass
    params = conninfo_to_dict(url)
    name = params["dbname"]
    with psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def store_for(base: str, n: int):
    import psycopg

    from geo.demo import build as demo
    from geo.store import open_store
    from tests.conftest import pg_schema_url

    schema = f"scale_{n}"
    url = pg_schema_url(base, schema)
    with psycopg.connect(base, autocommit=True) as con:
        exists = con.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND "
                             "table_name = 'meta'", [schema]).fetchone()
        if exists:
            row = con.execute(f"SELECT value FROM {schema}.meta WHERE key = 'demo'").fetchone()
            if row and json.loads(row[0]).get("size") == n:
                return open_store(url)
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.execute(f"CREATE SCHEMA {schema}")
    t = time.perf_counter()
    demo.build(url, size=n, log=lambda *a: None)
    print(f"# built {n:,} polygons in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    return open_store(url)


def timed(fn, runs: int) -> float:
    fn()  # warm the connection and the database's caches
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pg", default=os.environ.get("FOREST_SCALE_PG",
                                                    "postgresql://forest_test:forest_test@localhost:5432/forest_scale"),
                    help="a database of its own (built stores are kept there and reused)")
    a = ap.parse_args()
    ensure_database(a.pg)
    from geo.change import mapview as mv
    from geo.stats.summary import summary

    stores = {n: store_for(a.pg, n) for n in (a.small, a.large)}
    results = {}
    for n, store in stores.items():
        for name, (bbox, zoom) in VIEWS.items():
            results[(name, n)] = timed(lambda: mv.viewport(store, bbox, zoom, mv.Filters()), a.runs)
        results[("summary", n)] = timed(lambda: summary(store, use_cache=False), max(1, a.runs // 2))
    for name in (*VIEWS, "summary"):
        small, large = results[(name, a.small)], results[(name, a.large)]
        print(json.dumps({"metric": f"{name}_s", "n": a.large, "value": round(large, 4), "unit": "s",
                          "baseline": f"the same on {a.small:,} polygons", "baseline_value": round(small, 4),
                          "ratio": round(large / small, 2)}), flush=True)


if __name__ == "__main__":
    main()
