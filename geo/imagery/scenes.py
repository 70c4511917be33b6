"""The scene register: which images the bureau holds, of when, from which sensor, and where.

A scene is one GeoTIFF/COG with its acquisition date, sensor, and what its bands mean — band
roles (``red``, ``green``, ``blue``, ``nir``, ``swir1``, ``swir2``, 1-based band numbers) or a
ready NDVI band with its scale, offset and nodata. Its footprint is kept in EPSG:4490 (WKT plus
bounds) in the ``scenes`` table, so scenes are found by place like everything else, and an
inspector sees the scenes that meet their counties (:func:`for_counties`).

Files come from a path on the server (a file or a folder), from an upload (name and bytes), or
as separate single-band files stacked into one scene (``bands={"red": "B4.tif", "nir": "B5.tif"}``).
A file that is not already a cloud-optimised GeoTIFF (with overviews when it is large) is
converted with rio-cogeo into ``<imagery folder>/scenes/``; a COG given by path is registered in
place. Every file is checked first (readable, a CRS, georeferenced, the band roles it is said to
have, a date) and a refusal names the file and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
import shapely
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.warp import transform_geom
from shapely.geometry import box, mapping, shape

from geo.core.config import current
from geo.core.errors import ImageryError, NotFoundError
from geo.core.timeutil import now_utc
from geo.access.scope import unwrap
from geo.engine.values import check_date

ROLES = ("red", "green", "blue", "nir", "swir1", "swir2")
ROLE_ALIASES = {"swir": "swir1", "r": "red", "g": "green", "b": "blue", "nir1": "nir"}
ROLE_ZH = {"red": "红", "green": "绿", "blue": "蓝", "nir": "近红外", "swir1": "短波红外1", "swir2": "短波红外2"}
RASTER_SUFFIXES = (".tif", ".tiff")
LARGE_PX = 1024  # a scene wider or taller than this gets overviews (rio-cogeo adds them)
GIB = 1 << 30
_COLS = ("id", "name", "path", "acquired_on", "sensor", "bands", "ndvi_band", "value_scale", "value_offset",
         "nodata", "footprint", "minx", "miny", "maxx", "maxy", "crs", "width", "height", "band_count",
         "dtype", "res_m", "cog", "synthetic", "file_sha256", "size_bytes", "added_by", "added_at", "note")


@dataclass(frozen=True)
class Scene:
    """One registered scene (a row of ``scenes``)."""

    id: int
    name: str
    path: str
    acquired_on: dt.date
    sensor: str
    bands: dict = field(default_factory=dict)  # role -> 1-based band number
    ndvi_band: int | None = None
    scale: float = 1.0
    offset: float = 0.0
    nodata: float | None = None
    footprint: object = None  # shapely polygon, EPSG:4490
    crs: str = ""
    width: int = 0
    height: int = 0
    band_count: int = 0
    dtype: str = ""
    res_m: float = 0.0
    cog: bool = False
    synthetic: bool = False
    file_sha256: str | None = None
    added_by: str | None = None
    added_at: str | None = None
    note: str | None = None

    @property
    def can_ndvi(self) -> bool:
        return self.ndvi_band is not None or {"red", "nir"} <= set(self.bands)

    @property
    def can_rgb(self) -> bool:
        return {"red", "green", "blue"} <= set(self.bands)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return tuple(self.footprint.bounds)

    def label(self, lang: str = "zh") -> str:
        syn = ("（合成影像）" if lang == "zh" else " (synthetic)") if self.synthetic else ""
        if "合成" in (self.sensor or ""):  # the sensor already says it
            syn = "" if lang == "zh" else syn
        sensor = self.sensor if lang == "zh" or "合成" not in (self.sensor or "") else ""
        return f"#{self.id} {self.acquired_on.isoformat()} {sensor or ''}{syn}".replace("  ", " ").strip()


# ------------------------------------------------------------------------------ parsing options
def parse_bands(text: str | dict | None) -> dict:
    """``"red=3,nir=4"`` → ``{"red": 3, "nir": 4}``; values that are not numbers are file names
    (a stack of single-band files). Unknown roles are refused."""
    if not text:
        return {}
    items = text.items() if isinstance(text, dict) else (
        part.split("=", 1) if "=" in part else (part, None) for part in str(text).split(",") if part.strip())
    out: dict = {}
    for role, value in items:
        key = ROLE_ALIASES.get(str(role).strip().lower(), str(role).strip().lower())
        if key not in ROLES:
            raise ImageryError(
                f"unknown band role '{role}'; roles are {', '.join(ROLES)} (e.g. --bands red=3,nir=4)",
                f"未知的波段含义“{role}”。可用：{', '.join(ROLES)}（如 --bands red=3,nir=4）", option="bands")
        if value is None or str(value).strip() == "":
            raise ImageryError(f"band role '{role}' needs a band number, e.g. {key}=3",
                               f"波段含义“{role}”需要给出波段号，如 {key}=3", option="bands")
        value = str(value).strip()
        out[key] = int(value) if re.fullmatch(r"\d+", value) else value
    return out


_DATE_IN_NAME = re.compile(r"(?<!\d)(19\d{2}|20\d{2})-?(\d{2})-?(\d{2})(?!\d)|\.?A(19\d{2}|20\d{2})(\d{3})(?!\d)")


def parse_date(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise ImageryError(f"'{value}' is not a date (YYYY-MM-DD)", f"“{value}”不是有效日期，应为 年-月-日（如 2024-07-20）",
                       option="date")


def date_from(path: Path, tags: dict) -> dt.date | None:
    """The acquisition date a file tells: a DATE/ACQUISITIONDATE/RANGEBEGINNINGDATE tag, or a date
    in its name (``20240720``, ``2024-07-20``, MODIS ``A2010209``)."""
    for key in ("DATE", "ACQUISITIONDATE", "ACQUISITION_DATE", "RANGEBEGINNINGDATE", "DATE_ACQUIRED"):
        if tags.get(key):
            try:
                return parse_date(tags[key])
            except ImageryError:
                pass
    m = _DATE_IN_NAME.search(path.name)
    if not m:
        return None
    try:
        if m.group(1):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return dt.date(int(m.group(4)), 1, 1) + dt.timedelta(days=int(m.group(5)) - 1)
    except ValueError:
        return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ------------------------------------------------------------------------------ checking a file
def refuse(name: str, en: str, zh: str, **details) -> ImageryError:
    return ImageryError(f"{name}: {en}; nothing was registered", f"影像“{name}”：{zh}，未登记任何影像",
                        file=name, **details)


def open_raster(path: Path, name: str):
    """The raster at ``path``, open — refused (naming ``name``) when it cannot be read or when it
    declares more pixels than the size limit allows (:func:`check_size`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(path)
    except (RasterioError, OSError, ValueError) as ex:
        raise refuse(name, "cannot be read as a raster (not a GeoTIFF/COG, or damaged)",
                      "无法作为影像读取（不是 GeoTIFF/COG 文件，或文件已损坏）") from ex
    try:
        check_size(name, src.width, src.height, src.dtypes)
    except ImageryError:
        src.close()
        raise
    return src


def _gb(n: float) -> str:
    gb = n / GIB
    return f"{gb:.0f}" if gb >= 10 or gb == int(gb) else f"{gb:.1f}"


def check_size(name: str, width: int, height: int, dtypes, limit: int | None = None) -> int:
    """The bytes a raster of ``width`` × ``height`` with bands of ``dtypes`` holds uncompressed —
    what its header declares, whatever the file's size on disk (a few megabytes of sparse,
    compressed tiles can declare hundreds of gigabytes) — refused above ``limit`` (default: the
    ``raster_max_bytes`` setting), before anything reads, converts or stacks it."""
    limit = current().raster_max_bytes if limit is None else limit
    size = int(width) * int(height) * sum(np.dtype(d).itemsize for d in dtypes)
    if limit and size > limit:
        raise refuse(name, f"declares {width}×{height}×{len(dtypes)} bands (about {_gb(size)} GB uncompressed), "
                           f"over the limit of {_gb(limit)} GB (setting raster_max_bytes); cut it into sheets",
                      f"声明尺寸 {width}×{height}×{len(dtypes)} 波段（约 {_gb(size)} GB），超过上限 {_gb(limit)} GB"
                      f"（可分幅后再导入）", option="raster_max_bytes", declared_bytes=size, limit_bytes=int(limit))
    return size


def footprint_of(src) -> shapely.Geometry:
    """The dataset's bounds as a polygon in EPSG:4490 (edges densified, so a projected scene's
    outline stays right after reprojection)."""
    b = src.bounds
    ring = shapely.segmentize(box(b.left, b.bottom, b.right, b.top), max(b.right - b.left, b.top - b.bottom) / 32)
    return shape(transform_geom(src.crs, "EPSG:4490", mapping(ring)))


def _res_m(src, fp) -> float:
    rx = abs(src.transform.a)
    if src.crs.is_geographic:
        return float(rx * 111_320 * np.cos(np.radians(fp.centroid.y)))
    try:
        factor = float(src.crs.linear_units_factor[1])
    except Exception:  # noqa: BLE001 - a CRS without a unit: metres assumed
        factor = 1.0
    return float(rx * factor)


def _scale_of(tags: dict, dtype: str, given, name: str, ndvi: bool) -> float:
    if given is not None:
        return float(given)
    if "SCALE" in tags:
        return float(tags["SCALE"])
    if not ndvi or np.dtype(dtype).kind == "f":
        return 1.0
    factor = tags.get("scale_factor")
    if factor:
        f = float(factor)
        return 1.0 / f if f >= 100 else f  # MODIS HDF style "10000" means value / 10000
    raise refuse(name, "an integer NDVI band needs its scale (e.g. --scale 1e-4)",
                  "整数型 NDVI 波段需要给出缩放系数（如 --scale 1e-4）", option="scale")


def _nodata_of(src, tags: dict, given):
    if given is not None:
        return float(given)
    if src.nodata is not None:
        return float(src.nodata)
    for key in ("NODATA", "_FillValue"):
        if key in tags:
            try:
                return float(tags[key])
            except ValueError:
                pass
    return None


def _roles_from(src) -> dict:
    """Band roles the file itself declares: our BAND_ROLES tag or RGB colour interpretation."""
    tags = src.tags()
    if tags.get("BAND_ROLES"):
        try:
            return parse_bands(json.loads(tags["BAND_ROLES"]))
        except (ValueError, ImageryError):
            pass
    interp = [ci.name for ci in src.colorinterp]
    if src.count >= 3 and interp[:3] == ["red", "green", "blue"]:
        return {"red": 1, "green": 2, "blue": 3}
    return {}


def inspect(path: str | Path, *, name: str | None = None, bands=None, ndvi_band: int | None = None,
            scale: float | None = None, offset: float | None = None, nodata: float | None = None,
            date=None, sensor: str | None = None) -> dict:
    """Check one raster file and describe it as a ``scenes`` row (nothing written).

    Raises
    ------
    ImageryError
        Unreadable, no CRS, not georeferenced, a band role or NDVI band the file does not have,
        no band meaning at all, or no date (naming the file and what to give).
    """
    path = Path(path)
    name = name or path.name
    roles = parse_bands(bands)
    with open_raster(path, name) as src:
        tags = src.tags()
        if src.crs is None:
            if src.gcps[0]:
                raise refuse(name, "has only ground control points; warp it to a map projection first (gdalwarp)",
                              "只有控制点，没有地图投影，请先做几何校正（如 gdalwarp）")
            if src.transform.is_identity:
                raise refuse(name, "is not georeferenced (no coordinate system, no position)",
                              "没有地理参考（既无坐标系也无位置信息）")
            raise refuse(name, "has no coordinate system (CRS)", "没有坐标系（CRS）")
        if src.transform.is_identity:
            raise refuse(name, "is not georeferenced (pixel coordinates only)", "没有地理参考（只有像素坐标）")
        if not roles and ndvi_band is None:
            roles = _roles_from(src)
            ndvi_tag = tags.get("NDVI_BAND")
            if not roles and ndvi_tag:
                ndvi_band = int(ndvi_tag)
        if not roles and ndvi_band is None:
            raise refuse(name, f"say what its {src.count} band(s) are: band roles (--bands red=3,nir=4) "
                                "or the NDVI band (--ndvi-band 1)",
                          f"请说明其 {src.count} 个波段的含义：波段角色（如 --bands red=3,nir=4）或 NDVI 波段（--ndvi-band 1）",
                          option="bands")
        for role, band in roles.items():
            if not isinstance(band, int) or not 1 <= band <= src.count:
                raise refuse(name, f"band role {role}={band} does not exist: the file has {src.count} band(s)",
                              f"波段 {role}={band} 不存在：该文件只有 {src.count} 个波段", option="bands", role=role)
        if ndvi_band is not None and not 1 <= int(ndvi_band) <= src.count:
            raise refuse(name, f"NDVI band {ndvi_band} does not exist: the file has {src.count} band(s)",
                          f"NDVI 波段 {ndvi_band} 不存在：该文件只有 {src.count} 个波段", option="ndvi_band")
        when = check_date(parse_date(date), "成像日期", "acquisition date", "date") if date else date_from(path, tags)
        if when is None:
            raise refuse(name, "has no acquisition date in its tags or name; give it (--date 2024-07-20)",
                          "文件标签和文件名中都没有成像日期，请填写（如 --date 2024-07-20）", option="date")
        try:
            fp = footprint_of(src)
        except Exception as ex:  # noqa: BLE001 - PROJ cannot place it: it is not really georeferenced
            raise refuse(name, "cannot be placed on the map (its coordinates do not transform to CGCS2000)",
                          "无法定位到地图上（坐标无法转换为 CGCS2000）") from ex
        minx, miny, maxx, maxy = fp.bounds
        if not (fp.is_valid and -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or fp.area == 0:
            raise refuse(name, "lies outside the earth with its CRS (wrong CRS or georeferencing)",
                          "按其坐标系不在地球范围内（坐标系或地理参考有误）")
        dtype = src.dtypes[(int(ndvi_band) if ndvi_band else 1) - 1]
        sensor = (sensor or tags.get("SENSOR") or tags.get("ASSOCIATEDSENSORSHORTNAME")
                  or tags.get("SPACECRAFT_ID") or "").strip()
        return {
            "name": name, "acquired_on": when.isoformat(), "sensor": sensor or None,
            "bands": json.dumps(roles, sort_keys=True) if roles else None,
            "ndvi_band": int(ndvi_band) if ndvi_band is not None else None,
            "value_scale": _scale_of(tags, dtype, scale, name, ndvi=ndvi_band is not None),
            "value_offset": float(offset if offset is not None else tags.get("OFFSET", 0.0)),
            "nodata": _nodata_of(src, tags, nodata),
            "footprint": fp.wkt, "minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy,
            "crs": src.crs.to_string(), "width": src.width, "height": src.height, "band_count": src.count,
            "dtype": dtype, "res_m": round(_res_m(src, fp), 3),
            "synthetic": str(tags.get("SYNTHETIC", "")).lower() in ("1", "true", "yes"),
        }


def _is_cog(path: Path) -> bool:
    from rio_cogeo.cogeo import cog_validate

    try:
        ok, _errors, _warnings = cog_validate(str(path), quiet=True)
    except Exception:  # noqa: BLE001 - not a COG if it cannot be validated
        return False
    if not ok:
        return False
    with rasterio.open(path) as src:
        return max(src.width, src.height) <= LARGE_PX or bool(src.overviews(1))


def to_cog(src_path: Path, dst: Path, nodata=None) -> Path:
    """``src_path`` as a deflate-compressed COG at ``dst``, with internal overviews when large."""
    from rio_cogeo.cogeo import cog_translate
    from rio_cogeo.profiles import cog_profiles

    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".part")
    profile = dict(cog_profiles.get("deflate"))
    with rasterio.Env(GDAL_NUM_THREADS="2"):
        cog_translate(str(src_path), str(tmp), profile, nodata=nodata, quiet=True, overview_resampling="average",
                      forward_band_tags=True, forward_ns_tags=True, in_memory=False)
    tmp.replace(dst)
    return dst


def _safe_stem(name: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", Path(name).stem, flags=re.UNICODE).strip("._") or "scene"
    return stem[:60]


# ------------------------------------------------------------------------------ register
def _stack(folder: Path, roles: dict, work: Path, name: str) -> tuple[Path, dict]:
    """Single-band files (one per role, same grid) stacked into one GeoTIFF; returns it and the
    band numbers of the roles in it."""
    files = {role: folder / str(f) for role, f in roles.items()}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        raise refuse(name, f"band files not found: {', '.join(missing)}", f"找不到波段文件：{'、'.join(missing)}",
                      option="bands")
    grids = []
    for role, f in files.items():
        with open_raster(f, f.name) as src:
            grids.append((src.crs, src.transform, src.width, src.height, src.dtypes[0], src.nodata))
    if len({(g[0].to_string() if g[0] else None, tuple(g[1]), g[2], g[3]) for g in grids}) != 1:
        raise refuse(name, "the band files are not on one grid (CRS, extent and size must match)",
                      "各波段文件不在同一网格上（坐标系、范围和大小须一致）", option="bands")
    crs, transform, width, height, dtype, nodata = grids[0]
    check_size(name, width, height, [g[4] for g in grids])  # the stack: every band file together
    out = work / f"{_safe_stem(name)}_stack.tif"
    profile = {"driver": "GTiff", "width": width, "height": height, "count": len(files), "dtype": dtype,
               "crs": crs, "transform": transform, "nodata": nodata, "tiled": True, "compress": "deflate"}
    with rasterio.open(out, "w", **profile) as dst:
        for i, f in enumerate(files.values(), start=1):
            with rasterio.open(f) as src:
                dst.write(src.read(1), i)
    return out, {role: i for i, role in enumerate(files, start=1)}


def add(store, source, *, folder: str | Path, actor: str, access=None, date=None, sensor: str | None = None,
        bands=None, ndvi_band: int | None = None, scale: float | None = None, offset: float | None = None,
        nodata: float | None = None, name: str | None = None, note: str | None = None) -> list[Scene]:
    """Register scenes from ``source`` — a file, a folder (each GeoTIFF in it is a scene, or the
    band files named in ``bands`` are stacked into one), or an upload ``(file name, bytes)``.
    All files are checked before any is kept: one bad file refuses the whole request.

    Returns the new scenes. Raises :class:`ImageryError` (nothing written) or
    :class:`~geo.core.errors.PermissionDenied` when ``access`` may not add data.
    """
    store, access = unwrap(store, access)
    if access is not None:
        access.check_upload()
    folder = Path(folder)
    roles = parse_bands(bands)
    work = Path(tempfile.mkdtemp(prefix="scenes-"))
    made: list[Path] = []
    try:
        uploaded = isinstance(source, tuple)
        if uploaded:
            fname, data = source
            fname = Path(str(fname)).name or "scene.tif"
            src_path = work / _safe_stem(fname)
            src_path = src_path.with_suffix(Path(fname).suffix or ".tif")
            src_path.write_bytes(data)
            inputs = [(src_path, name or fname, roles)]
        else:
            src_path = Path(source)
            if not src_path.exists():
                raise ImageryError(f"{source} does not exist", f"找不到文件或文件夹：{source}", option="path")
            if src_path.is_dir():
                if roles and any(not isinstance(v, int) for v in roles.values()):
                    stacked, numbers = _stack(src_path, roles, work, name or src_path.name)
                    inputs = [(stacked, name or src_path.name, numbers)]
                    uploaded = True  # the stack is a new file: it goes into the imagery folder
                else:
                    files = sorted(p for p in src_path.iterdir() if p.suffix.lower() in RASTER_SUFFIXES)
                    if not files:
                        raise ImageryError(f"no GeoTIFF (.tif/.tiff) in {source}",
                                           f"文件夹 {source} 中没有 GeoTIFF（.tif/.tiff）影像", option="path")
                    inputs = [(p, p.name, roles) for p in files]
            else:
                if roles and any(not isinstance(v, int) for v in roles.values()):
                    raise ImageryError("band files (red=B4.tif) need a folder as the source",
                                       "按文件指定波段（如 red=B4.tif）时，请给出所在文件夹", option="bands")
                inputs = [(src_path, name or src_path.name, roles)]
        rows = []
        for path, label, r in inputs:
            row = inspect(path, name=label, bands=r, ndvi_band=ndvi_band, scale=scale, offset=offset,
                          nodata=nodata, date=date, sensor=sensor)
            rows.append((path, row, _sha256(path)))
        _refuse_known(store, [(row["name"], sha) for _, row, sha in rows])
        for k, (path, row, sha) in enumerate(rows):
            size = path.stat().st_size
            if not uploaded and _is_cog(path):
                final, cog = path.resolve(), True
            else:
                final = folder.resolve() / "scenes" / f"{sha[:12]}_{_safe_stem(row['name'])}.tif"
                if not final.exists():
                    to_cog(path, final, nodata=row["nodata"])
                    made.append(final)
                cog = True
            row.update(path=str(final), cog=cog, file_sha256=sha, size_bytes=int(size), added_by=actor,
                       added_at=now_utc(), note=note)
            rows[k] = (final, row, sha)
        ids = []
        with store.transaction() as tx:
            for _, row, _ in rows:
                sid = store._reserve_ids(tx, "scenes", 1)[0]
                cols = ["id", *row]
                tx.execute(f"INSERT INTO scenes ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                           [sid, *row.values()])
                ids.append(sid)
    except BaseException:
        for f in made:
            f.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [get(store, sid) for sid in ids]


def _refuse_known(store, named: list[tuple[str, str]]) -> None:
    store = unwrap(store)[0]
    with store.transaction(write=False) as tx:
        for label, sha in named:
            row = tx.query_one("SELECT id, name, acquired_on FROM scenes WHERE file_sha256 = ?", [sha])
            if row is not None:
                raise ImageryError(
                    f"{label} is already registered as scene #{row[0]} '{row[1]}'; nothing was registered",
                    f"影像“{label}”已登记为 #{row[0]}“{row[1]}”（{str(row[2])[:10]}），未重复登记",
                    scene_id=int(row[0]))


def register_file(store, path: Path, row: dict, *, actor: str) -> Scene:
    """Register a COG the caller has already written and described (the demo's synthetic
    scenes); the file is kept where it is."""
    store = unwrap(store)[0]
    path = Path(path).resolve()
    row = dict(row, path=str(path), cog=True, file_sha256=_sha256(path), size_bytes=path.stat().st_size,
               added_by=actor, added_at=now_utc())
    _refuse_known(store, [(row["name"], row["file_sha256"])])
    with store.transaction() as tx:
        sid = store._reserve_ids(tx, "scenes", 1)[0]
        cols = ["id", *row]
        tx.execute(f"INSERT INTO scenes ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", [sid, *row.values()])
    return get(store, sid)


# ------------------------------------------------------------------------------ reading
def _scene(rec: dict) -> Scene:
    roles = json.loads(rec["bands"]) if rec.get("bands") else {}
    return Scene(
        id=int(rec["id"]), name=rec["name"], path=rec["path"], acquired_on=parse_date(str(rec["acquired_on"])[:10]),
        sensor=rec.get("sensor") or "", bands={k: int(v) for k, v in roles.items()},
        ndvi_band=int(rec["ndvi_band"]) if rec.get("ndvi_band") is not None else None,
        scale=float(rec["value_scale"]) if rec.get("value_scale") is not None else 1.0,
        offset=float(rec["value_offset"]) if rec.get("value_offset") is not None else 0.0,
        nodata=float(rec["nodata"]) if rec.get("nodata") is not None else None,
        footprint=shapely.from_wkt(rec["footprint"]), crs=rec.get("crs") or "",
        width=int(rec.get("width") or 0), height=int(rec.get("height") or 0),
        band_count=int(rec.get("band_count") or 0), dtype=rec.get("dtype") or "",
        res_m=float(rec.get("res_m") or 0.0), cog=bool(rec.get("cog")), synthetic=bool(rec.get("synthetic")),
        file_sha256=rec.get("file_sha256"), added_by=rec.get("added_by"),
        added_at=str(rec["added_at"]) if rec.get("added_at") is not None else None, note=rec.get("note"))


def all_scenes(store) -> list[Scene]:
    """Every registered scene, oldest acquisition first."""
    store = unwrap(store)[0]
    with store.transaction(write=False) as tx:
        names, rows = tx.columns(f"SELECT {', '.join(_COLS)} FROM scenes ORDER BY acquired_on, id")
    return [_scene(dict(zip(names, r))) for r in rows]


def get(store, sid: int) -> Scene:
    store = unwrap(store)[0]
    with store.transaction(write=False) as tx:
        names, rows = tx.columns(f"SELECT {', '.join(_COLS)} FROM scenes WHERE id = ?", [int(sid)])
    if not rows:
        raise NotFoundError(f"scene #{sid} does not exist", f"影像 #{sid} 不存在", id=int(sid))
    return _scene(dict(zip(names, rows[0])))


def for_counties(store, counties: list[str] | None) -> list[Scene]:
    """The scenes whose footprint meets any of ``counties`` (county codes); every scene when
    ``counties`` is None (a user with no county limit). The scope gate calls this."""
    scenes = all_scenes(store)
    if counties is None:
        return scenes
    if not counties or not scenes:
        return []
    raw = unwrap(store)[0]
    areas = raw.read_layer("admin", where={"level": "county", "code": list(counties)}, columns=["code"])
    if areas.empty:
        return []
    union = shapely.union_all(areas.geometry.values)
    shapely.prepare(union)
    return [s for s in scenes if union.intersects(s.footprint)]


def outside(store, scenes: list[Scene]) -> list[Scene]:
    """Those of ``scenes`` whose footprint meets none of the jurisdiction's counties (a scene of
    another place, or one whose coordinates were read wrongly): registered, but seen by no county
    account and of no use to any polygon — the page warns with their names. None when the store
    holds no counties at all."""
    raw = unwrap(store)[0]
    codes = raw.read_layer("admin", where={"level": "county"}, columns=["code"], geometry=False)
    if codes.empty:
        return []
    meeting = {s.id for s in for_counties(raw, [str(c) for c in codes["code"]])}
    return [s for s in scenes if s.id not in meeting]


def visible(store) -> list[Scene]:
    """The scenes the store's user may see (a :class:`~geo.access.scope.ScopedStore` limits them to the
    user's counties)."""
    access = unwrap(store)[1]
    counties = None if access is None or access.counties is None else sorted(access.counties)
    return for_counties(store, counties)


def covering(scenes: list[Scene], geom, need: str | None = None, whole: bool = True) -> list[Scene]:
    """Scenes whose footprint holds ``geom`` (EPSG:4490) — whole, or at least partly — and that can
    give ``need`` ("ndvi", "rgb" or None for any)."""
    out = []
    for s in scenes:
        if need == "ndvi" and not s.can_ndvi or need == "rgb" and not (s.can_rgb or s.bands or s.ndvi_band):
            continue
        if (s.footprint.covers(geom) if whole else s.footprint.intersects(geom)):
            out.append(s)
    return out


def pick_pair(scenes: list[Scene], before: dt.date | None, after: dt.date | None) -> tuple[Scene | None, Scene | None]:
    """The scenes nearest ``before`` and ``after`` (different dates, the before one earlier); without
    dates the earliest and the latest."""
    dated = sorted(scenes, key=lambda s: (s.acquired_on, s.id))
    if not dated:
        return None, None
    if len({s.acquired_on for s in dated}) < 2:
        return dated[-1], None
    if before and after:
        b = min(dated, key=lambda s: (abs((s.acquired_on - before).days), s.id))
        later = [s for s in dated if s.acquired_on > b.acquired_on]
        if later:
            a = min(later, key=lambda s: (abs((s.acquired_on - after).days), s.id))
            return b, a
    return dated[0], dated[-1]


def frame(scenes: list[Scene]):
    """Scenes as a GeoDataFrame (footprints) for a table or a map."""
    import geopandas as gpd

    return gpd.GeoDataFrame({
        "id": [s.id for s in scenes], "name": [s.name for s in scenes],
        "acquired_on": [s.acquired_on.isoformat() for s in scenes], "sensor": [s.sensor for s in scenes],
        "bands": [",".join(f"{k}={v}" for k, v in s.bands.items()) or (f"ndvi={s.ndvi_band}" if s.ndvi_band else "")
                  for s in scenes],
        "ndvi": [s.can_ndvi for s in scenes], "rgb": [s.can_rgb for s in scenes],
        "res_m": [s.res_m for s in scenes], "size": [f"{s.width}×{s.height}" for s in scenes],
        "synthetic": [s.synthetic for s in scenes], "added_by": [s.added_by for s in scenes],
        "added_at": [s.added_at for s in scenes],
    }, geometry=[s.footprint for s in scenes], crs=4490)


def resolve(scene: Scene, folder: str | Path | None = None) -> Path:
    """The scene's file; if it was moved with the imagery folder, found there by name."""
    path = Path(scene.path)
    if path.exists() or folder is None:
        return path
    for candidate in (Path(folder) / "scenes" / path.name, Path(folder) / path.name):
        if candidate.exists():
            return candidate
    return path
