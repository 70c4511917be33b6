"""Status machines of every layer, their guards, and transitions with optimistic locking.

A transition is one transaction: the feature's status and fields change, the evidence files are
stored by hash, and one event (who, when, from, to, comment, fields, evidence) is appended — or
nothing happens at all. A caller that read version V passes ``version=V``; if the feature has
changed since, :class:`~geo.core.errors.ConflictError` says who changed it and nothing is written.

Deadlines and overdue are derived (:func:`change_deadlines`), never typed in: a polygon's deadline
comes from its batch (verification deadline while it is being verified, rectification deadline
after), unless a rectification deadline was set for it when rectification started.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from geo.core import evidence as ev
from geo.declare import schema as S
from geo.core.errors import PermissionDenied, TransitionError, ValidationError
from geo.declare.base import Transition
from geo.access.scope import unwrap
from geo.store.base import Store
from geo.core.timeutil import as_date, local_date, now_utc, to_utc_text

VERDICTS = ("legal", "illegal", "no_change", "other")


CHANGE_MACHINE = (
    Transition(("issued",), "verifying", "开始核查", "Start verification"),
    Transition(
        ("verifying",),
        "verified",
        "提交核查结论",
        "Record verdict",
        requires=("verdict",),
        values={"verdict": VERDICTS},
        optional=("verified_cause", "land_use_nature", "approval_no", "land_now", "party"),
    ),
    Transition(("verified",), "verifying", "退回重新核查", "Send back for re-verification",
               comment=True),
    Transition(
        ("verified",),
        "closed",
        "核查销号",
        "Close (legal / no change)",
        requires=("verdict",),
        values={"verdict": ("legal", "no_change", "other")},
        evidence=True,
        roles=("admin",),  # counties apply for closure (申请销号) instead: see the review steps below
    ),
    Transition(
        ("verified",),
        "case_filed",
        "移交立案",
        "File a case",
        requires=("verdict", "case_no"),
        values={"verdict": ("illegal",)},
        optional=("party",),
    ),
    Transition(
        ("case_filed",),
        "penalized",
        "作出处罚",
        "Record penalty",
        requires=("decision_no", "fine_yuan"),
    ),
    Transition(
        ("penalized",),
        "rectifying",
        "开始整改",
        "Start rectification",
        requires=("measure",),
        optional=("deadline",),
    ),
    Transition(("rectifying",), "rectified", "整改完成", "Rectified",
               optional=("rectified_area_mu",)),
    Transition(("rectified",), "rectifying", "验收退回", "Return to rectification", comment=True),
    Transition(("rectified",), "accepted", "验收通过", "Accept"),
    Transition(("accepted",), "closed", "销号", "Close", evidence=True, roles=("admin",)),
    Transition(
        ("closed",),
        "rectifying",
        "回头看反弹，重新整改",
        "Look-back found a relapse: rectify again",
        comment=True,
        optional=("measure", "deadline"),
    ),
    # ---- the closure review (geo.change.review): what each application needs comes from the polygon's
    # cause (geo.change.closure, see requirements()); approval rules and stamps from geo.change.review
    Transition(("verified",), "applied", "申请销号", "Apply for closure", requires=("verdict",),
               values={"verdict": ("legal", "no_change", "other")}, evidence=True,
               roles=("inspector",)),
    Transition(("accepted",), "applied", "申请销号", "Apply for closure", requires=("verdict",),
               values={"verdict": ("illegal",)}, evidence=True, roles=("inspector",)),
    Transition(("returned",), "applied", "补充材料重新申报", "Re-submit with what was asked",
               evidence=True, comment=True, roles=("inspector",)),
    Transition(("applied",), "closed", "审核通过（销号）", "Approve (close)", roles=("league_reviewer",)),
    Transition(("applied",), "reviewed", "盟市审核通过（报省级抽查）", "Approve (on to the province)",
               roles=("league_reviewer",)),
    Transition(("applied",), "returned", "退回旗县", "Send back to the county", comment=True,
               roles=("league_reviewer",)),
    Transition(("reviewed",), "closed", "省级抽查通过（销号）", "Approve (close)", roles=("province_checker",)),
    Transition(("reviewed",), "returned", "退回旗县", "Send back to the county", comment=True,
               roles=("province_checker",)),
    Transition(("returned",), "verifying", "重新核查", "Verify again", comment=True, roles=("inspector",)),
    Transition(("returned",), "rectifying", "重新整改", "Rectify again", comment=True,
               optional=("measure", "deadline"), roles=("inspector",)),
)

OCCUPATION_MACHINE = (
    Transition(("found",), "case_filed", "立案", "File a case", requires=("case_no",),
               optional=("party",)),
    Transition(("case_filed",), "penalized", "处罚", "Record penalty",
               requires=("decision_no", "fine_yuan")),
    Transition(("penalized",), "rectifying", "整改", "Start rectification",
               optional=("deadline",)),
    Transition(("rectifying",), "accepted", "验收", "Accept", evidence=True),
    Transition(("accepted",), "rectifying", "验收后反弹", "Relapse after acceptance", comment=True),
    Transition(("accepted",), "delisted", "摘牌", "Delist", requires=("delisted_by",),
               evidence=True),
)

RESTORATION_MACHINE = (
    Transition(("planned",), "in_progress", "开工实施", "Start work"),
    Transition(("in_progress", "failed"), "self_checked", "完成自验", "Self-check done",
               requires=("completed_mu",)),
    Transition(("self_checked",), "spot_checked", "盟级抽查", "Spot-checked"),
    Transition(("self_checked", "spot_checked"), "accepted", "验收合格", "Accepted",
               evidence=True),
    Transition(("self_checked", "spot_checked"), "failed", "验收不合格", "Failed", comment=True),
    Transition(("failed",), "in_progress", "返工", "Rework", comment=True),
)

SIGNBOARD_MACHINE = (
    Transition(("ok", "stale"), "damaged", "登记损坏", "Report damage"),
    Transition(("ok", "damaged"), "stale", "登记信息过期", "Report stale information"),
    Transition(("damaged", "stale"), "ok", "更新/修复完成", "Repaired or updated",
               evidence=True, optional=("chief_name", "chief_post", "phone")),
    Transition(("ok", "damaged", "stale"), "retired", "撤除", "Retire", comment=True),
)

ITEM_MACHINE = (
    Transition(("in_progress",), "done", "完成整改", "Done"),
    Transition(("in_progress",), "long_term", "转为长期坚持", "Long-term"),
    Transition(("long_term",), "done", "完成整改", "Done"),
    Transition(("done", "long_term"), "in_progress", "重新打开", "Reopen", comment=True),
)

# (ITEM_MACHINE: rectification items, driven by geo.items.items)

MACHINES: dict[str, tuple[Transition, ...]] = {
    "change": CHANGE_MACHINE,
    "occupation": OCCUPATION_MACHINE,
    "restoration": RESTORATION_MACHINE,
    "signboard": SIGNBOARD_MACHINE,
}

# Fields a transition stamps automatically when the caller did not give them.
_STAMPS = {
    ("change", "verified"): {"verified_on": "today", "verified_by": "actor"},
    ("occupation", "delisted"): {"delisted_on": "today"},
    ("signboard", "ok"): {"last_inspected_on": "today"},
    ("signboard", "damaged"): {"last_inspected_on": "today"},
    ("signboard", "stale"): {"last_inspected_on": "today"},
}


def machine(layer: str) -> tuple[Transition, ...]:
    lyr = S.layer(layer)
    if lyr.transitions:  # a register declares its own machine
        return lyr.transitions
    if layer not in MACHINES:
        raise TransitionError(
            f"layer '{layer}' has no workflow", f"图层“{S.layer(layer).zh}”没有流程状态", layer=layer
        )
    return MACHINES[layer]


def allowed(layer: str, status: str, access=None) -> list[Transition]:
    """The transitions offered from ``status``, in the order a form should show them; with
    ``access``, only those that user may make. Change polygons' review steps follow the
    configured review levels (geo.change.review)."""
    out = [t for t in machine(layer) if status in t.src]
    if layer == "change":
        from geo.change import review

        out = [t for t in out if review.offered(t, status)]
    if access is not None:
        out = [t for t in out if may(access, layer, t)]
    return out


def may(access, layer: str, t: Transition) -> bool:
    """Whether ``access``'s role may make step ``t``: the roles the step names, else the
    register's writers; administrators always."""
    return access.is_admin or access.role in (t.roles or S.layer(layer).writers)


