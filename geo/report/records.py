"""What the bureau records for its bulletin: the actions it took (meetings held, documents issued,
groups set up, inspections, rules made) and its own wording of the editable sections.

* ``report_actions``: one row per action — date, kind (:data:`KINDS`), what was done, as a clause
  the bulletin can print after the date ("召开党组（扩大）会议部署整改工作"), the document number if
  any, and the county it concerns (none: the whole jurisdiction). Section 一 is drafted from them,
  section 三 from the rules made (``system``).
* ``report_texts``: the bureau's own text of a section (``responsibility`` 一, ``mechanism`` 三,
  ``next_steps`` 四) for a scope (``""`` the whole jurisdiction, else the county codes joined by
  commas). A saved text replaces the draft; clearing it brings the draft back.

Both are scoped by county: an account bound to counties records, deletes, reads and edits only
its own counties' actions and texts (and reads the whole jurisdiction's actions, which its
bulletin prints too). Every change — an action recorded or deleted, a text saved or cleared —
writes an event (``events``, layer ``report_action`` with the action's id, or ``report_text``)
in the same transaction: who, when, and the record before and after. The events table is the
store's one append-only history (backed up and restored with it, read by the same tools), so
these changes need no history table of their own; :func:`history` reads them back, scoped.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from geo.core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import fmt_local, now_utc

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


def _bound(access) -> frozenset | None:
    """The counties an account is bound to (None: the whole jurisdiction)."""
    return None if access is None or access.counties is None else frozenset(access.counties)


def _event(raw, tx, layer: str, rid: int, actor: str, action: str, fields: dict) -> None:
    raw.add_events(tx, [(layer, int(rid), now_utc(), actor, action, None, None,
                         json.dumps(fields, ensure_ascii=False, default=str), None, None, None)])


def conflict(tx, layer: str, zh: str, en: str, match=None) -> ConflictError:
    """The refusal of a stale save of the bulletin's settings or a section text (``layer``:
    ``report_setting``/``report_text``): who changed it last and when, and that nothing was saved.
    ``match(fields)`` picks the events of this text among the layer's."""
    rows = tx.query("SELECT actor, at, fields FROM events WHERE layer = ? ORDER BY id DESC", [layer])
    for actor, at, fields in rows:
        data = json.loads(fields) if isinstance(fields, str) and fields else {}
        if match is None or match(data):
            who, when = actor, fmt_local(at)
            break
    else:
        who, when = "?", "?"
    return ConflictError(f"{en} was changed by {who} at {when} since you opened it; nothing was saved. "
                         "Reload it and apply your change again.",
                         f"{zh}已被 {who} 于 {when} 修改，您看到的是修改前的内容，您的修改未保存：请刷新后重新填写",
                         changed_by=who, changed_at=when)


