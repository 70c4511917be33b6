"""The one write path: every change to a record of any layer — added, edited, moved, a step of
its workflow, a register operation — goes through :func:`apply`, from the pages, the CLI, the
review, the registers' rules and the field packages alike.

:func:`apply` checks, in this order, and refuses with a message in both languages before
anything is written:

1. **rights** — the actor's role may change this layer at all (its declared writers, the roles
   of its steps and operations; administrators always);
2. **county scope, before and after** — the record as it is now, and as the change would leave
   it (its ``county_code`` field, and the county its new geometry lies in), are both within the
   actor's counties. Roles bound to no county (administrators, data staff) may re-file a record
   into another county; the event then names both counties;
3. **version** — the version the caller saw is the record's current one, else a
   :class:`~geo.core.errors.ConflictError` says who changed it and when;
4. **the guard** — the caller's own checks (a step's requirements, the register's ``validate``
   rule), given as ``guard``.

It then writes the record, its event and the store's kept aggregates in one transaction (the
store's ``insert_features``/``update_feature`` keep ``change_facts`` and the map cells in step).
Imports of many records at once (:mod:`geo.ingest`) check the same rights and scope for every
row with :func:`check_rows` before their own bulk transaction.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Callable

import geopandas as gpd
import pandas as pd

from geo.access.auth import ROLE_LABELS, Access, check_assignee
from geo.access.scope import unwrap
from geo.core import evidence as ev
from geo.core.errors import PermissionDenied, ValidationError
from geo.core.timeutil import now_utc
from geo.declare import registry as S
from geo.engine.place import locate, measures, outside_jurisdiction, placed

# the version a user opened, for the first write to that record inside an operation
# (:func:`expecting`): checked in that write's own transaction, so a change landing between the
# operation's first look and its write is refused too
_EXPECTED: ContextVar[dict | None] = ContextVar("expected_versions", default=None)


@contextmanager
def expecting(layer: str, fid: int, version: int | None):
    """Within the block, the first :func:`apply` to ``layer`` #``fid`` that names no version of its
    own is checked against ``version`` (None: nothing expected)."""
    token = _EXPECTED.set({(layer, int(fid)): int(version)} if version is not None else None)
    try:
        yield
    finally:
        _EXPECTED.reset(token)


def _expected(layer: str, fid: int | None) -> int | None:
    pending = _EXPECTED.get()
    if not pending or fid is None:
        return None
    return pending.pop((layer, int(fid)), None)  # (once: the operation's later writes follow its first)


# roles that may file a record under any county (when their account lists none)
REFILE_ROLES = frozenset({"admin", "staff"})


@dataclass
class Change:
    """One change to one record: what :func:`apply` is asked to do.

    ``fid`` None adds a record; ``values`` are field values already in their types; ``geometry``
    (EPSG:4490) places or moves it; ``action`` names the event (``create``, ``edit``, ``attach``,
    ``transition``, or a register operation such as ``appoint``)."""

    layer: str
    fid: int | None
    action: str
    actor: str
    values: dict = field(default_factory=dict)
    geometry: object = None
    version: int | None = None
    comment: str | None = None
    attachments: list = field(default_factory=list)  # (file name, bytes)
    at: str | None = None
    roles: tuple[str, ...] = ()  # the step's or operation's own roles (empty: the layer's writers)
    step: str = ""  # the step's or operation's name, for the refusal
    outside_ok: bool = False  # placed outside every county on purpose (data staff, confirmed): flagged


def writers(layer: str) -> frozenset[str]:
    """Every role that changes ``layer`` in some way: its writers, and the roles of its steps and
    operations."""
    lyr = S.layer(layer)
    roles = set(lyr.writers)
    for t in lyr.transitions:
        roles.update(t.roles)
    for op in lyr.operations:
        roles.update(op.roles)
    return frozenset(roles)


def check_rights(access: Access | None, layer: str, roles: tuple[str, ...] = (), step: str = "") -> None:
    """The actor's role may change ``layer`` (and, with ``roles``, make this step)."""
    if access is None or access.is_admin:
        return
    role_zh = ROLE_LABELS.get(access.role, (access.role,))[0]
    if step == "create" and access.role not in S.layer(layer).writers:
        lyr = S.layer(layer)
        raise PermissionDenied(f"role '{access.role}' may not add {lyr.en}", f"当前角色不能新增{lyr.zh}")
    if access.role not in writers(layer):
        raise PermissionDenied(f"role '{access.role}' may not change {layer} records",
                               f"当前角色（{role_zh}）只能查看，不能办理")
    if roles and access.role not in roles:
        raise PermissionDenied(f"role '{access.role}' may not {step or 'make this change'}",
                               f"当前角色（{role_zh}）不能办理“{step}”")
    if not roles and access.role not in S.layer(layer).writers:
        raise PermissionDenied(f"role '{access.role}' may not change {layer} records",
                               f"当前角色（{role_zh}）只能查看，不能办理")


