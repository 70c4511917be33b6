"""Closure requirements by verdict and cause (geo/closure_rules.toml): each cause's guard refuses
what is missing and names it, through the library and the CLI, then lets the complete application
through; the area and date checks record findings instead of closing; the table is configuration."""

from __future__ import annotations

import json

import pytest

from geo.change import closure
from geo.engine import workflow as W
from geo.core.errors import ConfigError, PermissionDenied, TransitionError, ValidationError
from tests.helpers import jpeg, pdf
from tests.review_support import (LG, TQ, add_accounts, apply, config, geo_cli, polygons_in, to_accepted,
                                  to_verified)

# (name, kind, verdict, cause at verification, what the refusal names, what satisfies it)
CAUSES = [
    ("logging", "forest", "legal", "21 林木采伐_经审批", ["采伐许可证号", "许可采伐面积(公顷)"],
     {"cutting_permit_no": "兴林采字〔2024〕第018号", "permit_area_ha": "1.2"}),
    ("approved_use", "forest", "legal", "411 建设项目使用林地_经审批_永久", ["使用林地审核同意书文号", "审核同意书日期"],
     {"approval_no": "内林草审字〔2023〕112号", "approval_date": "2023-06-01"}),
    ("approved_use", "grassland", "legal", "建设项目占用草原_经审批", ["使用草原审核同意书文号", "审核同意书日期"],
     {"approval_no": "内草审字〔2023〕45号", "approval_date": "2023-06-01"}),
    ("no_change", "forest", "no_change", None, ["伪变化/无变化原因"], {"verified_cause": "植物季节性变化"}),
    ("legal_other", "forest", "legal", None, ["核实变化原因"], {"verified_cause": "60 森林抚育"}),
]


def _walk(store, kind, verdict, cause):
    (fid,) = polygons_in(store, 1, kind=kind)
    to_verified(store, fid, verdict, cause, access=TQ)
    return fid


@pytest.mark.parametrize("name, kind, verdict, cause, named, fields", CAUSES, ids=[c[0] + "-" + c[1] for c in CAUSES])
def test_each_cause_refuses_what_is_missing_then_applies(store, name, kind, verdict, cause, named, fields):
    fid = _walk(store, kind, verdict, cause)
    feat = store.get_feature("change", fid)
    t = W.find("change", "verified", "applied")
    need = W.requirements("change", feat, t)
    assert need.rule.key == name and need.rule.kind == kind
    assert [need.label(n) for n in need.requires if feat.get(n) in (None, "")] == named  # the form asks exactly this
    with pytest.raises(TransitionError) as info:
        W.transition(store, "change", fid, "applied", actor="tq", access=TQ)
    for label_ in named:
        assert label_ in info.value.zh
    assert "需要上传" in info.value.zh and "evidence" in info.value.details["missing"]
    assert store.get_feature("change", fid)["status"] == "verified"  # nothing written
    with pytest.raises(TransitionError) as info:  # the fields alone: still the evidence
        W.transition(store, "change", fid, "applied", actor="tq", access=TQ, fields=fields)
    assert info.value.details["missing"] == ["evidence"]
    v = apply(store, fid, **fields)
    feat = store.get_feature("change", fid)
    assert (feat["status"], feat["version"], feat["review_round"]) == ("applied", v, 1)
    assert feat["applied_at"] and all(feat.get(k) not in (None, "") for k in need.requires)


def test_illegal_needs_case_penalty_kind_of_measure_and_acceptance_evidence(store):
    (fid,) = polygons_in(store, 1)
    to_accepted(store, fid, measure="限期整改")  # a measure that names no kind
    with pytest.raises(TransitionError) as info:
        W.transition(store, "change", fid, "applied", actor="tq", access=TQ)
    assert "整改方式" in info.value.zh and "整改验收材料" in info.value.zh
    with pytest.raises(TransitionError, match="rectification kind must be one of"):
        apply(store, fid, measure_kind="种草")
    apply(store, fid, measure_kind="拆除")
    assert store.get_feature("change", fid)["measure_kind"] == "拆除"
    # a measure written as people write it gives its kind
    (other,) = polygons_in(store, 1, x0=121.6)
    to_accepted(store, other, measure="补植补造，恢复植被")
    apply(store, other)
    assert store.get_feature("change", other)["measure_kind"] == "恢复植被"


