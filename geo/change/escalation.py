"""Overdue work goes up to the next chief: who gets what, and the 提示单 / 督办单 for each of them.

Rules are configuration (``[[review.escalation]]`` in forest.toml; default: 30 days overdue → the
county-level chief gets a 提示单, 90 days → the league chief a 督办单). A change polygon overdue
(its derived deadline passed — :func:`geo.engine.workflow.change_deadlines`; sent-back polygons count,
polygons waiting for review do not, nor do polygons flagged outside the jurisdiction) by at least a rule's days goes to the chief of its zone at
that rule's level — the highest rule it reaches. The chief is the holder of the zone's chief
post in the post register (:mod:`geo.chief.people`, :func:`geo.chief.chiefs.chiefs_of_zone`); the
zone is the one the polygon was attributed to at that level (``zones``), or its county's /
the league's zone. Overdue rectification items (整改事项, the league's own list) go to the league
chief once they are late by the first rule's days.

:func:`notice_docx` writes one chief's notice in the bulletin's 公文 layout (GB/T 9704 page,
fonts and tables from :mod:`geo.report.bulletin`).
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd

from geo.engine import official
from geo.declare import registry as S
from geo.change.closure import review_settings
from geo.access.scope import unwrap
from geo.core.timeutil import today_local
from geo.change.deadlines import RECTIFY_STAGE, VERIFY_STAGE, with_deadlines
from geo.docs.blocks import Block
from geo.docs.text import zh_date
from geo.docs.layout import render
from geo.core.timeutil import optional_date

LEVEL_ZH = {"league": "盟级", "banner": "旗县级", "township": "苏木乡镇级", "village": "嘎查村级"}
COLUMNS = ["id", "polygon_no", "county_code", "county", "township", "status", "verdict", "due", "days_overdue",
           "rule_days", "level", "notice", "zone_id", "zone", "chief_post_id", "chief_title", "chief_name",
           "chief_phone", "unit"]


def _zones_json(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            out = json.loads(value)
        except ValueError:
            return {}
        return out if isinstance(out, dict) else {}
    return {}


def unit_of(county, township=None) -> str:
    """The responsible unit of a polygon: its county's forestry and grassland bureau (and township)."""
    base = f"{county}林业和草原局" if county else "旗县林业和草原局"
    return base + (f"（{township}）" if township else "")


def overdue_polygons(store, today: dt.date | None = None) -> pd.DataFrame:
    """Change polygons past their deadline on ``today`` (as the user may see them)."""
    today = today or today_local()
    cols = ["polygon_no", "county_code", "county", "township", "status", "verdict", "batch_id", "deadline", "zones",
            "zone_id", "flags"]
    frame = store.read_layer("change", columns=cols, geometry=False,
                             where={"status": [*VERIFY_STAGE, *RECTIFY_STAGE]})
    if frame.empty:
        return frame.assign(due=None, overdue=False, days_overdue=0)
    # official batches only (geo.engine.official: candidates and tests carry no deadline anyone answers for)
    batches = store.batches("change")
    counted = {b for b, p in official.purposes(store, None, batches).items() if p == "official"}
    outside = frame["flags"].map(lambda f: bool(_zones_json(f).get("outside_jurisdiction")))
    keep = ~outside.to_numpy(dtype=bool) & pd.to_numeric(frame["batch_id"], errors="coerce").isin(counted).to_numpy()
    frame = with_deadlines(frame[keep], batches, today)
    return frame[frame["overdue"]].reset_index(drop=True)


def _chief_posts(raw) -> dict[int, dict]:
    posts = raw.read_layer("post", where={"role": "chief"}, columns=["title", "level", "zone_id", "holder_name", "phone",
                                                                    "status"], geometry=False)
    out: dict[int, dict] = {}
    for rec in posts.sort_values("id").to_dict("records"):
        z = rec.get("zone_id")
        if z is None or pd.isna(z):
            continue
        if int(z) not in out or (out[int(z)]["status"] != "filled" and rec["status"] == "filled"):
            out[int(z)] = rec
    return out


