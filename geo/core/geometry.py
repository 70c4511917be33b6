"""Geometry helpers shared by the store and ingest."""

from __future__ import annotations

import hashlib

import numpy as np
import shapely


def geom_hashes(geoms, decimals: int = 7) -> list[str | None]:
    """A fingerprint of each geometry's shape, independent of vertex order, ring start and
    float noise below ~1 cm (coordinates rounded to ``decimals`` degrees): the same polygon
    delivered twice, even reprojected, hashes the same."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[str | None] = [None] * len(geoms)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return out
    g = shapely.transform(geoms[ok], lambda c: np.round(c, decimals))
    g = shapely.normalize(g)
    wkb = shapely.to_wkb(g, output_dimension=2, byte_order=1)
    for i, w in zip(np.flatnonzero(ok), wkb):
        out[i] = hashlib.sha1(w).hexdigest()
    return out
