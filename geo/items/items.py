"""Rectification items (整改事项): the numbered problems of an inspection's feedback, each with its
measures, responsible leader and unit, deadline and status, linked to the features it concerns.

Their progress is computed from the linked features where that is meaningful (the share of linked
change polygons closed, of restoration area completed, of occupation plots accepted or delisted,
of signboards in order) and otherwise is the manual figure staff enter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from geo.engine import workflow as W
from geo.core.errors import PermissionDenied, TransitionError, ValidationError
from geo.access.scope import unwrap
from geo.store import Store
from geo.core.timeutil import today_local
from geo.core.errors import NotFoundError
from geo.core.timeutil import now_utc
from geo.core.errors import IngestError
from geo.ingest import tables
from geo.core.timeutil import optional_date
from geo.declare import registry as S

from geo.declare.base import Transition
from geo.engine.values import check_date, coerce

# the steps of a rectification item
ITEM_MACHINE = (
    Transition(("in_progress",), "done", "完成整改", "Done"),
    Transition(("in_progress",), "long_term", "转为长期坚持", "Long-term"),
    Transition(("long_term",), "done", "完成整改", "Done"),
    Transition(("done", "long_term"), "in_progress", "重新打开", "Reopen", comment=True),
    Transition(("in_progress", "long_term", "done"), "withdrawn", "撤销事项", "Withdraw", comment=True),
    Transition(("withdrawn",), "in_progress", "恢复事项", "Restore", comment=True),
)

ITEM_STATUSES = ("in_progress", "done", "long_term", "withdrawn")
# what a list writes in 完成时限 for a task with no end date: 长期坚持 is a category of its own,
# counted apart from overdue (the item's status ``long_term``), never a date to compare
LONG_TERM_WORDS = ("长期坚持", "长期推进", "持续推进", "常态化", "长期")
EDIT_ROLES = {"admin", "staff"}


def _check(access) -> None:
    if access is not None and access.role not in EDIT_ROLES:
        raise PermissionDenied(
            f"role '{access.role}' may not change rectification items",
            "只有系统管理员和数据管理员可以修改整改事项",
        )


def deadline_of(value) -> tuple[str | None, bool]:
    """``(ISO date or None, long-term)`` of what an item's 完成时限 holds: a date in any of the
    offices' ways of writing one, nothing, or a long-term wording (长期坚持 …); anything else is
    refused in Chinese."""
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None, False
    text = str(value).strip()
    if any(text.startswith(w) for w in LONG_TERM_WORDS):
        return None, True
    day = optional_date(text)
    if day is None:
        raise ValidationError(f"'{text}' is not a deadline (a date, or 长期坚持)",
                              f"完成时限“{text}”无法识别：请填写日期（如 2024-06-30），或“长期坚持”")
    return check_date(day, "完成时限", "deadline", "deadline").isoformat(), False


def overdue(items: pd.DataFrame, today) -> pd.Series:
    """The one rule of a late item: still in progress and its dated deadline has passed (an item
    with no deadline, a long-term one or a withdrawn one is never late)."""
    if items.empty:
        return pd.Series([], dtype=bool, index=items.index)
    late = [status == "in_progress" and (day := optional_date(d)) is not None and day < today
            for status, d in zip(items["status"], items["deadline"])]
    return pd.Series(late, index=items.index, dtype=bool)


def progress(store: Store, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """``items`` with ``links`` (count), ``progress_pct`` and ``overdue`` columns."""
    items = store.items() if items is None else items.copy()
    if items.empty:
        return items.assign(links=[], progress_pct=[], overdue=[])
    links = store.item_links()
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
    items["overdue"] = overdue(items, today_local())
    return items


def reason_needed(store: Store, item_id: int) -> float | None:
    """The item's progress when it is known and below 100% — marking it done then needs a reason,
    kept with the event — else None (complete, or no figure at all)."""
    items = store.items()
    row = items[items["id"] == int(item_id)]
    if row.empty:
        return None
    pct = progress(store, row)["progress_pct"].iloc[0]
    if pct is None or pd.isna(pct) or float(pct) >= 100.0:
        return None
    return float(pct)


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

        raise NotFoundError(f"item #{item_id} does not exist", f"整改事项 #{item_id} 不存在")
    status = row["status"].iloc[0]
    match = [t for t in ITEM_MACHINE if status in t.src and t.dst == to]
    if not match:
        options = [t.dst for t in ITEM_MACHINE if status in t.src]
        raise TransitionError(
            f"an item in status '{status}' cannot go to '{to}'; allowed: {', '.join(options)}",
            f"整改事项当前为“{W.S.label('status', status)}”，不能变更为“{W.S.label('status', to)}”",
        )
    if match[0].comment and not (comment or "").strip():
        raise TransitionError("give a comment saying why", "请填写原因说明")
    if to == "done" and not (comment or "").strip():
        pct = reason_needed(store, int(item_id))
        if pct is not None:
            raise TransitionError(
                f"the item's progress is {pct:g}%: give a reason for marking it done below 100%",
                f"该事项当前进度为 {pct:g}%（未达 100%）：标记为“{W.S.label('status', 'done')}”须填写原因说明，"
                "未作任何修改", progress=pct, missing=["comment"])
    with store.transaction() as tx:
        return store.update_item(tx, item_id, expected_version=version, changes={"status": to},
                                 actor=actor, comment=(comment or "").strip() or None)


def edit(store: Store, item_id: int, *, actor: str, version: int | None, fields: dict,
         comment: str | None = None, access=None) -> int:
    store, access = unwrap(store, access)
    _check(access)
    if "status" in fields:
        raise ValidationError("use a transition to change the status", "状态只能通过流程操作变更")
    if "deadline" in fields:  # a date, or cleared; 长期坚持 is the step 转为长期坚持
        day, long_term = deadline_of(fields["deadline"])
        if long_term:
            raise ValidationError("make the item long-term with its step, not by its deadline",
                                  "“长期坚持”请通过“转为长期坚持”办理；完成时限只填日期，或留空")
        fields["deadline"] = day
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
    values["deadline"], long_term = deadline_of(values.get("deadline"))
    with store.transaction() as tx:
        iid = store.add_item(tx, actor, **values)
        if long_term:
            store.update_item(tx, iid, expected_version=1, changes={"status": "long_term"}, actor=actor,
                              comment="完成时限：长期坚持")
        return iid


def link(store: Store, item_id: int, layer: str, feature_ids, *, actor: str, access=None) -> None:
    """Link features to an item (recorded in the history as a ``link`` event)."""
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


def items_of(store: Store, layer: str, fid: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(linked, others)``: the items ``layer`` #``fid`` is linked to, and the open items it could
    be linked to (id, code, problem, status), for the map's details."""
    items = store.items()
    if items.empty:
        return items, items
    links = store.item_links()
    mine = set() if links.empty else {int(i) for i, lyr, f in zip(links["item_id"], links["layer"], links["feature_id"])
                                      if lyr == layer and int(f) == int(fid)}
    ids = pd.to_numeric(items["id"]).astype(int)
    cols = [c for c in ("id", "code", "problem", "status") if c in items.columns]
    linked = items[ids.isin(mine)][cols]
    others = items[~ids.isin(mine) & (items["status"] != "done")][cols]
    return linked.reset_index(drop=True), others.reset_index(drop=True)