ACTION_COLUMNS = ("id", "on_date", "kind", "title", "doc_no", "county_code", "note", "created_at", "created_by")


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
    row = [day.isoformat(), kind, title, (doc_no or "").strip() or None, county_code or None,
           (note or "").strip() or None, now_utc(), actor]
    with raw.transaction() as tx:
        aid = raw._reserve_ids(tx, "report_actions", 1)[0]
        tx.execute("INSERT INTO report_actions (id, on_date, kind, title, doc_no, county_code, note, created_at, "
                   "created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [aid, *row])
        _event(raw, tx, "report_action", aid, actor, "create",
               {"county_code": county_code or None, "before": None, "after": dict(zip(ACTION_COLUMNS, [aid, *row]))})
    return aid


def delete_action(store, action_id: int, *, actor: str | None = None, access=None) -> None:
    """Delete a recorded action: an account bound to counties only one of its own counties (not
    one of the whole jurisdiction). The event keeps the action as it was."""
    access = _access(store, access)
    _check(access)
    actor = actor or (access.user if access is not None else None)
    if not actor:
        raise ValidationError("say who deletes the action", "请注明操作人")
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        names, rows = tx.columns(f"SELECT {', '.join(ACTION_COLUMNS)} FROM report_actions WHERE id = ?",
                                 [int(action_id)])
        if not rows:
            raise NotFoundError(f"action #{action_id} does not exist", f"工作记录 #{action_id} 不存在")
        before = dict(zip(names, rows[0]))
        bound = _bound(access)
        if bound is not None and before.get("county_code") not in bound:
            raise PermissionDenied(
                f"{access.user} may delete actions of their own counties only "
                f"(#{action_id} is of {before.get('county_code') or 'the whole jurisdiction'})",
                "只能删除本旗县的工作记录：该记录属于其他旗县或全域，未删除", id=int(action_id))
        tx.execute("DELETE FROM report_actions WHERE id = ?", [int(action_id)])
        _event(raw, tx, "report_action", int(action_id), actor, "delete",
               {"county_code": before.get("county_code"), "before": before, "after": None})


def actions(store, *, as_of: dt.date | None = None, counties=None, kinds=None) -> pd.DataFrame:
    """Recorded actions up to ``as_of`` (inclusive), oldest first; with ``counties``, those of
    the whole jurisdiction and of those counties. An account bound to counties reads its own
    counties' (and the whole jurisdiction's) whatever it asks for."""
    raw, access = unwrap(store)
    bound = _bound(access)
    if bound is not None:
        counties = sorted(bound & set(counties)) if counties else sorted(bound)
        counties = counties or ["-"]  # (asked only for others: the whole jurisdiction's)
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
def _text_scope(access, counties, write: bool) -> list[str]:
    """The counties of a text an account may read or edit: an account bound to counties, only
    some of its own (by default all of them)."""
    bound = _bound(access)
    if bound is None:
        return sorted(str(c) for c in counties or ())
    counties = sorted(str(c) for c in counties or ()) or sorted(bound)
    if not set(counties) <= bound:
        raise PermissionDenied(
            f"{access.user} may {'edit' if write else 'read'} the bulletin of their own counties only",
            "只能编辑本旗县的通报" if write else "只能查看本旗县的通报内容")
    return counties


def text(store, section: str, counties=None) -> str | None:
    """The bureau's own text of ``section`` for this scope, or None (an account bound to
    counties: of its counties)."""
    raw, access = unwrap(store)
    counties = _text_scope(access, counties, write=False)
    frame = raw.table("report_texts", where={"section": section, "scope": scope_key(counties)})
    if frame.empty:
        return None
    body = frame["body"].iloc[0]
    return body if isinstance(body, str) and body.strip() else None


_UNSEEN = object()


def set_text(store, section: str, body: str | None, *, actor: str, counties=None, access=None,
             seen=_UNSEEN) -> None:
    """Save (or, with an empty ``body``, clear) the bureau's text of a section. ``seen`` is the
    saved text the editor was showing (None: none saved): if the text was changed since, the save
    is refused with who changed it and when (:func:`conflict`) and nothing is written."""

    access = _access(store, access)
    _check(access)
    if section not in SECTIONS:
        raise ValidationError(f"section must be one of {', '.join(SECTIONS)}", "未知的通报章节")
    counties = _text_scope(access, counties, write=True)
    key = scope_key(counties)
    after = body.strip() if body and body.strip() else None
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        was = tx.query_one("SELECT body FROM report_texts WHERE section = ? AND scope = ?", [section, key])
        before = was[0] if was is not None and was[0] else None
        if seen is not _UNSEEN and (seen.strip() if seen and seen.strip() else None) != before:
            raise conflict(tx, "report_text", f"通报“{SECTIONS[section][0]}”的文字", f"the text of '{SECTIONS[section][1]}'",
                           match=lambda f: f.get("section") == section and scope_key(f.get("counties")) == key)
        if before == after:
            return
        tx.execute("DELETE FROM report_texts WHERE section = ? AND scope = ?", [section, key])
        if after:
            tx.execute("INSERT INTO report_texts (section, scope, body, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)",
                       [section, key, after, now_utc(), actor])
        _event(raw, tx, "report_text", 0, actor, "edit" if after else "clear",
               {"section": section, "counties": counties, "before": before, "after": after})


# ------------------------------------------------------------------------------ history
HISTORY_LAYERS = ("report_action", "report_text", "report_setting")


def history(store, *, counties=None) -> list[dict]:
    """The changes to the recorded actions, section texts and bulletin settings, oldest first:
    ``{event, at, actor, what, action, id, counties, before, after}`` (``event``: the event's id;
    ``what``: ``action``, ``text`` or ``setting``; ``id``: the action's). An account bound to
    counties sees those of its counties only; ``counties`` narrows further."""
    raw, access = unwrap(store)
    bound = _bound(access)
    wanted = set(map(str, counties)) if counties else None
    out = []
    for layer in HISTORY_LAYERS:
        events = raw.events(layer)
        for e in events.to_dict("records"):
            fields = json.loads(e["fields"]) if isinstance(e.get("fields"), str) else {}
            if layer == "report_action":
                codes = [fields["county_code"]] if fields.get("county_code") else []
            else:
                codes = list(fields.get("counties") or [])
            if bound is not None and (not codes or not set(codes) <= bound):
                continue
            if wanted is not None and not set(codes) & wanted:
                continue
            out.append({"event": int(e["id"]), "at": e["at"], "actor": e["actor"], "what": layer.split("_", 1)[1],
                        "action": e["action"], "id": int(e["feature_id"]) if layer == "report_action" else None,
                        "counties": codes,
                        **{k: v for k, v in fields.items() if k not in ("county_code", "counties")}})
    return sorted(out, key=lambda r: r["event"])  # (the events table's order is the order they happened)
