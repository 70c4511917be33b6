"""Shared vocabulary: literals for the domain's keys and small aliases."""

from __future__ import annotations

from typing import Literal

BBox = tuple[float, float, float, float]  # (minx, miny, maxx, maxy) in EPSG:4490 degrees

Lang = Literal["zh", "en"]
