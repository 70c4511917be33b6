"""What the bureau records for its bulletin: the actions it took (meetings held, documents issued,
groups set up, inspections, rules made) and its own wording of the editable sections.

* ``report_actions``: one row per action — date, kind (:data:`KINDS`), what was done, as a clause
  the bulletin can print after the date ("召开党组（扩大）会议部署整改工作"), the document number if
  any, and the county it concerns (none: the whole jurisdiction). Section 一 is drafted from them,
  section 三 from the rules made (``system``).
* ``report_texts``: the bureau's own text of a section (``responsibility`` 一, ``mechanism`` 三,
  ``next_steps`` 四) for a scope (``""`` the whole jurisdiction, else the county codes joined by
  commas). A saved text replaces the draft; clearing it brings the draft back.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.core.errors import NotFoundError, PermissionDenied, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import now_utc

KINDS = {  # key: (Chinese, English)
    "meeting": ("会议", "Meeting"),
    "group": ("成立机构", "Group set up"),
    "document": ("印发文件", "Document issued"),
    "inspection": ("督导检查", "Supervision"),
    "system": ("制度建设", "Rules made"),
    "other": ("其他", "Other"),
}
SECTIONS = {  # key: (Chinese, English)
    "responsibility": ("一、履行整改主体责任情况", "1. Fulfilling the responsibility"),
    "mechanism": ("三、建立长效机制", "3. Lasting mechanisms"),
    "next_steps": ("四、下一步工作安排", "4. Next steps"),
}
EDIT_ROLES = {"admin", "staff", "leader"}


def _check(access) -> None:
    if access is not None and access.role not in EDIT_ROLES:
        raise PermissionDenied(f"role '{access.role}' may not edit the bulletin",
                               "只有系统管理员、数据管理员和领导账号可以编辑通报内容")


def scope_key(counties) -> str:
    return ",".join(sorted(str(c) for c in counties or ()))


def _access(store, access):
    return unwrap(store, access)[1]


# ------------------------------------------------------------------------------ actions
def add_action(store, *, on_date, kind: str, title: str, actor: str, doc_no: str | None = None,
               county_code: str | None = None, note: str | None = None, access=None) -> int:
    """Record an action; returns its id."""

    access = _access(store, access)
    _check(access)
    title = (title or "").strip().rstrip("。；;，,")
    if not title:
        raise ValidationError("say what was done", "请填写事项内容（如“召开党组会议研究部署整改工作”）")
    if kind not in KINDS:
        raise ValidationError(f"kind must be one of {', '.join(KINDS)}",
                              f"类别只能是：{'、'.join(v[0] for v in KINDS.values())}")
    try:
        day = on_date if isinstance(on_date, dt.date) else dt.date.fromisoformat(str(on_date)[:10])
    except ValueError:
        raise ValidationError(f"on_date must be a date, not '{on_date}'", f"日期无效：“{on_date}”") from None
    if access is not None and access.counties is not None:
        if county_code not in access.counties:
            raise PermissionDenied("a county account records actions of its own counties",
                                   "只能记录本旗县的工作")
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        aid = raw._reserve_ids(tx, "report_actions", 1)[0]
        tx.execute("INSERT INTO report_actions (id, on_date, kind, title, doc_no, county_code, note, created_at, "
                   "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [aid, day.isoformat(), kind, title, (doc_no or "").strip() or None, county_code or None,
                    (note or "").strip() or None, now_utc(), actor])
    return aid


def delete_action(store, action_id: int, *, access=None) -> None:
    _check(_access(store, access))
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        if tx.query_one("SELECT id FROM report_actions WHERE id = ?", [int(action_id)]) is None:
            raise NotFoundError(f"action #{action_id} does not exist", f"工作记录 #{action_id} 不存在")
        tx.execute("DELETE FROM report_actions WHERE id = ?", [int(action_id)])


def actions(store, *, as_of: dt.date | None = None, counties=None, kinds=None) -> pd.DataFrame:
    """Recorded actions up to ``as_of`` (inclusive), oldest first; with ``counties``, those of
    the whole jurisdiction and of those counties."""
    raw = unwrap(store)[0]
    frame = raw.table("report_actions", order="on_date, id")
    if frame.empty:
        return frame
    frame["on_date"] = frame["on_date"].map(lambda v: str(v)[:10])
    keep = pd.Series(True, index=frame.index)
    if as_of is not None:
        keep &= frame["on_date"] <= as_of.isoformat()
    if counties:
        keep &= frame["county_code"].isna() | frame["county_code"].isin(list(counties))
    if kinds:
        keep &= frame["kind"].isin(list(kinds))
    return frame[keep].reset_index(drop=True)


# ------------------------------------------------------------------------------ section texts
def text(store, section: str, counties=None) -> str | None:
    """The bureau's own text of ``section`` for this scope, or None."""
    raw = unwrap(store)[0]
    frame = raw.table("report_texts", where={"section": section, "scope": scope_key(counties)})
    if frame.empty:
        return None
    body = frame["body"].iloc[0]
    return body if isinstance(body, str) and body.strip() else None


def set_text(store, section: str, body: str | None, *, actor: str, counties=None, access=None) -> None:
    """Save (or, with an empty ``body``, clear) the bureau's text of a section."""

    access = _access(store, access)
    _check(access)
    if section not in SECTIONS:
        raise ValidationError(f"section must be one of {', '.join(SECTIONS)}", "未知的通报章节")
    if access is not None and access.counties is not None and not set(counties or ()) <= set(access.counties):
        raise PermissionDenied("a county account edits its own counties' bulletin", "只能编辑本旗县的通报")
    key = scope_key(counties)
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        tx.execute("DELETE FROM report_texts WHERE section = ? AND scope = ?", [section, key])
        if body and body.strip():
            tx.execute("INSERT INTO report_texts (section, scope, body, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)",
                       [section, key, body.strip(), now_utc(), actor])
