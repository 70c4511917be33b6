"""What closing a change polygon needs, by verdict and change cause (销号要件), and the checks on it.

The requirements are a table people can read and a bureau can change: ``geo/closure_rules.toml``
(or the file named by ``[review] closure_rules`` in forest.toml), one table for forest-supervision
polygons and one for grassland polygons. Each rule names the verdicts and causes it applies to,
the fields it requires, the evidence to upload and the automatic checks (see the file's header).

Where it applies: the county's application for closure (申请销号, → ``applied``), a re-submission
after a send-back, and an administrator's direct closure. :func:`requirements` tells a form what
to ask for; :func:`guard` is called by :func:`geo.engine.workflow.transition` inside its transaction and
refuses what is missing, naming it (the CLI prints that and exits 2). The area checks do not just
refuse: an excess over the tolerance is a **finding** (问题线索) recorded on the polygon
(:func:`record_finding`, a ``finding`` event and a flag), because a polygon logged beyond its
permit or used beyond its approval is itself a case, not a closure.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from geo.core.config import PROJECT_ROOT, ReviewSettings, load_settings
from geo.core.errors import ConfigError, TransitionError
from geo.declare import registry as S
from geo.declare.base import Requirements
from geo.declare.base import Transition
from geo.core.timeutil import as_date
from geo.access.scope import unwrap

BUILTIN = Path(__file__).resolve().parent / "closure_rules.toml"
KINDS = ("forest", "grassland")
CHECKS = ("permit_area", "approved_area", "approval_before_change", "measure")
# (from, to) steps that close or ask to close a polygon: the table applies to them
CLOSING = {("verified", "applied"), ("accepted", "applied"), ("returned", "applied"),
           ("verified", "closed"), ("accepted", "closed")}
FINDINGS = {
    "permit_area_exceeded": ("超许可采伐（图斑面积超过采伐许可面积）", "Logged beyond the permit"),
    "approved_area_exceeded": ("超审核使用（图斑面积超过审核面积）", "Used beyond the approved area"),
    "approval_after_change": ("先占后批（审核同意书晚于变化）", "Approved only after the change"),
}


class FindingError(TransitionError):
    """The application was refused because the check found a problem with the polygon itself; the
    finding is recorded on the polygon (see :func:`record_finding`)."""


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    zh: str
    en: str
    verdicts: tuple[str, ...]
    causes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    evidence: str = ""
    checks: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    rectified_evidence: str = ""  # what 整改完成 uploads for this cause (default: STEP_EVIDENCE)
    accepted_evidence: str = ""  # what 验收通过 uploads

    def label(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Table:
    kind: str
    zh: str
    en: str
    measures: tuple[tuple[str, tuple[str, ...]], ...]
    rules: tuple[Rule, ...]

    @property
    def measure_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.measures)


# ------------------------------------------------------------------------------ loading
def _tuple(value, what: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {what} must be a list of texts", f"{where}：{what} 应为文字列表")
    return tuple(value)


def _parse(data: dict, where: str) -> dict[str, Table]:

    out = {}
    for kind in KINDS:
        part = data.get(kind)
        if not isinstance(part, dict) or not part.get("rules"):
            raise ConfigError(f"{where}: a [{kind}] table with [[{kind}.rules]] is required",
                              f"{where}：缺少 [{kind}] 表及其 [[{kind}.rules]] 规则")
        rules = []
        for i, r in enumerate(part["rules"], start=1):
            at = f"{where} [[{kind}.rules]] #{i}"
            if not r.get("key") or not r.get("verdicts"):
                raise ConfigError(f"{at}: key and verdicts are required", f"{at}：需要 key 和 verdicts")
            rule = Rule(
                key=str(r["key"]), kind=kind, zh=str(r.get("zh") or r["key"]), en=str(r.get("en") or r["key"]),
                verdicts=_tuple(r["verdicts"], "verdicts", at), causes=_tuple(r.get("causes"), "causes", at),
                excludes=_tuple(r.get("excludes"), "excludes", at),
                requires=_tuple(r.get("requires"), "requires", at), optional=_tuple(r.get("optional"), "optional", at),
                evidence=str(r.get("evidence") or ""), checks=_tuple(r.get("checks"), "checks", at),
                labels=tuple((str(k), str(v)) for k, v in (r.get("labels") or {}).items()),
                rectified_evidence=str(r.get("rectified_evidence") or ""),
                accepted_evidence=str(r.get("accepted_evidence") or ""),
            )
            for name in (*rule.requires, *rule.optional, *(k for k, _ in rule.labels)):
                if not S.layer("change").has(name) or S.layer("change").field(name).internal:
                    raise ConfigError(f"{at}: '{name}' is not a field of change polygons",
                                      f"{at}：“{name}”不是变化图斑的字段")
            bad = [c for c in rule.checks if c not in CHECKS]
            if bad:
                raise ConfigError(f"{at}: unknown checks {bad}; known: {list(CHECKS)}",
                                  f"{at}：未知核对项 {bad}，可用：{'、'.join(CHECKS)}")
            bad = [v for v in rule.verdicts if v not in ("legal", "illegal", "no_change", "other")]
            if bad:
                raise ConfigError(f"{at}: unknown verdicts {bad}", f"{at}：未知核查结论 {bad}")
            rules.append(rule)
        measures = tuple((str(k), _tuple(v, f"measures.{k}", where)) for k, v in (part.get("measures") or {}).items())
        out[kind] = Table(kind, str(part.get("zh") or kind), str(part.get("en") or kind), measures, tuple(rules))
    return out


_CACHE: dict = {}


def load(path: str | os.PathLike | None = None) -> dict[str, Table]:
    """The requirement tables of ``path`` (default: the built-in file), read once per change."""
    p = Path(path) if path else BUILTIN
    if not p.is_absolute():
        p = PROJECT_ROOT / p
    try:
        stamp = p.stat().st_mtime_ns
    except OSError as ex:
        raise ConfigError(f"closure rules file {p} cannot be read: {ex.strerror}",
                          f"销号要件文件 {p} 无法读取：{ex.strerror}") from ex
    hit = _CACHE.get(str(p))
    if hit and hit[0] == stamp:
        return hit[1]
    try:
        with open(p, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as ex:
        raise ConfigError(f"{p} is not valid TOML: {ex}", f"销号要件文件 {p} 格式错误：{ex}") from ex
    tables = _parse(data, p.name)
    _CACHE[str(p)] = (stamp, tables)
    return tables


_SETTINGS: dict = {}


def review_settings(settings=None) -> ReviewSettings:
    """The ``[review]`` settings: from ``settings`` when given, else as configured now (forest.toml
    or ``FOREST_CONFIG``, re-read when the file changes)."""
    if settings is not None:
        return settings.review if hasattr(settings, "review") else settings
    cfg = Path(os.environ.get("FOREST_CONFIG") or PROJECT_ROOT / "forest.toml")
    try:
        stamp = cfg.stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (str(cfg), stamp)
    if key not in _SETTINGS:
        _SETTINGS.clear()
        _SETTINGS[key] = load_settings().review
    return _SETTINGS[key]


def tables(settings=None) -> dict[str, Table]:
    return load(review_settings(settings).closure_rules or None)


# ------------------------------------------------------------------------------ matching
_CODE = re.compile(r"^\s*(\d{2,3})(?!\d)")


def kind_of(feature: dict) -> str:
    kind = str(feature.get("kind") or "forest")
    return kind if kind in KINDS else "forest"


def cause_text(feature: dict) -> str:
    """The change cause a rule is matched against: the verified cause, else the interpreted one."""
    for name in ("verified_cause", "change_cause"):
        v = feature.get(name)
        if v is not None and str(v).strip() and str(v) != "nan":
            return str(v).strip()
    return ""


def matches(cause: str, pattern: str) -> bool:
    """A numeric pattern is a cause code ("21" matches "21 林木采伐_经审批", not "211"); any other
    pattern is a phrase the cause text contains."""
    if pattern.isdigit():
        m = _CODE.match(cause)
        return bool(m) and m.group(1) == pattern
    return pattern in cause


def rule_for(feature: dict, settings=None) -> Rule | None:
    """The first rule of the polygon's table whose verdicts and causes fit it (None: no verdict)."""
    verdict = feature.get("verdict")
    if not verdict:
        return None
    table = tables(settings)[kind_of(feature)]
    cause = cause_text(feature)
    for rule in table.rules:
        if verdict not in rule.verdicts:
            continue
        if not rule.causes or any(matches(cause, p) for p in rule.causes):
            return rule
    return None


