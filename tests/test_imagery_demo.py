"""The demo's imagery: synthetic, inside 兴安盟, labelled as such, and built so that the detection
finds the planted changes; nothing at the MODIS pair's place counts in 兴安盟's figures."""

from __future__ import annotations

import io

import numpy as np
import pytest
import rasterio
import shapely

from geo.imagery import basemap
from geo.imagery import chips as CH
from geo.imagery import detect as D
from geo.imagery import regreen as R
from geo.imagery import scenes as SC
from geo.demo.imagery import TILES_NAME, folders
from geo.store import open_store


@pytest.fixture(scope="module")
def demo(demo_master):
    return open_store(str(demo_master))


@pytest.fixture(scope="module")
def league(demo):
    counties = demo.read_layer("admin", where={"level": "county"}, columns=["code"])
    return shapely.union_all(counties.geometry.values)


def test_synthetic_scenes_inside_the_league_and_labelled(demo, league):
    scenes = SC.all_scenes(demo)
    assert len(scenes) == 3 and all(s.synthetic for s in scenes)
    for s in scenes:
        assert league.buffer(1e-6).covers(s.footprint)
        assert s.can_rgb and s.can_ndvi and s.res_m == pytest.approx(20)
        with rasterio.open(s.path) as src:
            tags = src.tags()
            assert tags["SYNTHETIC"] == "true" and "合成影像" in tags["DESCRIPTION"]
            assert src.overviews(1)  # a COG with overviews
    # no scene and no polygon at the MODIS pair's place (57.9°N) any more
    extent = demo.extent("change")
    assert extent[3] < 48.0 and league.envelope.buffer(0.01).covers(shapely.box(*extent))


def test_detection_found_the_planted_changes(demo, league):
    batches = demo.batches("change")
    auto = batches[batches["source"] == D.SOURCE]
    assert len(auto) == 1 and "合成影像" in auto["name"].iloc[0]
    found = demo.read_layer("change", where={"batch_id": int(auto["id"].iloc[0])},
                            columns=["county_code", "ndvi_change", "area_mu", "status"])
    assert 10 <= len(found) <= 16  # the dozen new clearings (a clearing may split in two)
    assert found["county_code"].notna().all() and (found["ndvi_change"] < -0.2).all()
    assert league.buffer(1e-6).covers(shapely.union_all(found.geometry.values))
    # the current batch's polygons under the imagery were cleared in it: their NDVI fell, and the
    # detection finds each of them again (and left them out as already issued)
    cur_id = int(batches.loc[batches["source"] != D.SOURCE, "id"].astype(int).max())
    cur = demo.read_layer("change", where={"batch_id": cur_id}, columns=["ndvi_change", "ndvi_after_scene", "area_mu"])
    seen = cur[cur["ndvi_after_scene"].notna() & (cur["ndvi_after_scene"] > 0)]
    assert len(seen) >= 3
    whole = seen[[SC.all_scenes(demo)[-1].footprint.covers(g) for g in seen.geometry]]
    assert (whole["ndvi_change"] < -0.2).all()
    scenes = SC.all_scenes(demo)
    again = D.candidates(scenes[1], scenes[2], threshold=0.2, min_area_mu=2.0)
    tree = shapely.STRtree(again.geometry.values)
    big = whole[whole["area_mu"] >= 4]  # twice the mapping unit the demo's detection used
    assert len(big) >= 2
    for g in big.geometry:
        assert len(tree.query(g, predicate="intersects")) >= 1


def test_regreening_flags_the_places_left_bare(demo):
    rows = R.check(demo)
    checked = rows[rows["verdict"] != "no_imagery"]
    assert len(checked) >= 2
    assert {"greened", "not_greened"} <= set(checked["verdict"])
    figs = R.regreen_figures(demo)
    assert figs["total"]["not_greened"] == int((rows["verdict"] == "not_greened").sum())


def test_chips_and_tiles_say_synthetic(demo, demo_master):
    cur = demo.read_layer("change", columns=["ndvi_after_scene"], geometry=False)
    fid = int(cur.loc[cur["ndvi_after_scene"].fillna(0) > 0, "id"].iloc[0])
    shots = CH.chips_for(demo, demo.get_feature("change", fid), "rgb", folder=folders(str(demo_master))[0])
    assert len(shots) == 2 and all("合成影像" in c for c, _ in shots)
    [archive] = basemap.available(folders(str(demo_master))[1])
    assert archive["name"] == TILES_NAME and "合成影像" in archive["label"] and archive["synthetic"]
    import morecantile

    w, s, e, n = archive["bounds"]
    t = morecantile.tms.get("WebMercatorQuad").tile((w + e) / 2, (s + n) / 2, archive["maxzoom"])
    data, mime = basemap.tile(TILES_NAME, t.z, t.x, t.y, folder=folders(str(demo_master))[1])
    from PIL import Image

    px = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
    assert mime == "image/webp" and (px[..., 3] == 255).mean() > 0.9


def test_the_transitional_folder_catalogue_sees_the_synthetic_scenes(demo_master):
    from geo.imagery import raster

    images = raster.catalogue(folders(str(demo_master))[0])
    assert len(images) == 3 and all(im.synthetic and im.kind == "rgb" for im in images)
    png, bounds = raster.overlay(images[-1], max_size=256)
    assert png.startswith(b"\x89PNG") and 121 < bounds[0] < bounds[2] < 123
