"""Small builders for test data, created in code (tests/data holds only what cannot be)."""

from __future__ import annotations

import io

import geopandas as gpd
from shapely.geometry import box


def polygons(n: int = 3, x0: float = 121.50, y0: float = 45.90, county_code: str = "152224",
             county: str = "突泉县", **extra) -> gpd.GeoDataFrame:
    geoms = [box(x0 + i * 0.01, y0, x0 + i * 0.01 + 0.004, y0 + 0.004) for i in range(n)]
    data = {"polygon_no": [f"T{i:04d}" for i in range(n)], "county_code": county_code,
            "county": county, "source": "测试来源", "kind": "forest"}
    data.update(extra)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4490)


def jpeg(colour=(30, 120, 30)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), tuple(colour)).save(buf, "JPEG")
    return buf.getvalue()


def pdf() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 255, 255)).save(buf, "PDF")
    return buf.getvalue()


def add_batch(store, name="2024年第1期", verify="2024-06-30", rectify="2024-12-31", **kw):
    with store.transaction() as tx:
        return store.add_batch(tx, name=name, layer="change", source="测试来源", kind="forest",
                               issued_on="2024-04-01", verify_deadline=verify, rectify_deadline=rectify, **kw)


def insert(store, frame, batch_id=None, actor="staff"):
    with store.transaction() as tx:
        return store.insert_features(tx, "change", frame, actor=actor, batch_id=batch_id)
