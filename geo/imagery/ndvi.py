"""NDVI from a registered scene, one window at a time: from its red and NIR bands, or from a ready
NDVI band with its scale, offset and nodata. Invalid pixels (nodata, a zero denominator, a value
outside −1…1) are NaN.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT

from geo.core.errors import ImageryError
from geo.imagery.scenes import Scene, resolve


@contextmanager
def open_scene(scene: Scene, folder: str | Path | None = None):
    path = resolve(scene, folder)
    try:
        src = rasterio.open(path)
    except (rasterio.errors.RasterioError, OSError) as ex:
        raise ImageryError(f"the file of scene #{scene.id} ({scene.name}) cannot be read; register it again",
                           f"影像 #{scene.id}（{scene.name}）的文件无法读取，请重新登记", scene_id=scene.id) from ex
    try:
        yield src
    finally:
        src.close()


@contextmanager
def on_grid(src, crs, transform, width: int, height: int):
    """``src`` resampled onto another grid (bilinear), or ``src`` itself when it already is on it."""
    if src.crs == crs and src.transform.almost_equals(transform) and (src.width, src.height) == (width, height):
        yield src
        return
    with WarpedVRT(src, crs=crs, transform=transform, width=width, height=height,
                   resampling=Resampling.bilinear, src_nodata=src.nodata, nodata=src.nodata) as vrt:
        yield vrt


def _band(src, scene: Scene, index: int, window, out_shape, boundless: bool) -> np.ndarray:
    fill = scene.nodata if scene.nodata is not None else 0
    kw = {"window": window, "boundless": boundless}
    if boundless:
        kw["fill_value"] = fill
    if out_shape is not None:
        kw["out_shape"] = out_shape
        kw["resampling"] = Resampling.nearest  # (bilinear would blend nodata into values)
    raw = src.read(index, **kw)
    value = raw.astype("float32")
    bad = ~np.isfinite(value) if raw.dtype.kind == "f" else None
    if scene.nodata is not None:
        bad = (raw == scene.nodata) if bad is None else bad | (raw == scene.nodata)
    if scene.scale != 1.0:
        value *= np.float32(scene.scale)
    if scene.offset:
        value += np.float32(scene.offset)
    if bad is not None:
        value[bad] = np.nan
    return value


def ndvi(src, scene: Scene, window=None, out_shape=None, boundless: bool = False) -> np.ndarray:
    """NDVI of ``window`` of the open scene ``src`` as float32, NaN where invalid."""
    if scene.ndvi_band is not None:
        v = _band(src, scene, scene.ndvi_band, window, out_shape, boundless)
    elif scene.can_ndvi:
        red = _band(src, scene, scene.bands["red"], window, out_shape, boundless)
        nir = _band(src, scene, scene.bands["nir"], window, out_shape, boundless)
        with np.errstate(divide="ignore", invalid="ignore"):
            total = nir + red
            v = (nir - red) / total
        v[~(total > 0)] = np.nan
    else:
        raise ImageryError(f"scene #{scene.id} has neither red and NIR bands nor an NDVI band",
                           f"影像 #{scene.id} 既无红/近红外波段，也无 NDVI 波段，不能计算 NDVI", scene_id=scene.id)
    v[(v < -1.0) | (v > 1.0)] = np.nan
    return v
