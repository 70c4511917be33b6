"""Forms a bureau can trust (issue 22): a register form names every missing field at once; an item
marked done below 100% needs a reason, kept with the event; every editable type refuses a stale
save with who changed it and when, and changes nothing; a 12345 ticket handled before it was
assigned is refused; a scene covering none of the counties is flagged; a date out of range is
refused in Chinese by the write path (the pickers carry no bounds of their own)."""

from __future__ import annotations

import threading

import pytest
from shapely.geometry import Point

from geo.access.auth import Access
from geo.core.errors import ConflictError, GeoError, TransitionError, ValidationError
from geo.change import review as RV
from geo.engine import records, workflow
from geo.engine.operations import operate
from geo.imagery import scenes as SC
from geo.items import items as I
from geo.report import records as RR
from geo.report import settings as RS
from tests.imagery_data import field, write_scene
from tests.test_cli import geo

STAFF = Access("staff", "staff")
ADMIN = Access("admin", "admin")
IN_TUQUAN = Point(121.55, 45.72)


@pytest.mark.parametrize("layer, geometry, names", [
    ("post", None, ["职务名称", "级别", "类别"]),
    ("order", None, ["令号", "签发日期", "事项", "下达责任区", "反馈时限"]),  # its own rule no longer speaks first
    ("complaint", None, ["工单编号", "受理时间", "诉求内容"]),
    ("camera", None, ["名称", "类型", "位置"]),  # the place too, in the same message
    ("hazard", IN_TUQUAN, ["隐患内容", "发现日期"]),
])
def test_a_register_form_names_every_missing_field_at_once(demo_store, layer, geometry, names):
    before = len(demo_store.read_layer(layer, geometry=False))
    with pytest.raises(ValidationError) as err:
        records.add(demo_store, layer, {"note": "   "}, geometry=geometry, actor="admin", access=ADMIN)
    assert all(n in err.value.zh for n in names), err.value.zh
    assert "未保存" in err.value.zh
    assert len(demo_store.read_layer(layer, geometry=False)) == before


def _item_at(store, pct: float) -> int:
    iid = I.add(store, actor="staff", access=STAFF, problem=f"进度 {pct} 的事项")
    v = int(store.items().set_index("id").loc[iid, "version"])
    I.edit(store, iid, actor="staff", access=STAFF, version=v, fields={"manual_progress": pct})
    return iid


def test_an_item_done_below_100_percent_needs_a_reason_kept_with_the_event(demo_store):
    half = _item_at(demo_store, 50)
    v = int(demo_store.items().set_index("id").loc[half, "version"])
    with pytest.raises(TransitionError) as err:
        I.transition(demo_store, half, "done", actor="staff", access=STAFF, version=v, comment="  ")
    assert "50%" in err.value.zh and "原因" in err.value.zh
    assert demo_store.items().set_index("id").loc[half, "status"] == "in_progress"  # nothing changed
    I.transition(demo_store, half, "done", actor="staff", access=STAFF, version=v, comment="余下部分列入明年计划")
    last = demo_store.events("item", half).iloc[-1]
    assert last["to_status"] == "done" and last["comment"] == "余下部分列入明年计划"
    full = _item_at(demo_store, 100)  # at 100% no reason is asked
    v = int(demo_store.items().set_index("id").loc[full, "version"])
    I.transition(demo_store, full, "done", actor="staff", access=STAFF, version=v)
    assert demo_store.items().set_index("id").loc[full, "status"] == "done"


# ------------------------------------------------------------------------------ every editable type
# Each case: (the state a user opened, someone else's write meanwhile, the first user's stale write,
# what the user would see of the record). The stale write is refused naming who changed it and when,
# and leaves the record exactly as the other write did. (Accounts are left to the accounts work.)
TUQUAN = "152224"
INSPECTOR = Access("tuquan_inspector", "inspector", frozenset({TUQUAN}))
REVIEWER = Access("league_reviewer", "league_reviewer")


def _feature_case(store, layer: str, fid: int, first, stale):
    seen = int(store.get_feature(layer, fid)["version"])
    return (lambda: first(seen), lambda: stale(seen),
            lambda: (store.get_feature(layer, fid), len(store.events(layer, fid))))


