"""Section 二 of the bulletin: each rectification item in the seeds' form, and the figures.

"（N）关于“problem”问题。整改落实情况：一是…二是…。完成情况：…" — the measures are split into
their parts (一是… 二是…), and the completion wording is computed from the item's real progress:

* 已完成整改 only when the item is marked done **and** every linked feature is done (change polygons
  closed, occupation plots accepted or delisted, restoration tasks accepted, signboards in order) and
  any manual progress is 100%;
* otherwise 正在整改 (or 长期坚持), with what the linked features say ("涉及变化图斑16个，已销号11个"),
  and, past the item's deadline, "已超过完成时限（…）".

With a county filter only the items linked to that county's features are listed, with the county's
share of their features.
"""

from __future__ import annotations

import re

import pandas as pd

from geo.stats import summary as stats
from geo.access.scope import unwrap
from geo.docs.blocks import Block
from geo.report.sections import Context, paragraphs
from geo.docs.text import cn_index, hectares, listing, mu_of, num, pct, wan2, zh_date
from geo.docs.text import batch_title
from geo.declare import registry as S
from geo.report.settings import ReportSettings
from geo.core.timeutil import today_local

# how each linked layer says "done", and how the bulletin counts it
DONE = stats.LINK_DONE
NOUNS = {"change": ("变化图斑", "个", "已销号", "已全部销号"),
         "occupation": ("违法占用地块", "个", "已验收或摘牌", "已全部验收或摘牌"),
         "restoration": ("修复任务", "个", "已验收", "已全部验收"),
         "signboard": ("林长公示牌", "个", "信息准确完好", "信息均准确完好")}
WORDS = {"done": "已完成整改", "in_progress": "正在整改", "long_term": "长期坚持"}


def _links(store, as_of, counties) -> pd.DataFrame:
    """Every item link with the feature's status (as of the day) and whether it is done."""
    raw = unwrap(store)[0]
    links = raw.item_links()
    cols = ["item_id", "layer", "feature_id", "done"]
    if links.empty:
        return pd.DataFrame(columns=cols)
    links = links.copy()
    links["item_id"] = links["item_id"].astype("int64")
    links["feature_id"] = links["feature_id"].astype("int64")
    parts = []
    for layer, part in links.groupby("layer"):
        if layer not in NOUNS:  # patrols, zones: linked for reference, they do not progress
            continue
        where = {"id": part["feature_id"].unique().tolist()}
        if counties:
            where["county_code"] = list(counties)
        state = stats.layer_state(raw, layer, as_of, columns=["status"], where=where)
        status = dict(zip(state["id"].astype("int64"), state["status"]))
        part = part[part["feature_id"].isin(status)].copy()
        part["done"] = part["feature_id"].map(lambda f, ok=DONE[layer]: status.get(f) in ok)
        parts.append(part[cols])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def items_in_scope(store, ctx: Context) -> pd.DataFrame:
    """The items (as of the day) with ``completion`` (done / in_progress / long_term),
    ``overdue`` (still open past the deadline), ``detail`` (what the linked features say) and
    ``measure_parts``."""
    raw = unwrap(store)[0]
    items = stats.item_state(raw, ctx.as_of)
    if items.empty:
        return items.assign(completion=[], overdue=[], detail=[], measure_parts=[])
    links = _links(raw, ctx.as_of, ctx.counties)
    if ctx.counties:  # a county's bulletin: the items that concern its features
        items = items[items["id"].isin(set(links["item_id"]))]
    rows = []
    for _, it in items.iterrows():
        mine = links[links["item_id"] == it["id"]]
        details, complete = [], True
        for layer, part in mine.groupby("layer", sort=False):
            n, k = len(part), int(part["done"].sum())
            noun, unit, word, all_done = NOUNS[layer]
            details.append(f"涉及{noun}{n}{unit}，" + (all_done if k == n else f"{word}{k}{unit}"))
            complete &= k == n
        manual = it.get("manual_progress")
        manual = None if manual is None or manual != manual else float(manual)
        if manual is not None and it.get("progress_mode") != "computed":
            if manual < 100:
                details.append(f"完成进度{num(manual, 1)}%")
            complete &= manual >= 100
        status = it["status"]
        if status == "done" and complete:
            completion = "done"
        elif status == "long_term":
            completion = "long_term"
        else:
            completion = "in_progress"
        deadline = it.get("deadline")
        deadline = str(deadline)[:10] if isinstance(deadline, str) and deadline else None
        overdue = completion == "in_progress" and deadline is not None and deadline < ctx.day.isoformat()
        rows.append({**it.to_dict(), "completion": completion, "overdue": overdue, "detail": "，".join(details),
                     "measure_parts": measure_parts(it.get("measures"))})
    return pd.DataFrame(rows)