def test_a_legal_verdict_with_an_unapproved_cause_is_refused(store):
    fid = _walk(store, "forest", "legal", "22 林木采伐_未审批")
    with pytest.raises(TransitionError) as info:
        apply(store, fid)
    assert "矛盾" in info.value.zh


def test_logging_beyond_the_permit_is_a_finding_not_a_closure(store, tmp_path, monkeypatch):
    fid = _walk(store, "forest", "legal", "21 林木采伐_经审批")
    with pytest.raises(closure.FindingError) as info:
        apply(store, fid, cutting_permit_no="兴林采字〔2024〕第018号", permit_area_ha="1.0")  # 1.2 ha changed: +20%
    assert "超许可采伐" in info.value.zh and info.value.details["excess_ha"] == pytest.approx(0.2)
    feat = store.get_feature("change", fid)
    assert feat["status"] == "verified" and "permit_area_exceeded" in feat["flags"]
    last = store.history("change", fid)[-1]
    assert last["action"] == "finding" and "超许可采伐" in last["comment"]
    # a tolerance of 25% in the configuration accepts the same application (and clears the finding)
    monkeypatch.setenv("FOREST_CONFIG", config(tmp_path, "[review]\narea_tolerance_pct = 25\n")["FOREST_CONFIG"])
    apply(store, fid, cutting_permit_no="兴林采字〔2024〕第018号", permit_area_ha="1.0")
    feat = store.get_feature("change", fid)
    assert feat["status"] == "applied" and "permit_area_exceeded" not in (feat["flags"] or {})


def test_approval_dated_after_the_change_and_use_beyond_the_approval_are_findings(store):
    fid = _walk(store, "forest", "legal", "411 建设项目使用林地_经审批_永久")
    with pytest.raises(closure.FindingError) as info:
        apply(store, fid, approval_no="内林草审字〔2024〕9号", approval_date="2024-05-01")  # change seen 2024-03-01
    assert "先占后批" in info.value.zh
    with pytest.raises(closure.FindingError) as info:
        apply(store, fid, approval_no="内林草审字〔2023〕9号", approval_date="2023-05-01", approval_area_ha="0.5")
    assert "超审核使用" in info.value.zh
    flags = store.get_feature("change", fid)["flags"]
    assert {"approval_after_change", "approved_area_exceeded"} <= set(flags)
    apply(store, fid, approval_no="内林草审字〔2023〕9号", approval_date="2023-05-01", approval_area_ha="1.2")
    assert store.get_feature("change", fid)["status"] == "applied"


def test_the_county_applies_the_league_decides_and_nobody_forges_review_fields(store):
    fid = _walk(store, "forest", "no_change", "植物季节性变化")
    with pytest.raises(PermissionDenied):  # a reviewer does not apply for the county
        W.transition(store, "change", fid, "applied", actor="lg", access=LG, attachments=[("a.jpg", jpeg())])
    with pytest.raises(PermissionDenied):  # an inspector no longer closes on their own
        W.transition(store, "change", fid, "closed", actor="tq", access=TQ, attachments=[("a.jpg", jpeg())])
    assert [t.dst for t in W.allowed("change", "verified", TQ)] == ["case_filed", "applied", "verifying"]  # forward first
    with pytest.raises(ValidationError, match="kept by the"):
        W.edit(store, "change", fid, actor="tq", access=TQ, fields={"check_result": "pass"})
    with pytest.raises(ValidationError):
        W.transition(store, "change", fid, "applied", actor="tq", access=TQ, fields={"review_round": "5"},
                     attachments=[("a.jpg", jpeg())])
    apply(store, fid)
    assert [t.dst for t in W.allowed("change", "applied", TQ)] == []
    assert {t.dst for t in W.allowed("change", "applied", LG)} == {"reviewed", "returned"}  # (three levels)


