"""The bulletin (整改进展情况通报) in the genre and sections of the bureaus' own (``../shared/seeds``).

Title (broken at a point of meaning) and, for a filtered bulletin, a subtitle naming the scope;
主送机关; the opening — the seeds' "根据…统一部署，[dates]，[team]对[body]开展了[kind]。[date]，[team]
向[body]反馈了巡察意见。按照巡察工作有关要求，现将巡察整改进展情况予以公布。" when the provenance
is set (:mod:`geo.report.settings`), a plain progress-report opening when not; then

一、履行整改主体责任情况 — the bureau's text, or a draft from its recorded actions (and registers,
    and the 林长令 responses that came late: :func:`late_responses`);
二、具体问题整改落实情况 — each item "（N）关于…问题。整改落实情况：一是…。完成情况：…", then the
    figures (:mod:`geo.report.problems`);
三、建立长效机制 — the bureau's text, or a draft from the rules it recorded and its standing practice;
四、下一步工作安排 — the bureau's text, or suggestions from the figures as a starting draft;

the invitation to supervise and the contact line, 附件说明, 落款 and 成文日期, the county tables
(as 附件 or inline, by setting) and the 版记. Only official batches inside the jurisdiction count
(:mod:`geo.engine.official`), for the counties and batches asked for, as of the day asked for.
"""

from __future__ import annotations

import datetime as dt

from geo.stats import summary as stats
from geo.core.config import Settings
from geo.report import problems
from geo.docs import layout
from geo.report import settings as report_settings
from geo.docs.blocks import Block
from geo.report.records import text as saved
from geo.report.sections import Context, numbered, paragraphs, register, saved_text, unit_of
from geo.docs.text import batch_title, fixed, num, wan2, zh_date, zh_span
from geo.core.timeutil import today_local
from geo.access.scope import unwrap
from geo.core.errors import PermissionDenied
from geo.chief import orders
from geo.declare import registry as S
from geo.engine.figures import register_frame

H1 = ("一、履行整改主体责任情况", "二、具体问题整改落实情况", "三、建立长效机制", "四、下一步工作安排")
NONE = "—"  # a table cell with no figure


def context(store, *, settings: Settings, as_of: dt.date | None = None, batch_ids=None,
            counties=None) -> Context:
    """What a bulletin (or ledger) covers: the day, the counties — those asked for, within the
    account's when the store is scoped to some — and the summary figures of that scope."""
    day = as_of or today_local()
    counties = sorted({str(c) for c in counties or ()})
    allowed = getattr(unwrap(store)[1], "counties", None)
    if allowed is not None:

        if not allowed:
            raise PermissionDenied("the account has no counties to report on", "您的账号未分配旗县，无法生成通报")
        if set(counties) - set(allowed):
            raise PermissionDenied(f"the account may report on {', '.join(sorted(allowed))} only",
                                   "您只能生成本账号负责旗县的通报和台账")
        counties = counties or sorted(allowed)
    batch_ids = sorted({int(b) for b in batch_ids or ()})
    fig = stats.summary(store, as_of=as_of, batch_ids=batch_ids, counties=counties, today=day)
    raw = unwrap(store)[0]
    admin = raw.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
    names = dict(zip(admin["code"], admin["name"]))
    ctx = Context(settings=settings, rs=report_settings.load(raw, settings), day=day, as_of=as_of, fig=fig,
                  counties=counties, batch_ids=batch_ids,
                  county_names={c: names.get(c, c) for c in counties})
    ctx.items = problems.items_in_scope(raw, ctx)
    return ctx


def late_responses(store, ctx: Context) -> list[Block]:
    """Section 一, after the forest-chief system: the 林长令 responses received after their deadline
    (迟报, :func:`geo.chief.orders.is_late`) as of the bulletin's day, in its counties — nothing
    when none was late."""
    frame = register_frame(store, S.layer("order"), ctx.as_of, ctx.counties or None)
    text = orders.late_paragraph(store, frame, {"today": ctx.day, "counties": ctx.counties or None,
                                                "scope": ctx.scope_name})
    return [Block("p", text, head="督促林长令落实。")] if text else []


register("responsibility", late_responses)


# ------------------------------------------------------------------------------ title and opening
def title_tokens(ctx: Context) -> list[str]:
    rs = ctx.rs
    if rs.inspection:
        subject = rs.subject or "巡察"
        return [ctx.issuer, "关于", *subject_tokens(subject), "整改进展情况的通报"]
    scope = ctx.scope_name if ctx.counties else ""
    return [ctx.issuer, "关于", scope, rs.subject or "林长制", "整改进展情况的通报"]


def subject_tokens(subject: str) -> list[str]:
    """"兴安盟委第四轮（专项）巡察" → ["兴安盟委", "第四轮（专项）巡察"]: break before "第…轮"."""
    import re

    parts = re.split(r"(?=第[一二三四五六七八九十\d]+轮)", subject)
    return [p for p in parts if p]