def measure_kind(text, table: Table) -> str | None:
    """The kind of rectification a measure's text describes (恢复植被 / 拆除 / 补办手续 / 没收)."""
    if text is None or not str(text).strip():
        return None
    text = str(text)
    for name, words in table.measures:
        if text == name or any(w in text for w in words):
            return name
    return None


# ------------------------------------------------------------------------------ what a step needs
def is_closing(src: str, dst: str) -> bool:
    return (src, dst) in CLOSING


# the evidence of the steps where the act happens, unless the cause's rule names its own
STEP_EVIDENCE = {("rectifying", "rectified"): ("rectified_evidence", "整改完成的现场照片或整改材料（复绿、拆除、补办手续的凭证）"),
                 ("rectified", "accepted"): ("accepted_evidence", "验收记录（验收意见或验收单，验收组签字）")}


def requirements(feature: dict, transition, settings=None) -> Requirements:
    """What ``transition`` needs for ``feature``: the cause's closure requirements for a closing
    step, the evidence of 整改完成 and 验收 by the cause's rule, the transition's own guard
    otherwise."""
    t = transition
    src = feature.get("status")
    step = STEP_EVIDENCE.get((src, t.dst))
    if step is not None:
        rule = rule_for(feature, settings)
        note = (getattr(rule, step[0], "") if rule is not None else "") or step[1]
        return Requirements(tuple(t.requires), tuple(t.optional), dict(t.values), True, note,
                            comment=bool(t.comment), layer=S.layer("change"))
    if not is_closing(src, t.dst):
        return Requirements(tuple(t.requires), tuple(t.optional), dict(t.values), bool(t.evidence),
                            comment=bool(t.comment), layer=S.layer("change"))
    rule = rule_for(feature, settings)
    if rule is None:
        return Requirements(tuple(t.requires), tuple(t.optional), dict(t.values), bool(t.evidence),
                            comment=bool(t.comment), layer=S.layer("change"))
    table = tables(settings)[rule.kind]
    requires = tuple(n for n in rule.requires if n != "verdict")
    optional = tuple(dict.fromkeys(n for n in (*rule.optional, *t.optional) if n not in requires and n != "verdict"))
    values = {"measure_kind": table.measure_names} if "measure" in rule.checks else {}
    evidence = bool(rule.evidence) or bool(t.evidence)
    return Requirements(requires, optional, values, evidence, rule.evidence, bool(t.comment), rule, dict(rule.labels),
                        layer=S.layer("change"))