def requirements(layer: str, feature: dict, transition: Transition):
    """What ``transition`` needs for this ``feature`` (``requires``, ``optional``, ``values``,
    ``evidence``, ``comment``; and for a change polygon's closure the rule of its cause, with
    ``note()`` and ``evidence_note``): the form asks exactly this, the guard checks it."""
    from geo.change import closure

    if layer == "change":
        return closure.requirements(feature, transition)
    t = transition
    return closure.Requirements(tuple(t.requires), tuple(t.optional), dict(t.values), bool(t.evidence),
                                comment=bool(t.comment))


def find(layer: str, status: str, to: str) -> Transition:
    lyr = S.layer(layer)
    if to not in lyr.statuses:
        raise TransitionError(
            f"'{to}' is not a status of {lyr.en}; statuses: {', '.join(lyr.statuses)}",
            f"“{to}”不是{lyr.zh}的状态。可用状态：{'、'.join(S.label('status', s) for s in lyr.statuses)}",
            status=to,
        )
    for t in machine(layer):
        if status in t.src and t.dst == to:
            return t
    options = [t.dst for t in allowed(layer, status)]
    raise TransitionError(
        f"{lyr.en} in status '{status}' cannot go to '{to}'; allowed next: "
        f"{', '.join(options) or 'none'}",
        f"{lyr.zh}当前状态为“{S.label('status', status)}”，不能变更为“{S.label('status', to)}”。"
        f"可选：{'、'.join(S.label('status', o) for o in options) or '无'}",
        status=status,
        to=to,
        allowed=options,
    )


