"""A county stays on one shard: the change table partitioned by county code, at a province's scale.

    .venv/bin/python bench/partition.py [--n 1000000] [--counties 100] [--pg postgresql://…/forest_partition]

The closest thing to Citus runnable on one machine (docs/scale.md): PostgreSQL's declarative
partitioning of ``change_polygons`` by ``county_code`` (one partition per county, as Citus would
place one county's rows on one shard). Two stores in one database of their own (created when
missing, kept between runs): schema ``flat`` as the application makes it, and schema ``part``,
the same store with ``change_polygons`` replaced by a table partitioned by LIST (county_code).
Both hold the same N polygons spread over ``--counties`` counties of a province (a 10-wide grid
of 1° cells), in five batches.

Measured on each, medians of ``--runs`` after a warm-up, through the application's own code:

* ``viewport_county``: ``geo.change.mapview.viewport`` for a county-zoom view inside one county,
  filtered to that county (as an inspector's scope filters it), in turn over several counties;
* ``transition``: ``geo.engine.workflow.transition`` (issued → verifying) of polygons of one county —
  the application's statements find the polygon by id alone;
* ``transition_routed``: the same statements as a transition makes (read the polygon, update it
  at its version, append its event) with the county code beside the id, as a Citus deployment
  would route them.

EXPLAIN reports, for each statement, how many partitions the plan touches (``partitions``): the
claim is one for a county's map and a routed transition, all of them for a lookup by id alone.
Prints one JSON object per line.
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

BATCHES = 5
STATUSES = ("issued", "issued", "issued", "verifying", "verified", "closed")


def county_code(k: int) -> str:
    return f"15{k:04d}"


def county_box(k: int) -> tuple[float, float, float, float]:
    x0, y0 = 111.0 + (k % 10) * 1.0, 40.0 + (k // 10) * 0.9
    return x0, y0, x0 + 1.0, y0 + 0.9


def view_in(k: int) -> tuple[float, float, float, float]:
    """A county-zoom (11) view in the middle of county k: about 0.35° × 0.2°."""
    x0, y0, x1, y1 = county_box(k)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - 0.175, cy - 0.1, cx + 0.175, cy + 0.1


def fill(con, schema: str, n: int, counties: int) -> None:
    """N polygons (9-sided, 40–120 m across) spread evenly over the counties, in SQL."""
    statuses = "ARRAY[" + ", ".join(f"'{s}'" for s in STATUSES) + "]"
    con.execute("SELECT setseed(0.42)")
    con.execute(f"""
        INSERT INTO {schema}.change_polygons (id, geom, batch_id, source, kind, polygon_no, county_code, county,
            township, status, verdict, version, area_ha, area_mu, created_at, updated_at, updated_by, visited)
        SELECT g, ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(x, y), 4490), r, 'quad_segs=2')),
               1 + (g % {BATCHES}), '国家森林督查', 'forest', 'P' || lpad(g::text, 8, '0'),
               '15' || lpad(c::text, 4, '0'), '旗县' || c, '苏木' || (g % 7),
               ({statuses})[1 + (g % {len(STATUSES)})], NULL, 1, r * r * 1e6, r * r * 1.5e7,
               now(), now(), 'bench', 0
        FROM (SELECT g, c,
                     111.0 + (c % 10) + random() AS x, 40.0 + (c / 10) * 0.9 + random() * 0.9 AS y,
                     0.0004 + random() * 0.0008 AS r
              FROM (SELECT g, (g - 1) % {counties} AS c FROM generate_series(1, {n}) AS g) AS s) AS p""")


def build(base: str, n: int, counties: int) -> dict:
    """The two stores (reused when they already hold n polygons over the same counties)."""
    import psycopg

    from geo.store import open_store
    from tests.conftest import pg_schema_url

    urls = {s: pg_schema_url(base, s) for s in ("flat", "part")}
    with psycopg.connect(base, autocommit=True) as con:
        row = con.execute("SELECT value FROM flat.meta WHERE key = 'bench_partition'").fetchone() \
            if con.execute("SELECT to_regclass('flat.meta')").fetchone()[0] else None
        if row and json.loads(row[0]) == {"n": n, "counties": counties} and \
                con.execute("SELECT to_regclass('part.meta')").fetchone()[0]:
            return {s: open_store(u) for s, u in urls.items()}
        t = time.perf_counter()
        for s in urls:
            con.execute(f"DROP SCHEMA IF EXISTS {s} CASCADE")
            con.execute(f"CREATE SCHEMA {s}")
    stores = {s: open_store(u, create=True) for s, u in urls.items()}
    for s, store in stores.items():
        with store.transaction() as tx:
            for b in range(1, BATCHES + 1):
                store.add_batch(tx, name=f"2024年第{b}期", layer="change", source="国家森林督查", kind="forest",
                                issued_on="2024-03-01", verify_deadline="2024-06-30", rectify_deadline="2024-12-31")
    with psycopg.connect(base, autocommit=True) as con:
        fill(con, "flat", n, counties)
        con.execute("SELECT setval(pg_get_serial_sequence('flat.change_polygons', 'id'), %s)", [n])
        # the partitioned twin: the same columns, one partition per county (plus a default)
        con.execute("DROP TABLE part.change_polygons")
        con.execute("CREATE TABLE part.change_polygons (LIKE flat.change_polygons INCLUDING DEFAULTS) "
                    "PARTITION BY LIST (county_code)")
        con.execute("CREATE SEQUENCE part.change_polygons_id_seq OWNED BY part.change_polygons.id")
        con.execute("ALTER TABLE part.change_polygons ALTER id SET DEFAULT nextval('part.change_polygons_id_seq')")
        con.execute("ALTER TABLE part.change_polygons ADD PRIMARY KEY (id, county_code)")
        for k in range(counties):
            con.execute(f"CREATE TABLE part.change_polygons_{county_code(k)} PARTITION OF part.change_polygons "
                        f"FOR VALUES IN ('{county_code(k)}')")
        con.execute("CREATE TABLE part.change_polygons_other PARTITION OF part.change_polygons DEFAULT")
        con.execute("INSERT INTO part.change_polygons SELECT * FROM flat.change_polygons")
        con.execute("SELECT setval('part.change_polygons_id_seq', %s)", [n])
    stores["part"].init()  # the application's indexes (GiST, batch, number, hash) on the partitioned table
    for store in stores.values():
        store.rebuild_cells()
    with psycopg.connect(base, autocommit=True) as con:
        for s in urls:
            con.execute(f"ANALYZE {s}.change_polygons")
        con.execute("INSERT INTO flat.meta (key, value) VALUES ('bench_partition', %s)",
                    [json.dumps({"n": n, "counties": counties})])
    print(f"# built 2 × {n:,} polygons over {counties} counties in {time.perf_counter() - t:.0f} s",
          file=sys.stderr, flush=True)
    return stores


def partitions_touched(store, sql: str, params: list) -> int:
    """How many of change_polygons' tables (partitions, or the table itself) a plan reads."""
    with store.transaction(write=False) as tx:
        plan = tx.query("EXPLAIN (FORMAT JSON) " + sql, params)[0][0]
    names = set()

    def walk(node):
        rel = node.get("Relation Name", "")
        if rel.startswith("change_polygons"):
            names.add(rel)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return len(names)


