"""Shared vocabulary: literals for the domain's keys and small aliases."""

from __future__ import annotations

from typing import Literal

BBox = tuple[float, float, float, float]  # (minx, miny, maxx, maxy) in EPSG:4490 degrees

LayerKey = Literal[
    "change", "occupation", "signboard", "zone", "restoration", "patrol", "admin"
]

ChangeStatus = Literal[
    "issued",
    "verifying",
    "verified",
    "case_filed",
    "penalized",
    "rectifying",
    "rectified",
    "accepted",
    "closed",
]

Verdict = Literal["legal", "illegal", "no_change", "other"]

Lang = Literal["zh", "en"]