def coerce(lyr: S.Layer, name: str, value):
    """A field value from a form or the CLI (text) in the field's type, or ValidationError."""
    f = lyr.field(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if f.type == S.REAL:
            out = float(value)
            if math.isnan(out) or out < 0:
                raise ValueError
            return out
        if f.type == S.INT:
            return int(value)
        if f.type == S.DATE:
            return as_date(value).isoformat()
        if f.type == S.DATETIME:
            return to_utc_text(value)
        if f.type == S.BOOL:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "是", "y"):
                    return True
                if value.lower() in ("0", "false", "no", "否", "n"):
                    return False
                raise ValueError
            return bool(value)
    except (TypeError, ValueError):
        kind = {S.REAL: "a number ≥ 0", S.INT: "a whole number", S.DATE: "a date YYYY-MM-DD",
                S.DATETIME: "a date and time", S.BOOL: "yes or no"}[f.type]
        kind_zh = {S.REAL: "不小于 0 的数字", S.INT: "整数", S.DATE: "日期（年-月-日）",
                   S.DATETIME: "日期时间", S.BOOL: "是或否"}[f.type]
        raise ValidationError(
            f"{f.en} ({name}) must be {kind}, not '{value}'",
            f"“{f.zh}”应为{kind_zh}，而不是“{value}”",
            field=name,
        ) from None
    return str(value).strip()


def _checked(lyr: S.Layer, fields: dict) -> dict:
    """Values in their fields' types, value lists checked (a list's label stands for its key)."""
    from geo.engine.records import check_values

    return check_values(lyr, fields)


def transition(
    store: Store,
    layer: str,
    fid: int,
    to: str,
    *,
    actor: str,
    version: int | None = None,
    comment: str | None = None,
    fields: dict | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
    at: str | None = None,
    access=None,
) -> int:
    """Move one feature to status ``to``; return its new version.

    ``fields`` are set together with the status (a verdict, a case number, …) and are checked
    against the transition's guard. ``attachments`` are ``(file name, bytes)`` evidence files.
    ``access`` (a :class:`geo.access.auth.Access`) is checked against the feature when given.
    """
    from geo.change.closure import FindingError, record_finding

    try:
        return _transition(store, layer, fid, to, actor=actor, version=version, comment=comment, fields=fields,
                           attachments=attachments, at=at, access=access)
    except FindingError as err:  # the check found a problem with the polygon: record it, then refuse
        record_finding(store, layer, fid, err, actor)
        raise