def title(ctx: Context) -> str:
    return "".join(title_tokens(ctx))


def subtitle(ctx: Context) -> str | None:
    """The scope when the bulletin is not of everything: "（突泉县）", "（2023年第1期…变化图斑）"."""
    parts = []
    if ctx.counties and ctx.rs.inspection:
        parts.append(ctx.scope_name)
    if ctx.batch_ids:
        names = [batch_title(b["name"]) for b in ctx.fig["by_batch"]]
        parts.append("、".join(names) if names else "所选批次")
    return f"（{'，'.join(parts)}）" if parts else None


def opening(ctx: Context) -> str:
    rs, day = ctx.rs, zh_date(ctx.day)
    if rs.inspection:
        start, end, back = rs.date("inspection_start"), rs.date("inspection_end"), rs.date("feedback_date")
        inspected = rs.inspected or ctx.issuer.removeprefix("中共")
        text = f"根据{rs.authority}统一部署，" if rs.authority else ""
        when = zh_span(start, end) if start and end else (zh_date(start) + "起" if start else "")
        text += f"{when}，" if when else ""
        text += f"{rs.team}对{inspected}开展了{rs.inspection_kind or '巡察'}。"
        same_year = end is not None and back.year == end.year
        text += f"{f'{back.month}月{back.day}日' if same_year else zh_date(back)}，{rs.team}向{inspected}反馈了巡察意见。"
        text += "按照巡察工作有关要求，现将巡察整改进展情况予以公布。"
        if ctx.counties or ctx.batch_ids:
            text += f"本通报统计数据截至{day}，范围为{subtitle(ctx)[1:-1]}。"
        return text
    scope = ctx.scope_name
    return (f"为推动林长制各项整改任务落地见效，{ctx.settings.org_short or ctx.issuer}对{scope}森林督查和草原变化图斑"
            "核查整改、违法占用林地草原问题整治、生态修复、林长公示牌设立和巡林巡护等工作进展进行了调度。"
            f"现将{scope}截至{day}的整改进展情况通报如下。")


# ------------------------------------------------------------------------------ the blocks
def blocks(store, ctx: Context) -> list[Block]:
    """The bulletin's text, block by block."""
    raw = unwrap(store)[0]
    rs = ctx.rs
    out: list[Block] = [Block("title", title(ctx), lines=layout.title_lines(title_tokens(ctx)))]
    sub = subtitle(ctx)
    if sub:
        out.append(Block("subtitle", sub))
    if rs.recipients:
        out.append(Block("recipients", rs.recipients))
    out.append(Block("lead", opening(ctx)))

    out.append(Block("h1", H1[0]))
    own = saved(raw, "responsibility", ctx.counties)
    part = saved_text(own) if own else numbered(paragraphs(raw, ctx, "responsibility"), "（一）")
    out.extend(part or [Block("p", f"对{ctx.scope_name}林长制各项整改任务实行台账管理，逐项明确责任、"
                                   "跟踪调度、限期销号。")])

    out.append(Block("h1", H1[1]))
    out.extend(problems.blocks(raw, ctx))
    if rs.tables == "inline":
        out.append(Block("table", caption=f"表1  {TABLE_TITLES[0]}（截至{zh_date(ctx.day)}）",
                         rows=county_change_rows(ctx)))
        out.append(Block("table", caption=f"表2  {TABLE_TITLES[1]}（截至{zh_date(ctx.day)}）",
                         rows=county_other_rows(ctx)))

    for key, heading in (("mechanism", H1[2]), ("next_steps", H1[3])):
        out.append(Block("h1", heading))
        own = saved(raw, key, ctx.counties)
        if own:
            out.extend(saved_text(own))
        else:
            out.extend(numbered(paragraphs(raw, ctx, key), "一是"))

    who = "巡察整改落实情况" if rs.inspection else "整改落实情况"
    out.append(Block("p", f"欢迎广大干部群众对{who}进行监督，如有意见建议，请及时向我们反映。"))
    if rs.contact:
        out.append(Block("contact", rs.contact))
    if rs.tables == "attachment":
        names = [f"{i}.{t}" for i, t in enumerate(TABLE_TITLES, start=1)]
        out.append(Block("attach_note", "附件：" + "\n".join(names)))
    out.append(Block("sign", ctx.issuer))
    out.append(Block("sign", zh_date(ctx.day)))
    if rs.tables == "attachment":
        for i, (name, rows) in enumerate(zip(TABLE_TITLES, (county_change_rows(ctx), county_other_rows(ctx))),
                                         start=1):
            out.append(Block("attachment", f"附件{i}", caption=layout.BREAK.join(
                layout.title_lines(_table_title_tokens(ctx, name)))))
            out.append(Block("subtitle", f"（截至{zh_date(ctx.day)}）"))
            out.append(Block("table", rows=rows))
    return out


