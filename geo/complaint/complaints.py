"""The 12345 complaints' rules: category and deadline, placing a complaint from its address,
linking it to the change polygons and plots nearby, assigning it to its zone's forest chief, and
the figures of the seeds ("接收12345热线84条，已办结84条，办结满意率100%").

**Placing.** Coordinates in the export win. Otherwise the address (then the content) is matched
against the store's place names: villages of the village list (嘎查村名录, with their other names)
and of village-level zones, then townships of the admin layer (full names, and names without
镇/乡/苏木 when three characters or more remain), narrowed by the county the text or the row names.
A unique match places the complaint at the village point, or inside the township; anything else
leaves it unplaced, with the county when one is known, for someone to place by hand.

**Satisfaction rate.** Satisfied and basically satisfied, among the closed complaints whose caller
rated the reply (满意 + 基本满意) / (满意 + 基本满意 + 不满意).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pandas as pd
import shapely

from geo.core.errors import ValidationError
from geo.complaint.layers import CATEGORIES, DAYS
from geo.core.timeutil import as_date, local_date, to_utc_text, today_local
from geo.core.config import load_settings
from geo.core.errors import ConfigError
from geo.core.nearby import within
from geo.access.scope import unwrap
from geo.engine import workflow
from geo.declare import registry as S
from geo.engine import display
from geo.engine import overview as O
from geo.engine.figures import figures_of
from geo.engine.figures import overdue

FIGURE_COLUMNS = ("located_by", "replied_on", "due_on", "satisfaction", "received_at", "category")
NO_COUNTY = "∅"
WORDS = {  # in order: the first category whose word appears wins
    "fire": ("火情", "着火", "起火", "失火", "烧荒", "焚烧", "野外用火", "冒烟", "防火"),
    "logging": ("盗伐", "滥伐", "砍伐", "砍树", "毁林", "伐树", "树木被砍", "偷砍"),
    "grazing": ("偷牧", "放牧", "禁牧", "休牧", "牛羊", "羊群", "过牧", "散牧", "偷放"),
    "occupation": ("占用", "开垦", "开荒", "毁草", "建房", "违建", "采砂", "挖沙", "取土", "采石", "私搭"),
    "wildlife": ("野生动物", "捕猎", "盗猎", "猎捕", "狍子", "野猪", "候鸟", "鸟类"),
    "pest": ("病虫", "虫害", "松材线虫", "枯死", "害虫", "鼠害"),
}
SUFFIX = re.compile(r"(苏木镇|苏木|街道|镇|乡)$")


# --------------------------------------------------------------------------- category, deadline
def categorise(category_text, content) -> str:
    for text in (category_text, content):
        t = str(text or "")
        for key, words in WORDS.items():
            if any(w in t for w in words):
                return key
    return "other"


def reply_days(category: str, settings=None) -> int:
    if settings is None:

        settings = load_settings()
    days = {**DAYS, **(settings.complaint_days or {})}
    try:
        return int(days.get(category, days.get("other", 5)))
    except (TypeError, ValueError):

        raise ConfigError(f"complaint_days.{category} must be a whole number of days",
                          f"设置 complaint_days 中“{category}”应为天数（整数）") from None


def validate(store, values: dict, current) -> dict:
    """``values`` (a new record, or the changes to ``current``) with the category and the reply
    deadline derived where the record has none yet."""
    out = dict(values)
    seen = {**(current or {}), **out}
    if not seen.get("category"):
        out["category"] = categorise(seen.get("category_text"), seen.get("content"))
    received = out.get("received_at")
    if received:
        day = local_date(to_utc_text(received))
        if day > today_local():
            raise ValidationError(f"received on {day}, a day still to come", f"受理时间 {day} 晚于今天",
                                  field="received_at")
        if not seen.get("due_on"):
            category = out.get("category") or seen.get("category")
            out["due_on"] = (day + dt.timedelta(days=reply_days(category))).isoformat()
    assigned, handled = as_date(seen.get("assigned_on") or None), as_date(seen.get("handled_on") or None)
    if assigned is not None and handled is not None and handled < assigned:
        raise ValidationError(f"handled on {handled}, before it was assigned on {assigned}",
                              f"办理日期 {handled} 早于派单日期 {assigned}，未保存：请核对日期",
                              field="handled_on")
    return out


def prepare_rows(store, layer: str, values: list[dict], *, actor, access=None, dry_run=True, tx=None):
    """Tickets already imported, or twice in the file, refuse the file; a row that says it was
    handled or replied arrives in that status."""
    problems = []
    seen: dict[str, int] = {}
    for i, v in enumerate(values, start=1):
        no = str(v.get("ticket_no") or "")
        if no in seen:
            problems.append({"row": f"第 {i} 条", "message_zh": f"工单编号 {no} 与第 {seen[no]} 条重复",
                             "message_en": f"ticket {no} repeats row {seen[no]}"})
        seen.setdefault(no, i)
    if seen:
        old = store.read_layer("complaint", where={"ticket_no": sorted(seen)}, columns=["ticket_no"], geometry=False,
                               tx=tx)
        for no in sorted(set(old["ticket_no"])):
            problems.append({"row": f"第 {seen[no]} 条", "message_zh": f"工单编号 {no} 已导入过，请从表中删去已导入的工单",
                             "message_en": f"ticket {no} was imported before"})
    out = []
    for v in values:
        v = dict(v)
        if v.get("reply") or v.get("replied_on") or v.get("satisfaction"):
            v["status"] = "replied"
            v.setdefault("satisfaction", "unrated")
            v.setdefault("reply", v.get("handling") or "已办结")
        elif v.get("handling"):
            v["status"] = "handled"
        elif v.get("assignee") or v.get("assignee_unit"):
            v["status"] = "assigned"
            v.setdefault("assignee", v.get("assignee_unit"))
        out.append(v)
    return out, problems


# --------------------------------------------------------------------------- places
_GAZ: dict = {}


def _variants(name: str) -> set[str]:
    name = re.sub(r"\s+", "", str(name or ""))
    out = {name} if name else set()
    short = SUFFIX.sub("", name)
    if len(short) >= 3:
        out.add(short)
    return out


def _county_variants(name: str) -> set[str]:
    out = {name, name.replace("科尔沁右翼", "科右")}
    for n in list(out):
        short = re.sub(r"(市|县|旗)$", "", n)
        if len(short) >= 3:
            out.add(short)
    return {n for n in out if n}


def gazetteer(store, tx) -> dict:
    """The place names of the store: counties, townships, villages (village list and village
    zones), each with a point; kept for the transaction it was read in."""
    key = (store.url, id(tx), *(tx.query_one(f"SELECT COUNT(*) FROM {t}")[0]
                                for t in ("admin_units", "villages", "zones")))
    if _GAZ.get("key") == key:
        return _GAZ["value"]
    admin = store.read_layer("admin", columns=["code", "name", "level", "parent_code"], tx=tx)
    counties = admin[admin["level"] == "county"]
    names = dict(zip(counties["code"], counties["name"]))
    towns = admin[admin["level"] == "township"]
    places = []
    for code, name in names.items():
        places.append(dict(kind="county", names=_county_variants(name), county_code=code, county=name, point=None))
    for rec in towns.to_dict("records"):
        parent = rec.get("parent_code")
        places.append(dict(kind="township", names=_variants(rec["name"]), county_code=parent, county=names.get(parent),
                           township=rec["name"], point=shapely.point_on_surface(rec["geometry"])))
    vil = store.read_layer("village", columns=["name", "aliases", "township", "county_code", "county"], tx=tx)
    for rec in vil.to_dict("records"):
        variants = {rec["name"], *[a for a in re.split(r"[、,，;；\s]+", str(rec.get("aliases") or "")) if a]}
        places.append(dict(kind="village", names={v for v in variants if len(v) >= 2}, county_code=rec.get("county_code"),
                           county=rec.get("county") or names.get(rec.get("county_code")), township=rec.get("township"),
                           village=rec["name"], point=rec["geometry"]))
    zones = store.read_layer("zone", where={"level": "village"}, columns=["name", "county_code", "township",
                                                                           "valid_to"], tx=tx)
    for rec in zones[zones["valid_to"].isna()].to_dict("records") if len(zones) else []:
        name = re.sub(r"(责任区|网格|护林网格)$", "", str(rec["name"]))
        if len(name) >= 3:
            places.append(dict(kind="village", names={name}, county_code=rec.get("county_code"),
                               county=names.get(rec.get("county_code")), township=rec.get("township"), village=name,
                               point=shapely.point_on_surface(rec["geometry"])))
    _GAZ.update(key=key, value={"places": places, "counties": names})
    return _GAZ["value"]


def _found(places, text: str, kind: str) -> list[tuple[int, dict]]:
    out = []
    for p in places:
        if p["kind"] != kind:
            continue
        hit = max((len(n) for n in p["names"] if n and n in text), default=0)
        if hit:
            out.append((hit, p))
    return out


def match_place(gaz: dict, text: str, county_code=None) -> dict:
    """``{"kind", "point", "county_code", "county", "township", "village", "name"}`` of the place
    ``text`` names unambiguously (``county_code`` narrows it), or ``{"kind": None, …}`` with the
    county when only that is known."""
    places = gaz["places"]
    text = re.sub(r"\s+", "", str(text or ""))
    counties = {p["county_code"] for _, p in _found(places, text, "county")}
    if county_code:
        counties = {county_code}
    elif len(counties) > 1:
        counties = set()
    towns = _found(places, text, "township")
    if counties:
        towns = [(n, p) for n, p in towns if p["county_code"] in counties]
    for kind in ("village", "township"):
        hits = towns if kind == "township" else _found(places, text, "village")
        if kind == "village" and counties:
            hits = [(n, p) for n, p in hits if p["county_code"] in counties]
        if kind == "village" and towns:  # a township named beside the village decides between namesakes
            named = {p["township"] for _, p in towns}
            narrowed = [(n, p) for n, p in hits if p.get("township") in named]
            hits = narrowed or hits
        if not hits:
            continue
        best = max(n for n, _ in hits)
        hits = [p for n, p in hits if n == best]
        spots = {(round(p["point"].x, 6), round(p["point"].y, 6)) for p in hits if p["point"] is not None}
        if len(spots) == 1:
            p = hits[0]
            return {"kind": kind, "point": p["point"], "county_code": p["county_code"], "county": p["county"],
                    "township": p.get("township"), "village": p.get("village"),
                    "name": p.get("village") or p.get("township")}
    code = next(iter(counties)) if len(counties) == 1 else None
    return {"kind": None, "point": None, "county_code": code, "county": gaz["counties"].get(code)}


def locate(store, tx, lyr, values: dict):
    if lyr.key != "complaint":
        return None, values
    gaz = gazetteer(store, tx)
    out = dict(values)
    hint = out.get("county_code")
    if not hint and out.get("county"):
        hint = next((c for c, n in gaz["counties"].items() if out["county"] in _county_variants(n)), None)
    found = {"kind": None}
    for text in (out.get("address"), out.get("content")):
        if text:
            found = match_place(gaz, text, hint)
            if found["kind"]:
                break
            hint = hint or found.get("county_code")
    if found["kind"] is None:
        if hint:
            out.setdefault("county_code", hint)
            out.setdefault("county", gaz["counties"].get(hint))
        return None, out
    out.update(located_by=found["kind"], place_match=found["name"], county_code=found["county_code"],
               county=found["county"])
    for k in ("township", "village"):
        if found.get(k):
            out[k] = found[k]
    return found["point"], out


# --------------------------------------------------------------------------- links
def nearby(store, tx, geoms, limit_m: float | None = None) -> list[list[dict]]:
    """Per point: the change polygons and occupation plots within ``limit_m`` metres (setting
    complaint_link_m), nearest first."""

    if limit_m is None:
        limit_m = _limit()
    out: list[list[dict]] = [[] for _ in geoms]
    for layer, label in (("change", "polygon_no"), ("occupation", "name")):
        pairs = within(store, tx, layer, geoms, limit_m, columns=(label,))
        for i, fid, m, name in zip(pairs["i"], pairs["id"], pairs["m"], pairs[label]):
            out[int(i)].append({"layer": layer, "id": int(fid), "label": name, "m": float(m)})
    return [sorted(links, key=lambda r: r["m"])[:20] for links in out]


def placed_many(store, tx, lyr, geoms, values) -> list[dict]:
    if lyr.key != "complaint":
        return [{} for _ in geoms]
    out = []
    for v, links in zip(values, nearby(store, tx, geoms)):
        more = {"links": links}
        if not v.get("located_by"):
            more["located_by"] = "coordinates"
        out.append(more)
    return out


def placed(store, tx, lyr, geom, values) -> dict:
    return placed_many(store, tx, lyr, [geom], [values])[0]


# --------------------------------------------------------------------------- operations
def chief_of(store, zones: dict) -> dict | None:
    """The forest chief (post holder, else the zone's recorded chief) of the finest zone that has one."""

    raw, _ = unwrap(store)
    for level in ("grid", "village", "township", "banner", "league"):
        zid = (zones or {}).get(level)
        if not zid:
            continue
        posts = raw.read_layer("post", where={"zone_id": int(zid), "role": "chief", "status": "filled"},
                               columns=["title", "holder_name", "zone_name"], geometry=False)
        if len(posts):
            p = posts.iloc[0]
            return {"name": p["holder_name"], "title": p["title"], "zone": p["zone_name"], "zone_id": int(zid)}
        zone = raw.read_layer("zone", ids=[int(zid)], columns=["name", "chief_name", "chief_post"], geometry=False)
        if len(zone) and zone["chief_name"].iloc[0]:
            z = zone.iloc[0]
            return {"name": z["chief_name"], "title": z["chief_post"], "zone": z["name"], "zone_id": int(zid)}
    return None


def op_assign_chief(store, fid, values, *, actor, access=None, comment=None, **_):

    rec = store.get_feature("complaint", int(fid))
    chief = chief_of(store, rec.get("zones") or {})
    if chief is None:
        raise ValidationError("the complaint lies in no zone with a forest chief: assign it to a unit by hand",
                              "该诉求未定位到有在岗林长的责任区，请选择“派单”手动指定承办单位", id=int(fid))
    title = f"（{chief['title']}）" if chief.get("title") else ""
    return workflow.transition(store, "complaint", int(fid), "assigned", actor=actor, access=access,
                               fields={"assignee": f"{chief['name']}{title}", "assignee_unit": f"{chief['zone']}林长"},
                               comment=comment or f"派给{chief['zone']}林长{chief['name']}")


def op_place(store, fid, values, *, actor, access=None, comment=None, geometry=None, **_):

    if geometry is None:
        raise ValidationError("give the longitude and latitude of the place", "请填写诉求地点的经度和纬度")
    return workflow.edit(store, "complaint", int(fid), actor=actor, access=access, geometry=geometry,
                         fields={"located_by": "manual", "place_match": None}, action="place",
                         comment=comment or "人工定位")


# --------------------------------------------------------------------------- figures
def _codes(frame: pd.DataFrame) -> pd.Series:
    if "county_code" not in frame:
        return pd.Series(NO_COUNTY, index=frame.index)
    return frame["county_code"].astype(object).where(frame["county_code"].notna(), NO_COUNTY)


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    out: dict = {}
    codes = _codes(frame)
    closed = frame["status"] == "replied" if len(frame) else pd.Series(dtype=bool)
    sat = frame["satisfaction"] if "satisfaction" in frame else pd.Series(None, index=frame.index)
    good = closed & sat.isin(["satisfied", "basic"])
    rated = closed & sat.isin(["satisfied", "basic", "unsatisfied"])

    def count(key, mask):
        by = mask.astype(int).groupby(codes).sum() if len(mask) else pd.Series(dtype=int)
        out[key] = {"total": int(mask.sum()), "by_county": {str(k): int(v) for k, v in by.items() if v}}

    count("rated", rated)
    g = good.astype(int).groupby(codes).sum() if len(frame) else pd.Series(dtype=int)
    r = rated.astype(int).groupby(codes).sum() if len(frame) else pd.Series(dtype=int)
    out["satisfaction_pct"] = {"total": round(100.0 * int(good.sum()) / int(rated.sum()), 1) if rated.sum() else None,
                               "by_county": {str(k): round(100.0 * int(g[k]) / int(v), 1) for k, v in r.items() if v}}
    late = closed & frame["replied_on"].notna() & frame["due_on"].notna() & \
        (frame["replied_on"].astype(str) > frame["due_on"].astype(str)) if len(frame) else closed
    count("closed_late", late)
    count("unplaced", frame["located_by"].isna() if len(frame) else closed)
    return out


def bulletin(figures: dict, ctx: dict) -> str | None:
    """The paragraph in the seeds' wording: "接收12345热线84条，已办结84条，办结满意率100%"."""
    if "received" not in figures:
        return None
    f = {k: v.get("total") for k, v in figures.items()}
    if not f["received"]:
        return None  # nothing received: the bulletin says nothing rather than "0条"
    text = f"接诉即办：接收12345热线{f['received']}条，已办结{f['closed']}条"
    if f.get("satisfaction_pct") is not None:
        text += f"，办结满意率{f['satisfaction_pct']:g}%"
    if f.get("open"):
        text += f"，正在办理{f['open']}条"
        if f.get("overdue"):
            text += f"（其中逾期{f['overdue']}条）"
    text += "。"
    cats = sorted(((f.get(f"cat_{k}") or 0, k) for k in CATEGORIES if k != "other"), reverse=True)
    cats = [(n, k) for n, k in cats if n][:3]
    if cats:
        text += "反映问题主要为" + "、".join(f"{CATEGORIES[k][0]}{n}条" for n, k in cats) + "。"
    return text


# --------------------------------------------------------------------------- page
def panels(store, ctx: dict) -> list:

    zh = ctx.get("lang", "zh") == "zh"
    lyr = S.layer("complaint")
    frame = store.read_layer("complaint", columns=["ticket_no", "received_at", "address", "category", "county",
                                                   "county_code", "located_by", "due_on", "status", "replied_on",
                                                   "satisfaction", "assignee"], geometry=False)
    if frame.empty:
        return [O.Notice("尚未导入12345热线诉求：在下方“从表格导入”上传热线导出的 Excel（含工单编号、受理时间、事发地址、"
                         "诉求类型、诉求内容）。" if zh else "No complaint yet: import the hotline's Excel export below.")]
    fig = figures_of(store, lyr, frame=frame, today=ctx.get("today"), settings=ctx.get("settings"))
    f = {k: v["total"] for k, v in fig.items()}
    out = [O.Metrics((
        ("接收12345热线" if zh else "Received", f"{f['received']}"),
        ("已办结" if zh else "Closed", f"{f['closed']}"),
        ("办结满意率" if zh else "Satisfaction", "—" if f["satisfaction_pct"] is None else f"{f['satisfaction_pct']:g}%"),
        ("办理中" if zh else "Open", f"{f['open']}"),
        ("逾期未办结" if zh else "Overdue", f"{f['overdue']}"),
        ("待定位" if zh else "Not placed", f"{f['unplaced']}"),
    ))]
    cols = ["ticket_no", "received_at", "address", "county", "status"]
    waiting = frame[frame["located_by"].isna()]
    if len(waiting):
        out.append(O.Notice("以下诉求的地址未能匹配到嘎查村或苏木乡镇：请选中后在“办理”中用“定位（人工）”填写经纬度；"
                            "也可在“嘎查村名录”补充地名后再导入。" if zh else
                            "These addresses matched no village or township: pick one and use 'Place by hand'.",
                            "warning"))
        out.append(O.Table("待手动定位的诉求" if zh else "Complaints to place by hand",
                           display.table(lyr, waiting, ctx.get("lang", "zh"), columns=cols)))

    late = frame[overdue(lyr, frame, ctx.get("today") or today_local())]
    if len(late):
        out.append(O.Table("逾期未办结" if zh else "Overdue", display.table(
            lyr, late, ctx.get("lang", "zh"), columns=["ticket_no", "category", "due_on", "assignee", "county", "status"])))
    by = []
    for key, (czh, cen) in CATEGORIES.items():
        part = frame[frame["category"] == key]
        if len(part):
            rated = part[(part["status"] == "replied") & part["satisfaction"].isin(["satisfied", "basic", "unsatisfied"])]
            good = rated["satisfaction"].isin(["satisfied", "basic"]).sum()
            by.append({"类别" if zh else "Category": czh if zh else cen, "接收" if zh else "Received": len(part),
                       "已办结" if zh else "Closed": int((part["status"] == "replied").sum()),
                       "满意率" if zh else "Satisfaction": f"{100 * good / len(rated):.0f}%" if len(rated) else "—"})
    if by:
        out.append(O.Table("按诉求类别" if zh else "By category", pd.DataFrame(by)))
    return out


def details(store, record: dict, lang: str = "zh") -> list:
    zh = lang == "zh"
    out = []
    links = record.get("links") or []
    if isinstance(links, str):
        links = json.loads(links)
    if links:
        names = {"change": "变化图斑" if zh else "Change polygon", "occupation": "违法占用地块" if zh else "Plot"}
        out.append((f"附近的图斑和地块（{int(_limit())} 米内）" if zh else "Change polygons and plots nearby",
                    pd.DataFrame([{"图层" if zh else "Layer": names[r["layer"]], "ID": r["id"],
                                   "编号/名称" if zh else "No./name": r.get("label"),
                                   "距离（米）" if zh else "Distance (m)": r["m"]} for r in links])))
    due = record.get("due_on")
    if due and record.get("status") != "replied":
        left = (as_date(due) - today_local()).days
        out.append(("办理时限" if zh else "Deadline", pd.DataFrame(
            [(due, f"剩余 {left} 天" if left >= 0 else f"已逾期 {-left} 天")], columns=["时限", "状态"])))
    return out


def _limit() -> float:

    return float(load_settings().complaint_link_m)