def _transition(store, layer, fid, to, *, actor, version, comment, fields, attachments, at, access) -> int:
    lyr = S.layer(layer)
    store, access = unwrap(store, access)
    fields = _checked(lyr, fields or {})
    comment = (comment or "").strip() or None
    files = [(name, data, ev.check(name, data)) for name, data in (attachments or [])]
    at = at or now_utc()
    with store.transaction() as tx:
        current = store.get_feature(layer, fid, tx=tx)
        if access is not None:
            access.check_feature(layer, current)
        if version is not None and int(version) != int(current["version"]):
            raise store._conflict(lyr, fid, version, current["version"], tx)
        t = find(layer, current["status"], to)
        if access is not None and not may(access, layer, t):
            if not t.roles:  # the register's writers decide: the usual refusal
                access.check_feature(layer, current, write=True)
            from geo.access.auth import ROLE_LABELS

            raise PermissionDenied(
                f"role '{access.role}' may not {t.en.lower()}",
                f"当前角色（{ROLE_LABELS.get(access.role, (access.role,))[0]}）不能办理“{t.zh}”",
            )
        if "verdict" in fields and fields["verdict"] not in VERDICTS:
            raise ValidationError(
                f"verdict must be one of {', '.join(VERDICTS)}",
                f"核查结论只能是：{'、'.join(S.label('verdict', v) for v in VERDICTS)}",
            )
        merged = {**current, **fields}
        for name, stamp in {**_STAMPS.get((layer, to), {}), **lyr.stamps.get(to, {})}.items():
            if merged.get(name) in (None, "") and name not in fields:
                fields[name] = local_date(at).isoformat() if stamp == "today" else actor
        fields = _validated(store, lyr, {**fields, "status": to}, current)  # the register's own rule
        fields.pop("status", None)
        merged = {**current, **fields}
        missing = [name for name in t.requires if merged.get(name) in (None, "")]
        if missing:
            raise TransitionError(
                f"to {t.en.lower()} ({current['status']} → {to}) these fields are required: "
                f"{', '.join(missing)}",
                f"“{t.zh}”需要填写：{'、'.join(lyr.field(m).zh for m in missing)}",
                missing=missing,
            )
        for name, options in t.values.items():
            if merged.get(name) not in options:
                raise TransitionError(
                    f"to {t.en.lower()}, {name} must be one of {', '.join(options)}, not "
                    f"'{merged.get(name)}'",
                    f"“{t.zh}”要求{lyr.field(name).zh}为"
                    f"{'或'.join(S.label(name, o) for o in options)}，当前为"
                    f"“{S.label(name, merged.get(name)) or '空'}”",
                    field=name,
                )
        if t.comment and not comment:
            raise TransitionError(
                f"to {t.en.lower()} give a comment saying why",
                f"“{t.zh}”需要填写原因说明",
                missing=["comment"],
            )
        if layer == "change":  # closure requirements by cause (naming all that is missing), review rules, stamps
            from geo.change import review

            fields.update(review.on_transition(store, tx, current, merged, t, fields, files, comment, at, access))
        if t.evidence and not files:
            raise TransitionError(
                f"to {t.en.lower()} attach at least one evidence file (photo or PDF)",
                f"“{t.zh}”需要上传至少一份证据材料（照片或 PDF）",
                missing=["evidence"],
            )
        shas = [store.put_attachment(tx, name, data, mime, actor, at) for name, data, mime in files]
        changes = {**fields, "status": to}
        return store.update_feature(
            tx,
            layer,
            fid,
            expected_version=current["version"],
            changes=changes,
            actor=actor,
            action="transition",
            comment=comment,
            attachments=shas,
            at=at,
        )


def _checked(lyr: S.Layer, fields: dict) -> dict:
    """Fields in their types, and value-list fields by key or label ("打包" → ``bagging``)."""
    from geo.engine.records import check_values

    return check_values(lyr, fields)


def _validated(store, lyr: S.Layer, values: dict, current: dict) -> dict:
    """``values`` (the changes) as the register's ``validate`` rule leaves them, seeing the record
    as it is (``current``); registers without the rule get them back unchanged."""
    from geo.declare.registry import rules_of

    rules = rules_of(lyr)
    if rules is None or not hasattr(rules, "validate"):
        return values
    return dict(rules.validate(store, dict(values), current))


# fields the store derives from other records (geometry fingerprint, patrol visits)
DERIVED = {"geom_hash", "visited"}


