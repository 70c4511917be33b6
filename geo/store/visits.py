"""Which change polygons a ranger patrol has visited, kept on the polygons as they are written.

A polygon counts as visited (``change_polygons.visited`` = 1) once a patrol track that started on
or after its batch was issued passed within :data:`VISIT_METRES` of the polygon's centre. The
leaders' screen reports how many open polygons were visited; computing that at view time means
reading every polygon near every track — ten times the polygons, ten times the wait. So the flag
is set where the facts change, in the same transaction:

* new change polygons are checked against the tracks near them;
* new tracks mark the polygons near them (and move them in ``change_facts``);
* :func:`recompute` sets every flag from scratch (store migration, demo builder, repairs).

Nothing here writes an event: the flag is derived from other records, never typed in. Editing or
deleting a track does not unmark polygons (a visit that was recorded stays a visit).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from geo.store import facts

VISIT_METRES = 200.0
M_PER_DEG = 111_195.0
TILE_DEG = 0.25


def margin_deg() -> float:
    return 2 * VISIT_METRES / M_PER_DEG


def tile_boxes(bounds: np.ndarray, grow: float) -> list[tuple]:
    """The boxes of many features merged per ``TILE_DEG`` tile (one spatial-index scan each),
    grown by ``grow`` degrees."""
    ok = np.isfinite(bounds).all(axis=1)
    if not ok.any():
        return []
    b = pd.DataFrame(bounds[ok], columns=["minx", "miny", "maxx", "maxy"])
    b["tx"] = np.floor((b["minx"] + b["maxx"]) / 2 / TILE_DEG)
    b["ty"] = np.floor((b["miny"] + b["maxy"]) / 2 / TILE_DEG)
    g = b.groupby(["tx", "ty"]).agg(minx=("minx", "min"), miny=("miny", "min"), maxx=("maxx", "max"),
                                    maxy=("maxy", "max"))
    return [(r.minx - grow, r.miny - grow, r.maxx + grow, r.maxy + grow) for r in g.itertuples()]


def issued_dates(tx) -> dict[int, str]:
    return {int(i): str(d)[:10] for i, d in tx.query("SELECT id, issued_on FROM batches") if d is not None}


def visited_mask(cx, cy, batch_ids, lines, started, issued: dict[int, str]) -> np.ndarray:
    """For each centre (``cx``, ``cy``, its ``batch_id``): whether a track in ``lines`` that
    started (``started``: ISO date text) on or after the batch's issue date passed within
    :data:`VISIT_METRES`. Distances in degrees scaled by cos(latitude): within 0.5 % here."""
    cx = np.asarray(cx, dtype="float64")
    cy = np.asarray(cy, dtype="float64")
    out = np.zeros(len(cx), dtype=bool)
    lines = np.asarray(lines, dtype=object)
    ok_l = ~(shapely.is_missing(lines) | shapely.is_empty(lines)) if len(lines) else np.zeros(0, bool)
    ok_c = np.isfinite(cx) & np.isfinite(cy)
    if not ok_l.any() or not ok_c.any():
        return out
    lines = lines[ok_l]
    started = np.asarray([str(s)[:10] if not _missing(s) else "" for s in np.asarray(started, dtype=object)[ok_l]],
                         dtype=object)
    k = math.cos(math.radians(float(np.mean(cy[ok_c]))))
    scaled = shapely.transform(lines, lambda c: c * np.array([k, 1.0]))
    idx = np.flatnonzero(ok_c)
    pts = shapely.points(cx[idx] * k, cy[idx])
    pi, li = shapely.STRtree(scaled).query(pts, predicate="dwithin", distance=VISIT_METRES / M_PER_DEG)
    if not len(pi):
        return out
    b = np.asarray(batch_ids, dtype=object)[idx]
    since = np.array([issued.get(int(x), "") if not _missing(x) else "" for x in b], dtype=object)
    after = started[li].astype(str) >= since[pi].astype(str)
    out[idx[np.unique(pi[after])]] = True
    return out


def _missing(value) -> bool:
    """None, NaN or pandas' NA (a batch id read from a nullable integer column): ``x == x`` is
    ambiguous for NA."""
    return value is None or bool(pd.isna(value))


def for_new_polygons(store, tx, bounds: np.ndarray, batch_ids) -> list[int]:
    """``visited`` (0/1) for change polygons about to be inserted, from the tracks near them."""
    n = len(bounds)
    boxes = tile_boxes(bounds, margin_deg())
    if not boxes:
        return [0] * n
    tracks = store.read_layer("patrol", bbox=boxes, columns=["started_at"], tx=tx)
    if tracks.empty:
        return [0] * n
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    hit = visited_mask(cx, cy, list(batch_ids), tracks.geometry.values, tracks["started_at"].to_numpy(),
                       issued_dates(tx))
    return hit.astype(int).tolist()


def after_new_tracks(store, tx, lines: np.ndarray, started) -> int:
    """Mark the change polygons near newly inserted tracks; returns how many became visited."""

    lines = np.asarray(lines, dtype=object)
    if not len(lines):
        return 0
    boxes = tile_boxes(shapely.bounds(lines), margin_deg())
    if not boxes:
        return 0
    cen = store.read_layer("change", bbox=boxes, where={"visited": 0}, columns=["batch_id"], geometry=False,
                           centers=True, tx=tx)
    if cen.empty:
        return 0
    hit = visited_mask(cen["cx"], cen["cy"], cen["batch_id"].tolist(), lines, started, issued_dates(tx))
    ids = [int(i) for i in cen["id"].to_numpy()[hit]]
    if ids:
        _set_visited(store, tx, ids, facts)
    return len(ids)


def _set_visited(store, tx, ids: list[int], facts) -> None:
    cols = f"{', '.join(facts.KEYS)}, {', '.join(facts.VALUES)}"
    for k in range(0, len(ids), 5000):
        chunk = ids[k:k + 5000]
        marks = ", ".join("?" * len(chunk))
        names, rows = tx.columns(f"SELECT {cols} FROM change_polygons WHERE id IN ({marks})", chunk)
        old = pd.DataFrame(rows, columns=names, dtype=object)
        facts.apply_facts(tx, old, -1)
        tx.execute(f"UPDATE change_polygons SET visited = 1 WHERE id IN ({marks})", chunk)
        facts.apply_facts(tx, old.assign(visited=1), +1)


def recompute(store, tx) -> int:
    """Every polygon's flag from all tracks (facts are rebuilt by the caller). Returns the
    number visited."""
    tx.execute("UPDATE change_polygons SET visited = 0 WHERE visited IS NULL OR visited <> 0")
    tracks = store.read_layer("patrol", columns=["started_at"], tx=tx)
    if tracks.empty:
        return 0
    boxes = tile_boxes(shapely.bounds(tracks.geometry.values), margin_deg())
    cen = store.read_layer("change", bbox=boxes, columns=["batch_id"], geometry=False, centers=True, tx=tx)
    if cen.empty:
        return 0
    hit = visited_mask(cen["cx"], cen["cy"], cen["batch_id"].tolist(), tracks.geometry.values,
                       tracks["started_at"].to_numpy(), issued_dates(tx))
    ids = [int(i) for i in cen["id"].to_numpy()[hit]]
    for k in range(0, len(ids), 5000):
        chunk = ids[k:k + 5000]
        tx.execute(f"UPDATE change_polygons SET visited = 1 WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
    return len(ids)
