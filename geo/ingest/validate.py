"""Geometry checks and repairs, and where each feature lies.

Everything here is vectorised over shapely 2 arrays; Python loops run only over the features that
need a repair or a reason.
"""

from __future__ import annotations

import re
import struct

import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.declare import registry as S
from geo.ingest.coords import CHINA

class _Families(dict):
    """Geometry family per layer; registers declared later answer from their geometry kind."""

    def __missing__(self, layer: str) -> str:

        return {"POINT": "point", "LINESTRING": "line", "MULTIPOLYGON": "polygon", "GEOMETRY": "mixed"}.get(
            S.layer(layer).geometry or "", "point")


FAMILY = _Families({"change": "polygon", "occupation": "polygon", "restoration": "polygon", "zone": "polygon",
                    "patrol": "line", "signboard": "point"})
FAMILY_ZH = {"polygon": "面", "line": "线", "point": "点", "mixed": "点或面"}
TYPE_ZH = {"Point": "点", "MultiPoint": "多点", "LineString": "线", "MultiLineString": "多线",
           "LinearRing": "环", "Polygon": "面", "MultiPolygon": "多面", "GeometryCollection": "几何集合"}
_POLY = (3, 6)  # shapely type ids
_LINE = (1, 5)
_POINT = (0, 4)

# is_valid_reason keyword → Chinese
_REASONS = [
    ("Self-intersection", "自相交"),
    ("Ring Self-intersection", "环自相交"),
    ("Too few points", "点数不足"),
    ("Hole lies outside shell", "内环（洞）在外环之外"),
    ("Nested shells", "外环相互嵌套"),
    ("Interior is disconnected", "内部不连通"),
    ("Holes are nested", "内环相互嵌套"),
    ("Duplicate Rings", "重复的环"),
    ("Invalid Coordinate", "坐标无效"),
    ("Ring not closed", "环未闭合"),
]


class Problems:
    """Per-feature findings: ``level`` is rejected, repaired, duplicate, flag or warning."""

    def __init__(self):
        self.rows: list[dict] = []

    def add(self, feature: int, field: str, level: str, zh: str, en: str, **extra) -> None:
        self.rows.append({"feature": int(feature), "field": field, "level": level, "zh": zh, "en": en, **extra})

    def extend(self, other: "Problems") -> None:
        self.rows.extend(other.rows)


def _reason_zh(reason: str) -> str:
    for key, zh in sorted(_REASONS, key=lambda kv: -len(kv[0])):
        if reason.startswith(key):
            return zh + reason[len(key):].replace("[", "（位置 ").replace("]", "）")
    return reason


def wkb_type(blob) -> int | None:
    try:
        b = bytes(blob)
        order = "<" if b[0] == 1 else ">"
        code = struct.unpack_from(order + "I", b, 1)[0]
    except (TypeError, IndexError, struct.error):
        return None
    return (code & 0x0FFFFFFF) % 1000