def in_scope(access: Access | None, layer: str, county) -> bool:
    if access is None or access.counties is None or layer == "admin" or not S.layer(layer).has("county_code"):
        return True
    return county in access.counties


def check_before(access: Access | None, layer: str, current: dict) -> None:
    """The record as it is belongs to the actor's counties."""
    if not in_scope(access, layer, current.get("county_code")):
        raise PermissionDenied(
            f"{access.user} may not change {layer} #{current.get('id')} (county {current.get('county_code')}); "
            f"scope: {', '.join(sorted(access.counties))}",
            f"您（{access.user}）无权修改该要素：它属于其他旗县", id=current.get("id"))


def check_after(access: Access | None, layer: str, before: dict | None, after: dict, moved: bool) -> None:
    """The record as the change leaves it belongs to the actor's counties (a record moved to a
    place outside every county the actor has is refused too)."""
    if access is None or access.counties is None or layer == "admin" or not S.layer(layer).has("county_code"):
        return
    code = after.get("county_code")
    if code in access.counties:
        return
    lyr = S.layer(layer)
    if before is None:
        raise PermissionDenied(f"{access.user} may not add {lyr.en} outside their counties",
                               f"您（{access.user}）只能在本人负责的旗县内新增{lyr.zh}", county_code=code)
    what = "移到" if moved else "改属"
    raise PermissionDenied(
        f"{access.user} may not put {lyr.en} {'#' + str(before.get('id')) if before else 'records'} in county "
        f"{code or '(none)'}; scope: {', '.join(sorted(access.counties))}",
        f"您（{access.user}）只能在本人负责的旗县内办理{lyr.zh}：此项修改会将其{what}"
        f"{'其他旗县' if code else '辖区以外'}，未作任何修改", county_code=code)


def check_outside(access: Access | None, lyr, confirmed: bool) -> None:
    """A record placed outside every county of the jurisdiction is refused; data staff and
    administrators may place one on purpose (``confirmed``), and it is flagged as out of area."""
    if confirmed and (access is None or access.role in REFILE_ROLES):
        return
    raise ValidationError(
        f"the place given for this {lyr.en} record lies outside every county of the jurisdiction",
        f"所填位置不在本辖区任何旗县内，{lyr.zh}未保存：请检查经纬度（经度在前）或坐标系"
        + ("" if access is None or access.role in REFILE_ROLES else "；如确属辖区外，请联系数据管理员"),
        field="geometry")


def county_note(access: Access | None, before: dict, after: dict, names: dict[str, str]) -> str | None:
    """The sentence an event carries when a record changes county (re-filed by a role bound to
    no county): both counties named."""
    old, new = before.get("county_code"), after.get("county_code")
    if old == new or (old in (None, "") and new in (None, "")):
        return None
    def name(code):
        return f"{names.get(code) or '无'}（{code}）" if code else "无"
    return f"改属旗县：{name(old)} → {name(new)}"


def _county_names(store, tx) -> dict[str, str]:
    rows = tx.query("SELECT code, name FROM admin_units WHERE level = 'county'")
    return {str(c): n for c, n in rows}


