"""Coordinates: CGCS2000 and its Gauss-Krüger zones, area in 公顷/亩, GCJ-02.

Everything in the store is EPSG:4490 (CGCS2000 geographic, lon/lat with ``always_xy``). Area is
never computed in degrees: each geometry is projected to the CGCS2000 3-degree Gauss-Krüger zone
of its centre (EPSG:4534-4554, central meridians 75°E-135°E, no zone prefix) and measured there.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer

# 1 mu = 10000/15 m^2; 1 ha = 15 mu.
MU_PER_HA = 15.0
M2_PER_MU = 10000.0 / 15.0


CGCS2000 = "EPSG:4490"


def gk3_epsg_for_lon(lon: float) -> int:
    """EPSG code of the CGCS2000 3° GK zone (no prefix) whose central meridian is nearest ``lon``.

    >>> gk3_epsg_for_lon(121.2)   # central meridian 120°E
    4549
    """
    cm = int(3 * round(float(lon) / 3.0))
    cm = min(max(cm, 75), 135)
    return 4534 + (cm - 75) // 3


@lru_cache(maxsize=64)
def transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def transform_geoms(geoms: np.ndarray, src, dst) -> np.ndarray:
    """Vectorised reprojection of an array of shapely geometries."""
    src, dst = CRS.from_user_input(src).to_string(), CRS.from_user_input(dst).to_string()
    if src == dst:
        return geoms
    tr = transformer(src, dst)

    def fn(xy):
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def areas_m2(geoms) -> tuple[np.ndarray, np.ndarray]:
    """Area in m² of each EPSG:4490 geometry, measured in its own 3° GK zone.

    Returns ``(area_m2, epsg)``: the areas and the EPSG code of the zone each was measured in.
    Empty or missing geometries get area 0 and epsg 0.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    area = np.zeros(n, dtype="float64")
    epsg = np.zeros(n, dtype="int64")
    if n == 0:
        return area, epsg
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return area, epsg
    b = shapely.bounds(geoms[ok])
    cx = (b[:, 0] + b[:, 2]) / 2.0
    cm = np.clip(3 * np.round(cx / 3.0), 75, 135).astype(int)
    codes = 4534 + (cm - 75) // 3
    idx = np.flatnonzero(ok)
    # a polygon without holes (nearly every change polygon) is measured from its projected
    # vertices (:func:`_simple_polygon_areas`); anything else through the projected geometry
    simple = (shapely.get_type_id(geoms) == 3) & ok
    simple[ok] &= shapely.get_num_interior_rings(geoms[ok]) == 0
    for code in np.unique(codes):
        sel = idx[codes == code]
        fast = sel[simple[sel]]
        rest = sel[~simple[sel]]
        if len(fast):
            area[fast] = _simple_polygon_areas(geoms[fast], f"EPSG:{code}")
        if len(rest):
            area[rest] = shapely.area(transform_geoms(geoms[rest], CGCS2000, f"EPSG:{code}"))
        epsg[sel] = code
    return area, epsg


def _simple_polygon_areas(geoms: np.ndarray, dst: str) -> np.ndarray:
    """Area of each polygon without holes once its vertices are projected to ``dst``: the
    shoelace sum over the projected ring, relative to its first vertex as GEOS sums it — the area
    GEOS gives the projected polygon, without building the projected polygons (for half a million
    polygons that copy was most of the time, and held the GIL)."""
    xy = shapely.get_coordinates(geoms)
    counts = shapely.get_num_coordinates(geoms)
    x, y = transformer(CGCS2000, CRS.from_user_input(dst).to_string()).transform(xy[:, 0], xy[:, 1])
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ring = np.repeat(np.arange(len(geoms)), counts)
    x, y = x - x[start[ring]], y - y[start[ring]]
    inside = ring[:-1] == ring[1:]  # (no term joins the end of one ring to the next; rings are closed)
    cross = (x[:-1] * y[1:] - x[1:] * y[:-1])[inside]
    return np.abs(np.bincount(ring[:-1][inside], weights=cross, minlength=len(geoms))) / 2.0


def areas_ha_mu(geoms) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Area of each geometry in 公顷 and 亩, with the CRS it was measured in (``EPSG:45xx``)."""
    m2, epsg = areas_m2(geoms)
    codes, which = np.unique(epsg, return_inverse=True)  # (a label per zone, not per polygon)
    labels = np.array([f"EPSG:{e}" if e else "" for e in codes.tolist()], dtype=object)
    return m2 / 10000.0, m2 / M2_PER_MU, labels[which.reshape(-1)].tolist()


def lengths_km(geoms) -> np.ndarray:
    """Length in km of each EPSG:4490 line, measured in its own 3° GK zone."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return out
    b = shapely.bounds(geoms[ok])
    cm = np.clip(3 * np.round(((b[:, 0] + b[:, 2]) / 2.0) / 3.0), 75, 135).astype(int)
    codes = 4534 + (cm - 75) // 3
    idx = np.flatnonzero(ok)
    for code in np.unique(codes):
        sel = idx[codes == code]
        out[sel] = shapely.length(transform_geoms(geoms[sel], CGCS2000, f"EPSG:{code}")) / 1000
    return out


