"""Cameras and lookouts: the view radius by type, and how much forest and grassland land they see.

A viewshed is simplified as a circle of the view radius (terrain is not modelled: a hill behind a
camera is counted as seen). Coverage is measured in a projected CRS, never in degrees: each land
polygon is projected to the CGCS2000 3° Gauss-Krüger zone of its centre (:mod:`geo.core.crs`), the
circles of the cameras near it are drawn there, merged and cut to the land.

**The land.** The store has no land-cover layer. :func:`land_polygons` takes the polygons of the
layer named by the ``fire_land_layer`` setting (a forest/grassland layer, e.g. the 小班 of a
carbon register, dissolved per county), and otherwise the counties themselves — so until a land
layer is loaded, "covered share" is the share of each county's whole area, which understates
the share of forest and grassland. :func:`coverage` takes any land polygons, so a caller with
better land passes it directly.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.core.errors import ValidationError
from geo.core.timeutil import optional_date
from geo.declare import registry as S
from geo.core.config import current
from geo.access.scope import unwrap

# typical view radius by type when a list gives none (metres): a mast camera of the forest
# fire system sees a few kilometres, a lookout tower about ten, a junction camera the junction
DEFAULT_RADIUS_M = {"camera": 5000.0, "junction_camera": 500.0, "lookout": 10000.0, "warning_post": 50.0}
MAX_RADIUS_M = 50_000.0
ACTIVE = ("active",)  # a faulty camera sees nothing until repaired
FIGURE_COLUMNS = ("camera_kind", "built_on", "radius_m")


def validate(store, values: dict, current: dict | None) -> dict:
    """A radius from the type when none is given (flagged), and a plausible one when given."""
    merged = {**(current or {}), **values}
    flags = dict(merged.get("flags") or {})
    radius = merged.get("radius_m")
    if radius in (None, "") and merged.get("camera_kind") in DEFAULT_RADIUS_M:
        values["radius_m"] = DEFAULT_RADIUS_M[merged["camera_kind"]]
        flags["radius_default"] = True
        values["flags"] = flags
    elif values.get("radius_m") not in (None, "") and flags.pop("radius_default", None):
        values["flags"] = flags or None
    radius = values.get("radius_m", radius)
    if radius not in (None, "") and float(radius) > MAX_RADIUS_M:
        raise ValidationError(f"a view radius of {radius} m is more than {MAX_RADIUS_M:.0f} m: check the unit (metres)",
                              f"可视半径 {float(radius):,.0f} 米超过 {MAX_RADIUS_M / 1000:.0f} 公里，请核对单位（米）",
                              field="radius_m")
    return values


# ------------------------------------------------------------------------------ the land
def land_polygons(store, settings=None, counties=None) -> gpd.GeoDataFrame:
    """The forest and grassland land per county: ``county_code``, ``name``, ``geometry``
    (EPSG:4490). See the module docstring for where it comes from."""

    settings = settings if settings is not None else current()
    admin = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"])
    names = dict(zip(admin["code"].astype(str), admin["name"]))
    layer = getattr(settings, "fire_land_layer", "") or ""
    if layer and layer in S.LAYERS and S.layer(layer).has("county_code"):
        land = store.read_layer(layer, columns=["county_code"])
        land = land[land["county_code"].notna() & ~land.geometry.is_empty]
        out = land.dissolve(by="county_code", as_index=False)[["county_code", "geometry"]]
        out["name"] = out["county_code"].map(names)
        out["source"] = layer
    else:
        out = admin.rename(columns={"code": "county_code"})[["county_code", "name", "geometry"]].copy()
        out["source"] = "admin"
    out["county_code"] = out["county_code"].astype(str)
    if counties is not None:
        out = out[out["county_code"].isin([str(c) for c in counties])]
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=4490)


# ------------------------------------------------------------------------------ coverage
def coverage(cameras: gpd.GeoDataFrame, land: gpd.GeoDataFrame, key: str = "county_code"):
    """How much of each land polygon the cameras see.

    ``cameras``: points (EPSG:4490) with ``radius_m``; ``land``: polygons (EPSG:4490) with
    ``key``. Returns ``(table, covered)``: ``table`` has ``key``, ``land_km2``, ``covered_km2``,
    ``share`` (0–1) and ``cameras`` (how many see part of it); ``covered`` is a GeoDataFrame of
    the seen part of each land polygon (EPSG:4490), for the map.
    """
    rows, shapes = [], []
    pts = np.asarray(cameras.geometry.values, dtype=object) if len(cameras) else np.array([], dtype=object)
    radii = pd.to_numeric(cameras["radius_m"], errors="coerce").fillna(0.0).to_numpy() if len(cameras) else np.array([])
    ok = (radii > 0) & ~(shapely.is_missing(pts) | shapely.is_empty(pts)) if len(pts) else np.array([], dtype=bool)
    pts, radii = pts[ok], radii[ok]
    for k, geom in zip(land[key].tolist(), land.geometry.values):
        if geom is None or geom.is_empty:
            continue
        lon = (geom.bounds[0] + geom.bounds[2]) / 2
        epsg = f"EPSG:{C.gk3_epsg_for_lon(lon)}"
        g = C.transform_geoms(np.array([geom], dtype=object), C.CGCS2000, epsg)[0]
        land_m2 = float(g.area)
        seen = shapely.Polygon()
        n = 0
        if len(pts):
            xy = C.transform_geoms(pts, C.CGCS2000, epsg)
            circles = shapely.buffer(xy, radii, quad_segs=16)
            near = shapely.intersects(circles, g)
            n = int(near.sum())
            if n:
                seen = shapely.intersection(shapely.union_all(circles[near]), g)
        rows.append({key: k, "land_km2": land_m2 / 1e6, "covered_km2": float(seen.area) / 1e6,
                     "share": float(seen.area) / land_m2 if land_m2 > 0 else 0.0, "cameras": n})
        back = C.transform_geoms(np.array([seen], dtype=object), epsg, C.CGCS2000)[0] if not seen.is_empty else None
        shapes.append({key: k, "geometry": back})
    table = pd.DataFrame(rows, columns=[key, "land_km2", "covered_km2", "share", "cameras"])
    covered = gpd.GeoDataFrame(pd.DataFrame(shapes, columns=[key, "geometry"]), geometry="geometry", crs=4490)
    return table, covered


def seeing(frame: pd.DataFrame) -> pd.Series:
    """Which records count for coverage: cameras and lookouts in service."""
    if frame.empty:
        return pd.Series(dtype=bool)
    return frame["status"].isin(ACTIVE)


def _with_geometry(store, frame: pd.DataFrame) -> gpd.GeoDataFrame:
    ids = frame.loc[seeing(frame), "id"].astype("int64").tolist() if len(frame) else []
    if not ids:
        return gpd.GeoDataFrame({"id": [], "radius_m": []}, geometry=[], crs=4490)
    return store.read_layer("camera", ids=ids, columns=["radius_m"])


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Coverage per county (share of the land seen by cameras in service) and the cameras built
    in the year of ``ctx['today']``."""

    _raw, access = unwrap(store)
    counties = ctx.get("counties") or (sorted(access.counties) if access is not None and access.counties else None)
    land = land_polygons(store, ctx.get("settings"), counties)
    table, _ = coverage(_with_geometry(store, frame), land)
    land_total = float(table["land_km2"].sum())
    covered_total = float(table["covered_km2"].sum())
    year = ctx["today"].year
    built = frame["built_on"].map(lambda d: (day.year if (day := optional_date(d)) else None)) \
        if len(frame) and "built_on" in frame else pd.Series(dtype=object)
    new = frame[(built == year).to_numpy(dtype=bool)] if len(frame) else frame
    codes = new["county_code"].fillna("∅").astype(str) if len(new) else pd.Series(dtype=str)
    return {
        "coverage_pct": {"total": round(100 * covered_total / land_total, 1) if land_total else None,
                         "by_county": {r["county_code"]: round(100 * r["share"], 1) for r in table.to_dict("records")}},
        "covered_km2": {"total": round(covered_total, 1),
                        "by_county": {r["county_code"]: round(r["covered_km2"], 1) for r in table.to_dict("records")}},
        "built_this_year": {"total": int(len(new)), "by_county": {k: int(v) for k, v in codes.value_counts().items()}},
    }


