"""Ranger and chief patrols (巡护/巡林): tracks read from GPX, KML or CSV of timestamped points
(one file or a zip of many), one plausibility rule everywhere, coverage of each zone and grid over a
period, and counts, km and hours per chief level and per ranger.

* **One rule** (:class:`Rule`, from the settings ``patrol_max_kmh``, ``patrol_max_gap_min``,
  ``patrol_max_outside``): a track is implausible when two consecutive points imply a speed above
  the top speed (a GPS jump, or driving, not patrolling), when it has a gap in recording longer than
  allowed, or when too many of its points lie outside the jurisdiction. The upload, the CLI and the
  demo all call :func:`assess`.
* **Import**: every input is turned into tracks with their point times and stored through the
  normal upload path (``geo.ingest``), as one GPX — so length, plausibility, patrol visits of
  change polygons and zone attribution are computed the same way whatever the source.
* **Coverage**: each zone of a level is cut into square cells (``cell_m``, in its own 3° GK zone);
  a cell is visited when a track of the period passed within :data:`VISIT_METRES` of it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.core.errors import IngestError, ValidationError
from geo.store.visits import VISIT_METRES
from geo.core.config import load_settings
from geo.ingest.archive import Limits, inspect_zip, read_member
from geo.ingest import Options, commit, prepare
from geo.store.attribution import zones_in_force
from geo.core.text import decode_or_refuse


@dataclass(frozen=True)
class Rule:
    max_kmh: float = 80.0
    max_gap_min: float = 60.0
    max_outside: float = 0.2

    @classmethod
    def from_settings(cls, settings) -> "Rule":
        return cls(max_kmh=float(settings.patrol_max_kmh), max_gap_min=float(settings.patrol_max_gap_min),
                   max_outside=float(settings.patrol_max_outside))


def _rule(rule: Rule | None) -> Rule:
    if rule is not None:
        return rule

    return Rule.from_settings(load_settings())


def _metres(coords: np.ndarray) -> np.ndarray:
    """Lon/lat points → metres in their 3° GK zone."""
    line = shapely.linestrings(coords) if len(coords) > 1 else shapely.points(coords[0])
    code = 4534 + (int(np.clip(3 * round(float(np.mean(coords[:, 0])) / 3.0), 75, 135)) - 75) // 3
    out = C.transform_geoms(np.array([line], dtype=object), C.CGCS2000, f"EPSG:{code}")[0]
    return np.asarray(shapely.get_coordinates(out))


LOOK_AHEAD = 5  # points a GPS jump may last and the track still come back to where it was


def _seconds(times, n: int) -> np.ndarray | None:
    """Seconds since the first point for each of ``n`` points, or None when the times are missing,
    unreadable or not one per point."""
    ts = pd.to_datetime(pd.Series(list(times or [])), errors="coerce", utc=True)
    if len(ts) != n or n < 2 or not ts.notna().all():
        return None
    return (ts - ts.iloc[0]).dt.total_seconds().to_numpy(dtype="float64")  # (whatever the datetime unit)


def _trusted_parts(xy: np.ndarray, secs: np.ndarray, max_kmh: float) -> list[list[int]]:
    """The track's trusted points, as runs of point indices. Walking from the first point, a point
    that could not have been reached from the last trusted one at ``max_kmh`` is off: when the
    track comes back within :data:`LOOK_AHEAD` points (a GPS jump) the off points are skipped and
    the run goes on; otherwise the track really moved (driven, or a gap) and a new run starts."""

    def fast(a: int, b: int) -> bool:
        d = float(np.hypot(*(xy[b] - xy[a])))
        dt = secs[b] - secs[a]
        return d > 50 if dt <= 0 else d / dt * 3.6 > max_kmh

    parts = [[0]]
    k, n = 1, len(xy)
    while k < n:
        last = parts[-1][-1]
        if not fast(last, k):
            parts[-1].append(k)
            k += 1
            continue
        back = next((j for j in range(k + 1, min(n, k + 1 + LOOK_AHEAD)) if not fast(last, j)), None)
        if back is not None:
            k = back  # (k … back-1 skipped: a jump and back)
        else:
            parts.append([k])
            k += 1
    return parts


def _excluded(parts: list[list[int]]) -> list[list[int]]:
    """The stretches left out, as ``[first, last, bridged]``: from a trusted point, over the points
    skipped (a jump and back: ``bridged`` 1, the track goes on straight from ``first`` to
    ``last``) or the move between two runs (``bridged`` 0: the track breaks there), to the next
    trusted point."""
    spans = []
    for part in parts:
        spans += [[a, b, 1] for a, b in zip(part[:-1], part[1:]) if b > a + 1]
    spans += [[a[-1], b[0], 0] for a, b in zip(parts[:-1], parts[1:])]
    spans.sort()
    merged: list[list[int]] = []
    for a, b, bridged in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
            merged[-1][2] = min(merged[-1][2], bridged)
        else:
            merged.append([a, b, bridged])
    return merged


def _length_m(xy: np.ndarray, idx: list[int]) -> float:
    pts = xy[idx]
    return float(np.hypot(np.diff(pts[:, 0]), np.diff(pts[:, 1])).sum()) if len(idx) > 1 else 0.0


def assess(coords, times, rule: Rule | None = None, area=None) -> dict:
    """One track judged (lon/lat ``coords`` and the ``times`` of its points, UTC text or
    datetimes; either may be missing; ``area``: the jurisdiction, a polygon, to count points
    outside of). Returns

    * ``plausible`` — the track as a whole (None: nothing to judge by). It is not when recording
      stopped longer than allowed, its times run backwards, too many points lie outside the
      jurisdiction, or most of its time is spent in implausible stretches;
    * ``reasons`` — why not, in Chinese;
    * ``excluded`` — the implausible stretches (``[first, last, bridged]``, point indices; see
      :func:`_excluded`): a GPS jump, or a move faster than the top speed. They are kept out of
      the track's length and coverage (:func:`trusted_line`) and drawn apart on the map
      (:func:`excluded_lines`); the rest of the track stays trusted. ``notes`` says so;
    * ``trusted_km`` (None without times: the whole line), ``excluded_km``, ``excluded_kmh``
      (the top speed in them), ``max_kmh``, ``max_gap_min``, ``outside_share``.
    """
    rule = _rule(rule)
    coords = np.asarray(coords, dtype="float64").reshape(-1, 2)
    reasons: list[str] = []
    notes: list[str] = []
    out = {"plausible": None, "reasons": reasons, "notes": notes, "excluded": [], "trusted_km": None,
           "excluded_km": 0.0, "excluded_kmh": None, "max_kmh": None, "max_gap_min": None, "outside_share": None}
    if area is not None and len(coords):
        inside = shapely.contains_xy(area, coords[:, 0], coords[:, 1])
        out["outside_share"] = round(float(1 - inside.mean()), 3)
        if out["outside_share"] > rule.max_outside:
            reasons.append(f"{out['outside_share'] * 100:.0f}% 的轨迹点在辖区之外")
    secs = _seconds(times, len(coords))
    if secs is not None:
        steps = np.diff(secs)
        xy = _metres(coords)
        dist = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            kmh = np.where(steps > 0, dist / steps * 3.6, np.where(dist > 50, np.inf, 0.0))
        out["max_kmh"] = round(float(np.nanmax(kmh)), 1) if len(kmh) else 0.0
        out["max_gap_min"] = round(float(steps.max() / 60), 1) if len(steps) else 0.0
        if out["max_gap_min"] > rule.max_gap_min:
            reasons.append(f"记录中断 {out['max_gap_min']:.0f} 分钟（上限 {rule.max_gap_min:.0f}）")
        if (steps < 0).any():
            reasons.append("轨迹点时间倒序")
        parts = _trusted_parts(xy, secs, rule.max_kmh) if not (steps < 0).any() else [list(range(len(coords)))]
        spans = _excluded(parts)
        trusted_m = sum(_length_m(xy, p) for p in parts)
        out["trusted_km"] = round(trusted_m / 1000.0, 3)
        out["excluded"] = spans
        if spans:
            seg = np.zeros(len(kmh), dtype=bool)
            for a, b, _ in spans:
                seg[a:b] = True
            fast = kmh[seg]
            out["excluded_kmh"] = round(float(np.nanmax(fast)), 1) if np.isfinite(np.nanmax(fast)) else None
            out["excluded_km"] = round(max(float(dist.sum()) - trusted_m, 0.0) / 1000.0, 3)
            speed = (f"相邻两点速度达 {out['excluded_kmh']:.0f} 公里/时" if out["excluded_kmh"] is not None
                     else "相邻两点时间相同却相距甚远")
            notes.append(f"轨迹不可信段 {len(spans)} 处：{speed}（上限 {rule.max_kmh:.0f}），"
                         f"已剔除 {out['excluded_km']:.2f} 公里，不计入里程和覆盖；其余轨迹可信")
            total = secs[-1] - secs[0]
            off = sum(secs[b] - secs[a] for a, b, _ in spans)
            if trusted_m <= 0 or (total > 0 and off / total > 0.5):
                reasons.append(f"大部分轨迹不可信（{speed}，上限 {rule.max_kmh:.0f}）")
    elif area is None:
        return out  # nothing to judge by
    out["plausible"] = not reasons
    return out


def _spans(flags) -> list:
    if isinstance(flags, str):
        try:
            flags = json.loads(flags)
        except ValueError:
            return []
    spans = flags.get("excluded") if isinstance(flags, dict) else None
    return [(int(x[0]), int(x[1]), bool(x[2]) if len(x) > 2 else False) for x in spans or [] if len(x) >= 2]


def trusted_line(geom, flags):
    """A stored track without its implausible stretches (``flags["excluded"]``, see
    :func:`assess`): what its coverage and length count. A jump and back is bridged (the track
    goes on straight between the trusted points around it); a move between two runs breaks it
    into a MultiLineString. A track without such stretches is returned as it is."""
    spans = _spans(flags)
    if not spans or geom is None:
        return geom
    xy = shapely.get_coordinates(geom)
    runs, cur, k = [], [], 0
    for a, b, bridged in spans:
        if a >= len(xy) or b >= len(xy):
            break
        cur += list(range(k, a + 1))
        if bridged:
            k = b
        else:
            runs.append(cur)
            cur, k = [], b
    cur += list(range(k, len(xy)))
    runs.append(cur)
    lines = [shapely.LineString(xy[r]) for r in runs if len(r) > 1]
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else shapely.MultiLineString(lines)


def track_details(geom, flags) -> dict:
    """What a stored track's details show of its implausible stretches: ``{"excluded": how many,
    "excluded_km": their length, "trusted_km": the length counted, "reasons": why the track as a
    whole is not trusted}``."""
    lines = excluded_lines(geom, flags)
    trusted = trusted_line(geom, flags)
    if isinstance(flags, str):
        try:
            flags = json.loads(flags)
        except ValueError:
            flags = {}
    reasons = list((flags or {}).get("implausible") or []) if isinstance(flags, dict) else []
    km = float(C.lengths_km(np.array(lines, dtype=object)).sum()) if lines else 0.0
    trusted_km = float(C.lengths_km(np.array([trusted], dtype=object)).sum()) if trusted is not None else 0.0
    return {"excluded": len(lines), "excluded_km": round(km, 3), "trusted_km": round(trusted_km, 3),
            "reasons": reasons}


def excluded_lines(geom, flags) -> list:
    """The implausible stretches of a stored track as lines, for the map (drawn apart)."""
    if geom is None:
        return []
    xy = shapely.get_coordinates(geom)
    return [shapely.LineString(xy[a:b + 1]) for a, b, _ in _spans(flags) if b < len(xy) and b > a]


# ------------------------------------------------------------------------------ reading
@dataclass
class Track:
    name: str | None  # the track's title in the file (GPX/KML name), or its person (CSV)
    coords: np.ndarray
    times: list | None
    source: str
    person: str | None = None  # who patrolled, when the file says (a CSV's 巡护人 column)


def _gpx_tracks(data: bytes, source: str) -> list[Track]:
    import tempfile

    import pyogrio

    with tempfile.NamedTemporaryFile(suffix=".gpx") as fh:
        fh.write(data)
        fh.flush()
        try:
            pts = pyogrio.read_dataframe(fh.name, layer="track_points")
            names = pyogrio.read_dataframe(fh.name, layer="tracks", read_geometry=False)
        except Exception as ex:  # noqa: BLE001 - GDAL raises several kinds for a bad file
            raise IngestError(f"{source}: not a readable GPX file", f"“{source}”不是可读取的 GPX 轨迹文件") from ex
    out = []
    if pts.empty:
        return out
    pts = pts.sort_values(["track_fid", "track_seg_id", "track_seg_point_id"])
    label = dict(enumerate(names["name"].tolist())) if "name" in names else {}
    for fid, grp in pts.groupby("track_fid"):
        xy = shapely.get_coordinates(grp.geometry.values)
        times = [None if pd.isna(t) else pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
                 for t in pd.to_datetime(grp["time"], errors="coerce", utc=True)] if "time" in grp else None
        out.append(Track(label.get(int(fid)), xy, times, source))
    return out


def _kml_tracks(data: bytes, source: str) -> list[Track]:
    import tempfile

    import pyogrio

    suffix = ".kmz" if data[:2] == b"PK" else ".kml"
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        fh.write(data)
        fh.flush()
        try:
            frame = pyogrio.read_dataframe(fh.name)
        except Exception as ex:  # noqa: BLE001
            raise IngestError(f"{source}: not a readable KML file", f"“{source}”不是可读取的 KML 文件") from ex
    out = []
    for name, geom in zip(frame.get("Name", pd.Series([None] * len(frame))), frame.geometry):
        if geom is None or shapely.get_type_id(geom) not in (1, 5):
            continue
        out.append(Track(name, shapely.get_coordinates(shapely.line_merge(geom)), None, source))
    return out


_LON = ("经度", "lon", "longitude", "lng", "x")
_LAT = ("纬度", "lat", "latitude", "y")
_TIME = ("时间", "定位时间", "time", "timestamp", "datetime", "采集时间")
_WHO = ("巡护人", "姓名", "护林员", "name", "person")
_TRACK = ("轨迹编号", "轨迹", "track", "track_id", "巡护编号")


def _col(frame: pd.DataFrame, names) -> str | None:
    low = {str(c).strip().lower(): c for c in frame.columns}
    for n in names:
        if n.lower() in low:
            return low[n.lower()]
    return None


def _csv_tracks(data: bytes, source: str) -> list[Track]:
    text = decode_or_refuse(data, source)
    frame = pd.read_csv(io.StringIO(text), dtype=str)
    lon, lat, tm = _col(frame, _LON), _col(frame, _LAT), _col(frame, _TIME)
    if not (lon and lat):
        raise IngestError(f"{source}: no longitude/latitude columns", f"“{source}”中没有经度、纬度列")
    who, trk = _col(frame, _WHO), _col(frame, _TRACK)
    frame["_x"] = pd.to_numeric(frame[lon], errors="coerce")
    frame["_y"] = pd.to_numeric(frame[lat], errors="coerce")
    frame = frame.dropna(subset=["_x", "_y"])
    if frame.empty:
        raise IngestError(f"{source}: no points with coordinates", f"“{source}”中没有带坐标的轨迹点")
    if tm:
        frame["_t"] = pd.to_datetime(frame[tm], errors="coerce")
        if frame["_t"].dt.tz is None:
            frame["_t"] = frame["_t"].dt.tz_localize("Asia/Shanghai")
        frame = frame.sort_values([c for c in (trk, who) if c] + ["_t"])
    keys = [c for c in (trk, who) if c] or None
    groups = frame.groupby(keys, sort=False) if keys else [(None, frame)]
    out = []
    for key, grp in groups:
        times = [t.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ") if pd.notna(t) else None for t in grp["_t"]] \
            if tm else None
        name = grp[who].iloc[0] if who else (str(key) if key is not None else None)
        out.append(Track(name, grp[["_x", "_y"]].to_numpy(), times, source,
                         person=str(grp[who].iloc[0]) if who and pd.notna(grp[who].iloc[0]) else None))
    return out


def read_tracks(name: str, data: bytes, *, depth: int = 0) -> list[Track]:
    """The tracks in one uploaded file (``.gpx``, ``.kml``/``.kmz``, ``.csv``, or a ``.zip`` of them)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".gpx":
        return _gpx_tracks(data, name)
    if suffix in (".kml", ".kmz"):
        return _kml_tracks(data, name)
    if suffix == ".csv":
        return _csv_tracks(data, name)
    if suffix == ".zip" and depth == 0:
        import tempfile

        out = []
        limits = Limits()
        with tempfile.NamedTemporaryFile(suffix=".zip") as fh:
            fh.write(data)
            fh.flush()
            for member in inspect_zip(Path(fh.name), limits, name):  # zip bombs and zip slips refused
                if member.ext not in (".gpx", ".kml", ".kmz", ".csv"):
                    continue
                out += read_tracks(Path(member.name).name, read_member(Path(fh.name), member,
                                                                       limits.max_upload_mb * 1024 * 1024), depth=1)
        if not out:
            raise IngestError(f"{name}: no GPX, KML or CSV tracks inside", f"压缩包“{name}”中没有 GPX、KML 或 CSV 轨迹文件")
        return out
    raise IngestError(f"{name}: patrols come as GPX, KML, CSV or a zip of them",
                      f"“{name}”不是轨迹文件：请上传 GPX、KML、CSV，或包含它们的 zip 压缩包")


