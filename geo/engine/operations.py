"""A register's operations (appoint someone to a post, record a payment, inspect a board, link
features …): found by key in the declaration, their fields checked, and run — from the page's
operation forms and ``python -m geo op`` alike."""

from __future__ import annotations

from geo.access.scope import ScopedStore, unwrap
from geo.core.errors import ValidationError
from geo.declare import registry as S
from geo.declare.registry import run_of
from geo.engine.values import check_values
from geo.engine.write import check_before, check_rights, check_version, expecting


def operation(layer: str, key: str):
    lyr = S.layer(layer)
    for op in lyr.operations:
        if op.key == key:
            return op
    names = "、".join(f"{o.key}（{o.zh}）" for o in lyr.operations) or "无"
    raise ValidationError(f"{lyr.en} has no operation '{key}'", f"{lyr.zh}没有操作“{key}”。可用：{names}")


def operate(store, layer: str, fid: int, key: str, values: dict, *, actor: str, access=None, comment=None,
            attachments=None, geometry=None, version: int | None = None):
    """Run a register operation (also what the page's operation forms call). Its rights and the
    record's county are checked first; the operation's own function then writes through
    :func:`geo.engine.write.apply` (``workflow.edit`` / ``transition`` / ``records.add``).

    ``version`` is the version of the record the user opened (the page passes it; the CLI's
    ``--version``): if the record has changed since, the operation is refused with who changed it
    and when (:class:`~geo.core.errors.ConflictError`) before anything is written."""
    raw, access = unwrap(store, access)
    op = operation(layer, key)
    check_rights(access, layer, op.roles, op.zh)
    current = raw.get_feature(layer, int(fid))
    check_before(access, layer, current)
    check_version(raw, layer, fid, version)
    if op.statuses:
        if current.get("status") not in op.statuses:
            lyr = S.layer(layer)
            raise ValidationError(
                f"'{op.en}' is not offered for a {lyr.en} record in status '{current.get('status')}'",
                f"{lyr.zh}当前状态为“{S.label('status', current.get('status'))}”，不能办理“{op.zh}”")
    declared = {f.name: f for f in op.fields}
    unknown = set(values) - set(declared)
    if unknown:
        raise ValidationError(f"'{op.key}' takes {', '.join(declared) or 'no fields'}",
                              f"“{op.zh}”可填写：{'、'.join(f.zh for f in op.fields) or '无'}")
    missing = [f.zh for f in op.fields if f.required and values.get(f.name) in (None, "")]
    if missing:
        raise ValidationError(f"{op.en}: required fields are missing", f"“{op.zh}”需要填写：{'、'.join(missing)}")
    carrier = S.Layer(key=op.key, table="", geometry=None, zh=op.zh, en=op.en, fields=op.fields)
    values = check_values(carrier, values)
    fn = run_of(op)
    with expecting(layer, fid, version):  # (checked again inside the operation's own write)
        return fn(store if access is None else ScopedStore(raw, access), fid, values, actor=actor, access=access,
                  comment=comment, attachments=attachments or [], geometry=geometry)
