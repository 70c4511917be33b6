"""No record leaves its county by a change: every operation of every layer, read from the
declarations, tried by county-bound accounts with fields and geometry pointing at another county,
is refused with a message in Chinese — and the store is unchanged, row for row (a dump of every
table before and after). The write path (:func:`geo.engine.write.apply`) checks the record's
county before and after each change; an administrator may re-file, and the event names both
counties."""

from __future__ import annotations

import sqlite3

import pytest
import shapely

from geo.access.auth import Access, add_user
from geo.core.errors import GeoError, PermissionDenied
from geo.declare import registry as S
from geo.engine import operations, records, workflow
from geo.store import open_store

HOME, OTHER = "152224", "152223"  # 突泉县, 扎赉特旗


def _dump(path) -> list[str]:
    con = sqlite3.connect(str(path))
    try:
        return list(con.iterdump())
    finally:
        con.close()


def _places(store) -> dict:
    admin = store.read_layer("admin", where={"level": "county", "code": [HOME, OTHER]}, columns=["code"])
    return {code: geom.representative_point() for code, geom in zip(admin["code"], admin.geometry)}


def _shape(lyr, point):
    """A geometry of ``lyr``'s kind at ``point``."""
    x, y = point.x, point.y
    if lyr.geometry == "LINESTRING":
        return shapely.LineString([(x, y), (x + 0.002, y + 0.001)])
    if lyr.geometry in ("MULTIPOLYGON",):
        return shapely.MultiPolygon([shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001)])
    return shapely.Point(x, y)


SCOPED = [k for k, lyr in S.LAYERS.items() if k != "admin" and lyr.has("county_code")]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, demo_master):
    """A copy of the demo with, for every county-scoped layer, one record in 突泉县 and one in
    扎赉特旗 (added by the administrator where the demo has none), and a county-bound data-staff
    account beside the county's inspector."""
    path = tmp_path_factory.mktemp("scope") / "demo.gpkg"
    open_store(str(demo_master)).backup(path)
    store = open_store(str(path))
    admin = Access("admin", "admin")
    add_user(store, admin, name="tuquan_staff", role="staff", password="Tuquan-staff-9", counties=[HOME])
    places = _places(store)
    picked = {}
    for key in SCOPED:
        lyr = S.layer(key)
        ids = {}
        for code in (HOME, OTHER):
            frame = store.read_layer(key, where={"county_code": code}, columns=["status"], geometry=False)
            if len(frame):
                ids[code] = int(frame["id"].iloc[0])
                continue
            values = {f.name: _sample(f) for f in lyr.fields if f.required}
            values.update({"county_code": code})
            geom = _shape(lyr, places[code]) if lyr.spatial else None
            ids[code] = records.add(store, key, values, geometry=geom, actor="admin", access=admin)
        picked[key] = ids
    return path, picked, places


def _sample(f):
    if f.name == "year":
        return 2023  # a year the demo has no sample for
    if f.options:
        return f.options[0]
    return {S.TEXT: "测试", S.INT: 1, S.REAL: 1.0, S.DATE: "2025-01-01", S.DATETIME: "2025-01-01T00:00:00Z",
            S.BOOL: True}.get(f.type, "测试")


def _attempts(store, key: str, ids: dict, places: dict, access: Access):
    """(what, call) for every change the declaration offers on ``key``, each pointing at 扎赉特旗:
    add there, edit its county, move there, every step and every operation with the county field
    or a geometry there, and every operation on the other county's own record."""
    lyr = S.layer(key)
    mine, theirs = ids[HOME], ids[OTHER]
    there = _shape(lyr, places[OTHER]) if lyr.spatial else None
    actor = access.user
    out = [("add there", lambda: records.add(store, key, {"county_code": OTHER, **{
        f.name: _sample(f) for f in lyr.fields if f.required and f.name != "county_code"}},
        geometry=there, actor=actor, access=access)),
        ("edit county", lambda: workflow.edit(store, key, mine, actor=actor, fields={"county_code": OTHER},
                                              access=access)),
        ("edit the other county's record", lambda: workflow.edit(store, key, theirs, actor=actor,
                                                                 fields={"county": "改"}, access=access))]
    if there is not None:
        out.append(("move there", lambda: workflow.edit(store, key, mine, actor=actor, fields={}, geometry=there,
                                                        access=access)))
    status = store.get_feature(key, mine)["status"]
    for t in (lyr.transitions or ()):
        if status in t.src:
            out.append((f"step {t.dst} with the county", lambda t=t: workflow.transition(
                store, key, mine, t.dst, actor=actor, fields={"county_code": OTHER}, access=access)))
        out.append((f"step {t.dst} on the other county's record", lambda t=t: workflow.transition(
            store, key, theirs, t.dst, actor=actor, access=access)))
    for op in lyr.operations:
        out.append((f"operation {op.key} on the other county's record", lambda op=op: operations.operate(
            store, key, theirs, op.key, {}, actor=actor, access=access, geometry=there)))
        if op.geometry and there is not None:
            out.append((f"operation {op.key} moving there", lambda op=op: operations.operate(
                store, key, mine, op.key, {}, actor=actor, access=access, geometry=there)))
    return out