def to_gpx(tracks: list[Track]) -> bytes:
    """The tracks as one GPX 1.1 file (times kept), for the upload path."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<gpx version="1.1" creator="forest-chief-map" xmlns="http://www.topografix.com/GPX/1/1">']
    for t in tracks:
        if len(t.coords) < 2:
            continue
        parts.append("<trk>" + (f"<name>{escape(str(t.name))}</name>" if t.name else "") + "<trkseg>")
        for k, (x, y) in enumerate(t.coords):
            when = t.times[k] if t.times and k < len(t.times) and t.times[k] else None
            parts.append(f'<trkpt lat="{y:.7f}" lon="{x:.7f}">' + (f"<time>{when}</time>" if when else "") + "</trkpt>")
        parts.append("</trkseg></trk>")
    parts.append("</gpx>")
    return "\n".join(parts).encode("utf-8")


SOURCE = "巡护轨迹导入"  # the source of every batch of tracks


def check_level(level: str | None) -> str | None:
    """A patroller's level as a key of :data:`LEVEL_ZH` (its Chinese label accepted too)."""
    if level is None or str(level).strip() == "":
        return None
    text = str(level).strip()
    if text in LEVEL_ZH:
        return text
    for key, zh in LEVEL_ZH.items():
        if zh == text:
            return key
    raise ValidationError(f"unknown patroller level '{text}'; one of {', '.join(LEVEL_ZH)}",
                          f"巡护人身份“{text}”无效，可选：{'、'.join(LEVEL_ZH.values())}", field="actor_level")


