"""The status colours stay apart from each other and from every basemap, also for readers with
deuteranopia or protanopia: CIEDE2000 distances after a simulation of each (Machado et al. 2009,
full severity, as implemented by colour-science)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from dashboard.components import basemaps, fmap

warnings.filterwarnings("ignore", module="colour")
colour = pytest.importorskip("colour")

VISION = [None, "Deuteranomaly", "Protanomaly"]
# What basemaps mostly look like: the app's own two backgrounds, the offline basemap's rivers,
# 天地图's vector map (land, water) and snow-free imagery in the light parts. Imagery's dark
# greens and browns are handled by the outline: white on dark basemaps (tested below).
LIGHT_BASEMAPS = {**fmap.BASEMAP_BACKGROUNDS, "offline rivers": "#5b9bd5", "tianditu land": "#f8f6f1",
                  "tianditu water": "#a5c8f2", "tianditu roads": "#ffffff"}
DARK_IMAGERY = {"forest": "#2f4a2a", "soil": "#8a7558", "field": "#a39f7a", "grassland": "#6f8a4a",
                "water": "#1f3a4d", "shadow": "#202418"}


def lab(hexes, vision=None) -> np.ndarray:
    rgb = np.array([[int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)] for h in hexes])
    linear = colour.models.eotf_sRGB(rgb)
    if vision:
        linear = np.clip(linear @ colour.blindness.matrix_cvd_Machado2009(vision, 1.0).T, 0, 1)
    xyz = colour.RGB_to_XYZ(linear, colour.RGB_COLOURSPACES["sRGB"], apply_cctf_decoding=False)
    return colour.XYZ_to_Lab(xyz)


def distance(a, b, vision=None) -> float:
    la, lb = lab([a, b], vision)
    return float(colour.delta_E(la, lb, method="CIE 2000"))


def test_the_distance_is_ciede2000():
    # a published test pair (Sharma, Wu & Dalal 2005, pair 1): ΔE00 = 2.0425
    d = colour.delta_E(np.array([50.0, 2.6772, -79.7751]), np.array([50.0, 0.0, -82.7485]), method="CIE 2000")
    assert abs(float(d) - 2.0425) < 1e-3


@pytest.mark.parametrize("vision", VISION)
def test_every_two_statuses_differ(vision):
    worst = min((distance(a, b, vision), sa, sb) for (sa, a), (sb, b)
                in itertools.combinations(fmap.STATUS_COLORS.items(), 2))
    assert worst[0] >= 10, worst  # 10 ΔE00: told apart at a glance on a small marker


@pytest.mark.parametrize("vision", VISION)
def test_statuses_differ_from_light_basemaps(vision):
    worst = min((distance(c, bg, vision), s, name) for s, c in fmap.STATUS_COLORS.items()
                for name, bg in LIGHT_BASEMAPS.items())
    assert worst[0] >= 12, worst


@pytest.mark.parametrize("vision", VISION)
def test_the_outline_on_imagery_stands_out(vision):
    # polygons and markers on imagery are outlined in white (see fmap.change_layer)
    worst = min(distance("#ffffff", c, vision) for c in DARK_IMAGERY.values())
    assert worst >= 25
    assert all(b.dark for k, b in basemaps.options(_Cfg(key="k")).items() if k == "tianditu_img")


def test_overdue_and_selection_are_not_status_colours():
    assert fmap.OVERDUE_COLOR.lower() not in {c.lower() for c in fmap.STATUS_COLORS.values()}
    assert len(set(fmap.STATUS_COLORS.values())) == len(fmap.STATUS_COLORS)


def test_every_status_has_a_colour_and_a_place_in_the_legend():
    from geo.declare import registry as S

    statuses = S.layer("change").statuses
    assert set(fmap.STATUS_COLORS) == set(statuses)  # the review states (待审核, 已退回, 待省级抽查) included
    counts = {s: i + 1 for i, s in enumerate(statuses)}
    legend = fmap.legend_html("zh", counts=counts)
    for s in statuses:
        assert f"{S.label('status', s)} <b>{counts[s]:,}</b>" in legend, s


class _Cfg:
    def __init__(self, key=""):
        self.basemap, self.tianditu_key, self.basemaps = "offline", key, ()
