"""Small rasters made in code for the imagery tests (a few hundred pixels a side)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

ROOT = Path(__file__).resolve().parent.parent
MODIS = ROOT / "tests" / "data" / "imagery"
MODIS_BEFORE = MODIS / "MOD13Q1_NDVI_20100728.tif"
MODIS_AFTER = MODIS / "MOD13Q1_NDVI_20110728.tif"
SHARED = ROOT.parent / "shared" / "data" / "imagery"

# a 10 m grid in UTM 51N inside 突泉县 (top left about 121.50°E, 45.75°N)
ORIGIN = (383_330.0, 5_067_365.0)
CRS = "EPSG:32651"


def reflectance(ndvi: np.ndarray, brightness: float = 0.18) -> tuple[np.ndarray, np.ndarray]:
    """Red and NIR reflectance (×10000, uint16) giving exactly ``ndvi``."""
    red = brightness * (1 - ndvi)
    nir = brightness * (1 + ndvi)
    return (red * 10000).round().astype("uint16"), (nir * 10000).round().astype("uint16")


def write_scene(path: Path, ndvi: np.ndarray, *, res: float = 10.0, origin=ORIGIN, crs=CRS, date="2024-07-20",
                tags: dict | None = None, rgb: bool = True) -> Path:
    """A 4-band (red, green, blue, NIR) uint16 scene whose NDVI is ``ndvi``."""
    red, nir = reflectance(ndvi)
    green = (red * 1.1).astype("uint16")
    blue = (red * 0.8).astype("uint16")
    h, w = ndvi.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=4, dtype="uint16", nodata=0,
                       crs=crs, transform=from_origin(origin[0], origin[1], res, res)) as dst:
        dst.write(np.stack([red, green, blue, nir]))
        dst.update_tags(DATE=date, **(tags or {}))
    return path


def write_ndvi(path: Path, ndvi: np.ndarray, *, res: float = 10.0, origin=ORIGIN, crs=CRS, nodata=-3000,
               date: str | None = None) -> Path:
    """A one-band int16 NDVI ×1e4 raster (nodata −3000, NaN → nodata)."""
    raw = np.where(np.isnan(ndvi), nodata, np.round(ndvi * 10000)).astype("int16")
    h, w = ndvi.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="int16", nodata=nodata,
                       crs=crs, transform=from_origin(origin[0], origin[1], res, res)) as dst:
        dst.write(raw, 1)
        if date:
            dst.update_tags(DATE=date)
    return path


def field(shape=(300, 300), seed: int = 1, base: float = 0.7, noise: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(base + rng.normal(0, noise, shape), -1, 1)