def batch_name(patroller: str | None, period: tuple | None, level: str | None = None) -> str:
    """The batch's name when the person gives none: who, at what level, and the period."""
    who = "、".join(x for x in ((patroller or "").strip(), LEVEL_ZH.get(level or "", "")) if x)
    when = f"{period[0]:%Y-%m-%d}～{period[1]:%Y-%m-%d}" if period else ""
    return " ".join(x for x in (who, when, "巡护轨迹") if x)


def import_files(store, files: list[tuple[str, bytes]], *, batch: str | None = None, actor: str, access=None,
                 actor_level: str | None = None, patroller: str | None = None, period: tuple | None = None,
                 dry_run: bool = False, settings=None, need_person: bool = False):
    """Read every file's tracks and store them as one patrol batch through the upload path.
    Returns the ingest report.

    ``patroller`` (巡护人) and ``actor_level`` (a key of :data:`LEVEL_ZH`) are kept on every
    track; without a patroller, a track keeps the person its file names (a CSV's 巡护人), else its
    title. ``period`` (first day, last day): a track started outside it is listed as a hint (a
    wrong file or a wrong period). ``batch``: the batch's name (default: :func:`batch_name`).

    Raises
    ------
    IngestError
        No file holds a track of two points or more; nothing to store (as any upload).
    ValidationError
        An unknown level, or a period that ends before it starts; ``need_person`` (the page's
        form) and no patroller named while a file does not say who patrolled.
    """
    level = check_level(actor_level)
    patroller = (patroller or "").strip() or None
    if period is not None:
        period = (pd.Timestamp(period[0]).date(), pd.Timestamp(period[1]).date())
        if period[1] < period[0]:
            raise ValidationError("the period ends before it starts", "巡护期间的结束日期早于开始日期", field="period")
    tracks = []
    for name, data in files:
        tracks += read_tracks(name, data)
    tracks = [t for t in tracks if len(t.coords) >= 2]
    if not tracks:
        raise IngestError("no track with at least two points", "没有包含至少两个点的轨迹，未导入任何数据")
    if need_person and patroller is None:
        unnamed = sorted({t.source for t in tracks if not (t.person or "").strip()})
        if unnamed:
            raise ValidationError("name the patroller: the files do not say who patrolled",
                                  f"请填写巡护人员：文件“{'、'.join(unnamed)[:200]}”未注明巡护人", field="actor")
    batch = (batch or "").strip() or batch_name(patroller, period, level)
    opts = Options(layer="patrol", batch=batch, source=SOURCE, purpose="official")
    report = prepare((f"{batch}.gpx", to_gpx(tracks)), opts, store)

    def who(number) -> str | None:  # (feature k of the GPX written is tracks[k - 1])
        t = tracks[int(number) - 1] if 0 < int(number) <= len(tracks) else None
        return patroller or (t.person or t.name if t is not None else None)

    def complete(frame):
        frame = frame.copy()
        frame["actor"] = [who(k) for k in frame["number"]]
        frame["actor_level"] = level
        frame["source_file"] = [tracks[int(k) - 1].source[:200] if 0 < int(k) <= len(tracks) else None
                                for k in frame["number"]]
        return frame

    report.staged.update(complete)
    if period is not None and len(report.staged):
        lo, hi = period[0].isoformat(), (period[1] + dt.timedelta(days=1)).isoformat()
        f = report.features
        for k, start in zip(f["number"], f.get("started_at", pd.Series([None] * len(f)))):
            if isinstance(start, str) and not (lo <= start < hi):
                p = report.problems
                hinted = bool(((p["feature"] == int(k)) & (p["level"] == "flag")).any()) if len(p) else False
                report.problems.loc[len(report.problems)] = {
                    "feature": int(k), "field": "started_at", "level": "flag",
                    "zh": f"轨迹开始于 {start[:10]}，不在所填巡护期间（{period[0]}～{period[1]}）内，请核对文件或期间",
                    "en": f"the track started on {start[:10]}, outside the period {period[0]} to {period[1]}",
                    "label": who(k)}
                report.counts["flagged"] += 0 if hinted else 1
    if not dry_run:
        commit(report, store, actor=actor, access=access, options=opts)
    return report


