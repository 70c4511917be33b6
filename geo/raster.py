"""Imagery beside the polygons: a catalogue of local GeoTIFF/COG files, before/after chips of a
polygon, and candidate change polygons from an NDVI drop between two dates.

Functions take open rasterio datasets where they read pixels (the caller owns the I/O), except
:func:`catalogue`, which scans a folder.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from rasterio.features import shapes, sieve
from rasterio.warp import transform_bounds, transform_geom
from rasterio.windows import from_bounds

from geo.crs import CGCS2000


@dataclass(frozen=True)
class Image:
    path: Path
    date: dt.date | None
    bounds: tuple[float, float, float, float]  # EPSG:4490
    kind: str  # "ndvi" (one band, scaled) or "rgb"
    scale: float = 1.0
    nodata: float | None = None


_DATE_IN_NAME = re.compile(r"(20\d{2})(\d{2})(\d{2})|A(20\d{2})(\d{3})")


def _date_of(path: Path, tags: dict) -> dt.date | None:
    text = tags.get("DATE") or path.stem
    m = _DATE_IN_NAME.search(text)
    if not m:
        return None
    if m.group(1):
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return dt.date(int(m.group(4)), 1, 1) + dt.timedelta(days=int(m.group(5)) - 1)


def catalogue(folder: str | Path) -> list[Image]:
    """Every readable raster in ``folder`` with its date, footprint and kind."""
    out = []
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.tif")) + sorted(folder.glob("*.tiff")):
        try:
            with rasterio.open(path) as src:
                tags = src.tags()
                bounds = transform_bounds(src.crs, CGCS2000, *src.bounds)
                kind = "rgb" if src.count >= 3 else "ndvi"
                scale = float(tags.get("SCALE", 1.0e-4 if "NDVI" in path.name.upper() else 1.0))
                nodata = float(tags["NODATA"]) if "NODATA" in tags else src.nodata
        except (rasterio.errors.RasterioError, ValueError, KeyError):
            continue
        out.append(Image(path, _date_of(path, tags), tuple(bounds), kind, scale, nodata))
    return out


def covering(images: list[Image], geom) -> list[Image]:
    minx, miny, maxx, maxy = geom.bounds
    return [im for im in images if im.bounds[0] <= minx and im.bounds[2] >= maxx
            and im.bounds[1] <= miny and im.bounds[3] >= maxy]


def before_after(images: list[Image], geom, before: dt.date | None = None,
                 after: dt.date | None = None) -> tuple[Image | None, Image | None]:
    """The images to compare for ``geom``: nearest to the polygon's imagery dates when it has
    them, else the earliest and the latest image covering it."""
    cover = sorted([im for im in covering(images, geom) if im.date], key=lambda im: im.date)
    if len(cover) < 2:
        return (cover[0] if cover else None), None
    if before and after:
        b = min(cover, key=lambda im: abs((im.date - before).days))
        a = min(cover, key=lambda im: abs((im.date - after).days))
        if b != a:
            return b, a
    return cover[0], cover[-1]


def _ndvi_colours(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """NDVI (-0.2…0.9) as brown → yellow → green; invalid pixels grey."""
    stops = np.array([-0.2, 0.2, 0.45, 0.9])
    colours = np.array([[140, 100, 60], [215, 190, 120], [150, 200, 100], [20, 110, 40]], float)
    v = np.clip(values, stops[0], stops[-1])
    rgb = np.stack([np.interp(v, stops, colours[:, i]) for i in range(3)], axis=-1)
    rgb[~valid] = [200, 200, 200]
    return rgb.astype(np.uint8)


def chip(src, image: Image, geom, size: int = 256, pad: float = 0.6) -> bytes:
    """A PNG of ``geom`` (EPSG:4490) and its surroundings on the open raster ``src``, with the
    polygon outlined."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    g = shapely.geometry.shape(transform_geom(CGCS2000, src.crs, shapely.geometry.mapping(geom)))
    minx, miny, maxx, maxy = g.bounds
    w, h = maxx - minx, maxy - miny
    side = max(w, h) * (1 + pad) + 4 * abs(src.res[0])
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    window = from_bounds(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, src.transform)
    if image.kind == "rgb":
        data = src.read([1, 2, 3], window=window, out_shape=(3, size, size), boundless=True, fill_value=0)
        lo, hi = np.percentile(data[data > 0], [2, 98]) if (data > 0).any() else (0, 1)
        rgb = np.clip((data - lo) / max(hi - lo, 1e-9) * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    else:
        raw = src.read(1, window=window, out_shape=(size, size), boundless=True,
                       fill_value=image.nodata if image.nodata is not None else 0).astype(float)
        valid = raw != image.nodata if image.nodata is not None else np.ones(raw.shape, bool)
        rgb = _ndvi_colours(raw * image.scale, valid)
    img = PILImage.fromarray(rgb)
    draw = ImageDraw.Draw(img)
    x0, y1 = cx - side / 2, cy - side / 2
    polys = g.geoms if g.geom_type == "MultiPolygon" else [g]
    for p in polys:
        pts = [((x - x0) / side * size, (1 - (y - y1) / side) * size) for x, y in p.exterior.coords]
        draw.line(pts + pts[:1], fill=(255, 0, 0), width=2)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def chips(images: list[Image], geom, before: dt.date | None = None, after: dt.date | None = None,
          size: int = 256) -> list[tuple[str, bytes]]:
    """Before/after chips of ``geom`` as ``[(caption, png), …]`` (empty when no image covers it)."""
    out = []
    for im in before_after(images, geom, before, after):
        if im is None:
            continue
        with rasterio.open(im.path) as src:
            caption = f"{im.date.isoformat() if im.date else ''} {im.path.name}"
            out.append((caption, chip(src, im, geom, size)))
    return out


def ndvi_drop_candidates(before_src, after_src, *, scale: float = 1e-4, nodata: float = -3000,
                         threshold: float = 0.2, min_pixels: int = 4) -> gpd.GeoDataFrame:
    """Candidate change polygons where NDVI fell by more than ``threshold`` between two images
    of the same grid (e.g. a burn or a clearing), in EPSG:4490, with the mean drop of each."""
    a = before_src.read(1).astype(float)
    b = after_src.read(1).astype(float)
    valid = (a != nodata) & (b != nodata)
    drop = np.where(valid, (a - b) * scale, 0.0)
    mask = (drop > threshold).astype(np.uint8)
    mask = sieve(mask, size=min_pixels, connectivity=8)
    geoms, means = [], []
    for geom, value in shapes(mask, mask=mask.astype(bool), transform=before_src.transform, connectivity=8):
        if value != 1:
            continue
        poly = shapely.geometry.shape(geom)
        geoms.append(poly)
        from rasterio.features import geometry_mask

        inside = ~geometry_mask([geom], out_shape=mask.shape, transform=before_src.transform)
        means.append(float(drop[inside].mean()))
    frame = gpd.GeoDataFrame({"ndvi_drop": means}, geometry=geoms, crs=before_src.crs)
    return frame.to_crs(CGCS2000)


def overlay(image: Image, max_size: int = 1024) -> tuple[bytes, tuple[float, float, float, float]]:
    """``image`` as a PNG in Web Mercator for a web map's image overlay, with its lon/lat bounds
    ``(west, south, east, north)``: Leaflet stretches overlays linearly in Mercator, so the pixels
    are warped to Mercator first."""
    from PIL import Image as PILImage
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(image.path) as src:
        dst_crs = "EPSG:3857"
        transform, width, height = calculate_default_transform(src.crs, dst_crs, src.width, src.height, *src.bounds)
        scale = max(1.0, max(width, height) / max_size)
        width, height = int(width / scale), int(height / scale)
        transform = transform * transform.scale(scale, scale)
        bands = [1, 2, 3] if image.kind == "rgb" else [1]
        data = np.zeros((len(bands), height, width), dtype="float64")
        fill = image.nodata if image.nodata is not None else 0
        for i, b in enumerate(bands):
            reproject(rasterio.band(src, b), data[i], src_transform=src.transform, src_crs=src.crs,
                      dst_transform=transform, dst_crs=dst_crs, resampling=Resampling.bilinear,
                      src_nodata=src.nodata, dst_nodata=fill)
        west, north = transform * (0, 0)
        east, south = transform * (width, height)
    bounds = transform_bounds("EPSG:3857", "EPSG:4326", west, south, east, north)
    if image.kind == "rgb":
        valid = data.sum(0) > 0
        lo, hi = np.percentile(data[:, valid], [2, 98]) if valid.any() else (0, 1)
        rgb = np.clip((data - lo) / max(hi - lo, 1e-9) * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    else:
        valid = data[0] != fill
        rgb = _ndvi_colours(data[0] * image.scale, valid)
    alpha = np.where(valid, 220, 0).astype(np.uint8)
    img = PILImage.fromarray(np.dstack([rgb, alpha]), "RGBA")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue(), bounds
