"""Which responsibility zone — and so which chiefs — each feature belongs to.

Every feature of an attributed register gets, when it arrives (upload, CLI, app, demo):

* ``zone_id`` — the finest-level zone that holds it (most of its area for a polygon, most of its
  length for a track, the zone it lies in for a point);
* ``zones`` — ``{level: zone id, …}`` for every level, plus ``"others": {level: [ids]}`` for the
  other zones a straddling feature touches, so nothing is hidden.

Zones in force are those without ``valid_to`` (a county's zones replaced by a new version keep
their history; :func:`geo.chief.chiefs.replace_zones` re-attributes the features as recorded events).
A store with no zones attributes nothing, and the details then say that no zone is defined.

Cost: one R-tree read of the zones near the features and one vectorised ``STRtree`` query; only
the features that straddle zones of one level have their overlaps measured.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import shapely

LEVEL_ORDER = ("league", "banner", "township", "village", "grid")


def zones_in_force(store, tx=None, bbox=None, on: str | None = None) -> "pd.DataFrame":
    """Zones valid now (or on date ``on``, ISO text), with geometry, near ``bbox``."""
    frame = store.read_layer("zone", bbox=bbox, columns=["level", "parent_id", "valid_from", "valid_to", "name"],
                             tx=tx)
    if frame.empty:
        return frame
    if on is None:
        keep = frame["valid_to"].isna()
    else:
        start = frame["valid_from"].fillna("0000-00-00").astype(str)
        end = frame["valid_to"].fillna("9999-99-99").astype(str)
        keep = (start <= on) & (end > on)
    return frame[keep.to_numpy()].reset_index(drop=True)


def _measure(geoms: np.ndarray, zones: np.ndarray) -> np.ndarray:
    """How much of each geometry lies in the paired zone (area, length, or 1 for a point inside)."""
    try:
        inter = shapely.intersection(geoms, zones)
    except shapely.errors.GEOSException:  # a self-touching ring (kept as delivered): measure its repair
        inter = shapely.intersection(shapely.make_valid(geoms), shapely.make_valid(zones))
    kind = shapely.get_type_id(geoms)
    out = np.where(np.isin(kind, (3, 6)), shapely.area(inter), shapely.length(inter))
    points = np.isin(kind, (0, 4))
    if points.any():
        out[points] = shapely.intersects(geoms[points], zones[points]).astype(float)
    return out


def attribute(geoms, zones: "pd.DataFrame") -> tuple[list, list]:
    """``(zone_id list, zones JSON list)`` for ``geoms`` against ``zones`` (from
    :func:`zones_in_force`). Features outside every zone get ``None``."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    if n == 0 or zones is None or zones.empty:
        return [None] * n, [None] * n
    zgeoms = zones.geometry.to_numpy()
    zids = zones["id"].to_numpy(dtype="int64")
    zlevel = zones["level"].astype(object).to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    tree = shapely.STRtree(zgeoms)
    fi, zi = tree.query(np.where(ok, geoms, None), predicate="intersects")
    if len(fi) == 0:
        return [None] * n, [None] * n
    pairs = pd.DataFrame({"f": fi, "z": zi, "level": zlevel[zi]})
    counts = pairs.groupby(["f", "level"])["z"].transform("size")
    pairs["m"] = 1.0
    multi = (counts > 1).to_numpy()
    if multi.any():
        sub = pairs[multi]
        pairs.loc[multi, "m"] = _measure(geoms[sub["f"].to_numpy()], zgeoms[sub["z"].to_numpy()])
    pairs = pairs.sort_values(["f", "level", "m"], ascending=[True, True, False], kind="stable")
    best = pairs.drop_duplicates(["f", "level"])
    others = pairs[~pairs.index.isin(best.index)]
    rank = {lv: i for i, lv in enumerate(LEVEL_ORDER)}
    zone_id: list = [None] * n
    out: list = [None] * n
    by_f = {f: g for f, g in best.groupby("f")}
    oth = {f: g for f, g in others.groupby("f")} if len(others) else {}
    for f, g in by_f.items():
        levels = {str(lv): int(zids[z]) for lv, z in zip(g["level"], g["z"])}
        finest = max(levels, key=lambda lv: rank.get(lv, -1))
        zone_id[f] = levels[finest]
        rec = dict(levels)
        if f in oth:
            extra: dict = {}
            for lv, z in zip(oth[f]["level"], oth[f]["z"]):
                extra.setdefault(str(lv), []).append(int(zids[z]))
            rec["others"] = extra
        out[f] = json.dumps(rec, sort_keys=True)
    return zone_id, out


def for_features(store, tx, geoms) -> tuple[list, list]:
    """Attribution of new features against the zones in force, inside ``tx``."""
    geoms = np.asarray(geoms, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.zeros(0, bool)
    if not ok.any():
        return [None] * len(geoms), [None] * len(geoms)
    b = shapely.bounds(geoms[ok])
    box = (float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])), float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3])))
    return attribute(geoms, zones_in_force(store, tx, box))