def median_time(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def routed_transition(store, code: str, fid: int, actor: str) -> None:
    """A transition's statements with the county code beside the id (one shard on Citus)."""
    from geo.core.timeutil import now_utc

    at = now_utc()
    with store.transaction() as tx:
        row = tx.query_one("SELECT status, version FROM change_polygons WHERE county_code = ? AND id = ? FOR UPDATE",
                           [code, fid])
        status, version = row
        to = "verifying" if status == "issued" else "issued"
        n = tx.execute("UPDATE change_polygons SET status = ?, version = version + 1, updated_at = ?, updated_by = ? "
                       "WHERE county_code = ? AND id = ? AND version = ?", [to, at, actor, code, fid, version])
        assert n == 1
        store.add_events(tx, [("change", fid, at, actor, "transition", status, to, None, None, None, version + 1)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--pg", default=os.environ.get("FOREST_PARTITION_PG",
                                                    "postgresql://forest_test:forest_test@localhost:5432/forest_partition"),
                    help="a database of its own (the stores are kept there and reused)")
    a = ap.parse_args(argv)
    from bench.scale import ensure_database
    from geo.change import mapview as mv
    from geo.engine import workflow as W

    ensure_database(a.pg)
    stores = build(a.pg, a.n, a.counties)
    picks = [a.counties // 2 + d for d in (0, 1, 10, 11, 21)][: max(1, min(5, a.counties))]
    picks = [k % a.counties for k in picks]
    results: dict = {}
    for name, store in stores.items():
        views = iter(picks * (a.runs + 1))

        def one_view():
            k = next(views)
            view = mv.viewport(store, view_in(k), 11, mv.Filters(counties=(county_code(k),)))
            assert view.count > 0

        results[("viewport_county", name)] = median_time(one_view, a.runs)
        k = picks[0]
        code = county_code(k)
        ids = store.read_layer("change", where={"county_code": code, "status": "issued"}, columns=[],
                               geometry=False, limit=2 * a.runs + 2)["id"].tolist()
        todo = iter(ids)

        def one_transition():
            W.transition(store, "change", next(todo), "verifying", actor="bench_inspector")

        results[("transition", name)] = median_time(one_transition, a.runs)
        flip = iter(ids[: a.runs + 1] * 2)
        results[("transition_routed", name)] = median_time(
            lambda: routed_transition(store, code, next(flip), "bench_inspector"), a.runs)
        where, params = store._where(S_layer(), {"county_code": [code]}, view_in(k))
        results[("viewport_county", name, "partitions")] = partitions_touched(
            store, f"SELECT COUNT(*) FROM change_polygons{where}", params)
        results[("transition", name, "partitions")] = partitions_touched(
            store, "SELECT status, version FROM change_polygons WHERE id = ?", [ids[0]])
        results[("transition_routed", name, "partitions")] = partitions_touched(
            store, "SELECT status, version FROM change_polygons WHERE county_code = ? AND id = ?", [code, ids[0]])
    for metric in ("viewport_county", "transition", "transition_routed"):
        print(json.dumps({
            "metric": f"{metric}_s", "n": a.n, "value": round(results[(metric, "part")], 4), "unit": "s",
            "baseline": f"the same on the unpartitioned table ({a.counties} counties)",
            "baseline_value": round(results[(metric, "flat")], 4),
            "ratio": round(results[(metric, "part")] / results[(metric, "flat")], 2),
            "partitions_touched": results[(metric, "part", "partitions")],
            "partitions": a.counties + 1,
        }, ensure_ascii=False), flush=True)
    return 0


def S_layer():
    from geo.declare import registry as S

    return S.layer("change")


if __name__ == "__main__":
    sys.exit(main())