# ------------------------------------------------------------------------------ lists from Excel
# the columns of the offices' problem/task/responsibility lists (问题清单/任务清单/责任清单)
ITEM_COLUMNS = {
    "code": ("序号", "编号", "问题编号", "序列"),
    "problem": ("问题", "存在问题", "问题描述", "反馈问题", "问题内容", "巡察反馈问题"),
    "category": ("类别", "问题类别", "类型", "所属类别"),
    "measures": ("整改措施", "整改举措", "措施", "整改落实情况"),
    "leader": ("责任领导", "牵头领导", "分管领导"),
    "unit": ("责任单位", "牵头单位", "责任部门", "承办单位"),
    "deadline": ("完成时限", "整改时限", "完成时间", "时限"),
    "status": ("完成情况", "整改状态", "状态", "进展情况"),
    "note": ("备注", "说明"),
}
ITEM_LABELS = {"code": ("编号", "No."), "problem": ("问题", "Problem"), "category": ("类别", "Category"),
               "measures": ("整改措施", "Measures"), "leader": ("责任领导", "Leader"), "unit": ("责任单位", "Unit"),
               "deadline": ("完成时限", "Deadline"), "status": ("完成情况", "Status"), "note": ("备注", "Note")}
_STATUS_WORDS = (("长期", "long_term"), ("已完成", "done"), ("完成整改", "done"), ("已整改", "done"),
                 ("未完成", "in_progress"), ("正在", "in_progress"), ("整改中", "in_progress"))


def suggest_mapping(columns) -> dict:
    """``{column: item field or None}`` by the lists' usual headers (a two-level header's last part too)."""
    out, used = {}, set()
    for col in columns:
        key = str(col).split("·")[-1].replace(" ", "")
        hit = next((f for f, names in ITEM_COLUMNS.items() if f not in used and (key in names or str(col) in names)),
                   None)
        out[col] = hit
        if hit:
            used.add(hit)
    return out


def _status_of(text) -> str:
    t = str(text or "")
    if t in ITEM_STATUSES:
        return t
    return next((s for word, s in _STATUS_WORDS if word in t), "in_progress")