def _item(store):
    iid = I.add(store, actor="staff", access=STAFF, problem="两人同时打开的事项")
    seen = int(store.items().set_index("id").loc[iid, "version"])
    return (lambda: I.edit(store, iid, actor="admin", access=ADMIN, version=seen, fields={"note": "先改的说明"}),
            lambda: I.edit(store, iid, actor="staff", access=STAFF, version=seen, fields={"note": "后改的说明"}),
            lambda: (store.items().set_index("id").loc[iid].to_dict(), len(store.events("item", iid))))


def _complaint(store):
    rec = store.read_layer("complaint", where={"status": "received"}, geometry=False).iloc[0]
    return int(rec["id"])


def _register_record(store):
    fid = _complaint(store)
    return _feature_case(
        store, "complaint", fid,
        lambda v: workflow.edit(store, "complaint", fid, actor="admin", fields={"note": "先改"}, version=v,
                                access=ADMIN),
        lambda v: workflow.edit(store, "complaint", fid, actor="staff", fields={"note": "后改"}, version=v,
                                access=STAFF))


def _register_step(store):
    fid = _complaint(store)
    return _feature_case(
        store, "complaint", fid,
        lambda v: workflow.edit(store, "complaint", fid, actor="admin", fields={"note": "先改"}, version=v,
                                access=ADMIN),
        lambda v: workflow.transition(store, "complaint", fid, "assigned", actor="staff", version=v,
                                      fields={"assignee": "张三"}, access=STAFF))


def _register_operation(store):
    fid = int(store.read_layer("restoration", where={"county_code": TUQUAN}, geometry=False)["id"].iloc[0])
    pay = {"amount_yuan": "100", "voucher_no": "记-2026-031", "paid_on": "2026-03-02"}
    return _feature_case(
        store, "restoration", fid,
        lambda v: operate(store, "restoration", fid, "payment", pay, actor="admin", access=ADMIN, version=v),
        lambda v: operate(store, "restoration", fid, "payment", {**pay, "voucher_no": "记-2026-032"},
                          actor="tuquan_inspector", access=INSPECTOR, version=v))


def _change_polygon(store):
    fid = int(store.read_layer("change", where={"county_code": TUQUAN}, geometry=False)["id"].iloc[0])
    return _feature_case(
        store, "change", fid,
        lambda v: workflow.edit(store, "change", fid, actor="admin", fields={"measure": "补植补造"}, version=v,
                                access=ADMIN),
        lambda v: workflow.edit(store, "change", fid, actor="tuquan_inspector", fields={"measure": "恢复原状"},
                                version=v, access=INSPECTOR))


def _review_decision(store):
    fid = int(RV.queue(store, "league")["id"].iloc[0])
    return _feature_case(
        store, "change", fid,
        lambda v: RV.record_check(store, fid, method="field", result="pass", note="现场已复绿", actor="admin",
                                  access=ADMIN, version=v),
        lambda v: RV.approve(store, fid, actor="league_reviewer", version=v, access=REVIEWER))


def _bulletin_settings(store):
    seen = RS.stored(store)
    return (lambda: RS.save(store, {"signer": "张局长"}, actor="admin", access=ADMIN, seen=seen),
            lambda: RS.save(store, {"signer": "李局长"}, actor="staff", access=STAFF, seen=seen),
            lambda: RS.stored(store))


def _section_text(store):
    seen = RR.text(store, "mechanism")
    return (lambda: RR.set_text(store, "mechanism", "建立了巡护日志制度。", actor="admin", access=ADMIN, seen=seen),
            lambda: RR.set_text(store, "mechanism", "另一人的文字", actor="staff", access=STAFF, seen=seen),
            lambda: RR.text(store, "mechanism"))


@pytest.mark.parametrize("case", [_item, _register_record, _register_step, _register_operation, _change_polygon,
                                  _review_decision, _bulletin_settings, _section_text],
                         ids=["item", "register record", "register step", "register operation", "change polygon",
                              "review decision", "bulletin settings", "section text"])
