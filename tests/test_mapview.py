"""What the map is sent: the database counts the view, draws up to the cap, aggregates beyond."""

from __future__ import annotations

import numpy as np
import pytest

from geo.change import mapview as mv
from tests.helpers import add_batch, insert, polygons


@pytest.fixture
def grid_store(store):
    bid = add_batch(store)
    frames = [polygons(30, x0=121.50 + 0.001 * k, y0=45.90 + 0.003 * k) for k in range(10)]
    for k, f in enumerate(frames):
        f["polygon_no"] = [f"G{k}-{i}" for i in range(len(f))]
        f["status"] = ["issued" if i % 3 else "closed" for i in range(len(f))]
        insert(store, f, batch_id=bid)
    return store


def test_few_polygons_are_drawn_many_are_counted_on_a_grid(grid_store):
    bbox = (121.4, 45.8, 122.0, 46.1)
    drawn = mv.viewport(grid_store, bbox, 11, mv.Filters(), cap=1000)
    assert drawn.mode == "features" and drawn.count == 300 and len(drawn.features) == 300
    assert {"due", "overdue", "geometry"} <= set(drawn.features.columns)
    counted = mv.viewport(grid_store, bbox, 11, mv.Filters(), cap=100)
    assert counted.mode == "aggregate" and counted.features is None
    assert sum(c["count"] for c in counted.cells) == 300
    # the database's grid equals counting the centres in Python
    frame = mv.candidates(grid_store, mv.Filters(), bbox=bbox, centers=True)
    expected = mv.grid_counts(frame["cx"].to_numpy(), frame["cy"].to_numpy(), bbox, 11)
    key = lambda cells: sorted((c["count"], tuple(np.round(c["bbox"], 9))) for c in cells)  # noqa: E731
    assert key(counted.cells) == key(expected)


def test_filters_apply_to_both_modes_and_empty_views(grid_store):
    bbox = (121.4, 45.8, 122.0, 46.1)
    closed = mv.Filters(statuses=("closed",))
    assert mv.viewport(grid_store, bbox, 11, closed, cap=1000).count == 100
    assert sum(c["count"] for c in mv.viewport(grid_store, bbox, 11, closed, cap=10).cells) == 100
    assert mv.viewport(grid_store, (100, 30, 101, 31), 11, mv.Filters()).mode == "empty"


def test_filters_from_the_url():
    f = mv.Filters.from_query({"batch": "1,2", "county": "152224", "status": "penalized", "verdict": "illegal",
                               "overdue": "1", "stage": "reached", "bogus": "x"})
    assert f.batch_ids == (1, 2) and f.counties == ("152224",) and f.overdue_only
    assert f.effective_statuses() == ["penalized", "rectifying", "rectified", "accepted", "applied", "returned",
                                      "reviewed", "closed"]  # (an illegal polygon applies only once accepted)
    assert mv.Filters.from_query({"status": "nonsense,closed"}).statuses == ("closed",)


def test_next_and_previous_wrap_around():
    assert mv.step([3, 5, 9], 9) == 3 and mv.step([3, 5, 9], 3, -1) == 9
    assert mv.step([3, 5, 9], 42) == 3 and mv.step([], 1) is None


def test_pre_counted_cells_stay_equal_to_a_live_count(grid_store):
    """Inserts and status changes keep the pre-counted cells exact, on both backends."""
    from geo.engine import workflow as W
    from geo.store import cells

    store = grid_store
    ids = store.read_layer("change", where={"status": "issued"}, geometry=False, columns=["status"])["id"].tolist()
    for fid in ids[:12]:
        W.transition(store, "change", fid, "verifying", actor="甲")
    for fid in ids[:5]:
        W.transition(store, "change", fid, "verified", actor="甲", fields={"verdict": "illegal"})
    insert(store, polygons(20, x0=120.1, y0=46.5))
    bbox = (119.0, 44.0, 124.0, 48.0)
    for zoom in (5, 8, 10):
        w, h = cells.cell_w(zoom), cells.cell_h(zoom)
        for where in ({}, {"status": ["verifying", "verified"]}, {"verdict": "illegal"},
                      {"county_code": ["152224"], "status": "issued"}):
            pre = sorted(store.grid_counts("change", bbox, w, h, where, zoom))
            live = sorted(store.grid_counts("change", bbox, w, h, where))
            assert pre == live, (zoom, where)
    with store.transaction() as tx:
        before = tx.query("SELECT * FROM change_cells WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7")
    store.rebuild_cells()
    with store.transaction() as tx:
        after = tx.query("SELECT * FROM change_cells WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7")
    assert before == after


def test_cells_catch_up_with_edits_another_tool_made(grid_store):
    """QGIS or a SQL script moves a polygon across the league and re-files another straight in the
    database, bypassing the store; the far-zoom map (pre-counted cells) shows them where they now
    are, and the app's own next change on one of them is counted once."""
    from geo.engine import workflow as W
    from geo.store import cells

    store = grid_store
    frame = store.read_layer("change", geometry=False, columns=["status"])
    issued = frame[frame["status"] == "issued"]["id"].tolist()
    moved, refiled = int(issued[0]), int(issued[1])
    far = "MULTIPOLYGON(((123.50 47.50, 123.52 47.50, 123.52 47.51, 123.50 47.51, 123.50 47.50)))"
    with store.transaction() as tx:  # plain SQL, as another program would send it
        if store.__class__.__name__.startswith("Gpkg"):
            from shapely import wkt
            from geo.store.gpkg import encode

            tx.execute("UPDATE change_polygons SET geom = ? WHERE id = ?", [encode([wkt.loads(far)])[0], moved])
        else:
            tx.execute("UPDATE change_polygons SET geom = ST_GeomFromText(?, 4490) WHERE id = ?", [far, moved])
        tx.execute("UPDATE change_polygons SET status = 'closed', county_code = '152223' WHERE id = ?", [refiled])

    def agree():
        bbox = (119.0, 44.0, 124.5, 48.5)
        for zoom in (5, 9):
            w, h = cells.cell_w(zoom), cells.cell_h(zoom)
            for where in ({}, {"county_code": ["152223"]}, {"status": "closed"}):
                assert sorted(store.grid_counts("change", bbox, w, h, where, zoom)) == \
                    sorted(store.grid_counts("change", bbox, w, h, where)), (zoom, where)

    agree()
    view = mv.viewport(store, (123.45, 47.45, 123.55, 47.55), 9, mv.Filters())
    assert view.count == 1
    W.transition(store, "change", moved, "verifying", actor="甲")
    agree()
