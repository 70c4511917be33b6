"""The forest-chief system's rules: who holds which post from when to when, the chiefs of a zone,
and which signboards are stale because a post changed hands after the board was last updated.

An appointment is an ``appoint`` event on the post (``fields``: the person, the date, and who held
it before); leaving a post empty is a ``vacate`` event. :func:`tenures` reads those events back,
so the history is kept whatever happens to the post record afterwards.
"""

from __future__ import annotations

import json

import pandas as pd

from geo.chief.people import PERSON
from geo.engine import workflow
from geo.core.errors import NotFoundError, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import as_date, today_local
from geo.store.attribution import zones_in_force
from geo.core.timeutil import now_utc
from geo.store.attribution import LEVEL_ORDER

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


def last_change(store, post_ids, until: str | None = None) -> dict[int, str]:
    """The date of the latest change of holder (appointed or vacated) of each post, counting the
    changes recorded before ``until`` (UTC text) when given."""
    raw, _ = unwrap(store)
    ids = sorted({int(p) for p in post_ids})
    if not ids:
        return {}
    cut, params = ("", []) if until is None else (" AND at < ?", [until])
    with raw.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT feature_id, fields FROM events WHERE layer = 'post' AND action IN ('appoint', 'vacate') "
            f"AND feature_id IN ({', '.join('?' * len(ids))}){cut}", ids + params)
    out: dict[int, str] = {}
    for fid, fields in rows:
        since = (json.loads(fields) if fields else {}).get("holder_since") or ""
        if since > out.get(int(fid), ""):
            out[int(fid)] = since
    return out


def stale_boards(store, boards: pd.DataFrame, until: str | None = None) -> pd.Series:
    """For signboards (``post_id``, ``content_on``): True where the board's post changed hands
    after the board's content was last updated — the board shows someone who no longer holds it."""
    if boards.empty or "post_id" not in boards:
        return pd.Series(False, index=boards.index)
    shown = boards["content_on"] if "content_on" in boards else pd.Series(None, index=boards.index)
    if "installed_on" in boards:
        shown = shown.where(shown.notna(), boards["installed_on"])
    changed = last_change(store, boards["post_id"].dropna().astype(int).tolist(), until)
    return pd.Series([pd.notna(p) and changed.get(int(p), "") > str(d or "") for p, d in zip(boards["post_id"], shown)],
                     index=boards.index, dtype=bool)


def board_holder(raw, board: dict) -> dict | None:
    """Who a board should show now: the current holder of its post."""
    pid = board.get("post_id")
    if pid is None or (isinstance(pid, float) and pd.isna(pid)):
        return None
    try:
        post = raw.get_feature("post", int(pid))
    except NotFoundError:
        return None
    # the board's 监督电话 is the bureau's published line; the post's phone is a person's contact
    # number and is never published
    return {"chief_name": post.get("holder_name"), "chief_post": post.get("title"),
            "phone": board.get("phone"), "duties": post.get("duties") or board.get("duties")}


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



# ------------------------------------------------------------------------------ the roster (林长名册)
_SHEET_LEVELS = (("盟", "league"), ("旗县", "banner"), ("县级", "banner"), ("苏木", "township"),
                 ("乡镇", "township"), ("嘎查", "village"), ("村级", "village"), ("网格", "grid"))
_SHEET_ROLES = (("副林长", "deputy"), ("监管员", "supervisor"), ("护林员", "ranger"), ("林长", "chief"))
PERSON_KEYS = {"unit": ("工作单位", "单位", "所在单位"), "job": ("行政职务", "现任职务")}


def sheet_defaults(layer: str, sheet: str) -> dict:
    """One sheet per level (and per role) in the offices' rosters: "旗县级林长" → banner chiefs."""
    out = {}
    for word, level in _SHEET_LEVELS:
        if word in sheet:
            out["level"] = level
            break
    for word, role in _SHEET_ROLES:
        if word in sheet:
            out["role"] = role
            break
    return out


def _zone_index(raw, tx=None) -> dict[str, int]:

    zones = zones_in_force(raw, tx)
    return {str(n).strip(): int(i) for n, i in zip(zones["name"], zones["id"])} if len(zones) else {}


