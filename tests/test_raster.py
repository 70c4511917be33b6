"""Imagery: the catalogue, before/after chips, and candidates from an NDVI drop (real MODIS pair)."""

import datetime as dt
import io

import rasterio
from PIL import Image
from shapely.geometry import box

from geo.crs import areas_ha_mu
from geo import raster as R
from geo.config import PROJECT_ROOT

FOLDER = PROJECT_ROOT / "data" / "imagery"


def test_catalogue_reads_dates_and_footprints():
    cat = R.catalogue(FOLDER)
    assert [im.date for im in cat] == [dt.date(2010, 7, 28), dt.date(2011, 7, 28)]
    minx, miny, maxx, maxy = cat[0].bounds
    assert 123 < minx < maxx < 125 and 57 < miny < maxy < 59
    assert R.catalogue(FOLDER / "missing") == []


def test_ndvi_drop_finds_the_burn_and_chips_show_it():
    cat = R.catalogue(FOLDER)
    with rasterio.open(cat[0].path) as a, rasterio.open(cat[1].path) as b:
        found = R.ndvi_drop_candidates(a, b, threshold=0.25, min_pixels=6)
    assert len(found) >= 5 and (found["ndvi_drop"] > 0.25).all()
    assert found.crs.to_epsg() == 4490
    biggest = found.geometry.iloc[areas_ha_mu(found.geometry.values)[0].argmax()]
    shots = R.chips(cat, biggest, size=128)
    assert [c.split()[0] for c, _ in shots] == ["2010-07-28", "2011-07-28"]
    before, after = (Image.open(io.BytesIO(png)).convert("RGB") for _, png in shots)
    assert before.size == (128, 128)
    # greener before than after inside the burn: mean green minus red at the centre
    def green(img):
        px = [img.getpixel((x, y)) for x in range(54, 74) for y in range(54, 74)]
        return sum(g - r for r, g, _ in px) / len(px)

    assert green(before) > green(after)


def test_no_chips_where_no_image_covers():
    assert R.chips(R.catalogue(FOLDER), box(121.5, 45.9, 121.51, 45.91)) == []
