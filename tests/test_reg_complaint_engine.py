"""Engine hooks the complaint, enterprise and carbon registers need, checked on a layer of the
engine's own (signboards) with rules given by the test: ``placed`` (values that follow from where a
record lies), ``locate`` (a place for a record that arrives without one) and ``place_optional``,
the register's ``validate`` rule applied to every imported row, one "longitude,latitude" column,
and the overview's colour classes."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import shapely

from geo.declare import registry as S
from geo.core.errors import ValidationError
from geo.engine import place, records
from geo.ingest import tables
from geo.engine.overview import PALETTE, classes


@pytest.fixture
def hooked(monkeypatch):
    """Signboards that may arrive without a place, with rules that locate board "A", say where a
    board lies, and upper-case the post."""
    lyr = dataclasses.replace(S.LAYERS["signboard"], place_optional=True)
    monkeypatch.setitem(S.LAYERS, "signboard", lyr)
    calls = {"placed": 0}

    def placed(store, tx, layer, geom, values):
        calls["placed"] += 1
        return {"zone_desc": f"near {geom.x:.2f},{geom.y:.2f}"}

    def locate(store, tx, layer, values):
        if values.get("board_no") == "A":
            return shapely.Point(121.5, 46.0), {**values, "rangers": "located by rule"}
        return None, values

    def validate(store, values, current):
        if values.get("chief_post") == "bad":
            raise ValidationError("bad post", "职务不合格")
        return {**values, "chief_post": (values.get("chief_post") or "").upper() or None}

    rules = SimpleNamespace(placed=placed, locate=locate, validate=validate)
    for mod in (records, place, tables):  # where the rules are looked up
        monkeypatch.setattr(mod, "rules_of", lambda layer: rules if layer.key == "signboard" else None)
    return calls


def test_a_record_is_located_placed_and_checked_by_its_rules(store, hooked):
    a = records.add(store, "signboard", {"board_no": "A", "chief_post": "ab"}, actor="staff")
    rec = store.get_feature("signboard", a)
    assert (rec["geometry"].x, rec["geometry"].y) == (121.5, 46.0)
    assert rec["rangers"] == "located by rule" and rec["zone_desc"] == "near 121.50,46.00"
    assert rec["chief_post"] == "AB"
    # not located: stored without a place, and nothing derived from one
    b = records.add(store, "signboard", {"board_no": "B"}, actor="staff")
    rec = store.get_feature("signboard", b)
    assert rec["geometry"] is None or rec["geometry"].is_empty
    assert rec["zone_desc"] is None
    # moving it places it again
    from geo.engine import workflow

    workflow.edit(store, "signboard", b, actor="staff", fields={}, geometry=shapely.Point(121.7, 46.2))
    assert store.get_feature("signboard", b)["zone_desc"] == "near 121.70,46.20"


def test_a_register_that_needs_a_place_still_refuses_a_record_without_one(store):
    with pytest.raises(ValidationError, match="location"):
        records.add(store, "signboard", {"board_no": "C"}, actor="staff")


def test_imported_rows_pass_the_same_rules_and_one_column_may_hold_both_coordinates(store, hooked, tmp_path):
    path = tmp_path / "boards.csv"
    path.write_text("编号,经纬度,职务\nA,,ab\nB,\"121.6，46.1\",cd\nC,,\n", encoding="utf-8")
    report = tables.import_file(store, "signboard", path, actor="staff")
    assert report["stored"] == 3
    got = store.read_layer("signboard", columns=["board_no", "chief_post", "zone_desc", "rangers"])
    by_no = {r["board_no"]: r for r in got.to_dict("records")}
    assert by_no["A"]["rangers"] == "located by rule" and by_no["A"]["zone_desc"] == "near 121.50,46.00"
    assert by_no["B"]["geometry"].x == pytest.approx(121.6) and by_no["B"]["chief_post"] == "CD"
    assert by_no["C"]["geometry"] is None or by_no["C"]["geometry"].is_empty
    # a row the rule refuses: the whole file is refused with the row and the reason, nothing stored
    bad = tmp_path / "bad.csv"
    bad.write_text("编号,经纬度,职务\nD,\"121.6,46.1\",ok\nE,\"121.6,46.1\",bad\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="problem") as err:
        tables.import_file(store, "signboard", bad, actor="staff")
    assert "第 2 条" in err.value.zh and "职务不合格" in err.value.zh
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("编号,经纬度\nF,121.6\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        tables.import_file(store, "signboard", wrong, actor="staff")
    assert "经度,纬度" in err.value.zh
    assert store.count("signboard") == 3


def test_overview_classes_shade_by_rank_and_leave_empty_values_grey():
    colours = classes([0, None, 5.0, 1.0, 100.0, float("nan")])
    assert colours[0] is None and colours[1] is None and colours[5] is None
    # three positive values over six colours: the lightest, a middle and a dark class, by rank
    assert (colours[3], colours[2], colours[4]) == (PALETTE[0], PALETTE[2], PALETTE[4])


def test_a_transition_stamps_the_fields_its_register_declares(store, monkeypatch):
    from geo.engine import workflow

    lyr = dataclasses.replace(S.LAYERS["restoration"], stamps={"in_progress": {"type": "actor"}})
    monkeypatch.setitem(S.LAYERS, "restoration", lyr)
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"project": ["P"]}, geometry=[shapely.box(121.5, 46.0, 121.51, 46.01)], crs=4490)
    with store.transaction() as tx:
        fid = store.insert_features(tx, "restoration", frame, actor="staff")[0]
    workflow.transition(store, "restoration", fid, "in_progress", actor="王五")
    assert store.get_feature("restoration", fid)["type"] == "王五"


def test_register_figures_get_the_configured_settings_when_stats_passes_none(store, monkeypatch, tmp_path):
    from geo.engine import figures

    cfg = tmp_path / "forest.toml"
    cfg.write_text("enterprise_sample_share = 0.45\n", encoding="utf-8")
    monkeypatch.setenv("FOREST_CONFIG", str(cfg))
    seen = {}
    rules = SimpleNamespace(figures=lambda store, frame, ctx: seen.update(share=ctx["settings"].enterprise_sample_share)
                            or {})
    monkeypatch.setattr(figures, "rules_of", lambda layer: rules)
    figures.figures_of(store, S.layer("person"))
    assert seen["share"] == 0.45


def test_lists_may_give_a_value_by_its_label_and_dates_in_the_forms_offices_write():
    from geo.core.timeutil import as_date, to_utc_text

    lyr = S.layer("signboard")
    op = lyr.operations[0]  # inspect: condition is a value list (ok / damaged / stale)
    carrier = S.Layer(key="x", table="", geometry=None, zh="x", en="x", fields=op.fields)
    assert records.check_values(carrier, {"condition": "损坏"}) == {"condition": "damaged"}
    assert records.check_values(carrier, {"condition": "Out of date"}) == {"condition": "stale"}
    with pytest.raises(ValidationError):
        records.check_values(carrier, {"condition": "烧毁"})
    assert to_utc_text("2024/5/9 9:05") == "2024-05-09T01:05:00Z"  # Beijing time
    assert to_utc_text("2024年5月9日 9时5分") == "2024-05-09T01:05:00Z"
    assert as_date("2024.5.9") == as_date("2024年5月9日") == as_date("20240509")
