"""Where a record lies: county and township from the admin units it falls in, its responsibility
zones and their chiefs (:mod:`geo.store.attribution`), what its register's ``placed`` rule
derives, and what its geometry measures (length, area in 公顷/亩) — computed whenever a record is
placed or moved."""

from __future__ import annotations

import numpy as np
import shapely

from geo.core import crs as C
from geo.core.errors import ValidationError
from geo.declare import registry as S
from geo.declare.registry import rules_of
from geo.store.attribution import for_features


def measures(lyr: S.Layer, geom) -> dict:
    """What the geometry measures, for the fields the register has: a line's ``length_km``, a
    polygon's ``area_ha``/``area_mu`` (and ``area_crs``), each in the geometry's own 3° Gauss-Krüger
    zone (:mod:`geo.core.crs`). A point of a point-or-polygon register measures nothing (None)."""
    if geom is None or shapely.is_empty(geom):
        return {}
    kind = shapely.get_type_id(geom)
    out: dict = {}
    if lyr.has("length_km") and kind in (1, 5):
        out["length_km"] = round(float(C.lengths_km(np.array([geom], dtype=object))[0]), 3)
    if lyr.has("area_ha") or lyr.has("area_mu"):
        if kind in (3, 6):
            ha, mu, crs = C.areas_ha_mu(np.array([geom], dtype=object))
            out.update(area_ha=round(float(ha[0]), 4), area_mu=round(float(mu[0]), 2), area_crs=crs[0])
        elif lyr.geometry == "GEOMETRY":
            out.update(area_ha=None, area_mu=None, area_crs=None)
    return {k: v for k, v in out.items() if lyr.has(k)}


def _where_they_lie(store, tx, geoms: np.ndarray) -> list[dict]:
    """County code and name, and township, of the admin units holding each geometry's
    representative point (one read of the admin units around them all)."""
    pts = shapely.point_on_surface(geoms)
    b = shapely.bounds(pts)
    box = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
    units = store.read_layer("admin", bbox=box, columns=["code", "name", "level", "parent_code"], tx=tx)
    out: list[dict] = [{} for _ in range(len(pts))]
    if units.empty:
        return out
    pi, ui = shapely.STRtree(units.geometry.values).query(pts, predicate="intersects")  # inside or on the edge
    level, code, name = (units[c].to_numpy(dtype=object) for c in ("level", "code", "name"))
    for p, u in sorted(zip(pi.tolist(), ui.tolist())):
        if level[u] == "county" and "county_code" not in out[p]:
            out[p]["county_code"], out[p]["county"] = str(code[u]), name[u]
        elif level[u] == "township" and "township" not in out[p]:
            out[p]["township"] = name[u]
    return out


def outside_jurisdiction(store, tx, geom) -> bool:
    """Whether ``geom`` lies in none of the store's counties (False when the store has no county
    units to judge by)."""
    if geom is None or shapely.is_empty(geom):
        return False
    if not tx.query_one("SELECT 1 FROM admin_units WHERE level = 'county' LIMIT 1"):
        return False
    return "county_code" not in _where_they_lie(store, tx, np.array([geom], dtype=object))[0]


def placed_many(store, tx, lyr: S.Layer, geoms, keeps: list[dict] | None = None) -> list[dict]:
    """The place fields of records at ``geoms`` (county, township, zones, and what the register's
    ``placed`` rule derives), except those each record's ``keep`` already holds. The admin units and
    zones are read once for all of them (a register may give ``placed_many`` for its own rule)."""
    geoms = list(geoms)
    keeps = keeps or [{} for _ in geoms]
    outs: list[dict] = [{} for _ in geoms]
    ok = [i for i, g in enumerate(geoms) if g is not None and not shapely.is_empty(g)]
    if not ok:
        return outs
    arr = np.array([geoms[i] for i in ok], dtype=object)
    for i, where in zip(ok, _where_they_lie(store, tx, arr)):
        outs[i] = {k: v for k, v in where.items() if lyr.has(k) and keeps[i].get(k) in (None, "")}
    if lyr.attributed and lyr.has("zones"):
        zid, zones = for_features(store, tx, arr)
        for k, i in enumerate(ok):
            outs[i]["zones"] = zones[k]
            if lyr.has("zone_id") and keeps[i].get("zone_id") in (None, ""):
                outs[i]["zone_id"] = zid[k]
    rules = rules_of(lyr)
    if rules is not None and hasattr(rules, "placed_many"):
        extra = rules.placed_many(store, tx, lyr, list(arr), [{**keeps[i], **outs[i]} for i in ok])
    elif rules is not None and hasattr(rules, "placed"):
        extra = [rules.placed(store, tx, lyr, geoms[i], {**keeps[i], **outs[i]}) for i in ok]
    else:
        extra = [{} for _ in ok]
    for i, more in zip(ok, extra):
        outs[i].update(more)
    for i in ok:  # what the geometry measures (length, area), as the upload computes it
        outs[i].update({k: v for k, v in measures(lyr, geoms[i]).items() if keeps[i].get(k) in (None, "")})
    return outs


def placed(store, tx, lyr: S.Layer, geom, keep: dict | None = None) -> dict:
    """The place fields of a record at ``geom`` (county, township, zones), except those in ``keep``,
    and what it measures (:func:`measures`)."""
    return placed_many(store, tx, lyr, [geom], [keep or {}])[0]


def locate(store, tx, lyr: S.Layer, values: dict, geometry):
    """``(geometry, values)``: the record's own place, or one its register's ``locate`` rule finds
    (an address matched to townships and villages …) for a ``place_optional`` register."""
    if geometry is not None or not lyr.spatial:
        return geometry, values
    rules = rules_of(lyr)
    if rules is not None and hasattr(rules, "locate"):
        return rules.locate(store, tx, lyr, values)
    return None, values


def point(lon, lat):
    """A point from longitude/latitude text or numbers, checked to be a place on Earth."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise ValidationError(f"'{lon}, {lat}' is not a longitude/latitude pair",
                              f"“{lon}，{lat}”不是有效的经纬度") from None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise ValidationError(f"{x}, {y} is not a longitude/latitude", f"{x}，{y} 不是有效的经纬度（经度在前）")
    return shapely.Point(x, y)
