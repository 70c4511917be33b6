"""The pre-aggregated summary tables stay equal to counting the polygons and events live."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from geo.engine import workflow as W
from geo.store import facts
from tests.helpers import add_batch, insert, jpeg, polygons


def live_facts(store) -> pd.DataFrame:
    with store.transaction(write=False) as tx:
        names, rows = tx.columns(
            "SELECT batch_id, county_code, county, status, verdict, deadline, visited, COUNT(*) AS n, "
            "COALESCE(SUM(fine_yuan), 0) AS fine_sum, COUNT(fine_yuan) AS fine_n, "
            "COALESCE(SUM(area_ha), 0) AS ha, COALESCE(SUM(area_mu), 0) AS mu FROM change_polygons "
            "GROUP BY batch_id, county_code, county, status, verdict, deadline, visited")
    return pd.DataFrame(rows, columns=names, dtype=object)


def normal(frame: pd.DataFrame) -> list:
    out = []
    for r in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        out.append((None if r["batch_id"] is None else int(r["batch_id"]), r["county_code"] or None,
                    r["county"] or None, r["status"], r["verdict"] or None,
                    str(r["deadline"])[:10] if r["deadline"] else None, int(r["visited"]), int(r["n"]),
                    round(float(r["fine_sum"]), 2), int(r["fine_n"]), round(float(r["ha"]), 6),
                    round(float(r["mu"]), 6)))
    return sorted(out, key=repr)


def test_facts_and_hours_follow_every_change(store):
    bid = add_batch(store)
    ids = insert(store, polygons(8, area_ha=[1.5] * 8, area_mu=[22.5] * 8), batch_id=bid)
    insert(store, polygons(3, x0=122.0, county_code="152223", county="扎赉特旗"))
    for fid in ids[:5]:
        W.transition(store, "change", fid, "verifying", actor="甲")
        W.transition(store, "change", fid, "verified", actor="甲", fields={"verdict": "illegal"})
    W.transition(store, "change", ids[0], "case_filed", actor="乙", fields={"case_no": "1"})
    W.transition(store, "change", ids[0], "penalized", actor="乙", fields={"decision_no": "2", "fine_yuan": 1758})
    W.transition(store, "change", ids[0], "rectifying", actor="乙", fields={"measure": "复绿", "deadline": "2025-01-31"})
    W.edit(store, "change", ids[1], actor="丙", fields={"county_code": "152223", "county": "扎赉特旗"})
    W.transition(store, "change", ids[6], "verifying", actor="甲")
    W.transition(store, "change", ids[6], "verified", actor="甲", fields={"verdict": "legal", "verified_cause": "60 森林抚育"})
    W.transition(store, "change", ids[6], "closed", actor="甲", attachments=[("a.jpg", jpeg())])
    with store.transaction(write=False) as tx:
        kept = facts.read_facts(tx)
    assert normal(kept) == normal(live_facts(store))
    hours = store.table("event_hours")
    ev = store.events("change", actions=["transition"])
    live = ev.assign(h=ev["at"].str.slice(0, 13)).groupby(["h", "to_status"]).size()
    kept_hours = hours[hours["n"].astype(int) != 0].set_index(["h", "to_status"])["n"].astype(int)
    assert kept_hours.sort_index().to_dict() == live.sort_index().to_dict()
    store.rebuild_cells()
    with store.transaction(write=False) as tx:
        assert normal(facts.read_facts(tx)) == normal(live_facts(store))


def track(x0: float, y0: float, started: str) -> gpd.GeoDataFrame:
    """A ranger's track running east along y0 from x0 for about 800 m."""
    return gpd.GeoDataFrame({"actor": ["护林员甲"], "actor_level": ["ranger"], "started_at": [started],
                             "county_code": ["152224"]},
                            geometry=[LineString([(x0, y0), (x0 + 0.01, y0)])], crs=4490)


def add_tracks(store, frame):
    with store.transaction() as tx:
        store.insert_features(tx, "patrol", frame, actor="staff")


