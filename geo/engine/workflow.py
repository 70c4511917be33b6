"""The steps of every layer's workflow (declared as ``Layer.transitions``), their guards, and
edits — each written through :func:`geo.engine.write.apply` with optimistic locking.

A transition is one transaction: the feature's status and fields change, the evidence files are
stored by hash, and one event (who, when, from, to, comment, fields, evidence) is appended — or
nothing happens at all. A caller that read version V passes ``version=V``; if the feature has
changed since, :class:`~geo.core.errors.ConflictError` says who changed it and nothing is written.
What a register's rules add to a step (which steps are offered, what a step needs for this
record, what it stamps) comes from the rules' hooks (:class:`geo.declare.hooks.Rules`).
"""

from __future__ import annotations

from geo.access.auth import ROLE_LABELS
from geo.access.scope import unwrap
from geo.core import evidence as ev
from geo.core.errors import GeoError, PermissionDenied, TransitionError, ValidationError
from geo.core.timeutil import local_date, now_utc
from geo.declare import registry as S
from geo.declare.base import Requirements, Transition
from geo.declare.registry import rules_of
from geo.engine.values import check_values, unfilled
from geo.engine.write import Change, apply, refuse_status_edit
from geo.store.base import Store

# fields the store derives from other records (geometry fingerprint, patrol visits)
DERIVED = {"geom_hash", "visited"}


def machine(layer: str) -> tuple[Transition, ...]:
    """The steps a layer declares (``Layer.transitions``)."""
    lyr = S.layer(layer)
    if not lyr.transitions:
        raise TransitionError(
            f"layer '{layer}' has no workflow", f"图层“{lyr.zh}”没有流程状态", layer=layer
        )
    return lyr.transitions


def hook(layer: str, name: str):
    """The rules module's hook ``name`` for ``layer`` (:class:`geo.declare.hooks.Rules`), or None."""
    rules = rules_of(S.layer(layer))
    return getattr(rules, name, None) if rules is not None else None


def allowed(layer: str, status: str, access=None) -> list[Transition]:
    """The transitions offered from ``status``, in the order a form should show them; with
    ``access``, only those that user may make. Change polygons' review steps follow the
    configured review levels (geo.change.review)."""
    out = [t for t in machine(layer) if status in t.src]
    offered = hook(layer, "offered")
    if offered is not None:
        out = [t for t in out if offered(t, status)]
    if access is not None:
        out = [t for t in out if may(access, layer, t)]
    return sorted(out, key=lambda t: t.back)  # forward steps first: the form's default goes forward


def path_to(layer: str, status: str, step: Transition, record: dict) -> list[Transition]:
    """The forward steps that lead from ``status`` to a status where a step to ``step.dst`` accepts
    ``record``'s values (e.g. an illegal polygon at 已核查: 移交立案 → 作出处罚 → 开始整改 → 整改完成
    → 验收通过, then 申请销号); [] when there is none."""
    def fits(t: Transition) -> bool:
        return all(record.get(name) in options for name, options in t.values.items())

    targets = {src for t in machine(layer) if t.dst == step.dst and t is not step and fits(t) for src in t.src}
    seen, queue = {status}, [(status, [])]
    while queue:
        here, path = queue.pop(0)
        if here in targets and path:
            return path
        for t in machine(layer):
            if here in t.src and not t.back and t.dst not in seen and fits(t):
                seen.add(t.dst)
                queue.append((t.dst, [*path, t]))
    return []


def value_refusal(layer: str, current: dict, merged: dict, t: Transition, name: str) -> TransitionError:
    """The refusal of step ``t`` when ``name`` does not have a value the step accepts: what it
    accepts, what the record holds, and, where another road leads to the same step, that road in
    the bureau's words (which steps first, with what they ask)."""
    lyr = S.layer(layer)
    options = t.values[name]
    value = merged.get(name)
    road = path_to(layer, current["status"], t, merged) if value not in (None, "") else []
    if road:
        steps = " → ".join(s.zh + (f"（{'、'.join(lyr.field(f).zh for f in s.requires if f not in t.values)}）"
                                    if [f for f in s.requires if f not in t.values] else "") for s in road)
        return TransitionError(
            f"a record of {lyr.en.lower()} whose {name} is '{value}' must first go through {' → '.join(s.en for s in road)} before '{t.en}'",
            f"{lyr.field(name).zh}为“{S.label(name, value)}”的{lyr.zh}需先依次办理：{steps}，方可“{t.zh}”",
            field=name, path=[s.dst for s in road])
    return TransitionError(
        f"to {t.en.lower()}, {name} must be one of {', '.join(options)}, not '{value}'",
        f"“{t.zh}”要求{lyr.field(name).zh}为{'或'.join(S.label(name, o) for o in options)}，当前为"
        f"“{S.label(name, value) or '空'}”",
        field=name)