def parse_wkb(wkb: np.ndarray, problems: Problems, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shapely geometries from WKB; what cannot be parsed is ``None`` with the reason recorded
    (a TIN or polyhedral surface; a ring with too few points). Returns ``(geoms, unparsed)``."""
    try:
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    except NotImplementedError:  # a curve type slipped through: parse one by one
        geoms = np.empty(len(wkb), dtype=object)
        for i, blob in enumerate(wkb):
            try:
                geoms[i] = shapely.from_wkb(blob, on_invalid="ignore")
            except NotImplementedError:
                geoms[i] = None
    bad = np.flatnonzero(shapely.is_missing(geoms) & pd.notna(pd.Series(wkb, dtype=object)).to_numpy())
    for i in bad:
        t = wkb_type(wkb[i])
        if t in (15, 16, 17):
            problems.add(numbers[i], "geometry", "rejected",
                         "几何类型为 TIN/多面体表面，不受支持；请在 GIS 软件中转换为普通面后再上传",
                         "the geometry is a TIN / polyhedral surface, which is not supported; convert it "
                         "to polygons in a GIS and upload again")
        else:
            problems.add(numbers[i], "geometry", "rejected",
                         "几何图形已损坏无法读取（例如面的边界少于 4 个点）",
                         "the geometry is damaged and cannot be read (e.g. a ring with fewer than 4 points)")
    unparsed = np.zeros(len(geoms), dtype=bool)
    unparsed[bad] = True
    return geoms, unparsed


def _polygonal(g):
    """The polygonal part of a geometry (a collection's polygons), or None."""
    if g is None:
        return None
    t = shapely.get_type_id(g)
    if t in _POLY:
        return g
    if t == 7:
        parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in _POLY]
        polys = []
        for p in parts:
            polys.extend(shapely.get_parts(p) if shapely.get_type_id(p) == 6 else [p])
        polys = [p for p in polys if not p.is_empty and p.area > 0]
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return None


def normalise(geoms: np.ndarray, family: str, numbers: np.ndarray, problems: Problems,
              rejected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geometries fit for the layer: 2D, repaired, of the layer's kind.

    Polygons: invalid ones are repaired with ``make_valid`` (structure method) keeping only the
    polygonal parts; multi-part polygons stay whole; a collection's polygons are kept. Lines:
    multi-part tracks are joined. Points: a one-point multipoint becomes a point. Null, empty
    and wrong-kind geometries are rejected with the reason. Returns ``(geoms, repaired mask)``;
    ``rejected`` is updated in place.
    """
    geoms = np.asarray(geoms, dtype=object).copy()
    n = len(geoms)
    repaired = np.zeros(n, dtype=bool)
    missing = shapely.is_missing(geoms)
    for i in np.flatnonzero(missing & ~rejected):
        problems.add(numbers[i], "geometry", "rejected", "没有几何图形（空记录）", "no geometry (null)")
    rejected |= missing
    live = ~rejected
    empty = np.zeros(n, dtype=bool)
    empty[live] = shapely.is_empty(geoms[live])
    for i in np.flatnonzero(empty):
        problems.add(numbers[i], "geometry", "rejected", "几何图形为空", "empty geometry")
    rejected |= empty
    live = ~rejected
    if live.any() and shapely.has_z(geoms[live]).any():
        geoms[live] = shapely.force_2d(geoms[live])
    types = np.full(n, -1)
    types[live] = shapely.get_type_id(geoms[live])
    wanted = {"polygon": _POLY, "line": _LINE, "point": _POINT, "mixed": _POINT + _POLY}[family]
    # collections: keep the parts of the wanted kind
    for i in np.flatnonzero(types == 7):
        g = geoms[i]
        if family in ("polygon", "mixed") and _polygonal(g) is not None:
            p = _polygonal(shapely.make_valid(g) if not shapely.is_valid(g) else g)
            if p is not None:
                geoms[i], types[i], repaired[i] = p, shapely.get_type_id(p), True
                problems.add(numbers[i], "geometry", "repaired", "几何集合中只保留了面部分",
                             "geometry collection: kept its polygons only")
        else:
            parts = [q for q in shapely.get_parts(g) if shapely.get_type_id(q) in wanted]
            if len(parts) == 1:
                geoms[i], types[i], repaired[i] = parts[0], shapely.get_type_id(parts[0]), True
    wrong = live & ~np.isin(types, wanted)
    for i in np.flatnonzero(wrong):
        tname = geoms[i].geom_type
        problems.add(numbers[i], "geometry", "rejected",
                     f"几何类型为“{TYPE_ZH.get(tname, tname)}”，本图层需要{FAMILY_ZH[family]}",
                     f"the geometry is a {tname}; this layer needs "
                     f"{'points or polygons' if family == 'mixed' else family + 's'}")
    rejected |= wrong
    if family == "mixed":  # each part by its own kind's rules
        polys = ~rejected & np.isin(types, _POLY)
        for part, kind in ((polys, "polygon"), (~rejected & ~polys, "point")):
            if part.any():
                idx = np.flatnonzero(part)
                sub_rejected = rejected[idx].copy()
                fixed, rep = normalise(geoms[idx], kind, numbers[idx], problems, sub_rejected)
                geoms[idx], repaired[idx] = fixed, repaired[idx] | rep
                rejected[idx] = sub_rejected
        return geoms, repaired
    live = ~rejected
    if family == "polygon":
        valid = np.ones(n, dtype=bool)
        valid[live] = shapely.is_valid(geoms[live])
        bad = np.flatnonzero(~valid)
        # the reasons and the repairs in one vectorised call each (thousands in a real batch)
        reasons = shapely.is_valid_reason(geoms[bad]) if len(bad) else []
        repairs = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False) if len(bad) else []
        for i, reason, made in zip(bad, reasons, repairs):
            fixed = _polygonal(made)
            if fixed is None or fixed.is_empty or fixed.area <= 0:
                problems.add(numbers[i], "geometry", "rejected",
                             f"无效的面（{_reason_zh(reason)}），修复后面积为零",
                             f"invalid polygon ({reason}) that has no area once repaired")
                rejected[i] = True
                continue
            geoms[i] = fixed
            repaired[i] = True
            problems.add(numbers[i], "geometry", "repaired", f"无效的面（{_reason_zh(reason)}），已自动修复",
                         f"invalid polygon ({reason}); repaired")
        live = ~rejected
        zero = np.zeros(n, dtype=bool)
        zero[live] = shapely.area(geoms[live]) <= 0
        for i in np.flatnonzero(zero):
            problems.add(numbers[i], "geometry", "rejected", "面积为零的面", "polygon with zero area")
        rejected |= zero
    elif family == "line":
        multi = live & (types == 5)
        for i in np.flatnonzero(multi):
            merged = shapely.line_merge(geoms[i])
            if shapely.get_type_id(merged) != 1:
                coords = np.concatenate([np.asarray(p.coords) for p in shapely.get_parts(geoms[i])])
                merged = shapely.linestrings(coords)
                problems.add(numbers[i], "geometry", "repaired", "多段轨迹已按顺序连接为一条",
                             "multi-part track joined in order")
                repaired[i] = True
            geoms[i] = merged
        live = ~rejected
        short = np.zeros(n, dtype=bool)
        short[live] = shapely.get_num_coordinates(geoms[live]) < 2
        for i in np.flatnonzero(short):
            problems.add(numbers[i], "geometry", "rejected", "轨迹少于 2 个点", "a track with fewer than 2 points")
        rejected |= short
    else:
        multi = live & (types == 4)
        for i in np.flatnonzero(multi):
            parts = shapely.get_parts(geoms[i])
            if len(parts) == 1:
                geoms[i] = parts[0]
            else:
                problems.add(numbers[i], "geometry", "rejected", f"多点（{len(parts)} 个点）：每条记录应为一个点",
                             f"a multipoint of {len(parts)} points: one point per record")
                rejected[i] = True
    return geoms, repaired


def outside_china(geoms: np.ndarray, numbers: np.ndarray, problems: Problems, rejected: np.ndarray) -> None:
    """Reject features whose centre is not in China (a wrong CRS; never stored elsewhere)."""

    live = np.flatnonzero(~rejected)
    if not len(live):
        return
    b = shapely.bounds(geoms[live])
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    out = ~((cx >= CHINA[0]) & (cx <= CHINA[2]) & (cy >= CHINA[1]) & (cy <= CHINA[3]))
    for k in np.flatnonzero(out):
        i = live[k]
        problems.add(numbers[i], "geometry", "rejected",
                     f"位置不在中国境内（东经 {cx[k]:.3f}°、北纬 {cy[k]:.3f}°），可能是坐标系有误",
                     f"not in China ({cx[k]:.3f}°E {cy[k]:.3f}°N): probably a wrong CRS")
        rejected[i] = True


# ------------------------------------------------------------------------------ counties
def _norm_name(s) -> str:
    s = str(s).strip()
    return re.sub(r"(自治旗|自治县|旗|县|市|区|盟)$", "", s)


def locate(geoms: np.ndarray, counties: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each geometry, the row of ``counties`` (a frame with ``geometry``) that holds its
    centre — or, failing that, that it overlaps; -1 if none. Returns ``(rows, outside)``."""
    n = len(geoms)
    hit = np.full(n, -1, dtype=int)
    if n == 0 or counties is None or len(counties) == 0:
        return hit, np.zeros(n, dtype=bool)
    cgeoms = np.asarray(counties.geometry.values, dtype=object)
    # the county polygons are the (prepared) query geometries, the many centres sit in the tree
    tree = shapely.STRtree(shapely.centroid(geoms))
    cidx, pidx = tree.query(cgeoms, predicate="contains")
    order = np.lexsort((cidx, pidx))
    pidx, cidx = pidx[order], cidx[order]
    first = np.unique(pidx, return_index=True)
    hit[first[0]] = cidx[first[1]]
    rest = np.flatnonzero(hit < 0)
    if len(rest):
        src, dst = shapely.STRtree(cgeoms).query(geoms[rest], predicate="intersects")
        first = np.unique(src, return_index=True)
        hit[rest[first[0]]] = dst[first[1]]
    return hit, hit < 0


def named_county(counties: pd.DataFrame, names: pd.Series | None, codes: pd.Series | None,
                 n: int | None = None) -> np.ndarray:
    """Row of ``counties`` that each feature's attributes name (by code, else by name); -1.
    ``n``: the number of features (needed when the file has neither column)."""
    n = len(names) if names is not None else (len(codes) if codes is not None else (n or 0))
    idx = np.full(n, -1, dtype=int)
    if counties is None or len(counties) == 0 or n == 0:
        return idx
    by_code = {str(c): i for i, c in enumerate(counties["code"].tolist())}
    by_name: dict = {}
    for i, nm in enumerate(counties["name"].tolist()):
        by_name[str(nm)] = i
        by_name.setdefault(_norm_name(nm), i)

    def lookup(series, fn):
        codes_, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
        table = np.array([fn(u) for u in uniques] + [-1], dtype=int)
        return table[codes_]  # -1 (NA) indexes the trailing -1

    if codes is not None:
        idx = lookup(codes, lambda c: by_code.get(str(c).strip(), -1))
    if names is not None:
        by_n = lookup(names, lambda v: by_name.get(str(v).strip(), by_name.get(_norm_name(v), -1))
                      if str(v).strip() else -1)
        idx = np.where(idx >= 0, idx, by_n)
    return idx


def county_mismatch(geoms: np.ndarray, named: np.ndarray, located: np.ndarray, counties: pd.DataFrame,
                    tolerance_deg: float = 0.02) -> np.ndarray:
    """Features more than ~2 km (``tolerance_deg``) from the county their attributes name
    (``named``: county rows, -1 = none named); ``located`` is where they lie."""
    far = np.zeros(len(geoms), dtype=bool)
    if len(named) != len(geoms):  # the file names no county at all (no county column mapped)
        return far
    sel = np.flatnonzero((named >= 0) & (named != located))
    if len(sel):
        cg = np.asarray(counties.geometry.values, dtype=object)
        far[sel] = ~shapely.dwithin(geoms[sel], cg[named[sel]], tolerance_deg)
    return far


# ------------------------------------------------------------------------------ area
def areas(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    return C.areas_ha_mu(geoms)


def reported_unit(reported: np.ndarray, computed_ha: np.ndarray) -> tuple[float, str | None]:
    """Divisor that turns the file's reported areas into 公顷, guessed from their median ratio to
    the computed areas: 1 (公顷), 15 (亩) or 10000 (m²). Returns (divisor, unit name or None)."""
    ok = np.isfinite(reported) & (reported > 0) & (computed_ha > 0)
    if ok.sum() < 3:
        return 1.0, None
    r = float(np.median(reported[ok] / computed_ha[ok]))
    for div, unit in ((1.0, "公顷"), (15.0, "亩"), (10000.0, "平方米"), (0.01, "平方公里")):
        if abs(r / div - 1) < 0.25:
            return div, unit
    return 1.0, None