def prepare_rows(raw, layer: str, rows: list[dict], *, actor: str, access=None, dry_run: bool = True, tx=None):
    """Roster rows → posts: the zone named in a row must exist (its id is filled in), and the person
    holding the post is found (same name and phone) or added to the people register."""
    import geopandas as gpd

    problems = []
    zones = _zone_index(raw, tx)
    for i, row in enumerate(rows):
        name = str(row.get("zone_name") or "").strip()
        if name and row.get("zone_id") is None:
            zid = zones.get(name) or next((z for n, z in zones.items() if name in n or n in name), None)
            if zid is None:
                problems.append({"row": f"第 {i + 1} 条", "message_zh": f"责任区“{name}”在系统中不存在（请先导入或新建责任区）",
                                 "message_en": f"zone '{name}' does not exist"})
            else:
                row["zone_id"] = zid
        if row.get("holder_name"):
            row["status"] = "filled"
            row.setdefault("holder_since", today_local().isoformat())
    if dry_run or problems:
        return rows, problems
    people = raw.read_layer("person", columns=["name", "phone"], geometry=False, tx=tx)
    known = {(str(n), str(p or "")): int(i) for n, p, i in zip(people["name"], people["phone"], people["id"])}
    new, at = [], now_utc()
    for row in rows:
        if not row.get("holder_name"):
            continue
        key = (str(row["holder_name"]), str(row.get("phone") or ""))
        if key in known:
            row["holder_id"] = known[key]
            continue
        extra = row.get("extra") or {}
        person = {"name": row["holder_name"], "phone": row.get("phone"), "status": "active",
                  **{k: row.get(k) for k in ("county_code", "county", "township") if row.get(k)}}
        for fld, aliases in PERSON_KEYS.items():
            for col, v in extra.items():
                if col.split("·")[-1] in aliases and v:
                    person[fld] = v
        new.append((row, person))
    if new:
        frame = gpd.GeoDataFrame(pd.DataFrame([p for _, p in new]), geometry=[None] * len(new), crs=4490)
        ids = raw.insert_features(tx, "person", frame, actor=actor, at=at, action="create", record_values=True,
                                  comment="林长名册导入")
        for (row, _), pid in zip(new, ids):
            row["holder_id"] = int(pid)
            known[(str(row["holder_name"]), str(row.get("phone") or ""))] = int(pid)
    return rows, problems


def details(store, record: dict, lang: str = "zh"):
    """The post page's extra table: who held this post from when to when."""
    t = tenures(store, int(record["id"]))
    if t.empty:
        return []
    zh = lang == "zh"
    t = t.rename(columns={"name": "姓名" if zh else "Name", "start": "任职" if zh else "From",
                          "end": "离任" if zh else "Until"}).drop(columns=["person_id"])
    return [("任职经历" if zh else "Who held this post", t.fillna("至今" if zh else "now"))]


# ------------------------------------------------------------------------------ a feature's chiefs
def zone_chiefs(store, zone_ids) -> dict[int, dict]:
    """The chief post of each zone (``{zone id: {name, title, phone, post_id}}``), where one is held."""
    ids = sorted({int(z) for z in zone_ids if z is not None and not (isinstance(z, float) and pd.isna(z))})
    if not ids:
        return {}
    posts = store.read_layer("post", where={"zone_id": ids, "role": "chief"}, geometry=False,
                             columns=["zone_id", "title", "holder_name", "phone", "status"])
    posts = posts[posts["status"] == "filled"]
    return {int(z): {"name": n, "title": t, "phone": p, "post_id": int(i)}
            for z, t, n, p, i in zip(posts["zone_id"], posts["title"], posts["holder_name"], posts["phone"], posts["id"])}


def for_feature(store, feature: dict) -> list[dict]:
    """Every level's zone and chief of a feature (finest first), from its attribution: what the
    details panel shows as 责任区林长. Empty when no zone holds it (or no zones are defined)."""
    zones = feature.get("zones")
    if isinstance(zones, str):
        zones = json.loads(zones)
    if not zones:
        return []
    levels = [(lv, z) for lv, z in zones.items() if lv != "others"]
    names = store.read_layer("zone", ids=[int(z) for _, z in levels], columns=["name", "level"], geometry=False)
    name = dict(zip(names["id"].astype(int), names["name"]))
    chiefs = zone_chiefs(store, [z for _, z in levels])

    levels.sort(key=lambda p: -(LEVEL_ORDER.index(p[0]) if p[0] in LEVEL_ORDER else -1))
    return [{"level": lv, "zone_id": int(z), "zone": name.get(int(z)), **(chiefs.get(int(z)) or {})}
            for lv, z in levels]


