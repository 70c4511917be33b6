"""Guards that lead (issue 21): every step of the change workflow, tried with nothing filled in,
is refused with a message in the bureau's words naming what is missing (the table below is what
a user reads); a step that cannot succeed from here names the road to it; the same account never
accepts its own rectification or approves its own application — through the workflow and the CLI —
unless the bureau's configuration allows it for that step; forms go forward by default."""

from __future__ import annotations

import pytest

from geo.access.auth import Access
from geo.core.errors import GeoError, PermissionDenied, TransitionError
from geo.declare import registry as S
from geo.engine import workflow as W
from tests.helpers import jpeg
from tests.review_support import PASSWORD, TQ, add_accounts, config, geo_cli, polygons_in, to_verified

ADMIN = Access("admin", "admin", None)

# (from, to): what an administrator (who may make every step) reads when the form is empty. The
# record is at ``from``; at 已验收 it is an illegal polygon (its closure rule applies).
EMPTY_FORM = {
    ("verifying", "verified"): "“提交核查结论”需要填写：核查结论",
    ("verified", "verifying"): "“退回重新核查”需要填写原因说明",
    ("verified", "closed"): "“核查销号”需要填写：核查结论",
    ("verified", "case_filed"): "“移交立案”需要填写：核查结论、立案号",
    ("case_filed", "penalized"): "“作出处罚”需要填写：处罚决定书号、罚款(元)",
    ("penalized", "rectifying"): "“开始整改”需要填写：整改措施",
    ("rectifying", "rectified"): "“整改完成”需要上传：整改完成的现场照片或整改材料（复绿、拆除、补办手续的凭证）",
    ("rectified", "rectifying"): "“验收退回”需要填写原因说明",
    ("rectified", "accepted"): "“验收通过”需要上传：验收记录（验收意见或验收单，验收组签字）",
    ("accepted", "closed"): "“销号”（违法违规（立案查处、整改验收后销号））需要填写：立案号、处罚决定书号、罚款(元)、整改方式；"
                            "需要上传：整改验收材料（验收意见、整改后现场照片）",
    ("closed", "rectifying"): "“回头看反弹，重新整改”需要填写原因说明",
    ("verified", "applied"): "“申请销号”需要填写：核查结论",
    ("accepted", "applied"): "“申请销号”（违法违规（立案查处、整改验收后销号））需要填写：立案号、处罚决定书号、罚款(元)、"
                             "整改方式；需要上传：整改验收材料（验收意见、整改后现场照片）",
    ("returned", "applied"): "“补充材料重新申报”需要填写原因说明",
    ("applied", "closed"): "按现行配置，盟市审核通过后须报省级抽查，不能直接销号",
    ("applied", "reviewed"): "突泉县尚未对该图斑所在的待审核图斑抽取复核样本，请先在审核队列中抽样，再审核通过",
    ("applied", "returned"): "“退回旗县”需要填写原因说明",
    ("reviewed", "closed"): "突泉县尚未对该图斑所在的待审核图斑抽取复核样本，请先在审核队列中抽样，再审核通过",
    ("reviewed", "returned"): "“退回旗县”需要填写原因说明",
    ("returned", "verifying"): "“重新核查”需要填写原因说明",
    ("returned", "rectifying"): "“重新整改”需要填写原因说明",
}


def at_status(store, status: str, verdict=None, x0=121.5) -> int:
    """A polygon put straight into ``status`` (the table is about each step's own guard, not the road)."""
    fid = polygons_in(store, 1, x0=x0)[0]
    with store.transaction() as tx:
        tx.execute("UPDATE change_polygons SET status = ?, verdict = ? WHERE id = ?", [status, verdict, fid])
    return fid


def test_every_step_with_an_empty_form_names_what_is_missing(tmp_path):
    from geo.store import open_store

    store = open_store(str(tmp_path / "guards.gpkg"), create=True)
    steps = [(src, t.dst) for t in S.layer("change").transitions for src in t.src if src != "issued"]
    assert set(steps) == set(EMPTY_FORM), "a step of the change workflow has no expected message in the table"
    for i, (src, dst) in enumerate(steps):
        fid = at_status(store, src, "illegal" if src == "accepted" else None, x0=121.5 + 0.01 * i)
        with pytest.raises(GeoError) as err:
            W.transition(store, "change", fid, dst, actor="admin", access=ADMIN)
        assert err.value.zh == EMPTY_FORM[(src, dst)], (src, dst)
        assert store.get_feature("change", fid)["status"] == src  # refused: nothing changed


def test_an_illegal_polygon_is_told_the_road_to_closure_and_the_form_does_not_offer_it(store):
    fid = polygons_in(store, 1)[0]
    to_verified(store, fid, "illegal", "51 毁林(湿)开垦-种植", access=TQ)
    want = ("核查结论为“违法违规”的变化图斑需先依次办理：移交立案（立案号） → 作出处罚（处罚决定书号、罚款(元)） → "
            "开始整改（整改措施） → 整改完成 → 验收通过，方可“申请销号”")
    with pytest.raises(TransitionError) as err:
        W.transition(store, "change", fid, "applied", actor="tq", access=TQ, attachments=[("a.jpg", jpeg())])
    assert err.value.zh == want
    feat = store.get_feature("change", fid)
    steps = W.allowed("change", feat["status"], access=TQ)
    apply = next(t for t in steps if t.dst == "applied")
    assert W.blocked(store, "change", feat, apply, "tq").zh == want  # shown disabled, with that reason
    assert W.blocked(store, "change", feat, next(t for t in steps if t.dst == "case_filed"), "tq") is None
    # the form's default is the first step offered: forward, never 退回重新核查
    assert steps[0].dst == "case_filed" and steps[-1].back