def apply(store, change: Change, *, access: Access | None = None,
          guard: Callable[[object, dict | None, dict], dict] | None = None) -> int:
    """Make ``change`` under the checks in the module docstring; returns the record's new version
    (an edit or step) or its id (a record added).

    ``guard(tx, current, values) -> values`` runs last, inside the transaction, with the record as
    it is (None for a new one) and the values placement has completed; it raises to refuse and
    returns the values to write (it may add stamps, flags, derived fields)."""
    raw, access = unwrap(store, access)
    lyr = S.layer(change.layer)
    check_rights(access, change.layer, change.roles, "create" if change.fid is None else change.step)
    files = [(name, data, ev.check(name, data)) for name, data in (change.attachments or [])]
    at = change.at or now_utc()
    values = dict(change.values)
    if change.geometry is not None:
        values.update({k: v for k, v in measures(lyr, change.geometry).items() if k not in values})
    with raw.transaction() as tx:
        current = raw.get_feature(change.layer, change.fid, tx=tx) if change.fid is not None else None
        if current is not None:
            check_before(access, change.layer, current)
        if values.get("assigned_to") and lyr.has("assigned_to"):  # never a disabled or unknown account
            check_assignee(tx, values["assigned_to"])
        geometry = change.geometry
        if current is None and geometry is None:  # a register whose records may arrive without a place
            geometry, values = locate(raw, tx, lyr, values, None)
        if geometry is not None:
            if lyr.has("county_code") and outside_jurisdiction(raw, tx, geometry):
                check_outside(access, lyr, change.outside_ok)
                values["flags"] = {**((current or {}).get("flags") or {}), **(values.get("flags") or {}),
                                   "outside_jurisdiction": True}
            values.update(placed(raw, tx, lyr, geometry, keep=values))
        after = {**(current or {}), **values}
        check_after(access, change.layer, current, after, moved=change.geometry is not None)
        seen = change.version if change.version is not None else _expected(change.layer, change.fid)
        if current is not None and seen is not None and int(seen) != int(current["version"]):
            raise raw.conflict(lyr, change.fid, seen, current["version"], tx)
        if guard is not None:
            values = guard(tx, current, values)
            check_after(access, change.layer, current, {**(current or {}), **values},
                        moved=change.geometry is not None)
        shas = [raw.put_attachment(tx, name, data, mime, change.actor, at) for name, data, mime in files]
        comment = (change.comment or "").strip() or None
        if current is None:
            frame = gpd.GeoDataFrame(pd.DataFrame([values]) if values else pd.DataFrame(index=[0]),
                                     geometry=[geometry], crs=4490)
            fid = raw.insert_features(tx, change.layer, frame, actor=change.actor, at=at, comment=comment,
                                      action=change.action, record_values=True)[0]
            if shas:
                raw.add_events(tx, [(change.layer, int(fid), at, change.actor, "attach", None, None, None, None,
                                     json.dumps(shas, ensure_ascii=False), 1)])
            return int(fid)
        if lyr.has("county_code") and "county_code" in values:
            note = county_note(access, current, {**current, **values}, _county_names(raw, tx))
            if note:
                comment = f"{comment}；{note}" if comment else note
        action = change.action
        if action == "edit" and shas and not values and change.geometry is None:
            action = "attach"
        return raw.update_feature(tx, change.layer, change.fid, expected_version=current["version"],
                                  changes=values, actor=change.actor, action=action, comment=comment,
                                  attachments=shas, at=at, geometry=change.geometry)


def check_version(store, layer: str, fid: int, version: int | None) -> None:
    """The record is still at ``version``, the one the user opened (None: not checked), else a
    :class:`~geo.core.errors.ConflictError` names who changed it and when. For what reads the record
    before :func:`apply` does (a register operation, a review decision): a stale submit is refused
    as stale, before any check of the record's present state could speak instead."""
    if version is None:
        return
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        now = int(raw.get_feature(layer, int(fid), tx=tx)["version"])
        if int(version) != now:
            raise raw.conflict(S.layer(layer), int(fid), int(version), now, tx)


def check_rows(access: Access | None, layer: str, counties) -> None:
    """An import of many records: the actor may add to ``layer``, and every row's county
    (``counties``, one per row) is within the actor's counties."""
    check_rights(access, layer)
    check_counties(access, layer, counties)


def check_counties(access: Access | None, layer: str, counties) -> None:
    """Every row's county (``counties``, one per row) is within the actor's counties (a batch
    upload, whose right is the upload role's, checks only this)."""
    if access is None or access.counties is None or not S.layer(layer).has("county_code"):
        return
    outside = sorted({str(c) for c in counties if c not in access.counties and c not in (None, "")})
    missing = sum(1 for c in counties if c in (None, ""))
    if outside or missing:
        lyr = S.layer(layer)
        raise PermissionDenied(
            f"{access.user} may only add {lyr.en} in their counties (outside: {', '.join(outside) or '-'}; "
            f"without a county: {missing})",
            f"您（{access.user}）只能在本人负责的旗县内新增{lyr.zh}", outside=outside)


def refuse_status_edit(values: dict) -> None:
    if "status" in values:
        raise ValidationError("use a transition to change the status", "状态只能通过流程操作变更，不能直接编辑")
