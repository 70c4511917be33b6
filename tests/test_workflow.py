"""The rectification workflow: guards, evidence, conflicts, history and derived deadlines."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.change.deadlines import change_deadlines, overdue
from geo.engine import workflow as W
from geo.engine.values import coerce
from geo.core.errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from tests.helpers import add_batch, insert, jpeg, pdf, polygons


@pytest.fixture
def fid(store):
    bid = add_batch(store)
    return insert(store, polygons(1), batch_id=bid)[0]


# the verified cause a closure needs (geo/closure_rules.toml)
CAUSE = {"legal": "60 森林抚育", "no_change": "植物季节性变化", "illegal": "51 毁林(湿)开垦-种植", "other": "其他原因"}


def walk_to_verified(store, fid, verdict="illegal"):
    W.transition(store, "change", fid, "verifying", actor="核查员甲")
    return W.transition(store, "change", fid, "verified", actor="核查员甲",
                        fields={"verdict": verdict, "verified_cause": CAUSE[verdict]},
                        attachments=[("现场.jpg", jpeg())])


def test_the_illegal_road_from_issued_to_closed_with_every_guard(store, fid):
    v = walk_to_verified(store, fid)
    assert v == 3
    feat = store.get_feature("change", fid)
    assert feat["verdict"] == "illegal" and feat["verified_by"] == "核查员甲" and feat["verified_on"]

    with pytest.raises(TransitionError, match="case_no"):
        W.transition(store, "change", fid, "case_filed", actor="执法大队")
    W.transition(store, "change", fid, "case_filed", actor="执法大队", fields={"case_no": "兴林草罚立字〔2024〕第001号"})
    with pytest.raises(TransitionError) as info:
        W.transition(store, "change", fid, "penalized", actor="执法大队", fields={"decision_no": "决字1号"})
    assert info.value.details["missing"] == ["fine_yuan"] and "罚款" in info.value.zh
    W.transition(store, "change", fid, "penalized", actor="执法大队",
                 fields={"decision_no": "兴林草罚决字〔2024〕第001号", "fine_yuan": "1758"})
    W.transition(store, "change", fid, "rectifying", actor="核查员甲",
                 fields={"measure": "恢复植被", "deadline": "2024-10-31"})
    with pytest.raises(TransitionError, match="evidence") as info:  # the rectification's own evidence
        W.transition(store, "change", fid, "rectified", actor="核查员甲")
    assert "整改完成的现场照片" in info.value.zh
    W.transition(store, "change", fid, "rectified", actor="核查员甲", attachments=[("复绿后.jpg", jpeg())])
    with pytest.raises(PermissionDenied) as info:  # never accepted by who recorded the rectification
        W.transition(store, "change", fid, "accepted", actor="核查员甲", attachments=[("验收.pdf", pdf())])
    assert "“验收通过”须由“整改完成”登记人以外的人员办理" in info.value.zh
    with pytest.raises(TransitionError, match="evidence") as info:
        W.transition(store, "change", fid, "accepted", actor="验收组")
    assert "验收记录" in info.value.zh
    W.transition(store, "change", fid, "accepted", actor="验收组", attachments=[("验收意见.pdf", pdf())])
    with pytest.raises(TransitionError, match="evidence"):
        W.transition(store, "change", fid, "closed", actor="验收组")
    v = W.transition(store, "change", fid, "closed", actor="验收组", comment="整改到位",
                     attachments=[("验收意见.pdf", pdf())])
    feat = store.get_feature("change", fid)
    assert (feat["status"], feat["version"], feat["fine_yuan"]) == ("closed", v, 1758.0)

    history = store.history("change", fid)
    assert [e["to_status"] for e in history] == [
        "issued", "verifying", "verified", "case_filed", "penalized", "rectifying", "rectified",
        "accepted", "closed"]
    assert [e["version"] for e in history] == list(range(1, 10))
    closing = history[-1]
    assert closing["actor"] == "验收组" and closing["comment"] == "整改到位" and closing["from_status"] == "accepted"
    assert len(closing["attachment_ids"]) == 1
    assert store.get_attachment(closing["attachment_ids"][0])["mime"] == "application/pdf"
    assert history[4]["fields"] == {"decision_no": "兴林草罚决字〔2024〕第001号", "fine_yuan": 1758.0}


def test_a_legal_verdict_closes_directly_but_cannot_open_a_case(store, fid):
    walk_to_verified(store, fid, verdict="legal")
    with pytest.raises(TransitionError, match="verdict must be one of illegal"):
        W.transition(store, "change", fid, "case_filed", actor="x", fields={"case_no": "1"})
    W.transition(store, "change", fid, "closed", actor="x", attachments=[("a.jpg", jpeg())])
    assert store.get_feature("change", fid)["status"] == "closed"


def test_an_illegal_verdict_cannot_be_closed_without_rectification(store, fid):
    walk_to_verified(store, fid, verdict="illegal")
    with pytest.raises(TransitionError) as info:
        W.transition(store, "change", fid, "closed", actor="x", attachments=[("a.jpg", jpeg())])
    assert "违法违规" in info.value.zh or "合法" in info.value.zh


def test_only_allowed_next_statuses(store, fid):
    with pytest.raises(TransitionError) as info:
        W.transition(store, "change", fid, "closed", actor="x", attachments=[("a.jpg", jpeg())])
    assert info.value.details["allowed"] == ["verifying"]
    assert "可选：核查中" in info.value.zh
    with pytest.raises(TransitionError, match="not a status"):
        W.transition(store, "change", fid, "done", actor="x")
    assert [t.dst for t in W.allowed("change", "verified")] == ["closed", "case_filed", "applied", "verifying"]  # forward first


def test_verdict_and_numbers_are_validated(store, fid):
    W.transition(store, "change", fid, "verifying", actor="x")
    with pytest.raises(ValidationError):
        W.transition(store, "change", fid, "verified", actor="x", fields={"verdict": "maybe"})
    walk = store.get_feature("change", fid)
    assert walk["status"] == "verifying" and walk["version"] == 2  # nothing changed
    with pytest.raises(ValidationError, match="number"):
        coerce(W.S.layer("change"), "fine_yuan", "一千元")
    with pytest.raises(ValidationError, match="number"):
        coerce(W.S.layer("change"), "fine_yuan", "-5")
    with pytest.raises(ValidationError, match="date"):
        coerce(W.S.layer("change"), "deadline", "明年")


def test_evidence_is_sniffed_not_trusted_by_name(store, fid):
    W.transition(store, "change", fid, "verifying", actor="x")
    with pytest.raises(ValidationError, match="not a photo"):
        W.transition(store, "change", fid, "verified", actor="x", fields={"verdict": "legal"},
                     attachments=[("photo.jpg", b"MZ\x90\x00 this is an executable")])
    assert store.table("attachments").empty
    assert store.get_feature("change", fid)["status"] == "verifying"


def test_a_stale_version_is_a_conflict_and_changes_nothing(store, fid):
    W.transition(store, "change", fid, "verifying", actor="甲", version=1)
    with pytest.raises(ConflictError) as info:
        W.transition(store, "change", fid, "verifying", actor="乙", version=1)
    assert info.value.exit_code == 3
    assert info.value.details["current_version"] == 2
    with pytest.raises(ConflictError):
        W.transition(store, "change", fid, "verified", actor="乙", version=1, fields={"verdict": "legal"})
    feat = store.get_feature("change", fid)
    assert (feat["status"], feat["version"], feat["verdict"]) == ("verifying", 2, None)
    assert [e["actor"] for e in store.history("change", fid)] == ["staff", "甲"]


def test_look_back_relapse_reopens_a_closed_polygon_and_says_why(store, fid):
    walk_to_verified(store, fid, verdict="no_change")
    W.transition(store, "change", fid, "closed", actor="x", attachments=[("a.jpg", jpeg())])
    with pytest.raises(TransitionError, match="comment"):
        W.transition(store, "change", fid, "rectifying", actor="回头看组")
    W.transition(store, "change", fid, "rectifying", actor="回头看组", comment="回头看发现复垦反弹")
    last = store.history("change", fid)[-1]
    assert (last["from_status"], last["to_status"], last["comment"]) == ("closed", "rectifying", "回头看发现复垦反弹")


def test_other_layers_have_their_own_stages(store):
    from tests.helpers import polygons as P

    with store.transaction() as tx:
        (oid,) = store.insert_features(tx, "occupation", P(1).drop(columns=["polygon_no", "source", "kind"])
                                       .assign(name="红瑞采石场"), actor="x")
    assert store.get_feature("occupation", oid)["status"] == "found"
    W.transition(store, "occupation", oid, "case_filed", actor="x", fields={"case_no": "立字1号"})
    W.transition(store, "occupation", oid, "penalized", actor="x", fields={"decision_no": "决字1号", "fine_yuan": 126000})
    W.transition(store, "occupation", oid, "rectifying", actor="x")
    W.transition(store, "occupation", oid, "accepted", actor="专员办", attachments=[("验收.pdf", pdf())])
    with pytest.raises(TransitionError, match="delisted_by"):
        W.transition(store, "occupation", oid, "delisted", actor="x", attachments=[("a.pdf", pdf())])
    W.transition(store, "occupation", oid, "delisted", actor="x", attachments=[("a.pdf", pdf())],
                 fields={"delisted_by": "国家林草局驻内蒙古专员办"})
    feat = store.get_feature("occupation", oid)
    assert feat["status"] == "delisted" and feat["delisted_on"]
    assert [t.dst for t in W.allowed("restoration", "self_checked")] == ["spot_checked", "accepted", "failed"]
    with pytest.raises(TransitionError, match="no workflow"):
        W.allowed("zone", "active")


def test_edit_changes_fields_with_history_but_never_the_status(store, fid):
    with store.transaction() as tx:  # (work is assigned to an existing, enabled account only)
        store.put_user(tx, name="tuquan_inspector", display_name="突泉县核查员", role="inspector", counties=["152224"])
    v = W.edit(store, "change", fid, actor="组长", fields={"assigned_to": "tuquan_inspector"}, version=1)
    assert v == 2 and store.get_feature("change", fid)["assigned_to"] == "tuquan_inspector"
    with pytest.raises(ValidationError, match="status"):
        W.edit(store, "change", fid, actor="组长", fields={"status": "closed"})
    assert store.history("change", fid)[-1]["fields"] == {"assigned_to": "tuquan_inspector"}


def test_deadlines_and_overdue_are_derived_from_the_batch():
    batches = pd.DataFrame([{"id": 1, "verify_deadline": "2024-06-30", "rectify_deadline": "2024-12-31"}])
    frame = pd.DataFrame({
        "status": ["issued", "verifying", "verified", "rectifying", "rectifying", "closed"],
        "batch_id": [1, 1, 1, 1, 1, 1],
        "deadline": [None, None, None, None, "2024-08-01", None],
    })
    due = change_deadlines(frame, batches)
    assert due.tolist() == ["2024-06-30", "2024-06-30", "2024-12-31", "2024-12-31", "2024-08-01", None]
    late = overdue(due, dt.date(2024, 9, 1))
    assert late.tolist() == [True, True, False, False, True, False]