def overview(store, frame: pd.DataFrame, lang: str = "zh") -> list:
    """The page's table: per county, land, area seen and share, with where the land comes from."""
    table, land = _coverage_now(store)
    zh = lang == "zh"
    if table.empty:
        return []
    names = dict(zip(land["county_code"], land["name"]))
    out = pd.DataFrame({
        "旗县" if zh else "County": table["county_code"].map(names),
        ("林草地面积（平方公里）" if land["source"].iat[0] != "admin" else "旗县面积（平方公里）") if zh
        else ("Land (km²)" if land["source"].iat[0] != "admin" else "County area (km²)"): table["land_km2"].round(1),
        "监控覆盖（平方公里）" if zh else "Seen (km²)": table["covered_km2"].round(1),
        "覆盖率" if zh else "Share": (100 * table["share"]).round(1).astype(str) + "%",
        "在用设备" if zh else "Cameras in service": table["cameras"],
    })
    if land["source"].iat[0] == "admin":
        note = ("监控覆盖（按可视半径的圆计算，未考虑地形遮挡）。尚未导入林地草地图层，覆盖率按旗县全域面积计算，低于对林草地的实际覆盖率。"
                if zh else "Coverage (circles of the view radius, terrain not modelled). No forest/grassland layer is "
                "loaded yet, so shares are of each county's whole area and understate the share of forest and grassland.")
    else:
        note = ("监控覆盖（按可视半径的圆计算，未考虑地形遮挡），按林草地图层计算。" if zh
                else "Coverage of the forest and grassland layer (circles of the view radius, terrain not modelled).")
    return [(note, out)]


