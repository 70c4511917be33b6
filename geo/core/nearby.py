"""Which features of a layer lie within a distance of some points, in metres.

One read of the layer around all the points (the spatial index answers boxes, a few hundred at a
time), one ``STRtree`` query for the candidate pairs, and the exact distance of each pair measured
in the CGCS2000 3° Gauss-Krüger zone of the point. Used to say whether an enterprise borders
forest land and which change polygons and plots lie near a complaint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C

BOXES_PER_READ = 200
M_PER_DEGREE_LON_MIN = 60_000.0  # a degree of longitude at 57°N; 兴安盟 lies at 44-48°N


def within(store, tx, layer: str, points, limit_m: float, columns=(), where: dict | None = None) -> pd.DataFrame:
    """Pairs ``(i, id, m, *columns)``: feature ``id`` of ``layer`` lies ``m`` metres (≤ ``limit_m``)
    from ``points[i]``. Missing or empty points have no pairs."""
    pts = np.asarray(list(points), dtype=object)
    cols = ["i", "id", "m", *columns]
    ok = np.flatnonzero(~(shapely.is_missing(pts) | shapely.is_empty(pts))) if len(pts) else np.array([], int)
    if not len(ok):
        return pd.DataFrame(columns=cols)
    pad = float(limit_m) / M_PER_DEGREE_LON_MIN + 1e-4
    b = shapely.bounds(pts[ok])
    boxes = [(x0 - pad, y0 - pad, x1 + pad, y1 + pad) for x0, y0, x1, y1 in b]
    parts = [store.read_layer(layer, bbox=boxes[k:k + BOXES_PER_READ], where=where, columns=list(columns), tx=tx)
             for k in range(0, len(boxes), BOXES_PER_READ)]
    near = pd.concat(parts, ignore_index=True).drop_duplicates("id") if len(parts) > 1 else parts[0]
    if near.empty:
        return pd.DataFrame(columns=cols)
    near = near.reset_index(drop=True)
    pi, ni = shapely.STRtree(near.geometry.values).query(pts[ok], predicate="dwithin", distance=pad)
    if not len(pi):
        return pd.DataFrame(columns=cols)
    pi = ok[pi]
    lon = shapely.get_x(shapely.centroid(pts[pi]))
    zone = np.clip(3 * np.round(lon / 3.0), 75, 135).astype(int)
    dist = np.zeros(len(pi))
    for cm in np.unique(zone):
        sel = zone == cm
        epsg = f"EPSG:{4534 + (cm - 75) // 3}"
        a = C.transform_geoms(pts[pi[sel]], C.CGCS2000, epsg)
        g = C.transform_geoms(near.geometry.values[ni[sel]], C.CGCS2000, epsg)
        dist[sel] = shapely.distance(a, g)
    out = pd.DataFrame({"i": pi, "id": near["id"].to_numpy()[ni], "m": np.round(dist, 1)})
    for c in columns:
        out[c] = near[c].to_numpy()[ni]
    return out[out["m"] <= float(limit_m)].sort_values(["i", "m"]).reset_index(drop=True)