def test_a_stale_write_of_every_editable_type_is_refused_naming_who_and_when(demo_store, case):
    first, stale, state = case(demo_store)
    first()  # someone else changes it while the user still has it open
    after_first = state()
    with pytest.raises(ConflictError) as err:
        stale()
    assert "admin" in err.value.zh, err.value.zh  # who
    assert err.value.details["changed_by"] == "admin"
    assert err.value.details["changed_at"] not in (None, "?")  # when
    assert err.value.details["changed_at"] in err.value.zh
    assert repr(state()) == repr(after_first)  # nothing of the stale write was kept (repr: NaN equals NaN)


def test_a_register_operation_goes_on_from_the_version_it_was_given(demo_store):
    fid = int(demo_store.read_layer("restoration", where={"county_code": TUQUAN}, geometry=False)["id"].iloc[0])
    before = demo_store.get_feature("restoration", fid)
    v = operate(demo_store, "restoration", fid, "payment", {"amount_yuan": "100", "voucher_no": "记-1"},
                actor="admin", access=ADMIN, version=int(before["version"]))
    assert int(v) == int(before["version"]) + 1  # the version it opened: done
    operate(demo_store, "restoration", fid, "payment", {"amount_yuan": "50", "voucher_no": "记-2"},
            actor="admin", access=ADMIN, version=int(v))
    assert demo_store.get_feature("restoration", fid)["paid_yuan"] == pytest.approx(float(before["paid_yuan"] or 0) + 150)
    # the CLI's op takes the version seen too: a stale one is refused in Chinese, naming who
    out = geo("op", "--layer", "restoration", "--id", fid, "payment", "--version", v, "--field", "amount_yuan=10",
              "--field", "voucher_no=记-3", "--system", db=demo_store.url)
    assert out.returncode != 0 and "已被 admin 于" in out.stderr, out.stderr
    assert demo_store.get_feature("restoration", fid)["paid_yuan"] == pytest.approx(float(before["paid_yuan"] or 0) + 150)


def test_stale_bulletin_settings_and_section_texts_are_refused_naming_who_and_when(demo_store):
    seen = RS.stored(demo_store)
    RS.save(demo_store, {"signer": "张局长"}, actor="admin", access=ADMIN, seen=seen)
    with pytest.raises(ConflictError) as err:
        RS.save(demo_store, {"signer": "李局长"}, actor="staff", access=STAFF, seen=seen)
    assert "admin" in err.value.zh and "通报设置" in err.value.zh and "未保存" in err.value.zh
    assert RS.stored(demo_store)["signer"] == "张局长"
    RS.save(demo_store, {"signer": "李局长"}, actor="staff", access=STAFF, seen=RS.stored(demo_store))
    assert RS.stored(demo_store)["signer"] == "李局长"

    shown = RR.text(demo_store, "mechanism")  # nothing saved yet
    RR.set_text(demo_store, "mechanism", "建立了巡护日志制度。", actor="admin", access=ADMIN, seen=shown)
    with pytest.raises(ConflictError) as err:
        RR.set_text(demo_store, "mechanism", "另一人的文字", actor="staff", access=STAFF, seen=shown)
    assert "admin" in err.value.zh and "三、建立长效机制" in err.value.zh
    with pytest.raises(ConflictError):  # clearing a text one has not seen is refused too
        RR.set_text(demo_store, "mechanism", None, actor="staff", access=STAFF, seen=shown)
    assert RR.text(demo_store, "mechanism") == "建立了巡护日志制度。"


def test_a_ticket_handled_before_it_was_assigned_is_refused(demo_store):
    rec = demo_store.read_layer("complaint", where={"status": "received"}, geometry=False).iloc[0]
    fid = int(rec["id"])
    v = workflow.transition(demo_store, "complaint", fid, "assigned", actor="admin", version=int(rec["version"]),
                            fields={"assignee": "张三", "assigned_on": "2024-05-10"}, access=ADMIN)
    with pytest.raises(ValidationError) as err:
        workflow.transition(demo_store, "complaint", fid, "handled", actor="admin", version=v,
                            fields={"handling": "已现场处理", "handled_on": "2024-05-01"}, access=ADMIN)
    assert "办理日期 2024-05-01 早于派单日期 2024-05-10" in err.value.zh
    assert demo_store.get_feature("complaint", fid)["status"] == "assigned"
    with pytest.raises(ValidationError, match="before"):  # a new record holding both dates too
        records.add(demo_store, "complaint", {"ticket_no": "T-1", "received_at": "2024-05-01 09:00",
                                              "content": "有人砍树", "assigned_on": "2024-05-10",
                                              "handled_on": "2024-05-02"}, actor="admin", access=ADMIN)


