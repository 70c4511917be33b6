"""Transitional: the imagery folder seen as a plain list of files, for the map page until it asks
the scene register (:mod:`geo.imagery`) instead — ``geo.imagery.chips.chips_for`` for chips,
``geo.imagery.scenes.visible`` for footprints, :mod:`geo.imagery.basemap` for imagery tiles.

Detection, NDVI and chips live in :mod:`geo.imagery`; this module only lists the GeoTIFFs under a
folder (sub-folders included) and draws them for the map's overlay and chips.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.warp import transform_bounds

from geo.core.crs import CGCS2000
from geo.imagery import chips as CH
from geo.imagery.scenes import RASTER_SUFFIXES, Scene, date_from, footprint_of


@dataclass(frozen=True)
class Image:
    path: Path
    date: dt.date | None
    bounds: tuple[float, float, float, float]  # EPSG:4490
    kind: str  # "ndvi" (one band, scaled) or "rgb"
    scale: float = 1.0
    nodata: float | None = None
    synthetic: bool = False
    roles: tuple = ()

    def scene(self) -> Scene:
        roles = dict(self.roles) or ({"red": 1, "green": 2, "blue": 3} if self.kind == "rgb" else {})
        with rasterio.open(self.path) as src:
            fp = footprint_of(src)
            res = abs(src.transform.a)
        return Scene(id=0, name=self.path.name, path=str(self.path), acquired_on=self.date or dt.date(1900, 1, 1),
                     sensor="", bands=roles, ndvi_band=1 if self.kind == "ndvi" else None, scale=self.scale,
                     nodata=self.nodata, footprint=fp, res_m=res, synthetic=self.synthetic)


def catalogue(folder: str | Path) -> list[Image]:
    """Every readable GeoTIFF under ``folder`` with its date, footprint and kind."""
    out = []
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in RASTER_SUFFIXES):
        try:
            with rasterio.open(path) as src:
                tags = src.tags()
                bounds = transform_bounds(src.crs, CGCS2000, *src.bounds)
                roles = json.loads(tags["BAND_ROLES"]) if tags.get("BAND_ROLES") else {}
                kind = "rgb" if src.count >= 3 else "ndvi"
                scale = float(tags.get("SCALE", 1.0e-4 if kind == "ndvi" and src.dtypes[0] != "float32" else 1.0))
                nodata = float(tags["NODATA"]) if "NODATA" in tags else src.nodata
        except (rasterio.errors.RasterioError, ValueError, KeyError, TypeError):
            continue
        out.append(Image(path, date_from(path, tags), tuple(bounds), kind, scale, nodata,
                         tags.get("SYNTHETIC") == "true", tuple(sorted(roles.items()))))
    return out


def chips(images: list[Image], geom, before: dt.date | None = None, after: dt.date | None = None,
          size: int = 256) -> list[tuple[str, bytes]]:
    """Before/after chips of ``geom`` from the catalogued files that cover it (see
    :func:`geo.imagery.chips.chips_for` for the register's version with its cache)."""
    cover = sorted([im for im in images if im.date and im.bounds[0] <= geom.bounds[0] and im.bounds[2] >= geom.bounds[2]
                    and im.bounds[1] <= geom.bounds[1] and im.bounds[3] >= geom.bounds[3]], key=lambda im: im.date)
    if not cover:
        return []
    pair = [cover[0], cover[-1]] if len(cover) > 1 else [cover[0]]
    if before and after and len(cover) > 1:
        b = min(cover, key=lambda im: abs((im.date - before).days))
        later = [im for im in cover if im.date > b.date]
        if later:
            pair = [b, min(later, key=lambda im: abs((im.date - after).days))]
    out = []
    for im in pair:
        scene = im.scene()
        with rasterio.open(im.path) as src:
            syn = "（合成影像）" if im.synthetic else ""
            out.append((f"{im.date.isoformat()} {im.path.name}{syn}", CH.render(src, scene, geom, "rgb", size)))
    return out


def overlay(image: Image, max_size: int = 1024) -> tuple[bytes, tuple[float, float, float, float]]:
    """``image`` as a PNG in Web Mercator for a web map's image overlay, with its lon/lat bounds
    ``(west, south, east, north)`` (pixels warped to Mercator: Leaflet stretches overlays
    linearly in Mercator)."""
    from PIL import Image as PILImage
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(image.path) as src:
        dst_crs = "EPSG:3857"
        transform, width, height = calculate_default_transform(src.crs, dst_crs, src.width, src.height, *src.bounds)
        scale = max(1.0, max(width, height) / max_size)
        width, height = int(width / scale), int(height / scale)
        transform = transform @ transform.scale(scale, scale)
        roles = dict(image.roles)
        bands = [roles.get("red", 1), roles.get("green", 2), roles.get("blue", 3)] if image.kind == "rgb" else [1]
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
        rgb = CH.stretch(data, valid)
    else:
        valid = data[0] != fill
        rgb = CH.ndvi_colours(np.where(valid, data[0] * image.scale, np.nan))
    alpha = np.where(valid, 220, 0).astype(np.uint8)
    img = PILImage.fromarray(np.dstack([rgb, alpha]), "RGBA")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue(), bounds
