"""Where the map looks and in what order "next" walks: the user's area, the extent of filter
results, open overdue polygons first; basemap settings and the remembered basemap choice."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from dashboard.components import basemaps, fmap
from geo.access import auth
from geo.access import prefs
from geo.change import mapview as mv
from geo.core.config import load_settings
from geo.core.errors import ConfigError
from tests.helpers import add_batch, insert, polygons


def test_open_overdue_polygons_come_first_longest_overdue_first():
    frame = pd.DataFrame({
        "id": [1, 2, 3, 4, 5],
        "status": ["issued", "rectifying", "closed", "verifying", "issued"],
        "due": ["2024-05-01", "2024-01-01", "2023-01-01", None, "2024-03-01"],
        "overdue": [True, True, True, False, False],
    })
    ids = mv.review_order(frame)["id"].tolist()
    # open and overdue first, longest overdue first; a closed polygon is never "open overdue"
    assert ids == [2, 1, 3, 4, 5]
    assert mv.step(ids, None) == 2 and mv.step(ids, 2) == 1 and mv.step(ids, 1) == 3


def test_results_extent_follows_the_filters(store):
    bid = add_batch(store)
    near = polygons(5, x0=121.50, y0=45.90)
    near["county_code"] = "152224"
    far = polygons(5, x0=122.80, y0=46.70)
    far["county_code"] = "152223"
    insert(store, near, batch_id=bid)
    insert(store, far, batch_id=bid)
    ext = mv.results_extent(store, mv.Filters(counties=("152224",)))
    assert ext is not None and 121.49 < ext[0] <= ext[2] < 121.7 and 45.89 < ext[1] <= ext[3] < 46.1
    both = mv.results_extent(store, mv.Filters())
    assert both[0] < 121.6 and both[2] > 122.7
    assert mv.results_extent(store, mv.Filters(counties=("150000",))) is None
    # beyond the exact limit the pre-counted cells give a box that holds the exact one
    coarse = mv.results_extent(store, mv.Filters(), exact_below=3)
    assert coarse[0] <= both[0] and coarse[1] <= both[1] and coarse[2] >= both[2] and coarse[3] >= both[3]
    assert coarse[2] - coarse[0] < (both[2] - both[0]) + 0.2
    # an inspector's scope: only his county, whatever the filter asks
    acc = auth.Access(user="i", role="inspector", counties=frozenset({"152224"}))
    assert mv.results_extent(store, mv.Filters(), scope=acc)[2] < 121.7
    assert mv.results_extent(store, mv.Filters(counties=("152223",)), scope=acc) is None


def test_area_extent_is_the_users_counties(demo_store):
    league = mv.area_extent(demo_store)
    tuquan = mv.area_extent(demo_store, {"152224"})
    assert league[0] < tuquan[0] < tuquan[2] < league[2] and league[1] < tuquan[1] < tuquan[3] < league[3]
    # the view the page opens on holds the county and is closer than the league's
    z_league = fmap.fit_zoom(league, 668, 600)
    z_county = fmap.fit_zoom(tuquan, 668, 600)
    assert z_county > z_league


def test_small_polygons_become_markers():
    small = shapely.box(121.5, 45.9, 121.501, 45.901)  # ~80 m
    big = shapely.box(121.0, 45.5, 121.3, 45.8)
    frame = pd.DataFrame({"id": [1, 2]})
    import geopandas as gpd

    frame = gpd.GeoDataFrame(frame, geometry=[small, big], crs=4490)
    fc = fmap.feature_collection(frame, {"id": "id"}, 9, min_px=fmap.MARKER_PX)
    kinds = [f["geometry"]["type"] for f in fc["features"]]
    assert kinds == ["Point", "Polygon"]
    fc = fmap.feature_collection(frame, {"id": "id"}, 17, min_px=fmap.MARKER_PX)
    assert [f["geometry"]["type"] for f in fc["features"]] == ["Polygon", "Polygon"]


def test_intranet_basemaps_from_forest_toml(tmp_path):
    cfg = tmp_path / "forest.toml"
    cfg.write_text(
        'basemap = "局内影像"\n'
        '[[basemaps]]\nname = "局内影像"\nurl = "http://10.1.1.1/img/{z}/{x}/{y}.png"\ndark = true\n'
        '[[basemaps]]\nname = "局内WMTS"\n'
        'url = "http://gis/wmts?LAYER=vec&TILEMATRIXSET=GoogleMapsCompatible&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}"\n'
        'labels = "http://gis/wmts?LAYER=cva&TILEMATRIX={TileMatrix}&TILEROW={TileRow}&TILECOL={TileCol}"\n',
        encoding="utf-8")
    s = load_settings({"FOREST_CONFIG": str(cfg)})
    assert s.basemap == "局内影像" and [b.name for b in s.basemaps] == ["局内影像", "局内WMTS"]
    wmts = s.basemaps[1]
    assert "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in wmts.url and wmts.labels.endswith("TILECOL={x}")
    opts = basemaps.options(s, archive_names=["2023年影像"])
    assert list(opts)[:2] == ["offline", "none"]
    assert {"局内影像", "局内WMTS", "tiles:2023年影像"} <= set(opts) and "tianditu" not in opts
    assert opts["局内WMTS"].tiles[1].overlay and opts["局内影像"].dark
    assert opts["tiles:2023年影像"].tiles[0].url == "/tiles/2023年影像/{z}/{x}/{y}"


@pytest.mark.parametrize("text, what", [
    ('[[basemaps]]\nname = "x"\nurl = "ftp://a/{z}/{x}/{y}"\n', "http"),
    ('[[basemaps]]\nname = "x"\nurl = "http://a/{z}/{x}.png"\n', "{y}"),
    ('[[basemaps]]\nurl = "http://a/{z}/{x}/{y}"\n', "name"),
    ('[[basemaps]]\nname = "x"\nurl = "http://a/{z}/{x}/{y}"\ncolour = 1\n', "colour"),
    ('basemap = "nowhere"\n', "nowhere"),
    ('basemap = "tianditu_img"\n', "tianditu"),
])
def test_bad_basemap_settings_are_refused_in_chinese(tmp_path, text, what):
    cfg = tmp_path / "forest.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings({"FOREST_CONFIG": str(cfg)})
    assert what in str(err.value) or what in err.value.message("zh")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message("zh"))


def test_tianditu_offers_vector_and_imagery_with_labels():
    s = load_settings({"FOREST_TIANDITU_KEY": "abc", "FOREST_CONFIG": "/nonexistent.toml"})
    opts = basemaps.options(s, archive_names=[])
    for key, layers in (("tianditu", ("vec", "cva")), ("tianditu_img", ("img", "cia"))):
        tiles = opts[key].tiles
        assert [f"LAYER={x}&" in t.url for t, x in zip(tiles, layers)] == [True, True]
        assert tiles[1].overlay and all(t.url.endswith("tk=abc") for t in tiles)


def test_the_basemap_choice_is_kept_per_user(store):
    assert prefs.get(store, "张三", "basemap") is None
    prefs.put(store, "张三", "basemap", "none")
    prefs.put(store, "李四", "basemap", "tianditu")
    assert prefs.get(store, "张三", "basemap") == "none" and prefs.get(store, "李四", "basemap") == "tianditu"
    prefs.put(store, "张三", "basemap", "offline")
    assert prefs.get(store, "张三", "basemap") == "offline"
    with pytest.raises(ValueError):
        prefs.put(store, "张三", "password", "x")
    opts = basemaps.options(load_settings({"FOREST_CONFIG": "/nonexistent.toml"}), archive_names=[])
    assert basemaps.choose(opts, "tianditu", "offline") == "offline"  # no key here: falls back
    assert basemaps.choose(opts, "none", "offline") == "none"


def test_offline_basemap_data_is_shipped():
    rivers, places = basemaps.shipped()
    assert len(rivers["features"]) >= 20
    names = {p[2] for p in places}
    assert {"乌兰浩特市", "突泉县", "扎赉特旗", "阿尔山市"} <= names


def test_attribute_values_are_never_evaluated_as_templates():
    """branca compiles what folium renders as a Jinja template again, so a value "{{ 7*7 }}" came
    out as "49" (server-side template injection); the map keeps rendered output as text."""
    import geopandas as gpd

    hostile = "{{ 7*7 }}{% for x in range(3) %}A{% endfor %}{# c #}"
    frame = gpd.GeoDataFrame({"id": [1], "polygon_no": [hostile], "status": ["issued"]},
                             geometry=[shapely.box(121, 45, 121.1, 45.1)], crs=4490)
    fc = fmap.feature_collection(frame, {"id": "id", "n": "polygon_no", "s": "status"}, 12)
    m = fmap.base_map((45.05, 121.05), 12, "none")
    fmap.change_layer(fc, "zh").add_to(m)
    html = m.get_root().render()
    assert hostile in html  # the value, as it was
    assert "AAA" not in html


def test_the_list_is_patched_after_ones_own_action_as_if_read_again(store):
    from geo.engine import workflow as W

    bid = add_batch(store, verify="2024-05-01")
    insert(store, polygons(6), batch_id=bid)
    flt = mv.Filters(statuses=("issued",))
    before = mv.review_order(mv.candidates(store, flt, columns=mv.ORDER_COLS))
    fid = int(before["id"].iloc[1])
    W.transition(store, "change", fid, "verifying", actor="甲")
    patched = mv.patch_listing(before, store.get_feature("change", fid), flt, store.batches("change"))
    again = mv.review_order(mv.candidates(store, flt, columns=mv.ORDER_COLS))
    assert patched["id"].tolist() == again["id"].tolist() and fid not in patched["id"].tolist()
    # without a status filter the row stays where it was, with its new status and version
    every = mv.Filters()
    before = mv.review_order(mv.candidates(store, every, columns=mv.ORDER_COLS))
    fid = int(before["id"].iloc[2])
    W.transition(store, "change", fid, "verifying", actor="甲")
    patched = mv.patch_listing(before, store.get_feature("change", fid), every, store.batches("change"))
    again = mv.candidates(store, every, columns=mv.ORDER_COLS).set_index("id")
    row = patched.set_index("id").loc[fid]
    assert patched["id"].tolist() == before["id"].tolist()
    assert (row["status"], int(row["version"]), row["due"], bool(row["overdue"])) == (
        again.loc[fid, "status"], int(again.loc[fid, "version"]), again.loc[fid, "due"], bool(again.loc[fid, "overdue"]))


def test_a_layer_token_moves_only_with_that_layers_changes(store):
    from geo.engine import workflow as W

    bid = add_batch(store)
    insert(store, polygons(2), batch_id=bid)
    occ = mv.layer_token(store, "occupation")
    before = mv.layer_token(store, "change")
    fid = int(store.read_layer("change", columns=["status"], geometry=False)["id"].iloc[0])
    W.transition(store, "change", fid, "verifying", actor="甲")
    assert mv.layer_token(store, "change") != before and mv.layer_token(store, "occupation") == occ


def test_a_close_view_over_many_polygons_counts_on_the_grid_in_one_pass(store):
    """Past the pre-counted zooms, a view whose coarse cells hold far more than the cap is counted
    on the grid directly; the counts are the same as a live count, and a small view still draws."""
    bid = add_batch(store)
    insert(store, polygons(60, x0=121.50, y0=45.90), batch_id=bid)
    bbox = (121.45, 45.85, 122.20, 46.00)
    counted = mv.viewport(store, bbox, 11, mv.Filters(), cap=10)
    assert counted.mode == "aggregate" and counted.count == 60
    assert sum(c["count"] for c in counted.cells) == 60
    drawn = mv.viewport(store, bbox, 11, mv.Filters(), cap=100)
    assert drawn.mode == "features" and drawn.count == 60
    assert mv.viewport(store, (100.0, 30.0, 100.5, 30.2), 11, mv.Filters()).mode == "empty"