def form_missing(layer: str, t: Transition, need: Requirements, values: dict, files=None,
                 comment: str | None = None) -> TransitionError | None:
    """What a step's form left empty of what it requires — a choice left at 请选择 included, which
    is never filled in for the person (not even where the CLI derives it, e.g. 整改方式 from the
    measure's text), the reason, the evidence — all named at once (None: nothing)."""
    missing = unfilled(values, need.requires)
    zh = [f"需要填写：{'、'.join(need.label(n) for n in missing)}"] if missing else []
    en = [f"fill in: {', '.join(missing)}"] if missing else []
    if files is not None and need.evidence and not files:
        zh.append(f"需要上传：{need.evidence_note or '至少一份证据材料（照片或 PDF）'}")
        en.append("attach the evidence")
        missing = [*missing, "evidence"]
    if comment is not None and need.comment and not comment.strip():
        zh.append("需要填写原因说明")
        en.append("give a comment saying why")
        missing = [*missing, "comment"]
    if not missing:
        return None
    return TransitionError(f"to {t.en.lower()}: " + "; ".join(en), f"“{t.zh}”" + "；".join(zh), missing=missing)


def blocked(store, layer: str, record: dict, t: Transition, actor: str | None = None):
    """Why step ``t`` cannot succeed for ``record`` whatever the form holds (None: it may): a value
    the record already holds that the step does not accept (the 核查结论 of an illegal polygon for
    申请销号 at 已核查 — changed by 退回重新核查, not by this step's form), or, for ``actor``, the
    separation of duties. A form shows such a step disabled, with this reason."""
    raw, _ = unwrap(store)
    for name, options in t.values.items():
        if record.get(name) not in (None, "") and record.get(name) not in options:
            return value_refusal(layer, record, record, t, name)
    if actor:
        try:
            with raw.transaction(write=False) as tx:
                check_separate(tx, S.layer(layer), record, t, actor)
        except PermissionDenied as err:
            return err
    return None


def may(access, layer: str, t: Transition) -> bool:
    """Whether ``access``'s role may make step ``t``: the roles the step names, else the
    register's writers; administrators always."""
    return access.is_admin or access.role in (t.roles or S.layer(layer).writers)