def measure_parts(measures) -> list[str]:
    """"强化…；召开…；设立…。" → ["强化…", "召开…", "设立…"] (also numbered or line-separated)."""
    if not isinstance(measures, str) or not measures.strip():
        return []
    text = re.sub(r"(^|\n)\s*(\d+[.、．]|[（(]\d+[)）]|[一二三四五六七八九十]+是)", "\n", measures.strip())
    parts = re.split(r"[；;\n]+", text)
    return [p.strip().rstrip("。；;，, ") for p in parts if p.strip().rstrip("。；;，, ")]


def completion_text(row) -> str:
    """The 完成情况 of an item, never contradicting its progress."""
    word = WORDS[row["completion"]]
    extra = []
    if row["completion"] != "done" and row["detail"]:
        extra.append(row["detail"])
    if row["overdue"]:
        extra.append(f"已超过完成时限（{zh_date(row['deadline'])}），正在加快推进")
    return word + ("，" + "，".join(extra) if extra else "") + "。"


def measures_text(parts: list[str]) -> str:
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0] + "。"
    return "".join(f"{cn_index(i)}是{p}。" for i, p in enumerate(parts, start=1))


def blocks(store, ctx: Context) -> list[Block]:
    """Section 二: an overview, the items by category, then the figures (and register paragraphs)."""
    items = ctx.items if ctx.items is not None else items_in_scope(store, ctx)
    out: list[Block] = []
    k_cat = 0
    if len(items):
        done = int((items["completion"] == "done").sum())
        long_term = int((items["completion"] == "long_term").sum())
        ongoing = len(items) - done - long_term
        late = int(items["overdue"].sum())
        source = "巡察反馈" if ctx.rs.inspection else "梳理出"
        parts = [f"已完成整改{done}个" if done else "", f"正在整改{ongoing}个" if ongoing else "",
                 f"需长期坚持{long_term}个" if long_term else ""]
        text = (f"围绕{source}的{len(items)}个问题逐项推进整改。截至{zh_date(ctx.day)}，"
                + "，".join(p for p in parts if p))
        text += f"，其中{late}个已超过完成时限。" if late else "。"
        out.append(Block("p", text))
        cats = items["category"].astype(object).where(items["category"].notna(), "其他")
        k = 0
        for cat in dict.fromkeys(cats.tolist()):
            k_cat += 1
            out.append(Block("h2", f"（{cn_index(k_cat)}）{_category_heading(cat)}"))
            for _, it in items[cats == cat].iterrows():
                k += 1
                problem = str(it["problem"]).strip().rstrip("。").replace("“", "‘").replace("”", "’")
                out.append(Block("p", f"（{k}）关于“{problem}”问题。", head_style="bold"))
                if it["measure_parts"]:
                    out.append(Block("p", measures_text(it["measure_parts"]), head="整改落实情况：",
                                     head_style="bold"))
                out.append(Block("p", completion_text(it), head="完成情况：", head_style="bold"))
    figures = figure_blocks(store, ctx)
    if figures:
        k_cat += 1
        out.append(Block("h2", f"（{cn_index(k_cat)}）变化图斑核查整改及林长制重点工作推进情况"))
        out.extend(figures)
    out.extend(paragraphs(store, ctx, "problems"))
    return out


def _category_heading(cat: str) -> str:
    cat = str(cat).strip()
    return cat if cat.endswith(("方面", "情况", "问题")) else f"{cat}方面"


