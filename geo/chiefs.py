"""The forest-chief system's rules: who holds which post from when to when, the chiefs of a zone,
and which signboards are stale because a post changed hands after the board was last updated.

An appointment is an ``appoint`` event on the post (``fields``: the person, the date, and who held
it before); leaving a post empty is a ``vacate`` event. :func:`tenures` reads those events back,
so the history is kept whatever happens to the post record afterwards.
"""

from __future__ import annotations

import json

import pandas as pd

from geo import workflow
from geo.errors import NotFoundError, ValidationError
from geo.scope import unwrap
from geo.timeutil import as_date, today_local

FIGURE_COLUMNS = ("role", "level", "status")


def _date(value, what: str = "任职日期") -> str:
    d = as_date(value) if value not in (None, "") else today_local()
    if d is None:
        raise ValidationError(f"'{value}' is not a date", f"{what}“{value}”不是有效日期")
    return d.isoformat()


def appoint(store, post_id: int, person_id: int, since=None, *, actor: str, access=None, version=None,
            comment: str | None = None) -> int:
    """Put ``person_id`` in post ``post_id`` from ``since`` (default today). Returns the post's new
    version. The previous holder's tenure ends that day."""
    raw, access = unwrap(store, access)
    post = raw.get_feature("post", post_id)
    person = raw.get_feature("person", int(person_id))
    if person["status"] != "active":
        raise ValidationError(f"{person['name']} has left the system", f"{person['name']} 已离任，不能任职")
    since = _date(since)
    if post.get("holder_since") and str(post["holder_since"]) > since and post.get("holder_id"):
        raise ValidationError(
            f"the post is held since {post['holder_since']}; an appointment must be dated on or after it",
            f"该岗位现任者自 {post['holder_since']} 起任职，新任职日期不能早于此日期")
    fields = {"holder_id": int(person_id), "holder_name": person["name"], "holder_since": since,
              "phone": person.get("phone") or post.get("phone")}
    note = {"previous": post.get("holder_name"), "previous_id": post.get("holder_id")}
    return workflow.edit(store, "post", post_id, actor=actor, fields=fields, version=version, access=access,
                         comment=comment or f"任职：{person['name']}（自 {since}；前任：{note['previous'] or '无'}）",
                         action="appoint", status="filled")


def vacate(store, post_id: int, since=None, *, actor: str, access=None, version=None,
           comment: str | None = None) -> int:
    raw, access = unwrap(store, access)
    post = raw.get_feature("post", post_id)
    since = _date(since, "离任日期")
    return workflow.edit(store, "post", post_id, actor=actor,
                         fields={"holder_id": None, "holder_name": None, "holder_since": since},
                         version=version, access=access, action="vacate", status="vacant",
                         comment=comment or f"离任：{post.get('holder_name') or '—'}（{since}）")


# operations offered on a post's page and as `python -m geo op`
def op_appoint(store, fid, values, *, actor, access=None, comment=None, **_):
    if values.get("holder_id") in (None, ""):
        raise ValidationError("choose the person to appoint", "请选择任职人员", field="holder_id")
    return appoint(store, fid, int(values["holder_id"]), values.get("holder_since"), actor=actor, access=access,
                   comment=comment)


def op_vacate(store, fid, values, *, actor, access=None, comment=None, **_):
    return vacate(store, fid, values.get("holder_since"), actor=actor, access=access, comment=comment)


def tenures(store, post_id: int) -> pd.DataFrame:
    """Who held post ``post_id`` from when to when (``end`` empty: still in post), oldest first."""
    raw, _ = unwrap(store)
    ev = raw.events("post", int(post_id), actions=["create", "import", "appoint", "vacate"])
    rows = []
    for action, fields in zip(ev["action"], ev["fields"]):
        f = json.loads(fields) if fields else {}
        if action in ("create", "import") and not f.get("holder_id") and not f.get("holder_name"):
            continue
        start = f.get("holder_since")
        if rows and rows[-1]["end"] is None:
            rows[-1]["end"] = start
        if action != "vacate" and (f.get("holder_id") or f.get("holder_name")):
            rows.append({"person_id": f.get("holder_id"), "name": f.get("holder_name"), "start": start, "end": None})
    if not rows:  # created with a holder by a bulk import (the record itself says who)
        post = raw.get_feature("post", int(post_id))
        if post.get("holder_name"):
            rows.append({"person_id": post.get("holder_id"), "name": post["holder_name"],
                         "start": post.get("holder_since"), "end": None})
    return pd.DataFrame(rows, columns=["person_id", "name", "start", "end"])


