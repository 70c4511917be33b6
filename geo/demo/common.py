"""What the demo's register builders share: the demo note, random points in a polygon, the places
(county, township) of demo geometries from the demo's own admin frames."""

from __future__ import annotations

from geo.declare import registry as S

DEMO_NOTE = "演示数据"


def points_in(poly, n: int, rng):
    """``n`` random points (shapely) inside ``poly`` (rejection sampling)."""
    import numpy as np
    import shapely

    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    out = []
    while len(out) < n:
        x = rng.uniform(minx, maxx, max(3 * (n - len(out)), 32))
        y = rng.uniform(miny, maxy, len(x))
        ok = shapely.contains_xy(poly, x, y)
        out.extend(shapely.points(x[ok], y[ok]).tolist())
    return np.array(out[:n], dtype=object)


def places(geoms, ctx: dict) -> dict:
    """County code and name, and township, of each geometry's representative point, from the
    demo's own admin frames (``ctx['counties']``, ``ctx['townships']``): ``{field: list}``."""
    import numpy as np
    import shapely

    pts = shapely.point_on_surface(np.asarray(geoms, dtype=object))
    out = {}
    for frame, cols in ((ctx["counties"], {"county_code": "district_adcode", "county": "district_name"}),
                        (ctx["townships"], {"township": "name"})):
        tree = shapely.STRtree(frame.geometry.values)
        fi, pi = tree.query(pts, predicate="within")
        hit = np.full(len(pts), -1)
        hit[fi] = pi
        for field, col in cols.items():
            values = frame[col].astype(str).to_numpy(dtype=object)
            out[field] = [values[h] if h >= 0 else None for h in hit]
    return out


def insert_with_history(store, tx, layer: str, rows: list[dict], geoms, *, actor: str = "staff",
                        comment: str = f"{DEMO_NOTE}：导入") -> list[int]:
    """Insert demo records with the histories that led to their current state, so figures "as of"
    an earlier day replay them. ``rows[i]``: ``values`` (the current values, with ``status``),
    ``created`` (UTC text), ``start`` (status on creation; default the register's initial one) and
    ``steps``: ``[(at, actor, to_status, {fields set}, comment[, action]), …]`` in time order
    (``action`` names an operation's event; default a transition)."""
    import json

    import geopandas as gpd
    import pandas as pd

    lyr = S.layer(layer)
    frame = pd.DataFrame([{**r["values"], "version": 1 + len(r.get("steps") or ()), "created_at": r["created"]}
                          for r in rows])
    gframe = gpd.GeoDataFrame(frame, geometry=list(geoms), crs=4490)
    ids = store.insert_features(tx, layer, gframe, actor=actor, at=rows[0]["created"] if rows else None, raw=True)
    events = []
    for fid, r in zip(ids, rows):
        steps = r.get("steps") or []
        later = {k for s in steps for k in s[3]}
        first = {k: v for k, v in r["values"].items()
                 if k not in later and k not in ("status",) and v is not None and not (isinstance(v, float) and v != v)}
        start = r.get("start") or lyr.initial_status
        events.append((layer, int(fid), r["created"], r.get("actor", actor), "create", None, start,
                       json.dumps(first, ensure_ascii=False, default=str), comment, None, 1))
        status = start
        for k, (at, who, to, fields, note, *action) in enumerate(steps, start=2):
            events.append((layer, int(fid), at, who, action[0] if action else "transition", status, to,
                           json.dumps(fields, ensure_ascii=False, default=str) if fields else None, note, None, k))
            status = to
    events.sort(key=lambda e: e[2])
    store.add_events(tx, events)
    return [int(i) for i in ids]
