"""The rules of the 林长令 register (:mod:`geo.chief.orders_layers`): which zones an order addresses,
their responses, overdue responses, figures, details, the demo orders — and, through the
register engine's CLI hook, the command-line verbs of the closure review, escalation and the
weekly brief (:mod:`geo.cli.review`).

``addressed`` names zones of the zones register (:mod:`geo.chief.zones`): chosen from a list on the
page, given by name or number on the command line ("突泉县旗县级责任区、扎赉特旗旗县级责任区", "#4、#7",
"4,7", or a list of names or ids) and kept as their names joined by "、". A zone that does not exist,
or no longer (its ``valid_to`` passed), is refused on the write path (:func:`validate`). The text is
resolved against the zones whenever it is read, so an edited order stays consistent; text stored
before zones were chosen is kept and shown as it is, the parts naming no zone left out of the figures. ``responses`` is text people can read in the ledger and exports, one line per
response — ``2024-06-03 突泉县旗县级责任区：已部署落实（tuquan_inspector）`` — kept by the
``respond`` operation (one event per response, so the figures "as of" a date see only the
responses received by then) and read back by :func:`responses_of`.

**Late responses (迟报).** A response received after the order's deadline is late — :func:`is_late`
is that rule, and the only place it is written: the order's details and the orders list of the
督办 page (:func:`status_of_zones`, :func:`response_state`), the ledger's 林长令 sheet
(:func:`late_by_order`) and the bulletin (:func:`response_counts`) all ask it. A response on the
deadline day is on time.

An order has no county of its own: it belongs to the counties of the zones it addresses
(:func:`record_counties`, the register's ``record_counties`` hook). An account bound to counties
sees only the orders addressing zones of its counties — in its lists, the ledger and the figures
— and counts only its own zones' responses.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from geo.core.errors import PermissionDenied, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import as_date, today_local
from geo.engine import workflow
from geo.engine.records import choices, ended, several

FIGURE_COLUMNS = ("addressed", "responses", "deadline", "status")


# ------------------------------------------------------------------------------ addressed zones
def _zones(store) -> pd.DataFrame:
    raw, _ = unwrap(store)
    return raw.read_layer("zone", columns=["name", "level", "county_code", "county", "code", "valid_to"],
                          geometry=False)


def addressed_parts(value) -> list[str]:
    """The parts of an ``addressed`` value (:func:`geo.engine.records.several`)."""
    return several(value)


def addressed_zones(store, text, zones: pd.DataFrame | None = None) -> tuple[list[dict], list[str]]:
    """``(zones found, parts not found)`` for an order's ``addressed`` text (or list of names/ids)."""
    zones = _zones(store) if zones is None else zones
    by_id = {int(i): r for i, r in zip(zones["id"], zones.to_dict("records"))}
    by_name = {str(r["name"]): r for r in zones.to_dict("records")}
    found, unknown = [], []
    for part in addressed_parts(text):
        part = part.strip().lstrip("#＃")
        if not part:
            continue
        rec = by_id.get(int(part)) if part.isdigit() else by_name.get(part)
        if rec is None:
            unknown.append(part)
        elif all(int(rec["id"]) != z["zone_id"] for z in found):
            found.append({"zone_id": int(rec["id"]), "zone": rec["name"], "county_code": rec.get("county_code"),
                          "county": rec.get("county")})
    return found, unknown


_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}) (.+?)：(.*)（([^（）]*)）$")


def responses_of(value, zones: pd.DataFrame | None = None, store=None) -> list[dict]:
    """The responses recorded in an order's ``responses`` text: ``[{zone_id, zone, on, by, summary}]``
    (lines that do not parse are left out; zones named there are resolved to their ids)."""
    if value is None or (isinstance(value, float) and value != value) or not str(value).strip():
        return []
    out = []
    for line in str(value).splitlines():
        m = _LINE.match(line.strip())
        if m:
            out.append({"on": m.group(1), "zone": m.group(2), "summary": m.group(3), "by": m.group(4)})
    if out and (zones is not None or store is not None):
        found, _ = addressed_zones(store, "、".join(r["zone"] for r in out), zones)
        ids = {z["zone"]: z["zone_id"] for z in found}
        for r in out:
            r["zone_id"] = ids.get(r["zone"])
    return out


