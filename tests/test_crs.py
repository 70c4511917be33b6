"""Area in 公顷/亩 from the right Gauss-Krüger zone, and GCJ-02 conversion."""

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from geo.core import crs as C


@pytest.mark.parametrize("lon, epsg", [(120.9, 4549), (122.2, 4550), (75.0, 4534), (135.0, 4554), (114.4, 4547)])
def test_gk3_zone_is_the_nearest_central_meridian(lon, epsg):
    assert C.gk3_epsg_for_lon(lon) == epsg


def test_area_matches_the_geodesic_area_and_is_reported_in_ha_and_mu():
    # a 0.01° x 0.01° cell near 突泉县 (46°N): about 77 ha
    cell = box(121.50, 45.90, 121.51, 45.91)
    ha, mu, crs = C.areas_ha_mu([cell])
    geodesic_m2 = abs(Geod(ellps="GRS80").geometry_area_perimeter(cell)[0])
    assert ha[0] == pytest.approx(geodesic_m2 / 10000, rel=2e-3)
    assert mu[0] == pytest.approx(ha[0] * 15, rel=1e-12)
    assert crs == ["EPSG:4550"]  # CGCS2000 3° GK, CM 123°E: 121.505°E lies east of the 121.5° zone edge
    # never in degrees: the planar "area" of the lon/lat box is 1e-4, absurd as hectares
    assert ha[0] > 50


def test_area_uses_each_geometrys_own_zone():
    west = box(119.6, 46.0, 119.61, 46.01)   # CM 120
    east = box(123.5, 46.0, 123.51, 46.01)   # CM 123
    ha, _, crs = C.areas_ha_mu([west, east])
    assert crs == ["EPSG:4549", "EPSG:4550"]
    assert ha[0] == pytest.approx(ha[1], rel=5e-3)


def test_plain_polygons_are_measured_like_the_projected_polygon_and_the_rest_too():
    """A polygon without holes is measured from its projected vertices, anything else through the
    projected geometry: either way the area GEOS gives the polygon drawn in its GK zone."""
    rng = np.random.default_rng(5)
    plain = [shapely.Polygon(np.column_stack([121.3 + 0.01 * np.cos(a) * rng.uniform(0.5, 1, 9),
                                              46.1 + 0.01 * np.sin(a) * rng.uniform(0.5, 1, 9)]))
             for a in [np.sort(rng.uniform(0, 2 * np.pi, 9)) for _ in range(50)]]
    holed = box(121.0, 46.0, 121.2, 46.2).difference(box(121.05, 46.05, 121.1, 46.1))
    multi = shapely.MultiPolygon([box(118.0, 40.0, 118.1, 40.1), box(118.2, 40.0, 118.3, 40.1)])
    geoms = np.array([*plain, holed, multi, box(100.5, 30.0, 101.5, 31.0)], dtype=object)
    got, epsg = C.areas_m2(geoms)
    want = [shapely.area(C.transform_geoms(np.array([g], dtype=object), C.CGCS2000, f"EPSG:{e}"))[0]
            for g, e in zip(geoms, epsg)]
    assert np.allclose(got, want, rtol=1e-12, atol=0) and len(set(epsg.tolist())) == 3


def test_missing_and_empty_geometries_have_no_area():
    ha, mu, crs = C.areas_ha_mu([None, shapely.Polygon()])
    assert list(ha) == [0, 0] and crs == ["", ""]


def test_gcj02_offset_is_hundreds_of_metres_and_round_trips():
    lon, lat = np.array([121.5, 122.0]), np.array([46.0, 45.5])
    glon, glat = C.wgs84_to_gcj02(lon, lat)
    # Hinggan League: about +0.006° lon / +0.002° lat (README of the shared data)
    assert np.all((glon - lon) > 0.004) and np.all((glon - lon) < 0.008)
    back_lon, back_lat = C.gcj02_to_wgs84(glon, glat)
    assert np.allclose(back_lon, lon, atol=1e-7) and np.allclose(back_lat, lat, atol=1e-7)


def test_gcj02_leaves_points_outside_china_alone():
    lon, lat = C.wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert lon[0] == 2.35 and lat[0] == 48.85
