"""Adding and listing records of any register, under the same rules everywhere (app, CLI, demo).

A record added here is checked against its declaration (types, value lists, required fields, the
register's own ``validate`` rule), placed (county and township from where it lies, its zones and
chiefs — :mod:`geo.store.attribution`), checked against the user's access (the register's writers, the
user's counties) and stored with a ``create`` event, in one transaction.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.declare import schema as S
from geo.core.errors import PermissionDenied, ValidationError
from geo.declare.registry import rules_of
from geo.access.scope import unwrap
from geo.core.timeutil import local_date, now_utc


def check_values(lyr: S.Layer, values: dict) -> dict:
    """``values`` in their fields' types, with value lists and unknown names checked."""
    from geo.engine.workflow import coerce

    out = {}
    for name, value in values.items():
        f = lyr.field(name)
        v = coerce(lyr, name, value)
        if v is not None and f.options and v not in f.options:  # a list may say "满意" for satisfied
            v = next((o for o in f.options if v in (S.label(name, o, "zh"), S.label(name, o, "en"))), v)
        if v is not None and f.options and v not in f.options:
            v = option_key(f, v)
        if v is not None and f.options and v not in f.options:
            labels = "、".join(S.label(name, o) for o in f.options)
            raise ValidationError(f"{f.en} must be one of {', '.join(f.options)}, not '{v}'",
                                  f"“{f.zh}”只能是：{labels}（而不是“{v}”）", field=name)
        out[name] = v
    return out


def option_key(f: S.Field, value):
    """The key of a value-list entry written as people write it — its Chinese or English label
    ("打包" for ``bagging``), any case, spaces ignored — or ``value`` unchanged."""
    text = "".join(str(value).split()).lower()
    for key in f.options:
        pair = S.LABELS.get(f.name, {}).get(key)
        names = {str(key).lower(), *(("".join(p.split()).lower() for p in pair) if pair else ())}
        if pair:
            names.add("".join(pair[0].split()).rstrip("级"))  # "旗县" for 旗县级
        if text in names:
            return key
    return value


def measures(lyr: S.Layer, geom) -> dict:
    """What the geometry measures, for the fields the register has: a line's ``length_km``, a
    polygon's ``area_ha``/``area_mu`` (and ``area_crs``), each in the geometry's own 3° Gauss-Krüger
    zone (:mod:`geo.core.crs`). A point of a point-or-polygon register measures nothing (None)."""
    from geo.core import crs as C

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


def placed_many(store, tx, lyr: S.Layer, geoms, keeps: list[dict] | None = None) -> list[dict]:
    """The place fields of records at ``geoms`` (county, township, zones, and what the register's
    ``placed`` rule derives), except those each record's ``keep`` already holds. The admin units and
    zones are read once for all of them (a register may give ``placed_many`` for its own rule)."""
    from geo.store.attribution import for_features

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


def _check_write(lyr: S.Layer, access, values: dict) -> None:
    if access is None:
        return
    if not access.can_write_layer(lyr.key):
        raise PermissionDenied(f"role '{access.role}' may not add {lyr.en}",
                               f"当前角色不能新增{lyr.zh}")
    if access.counties is not None and lyr.has("county_code"):
        code = values.get("county_code")
        if code not in access.counties:
            raise PermissionDenied(f"{access.user} may not add {lyr.en} outside their counties",
                                   f"您（{access.user}）只能在本人负责的旗县内新增{lyr.zh}")


def add(store, layer: str, values: dict, *, geometry=None, actor: str, access=None, comment: str | None = None,
        attachments: list[tuple[str, bytes]] | None = None, at: str | None = None, action: str = "create") -> int:
    """Add one record; returns its id. ``geometry`` in EPSG:4490 (None for registers without a place)."""
    from geo.core import evidence as ev

    raw, access = unwrap(store, access)
    lyr = S.layer(layer)
    values = check_values(lyr, {k: v for k, v in values.items() if v not in (None, "")})
    if lyr.spatial and geometry is None and not lyr.place_optional:
        raise ValidationError(f"a {lyr.en} record needs a location", f"{lyr.zh}需要位置（坐标或图形）",
                              field="geometry")
    values.update(measures(lyr, geometry))
    rules = rules_of(lyr)
    if rules is not None and hasattr(rules, "validate"):
        values = rules.validate(raw, values, None)
    missing = [f.zh for f in lyr.fields if f.required and values.get(f.name) in (None, "")]
    if missing:
        raise ValidationError(f"{lyr.en}: required fields are missing",
                              f"{lyr.zh}缺少必填项：{'、'.join(missing)}", missing=missing)
    files = [(name, data, ev.check(name, data)) for name, data in (attachments or [])]
    at = at or now_utc()
    with raw.transaction() as tx:
        geometry, values = locate(raw, tx, lyr, values, geometry)
        if geometry is not None:
            values.update(placed(raw, tx, lyr, geometry, keep=values))
        _check_write(lyr, access, values)
        for name, stamp in lyr.stamps.get(values.get("status") or lyr.initial_status, {}).items():
            if values.get(name) in (None, ""):
                values[name] = local_date(at).isoformat() if stamp == "today" else actor
        frame = gpd.GeoDataFrame(pd.DataFrame([values]) if values else pd.DataFrame(index=[0]),
                                 geometry=[geometry], crs=4490)
        fid = raw.insert_features(tx, layer, frame, actor=actor, at=at, comment=comment, action=action,
                                  record_values=True)[0]
        if files:
            shas = [raw.put_attachment(tx, name, data, mime, actor, at) for name, data, mime in files]
            raw.add_events(tx, [(layer, int(fid), at, actor, "attach", None, None, None, None,
                                 _json(shas), 1)])
    return int(fid)


def _json(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


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


def listing(store, layer: str, *, where: dict | None = None, columns=None, geometry: bool = False):
    """A register's records (as the user may see them)."""
    lyr = S.layer(layer)
    cols = columns or [f.name for f in lyr.fields if not f.internal] + ["status", "version"]
    cols = list(dict.fromkeys(c for c in cols if lyr.has(c)))
    return store.read_layer(layer, where=where, columns=cols, geometry=geometry and lyr.spatial)