def responses_text(responses: list[dict]) -> str:
    return "\n".join(f"{r['on']} {r['zone']}：{r['summary']}（{r['by']}）"
                     for r in sorted(responses, key=lambda r: (r["on"], r["zone"])))


def zone_choices(store, today: dt.date | None = None) -> dict[int, str]:
    """The zones an order may be addressed to, as the account behind ``store`` sees them (its
    counties' zones): those in force ``today``, by id, with their names."""
    return choices(store, "zone", today)


def addressed_text(found: list[dict], zones: pd.DataFrame) -> str:
    """How an order keeps the zones it addresses: their names joined by "、" (a name two zones share
    as "#id", so that it still says which)."""
    counts = zones["name"].astype(str).value_counts()
    return "、".join(z["zone"] if counts.get(str(z["zone"]), 0) == 1 else f"#{z['zone_id']}" for z in found)


def validate(store, values: dict, current) -> dict:
    """An order names zones of the zones register that are in force (by name or id; kept as their
    names); the issuer is filled from the issuing post when empty."""
    given = values.get("addressed")
    if "addressed" in values and addressed_parts(given):
        zones = _zones(store)
        found, unknown = addressed_zones(store, given, zones)
        if unknown:
            raise ValidationError(f"unknown zones: {', '.join(unknown)}",
                                  f"下达责任区中找不到：{'、'.join(unknown)}（请从责任区名录中选择，或填写责任区名称或编号）",
                                  field="addressed")
        gone = {int(r["id"]) for r in zones.to_dict("records") if ended(r)}
        old = [z["zone"] for z in found if z["zone_id"] in gone]
        if old:
            raise ValidationError(f"zones no longer in force: {', '.join(old)}",
                                  f"责任区已停用：{'、'.join(old)}（请选择现行责任区）", field="addressed")
        values["addressed"] = addressed_text(found, zones)
    elif "addressed" in values or current is None:
        raise ValidationError("an order addresses at least one zone", "林长令至少下达一个责任区", field="addressed")
    if values.get("issuer_post") and not values.get("issuer"):
        raw, _ = unwrap(store)
        post = raw.get_feature("post", int(values["issuer_post"]))
        values["issuer"] = f"{post.get('title') or ''} {post.get('holder_name') or ''}".strip()
    return values


def is_late(order: dict, response: dict | None) -> bool:
    """迟报: ``response`` (``{"on": date, ...}``) came after ``order``'s deadline. The one rule of a late
    response; a response on the deadline day is on time, an order without a deadline has none late."""
    if not response:
        return False
    deadline = as_date(order.get("deadline")) if isinstance(order.get("deadline"), (str, dt.date)) else None
    on = response.get("on")
    day = as_date(on) if isinstance(on, (str, dt.date)) and on else None
    return deadline is not None and day is not None and day > deadline


# what each addressed zone's response is: (zh, en), in the words of the register, page and ledger
RESPONSE_STATES = {
    "overdue": ("逾期未反馈", "OVERDUE: no response"),
    "late": ("迟报", "Late"),
    "responded": ("已反馈", "Responded"),
    "awaiting": ("待反馈", "Awaiting"),
}


def response_state(zone: dict) -> str:
    """A row of :func:`status_of_zones` as one of :data:`RESPONSE_STATES`."""
    if zone.get("overdue"):
        return "overdue"
    if zone.get("responded_on"):
        return "late" if zone.get("late") else "responded"
    return "awaiting"


