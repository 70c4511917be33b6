"""Where the coordinates are: the source CRS, from the file or inferred, and the move to EPSG:4490.

Order of trust: ``--crs`` (the person said so) → the file's own CRS (``.prj``, GeoPackage
metadata, GeoJSON/KML/GPX are WGS84 by definition) → inference from the numbers, only where it
is unambiguous:

* degrees inside China → CGCS2000 (EPSG:4490); degrees that are inside China only with
  latitude and longitude swapped → swapped;
* Gauss-Krüger metres with the zone number in front of the easting (easting > 1e6):
  zone = easting // 1e6; zones 25–45 are 3° zones (EPSG:4513–4533), 13–23 are 6° zones
  (EPSG:4491–4501) — also when northing and easting are swapped (X north, Y east, as Chinese
  surveyors write them);
* Gauss-Krüger metres without the zone number: the central meridian cannot be read from the
  numbers, so the person is asked (with the candidates that land in the store's counties) —
  unless a CRS remembered for this source puts the data in China.

Whatever CRS is used, the result must land in China; a CRS that puts the features elsewhere is
reported, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from geo.core import crs as C
from geo.core.errors import IngestError

CHINA = (73.0, 3.0, 136.0, 54.0)  # lon/lat box of China (with a margin)
NORTHING = (2.0e5, 6.2e6)  # GK northings of China (about 2°N–56°N)


@dataclass
class CrsChoice:
    """How the source coordinates become EPSG:4490.

    ``groups`` holds ``(feature indices, CRS text)``: all features in one group, except for
    zone-prefixed Gauss-Krüger data that spans zones. ``swap`` swaps x and y first.
    """

    label: str
    how: str  # override, declared, degrees, swapped, gk_prefix, profile
    groups: list[tuple[np.ndarray, str]]
    swap: bool = False
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def source_crs(self) -> str:
        return ", ".join(sorted({c for _, c in self.groups}))

    @property
    def label_zh(self) -> str:
        """:attr:`label` as the bureaus name these systems (``CGCS2000 高斯-克吕格 3度带 第41带…``)."""
        return "、".join(C.crs_label(c, "zh") for c in sorted({c for _, c in self.groups}))


def parse_crs(text: str, argument: str = "--crs") -> CRS:
    """A CRS from what a person typed: ``EPSG:4526``, ``4526``, WKT or a PROJ string."""
    text = str(text).strip()
    try:
        return CRS.from_user_input(int(text) if text.isdigit() else text)
    except (ProjCRSError, ValueError, TypeError) as ex:
        raise IngestError(
            f"{argument} '{text}' is not a coordinate reference system pyproj knows; give an EPSG "
            "code such as EPSG:4490 or EPSG:4527",
            f"无法识别的坐标系“{text}”，请填写 EPSG 代码，如 EPSG:4490（CGCS2000 经纬度）或 EPSG:4527（3度带第39带）",
            option="crs") from ex


def crs_text(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def describe(crs_or_text, lang: str = "en") -> str:
    """``EPSG:4550 CGCS2000 / 3-degree Gauss-Kruger CM 123E``; in Chinese the bureaus' own name
    (:func:`geo.core.crs.crs_label`)."""
    crs = crs_or_text if isinstance(crs_or_text, CRS) else CRS.from_user_input(crs_or_text)
    if lang == "zh":
        return C.crs_label(crs, "zh")
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg} {crs.name}" if epsg else crs.name


def _in_china(x, y) -> np.ndarray:
    return (x >= CHINA[0]) & (x <= CHINA[2]) & (y >= CHINA[1]) & (y <= CHINA[3])


def centres(geoms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    b = shapely.bounds(geoms)
    return (b[:, 0] + b[:, 2]) / 2.0, (b[:, 1] + b[:, 3]) / 2.0, ok


def _share(mask: np.ndarray, ok: np.ndarray) -> float:
    n = ok.sum()
    return float((mask & ok).sum() / n) if n else 0.0


def _prefix_zone_epsg(zone: np.ndarray) -> np.ndarray:
    out = np.zeros(len(zone), dtype=int)
    three = (zone >= 25) & (zone <= 45)
    six = (zone >= 13) & (zone <= 23)
    out[three] = 4513 + zone[three] - 25
    out[six] = 4491 + zone[six] - 13
    return out


def _land(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    tr = C.transformer(CRS.from_user_input(crs).to_string(), C.CGCS2000)
    return tr.transform(x, y)


def _gk_candidates(x, y, ok, counties_bbox) -> list[str]:
    """3° GK central meridians (EPSG:4534–4554) that put the data in the store's counties' box
    (or in China when the store has none)."""
    out = []
    box = counties_bbox or CHINA
    for code in range(4534, 4555):
        lon, lat = _land(x[ok], y[ok], f"EPSG:{code}")
        inside = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
        if len(lon) and inside.mean() >= 0.9:
            out.append(f"EPSG:{code}")
    return out


def _refuse(en: str, zh: str, **details):
    raise IngestError(en, zh, option="crs", **details)


def suggest_crs(x, y, ok) -> tuple[str | None, bool]:
    """A CRS the numbers clearly fit (for hints only): (crs, swapped)."""
    for sx, sy, swapped in ((x, y, False), (y, x, True)):
        if _share(_in_china(sx, sy), ok) >= 0.9:
            return "EPSG:4490", swapped
        zone = np.floor(sx / 1e6).astype(int)
        codes = _prefix_zone_epsg(zone)
        good = ok & (codes > 0) & (sy >= NORTHING[0]) & (sy <= NORTHING[1])
        if _share(good, ok) >= 0.9:
            vals, counts = np.unique(codes[good], return_counts=True)
            return f"EPSG:{int(vals[np.argmax(counts)])}", swapped
    return None, False


def choose(geoms: np.ndarray, declared: str | None, *, override: str | None = None,
           remembered: str | None = None, counties_bbox=None, what: str = "") -> CrsChoice:
    """Decide how the features' coordinates become EPSG:4490 (see module docstring).

    Parameters
    ----------
    geoms : array of shapely geometries, in source coordinates
    declared : str, optional
        The file's CRS (``EPSG:…`` or WKT) as GDAL reports it; ``None`` when it has none.
    override : str, optional
        ``--crs``: wins over everything, but must still land the data in China.
    remembered : str, optional
        The CRS last used for this source (field profile); used only when the numbers are
        Gauss-Krüger metres without a zone number and it lands them in China.
    counties_bbox : tuple, optional
        Box of the store's counties, to rank candidate central meridians.

    Raises
    ------
    IngestError
        When the CRS cannot be determined safely; ``details['candidates']`` may list CRSs.
    """
    x, y, ok = centres(geoms)
    idx_all = np.arange(len(geoms))
    if not ok.any():
        return CrsChoice(describe("EPSG:4490"), "none", [(idx_all, "EPSG:4490")])
    where = f"（{what}）" if what else ""

    if override:
        crs = parse_crs(override)
        text = crs_text(crs)
        lon, lat = _land(x[ok], y[ok], text)
        if _share(_in_china(lon, lat), np.ones(len(lon), bool)) < 0.5:
            sugg, _ = suggest_crs(x, y, ok)
            hint_en = f"; the numbers look like {sugg}" if sugg else ""
            hint_zh = f"（数据看起来像 {sugg}）" if sugg else ""
            _refuse(
                f"with --crs {override} the features land at about {np.nanmedian(lon):.3f}°E "
                f"{np.nanmedian(lat):.3f}°N, outside China; choose the CRS the file was made in{hint_en}",
                f"按所选坐标系 {override}，图斑将落在东经 {np.nanmedian(lon):.3f}°、北纬 {np.nanmedian(lat):.3f}°附近，"
                f"不在中国境内。请选择数据实际使用的坐标系{hint_zh}",
                candidates=[sugg] if sugg else [])
        return CrsChoice(describe(crs), "override", [(idx_all, text)])

    if declared:
        try:
            crs = CRS.from_user_input(declared)
        except ProjCRSError:
            crs = None
        if crs is not None:
            text = crs_text(crs)
            if crs.is_geographic:
                valid = (np.abs(x) <= 180) & (np.abs(y) <= 90)
                in_cn = _in_china(x, y)
                sw_cn = _in_china(y, x)
                if _share(valid, ok) < 0.9:
                    if _share(sw_cn, ok) >= 0.9:
                        return CrsChoice(describe(crs), "swapped", [(idx_all, text)], swap=True, notes=[(
                            "坐标的经度与纬度写反了（纬度超过 90°），已自动对调",
                            "latitude and longitude were swapped (latitudes over 90°); swapped back")])
                    sugg, swapped = suggest_crs(x, y, ok)
                    _refuse(
                        f"the file says its coordinates are degrees ({describe(crs)}) but they are "
                        f"not (e.g. {x[ok][0]:.1f}, {y[ok][0]:.1f}); its .prj is wrong — choose the "
                        f"right CRS with --crs{f' (they look like {sugg})' if sugg else ''}",
                        f"文件声明的坐标系为经纬度（{describe(crs, 'zh')}），但坐标值（如 {x[ok][0]:.1f}, {y[ok][0]:.1f}）"
                        f"并非经纬度，.prj 文件有误。请选择正确的坐标系{f'（看起来像 {sugg}）' if sugg else ''}",
                        candidates=[sugg] if sugg else [])
                if _share(in_cn, ok) < 0.5 and _share(sw_cn, ok) >= 0.9:
                    return CrsChoice(describe(crs), "swapped", [(idx_all, text)], swap=True, notes=[(
                        "坐标的经度与纬度写反了，对调后位于中国境内，已自动对调",
                        "latitude and longitude were swapped; swapped back (then they lie in China)")])
                return CrsChoice(describe(crs), "declared", [(idx_all, text)])
            # projected: must give plausible lon/lat
            lon, lat = _land(x[ok], y[ok], text)
            if np.isfinite(lon).mean() < 0.9:
                sugg, _ = suggest_crs(x, y, ok)
                _refuse(
                    f"the file's CRS ({describe(crs)}) does not fit its coordinates; choose the "
                    f"right one with --crs{f' (they look like {sugg})' if sugg else ''}",
                    f"文件声明的坐标系（{describe(crs, 'zh')}）与坐标值不符，请选择正确的坐标系"
                    f"{f'（看起来像 {sugg}）' if sugg else ''}", candidates=[sugg] if sugg else [])
            if _share(_in_china(lon, lat), np.ones(len(lon), bool)) < 0.5:
                sugg, swapped = suggest_crs(x, y, ok)
                if sugg and sugg != text:
                    _refuse(
                        f"with the file's own CRS ({describe(crs)}) the features land outside China "
                        f"(about {np.nanmedian(lon):.2f}°E {np.nanmedian(lat):.2f}°N); the numbers look "
                        f"like {sugg}{' with x and y swapped' if swapped else ''} — check the .prj and "
                        "choose the CRS with --crs",
                        f"按文件自带的坐标系（{describe(crs, 'zh')}），图斑落在中国境外（约东经 {np.nanmedian(lon):.2f}°、"
                        f"北纬 {np.nanmedian(lat):.2f}°）；坐标值看起来像 {sugg}"
                        f"{'（X、Y 对调）' if swapped else ''}。请核对 .prj 文件并选择正确的坐标系",
                        candidates=[sugg])
            return CrsChoice(describe(crs), "declared", [(idx_all, text)])

    # no CRS in the file: infer only what is certain
    if _share(_in_china(x, y), ok) >= 0.9:
        return CrsChoice(describe("EPSG:4490"), "degrees", [(idx_all, "EPSG:4490")], notes=[(
            f"文件没有坐标系信息（无 .prj）{where}；坐标为中国范围内的经纬度，按 CGCS2000（EPSG:4490）读取",
            "the file has no CRS (.prj); its coordinates are degrees within China: read as CGCS2000 (EPSG:4490)")])
    if _share(_in_china(y, x), ok) >= 0.9:
        return CrsChoice(describe("EPSG:4490"), "swapped", [(idx_all, "EPSG:4490")], swap=True, notes=[(
            "文件没有坐标系信息，且经纬度写反了；已对调后按 CGCS2000（EPSG:4490）读取",
            "no CRS, and latitude/longitude were swapped: swapped back and read as CGCS2000 (EPSG:4490)")])
    for sx, sy, swapped in ((x, y, False), (y, x, True)):
        zone = np.floor(sx / 1e6).astype(int)
        codes = _prefix_zone_epsg(zone)
        good = ok & (codes > 0) & (sy >= NORTHING[0]) & (sy <= NORTHING[1])
        if _share(good, ok) >= 0.9:
            groups = []
            for code in np.unique(codes[good]):
                groups.append((np.flatnonzero(codes == code), f"EPSG:{int(code)}"))
            rest = np.flatnonzero(~np.isin(codes, np.unique(codes[good])))
            if len(rest):  # the odd feature outside any zone: with the main zone (rejected later)
                main = groups[int(np.argmax([len(g[0]) for g in groups]))]
                groups = [(np.sort(np.concatenate([g[0], rest])) if g is main else g[0], g[1]) for g in groups]
            label = "、".join(describe(c) for _, c in groups)
            return CrsChoice(label, "gk_prefix", groups, swap=swapped, notes=[(
                f"文件没有坐标系信息（无 .prj）{where}；坐标为带带号的高斯-克吕格投影坐标"
                f"{'（X、Y 对调）' if swapped else ''}，按 {'、'.join(describe(c, 'zh') for _, c in groups)} 读取",
                f"no CRS (.prj); the coordinates are Gauss-Krüger metres with the zone number in the "
                f"easting{' (x and y swapped)' if swapped else ''}: read as {label}")])
    gk_plain = ok & (x > 1.0e5) & (x < 9.0e5) & (y >= NORTHING[0]) & (y <= NORTHING[1])
    gk_swapped = ok & (y > 1.0e5) & (y < 9.0e5) & (x >= NORTHING[0]) & (x <= NORTHING[1])
    if _share(gk_plain, ok) >= 0.9 or _share(gk_swapped, ok) >= 0.9:
        swapped = _share(gk_plain, ok) < 0.9
        sx, sy = (y, x) if swapped else (x, y)
        if remembered:
            try:
                rem = crs_text(parse_crs(remembered))
                lon, lat = _land(sx[ok], sy[ok], rem)
                if _share(_in_china(lon, lat), np.ones(len(lon), bool)) >= 0.9:
                    return CrsChoice(describe(rem), "profile", [(idx_all, rem)], swap=swapped, notes=[(
                        f"文件没有坐标系信息；按该来源上次使用的坐标系 {describe(rem, 'zh')} 读取",
                        f"no CRS in the file; read with the CRS last used for this source, {describe(rem)}")])
            except IngestError:
                pass
        cands = _gk_candidates(sx, sy, ok, counties_bbox)
        shown = "、".join(describe(c) for c in cands[:4])
        _refuse(
            "the file has no CRS (.prj) and its coordinates are Gauss-Krüger metres without a zone "
            "number, so the central meridian cannot be told; choose the CRS with --crs"
            + (f" (candidates that land in the store's counties: {', '.join(cands)})" if cands else ""),
            "文件没有坐标系信息（缺少 .prj），坐标为不带带号的高斯-克吕格投影坐标，无法判断中央经线。"
            "请选择坐标系" + (f"，可能是：{shown}" if cands else "（如 CGCS2000 3度带 中央经线 120°E = EPSG:4549）"),
            candidates=cands)
    _refuse(
        f"the file has no CRS (.prj) and its coordinates (e.g. {x[ok][0]:.3f}, {y[ok][0]:.3f}) are "
        "neither degrees in China nor Gauss-Krüger metres; choose the CRS with --crs",
        f"文件没有坐标系信息（缺少 .prj），坐标值（如 {x[ok][0]:.3f}, {y[ok][0]:.3f}）既不是中国范围内的经纬度，"
        "也不像高斯-克吕格投影坐标。请选择数据使用的坐标系", candidates=[])


def reuse(choice: CrsChoice, geoms: np.ndarray) -> CrsChoice:
    """``choice`` (made on the first chunk of a file) applied to another chunk's ``geoms``: the
    same CRS, swap and label; zone-prefixed Gauss-Krüger features are grouped by their own zone
    number again. Its notes were given with the first chunk."""
    idx_all = np.arange(len(geoms))
    if choice.how != "gk_prefix":
        return CrsChoice(choice.label, choice.how, [(idx_all, choice.groups[0][1])], swap=choice.swap)
    x, y, _ok = centres(geoms)
    sx = y if choice.swap else x
    codes = _prefix_zone_epsg(np.floor(np.nan_to_num(sx) / 1e6).astype(int))
    known = {c for _, c in choice.groups}
    groups = [(np.flatnonzero(codes == int(c.split(":")[1])), c) for c in sorted(known)]
    rest = np.flatnonzero(~np.isin(codes, [int(c.split(":")[1]) for c in known]))
    for code in np.unique(codes[rest]):  # a zone the first chunk did not have
        if code > 0:
            groups.append((np.flatnonzero(codes == code), f"EPSG:{int(code)}"))
    placed = np.concatenate([g[0] for g in groups]) if groups else np.zeros(0, int)
    rest = np.setdiff1d(idx_all, placed)
    groups = [g for g in groups if len(g[0])] or [(np.zeros(0, int), choice.groups[0][1])]
    if len(rest):  # the odd feature outside any zone: with the main zone (rejected later)
        k = int(np.argmax([len(g[0]) for g in groups]))
        groups[k] = (np.sort(np.concatenate([groups[k][0], rest])), groups[k][1])
    return CrsChoice(choice.label, choice.how, groups, swap=choice.swap)


def to_cgcs2000(geoms: np.ndarray, choice: CrsChoice, gcj02: bool = False) -> np.ndarray:
    """The geometries in EPSG:4490 (lon/lat), swapped and transformed as ``choice`` says; with
    ``gcj02`` the source is taken to be GCJ-02 ("Mars") coordinates and converted."""
    geoms = np.asarray(geoms, dtype=object)
    if choice.swap:
        geoms = shapely.transform(geoms, lambda c: c[:, ::-1].copy())
    out = geoms.copy() if len(choice.groups) > 1 else geoms
    for idx, src in choice.groups:
        crs = CRS.from_user_input(src)
        part = geoms[idx] if len(choice.groups) > 1 else geoms
        if crs.to_epsg() in (4490, 4326, 4479):  # CGCS2000 ≈ WGS84 at map scale (PROJ: null transform)
            moved = part
        else:
            moved = C.transform_geoms(part, src, C.CGCS2000)
        if len(choice.groups) > 1:
            out[idx] = moved
        else:
            out = moved
    if gcj02:
        out = C.gcj02_geoms_to_wgs84(out)
    return out