def chief_columns(store, frame: pd.DataFrame) -> pd.DataFrame:
    """``zone_name`` and ``zone_chief`` (the chief of the finest zone that has one) for an export."""
    if "zones" not in frame:
        return frame
    parsed = [json.loads(z) if isinstance(z, str) else (z or {}) for z in frame["zones"]]
    all_ids = {int(v) for p in parsed for k, v in p.items() if k != "others"}
    if not all_ids:
        return frame.assign(zone_name=None, zone_chief=None)
    names = store.read_layer("zone", ids=sorted(all_ids), columns=["name", "level"], geometry=False)
    name = dict(zip(names["id"].astype(int), names["name"]))
    chiefs = zone_chiefs(store, all_ids)

    zone_name, zone_chief = [], []
    for p in parsed:
        order = sorted(((k, int(v)) for k, v in p.items() if k != "others"),
                       key=lambda kv: -(LEVEL_ORDER.index(kv[0]) if kv[0] in LEVEL_ORDER else -1))
        zone_name.append(name.get(order[0][1]) if order else None)
        held = next((chiefs[z] for _, z in order if z in chiefs), None)
        zone_chief.append(f"{held['name']}（{held['title']}）" if held else None)
    return frame.assign(zone_name=zone_name, zone_chief=zone_chief)


# ------------------------------------------------------------------------------ a chief's view
def zones_of_person(store, person_id: int) -> list[int]:
    """The zones of the chief posts (林长/副林长) a person holds now."""
    posts = store.read_layer("post", where={"holder_id": int(person_id), "role": ["chief", "deputy"],
                                            "status": "filled"}, columns=["zone_id"], geometry=False)
    return sorted({int(z) for z in posts["zone_id"].dropna()})


def chiefs_list(store) -> pd.DataFrame:
    """People holding chief or deputy posts (as the user may see them), for picking a chief."""
    posts = store.read_layer("post", where={"role": ["chief", "deputy"], "status": "filled"}, geometry=False,
                             columns=["holder_id", "holder_name", "title", "level", "county"])
    posts = posts.dropna(subset=["holder_id"]).drop_duplicates("holder_id")
    # a holder who has since left the system (person status ``left``) is no chief to pick
    raw, _ = unwrap(store)
    gone = raw.read_layer("person", where={"status": list(PERSON.retired_statuses)}, columns=["status"],
                          geometry=False)
    return posts[~posts["holder_id"].astype(int).isin(gone["id"].astype(int).tolist())]


def bulletin(figures: dict, ctx: dict) -> str | None:
    """The forest-chief system in the seeds' words: chiefs by level, supervisors and rangers (一长两员),
    and the zones — counted from the post and zone registers for the bulletin's day and scope."""
    def total(key, registers=None):
        src = registers if registers is not None else figures
        v = (src.get(key) or {}).get("total")
        return int(v or 0)

    levels = [("league", "盟级"), ("banner", "旗县级"), ("township", "苏木乡镇级"), ("village", "嘎查村级")]
    chiefs = [(zh, total(f"chiefs_{lv}")) for lv, zh in levels]
    n = sum(v for _, v in chiefs)
    if not n:
        return None
    parts = "、".join(f"{zh}{v}名" for zh, v in chiefs if v)
    text = f"{ctx.get('scope') or '全盟'}已设立各级林长{n}名（{parts}），配备监管员{total('supervisors')}名、护林员{total('rangers')}名"
    zones = (ctx.get("registers") or {}).get("zone") or {}
    nz = total("zones", zones)
    if nz:
        text += f"，划定责任区（网格）{nz}个，实行网格化管理"
    vacant = total("vacant")
    if vacant:
        text += f"；尚有{vacant}个岗位空缺，正在补齐"
    return text + "。"