def test_patrol_visits_are_kept_on_the_polygons_as_tracks_and_polygons_arrive(store):
    from geo.core.errors import ValidationError
    from geo.stats.summary import summary

    bid = add_batch(store)  # issued 2024-04-01; boxes 0.004° wide, centres 0.01° apart
    ids = insert(store, polygons(3), batch_id=bid)
    visited = lambda: dict(zip(*(lambda f: (f["id"].tolist(), f["visited"].astype(int).tolist()))(
        store.read_layer("change", columns=["visited"], geometry=False))))
    assert set(visited().values()) == {0}
    # a track past polygon 0's centre (about 100 m south of it) after the batch was issued …
    add_tracks(store, track(121.498, 45.901, "2024-05-02T01:00:00Z"))
    # … and one right over polygon 1, but walked before the batch was issued: no visit
    add_tracks(store, track(121.508, 45.902, "2024-03-01T01:00:00Z"))
    assert visited() == {ids[0]: 1, ids[1]: 0, ids[2]: 0}
    # a polygon arriving later near a track is visited on arrival
    late = insert(store, polygons(1, x0=121.4985, y0=45.9005, polygon_no=["L1"]), batch_id=bid)
    assert visited()[late[0]] == 1
    with store.transaction(write=False) as tx:
        assert normal(facts.read_facts(tx)) == normal(live_facts(store))
    fig = summary(store, use_cache=False)["patrols"]
    assert (fig["open_total"], fig["open_visited"]) == (4, 2)
    # the replayed (as-of) path computes the same from the tracks
    import datetime as dt

    from geo.core.timeutil import today_local

    asof = summary(store, as_of=today_local() + dt.timedelta(days=1), use_cache=False)["patrols"]
    assert (asof["open_total"], asof["open_visited"]) == (4, 2)
    # derived, not typed in
    with pytest.raises(ValidationError) as err:
        W.edit(store, "change", ids[2], actor="甲", fields={"visited": 1})
    assert "系统计算" in err.value.zh
    # a recount from scratch agrees with what the writes kept
    store.rebuild_cells()
    assert visited() == {ids[0]: 1, ids[1]: 0, ids[2]: 0, late[0]: 1}
    with store.transaction(write=False) as tx:
        assert normal(facts.read_facts(tx)) == normal(live_facts(store))


def test_a_store_from_before_visits_is_migrated_on_open(store_url):
    from geo.store import open_store
    from geo.stats.summary import summary

    store = open_store(store_url, create=True)
    bid = add_batch(store)
    ids = insert(store, polygons(3), batch_id=bid)
    add_tracks(store, track(121.498, 45.901, "2024-05-02T01:00:00Z"))
    with store.transaction() as tx:  # the layout of the previous release
        tx.execute("ALTER TABLE change_polygons DROP COLUMN visited")
        tx.execute("DROP TABLE change_facts")
        tx.execute("CREATE TABLE change_facts (batch_id INTEGER NOT NULL, county_code TEXT NOT NULL, "
                   "county TEXT NOT NULL, status TEXT NOT NULL, verdict TEXT NOT NULL, deadline TEXT NOT NULL, "
                   "n INTEGER NOT NULL, fine_sum REAL NOT NULL, fine_n INTEGER NOT NULL, ha REAL NOT NULL, "
                   "mu REAL NOT NULL, PRIMARY KEY (batch_id, county_code, county, status, verdict, deadline))")
    from geo import store as store_pkg

    store_pkg._migrated.discard(store.url)
    again = open_store(store_url)
    flags = again.read_layer("change", columns=["visited"], geometry=False)
    assert dict(zip(flags["id"], flags["visited"].astype(int))) == {ids[0]: 1, ids[1]: 0, ids[2]: 0}
    with again.transaction(write=False) as tx:
        assert normal(facts.read_facts(tx)) == normal(live_facts(again))
    fig = summary(again, use_cache=False)["patrols"]
    assert (fig["open_total"], fig["open_visited"]) == (3, 1)