# ------------------------------------------------------------------------------ coverage
def _grid(zone, cell_m: float):
    """Square cells (EPSG:4490 polygons) of about ``cell_m`` metres covering ``zone``."""
    c = zone.centroid
    code = 4534 + (int(np.clip(3 * round(c.x / 3.0), 75, 135)) - 75) // 3
    gk = C.transform_geoms(np.array([zone], dtype=object), C.CGCS2000, f"EPSG:{code}")[0]
    minx, miny, maxx, maxy = gk.bounds
    xs = np.arange(minx, maxx + cell_m, cell_m)
    ys = np.arange(miny, maxy + cell_m, cell_m)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1])
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
    boxes = boxes[shapely.intersects(boxes, gk)]
    return code, gk, boxes


def coverage(store, start: dt.date, end: dt.date, *, level: str = "village", counties=None,
             cell_m: float = 1000.0, zone_ids=None):
    """``(table, zones)``: per zone of ``level`` the cells visited by tracks started in
    ``[start, end]`` and the share; ``zones`` (EPSG:4490 outlines) with ``share`` for a map."""
    import geopandas as gpd

    zones = zones_in_force(store)
    if len(zones):
        zones = zones[zones["level"] == level]
    if zone_ids is not None and len(zones):
        zones = zones[zones["id"].isin([int(z) for z in zone_ids])]
    if len(zones):
        full = store.read_layer("zone", ids=zones["id"].astype(int).tolist(), columns=["name", "county_code", "county"])
        if counties:
            full = full[full["county_code"].isin(list(counties))]
    else:
        full = zones
    rows, cells = [], []
    if full is None or full.empty:
        return pd.DataFrame(columns=["zone_id", "zone", "county", "cells", "visited", "share", "tracks", "km"]), \
            gpd.GeoDataFrame(columns=["zone_id", "share", "geometry"], geometry="geometry", crs=4490)
    b = full.total_bounds
    tracks = store.read_layer("patrol", bbox=tuple(b), columns=["started_at", "length_km", "flags"])
    lo, hi = start.isoformat(), (end + dt.timedelta(days=1)).isoformat()
    if len(tracks):
        when = tracks["started_at"].astype(str)
        tracks = tracks[(when >= lo) & (when < hi)]
    if len(tracks):  # what a track covers leaves out its implausible stretches (a GPS jump is not a visit)
        trusted = [trusted_line(g, f) for g, f in zip(tracks.geometry.values, tracks["flags"])]
        tracks = tracks.set_geometry(gpd.GeoSeries(trusted, index=tracks.index, crs=4490))
        tracks = tracks[tracks.geometry.notna()]
    tree = shapely.STRtree(tracks.geometry.values) if len(tracks) else None
    for z in full.to_dict("records"):
        code, gk, boxes = _grid(z["geometry"], cell_m)
        shapely.prepare(gk)
        near = tree.query(z["geometry"], predicate="intersects") if tree is not None else []
        visited = np.zeros(len(boxes), dtype=bool)
        km = 0.0
        if len(near):
            lines = C.transform_geoms(tracks.geometry.values[near], C.CGCS2000, f"EPSG:{code}")
            reach = shapely.union_all(shapely.buffer(lines, VISIT_METRES))
            visited = shapely.intersects(boxes, reach)
            km = float(pd.to_numeric(tracks["length_km"].iloc[near], errors="coerce").sum())
        rows.append({"zone_id": int(z["id"]), "zone": z.get("name"), "county": z.get("county"),
                     "cells": int(len(boxes)), "visited": int(visited.sum()),
                     "share": round(100.0 * visited.sum() / len(boxes), 1) if len(boxes) else None,
                     "tracks": int(len(near)), "km": round(km, 1)})
        cells.append(z["geometry"])
    table = pd.DataFrame(rows)
    shapes = gpd.GeoDataFrame(table[["zone_id", "zone", "share"]].copy(), geometry=cells, crs=4490)
    order = table["share"].fillna(-1).argsort(kind="stable").to_numpy()
    return table.iloc[order].reset_index(drop=True), shapes