def test_the_table_is_configuration(store, tmp_path, monkeypatch):
    rules = closure.BUILTIN.read_text(encoding="utf-8").replace(
        'key = "no_change"\nzh = "伪变化/无变化"\nen = "No change or false change"\nverdicts = ["no_change"]\n'
        'requires = ["verified_cause"]',
        'key = "no_change"\nzh = "伪变化/无变化"\nen = "No change or false change"\nverdicts = ["no_change"]\n'
        'requires = ["verified_cause", "land_now"]', 1)
    (tmp_path / "rules.toml").write_text(rules, encoding="utf-8")
    monkeypatch.setenv("FOREST_CONFIG", config(tmp_path, f'[review]\nclosure_rules = "{tmp_path / "rules.toml"}"\n')
                       ["FOREST_CONFIG"])
    fid = _walk(store, "forest", "no_change", "遥感数据质量")
    with pytest.raises(TransitionError) as info:
        apply(store, fid)
    assert "现地类" in info.value.zh
    apply(store, fid, land_now="乔木林地")
    bad = tmp_path / "bad.toml"
    bad.write_text('[forest]\n[[forest.rules]]\nkey = "x"\nverdicts = ["legal"]\nrequires = ["no_such_field"]\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        closure.load(bad)
    assert "no_such_field" in info.value.zh


# ------------------------------------------------------------------------------ through the CLI
@pytest.fixture
def cli_store(gpkg_url):
    from geo.store import open_store

    store = open_store(gpkg_url, create=True)
    add_accounts(store)
    return store


@pytest.mark.parametrize("name, kind, verdict, cause, named, fields", CAUSES[:2] + CAUSES[3:4],
                         ids=["logging", "approved_use", "no_change"])
def test_the_cli_refuses_naming_what_is_missing_then_applies(cli_store, gpkg_url, tmp_path, name, kind, verdict,
                                                             cause, named, fields):
    fid = _walk(cli_store, kind, verdict, cause)
    refused = geo_cli("transition", "--layer", "change", "--id", fid, "--to", "applied", "--actor", "tq",
                      db=gpkg_url, check=2)
    for label_ in named:
        assert label_ in refused.stderr
    as_json = json.loads(geo_cli("transition", "--layer", "change", "--id", fid, "--to", "applied", "--actor", "tq",
                                 "--json", db=gpkg_url, check=2).stdout)
    assert as_json["error"] == "TransitionError" and "evidence" in as_json["missing"]
    photo = tmp_path / "材料.jpg"
    photo.write_bytes(jpeg())
    args = [x for k, v in fields.items() for x in ("--field", f"{k}={v}")]
    geo_cli("transition", "--layer", "change", "--id", fid, "--to", "applied", "--actor", "tq", *args,
            "--attach", photo, db=gpkg_url, check=0)
    assert cli_store.get_feature("change", fid)["status"] == "applied"


def test_the_cli_names_the_illegal_requirements_and_records_a_finding(cli_store, gpkg_url, tmp_path):
    (fid,) = polygons_in(cli_store, 1)
    to_accepted(cli_store, fid, measure="限期整改")
    out = geo_cli("transition", "--layer", "change", "--id", fid, "--to", "applied", "--actor", "tq",
                  db=gpkg_url, check=2)
    assert "整改方式" in out.stderr and "整改验收材料" in out.stderr
    sheet = tmp_path / "验收意见.pdf"
    sheet.write_bytes(pdf())
    geo_cli("transition", "--layer", "change", "--id", fid, "--to", "applied", "--actor", "tq",
            "--field", "measure_kind=恢复植被", "--attach", sheet, db=gpkg_url, check=0)
    logging = _walk(cli_store, "forest", "legal", "21 林木采伐_经审批")
    out = geo_cli("transition", "--layer", "change", "--id", logging, "--to", "applied", "--actor", "tq",
                  "--field", "cutting_permit_no=兴林采字〔2024〕第018号", "--field", "permit_area_ha=0.6",
                  "--attach", sheet, db=gpkg_url, check=2)
    assert "超许可采伐" in out.stderr
    assert "permit_area_exceeded" in cli_store.get_feature("change", logging)["flags"]
    rules = json.loads(geo_cli("review", "rules", "--json", db=gpkg_url, check=0).stdout)
    assert {(r["key"], r["kind"]) for r in rules} >= {("logging", "森林督查变化图斑"), ("approved_use", "草原变化图斑")}
