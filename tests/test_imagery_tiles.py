"""Offline basemap tiles: an MBTiles archive built from a real GeoTIFF, read back at a known place."""

from __future__ import annotations

import io
import json
import sqlite3

import morecantile
import numpy as np
import pytest
import rasterio
from PIL import Image
from rasterio.warp import transform

from geo.imagery import basemap
from geo.core.errors import ImageryError
from tests.imagery_data import MODIS_AFTER, MODIS_BEFORE

TMS = morecantile.tms.get("WebMercatorQuad")


def _pixel_lonlat(path, row, col):
    with rasterio.open(path) as src:
        x, y = src.xy(row, col)
        lon, lat = transform(src.crs, "EPSG:4326", [x], [y])
        return lon[0], lat[0], int(src.read(1)[row, col])


def test_an_archive_from_a_real_geotiff_serves_the_right_tile(tmp_path):
    out = basemap.build([MODIS_AFTER], "modis-2011", folder=tmp_path, label="MODIS NDVI 2011", minzoom=6, maxzoom=10,
                        tile_format="png")
    assert out["tiles"] > 4 and (out["minzoom"], out["maxzoom"]) == (6, 10)
    with sqlite3.connect(out["path"]) as con:  # a standard MBTiles 1.3 file
        meta = dict(con.execute("SELECT name, value FROM metadata"))
        assert meta["format"] == "png" and meta["minzoom"] == "6" and meta["label"] == "MODIS NDVI 2011"
    [info] = basemap.available(tmp_path)
    assert info["name"] == "modis-2011" and info["label"] == "MODIS NDVI 2011"
    w, s, e, n = info["bounds"]
    assert 123 < w < e < 125 and 57 < s < n < 59 and (info["minzoom"], info["maxzoom"]) == (6, 10)
    # two known pixels of the source: one in the burn (low NDVI), one in healthy forest
    with rasterio.open(MODIS_AFTER) as src:
        raw = src.read(1)
    low = np.unravel_index(np.argmin(np.where(raw > -3000, raw, 10000)), raw.shape)
    high = np.unravel_index(np.argmax(raw), raw.shape)
    shades = []
    for row, col in (low, high):
        lon, lat, value = _pixel_lonlat(MODIS_AFTER, row, col)
        t = TMS.tile(lon, lat, 10)
        got = basemap.tile("modis-2011", t.z, t.x, t.y, folder=tmp_path)
        assert got is not None and got[1] == "image/png"
        img = np.asarray(Image.open(io.BytesIO(got[0])).convert("RGBA"))
        b = TMS.xy_bounds(t)
        mx, my = transform("EPSG:4326", "EPSG:3857", [lon], [lat])
        px = int((mx[0] - b.left) / (b.right - b.left) * 256)
        py = int((b.top - my[0]) / (b.top - b.bottom) * 256)
        assert img[py, px, 3] == 255  # inside the image: opaque
        shades.append(int(img[py, px, 0]))
    assert shades[0] + 80 < shades[1]  # the burn is darker than the forest, as in the source
    # nothing outside the archive, nothing for a name that is not an archive's
    far = TMS.tile(121.5, 46.0, 10)
    assert basemap.tile("modis-2011", far.z, far.x, far.y, folder=tmp_path) is None
    assert basemap.tile("../modis-2011", 10, 0, 0, folder=tmp_path) is None
    assert basemap.tile("missing", 10, 0, 0, folder=tmp_path) is None


def test_mosaic_webp_and_refusals(tmp_path):
    out = basemap.build([MODIS_BEFORE, MODIS_AFTER], "pair", folder=tmp_path, maxzoom=8)
    assert out["format"] == "webp" and out["tiles"] >= 1
    t = TMS.tile(123.9, 57.9, 8)
    data, mime = basemap.tile("pair", 8, t.x, t.y, folder=tmp_path)
    assert mime == "image/webp" and Image.open(io.BytesIO(data)).size == (256, 256)
    with pytest.raises(ImageryError, match="already exists"):
        basemap.build([MODIS_AFTER], "pair", folder=tmp_path, maxzoom=8)
    with pytest.raises(ImageryError, match="only letters"):
        basemap.build([MODIS_AFTER], "../x", folder=tmp_path)
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff")
    with pytest.raises(ImageryError) as err:
        basemap.build([bad], "bad", folder=tmp_path)
    assert "无法作为影像读取" in err.value.message("zh")
    with pytest.raises(ImageryError, match="smaller --maxzoom"):
        basemap.build([MODIS_AFTER], "huge", folder=tmp_path, minzoom=0, maxzoom=18)
    assert sorted(a["name"] for a in basemap.available(tmp_path)) == ["pair"]


def test_cli_build_and_list(tmp_path, capsys, monkeypatch):
    from geo.cli.main import main

    monkeypatch.setenv("FOREST_TILES_DIR", str(tmp_path / "tiles"))
    assert main(["basemap", "build", str(MODIS_AFTER), "--out", "m", "--label", "测试底图", "--maxzoom", "8",
                 "--json"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["name"] == "m" and built["tiles"] > 0
    assert main(["basemap", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["archives"][0]["label"] == "测试底图"
    assert main(["basemap", "build", str(MODIS_AFTER), "--out", "m"]) == 2
    assert "已存在" in capsys.readouterr().err