def by_person(store, start: dt.date | None = None, end: dt.date | None = None, counties=None) -> pd.DataFrame:
    """Counts, km and hours per patrolling person and level ("镇街级林长巡林150余次")."""
    where = {"county_code": list(counties)} if counties else None
    frame = store.read_layer("patrol", where=where, columns=["actor", "actor_level", "started_at", "length_km",
                                                             "duration_h", "plausible"], geometry=False)
    if start is not None and len(frame):
        frame = frame[frame["started_at"].astype(str) >= start.isoformat()]
    if end is not None and len(frame):
        frame = frame[frame["started_at"].astype(str) < (end + dt.timedelta(days=1)).isoformat()]
    if frame.empty:
        return pd.DataFrame(columns=["actor", "actor_level", "count", "km", "hours", "implausible"])
    frame["implausible"] = frame["plausible"].astype(object).map(lambda v: v is False)
    g = frame.groupby(["actor", "actor_level"], dropna=False).agg(
        count=("id", "size"), km=("length_km", "sum"), hours=("duration_h", "sum"),
        implausible=("implausible", "sum")).reset_index()
    g[["km", "hours"]] = g[["km", "hours"]].astype(float).round(1)
    return g.sort_values(["actor_level", "count"], ascending=[True, False]).reset_index(drop=True)


