"""A GeoTIFF whose header declares more than the raster size limit (setting raster_max_bytes) is
refused before anything converts it, with a Chinese message naming its declared size and the
limit — through the upload page's entry (:func:`geo.imagery.scenes.add` with the file's bytes)
and ``python -m geo imagery add``. The forged file is a couple of megabytes on disk: sparse,
compressed tiles declaring 200,000 × 200,000 pixels of 4 bands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geo.core.errors import ImageryError
from geo.imagery import scenes as SC

ROOT = Path(__file__).resolve().parent.parent


def forged(path: Path, width=200_000, height=200_000, count=4, dtype="uint8") -> Path:
    """A GeoTIFF declaring ``width`` × ``height`` × ``count`` whose tiles are never written."""
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=count, dtype=dtype,
                       crs="EPSG:4490", transform=from_origin(121.0, 46.0, 1e-5, 1e-5), tiled=True,
                       blockxsize=512, blockysize=512, compress="deflate", sparse_ok=True, BIGTIFF="YES"):
        pass
    return path


def small(path: Path) -> Path:
    data = np.full((4, 64, 64), 100, dtype="uint16")
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=4, dtype="uint16", crs="EPSG:4490",
                       transform=from_origin(121.5, 45.7, 1e-4, 1e-4)) as dst:
        dst.write(data)
    return path


@pytest.fixture
def store(tmp_path):
    from geo.store import open_store

    return open_store(str(tmp_path / "s.gpkg"), create=True)


def scenes_folder(tmp_path) -> list[Path]:
    return list((tmp_path / "imagery").rglob("*")) if (tmp_path / "imagery").exists() else []


def test_an_upload_declaring_a_huge_raster_is_refused_before_conversion(store, tmp_path):
    path = forged(tmp_path / "巨幅_20240720.tif")
    assert path.stat().st_size < 8 * 1024 * 1024  # small on disk
    with pytest.raises(ImageryError) as err:
        SC.add(store, (path.name, path.read_bytes()), folder=tmp_path / "imagery", actor="staff",
               bands="red=1,green=2,blue=3,nir=4")
    zh = err.value.zh
    assert "声明尺寸 200000×200000×4 波段（约 149 GB），超过上限 8 GB" in zh, zh
    assert "未登记任何影像" in zh
    assert err.value.details["declared_bytes"] == 200_000 * 200_000 * 4
    assert SC.all_scenes(store) == [] and scenes_folder(tmp_path) == []  # nothing converted or kept


def test_the_limit_is_a_setting_and_counts_bytes_per_sample(store, tmp_path, monkeypatch):
    import dataclasses

    from geo.core import config

    path = small(tmp_path / "小图_20240720.tif")  # 64 × 64 × 4 × 2 bytes = 32,768
    monkeypatch.setattr(config, "_CURRENT", dataclasses.replace(config.Settings(), raster_max_bytes=32_767))
    with pytest.raises(ImageryError) as err:
        SC.add(store, str(path), folder=tmp_path / "imagery", actor="staff", bands="red=1,green=2,blue=3,nir=4")
    assert "声明尺寸 64×64×4 波段" in err.value.zh and err.value.details["declared_bytes"] == 32_768
    monkeypatch.setattr(config, "_CURRENT", dataclasses.replace(config.Settings(), raster_max_bytes=32_768))
    added = SC.add(store, str(path), folder=tmp_path / "imagery", actor="staff", bands="red=1,green=2,blue=3,nir=4")
    assert len(added) == 1


def test_the_cli_refuses_it_with_the_message_and_no_traceback(store, tmp_path):
    path = forged(tmp_path / "巨幅_20240720.tif")
    cfg = tmp_path / "forest.toml"
    cfg.write_text(f'raster_max_bytes = {4 * 1024 ** 3}\nimagery_dir = "{tmp_path / "imagery"}"\n', encoding="utf-8")
    env = {**os.environ, "FOREST_CONFIG": str(cfg), "FOREST_LANG": "zh"}
    env.pop("FOREST_DEBUG", None)
    env.pop("FOREST_IMAGERY_DIR", None)
    out = subprocess.run([sys.executable, "-m", "geo", "imagery", "add", str(path), "--bands", "red=1,green=2,blue=3,nir=4",
                          "--system", "--json", "--db", store.url], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=180)
    assert out.returncode == 2, out.stderr
    res = json.loads(out.stdout)
    assert "声明尺寸 200000×200000×4 波段（约 149 GB），超过上限 4 GB" in res["message"], res
    assert "Traceback" not in out.stderr and "意外" not in res["message"]
    assert SC.all_scenes(store) == [] and scenes_folder(tmp_path) == []