def read_list(path, sheets=None):
    """The rows of a problem list (Excel/CSV) and the suggested mapping, nothing stored."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        frame, _ = tables.excel_frames(data, sheets)
    elif path.suffix.lower() == ".csv":
        frame = tables.csv_frame(data)
    else:
        raise IngestError(f"{path.name}: use an Excel (.xlsx) or CSV file",
                          f"“{path.name}”不是可导入的表格：请使用 Excel（.xlsx）或 CSV 文件")
    frame = frame.drop(columns=["_sheet"], errors="ignore")
    return frame, suggest_mapping(frame.columns)


def import_list(store, path, *, actor: str, access=None, overrides: dict | None = None, sheets=None,
                dry_run: bool = False) -> dict:
    """Every row of a problem list as an item — all rows, or none with the reasons."""

    raw, access = unwrap(store, access)
    _check(access)
    frame, mapping = read_list(path, sheets)
    for col, fld in (overrides or {}).items():
        if col not in mapping:
            raise ValidationError(f"the file has no column '{col}'", f"文件中没有列“{col}”")
        if fld is not None and fld not in ITEM_COLUMNS:
            raise ValidationError(f"items have no field '{fld}'", f"整改事项没有字段“{fld}”")
        mapping[col] = fld
    if "problem" not in mapping.values():
        raise ValidationError("no column holds the problem text", "没有找到“问题”列：请在字段对应中指定哪一列是问题描述")
    rows, problems = [], []
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        values = {fld: rec[col] for col, fld in mapping.items() if fld and rec.get(col) not in (None, "")}
        values = {k: (str(v).strip() if not isinstance(v, (int, float)) or k != "code" else str(v)) for k, v in values.items()}
        if not values.get("problem"):
            continue  # a spacer or sub-heading row
        try:
            values["deadline"], long_term = deadline_of(values.get("deadline"))
        except ValidationError:
            problems.append(f"第 {i} 行：完成时限“{values['deadline']}”不是日期，也不是“长期坚持”")
            continue
        values["status"] = _status_of(values.get("status"))
        if long_term and values["status"] == "in_progress":
            values["status"] = "long_term"
        rows.append(values)
    if problems:
        raise ValidationError(f"{len(problems)} row(s) could not be read; nothing was imported",
                              "问题清单有误，未导入任何数据：" + "；".join(problems[:5]) +
                              (f"等共 {len(problems)} 处" if len(problems) > 5 else ""), problems=problems)
    if dry_run or not rows:
        return {"rows": len(rows), "stored": 0, "mapping": mapping}
    at = now_utc()
    ids = []
    with raw.transaction() as tx:
        for v in rows:
            status = v.pop("status")
            iid = raw.add_item(tx, actor, at=at, progress_mode="manual", **v)
            if status != "in_progress":
                raw.update_item(tx, iid, expected_version=1, changes={"status": status}, actor=actor, at=at,
                                comment="清单导入时的完成情况")
            ids.append(iid)
    return {"rows": len(rows), "stored": len(ids), "ids": ids, "mapping": mapping}


def link_query(store, item_id: int, layer: str, where: dict, *, actor: str, access=None) -> int:
    """Link every feature matching a saved query ("all illegal polygons of batch X in 突泉县") to an
    item, keep the query on the item (it can be applied again as new features arrive), and make the
    item's progress computed from them. Returns the number of features linked."""

    raw, access = unwrap(store, access)
    _check(access)
    lyr = S.layer(layer)
    where = {k: v for k, v in (where or {}).items() if v not in (None, "", [], ())}
    for key, value in list(where.items()):
        lyr.field(key)
        values = value if isinstance(value, (list, tuple)) else [value]
        values = [coerce(lyr, key, v) for v in values]
        where[key] = values if isinstance(value, (list, tuple)) else values[0]
    if not where:
        raise ValidationError("a saved query needs at least one condition", "请至少指定一个筛选条件")
    frame = store.read_layer(layer, where=where, columns=[], geometry=False)  # (the user's scope applies)
    ids = frame["id"].astype(int).tolist()
    link(store, item_id, layer, ids, actor=actor, access=access)
    items = raw.items()
    row = items[items["id"] == int(item_id)].iloc[0]
    with raw.transaction() as tx:
        raw.update_item(tx, item_id, expected_version=int(row["version"]),
                        changes={"link_query": json.dumps({"layer": layer, "where": where}, ensure_ascii=False),
                                 "progress_mode": "computed"},
                        actor=actor, at=now_utc(), comment=f"按条件关联：{len(ids)} 个要素")
    return len(ids)


def reapply_queries(store, *, actor: str, access=None) -> dict[int, int]:
    """Apply every item's saved query again (features that arrived since get linked)."""
    raw, access = unwrap(store, access)
    out = {}
    for iid, q in zip(raw.items()["id"], raw.items()["link_query"]):
        if q:
            spec = json.loads(q)
            frame = store.read_layer(spec["layer"], where=spec["where"], columns=[], geometry=False)
            before = len(raw.item_links(int(iid)))
            link(store, int(iid), spec["layer"], frame["id"].astype(int).tolist(), actor=actor, access=access)
            out[int(iid)] = len(raw.item_links(int(iid))) - before
    return out