def holder_on(store, post_id: int, day) -> dict | None:
    day = as_date(day).isoformat()
    for r in tenures(store, post_id).to_dict("records")[::-1]:
        if (r["start"] or "") <= day and (r["end"] is None or r["end"] > day):
            return r
    return None


def changes_after(store, post_ids, day_by_post: dict, until: str | None = None) -> set[int]:
    """Posts whose holder changed (appointed or vacated) after the date given per post, counting
    the changes recorded before ``until`` (UTC text) when given."""
    raw, _ = unwrap(store)
    if not post_ids:
        return set()
    out = set()
    cut, params = ("", []) if until is None else (" AND at < ?", [until])
    with raw.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT feature_id, fields FROM events WHERE layer = 'post' AND action IN ('appoint', 'vacate') "
            f"AND feature_id IN ({', '.join('?' * len(post_ids))}){cut}", [int(p) for p in post_ids] + params)
    for fid, fields in rows:
        f = json.loads(fields) if fields else {}
        since = f.get("holder_since") or ""
        if since and since > (day_by_post.get(int(fid)) or ""):
            out.add(int(fid))
    return out


def stale_boards(store, boards: pd.DataFrame, until: str | None = None) -> pd.Series:
    """For signboards (``post_id``, ``content_on``): True where the board's post changed hands
    after the board's content was last updated — the board shows someone who no longer holds it."""
    if boards.empty or "post_id" not in boards:
        return pd.Series(False, index=boards.index)
    posts = boards["post_id"].dropna().astype(int)
    shown = boards["content_on"] if "content_on" in boards else boards.get("installed_on")
    if "installed_on" in boards and shown is not None:
        shown = shown.where(shown.notna(), boards["installed_on"])
    day = {int(p): str(d or "") for p, d in zip(boards["post_id"], shown) if pd.notna(p)}
    changed = changes_after(store, sorted(set(posts)), day, until)
    return boards["post_id"].map(lambda p: pd.notna(p) and int(p) in changed).astype(bool)


def board_holder(raw, board: dict) -> dict | None:
    """Who a board should show now: the current holder of its post."""
    pid = board.get("post_id")
    if pid is None or (isinstance(pid, float) and pd.isna(pid)):
        return None
    try:
        post = raw.get_feature("post", int(pid))
    except NotFoundError:
        return None
    return {"chief_name": post.get("holder_name"), "chief_post": post.get("title"),
            "phone": post.get("phone") or board.get("phone"), "duties": post.get("duties") or board.get("duties")}


def chiefs_of_zone(store, zone_id: int) -> pd.DataFrame:
    """The posts of a zone (chief, deputies, supervisor, rangers) and who holds them."""
    return store.read_layer("post", where={"zone_id": int(zone_id)}, geometry=False,
                            columns=["title", "level", "role", "holder_name", "holder_since", "phone", "status"])


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Chiefs per level (filled chief posts), for the leaders' screen."""
    out = {}
    if frame.empty:
        return out
    chiefs = frame[(frame["role"] == "chief") & (frame["status"] == "filled")]
    for level in ("league", "banner", "township", "village"):
        part = chiefs[chiefs["level"] == level]
        codes = part["county_code"].fillna("∅").astype(str) if "county_code" in part else pd.Series(dtype=str)
        out[f"chiefs_{level}"] = {"total": int(len(part)),
                                  "by_county": {k: int(v) for k, v in codes.value_counts().items()}}
    return out