def escalations(store, *, today: dt.date | None = None, settings=None) -> pd.DataFrame:
    """Every polygon escalated on ``today``: one row each, with the rule it reached and the chief it
    goes to (see the module docstring)."""
    today = today or today_local()
    rules = sorted(review_settings(settings).escalation, key=lambda r: r.days)
    late = overdue_polygons(store, today)
    if late.empty or not rules:
        return pd.DataFrame(columns=COLUMNS)
    late = late[late["days_overdue"] >= rules[0].days]
    if late.empty:
        return pd.DataFrame(columns=COLUMNS)
    raw, _ = unwrap(store)
    zones = raw.read_layer("zone", columns=["name", "level", "county_code", "valid_to"], geometry=False)
    zones = zones[zones["valid_to"].isna()]
    zone_name = dict(zip(zones["id"].astype("int64"), zones["name"]))
    banner_of = {c: int(i) for i, c, lv in zip(zones["id"], zones["county_code"], zones["level"]) if lv == "banner"}
    league = [int(i) for i, lv in zip(zones["id"], zones["level"]) if lv == "league"]
    posts = _chief_posts(raw)
    rows = []
    for rec in late.to_dict("records"):
        rule = [r for r in rules if rec["days_overdue"] >= r.days][-1]
        zone = _zones_json(rec.get("zones")).get(rule.level)
        if zone is None:
            zone = banner_of.get(rec.get("county_code")) if rule.level == "banner" else (
                league[0] if rule.level == "league" and league else None)
        post = posts.get(int(zone)) if zone is not None else None
        rows.append({
            "id": int(rec["id"]), "polygon_no": rec.get("polygon_no"), "county_code": rec.get("county_code"),
            "county": rec.get("county"), "township": rec.get("township"), "status": rec["status"],
            "verdict": rec.get("verdict"), "due": rec["due"], "days_overdue": int(rec["days_overdue"]),
            "rule_days": rule.days, "level": rule.level, "notice": rule.notice,
            "zone_id": int(zone) if zone is not None else None, "zone": zone_name.get(int(zone)) if zone is not None else None,
            "chief_post_id": int(post["id"]) if post else None, "chief_title": post.get("title") if post else None,
            "chief_name": post.get("holder_name") if post else None, "chief_phone": post.get("phone") if post else None,
            "unit": unit_of(rec.get("county"), rec.get("township")),
        })
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["level", "county_code", "days_overdue", "id"], ascending=[False, True, False, True]) \
        .reset_index(drop=True)


def overdue_items(store, today: dt.date | None = None, settings=None) -> pd.DataFrame:
    """Rectification items (整改事项) late by at least the first rule's days: they go to the league chief."""
    today = today or today_local()
    rules = sorted(review_settings(settings).escalation, key=lambda r: r.days)
    items = store.items()
    if items.empty or not rules:
        return pd.DataFrame(columns=["id", "code", "problem", "deadline", "days_overdue", "unit", "leader"])
    items = items[items["status"] == "in_progress"].copy()
    items["days_overdue"] = [(today - day).days if (day := optional_date(d)) else 0 for d in items["deadline"]]
    items = items[items["days_overdue"] >= rules[0].days]
    return items[["id", "code", "problem", "deadline", "days_overdue", "unit", "leader"]].reset_index(drop=True)


def by_chief(frame: pd.DataFrame, items: pd.DataFrame | None = None) -> list[dict]:
    """The escalation list grouped per chief (league first): what each of them gets."""
    groups = []
    if len(frame):
        keys = frame["chief_post_id"].astype(object).where(frame["chief_post_id"].notna(),
                                                            "zone:" + frame["zone_id"].astype(str))
        for key, part in frame.groupby(keys, sort=False):
            first = part.iloc[0]
            groups.append({
                "key": str(key), "level": first["level"], "notice": first["notice"], "chief_post_id": first["chief_post_id"],
                "chief_title": first["chief_title"], "chief_name": first["chief_name"], "chief_phone": first["chief_phone"],
                "zone": first["zone"], "county": first["county"] if first["level"] != "league" else None,
                "polygons": part.reset_index(drop=True), "items": pd.DataFrame(),
            })
    if items is not None and len(items):
        league = next((g for g in groups if g["level"] == "league"), None)
        if league is not None:
            league["items"] = items
        else:
            groups.append({"key": "league-items", "level": "league", "notice": "督办单", "chief_post_id": None,
                           "chief_title": None, "chief_name": None, "chief_phone": None, "zone": None, "county": None,
                           "polygons": pd.DataFrame(columns=COLUMNS), "items": items})
    order = {"league": 0, "banner": 1, "township": 2, "village": 3}
    groups.sort(key=lambda g: (order.get(g["level"], 9), str(g.get("county") or ""), str(g["chief_title"] or "")))
    return groups


def league_chief(store) -> dict | None:
    raw, _ = unwrap(store)
    posts = raw.read_layer("post", where={"role": "chief", "level": "league"},
                           columns=["title", "holder_name", "phone", "zone_id", "status"], geometry=False)
    if posts.empty:
        return None
    rec = posts.sort_values("id").iloc[0].to_dict()
    return rec