@pytest.mark.parametrize("who", ["tuquan_inspector", "tuquan_staff"])
def test_every_change_pointing_at_another_county_is_refused_and_changes_nothing(prepared, who):
    path, picked, places = prepared
    store = open_store(str(path))
    user = store.user(who)
    access = Access(user["name"], user["role"], frozenset(user["counties"]))
    before = _dump(path)
    tried, kinds = 0, set()
    for key in SCOPED:
        for what, call in _attempts(store, key, picked[key], places, access):
            with pytest.raises(GeoError) as refused:
                call()
            err = refused.value
            assert err.zh and any("\u4e00" <= ch <= "\u9fff" for ch in err.zh), (key, what, err.en)
            if what in ("edit county", "move there", "edit the other county's record") or "with the county" in what \
                    or "moving there" in what or "other county's record" in what:
                assert isinstance(err, PermissionDenied), (key, what, type(err).__name__, err.zh)
            tried += 1
            kinds.add(what.split(" ")[0])
    assert _dump(path) == before, f"a refused change wrote something ({who})"
    assert tried > 100 and {"add", "edit", "move", "step", "operation"} <= kinds


def test_an_administrator_re_files_with_both_counties_named(prepared, tmp_path):
    path, picked, _ = prepared
    copy = tmp_path / "copy.gpkg"
    open_store(str(path)).backup(copy)
    store = open_store(str(copy))
    fid = picked["hazard"][HOME]
    workflow.edit(store, "hazard", fid, actor="admin", fields={"county_code": OTHER, "county": "扎赉特旗"},
                  access=Access("admin", "admin"))
    last = store.history("hazard", fid)[-1]
    assert "改属旗县：突泉县（152224） → 扎赉特旗（152223）" in (last["comment"] or "")
    assert store.get_feature("hazard", fid)["county_code"] == OTHER


def test_the_command_line_refuses_an_edit_into_another_county(prepared, tmp_path):
    from tests.test_cli import geo

    path, picked, _ = prepared
    copy = tmp_path / "copy.gpkg"
    open_store(str(path)).backup(copy)
    before = _dump(copy)
    fid = picked["hazard"][HOME]
    out = geo("edit", "--layer", "hazard", "--id", str(fid), "--field", f"county_code={OTHER}",
              "--actor", "tuquan_inspector", "--json", db=copy)
    assert out.returncode == 2 and "其他旗县" in out.stdout
    out = geo("transition", "--layer", "change", "--id", str(picked["change"][HOME]), "--to", "verifying",
              "--field", f"county_code={OTHER}", "--actor", "tuquan_inspector", "--json", db=copy)
    assert out.returncode == 2 and "其他旗县" in out.stdout
    assert _dump(copy) == before


def test_a_record_placed_outside_every_county_is_refused_unless_data_staff_confirm(prepared, tmp_path):
    path, _, _ = prepared
    copy = tmp_path / "copy.gpkg"
    open_store(str(path)).backup(copy)
    store = open_store(str(copy))
    beijing = shapely.Point(116.40, 39.90)
    camera = {"name": "天安门监控", "camera_kind": "camera"}
    for who in (Access("staff", "staff"), Access("tuquan_inspector", "inspector", frozenset({HOME}))):
        with pytest.raises(GeoError) as refused:
            records.add(store, "camera", camera, geometry=beijing, actor=who.user, access=who)
        assert "不在本辖区任何旗县内" in refused.value.zh
    before = store.count("camera")
    with pytest.raises(GeoError):  # an inspector cannot confirm it
        records.add(store, "camera", camera, geometry=beijing, actor="tuquan_inspector", outside_ok=True,
                    access=Access("tuquan_inspector", "inspector", frozenset({HOME})))
    fid = records.add(store, "camera", camera, geometry=beijing, actor="staff", access=Access("staff", "staff"),
                      outside_ok=True)
    rec = store.get_feature("camera", fid)
    assert store.count("camera") == before + 1 and rec["flags"]["outside_jurisdiction"] is True
    assert rec["county_code"] in (None, "")
    # moving a record there is refused the same way
    hazard = store.read_layer("hazard", where={"county_code": HOME}, columns=["version"], geometry=False).iloc[0]
    with pytest.raises(GeoError, match="outside every county"):
        workflow.edit(store, "hazard", int(hazard["id"]), actor="staff", fields={}, geometry=beijing,
                      access=Access("staff", "staff"))
