"""Generic pieces of the register engine added for the fire and pine-wilt registers: option
labels as people write them, dates as office lists write them, a deadline from the record's own
date or its start plus configured days, what a geometry measures, point-or-polygon ingest,
WKT cells in lists, flags and operation names as people read them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from geo.core import config
from geo.declare import registry as S
from geo.core.errors import ValidationError
from geo.ingest import validate as V
from geo.engine import display
from geo.engine import records
from geo.engine import figures as rfig
from geo.declare.base import DATE, REAL, TEXT, Deadline, Field, Layer, fld
from geo.core.timeutil import as_date


def test_dates_as_office_lists_write_them():
    assert as_date("2025/3/4") == dt.date(2025, 3, 4)
    assert as_date("2025.03.4") == dt.date(2025, 3, 4)
    assert as_date("2025年3月14日") == dt.date(2025, 3, 14)
    assert as_date("20250304") == dt.date(2025, 3, 4)
    with pytest.raises(ValueError):
        as_date("2025/13/4")


def test_a_value_list_takes_the_labels_people_write(monkeypatch):
    monkeypatch.setitem(S.LABELS, "method_t", {"bagging": ("打包", "Bagging"), "chipping": ("就地粉碎", "On-site chipping")})
    lyr = Layer(key="t", table="t", geometry=None, zh="测试", en="Test",
                fields=(fld("method_t", TEXT, "方式", "Method", options=("bagging", "chipping")),))
    assert records.check_values(lyr, {"method_t": "打包"}) == {"method_t": "bagging"}
    assert records.check_values(lyr, {"method_t": " on-site  Chipping "}) == {"method_t": "chipping"}
    assert records.check_values(lyr, {"method_t": "chipping"}) == {"method_t": "chipping"}
    with pytest.raises(ValidationError) as err:
        records.check_values(lyr, {"method_t": "掩埋"})
    assert "打包" in err.value.zh and "掩埋" in err.value.zh


def _due_layer(**deadline):
    return Layer(key="d", table="d", geometry=None, zh="测试", en="Test", statuses=("open", "done"),
                 final_statuses=("done",), deadline=Deadline(**deadline),
                 fields=(fld("found_on", DATE, "发现", "Found"), fld("deadline", DATE, "期限", "Deadline")))


def test_a_deadline_is_the_records_own_date_else_its_start_plus_the_configured_days(monkeypatch):
    lyr = _due_layer(field="deadline", start="found_on", days=30, days_setting="hazard_rectify_days",
                     open_statuses=("open",))
    frame = pd.DataFrame({"found_on": ["2025-03-01", "2025-03-01", None, "2025-03-01"],
                          "deadline": ["2025-03-10", None, None, None],
                          "status": ["open", "open", "open", "done"]})
    settings = config.Settings(hazard_rectify_days=5)
    assert rfig.due(lyr, frame, settings).tolist() == ["2025-03-10", "2025-03-06", None, None]
    late = rfig.overdue(lyr, frame, dt.date(2025, 3, 8), settings)
    assert late.tolist() == [False, True, False, False]
    # without settings passed, the ones the edge loaded count (here: a forest.toml-like override)
    monkeypatch.setattr(config, "_CURRENT", config.Settings(hazard_rectify_days=2))
    assert rfig.due(lyr, frame).tolist()[1] == "2025-03-03"
    monkeypatch.setattr(config, "_CURRENT", None)
    assert rfig.due(lyr, frame).tolist()[1] == "2025-03-31"  # the default of the setting (30)


def test_a_geometry_measures_what_its_register_has_fields_for():
    line = Layer(key="l", table="l", geometry="LINESTRING", zh="线", en="Line",
                 fields=(fld("length_km", REAL, "长度", "Length", unit="公里"),))
    # 0.01° of latitude is about 1.11 km anywhere
    m = records.measures(line, shapely.LineString([(121.0, 46.0), (121.0, 46.01)]))
    assert m["length_km"] == pytest.approx(1.112, abs=0.003)
    mixed = Layer(key="m", table="m", geometry="GEOMETRY", zh="点或面", en="Point or polygon", fields=S.AREA)
    square = shapely.box(121.0, 46.0, 121.01, 46.01)
    got = records.measures(mixed, square)
    assert got["area_crs"] == "EPSG:4549" and got["area_ha"] == pytest.approx(0.7733 * 1.112 * 100, rel=0.01)  # km × km → ha
    assert got["area_mu"] == pytest.approx(got["area_ha"] * 15, rel=1e-3)
    assert records.measures(mixed, shapely.Point(121, 46)) == {"area_ha": None, "area_mu": None, "area_crs": None}


def test_point_or_polygon_layers_take_both_and_refuse_lines():
    geoms = np.array([shapely.Point(121, 46), shapely.MultiPoint([(121, 46)]),
                      shapely.Polygon([(121, 46), (121.01, 46.01), (121.01, 46), (121, 46.01), (121, 46)]),  # bow-tie
                      shapely.LineString([(121, 46), (121.1, 46.1)]),
                      shapely.MultiPoint([(121, 46), (121.1, 46)])], dtype=object)
    problems = V.Problems()
    rejected = np.zeros(len(geoms), dtype=bool)
    out, repaired = V.normalise(geoms, "mixed", np.arange(1, 6), problems, rejected)
    assert rejected.tolist() == [False, False, False, True, True]
    assert out[1].geom_type == "Point" and out[2].is_valid and out[2].area > 0 and repaired[2]
    why = {p["feature"]: p["zh"] for p in problems.rows if p["level"] == "rejected"}
    assert "点或面" in why[4] and "多点" in why[5]


def test_flags_and_operations_read_as_people_say_them(monkeypatch):
    monkeypatch.setitem(S.LABELS, "flag", {**S.LABELS.get("flag", {}), "late_t": ("超期清理", "Removed late")})
    assert display.flag_texts({"flags": {"late_t": 3, "nothing": None}}) == ["超期清理（3）"]
    assert display.flag_texts({"flags": '{"late_t": true}'}, "en") == ["Removed late"]
    assert display.action_label("appoint") == "任职"
    assert display.action_label("made_up") == "made_up"


def test_a_field_with_wkt_in_a_list_becomes_the_registers_geometry():
    from geo.ingest.tables import _shape

    lyr = Layer(key="w", table="w", geometry="GEOMETRY", zh="点或面", en="Point or polygon", fields=())
    assert _shape(lyr, "POINT (121.5 46.1)").geom_type == "Point"
    assert _shape(lyr, "POLYGON ((121 46, 121.1 46, 121.1 46.1, 121 46))").geom_type == "Polygon"
    with pytest.raises(ValidationError):
        _shape(lyr, "LINESTRING (121 46, 121.1 46.1)")
    with pytest.raises(ValidationError):
        _shape(lyr, "POINT (500000 5100000)")  # projected metres, not longitude/latitude
    with pytest.raises(ValidationError):
        _shape(lyr, "not wkt")
    field = Field("x", TEXT, "x", "x")
    assert field.label() == "x"