def test_forms_go_forward_by_default_from_every_status():
    lyr = S.layer("change")
    for status in lyr.statuses:
        steps = W.allowed("change", status)
        if steps:
            assert not steps[0].back, status
            assert [t.back for t in steps] == sorted(t.back for t in steps), status


def rectified_by(store, fid, who: str) -> None:
    to_verified(store, fid, "illegal", "51 毁林(湿)开垦-种植", access=TQ)
    W.transition(store, "change", fid, "case_filed", actor="执法大队", fields={"case_no": "突林草罚立字〔2026〕第1号"})
    W.transition(store, "change", fid, "penalized", actor="执法大队",
                 fields={"decision_no": "突林草罚决字〔2026〕第1号", "fine_yuan": "2000"})
    W.transition(store, "change", fid, "rectifying", actor=who, fields={"measure": "恢复植被"})
    W.transition(store, "change", fid, "rectified", actor=who, attachments=[("整改后.jpg", jpeg())])


def test_no_one_accepts_their_own_rectification(store):
    fid = polygons_in(store, 1)[0]
    rectified_by(store, fid, "tq")
    for to in ("accepted", "rectifying"):  # neither 验收通过 nor 验收退回
        with pytest.raises(PermissionDenied) as err:
            W.transition(store, "change", fid, to, actor="tq", access=TQ, comment="自己验收",
                         attachments=[("验收单.jpg", jpeg())])
        assert "须由“整改完成”登记人以外的人员办理" in err.value.zh and "tq" in err.value.zh
    assert store.get_feature("change", fid)["status"] == "rectified"
    feat = store.get_feature("change", fid)
    accept = W.find("change", "rectified", "accepted")
    assert W.blocked(store, "change", feat, accept, "tq") is not None  # the form shows it disabled
    assert W.blocked(store, "change", feat, accept, "验收组") is None
    W.transition(store, "change", fid, "accepted", actor="验收组", attachments=[("验收单.jpg", jpeg())])
    assert store.get_feature("change", fid)["status"] == "accepted"


def test_a_bureau_may_let_one_account_accept_what_it_rectified(store, tmp_path, monkeypatch):
    monkeypatch.setenv("FOREST_CONFIG", config(tmp_path, '[review]\nsame_person = ["accepted"]\n')["FOREST_CONFIG"])
    fid = polygons_in(store, 1)[0]
    rectified_by(store, fid, "tq")
    W.transition(store, "change", fid, "accepted", actor="tq", access=TQ, attachments=[("验收单.jpg", jpeg())])
    assert store.get_feature("change", fid)["status"] == "accepted"


def test_an_unknown_step_in_same_person_is_refused(tmp_path, monkeypatch):
    from geo.change import closure
    from geo.core.errors import ConfigError

    monkeypatch.setenv("FOREST_CONFIG", config(tmp_path, '[review]\nsame_person = ["everything"]\n')["FOREST_CONFIG"])
    with pytest.raises(ConfigError) as err:
        closure.review_settings()
    assert "same_person" in err.value.zh


def test_the_cli_refuses_the_same_account_and_allows_another(tmp_path):
    from geo.store import open_store

    db = tmp_path / "cli.gpkg"
    store = open_store(str(db), create=True)
    add_accounts(store)
    fid = polygons_in(store, 1)[0]
    rectified_by(store, fid, "tq")
    photo = tmp_path / "验收单.jpg"
    photo.write_bytes(jpeg())
    refused = geo_cli("transition", "--layer", "change", "--id", fid, "--to", "accepted", "--actor", "tq",
                      "--attach", photo, db=db, env={"FOREST_PASSWORD": PASSWORD})
    assert refused.returncode != 0
    assert "须由“整改完成”登记人以外的人员办理" in refused.stderr + refused.stdout
    assert store.get_feature("change", fid)["status"] == "rectified"
    allowed = geo_cli("transition", "--layer", "change", "--id", fid, "--to", "accepted", "--actor", "admin",
                      "--attach", photo, db=db, env={"FOREST_PASSWORD": PASSWORD}, check=0)
    assert allowed.returncode == 0
    assert store.get_feature("change", fid)["status"] == "accepted"


def test_a_form_names_every_required_field_left_empty_at_once():
    t = W.find("change", "case_filed", "penalized")
    need = W.requirements("change", {"status": "case_filed"}, t)
    err = W.form_missing("change", t, need, {"decision_no": "", "fine_yuan": None}, files=[], comment="")
    assert err.zh == "“作出处罚”需要填写：处罚决定书号、罚款(元)"
    assert W.form_missing("change", t, need, {"decision_no": "x", "fine_yuan": 1.0}, files=[], comment="") is None
    # the reason and the evidence too, with the fields, in one message
    back = W.find("change", "rectified", "rectifying")
    err = W.form_missing("change", back, W.requirements("change", {"status": "rectified"}, back), {}, [], "")
    assert err.zh == "“验收退回”需要填写原因说明"
    done = W.find("change", "rectifying", "rectified")
    err = W.form_missing("change", done, W.requirements("change", {"status": "rectifying"}, done), {}, [], "")
    assert err.zh == "“整改完成”需要上传：整改完成的现场照片或整改材料（复绿、拆除、补办手续的凭证）"


def test_a_negative_fine_is_refused_in_the_users_words(store):
    fid = at_status(store, "case_filed", "illegal")
    with pytest.raises(GeoError) as err:
        W.transition(store, "change", fid, "penalized", actor="执法大队",
                     fields={"decision_no": "突林草罚决字〔2026〕第2号", "fine_yuan": "-500"})
    assert "不小于 0" in err.value.zh and store.get_feature("change", fid)["status"] == "case_filed"