def status_of_zones(store, order: dict, today: dt.date, zones: pd.DataFrame | None = None) -> list[dict]:
    """Each addressed zone with its response: ``late`` when it came after the deadline
    (:func:`is_late`), ``overdue`` when none came by the deadline of an open order; ``state`` says
    which (:func:`response_state`)."""
    zones = _zones(store) if zones is None else zones
    found, _ = addressed_zones(store, order.get("addressed"), zones)
    got = {int(r["zone_id"]): r for r in responses_of(order.get("responses"), zones) if r.get("zone_id") is not None}
    deadline = as_date(order.get("deadline"))
    out = []
    for z in found:
        r = got.get(z["zone_id"])
        overdue = r is None and order.get("status") == "open" and deadline is not None and deadline < today
        row = {**z, "responded_on": r.get("on") if r else None, "by": r.get("by") if r else None,
               "summary": r.get("summary") if r else None, "late": is_late(order, r), "overdue": overdue}
        out.append({**row, "state": response_state(row)})
    return out


def late_by_order(store, frame: pd.DataFrame, zones: pd.DataFrame | None = None) -> list[list[dict]]:
    """For each order (a row of ``frame``): its late responses (:func:`is_late`), ``[{zone_id, zone,
    county_code, on}]`` — for the ledger's 是否迟报 and 迟报责任区."""
    if frame.empty:
        return []
    zones = _zones(store) if zones is None else zones
    out = []
    for rec in frame.to_dict("records"):
        late = [r for r in responses_of(rec.get("responses"), zones) if is_late(rec, r)]
        found = {z["zone_id"]: z for z in addressed_zones(store, "、".join(r["zone"] for r in late), zones)[0]}
        out.append([{"zone_id": r.get("zone_id"), "zone": r["zone"], "on": r["on"],
                     "county_code": (found.get(r.get("zone_id")) or {}).get("county_code")} for r in late])
    return out


def record_counties(store, frame: pd.DataFrame, zones: pd.DataFrame | None = None) -> list[frozenset]:
    """The counties each order (a row of ``frame``) belongs to: those of the zones it addresses,
    resolved now. An order addressing zones of three counties belongs to all three; one
    addressing only league-level zones to none (the whole jurisdiction's). The county gate
    (:mod:`geo.access.scope`), the ledger and the figures scope orders by these."""
    if frame.empty or "addressed" not in frame:
        return [frozenset()] * len(frame)
    zones = _zones(store) if zones is None else zones
    return [frozenset(str(z["county_code"]) for z in addressed_zones(store, text, zones)[0] if z.get("county_code"))
            for text in frame["addressed"].tolist()]