def requirements(layer: str, feature: dict, transition: Transition):
    """What ``transition`` needs for this ``feature`` (``requires``, ``optional``, ``values``,
    ``evidence``, ``comment``; and where the register's rules add to it — a change polygon's
    closure by the rule of its cause — ``note()`` and ``evidence_note``): the form asks exactly
    this, the guard checks it."""
    rule = hook(layer, "requirements")
    if rule is not None:
        return rule(feature, transition)
    t = transition
    return Requirements(tuple(t.requires), tuple(t.optional), dict(t.values), bool(t.evidence),
                        comment=bool(t.comment), layer=S.layer(layer))


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
    Written through :func:`geo.engine.write.apply`; a refusal is passed to the register's
    ``on_refused`` rule (a change polygon's closure check records what it found).
    """
    try:
        return _transition(store, layer, fid, to, actor=actor, version=version, comment=comment, fields=fields,
                           attachments=attachments, at=at, access=access)
    except GeoError as err:
        refused = hook(layer, "on_refused")
        if refused is not None:
            refused(store, layer, fid, err, actor)
        raise


def check_separate(tx, lyr: S.Layer, current: dict, t: Transition, actor: str) -> None:
    """Separation of duties (``Transition.not_by``): the account whose step last brought this
    record into one of those statuses may not make this step."""
    configured = hook(lyr.key, "not_by")
    statuses = tuple(configured(t) if configured is not None else t.not_by)
    if not statuses:
        return
    marks = ", ".join("?" * len(statuses))
    last = tx.query_one(f"SELECT actor, to_status FROM events WHERE layer = ? AND feature_id = ? AND action = "
                        f"'transition' AND to_status IN ({marks}) ORDER BY id DESC LIMIT 1",
                        [lyr.key, int(current["id"]), *statuses])
    if last and last[0] == actor:
        done = next((x.zh for x in lyr.transitions if x.dst == last[1]), S.label("status", last[1]))
        raise PermissionDenied(
            f"'{t.en}' must be made by someone other than {actor}, who recorded '{last[1]}' on this record",
            f"“{t.zh}”须由“{done}”登记人以外的人员办理：本{lyr.zh}的“{done}”由您（{actor}）登记",
            step=t.dst, recorded_by=actor)


def step_values_check(lyr: S.Layer, fields: dict) -> None:
    """A keyed value a step of the layer accepts (a verdict) must be one some step allows."""
    allowed: dict[str, list] = {}
    for t in lyr.transitions:
        for name, options in t.values.items():
            allowed.setdefault(name, [])
            allowed[name] += [o for o in options if o not in allowed[name]]
    for name, options in allowed.items():
        if name in fields and fields[name] not in options:
            raise ValidationError(
                f"{name} must be one of {', '.join(options)}",
                f"{lyr.field(name).zh}只能是：{'、'.join(S.label(name, v) for v in options)}",
            )


def _transition(store, layer, fid, to, *, actor, version, comment, fields, attachments, at, access) -> int:
    lyr = S.layer(layer)
    raw, access = unwrap(store, access)
    fields = check_values(lyr, fields or {})
    comment = (comment or "").strip() or None
    at = at or now_utc()
    files = [(name, data, ev.check(name, data)) for name, data in (attachments or [])]

    def guard(tx, current: dict, values: dict) -> dict:
        t = find(layer, current["status"], to)
        if access is not None and not may(access, layer, t):
            raise PermissionDenied(
                f"role '{access.role}' may not {t.en.lower()}",
                f"当前角色（{ROLE_LABELS.get(access.role, (access.role,))[0]}）不能办理“{t.zh}”",
            )
        check_separate(tx, lyr, current, t, actor)
        step_values_check(lyr, values)
        merged = {**current, **values}
        for name, stamp in {**t.stamps, **lyr.stamps.get(to, {})}.items():
            if merged.get(name) in (None, "") and name not in values:
                values[name] = local_date(at).isoformat() if stamp == "today" else actor
        values = validated(raw, lyr, {**values, "status": to}, current)  # the register's own rule
        values.pop("status", None)
        merged = {**current, **values}
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
                raise value_refusal(layer, current, merged, t, name)
        if t.comment and not comment:
            raise TransitionError(
                f"to {t.en.lower()} give a comment saying why",
                f"“{t.zh}”需要填写原因说明",
                missing=["comment"],
            )
        on_step = hook(layer, "on_transition")  # e.g. closure requirements by cause, review rules, stamps
        if on_step is not None:
            values.update(on_step(raw, tx, current, merged, t, values, files, comment, at, access))
        need = requirements(layer, current, t)
        if (t.evidence or need.evidence) and not files:
            what = need.evidence_note or "至少一份证据材料（照片或 PDF）"
            raise TransitionError(
                f"to {t.en.lower()} attach at least one evidence file (photo or PDF)",
                f"“{t.zh}”需要上传：{what}",
                missing=["evidence"],
            )
        return {**values, "status": to}

    return apply(raw, Change(layer, fid, "transition", actor, fields, version=version, comment=comment,
                             attachments=list(attachments or []), at=at,
                             roles=_step_roles(layer, to), step=_step_name(layer, to)),
                 access=access, guard=guard)


def _step_roles(layer: str, to: str) -> tuple[str, ...]:
    """The roles of the steps into ``to`` (rights are checked before the record's status is read;
    the step itself is checked again in the guard)."""
    steps = [t for t in S.layer(layer).transitions if t.dst == to]
    if not steps or any(not t.roles for t in steps):
        return ()
    return tuple(dict.fromkeys(r for t in steps for r in t.roles))


def _step_name(layer: str, to: str) -> str:
    steps = [t for t in S.layer(layer).transitions if t.dst == to]
    return steps[0].zh if steps else to


def validated(store, lyr: S.Layer, values: dict, current: dict) -> dict:
    """``values`` (the changes) as the register's ``validate`` rule leaves them, seeing the record
    as it is (``current``); registers without the rule get them back unchanged."""
    rules = rules_of(lyr)
    if rules is None or not hasattr(rules, "validate"):
        return values
    return dict(rules.validate(store, dict(values), current))


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
    by_rules: bool = False,
) -> int:
    """Change attributes without changing the status (assign, correct a phone number, record
    payments, …); same locking and history as a transition. Returns the new version.

    ``action`` names the event (a register operation such as ``appoint`` or ``payment``; default
    ``edit``, or ``attach`` when only files are added); ``geometry`` moves the feature; ``status``
    is set by operations whose rules decide it (a post filled by an appointment); ``by_rules``:
    the register's own rules set fields they keep for themselves (the closure review's checks)."""
    lyr = S.layer(layer)
    raw, access = unwrap(store, access)
    refuse_status_edit(fields)
    derived = sorted(set(fields) & DERIVED)
    if derived:
        names = "、".join(lyr.field(k).zh for k in derived)
        raise ValidationError(f"{', '.join(derived)} are computed by the system and cannot be edited",
                              f"{names}由系统计算，不能直接编辑")
    protected = hook(layer, "protected_fields")
    if protected is not None and not by_rules:
        kept = sorted(set(fields) & protected())
        if kept:
            raise ValidationError(f"{', '.join(kept)} are kept by the closure review",
                                  f"{'、'.join(lyr.field(k).zh for k in kept)}由销号审核流程记录，不能直接编辑")
    values = check_values(lyr, fields)
    if status is not None:
        if status not in lyr.statuses:
            raise ValidationError(f"'{status}' is not a status of {lyr.en}", f"“{status}”不是{lyr.zh}的状态")
        values["status"] = status

    def guard(tx, current: dict, values: dict) -> dict:
        return validated(raw, lyr, values, current)

    return apply(raw, Change(layer, fid, action or "edit", actor, values, geometry, version=version,
                             comment=comment, attachments=list(attachments or []), at=at),
                 access=access, guard=guard)


def bulk(store: Store, layer: str, targets: list[tuple[int, int | None]], *, actor: str,
         to: str | None = None, fields: dict | None = None, comment: str | None = None,
         access=None) -> dict:
    """The same transition (``to``) or edit (``fields`` only) for many features, each under the
    same rules as one by one: every feature is its own transaction with its own version check,
    so one refusal does not undo the others. Returns ``{"done": [ids], "refused": [{id, message}]}``.
    """
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