# ------------------------------------------------------------------------------ the figures
def figure_blocks(store, ctx: Context) -> list[Block]:
    fig = ctx.fig
    out = []
    k = 0

    def add(head: str, text: str | None):
        nonlocal k
        if text:
            k += 1
            out.append(Block("p", text, head=f"{k}.{head}", head_style="bold"))

    add("变化图斑核查处置。", change_text(ctx))
    add("违法占用林地草原问题整治。", occupation_text(store, ctx))
    add("生态修复。", restoration_text(store, ctx))
    add("林长公示牌。", signboard_text(ctx))
    add("巡林巡护。", patrol_text(ctx))
    if out and ctx.rs.tables == "inline":
        out.append(Block("p", "各旗县市变化图斑核查整改情况见表1，生态修复、林长公示牌和巡林巡护情况见表2。"))
    elif out:
        out.append(Block("p", "各旗县市情况见附件。"))
    return out


def change_text(ctx: Context) -> str | None:
    c = ctx.fig["change"]
    if not c["total"]:
        return None
    parts = [f"{ctx.scope_name}共下发变化图斑{c['total']}个，已完成核查{c['verified']}个，核查率{pct(c['verified_pct'])}"]
    if c["illegal"]:
        s = (f"其中违法违规图斑{c['illegal']}个，面积{hectares(c['illegal_area_ha'])}公顷"
             f"（{mu_of(c['illegal_area_ha'])}亩）")
        if c["case_filed"]:
            s += f"，已立案查处{c['case_filed']}个"
        if c["penalized"]:
            s += f"，已作出行政处罚{c['penalized']}个"
        if c["fines_yuan"]:
            s += f"，收缴罚款{wan2(c['fines_yuan'])}万元"
        if c["rectified"]:
            s += f"，已完成整改{c['rectified']}个"
        parts.append(s)
    if c["closed"]:
        parts.append(f"已销号{c['closed']}个，销号率{pct(c['closed_pct'])}")
    else:
        parts.append("尚无销号图斑")
    text = "；".join(parts)
    if c["overdue"]:
        text += f"；逾期未完成{c['overdue']}个"
        old = (c.get("ageing") or {}).get(">180") or 0
        if old:
            text += f"，其中逾期超过180天的{old}个"
    text += "。"
    batches = [b for b in ctx.fig["by_batch"] if b["total"]]
    if len(batches) > 1 or ctx.batch_ids:
        text += "分批次看：" + "；".join(batch_sentence(b) for b in batches) + "。"
    return text


def batch_sentence(b: dict) -> str:
    """One batch in the bulletins' phrasing ("2023年第1期森林督查变化图斑共60个，……")."""

    s = f"{batch_title(b['name'])}共{b['total']}个，已完成核查{b['verified']}个"
    if b["illegal"]:
        s += f"，其中违法图斑{b['illegal']}个"
        if b["case_filed"]:
            s += f"，已立案查处{b['case_filed']}个"
        if b["fines_yuan"]:
            s += f"，收缴罚款{wan2(b['fines_yuan'])}万元"
    s += f"，已销号{b['closed']}个，销号率{pct(b['closed_pct'])}" if b["closed"] else "，尚无销号图斑"
    return s


def occupation_text(store, ctx: Context) -> str | None:
    o = ctx.fig["occupation"]
    if not o["total"]:
        return None
    words = {"found": "已发现待立案", "case_filed": "已立案", "penalized": "已处罚", "rectifying": "正在整改",
             "accepted": "已验收", "delisted": "已摘牌"}
    stages = "、".join(f"{words.get(s, s)}{n}个" for s, n in o["by_stage"].items() if n)
    text = f"纳入整治台账的违法占用林地草原问题共{o['total']}个，其中{stages}"
    if o["fines_yuan"]:
        text += f"，已处罚款{wan2(o['fines_yuan'])}万元"
    text += "。"
    if o["delisted"]:
        frame = stats.layer_state(unwrap(store)[0], "occupation", ctx.as_of,
                                  columns=["name", "status", "county_code"],
                                  where={"county_code": ctx.counties} if ctx.counties else None)
        names = frame.loc[frame["status"] == "delisted", "name"].dropna().tolist()
        if names:
            text += f"{listing(names, noun='问题')}已整改完成并通过验收，已摘牌。"
    return text