# ------------------------------------------------------------------------------ figures and details
def response_counts(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Per addressed zone's county: responses received, of them late (迟报, :func:`is_late`), and
    overdue responses — ``{"responses", "late", "overdue": {code: n}}`` — of the counties asked
    for (``ctx["counties"]``, else those of the account the store is scoped to)."""
    today = ctx.get("today") or today_local()
    zones = _zones(store)
    access = unwrap(store)[1]
    counties = ctx.get("counties") or (access.counties if access is not None else None)
    wanted = {str(c) for c in counties} if counties else None
    out: dict[str, dict[str, int]] = {"responses": {}, "late": {}, "overdue": {}}
    for rec in frame.to_dict("records"):
        for z in status_of_zones(store, rec, today, zones):
            if wanted is not None and str(z.get("county_code")) not in wanted:
                continue  # (another county's zone the same order addresses)
            code = str(z.get("county_code") or "∅")
            for key, hit in (("responses", z["responded_on"]), ("late", z["late"]), ("overdue", z["overdue"])):
                if hit:
                    out[key][code] = out[key].get(code, 0) + 1
    return out


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Responses received and overdue responses, per addressed zone's county (:func:`response_counts`)."""
    n = response_counts(store, frame, ctx)
    return {"responses": {"total": sum(n["responses"].values()), "by_county": n["responses"]},
            "responses_overdue": {"total": sum(n["overdue"].values()), "by_county": n["overdue"]}}


def late_paragraph(store, frame: pd.DataFrame, ctx: dict) -> str | None:
    """The bulletin's sentence on late responses (迟报) to the orders of ``frame`` (as of the bulletin's
    day, in its scope): ``None`` when no response was late."""
    n = response_counts(store, frame, ctx)
    late = sum(n["late"].values())
    if not late:
        return None
    got, overdue = sum(n["responses"].values()), sum(n["overdue"].values())
    text = (f"{ctx.get('scope') or '全盟'}共签发林长令{len(frame)}张，各责任区已反馈{got}个，"
            f"其中迟报{late}个（超过反馈时限后反馈）")
    if overdue:
        text += f"，逾期未反馈{overdue}个"
    return text + "。"


def details(store, record: dict, lang: str = "zh"):
    zh = lang == "zh"
    rows = status_of_zones(store, record, today_local())
    table = pd.DataFrame([{
        ("责任区" if zh else "Zone"): r["zone"],
        ("旗县" if zh else "County"): r.get("county") or ("全盟" if zh else "League"),
        ("反馈日期" if zh else "Responded on"): r["responded_on"] or "",
        ("办理情况" if zh else "What was done"): r["summary"] or "",
        ("状态" if zh else "State"): RESPONSE_STATES[r["state"]][0 if zh else 1],
        ("是否迟报" if zh else "Late"): (("是" if zh else "yes") if r["late"] else ("否" if zh else "no"))
        if r["responded_on"] else "",
    } for r in rows])
    if not rows and addressed_parts(record.get("addressed")):  # (text kept from before zones were chosen)
        table = pd.DataFrame([{("下达责任区" if zh else "Addressed"): str(record.get("addressed")),
                               ("状态" if zh else "State"): "未对应到责任区名录" if zh else "Not matched to the zones register"}])
    return [("各责任区反馈情况" if zh else "Responses by zone", table)]


# ------------------------------------------------------------------------------ operation
def respond(store, fid: int, zone_id: int, summary: str, *, on=None, actor: str, access=None,
            attachments=None, comment: str | None = None, at: str | None = None) -> int:
    """Record zone ``zone_id``'s response to order ``fid``; the order is done once every addressed
    zone has responded. Returns the order's new version."""

    raw, access = unwrap(store, access)
    order = raw.get_feature("order", int(fid))
    found, _ = addressed_zones(raw, order.get("addressed"))
    zone = next((z for z in found if z["zone_id"] == int(zone_id)), None)
    if zone is None:
        raise ValidationError(f"order {order.get('order_no')} is not addressed to zone #{zone_id}",
                              f"该林长令未下达到所选责任区，只能登记下达责任区的反馈")
    if access is not None and not access.is_admin and access.role not in ("staff", "inspector"):
        raise PermissionDenied(f"role '{access.role}' may not record responses", "当前角色不能登记林长令反馈")
    if access is not None and access.counties is not None and zone.get("county_code") not in access.counties:
        raise PermissionDenied("only the addressed county records its own response", "只能登记本旗县责任区的反馈")
    if not (summary or "").strip():
        raise ValidationError("say what was done", "请填写办理情况", field="summary")
    day = (as_date(on) or today_local()).isoformat()
    text = " ".join(summary.split()).replace("（", "(").replace("）", ")")  # one line, no brackets of ours
    resp = [r for r in responses_of(order.get("responses"), store=raw) if r.get("zone_id") != int(zone_id)]
    resp.append({"zone_id": int(zone_id), "zone": zone["zone"], "on": day, "by": actor, "summary": text})
    done = {r.get("zone_id") for r in resp} >= {z["zone_id"] for z in found}
    status = "done" if done and order["status"] == "open" else None
    return workflow.edit(raw, "order", int(fid), actor=actor, fields={"responses": responses_text(resp)},
                         action="respond", comment=comment or f"{zone['zone']}反馈：{summary.strip()}",
                         attachments=attachments, status=status, at=at)


def op_respond(store, fid, values, *, actor, access=None, comment=None, attachments=None, **_):
    if values.get("zone_id") in (None, ""):
        raise ValidationError("choose the responding zone", "请选择反馈的责任区", field="zone_id")
    return respond(store, int(fid), int(values["zone_id"]), values.get("summary") or "", on=values.get("responded_on"),
                   actor=actor, access=access, attachments=attachments, comment=comment)
