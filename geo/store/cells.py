"""Pre-counted map cells of the change polygons, kept up to date with every write.

At league or province zoom a view holds every polygon of the store, so counting them on a grid
at view time costs a scan of the whole layer — ten times longer for ten times the polygons. This
table holds those counts ready: for each zoom level from :data:`ZOOMS`, each grid cell, and each
combination of the filters the map offers at that scale (batch, county, status, verdict), how
many polygons have the centre of their bounding box in the cell. Inserts add to it and status
changes move a polygon from one row to another, in the same transaction as the change itself, so
the counts are never stale; :func:`rebuild` recomputes them from the features (new stores, stores
from before this table, and any bulk repair).

The grid of zoom ``z`` has cells of ``cell_w(z)`` degrees of longitude (48 screen pixels) by
``cell_w(z) · ASPECT`` degrees of latitude; ``ASPECT`` is the latitude scale at 45°, so cells are
close to square on screen across China.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

ZOOMS = tuple(range(3, 10))  # at 10 and closer a view is small enough to count live
CELL_PX = 48
ASPECT = math.cos(math.radians(45.0))
DIMS = ("batch_id", "county_code", "status", "verdict")  # filters the cells can answer
NULL_INT, NULL_TEXT = -1, ""


def cell_w(zoom: int, cell_px: int = CELL_PX) -> float:
    return 360.0 / (256 * 2**zoom) * cell_px


def cell_h(zoom: int, cell_px: int = CELL_PX) -> float:
    return cell_w(zoom, cell_px) * ASPECT


def rows(frame: pd.DataFrame, sign: int = 1) -> list[tuple]:
    """Cell rows ``(z, gx, gy, batch_id, county_code, status, verdict, n)`` for the features in
    ``frame`` (columns ``cx``, ``cy`` and the :data:`DIMS`), each counting ``sign``."""
    if frame.empty:
        return []
    if len(frame) <= 8:  # one polygon changing status: plain Python (a pandas group-by per zoom costs ~0.25 s)
        return _few_rows(frame, sign)
    keys = pd.DataFrame({
        "batch_id": pd.to_numeric(frame["batch_id"], errors="coerce").fillna(NULL_INT).astype("int64").to_numpy(),
        "county_code": frame["county_code"].astype(object).where(frame["county_code"].notna(), NULL_TEXT).to_numpy(),
        "status": frame["status"].astype(object).to_numpy(),
        "verdict": frame["verdict"].astype(object).where(frame["verdict"].notna(), NULL_TEXT).to_numpy(),
    })
    x = frame["cx"].to_numpy(float)
    y = frame["cy"].to_numpy(float)
    out = []
    for z in ZOOMS:
        part = keys.assign(z=z, gx=np.floor(x / cell_w(z)).astype("int64"), gy=np.floor(y / cell_h(z)).astype("int64"))
        counts = part.groupby(["z", "gx", "gy", *DIMS], sort=False).size()
        out.extend((int(a), int(b), int(c), int(d), str(e), str(f), str(g), sign * int(n))
                   for (a, b, c, d, e, f, g), n in counts.items())
    return out


def _few_rows(frame: pd.DataFrame, sign: int) -> list[tuple]:
    counts: dict[tuple, int] = {}
    for rec in frame[["cx", "cy", *DIMS]].to_dict("records"):
        bid = rec["batch_id"]
        bid = NULL_INT if bid is None or (isinstance(bid, float) and math.isnan(bid)) else int(bid)
        code = rec["county_code"] if isinstance(rec["county_code"], str) else NULL_TEXT
        verdict = rec["verdict"] if isinstance(rec["verdict"], str) else NULL_TEXT
        x, y = float(rec["cx"]), float(rec["cy"])
        for z in ZOOMS:
            key = (z, math.floor(x / cell_w(z)), math.floor(y / cell_h(z)), bid, code, str(rec["status"]), verdict)
            counts[key] = counts.get(key, 0) + 1
    return [(*k, sign * n) for k, n in counts.items()]


UPSERT = ("INSERT INTO change_cells (z, gx, gy, batch_id, county_code, status, verdict, n) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (z, gx, gy, batch_id, county_code, status, verdict) "
          "DO UPDATE SET n = change_cells.n + excluded.n")


def apply(tx, frame: pd.DataFrame, sign: int = 1) -> None:
    """Add (``sign`` = 1) or remove (−1) the features of ``frame`` from the cells."""
    data = rows(frame, sign)
    if data:
        tx.executemany(UPSERT, data)


def answerable(where: dict | None, zoom: int | None) -> bool:
    """Whether the cells can count this view: a pre-counted zoom and only the filters they hold."""
    return zoom in ZOOMS and set(where or {}) <= set(DIMS)


def query(tx, zoom: int, bbox, where: dict | None) -> list[tuple[int, int, int]]:
    """``[(gx, gy, n), …]`` for the cells of ``zoom`` meeting ``bbox``, under ``where``."""
    w, h = cell_w(zoom), cell_h(zoom)
    minx, miny, maxx, maxy = bbox
    parts = ["z = ?", "gx BETWEEN ? AND ?", "gy BETWEEN ? AND ?"]
    params: list = [int(zoom), math.floor(minx / w), math.floor(maxx / w), math.floor(miny / h), math.floor(maxy / h)]
    for key, value in (where or {}).items():
        values = list(value) if isinstance(value, (list, tuple, set, np.ndarray)) else [value]
        null = NULL_INT if key == "batch_id" else NULL_TEXT
        values = [null if v is None else (int(v) if key == "batch_id" else str(v)) for v in values]
        if not values:
            return []
        parts.append(f"{key} IN ({', '.join('?' * len(values))})")
        params.extend(values)
    sql = (f"SELECT gx, gy, SUM(n) FROM change_cells WHERE {' AND '.join(parts)} "
           "GROUP BY gx, gy HAVING SUM(n) > 0")
    return [(int(a), int(b), int(n)) for a, b, n in tx.query(sql, params)]