TABLE_TITLES = ("各旗县市变化图斑核查整改情况表", "各旗县市生态修复、公示牌和巡护情况表")


def _table_title_tokens(ctx: Context, name: str) -> list[str]:
    if ctx.counties:
        name = name.replace("各旗县市", ctx.scope_name)
    return [t for t in name.replace("生态修复", "|生态修复").replace("变化图斑", "|变化图斑").split("|") if t]


# ------------------------------------------------------------------------------ the county tables
COUNTY_CHANGE_HEAD = ["旗县市", "下发", "已核查", "违法", "已立案", "已处罚", "已整改", "已销号",
                      "销号率（%）", "逾期", "罚款（万元）"]


def _n(value) -> str:
    return NONE if value is None else str(int(value))


def _change_row(name: str, r: dict) -> list[str]:
    return [name, str(r["total"] or 0), _n(r["verified"]), _n(r["illegal"]), _n(r["case_filed"]),
            _n(r["penalized"]), _n(r["rectified"]), _n(r["closed"]),
            NONE if r["closed_pct"] is None else num(r["closed_pct"], 1), _n(r["overdue"]),
            NONE if r["fines_yuan"] is None else wan2(r["fines_yuan"])]


def county_change_rows(ctx: Context) -> list[list[str]]:
    """Table 1: change polygons per county (ranked by closure rate) and the total (合计)."""
    fig = ctx.fig
    rows = [COUNTY_CHANGE_HEAD]
    rows += [_change_row(r["county"], r) for r in fig["by_county"]]
    rows.append(_change_row("合计", fig["change"]))
    return rows


def county_other_rows(ctx: Context) -> list[list[str]]:
    """Table 2: restoration (the focal year), signboards and patrols per county; features of no
    county (league-level boards) in a row of their own, so the rows add up to 合计."""
    fig = ctx.fig
    year = fig["restoration"].get("year")
    head = ["旗县市", f"{year}年修复计划（万亩）" if year else "修复计划（万亩）", "已完成（万亩）", "资金支付率（%）",
            "公示牌（个）", "需更新（个）", "巡护（次）", "巡护里程（公里）"]

    def w4(v):
        return NONE if v is None else num(v, 4)

    rows = [head]
    sums = {"signboards": 0, "stale": 0, "patrols": 0, "km": 0.0}
    for r in fig["by_county"]:
        rows.append([r["county"], w4(r.get("restoration_planned_wanmu")), w4(r.get("restoration_completed_wanmu")),
                     NONE if r.get("restoration_paid_pct") is None else num(r["restoration_paid_pct"], 1),
                     str(r.get("signboards") or 0), str(r.get("signboards_stale") or 0), str(r.get("patrols") or 0),
                     fixed(r.get("patrol_km") or 0, 1)])
        sums["signboards"] += r.get("signboards") or 0
        sums["stale"] += r.get("signboards_stale") or 0
        sums["patrols"] += r.get("patrols") or 0
        sums["km"] += r.get("patrol_km") or 0.0
    s, p = fig["signboards"], fig["patrols"]
    rest = {"signboards": (s["total"] or 0) - sums["signboards"], "stale": (s["stale"] or 0) - sums["stale"],
            "patrols": (p["count"] or 0) - sums["patrols"], "km": (p["km"] or 0.0) - sums["km"]}
    if not ctx.counties and (rest["signboards"] or rest["patrols"]):
        rows.append([f"{unit_of(ctx.settings.org_name)}本级", NONE, NONE, NONE, str(rest["signboards"]),
                     str(rest["stale"]), str(rest["patrols"]), fixed(max(rest["km"], 0.0), 1)])
    y = fig["restoration"].get("year_figures") or {}
    rows.append(["合计", w4(y.get("planned_wanmu")), w4(y.get("completed_wanmu")),
                 NONE if y.get("paid_pct") is None else num(y["paid_pct"], 1), str(s["total"] or 0),
                 str(s["stale"] or 0), str(p["count"] or 0), fixed(p["km"] or 0, 1)])
    return rows


# ------------------------------------------------------------------------------ the document
def bulletin(store, *, settings: Settings, as_of: dt.date | None = None, batch_ids=None,
             counties=None) -> bytes:
    """The bulletin as .docx bytes."""
    ctx = context(store, settings=settings, as_of=as_of, batch_ids=batch_ids, counties=counties)
    return render(store, ctx)


def render(store, ctx: Context) -> bytes:
    rs = ctx.rs
    printed = rs.date("print_date") or ctx.day
    return layout.render(blocks(store, ctx), title=title(ctx), author=ctx.issuer, day=ctx.day,
                         historic=ctx.as_of is not None,
                         letterhead=rs.letterhead or (ctx.issuer if rs.doc_number else ""),
                         number=rs.doc_number, signer=rs.signer, cc=rs.cc, printer=rs.printer,
                         printed=zh_date(printed) if (rs.printer or rs.cc) else "")
