"""An uploaded batch may hold only so many features and vertices (settings upload_max_features,
upload_max_vertices, upload_max_feature_vertices): a file over a limit is refused in Chinese,
naming its count and the limit, and nothing is written — through the upload page's entry
(:func:`geo.ingest.prepare` with the settings' limits) and ``python -m geo ingest``."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point, box

from geo.core.config import Settings
from geo.core.errors import IngestError
from geo.ingest import Limits, Options, Upload, prepare

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path):
    from geo.store import open_store

    store = open_store(str(tmp_path / "s.gpkg"), create=True)
    frame = gpd.GeoDataFrame({"code": ["152224"], "name": ["突泉县"], "level": "county"},
                             geometry=[box(120.9, 45.3, 122.1, 46.05)], crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "admin", frame, actor="test")
    return store


def squares(n: int, vertices: int = 5) -> gpd.GeoDataFrame:
    """``n`` change polygons in 突泉县; with ``vertices`` > 5, round ones of about that many."""
    if vertices <= 5:
        geoms = [box(121.54 + i * 0.01, 45.64, 121.544 + i * 0.01, 45.644) for i in range(n)]
    else:  # a buffer of resolution q has 4q + 1 vertices
        geoms = [Point(121.54 + i * 0.01, 45.64).buffer(0.002, quad_segs=(vertices - 1) // 4) for i in range(n)]
    return gpd.GeoDataFrame({"PAN_NO_TB": [f"T{i:04d}" for i in range(n)], "XIAN": "突泉县"},
                            geometry=geoms, crs=4490)


def shapefile(tmp_path, frame) -> Path:
    path = tmp_path / "图斑.shp"
    pyogrio.write_dataframe(frame, path, encoding="UTF-8")
    return path


def limits(**kw) -> Limits:
    return Limits.from_settings(dataclasses.replace(Settings(), **kw))


def options() -> Options:
    return Options(layer="change", batch="2024年第1期", source="国家森林督查")


def nothing_written(store) -> bool:
    return len(store.batches()) == 0 and store.count("change") == 0


def test_a_shapefile_with_more_features_than_the_setting_is_refused_naming_both(store, tmp_path):
    path = shapefile(tmp_path, squares(6))
    with pytest.raises(IngestError) as err:
        prepare(Upload.from_path(path), options(), store, limits=limits(upload_max_features=5))
    assert "共有 6 个要素，超过上限 5 个" in err.value.zh and "未导入" in err.value.zh
    assert err.value.details["features"] == 6 and err.value.details["limit"] == 5
    assert prepare(Upload.from_path(path), options(), store, limits=limits(upload_max_features=6)).to_store == 6
    assert nothing_written(store)


def test_a_geojson_over_the_feature_limit_is_refused_with_its_count(store):
    upload = Upload.from_bytes("批次.geojson", squares(7).to_json().encode("utf-8"))
    with pytest.raises(IngestError) as err:
        prepare(upload, options(), store, limits=limits(upload_max_features=5))
    assert "共有 7 个要素，超过上限 5 个" in err.value.zh
    assert nothing_written(store)


def test_one_feature_with_too_many_vertices_is_refused_naming_it(store):
    frame = squares(3)
    frame.loc[1, "geometry"] = Point(121.56, 45.64).buffer(0.002, quad_segs=500)  # 2,001 vertices
    upload = Upload.from_bytes("批次.geojson", frame.to_json().encode("utf-8"))
    with pytest.raises(IngestError) as err:
        prepare(upload, options(), store, limits=limits(upload_max_feature_vertices=1000))
    assert "第 2 个要素有 2,001 个节点，超过单个要素上限 1,000 个" in err.value.zh, err.value.zh
    assert nothing_written(store)


def test_all_features_together_over_the_vertex_limit_are_refused(store, tmp_path):
    frame = squares(4, vertices=401)  # 4 × 401 vertices
    with pytest.raises(IngestError) as err:
        prepare(Upload.from_bytes("批次.geojson", frame.to_json().encode("utf-8")), options(), store,
                limits=limits(upload_max_vertices=1500))
    assert "共有 1,604 个节点，超过上限 1,500 个" in err.value.zh, err.value.zh
    # a shapefile read in chunks of two features: the count runs over the whole file
    path = shapefile(tmp_path, frame)
    with pytest.raises(IngestError) as err:
        prepare(Upload.from_path(path), options(), store, limits=limits(upload_max_vertices=1500), chunk_rows=2)
    assert "前 4 个要素共有 1,604 个节点，超过上限 1,500 个" in err.value.zh, err.value.zh
    assert prepare(Upload.from_path(path), options(), store, limits=limits(upload_max_vertices=1604),
                   chunk_rows=2).to_store == 4
    assert nothing_written(store)


def test_the_cli_reads_the_limits_from_the_settings_file(store, tmp_path):
    path = shapefile(tmp_path, squares(6))
    cfg = tmp_path / "forest.toml"
    cfg.write_text("upload_max_features = 5\n", encoding="utf-8")
    env = {**os.environ, "FOREST_CONFIG": str(cfg), "FOREST_LANG": "zh"}
    env.pop("FOREST_DEBUG", None)
    out = subprocess.run([sys.executable, "-m", "geo", "ingest", str(path), "--layer", "change", "--batch", "2024年第1期",
                          "--system", "--json", "--db", store.url], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=180)
    assert out.returncode == 2, out.stderr
    res = json.loads(out.stdout)
    assert "共有 6 个要素，超过上限 5 个" in res["message"] and res["stored"] == 0
    assert nothing_written(store)