def edit(
    store: Store,
    layer: str,
    fid: int,
    *,
    actor: str,
    fields: dict,
    version: int | None = None,
    comment: str | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
    at: str | None = None,
    access=None,
    action: str | None = None,
    geometry=None,
    status: str | None = None,
    _review: bool = False,
) -> int:
    """Change attributes without changing the status (assign, correct a phone number, record
    payments, …); same locking and history as a transition. Returns the new version.

    ``action`` names the event (a register operation such as ``appoint`` or ``payment``; default
    ``edit``, or ``attach`` when only files are added); ``geometry`` moves the feature; ``status``
    is set by operations whose rules decide it (a post filled by an appointment)."""
    lyr = S.layer(layer)
    store, access = unwrap(store, access)
    if "status" in fields:
        raise ValidationError(
            "use a transition to change the status", "状态只能通过流程操作变更，不能直接编辑"
        )
    derived = sorted(set(fields) & DERIVED)
    if derived:
        names = "、".join(lyr.field(k).zh for k in derived)
        raise ValidationError(f"{', '.join(derived)} are computed by the system and cannot be edited",
                              f"{names}由系统计算，不能直接编辑")
    if layer == "change" and not _review:
        from geo.change.review import MANAGED

        kept = sorted(set(fields) & MANAGED)
        if kept:
            raise ValidationError(f"{', '.join(kept)} are kept by the closure review",
                                  f"{'、'.join(lyr.field(k).zh for k in kept)}由销号审核流程记录，不能直接编辑")
    values = _checked(lyr, fields)
    if status is not None:
        if status not in lyr.statuses:
            raise ValidationError(f"'{status}' is not a status of {lyr.en}", f"“{status}”不是{lyr.zh}的状态")
        values["status"] = status
    files = [(name, data, ev.check(name, data)) for name, data in (attachments or [])]
    at = at or now_utc()
    with store.transaction() as tx:
        current = store.get_feature(layer, fid, tx=tx)
        if access is not None:
            access.check_feature(layer, current, write=True)
        if version is not None and int(version) != int(current["version"]):
            raise store._conflict(lyr, fid, version, current["version"], tx)
        if geometry is not None:
            from geo.engine.records import measures

            values.update(measures(lyr, geometry))
        values = _validated(store, lyr, values, current)
        if geometry is not None:
            from geo.engine import records

            values.update(records.placed(store, tx, lyr, geometry, keep=values))
        shas = [store.put_attachment(tx, name, data, mime, actor, at) for name, data, mime in files]
        return store.update_feature(
            tx,
            layer,
            fid,
            expected_version=current["version"],
            changes=values,
            actor=actor,
            action=action or ("attach" if shas and not values and geometry is None else "edit"),
            comment=(comment or "").strip() or None,
            attachments=shas,
            at=at,
            geometry=geometry,
        )


# ---------------------------------------------------------------------------- deadlines
VERIFY_STAGE = ("issued", "verifying")
RECTIFY_STAGE = ("verified", "case_filed", "penalized", "rectifying", "rectified", "returned")


def change_deadlines(frame: pd.DataFrame, batches: pd.DataFrame) -> pd.Series:
    """Effective deadline (ISO date text or None) of each change polygon in ``frame``.

    ``frame`` needs ``status``, ``batch_id`` and ``deadline``; ``batches`` the batch table.
    """
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    b = batches.set_index(pd.to_numeric(batches["id"]).astype("int64")) if not batches.empty else None
    bid = pd.to_numeric(frame["batch_id"], errors="coerce")
    verify = bid.map(b["verify_deadline"]) if b is not None else pd.Series(None, index=frame.index)
    rectify = bid.map(b["rectify_deadline"]) if b is not None else pd.Series(None, index=frame.index)
    own = frame["deadline"] if "deadline" in frame else pd.Series(None, index=frame.index)
    own = own.astype(object).where(own.notna(), None)
    status = frame["status"]
    out = pd.Series(None, index=frame.index, dtype=object)
    vs = status.isin(VERIFY_STAGE)
    out[vs] = verify[vs].astype(object)
    rs = status.isin(RECTIFY_STAGE)
    out[rs] = own[rs].where(own[rs].notna(), rectify[rs]).astype(object)
    return out.where(out.notna(), None)


def overdue(deadlines: pd.Series, today: dt.date) -> pd.Series:
    """True where a deadline (ISO text) has passed before ``today``."""
    text = today.isoformat()
    values = deadlines.astype(object)
    return values.map(lambda d: d is not None and isinstance(d, str) and d < text).astype(bool)


def with_deadlines(frame: pd.DataFrame, batches: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    out = frame.copy()
    out["due"] = change_deadlines(frame, batches)
    out["overdue"] = overdue(out["due"], today)
    out["days_overdue"] = [
        (today - dt.date.fromisoformat(d)).days if o else 0 for d, o in zip(out["due"], out["overdue"])
    ]
    return out


def np_nan_to_none(values) -> list:
    return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v for v in values]


def bulk(store: Store, layer: str, targets: list[tuple[int, int | None]], *, actor: str,
         to: str | None = None, fields: dict | None = None, comment: str | None = None,
         access=None) -> dict:
    """The same transition (``to``) or edit (``fields`` only) for many features, each under the
    same rules as one by one: every feature is its own transaction with its own version check,
    so one refusal does not undo the others. Returns ``{"done": [ids], "refused": [{id, message}]}``.
    """
    from geo.core.errors import GeoError

    done, refused = [], []
    for fid, version in targets:
        try:
            if to is not None:
                transition(store, layer, fid, to, actor=actor, version=version, comment=comment,
                           fields=fields, access=access)
            else:
                edit(store, layer, fid, actor=actor, fields=fields or {}, version=version,
                     comment=comment, access=access)
            done.append(int(fid))
        except GeoError as err:
            refused.append({"id": int(fid), "message_zh": err.zh, "message_en": err.en,
                            "error": type(err).__name__})
    return {"done": done, "refused": refused}