# --- GCJ-02 ("Mars coordinates", used by Gaode/AMap tiles and many Chinese apps) -----------------
# The forward formula is public and fixed; there is no well-kept vectorised library for it (the
# PyPI ports convert one point at a time in Python), so it is written here over numpy arrays.
_A = 6378245.0
_EE = 0.00669342162296594323


def _in_china(lon, lat):
    return (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)


def _delta(lon, lat):
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    dlon, dlat = _delta(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon, lat, iterations: int = 3):
    """Inverse of :func:`wgs84_to_gcj02` by fixed-point iteration (error < 1 cm after 3 steps)."""
    glon, glat = np.asarray(lon, float), np.asarray(lat, float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (tlon - glon), wlat - (tlat - glat)
    return wlon, wlat


def gcj02_geoms_to_wgs84(geoms: np.ndarray) -> np.ndarray:
    def fn(xy):
        x, y = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), fn)


# --- names people read ------------------------------------------------------------------------
# pyproj names the Chinese systems in English ("CGCS2000 / 3-degree Gauss-Kruger CM 123E"); pages
# and exports in Chinese show them the way the bureaus write them.
_DATUMS_ZH = {"China Geodetic Coordinate System 2000": "CGCS2000", "CGCS2000": "CGCS2000",
              "Xian 1980": "西安 1980", "Beijing 1954": "北京 1954", "New Beijing": "新北京 1954",
              "WGS 84": "WGS 84"}
_GK = re.compile(r"^(?P<datum>.+?) / (?P<deg>3-degree )?Gauss-Kruger (?:zone (?P<zone>\d+)|CM (?P<cm>\d+)E)$")
_UTM = re.compile(r"^(?P<datum>.+?) / UTM zone (?P<zone>\d+)(?P<hemi>[NS])$")
_OTHER_ZH = {"WGS 84 / Pseudo-Mercator": "网络墨卡托（WGS 84）"}


def crs_name(crs, lang: str = "zh") -> str:
    """The name of a CRS for people: ``EPSG:4550`` → ``CGCS2000 高斯-克吕格 3度带 第41带（中央经线 东经123°）``
    in Chinese, pyproj's own name in English. ``crs`` is anything pyproj reads (``EPSG:4550``,
    ``4550``, WKT, a :class:`pyproj.CRS`); text pyproj cannot read is returned as it is."""
    if crs is None or crs == "":
        return ""
    try:
        obj = crs if isinstance(crs, CRS) else CRS.from_user_input(int(crs) if str(crs).isdigit() else crs)
    except Exception:  # noqa: BLE001 - a label, never a reason to fail
        return str(crs)
    name = obj.name
    if lang != "zh":
        return name
    if name in _DATUMS_ZH:
        return f"{_DATUMS_ZH[name]} 经纬度"
    if name in _OTHER_ZH:
        return _OTHER_ZH[name]
    m = _GK.match(name)
    if m and m["datum"] in _DATUMS_ZH:
        datum = _DATUMS_ZH[m["datum"]]
        width = 3 if m["deg"] else 6
        if m["zone"]:  # false easting carries the zone number
            return f"{datum} 高斯-克吕格 {width}度带 第{m['zone']}带（横坐标含带号）"
        cm = int(m["cm"])
        zone = cm // 3 if width == 3 else (cm + 3) // 6
        return f"{datum} 高斯-克吕格 {width}度带 第{zone}带（中央经线 东经{cm}°）"
    m = _UTM.match(name)
    if m and m["datum"] in _DATUMS_ZH:
        hemi = "北" if m["hemi"] == "N" else "南"
        return f"{_DATUMS_ZH[m['datum']]} UTM 投影 第{m['zone']}带（{hemi}半球）"
    return name


def crs_label(crs, lang: str = "zh") -> str:
    """:func:`crs_name` followed by its EPSG code where it has one: ``CGCS2000 高斯-克吕格 3度带
    第41带（中央经线 东经123°）· EPSG:4550``. Several CRS texts joined by ", " are each labelled."""
    if crs is None or crs == "":
        return ""
    if isinstance(crs, str) and ", " in crs and not crs.lstrip().startswith(("PROJCS", "GEOGCS", "PROJCRS", "GEOGCRS")):
        return ("、" if lang == "zh" else ", ").join(crs_label(c, lang) for c in crs.split(", "))
    if isinstance(crs, CRS):
        crs = crs.to_wkt()
    return _labelled(str(crs), lang)


@lru_cache(maxsize=256)
def _labelled(text: str, lang: str) -> str:
    name = crs_name(text, lang)
    try:
        code = CRS.from_user_input(int(text) if text.isdigit() else text).to_epsg(min_confidence=70)
    except Exception:  # noqa: BLE001 - a label, never a reason to fail
        code = None
    return f"{name} · EPSG:{code}" if code else name
