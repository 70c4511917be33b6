"""The scene register: adding (file, folder, upload, band stack), COG on the way in, refusals that
write nothing, and the county scope."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geo.core.errors import ImageryError, PermissionDenied
from geo.imagery import scenes as SC
from geo.store import open_store
from tests.imagery_data import CRS, MODIS_BEFORE, ORIGIN, field, write_ndvi, write_scene

TUQUAN = "152224"


def _counties(store):
    """The real boundaries of 突泉县 and 阿尔山市 as county admin units."""
    from geo.demo.build import load_counties

    c = load_counties()
    c = c[c["district_adcode"].astype(str).isin([TUQUAN, "152202"])]
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"code": c["district_adcode"].astype(str).values, "name": c["district_name"].values,
                              "level": "county"}, geometry=c.geometry.values, crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "admin", frame, actor="test")


def _files(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_scene_is_registered_with_its_date_roles_and_footprint(store, tmp_path):
    src = write_scene(tmp_path / "gf1_20240720.tif", field(), date="2024-07-20")
    folder = tmp_path / "imagery"
    [scene] = SC.add(store, src, folder=folder, actor="staff", bands="red=1,green=2,blue=3,nir=4", sensor="GF-1")
    assert scene.acquired_on.isoformat() == "2024-07-20" and scene.sensor == "GF-1"
    assert scene.bands == {"red": 1, "green": 2, "blue": 3, "nir": 4} and scene.can_ndvi and scene.can_rgb
    assert scene.crs == CRS and (scene.width, scene.height) == (300, 300) and scene.res_m == pytest.approx(10)
    minx, miny, maxx, maxy = scene.bounds  # 突泉县, about 121.50°E 45.75°N, 3 km wide
    assert 121.49 < minx < maxx < 121.55 and 45.71 < miny < maxy < 45.76
    assert SC.get(store, scene.id) == scene and [s.id for s in SC.all_scenes(store)] == [scene.id]
    # not a COG: converted into the imagery folder, deflate-compressed and tiled
    from rio_cogeo.cogeo import cog_validate

    assert scene.path.startswith(str(folder.resolve())) and cog_validate(scene.path, quiet=True)[0]


def test_a_large_scene_becomes_a_cog_with_overviews(store, tmp_path):
    big = write_ndvi(tmp_path / "big.tif", field((1400, 1300), seed=4), date="2024-07-20")
    [scene] = SC.add(store, big, folder=tmp_path / "imagery", actor="staff", ndvi_band=1, scale=1e-4)
    with rasterio.open(scene.path) as src:
        assert src.overviews(1) and src.profile["tiled"] and src.compression.name.lower() == "deflate"
    assert scene.nodata == -3000 and scene.scale == 1e-4 and scene.can_ndvi and not scene.can_rgb


def test_a_cog_given_by_path_is_registered_in_place(store, tmp_path):
    from geo.imagery.scenes import to_cog

    cog = to_cog(write_ndvi(tmp_path / "raw.tif", field(seed=2), date=None), tmp_path / "ndvi_20230701.tif")
    [scene] = SC.add(store, cog, folder=tmp_path / "imagery", actor="staff", ndvi_band=1, scale=1e-4)
    assert scene.path == str(cog.resolve()) and scene.acquired_on.isoformat() == "2023-07-01"
    assert not (tmp_path / "imagery").exists()


def test_upload_folder_and_band_stack(store, tmp_path):
    folder = tmp_path / "imagery"
    data = write_scene(tmp_path / "up.tif", field(seed=3), date="2022-07-01").read_bytes()
    [up] = SC.add(store, ("上传影像.tif", data), folder=folder, actor="staff", bands="red=1,green=2,blue=3,nir=4")
    assert up.name == "上传影像.tif" and up.acquired_on.isoformat() == "2022-07-01"
    many = tmp_path / "many"
    many.mkdir()
    write_ndvi(many / "a_20200701.tif", field(seed=5))
    write_ndvi(many / "b_20210701.tif", field(seed=6))
    added = SC.add(store, many, folder=folder, actor="staff", ndvi_band=1, scale=1e-4)
    assert [s.acquired_on.year for s in added] == [2020, 2021]
    # separate single-band files (as Landsat delivers them) stacked into one scene
    bands = tmp_path / "l8"
    bands.mkdir()
    nd = field(seed=7)
    for name, arr in (("B4.tif", (0.1 * (1 - nd) * 1e4)), ("B5.tif", (0.1 * (1 + nd) * 1e4))):
        with rasterio.open(bands / name, "w", driver="GTiff", width=300, height=300, count=1, dtype="uint16",
                           crs=CRS, transform=from_origin(*ORIGIN, 10, 10)) as dst:
            dst.write(arr.astype("uint16"), 1)
    [stack] = SC.add(store, bands, folder=folder, actor="staff", bands="red=B4.tif,nir=B5.tif", date="2020-08-29",
                     sensor="Landsat 8")
    assert stack.bands == {"red": 1, "nir": 2} and stack.band_count == 2 and stack.can_ndvi


@pytest.mark.parametrize("case, zh", [
    ("no_crs", "没有坐标系"),
    ("no_georef", "没有地理参考"),
    ("unreadable", "无法作为影像读取"),
    ("missing_band", "波段 nir=5 不存在"),
    ("unknown_role", "未知的波段含义"),
    ("no_meaning", "请说明其 1 个波段的含义"),
    ("no_date", "请填写（如 --date"),
])
def test_bad_rasters_are_refused_and_nothing_is_written(store, tmp_path, case, zh):
    folder = tmp_path / "imagery"
    path = tmp_path / f"{case}.tif"
    opts = {"bands": "red=1,nir=4", "date": "2024-07-01"}
    if case in ("no_crs", "no_georef"):
        with rasterio.open(path, "w", driver="GTiff", width=20, height=20, count=4, dtype="uint8",
                           **({"transform": from_origin(*ORIGIN, 10, 10)} if case == "no_crs" else {})) as dst:
            dst.write(np.ones((4, 20, 20), dtype="uint8"))
    elif case == "unreadable":
        path.write_bytes(b"II*\x00 this is not really a tiff")
    elif case == "missing_band":
        write_scene(path, field())
        opts["bands"] = "red=1,nir=5"
    elif case == "unknown_role":
        write_scene(path, field())
        opts["bands"] = "red=1,infrared=4"
    elif case == "no_meaning":
        write_ndvi(path, field())
        opts = {"date": "2024-07-01"}
    elif case == "no_date":
        write_ndvi(path, field(), date=None)
        opts = {"ndvi_band": 1, "scale": 1e-4}
    with pytest.raises(ImageryError) as err:
        SC.add(store, path, folder=folder, actor="staff", **opts)
    assert zh in err.value.message("zh") and err.value.en
    assert "Traceback" not in err.value.message("zh")
    assert SC.all_scenes(store) == [] and _files(folder) == []


def test_one_bad_file_in_a_folder_refuses_the_folder(store, tmp_path):
    many = tmp_path / "many"
    many.mkdir()
    write_ndvi(many / "good_20200701.tif", field())
    (many / "bad_20200702.tif").write_bytes(b"not a raster")
    with pytest.raises(ImageryError, match="bad_20200702.tif"):
        SC.add(store, many, folder=tmp_path / "imagery", actor="staff", ndvi_band=1, scale=1e-4)
    assert SC.all_scenes(store) == [] and _files(tmp_path / "imagery") == []


def test_the_same_file_twice_is_refused(store, tmp_path):
    src = write_ndvi(tmp_path / "n_20200701.tif", field())
    SC.add(store, src, folder=tmp_path / "imagery", actor="staff", ndvi_band=1, scale=1e-4)
    with pytest.raises(ImageryError, match="already registered"):
        SC.add(store, src, folder=tmp_path / "imagery", actor="staff", ndvi_band=1, scale=1e-4)
    assert len(SC.all_scenes(store)) == 1


def test_real_modis_ndvi_is_read_with_its_tags(store, tmp_path):
    [scene] = SC.add(store, MODIS_BEFORE, folder=tmp_path / "imagery", actor="staff", ndvi_band=1, sensor="MODIS")
    assert scene.acquired_on.isoformat() == "2010-07-28" and scene.scale == 1e-4 and scene.nodata == -3000
    minx, miny, maxx, maxy = scene.bounds  # its true place, far north of 兴安盟
    assert 123 < minx < maxx < 125 and 57 < miny < maxy < 59


def test_scenes_are_scoped_to_an_inspectors_counties(tmp_path):
    from geo.access.auth import scoped

    store = open_store(str(tmp_path / "s.gpkg"), create=True)
    _counties(store)
    [tuquan] = SC.add(store, write_scene(tmp_path / "t.tif", field()), folder=tmp_path / "im", actor="staff",
                      bands="red=1,nir=4")
    SC.add(store, MODIS_BEFORE, folder=tmp_path / "im", actor="staff", ndvi_band=1)  # in Siberia
    assert [s.id for s in SC.for_counties(store, [TUQUAN])] == [tuquan.id]
    assert SC.for_counties(store, ["152202"]) == [] and len(SC.for_counties(store, None)) == 2
    inspector = {"name": "tq", "role": "inspector", "counties": [TUQUAN]}
    other = {"name": "ar", "role": "inspector", "counties": ["152202"]}
    assert [s.id for s in SC.visible(scoped(store, inspector))] == [tuquan.id]
    assert SC.visible(scoped(store, other)) == []
    with pytest.raises(PermissionDenied):
        SC.add(scoped(store, inspector), write_ndvi(tmp_path / "x_20200101.tif", field()), folder=tmp_path / "im",
               actor="tq", ndvi_band=1, scale=1e-4)


def test_cli_add_and_list(tmp_path, capsys):
    from geo.cli.main import main

    db = str(tmp_path / "c.gpkg")
    assert main(["init", "--db", db]) == 0
    capsys.readouterr()
    src = write_scene(tmp_path / "s.tif", field(), date="2024-07-20")
    assert main(["imagery", "add", str(src), "--db", db, "--bands", "red=1,green=2,blue=3,nir=4",
                 "--sensor", "GF-2", "--json"]) == 0
    added = json.loads(capsys.readouterr().out)["added"]
    assert added[0]["date"] == "2024-07-20" and added[0]["rgb"]
    assert main(["imagery", "list", "--db", db, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["scenes"]
    assert [s["id"] for s in listed] == [added[0]["id"]] and listed[0]["sensor"] == "GF-2"
    # a refusal: exit 2, the reason in Chinese, no traceback, nothing added
    assert main(["imagery", "add", str(src), "--db", db, "--bands", "red=1,nir=9"]) == 2
    err = capsys.readouterr().err
    assert "波段 nir=9 不存在" in err and "Traceback" not in err
    assert main(["imagery", "list", "--db", db, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["scenes"]) == 1


def test_cli_list_is_scoped_to_the_actor(tmp_path, capsys):
    from geo.access.auth import add_user, access_for
    from geo.cli.main import main

    db = str(tmp_path / "c.gpkg")
    store = open_store(db, create=True)
    _counties(store)
    with store.transaction() as tx:
        store.put_user(tx, name="root", role="admin", counties=[], password_hash="x", disabled=False)
    add_user(store, access_for(store.user("root")), name="ar", role="inspector", password="arxan-pass-1",
             counties=["152202"])
    SC.add(store, write_scene(tmp_path / "t.tif", field()), folder=tmp_path / "im", actor="staff", bands="red=1,nir=4")
    assert main(["imagery", "list", "--db", db, "--json", "--county", TUQUAN]) == 0
    assert len(json.loads(capsys.readouterr().out)["scenes"]) == 1
    assert main(["imagery", "list", "--db", db, "--json", "--actor", "ar", "--county", TUQUAN]) == 0
    assert json.loads(capsys.readouterr().out)["scenes"] == []
