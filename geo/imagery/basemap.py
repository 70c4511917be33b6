"""Offline basemap tiles from the bureau's own GeoTIFFs.

``python -m geo basemap build scene.tif … --out NAME`` cuts Web Mercator (XYZ) tiles with
rio-tiler (``Reader.tile``, tile grid from morecantile's ``WebMercatorQuad``) and stores them in
one **MBTiles** archive, ``<tiles folder>/NAME.mbtiles``:

* one file per basemap — copied, backed up and replaced as a whole, where a folder pyramid is tens
  of thousands of small files;
* SQLite from the standard library: a tile is one indexed SELECT, so serving needs no extra
  package (PMTiles needs a reader library and is designed for HTTP range requests against object
  storage, which an intranet app server does not have);
* read by QGIS, GDAL and the usual tile servers, should a bureau serve it elsewhere.

Tiles are WebP with transparency by default (Chromium, Firefox and Edge show it; about a third of
the size of PNG), PNG or JPEG on request. Several GeoTIFFs are mosaicked in the given order (the
first with data at a pixel wins); each is stretched once to 8 bits by the 2–98 % range of its
overview, so a tile's colours do not jump between tiles.

:func:`tile` and :func:`available` serve what :func:`build` wrote; the app exposes them at
``/tiles/<name>/{z}/{x}/{y}``.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time
import warnings
from pathlib import Path

import numpy as np

from geo.core.errors import ImageryError
from geo.core.config import load_settings
from geo.imagery.scenes import open_raster, refuse

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MIME = {"webp": "image/webp", "png": "image/png", "jpg": "image/jpeg"}
MAX_TILES = 200_000
TILE = 256


def _folder(folder) -> Path:
    if folder is None:

        folder = load_settings().tiles_dir
    return Path(folder)


def _check_name(name: str) -> None:
    if not NAME.match(str(name or "")):
        raise ImageryError(f"archive name '{name}' may use only letters, digits, '-' and '_'",
                           f"瓦片底图名称“{name}”只能包含字母、数字、短横线和下划线", option="out")


def _bands_of(src, bands) -> tuple[int, ...]:
    if bands:
        bad = [b for b in bands if not 1 <= int(b) <= src.count]
        if bad or len(bands) not in (1, 3):
            raise ImageryError(f"--bands needs 1 or 3 band numbers between 1 and {src.count}",
                               f"--bands 需要 1 个或 3 个波段号（1 到 {src.count}）", option="bands")
        return tuple(int(b) for b in bands)
    roles = json.loads(src.tags().get("BAND_ROLES") or "{}")
    if {"red", "green", "blue"} <= set(roles):
        return tuple(int(roles[k]) for k in ("red", "green", "blue"))
    if src.count >= 3:
        return (1, 2, 3)
    return (1,)


class _Source:
    """One GeoTIFF: its rio-tiler reader, the bands shown and the 8-bit stretch."""

    def __init__(self, path: Path, bands):
        from rio_tiler.io import Reader

        with open_raster(path, path.name) as src:
            if src.crs is None or src.transform.is_identity:
                raise refuse(path.name, "has no coordinate system or georeferencing", "没有坐标系或地理参考")
            self.bands = _bands_of(src, bands)
        self.path = path
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.reader = Reader(str(path))
        self.bounds = self.reader.get_geographic_bounds("EPSG:4326")
        self.minzoom, self.maxzoom = self.reader.minzoom, self.reader.maxzoom
        prev = self.reader.preview(indexes=self.bands, max_size=1024)
        vals = prev.array.compressed()
        self.lo, self.hi = (np.percentile(vals, [2, 98]) if vals.size else (0.0, 1.0))
        if self.hi <= self.lo:
            self.hi = self.lo + 1

    def tile(self, x: int, y: int, z: int):
        from rio_tiler.errors import TileOutsideBounds

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                img = self.reader.tile(x, y, z, indexes=self.bands, tilesize=TILE)
        except TileOutsideBounds:
            return None
        arr = img.array
        valid = ~np.ma.getmaskarray(arr).any(axis=0)
        if not valid.any():
            return None
        data = np.clip((arr.data.astype("float32") - self.lo) / (self.hi - self.lo) * 255, 0, 255).astype(np.uint8)
        if data.shape[0] == 1:
            data = np.repeat(data, 3, axis=0)
        return data.transpose(1, 2, 0), valid

    def close(self):
        self.reader.close()


def _encode(rgb: np.ndarray, alpha: np.ndarray, fmt: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    if fmt == "jpg":
        Image.fromarray(np.where(alpha[..., None], rgb, 255).astype(np.uint8)).save(buf, "JPEG", quality=85)
    else:
        img = Image.fromarray(np.dstack([rgb, np.where(alpha, 255, 0).astype(np.uint8)]), "RGBA")
        if fmt == "webp":
            img.save(buf, "WEBP", quality=82, method=4)
        else:
            img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def build(paths, name: str, *, folder=None, label: str | None = None, bands=None, minzoom: int | None = None,
          maxzoom: int | None = None, tile_format: str = "webp", force: bool = False, attribution: str = "",
          synthetic: bool | None = None, log=None) -> dict:
    """Build ``<folder>/<name>.mbtiles`` from the GeoTIFFs ``paths`` (mosaicked in order).

    Zoom levels default to what the images' resolution supports (rio-tiler's max zoom) down to two
    levels below rio-tiler's min zoom.
    Returns ``{name, label, path, tiles, minzoom, maxzoom, bounds, format, seconds}``.

    Raises :class:`ImageryError` for a bad name, an unreadable or ungeoreferenced file, an
    existing archive (without ``force``) or a request of more than 200,000 tiles.
    """
    import morecantile

    t0 = time.perf_counter()
    _check_name(name)
    if tile_format not in MIME:
        raise ImageryError(f"tile format must be one of {sorted(MIME)}", f"瓦片格式只能是 {'、'.join(MIME)}")
    folder = _folder(folder)
    out = folder / f"{name}.mbtiles"
    if out.exists() and not force:
        raise ImageryError(f"{out.name} already exists; pass --force to replace it",
                           f"瓦片底图“{name}”已存在，如需覆盖请加 --force", option="force")
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.is_file():
            raise ImageryError(f"{p} does not exist", f"找不到影像文件：{p}", option="paths")
    sources = [_Source(p, bands) for p in paths]
    try:
        west = min(s.bounds[0] for s in sources)
        south = min(s.bounds[1] for s in sources)
        east = max(s.bounds[2] for s in sources)
        north = max(s.bounds[3] for s in sources)
        zmax = maxzoom if maxzoom is not None else max(s.maxzoom for s in sources)
        # by default two levels coarser than the images' own, so the area shows when zoomed out
        zmin = minzoom if minzoom is not None else max(0, min(min(s.minzoom for s in sources) - 2, zmax))
        if not 0 <= zmin <= zmax <= 22:
            raise ImageryError(f"zoom levels {zmin}–{zmax} are not 0 ≤ min ≤ max ≤ 22",
                               f"缩放级别 {zmin}–{zmax} 无效（应 0 ≤ 最小 ≤ 最大 ≤ 22）", option="zoom")
        tms = morecantile.tms.get("WebMercatorQuad")
        tiles = list(tms.tiles(west, south, east, north, zooms=list(range(zmin, zmax + 1))))
        if len(tiles) > MAX_TILES:
            raise ImageryError(f"{len(tiles)} tiles at zoom {zmin}–{zmax}: choose a smaller --maxzoom",
                               f"缩放级别 {zmin}–{zmax} 共需 {len(tiles)} 个瓦片，过多，请减小 --maxzoom", option="maxzoom")
        folder.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".part")
        tmp.unlink(missing_ok=True)
        con = sqlite3.connect(tmp)
        written = 0
        try:
            con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
            con.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
            con.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
            rows = []
            for k, t in enumerate(tiles):
                rgb = alpha = None
                for s in sources:
                    got = s.tile(t.x, t.y, t.z)
                    if got is None:
                        continue
                    data, valid = got
                    if rgb is None:
                        rgb, alpha = data.copy(), valid.copy()
                    else:
                        fill = valid & ~alpha
                        rgb[fill] = data[fill]
                        alpha |= valid
                    if alpha.all():
                        break
                if rgb is None:
                    continue
                rows.append((t.z, t.x, (1 << t.z) - 1 - t.y, _encode(rgb, alpha, tile_format)))
                if len(rows) >= 256:
                    con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
                    written += len(rows)
                    rows = []
                    if log:
                        log(f"  {k + 1}/{len(tiles)}")
            con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
            written += len(rows)
            if synthetic is None:
                synthetic = any(str(s.reader.dataset.tags().get("SYNTHETIC", "")).lower() in ("1", "true", "yes")
                                for s in sources)
            meta = {"name": name, "label": label or name, "format": tile_format, "type": "baselayer", "version": "1.3",
                    "bounds": f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}",
                    "center": f"{(west + east) / 2:.6f},{(south + north) / 2:.6f},{zmin}",
                    "minzoom": str(zmin), "maxzoom": str(zmax), "attribution": attribution,
                    "description": "built by python -m geo basemap build from " + ", ".join(p.name for p in paths),
                    "synthetic": "true" if synthetic else "false"}
            con.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
            con.commit()
        finally:
            con.close()
        tmp.replace(out)
    finally:
        for s in sources:
            s.close()
    return {"name": name, "label": label or name, "path": str(out), "tiles": written, "minzoom": zmin,
            "maxzoom": zmax, "bounds": [west, south, east, north], "format": tile_format,
            "seconds": round(time.perf_counter() - t0, 2)}


def _metadata(path: Path) -> dict:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return dict(con.execute("SELECT name, value FROM metadata").fetchall())
    finally:
        con.close()


def available(folder=None) -> list[dict]:
    """The tile archives of the tiles folder: ``[{name, label, minzoom, maxzoom, bounds, format,
    synthetic, attribution}, …]`` (bounds as west, south, east, north in degrees)."""
    out = []
    folder = _folder(folder)
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.mbtiles")):
        if not NAME.match(path.stem):
            continue
        try:
            meta = _metadata(path)
            bounds = [float(v) for v in meta.get("bounds", "-180,-85,180,85").split(",")]
            out.append({"name": path.stem, "label": meta.get("label") or meta.get("name") or path.stem,
                        "minzoom": int(meta.get("minzoom", 0)), "maxzoom": int(meta.get("maxzoom", 22)),
                        "bounds": bounds, "format": meta.get("format", "png"),
                        "synthetic": meta.get("synthetic") == "true", "attribution": meta.get("attribution", "")})
        except (sqlite3.Error, ValueError):
            continue  # not an archive this module can read: not offered
    return out


def tile(name: str, z: int, x: int, y: int, folder=None) -> tuple[bytes, str] | None:
    """Tile ``z/x/y`` (XYZ numbering) of archive ``name`` as ``(bytes, mime)``, or None where the
    archive has no such tile (or no such archive, or a name that is not an archive's)."""
    if not NAME.match(str(name or "")):
        return None
    path = _folder(folder) / f"{name}.mbtiles"
    if not path.is_file():
        return None
    z, x, y = int(z), int(x), int(y)
    if z < 0 or z > 30 or not (0 <= x < (1 << z) and 0 <= y < (1 << z)):
        return None
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                          (z, x, (1 << z) - 1 - y)).fetchone()
        if row is None:
            return None
        fmt = con.execute("SELECT value FROM metadata WHERE name = 'format'").fetchone()
    finally:
        con.close()
    return bytes(row[0]), MIME.get(fmt[0] if fmt else "png", "image/png")