@pytest.mark.parametrize("day", ["1800-01-01", "2150-06-30"])
def test_a_date_out_of_range_is_refused_in_chinese_by_the_write_path(demo_store, day):
    with pytest.raises(ValidationError) as err:
        records.add(demo_store, "hazard", {"title": "倒伏枯木", "found_on": day}, geometry=IN_TUQUAN,
                    actor="admin", access=ADMIN)
    assert f"“发现日期”的日期 {day} 超出可填写的范围" in err.value.zh
    with pytest.raises(ValidationError, match="outside"):
        I.add(demo_store, actor="staff", access=STAFF, problem="远期事项", deadline=day)
    far = records.add(demo_store, "hazard", {"title": "远期复查", "found_on": "2099-12-31"}, geometry=IN_TUQUAN,
                      actor="admin", access=ADMIN)  # a far date inside the range is kept
    assert demo_store.get_feature("hazard", far)["found_on"] == "2099-12-31"


def test_a_scene_covering_none_of_the_counties_is_flagged(demo_store, tmp_path):
    inside = write_scene(tmp_path / "tuquan_20240720.tif", field(shape=(50, 50)), date="2024-07-20")
    away = write_scene(tmp_path / "elsewhere_20240720.tif", field(shape=(50, 50)), date="2024-07-21",
                       origin=(500_000.0, 3_500_000.0), crs="EPSG:32650")  # about 117°E, 31.6°N
    added = SC.add(demo_store, tmp_path, folder=tmp_path / "imagery", actor="staff",
                   bands="red=1,green=2,blue=3,nir=4")
    assert [s.name for s in SC.outside(demo_store, added)] == [away.name]
    assert inside.name in {s.name for s in added}
    with pytest.raises(GeoError) as err:  # and a typed acquisition date out of range is refused in Chinese
        SC.add(demo_store, tmp_path / "tuquan_20240720.tif", folder=tmp_path / "imagery2", actor="staff",
               date="1850-01-01", bands="red=1,green=2,blue=3,nir=4")
    assert "成像日期" in err.value.zh


def test_a_change_landing_between_an_operations_look_and_its_write_is_refused(demo_store, monkeypatch):
    """The version the user opened is checked again in the operation's own write transaction: a
    change another user makes after the operation's first check (here, just before its function
    runs) is not overwritten."""
    from geo.engine import operations

    fid = int(demo_store.read_layer("restoration", where={"county_code": TUQUAN}, geometry=False)["id"].iloc[0])
    seen = int(demo_store.get_feature("restoration", fid)["version"])
    real = operations.run_of

    def late(op):
        fn = real(op)

        def run(*a, **kw):  # someone else's edit lands now, after operate's own check (another
            # request: its own thread, as the app server's)
            other = threading.Thread(target=workflow.edit, args=(demo_store, "restoration", fid), kwargs=dict(
                actor="admin", fields={"project": "同时修改的项目名"}, access=ADMIN))
            other.start()
            other.join()
            return fn(*a, **kw)
        return run

    monkeypatch.setattr(operations, "run_of", late)
    paid = demo_store.get_feature("restoration", fid)["paid_yuan"]
    with pytest.raises(ConflictError) as err:
        operate(demo_store, "restoration", fid, "payment", {"amount_yuan": "100", "voucher_no": "记-9"},
                actor="tuquan_inspector", access=INSPECTOR, version=seen)
    assert err.value.details["changed_by"] == "admin"
    after = demo_store.get_feature("restoration", fid)
    assert after["paid_yuan"] == paid and after["project"] == "同时修改的项目名"