def office_name(settings) -> str:
    """The forest-chief office that sends notices: "兴安盟林业和草原局" → "兴安盟林长制办公室"."""
    name = settings.org_name
    for tail in ("林业和草原局", "林草局", "林业局"):
        if name.endswith(tail):
            return name[: -len(tail)] + "林长制办公室"
    return name + "林长制办公室"


def notice_blocks(group: dict, settings, today: dt.date, number: int) -> list:
    """The notice's text as bulletin blocks (see :func:`notice_docx`)."""

    kind = group["notice"]
    polys = group["polygons"]
    items = group["items"] if group.get("items") is not None else pd.DataFrame()
    office = office_name(settings)
    respond_by = today + dt.timedelta(days=15 if kind == "督办单" else 30)
    who = f"{group['chief_title'] or (LEVEL_ZH.get(group['level'], '') + '林长')}"
    if group.get("chief_name"):
        who += f"{group['chief_name']}同志"
    out = [Block("title", f"林长制工作{kind}", lines=[f"林长制工作{kind}"]),
           Block("subtitle", f"{office[:-6] if office.endswith('林长制办公室') else ''}林长办〔{today.year}〕{number}号"),
           Block("recipients", f"{who}："), ]
    parts = []
    if len(polys):
        lo, hi = int(polys["days_overdue"].min()), int(polys["days_overdue"].max())
        where = group.get("zone") or group.get("county") or "责任区"
        parts.append(f"截至{zh_date(today)}，{where}内有{len(polys)}个变化图斑整改逾期{lo}天以上（最长{hi}天），"
                     f"尚未完成整改销号")
    if len(items):
        parts.append(f"{'另有' if parts else f'截至{zh_date(today)}，'}{len(items)}项整改事项超过完成时限尚未完成")
    verb = "督办" if kind == "督办单" else "提示"
    out.append(Block("p", "；".join(parts) + f"。按照林长制督办工作要求，现予{verb}。"))
    if len(polys):
        rows = [["序号", "图斑编号", "旗县", "苏木乡镇", "当前状态", "整改期限", "逾期天数", "责任单位"]]
        for i, r in enumerate(polys.to_dict("records"), start=1):
            rows.append([str(i), str(r.get("polygon_no") or f"#{r['id']}"), str(r.get("county") or ""),
                         str(r.get("township") or ""), S.label("status", r["status"]), str(r["due"] or ""),
                         str(int(r["days_overdue"])), f"{r.get('county') or ''}林业和草原局"])
        # widths (mm): an 18-digit polygon number and a date on one line each
        out.append(Block("table", rows=rows, caption=f"逾期变化图斑清单（{len(polys)}个）",
                         widths=[8.0, 40.0, 22.0, 18.0, 15.0, 21.0, 12.0, 20.0]))
    if len(items):
        rows = [["序号", "整改事项", "完成时限", "逾期天数", "责任单位", "责任领导"]]
        for i, r in enumerate(items.to_dict("records"), start=1):
            rows.append([str(i), f"{r.get('code') or ''}{r.get('problem') or ''}", str(r.get("deadline") or "")[:10],
                         str(int(r["days_overdue"])), str(r.get("unit") or ""), str(r.get("leader") or "")])
        out.append(Block("table", rows=rows, caption=f"逾期整改事项清单（{len(items)}项）",
                         widths=[8.0, 62.0, 22.0, 14.0, 28.0, 22.0]))
    # the request after the lists: the body ends with a paragraph, which travels with the 落款 onto a
    # new page (geo.docs.layout.keep_lead_in), where a table's last row would not
    out.append(Block("p", f"请督促责任单位逐项落实整改措施，于{zh_date(respond_by)}前完成整改，"
                          f"并将办理情况书面反馈{office}。"))
    out.append(Block("sign", office))
    out.append(Block("sign", zh_date(today)))
    return out


def notice_docx(group: dict, settings, today: dt.date | None = None, number: int = 1) -> bytes:
    """One chief's 提示单 / 督办单 as .docx, laid out by the bulletin's 公文 layout (geo.docs.layout)."""

    today = today or today_local()
    return render(notice_blocks(group, settings, today, number), title=f"林长制工作{group['notice']}",
                  author=office_name(settings), day=today, historic=True)


def notice_name(group: dict, today: dt.date) -> str:
    who = group.get("chief_title") or group.get("zone") or "盟级林长"
    return f"{group['notice']}_{who}_{today.isoformat()}.docx".replace("/", "_").replace(" ", "")


def text_of_docx(data: bytes) -> str:
    """Every paragraph and table cell of a .docx as text (tests, previews)."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append("\t".join(c.text for c in row.cells))
    return "\n".join(lines)