def map_layers(store, frame: pd.DataFrame, lang: str = "zh") -> list:
    """The seen part of the land, for the page's map."""
    _table, _land, covered = _coverage_now(store, shapes=True)
    covered = covered[covered.geometry.notna()]
    if covered.empty:
        return []
    covered = covered.assign(geometry=shapely.simplify(covered.geometry.values, 0.0005))
    zh = lang == "zh"
    return [{"name": "监控覆盖范围" if zh else "Camera coverage", "geojson": covered.__geo_interface__,
             "color": "#1a9850", "fill_opacity": 0.25,
             "legend": "绿色为在用监控可视半径覆盖的范围" if zh else "green: seen by cameras in service"}]


def _coverage_now(store, shapes: bool = False):

    _raw, access = unwrap(store)
    counties = sorted(access.counties) if access is not None and access.counties else None
    frame = store.read_layer("camera", columns=["status", "radius_m"])
    frame = frame[seeing(frame).to_numpy(dtype=bool)] if len(frame) else frame
    land = land_polygons(store, None, counties)
    table, covered = coverage(frame, land)
    return (table, land, covered) if shapes else (table, land)


def bulletin(figures: dict, ctx: dict | None = None) -> str | None:
    """The cameras' sentence ("2025年新建路口监控一批"), with the coverage and what it is of."""

    cams = int((figures.get("cameras") or {}).get("total") or 0)
    towers = int((figures.get("lookouts") or {}).get("total") or 0)
    if not cams and not towers:
        return None
    year = (ctx or {}).get("today").year if (ctx or {}).get("today") else None
    new = int((figures.get("built_this_year") or {}).get("total") or 0)
    parts = [f"建成森林草原防火视频监控{cams}处" + (f"、瞭望塔{towers}座" if towers else "")]
    if new:
        parts.append(f"{year}年新建监控{new}处" if year else f"当年新建监控{new}处")
    pct = (figures.get("coverage_pct") or {}).get("total")
    if pct is not None:
        settings = (ctx or {}).get("settings") or current()
        basis = "林草地" if getattr(settings, "fire_land_layer", "") else "辖区面积"
        parts.append(f"监控可视范围覆盖{basis}的{pct:g}%")
    faulty = int((figures.get("faulty") or {}).get("total") or 0)
    if faulty:
        parts.append(f"{faulty}处设备故障待修复")
    return "，".join(parts) + "。"