def flags_json(result: dict) -> str | None:
    return json.dumps({"implausible": result["reasons"]}, ensure_ascii=False) if result["reasons"] else None


# ------------------------------------------------------------------------------ register hooks
FIGURE_COLUMNS = ("actor_level", "length_km", "duration_h", "plausible", "started_at")
LEVEL_ZH = {"ranger": "护林员", "village_chief": "村级林长", "township_chief": "乡镇级林长",
            "banner_chief": "旗县级林长", "league_chief": "盟级林长"}


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Patrols, km and hours per chief level (and implausible tracks), per county."""
    out = {}
    if frame.empty:
        return out
    codes = frame["county_code"].fillna("∅").astype(str)
    for level in LEVEL_ZH:
        part = frame["actor_level"] == level
        out[f"patrols_{level}"] = {"total": int(part.sum()),
                                   "by_county": {k: int(v) for k, v in codes[part].value_counts().items()}}
    km = pd.to_numeric(frame["length_km"], errors="coerce").fillna(0.0)
    hours = pd.to_numeric(frame["duration_h"], errors="coerce").fillna(0.0)
    out["km"] = {"total": round(float(km.sum()), 1), "by_county": km.groupby(codes).sum().round(1).to_dict()}
    out["hours"] = {"total": round(float(hours.sum()), 1), "by_county": hours.groupby(codes).sum().round(1).to_dict()}
    bad = frame["plausible"].astype(object).map(lambda v: v is False)
    out["implausible"] = {"total": int(bad.sum()), "by_county": {k: int(v) for k, v in codes[bad].value_counts().items()}}
    return out


def period_overview(store, start: dt.date, end: dt.date, lang: str = "zh") -> list[dict]:
    """The patrol page's period view: coverage of each village zone/grid (map and table) and the
    patrols per person and level."""
    zh = lang == "zh"
    table, cells = coverage(store, start, end)
    per = by_person(store, start, end)
    per_out = pd.DataFrame({
        ("巡护人" if zh else "Who"): per["actor"],
        ("身份" if zh else "Role"): per["actor_level"].map(lambda v: LEVEL_ZH.get(v, v) if zh else v),
        ("次数" if zh else "Patrols"): per["count"], ("里程(公里)" if zh else "km"): per["km"],
        ("时长(小时)" if zh else "Hours"): per["hours"], ("不可信轨迹" if zh else "Implausible"): per["implausible"]})
    cov = pd.DataFrame({
        ("责任区/网格" if zh else "Zone"): table["zone"], ("旗县" if zh else "County"): table["county"],
        ("网格单元" if zh else "Cells"): table["cells"], ("已巡到" if zh else "Visited"): table["visited"],
        ("覆盖率(%)" if zh else "Covered (%)"): table["share"], ("轨迹" if zh else "Tracks"): table["tracks"],
        ("里程(公里)" if zh else "km"): table["km"]})
    return [{"kind": "map", "title": "各网格巡护覆盖率（按 1 公里单元计，颜色越深覆盖越高）" if zh
             else "Coverage per grid (share of 1 km cells visited; darker = more)", "frame": cells, "value": "share"},
            {"kind": "table", "title": "各责任区/网格巡护覆盖" if zh else "Coverage per zone", "frame": cov},
            {"kind": "table", "title": "按人员统计" if zh else "Per person", "frame": per_out}]


def assess_track(coords, times, *, area=None) -> dict:
    """The register's hook for an uploaded track (:class:`geo.declare.hooks.Rules`): :func:`assess`."""
    return assess(coords, times, area=area)