def needs(feature: dict, settings=None) -> Requirements:
    """What closing ``feature`` needs by its cause, whatever its status (for reviewers' pages)."""

    src = "accepted" if feature.get("verdict") == "illegal" else "verified"
    return requirements({**feature, "status": src}, Transition((src,), "applied", "申请销号", "Apply for closure"),
                        settings)


# ------------------------------------------------------------------------------ the guard
def _area(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if v != v else v


def guard(current: dict, merged: dict, t, fields: dict, files: list, settings=None) -> dict:
    """Check a closing step against the polygon's rule (called by :func:`geo.engine.workflow.transition`
    inside its transaction). Returns fields to set with the step (a derived 整改方式, cleared
    findings); raises :class:`~geo.core.errors.TransitionError` naming what is missing, or
    :class:`FindingError` when a check finds a problem with the polygon itself."""

    src = current.get("status")
    if not is_closing(src, t.dst):
        return {}
    rule = rule_for(merged, settings)
    verb = t.zh
    if rule is None:
        raise TransitionError(
            f"no closure rule fits verdict '{merged.get('verdict')}' and cause '{cause_text(merged)}'; "
            "check the verdict or the closure rules table",
            f"“{verb}”：核查结论“{S.label('verdict', merged.get('verdict'))}”、变化原因“{cause_text(merged) or '未填写'}”"
            "没有对应的销号要件规则，请核对核查结论或销号要件表", missing=["verdict"])
    table = tables(settings)[rule.kind]
    req = requirements({**merged, "status": src}, t, settings)
    out: dict = {}
    cause = cause_text(merged)
    bad = [w for w in rule.excludes if w in cause]
    if bad:
        raise TransitionError(
            f"the cause '{cause}' contradicts the verdict '{merged.get('verdict')}'",
            f"“{verb}”：变化原因“{cause}”与核查结论“{S.label('verdict', merged.get('verdict'))}”矛盾，"
            "请重新核查或改正变化原因", field="verified_cause")
    if "measure" in rule.checks and merged.get("measure_kind") in (None, ""):
        derived = measure_kind(merged.get("measure"), table)
        if derived:
            out["measure_kind"] = derived
            merged = {**merged, "measure_kind": derived}
    missing = [n for n in req.requires if merged.get(n) in (None, "")]
    no_files = bool(rule.evidence) and not files
    if missing or no_files:
        zh = [f"需要填写：{'、'.join(req.label(n) for n in missing)}"] if missing else []
        zh += [f"需要上传：{rule.evidence}"] if no_files else []
        en = [f"these are required: {', '.join(missing)}"] if missing else []
        en += [f"attach the evidence: {rule.evidence}"] if no_files else []
        raise TransitionError(f"to {t.en.lower()} as '{rule.en}' " + "; ".join(en),
                              f"“{verb}”（{rule.zh}）" + "；".join(zh),
                              missing=missing + (["evidence"] if no_files else []), rule=rule.key)
    if "measure" in rule.checks and merged.get("measure_kind") not in table.measure_names:
        raise TransitionError(
            f"the rectification kind must be one of {', '.join(table.measure_names)}",
            f"“{verb}”：整改方式只能是{'、'.join(table.measure_names)}（当前为“{merged.get('measure_kind')}”）",
            field="measure_kind", missing=["measure_kind"])
    _check_findings(current, merged, rule, review_settings(settings), verb)
    flags = dict(current.get("flags") or {})
    if any(k in flags for k in FINDINGS):  # an earlier finding the county has since resolved
        out["flags"] = {k: v for k, v in flags.items() if k not in FINDINGS} or None
    return out


def _check_findings(current: dict, merged: dict, rule: Rule, review: ReviewSettings, verb: str) -> None:

    tol = float(review.area_tolerance_pct)
    area = _area(current.get("area_ha"))
    for check, field_name, key in (("permit_area", "permit_area_ha", "permit_area_exceeded"),
                                   ("approved_area", "approval_area_ha", "approved_area_exceeded")):
        if check not in rule.checks:
            continue
        allowed = _area(merged.get(field_name))
        if area is None or allowed is None:
            continue
        if area > allowed * (1 + tol / 100.0):
            excess = area - allowed
            pct = 100.0 * excess / allowed if allowed else float("inf")
            what = "采伐许可面积" if key == "permit_area_exceeded" else "审核面积"
            text = (f"图斑面积 {area:.4f} 公顷超过{what} {allowed:.4f} 公顷，超出 {excess:.4f} 公顷"
                    f"（{pct:.1f}%，容差 {tol:g}%）")
            raise FindingError(
                f"the polygon ({area:.4f} ha) exceeds the {'permitted' if key == 'permit_area_exceeded' else 'approved'} "
                f"area ({allowed:.4f} ha) by {excess:.4f} ha ({pct:.1f}%, tolerance {tol:g}%): recorded as a "
                "finding, not closed",
                f"“{verb}”未通过：{text}，已记为问题线索“{FINDINGS[key][0]}”，不能按“{rule.zh}”销号，"
                "请按违法违规图斑查处", finding=key, finding_text=text, excess_ha=round(excess, 4))
    if "approval_before_change" in rule.checks:
        approved = as_date(merged.get("approval_date"))
        changed = as_date(merged.get("after_date"))
        if approved is not None and changed is not None and approved > changed:
            text = f"审核同意书日期 {approved.isoformat()} 晚于变化（后期影像时间 {changed.isoformat()}）"
            raise FindingError(
                f"the approval ({approved}) is dated after the change ({changed}): recorded as a finding",
                f"“{verb}”未通过：{text}，已记为问题线索“{FINDINGS['approval_after_change'][0]}”，"
                "不属于合法使用，请按违法违规图斑查处", finding="approval_after_change", finding_text=text)


def record_finding(store, layer: str, fid: int, err: FindingError, actor: str) -> None:
    """Record a finding on the polygon (a flag it keeps, and a ``finding`` event saying what was
    found and by whose application), after the refused step was rolled back."""

    raw, _ = unwrap(store)
    key = err.details.get("finding")
    with raw.transaction() as tx:
        cur = raw.get_feature(layer, fid, tx=tx)
        flags = dict(cur.get("flags") or {})
        if flags.get(key) == err.details.get("finding_text"):
            return  # the same finding is on record already
        flags[key] = err.details.get("finding_text")
        raw.update_feature(tx, layer, fid, expected_version=None, changes={"flags": flags}, actor=actor,
                           action="finding", comment=f"{FINDINGS[key][0]}：{err.details.get('finding_text')}")


def describe(settings=None, lang: str = "zh") -> list[dict]:
    """The tables as rows for people (the review page shows them; ``python -m geo review rules``)."""

    rows = []
    for kind, table in tables(settings).items():
        for rule in table.rules:
            labels = dict(rule.labels)

            def name(n, labels=labels):
                return labels.get(n) if lang == "zh" and n in labels else S.layer("change").field(n).label(lang)

            rows.append({
                "kind": table.zh if lang == "zh" else table.en, "rule": rule.label(lang), "key": rule.key,
                "verdicts": "、".join(S.label("verdict", v, lang) for v in rule.verdicts),
                "causes": "、".join(rule.causes) or ("其余原因" if lang == "zh" else "any other cause"),
                "requires": "、".join(name(n) for n in rule.requires),
                "evidence": rule.evidence, "checks": "、".join(rule.checks),
                "measures": "、".join(table.measure_names) if "measure" in rule.checks else "",
            })
    return rows