def restoration_text(store, ctx: Context) -> str | None:
    r = ctx.fig["restoration"]
    y = r.get("year_figures")
    if not y or not y["planned_wanmu"]:
        return None
    year = r["year"]
    text = f"{year}年度计划完成生态修复任务{num(y['planned_wanmu'], 4)}万亩"
    if y["completed_wanmu"]:
        text += f"，已完成{num(y['completed_wanmu'], 4)}万亩，完成率{pct(y['completed_pct'])}"
        done = [row for row in r["year_by_county"] if row["completed_wanmu"]]
        if done and not ctx.counties:
            text += "。其中" + "、".join(f"{row['county']}完成{num(row['completed_wanmu'], 4)}万亩" for row in done)
    else:
        text += "，正在组织实施"
    text += f"；已验收{num(y['accepted_wanmu'], 4)}万亩" if y["accepted_wanmu"] else "；尚未开展验收"
    if y["budget_yuan"]:
        text += f"。项目资金{wan2(y['budget_yuan'])}万元，已支付{wan2(y['paid_yuan'])}万元，支付率{pct(y['paid_pct'])}"
    text += "。"
    frame = stats.layer_state(unwrap(store)[0], "restoration", ctx.as_of,
                              columns=["project", "year", "budget_yuan", "paid_yuan", "county_code"],
                              where={"county_code": ctx.counties} if ctx.counties else None)
    if len(frame):
        frame = frame.copy()
        budget = pd.to_numeric(frame["budget_yuan"], errors="coerce")
        paid = pd.to_numeric(frame["paid_yuan"], errors="coerce").fillna(0.0)
        late = frame[(pd.to_numeric(frame["year"], errors="coerce") < year) & (budget > 0) & (paid < budget)]
        if len(late):
            b, p = float(budget[late.index].sum()), float(paid[late.index].sum())
            text += (f"往年项目中，{listing(late['project'].tolist(), limit=3, noun='项目')}资金尚未支付完毕，"
                     f"共{wan2(b)}万元，已支付{wan2(p)}万元，支付率{pct(round(100 * p / b, 1))}。")
    return text


def signboard_text(ctx: Context) -> str | None:

    s = ctx.fig["signboards"]
    if not s["total"]:
        return None
    levels = "、".join(f"{S.label('level', lvl)}{n}个" for lvl, n in s["by_level"].items() if n)
    text = (f"已在{ctx.scope_name}设立林长公示牌{s['total']}个，其中{levels}，标明责任人、责任区域，公布举报电话，"
            "对林草资源实行网格化管理。")
    fixes = []
    if s["stale"]:
        extra = f"（其中{s['stale_unrecorded']}个为林长已调整、公示牌尚未更新）" if s["stale_unrecorded"] else ""
        fixes.append(f"{s['stale']}个公示牌信息需更新{extra}")
    if s["damaged"]:
        fixes.append(f"{s['damaged']}个公示牌损坏待修复")
    text += ("经与责任区林长信息比对，" + "，".join(fixes) + "。") if fixes else "经比对，公示牌信息均准确完好。"
    return text


def patrol_text(ctx: Context) -> str | None:

    p = ctx.fig["patrols"]
    if not p["count"]:
        return None
    levels = "、".join(f"{S.label('actor_level', lvl)}{v['count']}次" for lvl, v in p["by_level"].items() if v["count"])
    text = (f"各级林长和护林员共巡林巡护{p['count']}次，巡护里程{num(p['km'], 1)}公里，时长{num(p['hours'], 1)}小时，"
            f"其中{levels}。")
    if p["open_visited"]:
        text += f"巡护途经未销号变化图斑{p['open_visited']}个，占未销号图斑的{pct(p['open_visited_pct'])}。"
    return text


def marked_done_but_open(store, settings, as_of=None, counties=None) -> int:
    """How many items are marked done while some of their linked features are not (the bulletin
    calls them 正在整改): for the leaders' screen to say so."""

    day = as_of or today_local()
    ctx = Context(settings=settings, rs=ReportSettings(), day=day, as_of=as_of, fig={},
                  counties=sorted(counties or []))
    items = items_in_scope(store, ctx)
    if items.empty:
        return 0
    return int(((items["status"] == "done") & (items["completion"] != "done")).sum())
