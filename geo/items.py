"""Rectification items (整改事项): the numbered problems of an inspection's feedback, each with its
measures, responsible leader and unit, deadline and status, linked to the features it concerns.

Their progress is computed from the linked features where that is meaningful (the share of linked
change polygons closed, of restoration area completed, of occupation plots accepted or delisted,
of signboards in order) and otherwise is the manual figure staff enter.
"""

from __future__ import annotations


import pandas as pd

from geo import workflow as W
from geo.errors import PermissionDenied, TransitionError, ValidationError
from geo.scope import unwrap
from geo.store import Store
from geo.timeutil import today_local

ITEM_STATUSES = ("in_progress", "done", "long_term")
EDIT_ROLES = {"admin", "staff"}


def _check(access) -> None:
    if access is not None and access.role not in EDIT_ROLES:
        raise PermissionDenied(
            f"role '{access.role}' may not change rectification items",
            "只有系统管理员和数据管理员可以修改整改事项",
        )


def progress(store: Store, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """``items`` with ``links`` (count), ``progress_pct`` and ``overdue`` columns."""
    items = store.items() if items is None else items.copy()
    if items.empty:
        return items.assign(links=[], progress_pct=[], overdue=[])
    links = store.item_links()
    today = today_local().isoformat()
    pct, count = [], []
    for iid, mode, manual in zip(items["id"], items["progress_mode"], items["manual_progress"]):
        mine = links[links["item_id"] == iid] if len(links) else links
        count.append(int(len(mine)))
        value = None
        if mode == "computed" and len(mine):
            value = _linked_progress(store, mine)
        if value is None and manual is not None and not pd.isna(manual):
            value = float(manual)
        pct.append(value)
    items["links"] = count
    items["progress_pct"] = pct
    items["overdue"] = (items["status"] == "in_progress") & (items["deadline"].astype(str) < today)
    return items


def _linked_progress(store: Store, links: pd.DataFrame) -> float | None:
    done = total = 0.0
    for layer, part in links.groupby("layer"):
        ids = part["feature_id"].astype(int).tolist()
        if layer == "restoration":
            f = store.read_layer(layer, ids=ids, columns=["planned_mu", "completed_mu"], geometry=False)
            done += float(f["completed_mu"].clip(upper=f["planned_mu"]).sum())
            total += float(f["planned_mu"].sum())
            continue
        f = store.read_layer(layer, ids=ids, columns=["status"], geometry=False)
        finished = {"change": {"closed"}, "occupation": {"accepted", "delisted"},
                    "signboard": {"ok"}}.get(layer)
        if finished is None:  # patrols, zones: counted, not progressing
            continue
        done += float(f["status"].isin(finished).sum())
        total += float(len(f))
    return round(100.0 * done / total, 1) if total else None


def transition(store: Store, item_id: int, to: str, *, actor: str, version: int | None,
               comment: str | None = None, access=None) -> int:
    store, access = unwrap(store, access)
    _check(access)
    items = store.items()
    row = items[items["id"] == int(item_id)]
    if row.empty:
        from geo.errors import NotFoundError

        raise NotFoundError(f"item #{item_id} does not exist", f"整改事项 #{item_id} 不存在")
    status = row["status"].iloc[0]
    match = [t for t in W.ITEM_MACHINE if status in t.src and t.dst == to]
    if not match:
        options = [t.dst for t in W.ITEM_MACHINE if status in t.src]
        raise TransitionError(
            f"an item in status '{status}' cannot go to '{to}'; allowed: {', '.join(options)}",
            f"整改事项当前为“{W.S.label('status', status)}”，不能变更为“{W.S.label('status', to)}”",
        )
    if match[0].comment and not (comment or "").strip():
        raise TransitionError("give a comment saying why", "请填写原因说明")
    with store.transaction() as tx:
        return store.update_item(tx, item_id, expected_version=version, changes={"status": to},
                                 actor=actor, comment=(comment or "").strip() or None)


def edit(store: Store, item_id: int, *, actor: str, version: int | None, fields: dict,
         comment: str | None = None, access=None) -> int:
    store, access = unwrap(store, access)
    _check(access)
    if "status" in fields:
        raise ValidationError("use a transition to change the status", "状态只能通过流程操作变更")
    if "deadline" in fields and fields["deadline"]:
        fields["deadline"] = W.coerce(W.S.CHANGE, "deadline", fields["deadline"])
    if "manual_progress" in fields and fields["manual_progress"] is not None:
        value = float(fields["manual_progress"])
        if not 0 <= value <= 100:
            raise ValidationError("progress is a percentage between 0 and 100", "进度应为 0 到 100 之间的百分数")
        fields["manual_progress"] = value
    with store.transaction() as tx:
        return store.update_item(tx, item_id, expected_version=version, changes=fields, actor=actor,
                                 comment=comment)


def add(store: Store, *, actor: str, access=None, **values) -> int:
    store, access = unwrap(store, access)
    _check(access)
    if not (values.get("problem") or "").strip():
        raise ValidationError("an item needs its problem text", "请填写问题描述")
    if values.get("deadline"):
        values["deadline"] = W.coerce(W.S.CHANGE, "deadline", values["deadline"])
    with store.transaction() as tx:
        return store.add_item(tx, actor, **values)


def link(store: Store, item_id: int, layer: str, feature_ids, *, actor: str, access=None) -> None:
    """Link features to an item (recorded in the history as a ``link`` event)."""
    import json

    from geo.timeutil import now_utc

    store, access = unwrap(store, access)
    _check(access)
    ids = [int(f) for f in feature_ids]
    with store.transaction() as tx:
        have = {(r[0], r[1]) for r in tx.query(
            "SELECT layer, feature_id FROM item_links WHERE item_id = ?", [int(item_id)])}
        new = [f for f in ids if (layer, f) not in have]
        if new:
            store.link_item(tx, item_id, layer, new)
            store.add_events(tx, [("item", int(item_id), now_utc(), actor, "link", None, None,
                                   json.dumps({"layer": layer, "feature_ids": new}), None, None, None)])
