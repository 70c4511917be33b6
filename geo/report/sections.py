"""Where the bulletin's editable sections get their draft paragraphs — a hook for registers.

Sections and who drafts them (a bureau's own saved text, :func:`geo.report.records.set_text`,
always replaces the draft of 一, 三 and 四):

* ``responsibility`` — 一、履行整改主体责任情况: the recorded actions (meetings, groups set up,
  documents issued, supervision), then how the problems were broken down;
* ``problems`` — 二、具体问题整改落实情况: after the rectification items and the figures
  (:mod:`geo.report.problems`), anything a register adds;
* ``mechanism`` — 三、建立长效机制: the rules made (recorded actions of kind ``system``) and
  the standing practices the store itself keeps;
* ``next_steps`` — 四、下一步工作安排: suggestions from the figures (a starting draft only).

**The hook.** A provider is a function ``(store, ctx) -> list[Block]`` returning paragraphs
(:class:`geo.docs.blocks.Block` of kind ``"p"``). A paragraph with a ``head`` ("加强组织领导。")
becomes a numbered point — （一）（二）… in section 一, 一是… elsewhere — in the order the providers
are registered; one without a head is printed as it is. ``ctx`` (:class:`Context`) says for which
day, counties and batches the bulletin is, and carries the summary figures. A register (林长令,
督办单, …) adds itself once, at import time of its module::

    from geo.report import sections

    def orders(store, ctx):
        n = ...  # 林长令 signed up to ctx.day in ctx.counties
        return [Block("p", f"共签发林长令{n}张……", head="压实各级林长责任。")] if n else []

    sections.register("responsibility", orders)

Providers must not write, and must return ``[]`` when they have nothing to say (no "0张", no
"无数据": the bulletin is printed as it is).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from geo.core.config import Settings
from geo.declare import registry as S
from geo.declare.registry import GROUPS, rules_of
from geo.docs.blocks import Block
from geo.report.settings import ReportSettings
from geo.docs.text import cn_index, pct, zh_date
from geo.report.records import actions

SECTION_KEYS = ("responsibility", "problems", "mechanism", "next_steps")


@dataclass
class Context:
    """What a bulletin is for."""

    settings: Settings
    rs: ReportSettings
    day: dt.date  # the date of the figures and of the bulletin
    as_of: dt.date | None  # None: now
    fig: dict  # geo.stats.summary.summary for this scope
    counties: list[str] = field(default_factory=list)  # the requested counties ([]: all)
    batch_ids: list[int] = field(default_factory=list)  # the requested batches ([]: all official)
    county_names: dict = field(default_factory=dict)  # code -> name, of the requested counties
    items: pd.DataFrame | None = None  # the rectification items in scope (geo.report.problems)

    @property
    def issuer(self) -> str:
        return self.rs.issuer or self.settings.org_name

    @property
    def scope_name(self) -> str:
        """"突泉县" for a county bulletin, "全盟" for the whole jurisdiction."""
        if self.counties:
            return "、".join(self.county_names.get(c, c) for c in self.counties)
        return "全" + unit_of(self.settings.org_name)


def unit_of(org_name: str) -> str:
    """"盟" for 兴安盟林业和草原局 (the level the bureau covers)."""
    head = org_name.split("林业")[0]
    for unit in ("盟", "市", "州", "旗", "县", "区"):
        if head.endswith(unit):
            return unit
    for unit in ("盟", "市", "州", "旗", "县", "区"):
        if unit in head:
            return unit
    return "辖区"


Provider = Callable[[object, Context], list]
PROVIDERS: dict[str, list[Provider]] = {k: [] for k in SECTION_KEYS}


def register(section: str, provider: Provider) -> Provider:
    """Add a provider of paragraphs to ``section`` (also usable as a decorator factory's target)."""
    if section not in PROVIDERS:
        raise ValueError(f"unknown section '{section}'; one of {', '.join(SECTION_KEYS)}")
    if provider not in PROVIDERS[section]:
        PROVIDERS[section].append(provider)
    return provider


def paragraphs(store, ctx: Context, section: str) -> list[Block]:
    out: list[Block] = []
    for provider in PROVIDERS[section]:
        out.extend(provider(store, ctx) or [])
    return out


def numbered(blocks: list[Block], style: str = "（一）") -> list[Block]:
    """Number the headed paragraphs: （一）（二）… (``style="（一）"``) or 一是…二是… (``"一是"``)."""
    out, k = [], 0
    for b in blocks:
        if b.head:
            k += 1
            if style == "（一）":
                b = Block(b.kind, b.text, head=f"（{cn_index(k)}）{b.head}", head_style="kai")
            else:
                b = Block(b.kind, f"{cn_index(k)}是{b.head}{b.text}")
        out.append(b)
    return out


def saved_text(body: str) -> list[Block]:
    """A section the bureau wrote: one paragraph per non-empty line, printed as written."""
    return [Block("p", line.strip()) for line in body.splitlines() if line.strip()]


# ------------------------------------------------------------------------------ default drafts
def _dates(rows: pd.DataFrame, year: int | None = None) -> list[str]:
    """Each action as "2023年7月24日，成立…" (the year left out when the same as the last one)."""
    out = []
    last = year
    for _, r in rows.iterrows():
        day = dt.date.fromisoformat(str(r["on_date"])[:10])
        when = zh_date(day) if day.year != last else f"{day.month}月{day.day}日"
        last = day.year
        doc = f"（{r['doc_no']}）" if isinstance(r.get("doc_no"), str) and r["doc_no"] else ""
        out.append(f"{when}，{r['title']}{doc}")
    return out


def recorded_actions(store, ctx: Context) -> list[Block]:
    """Section 一 from the recorded actions: leadership (groups, meetings), documents, supervision."""

    acts = actions(store, as_of=ctx.day, counties=ctx.counties or None)
    if acts.empty:
        return []
    out = []
    groups = (("加强组织领导。", ("group", "meeting")), ("细化整改措施。", ("document",)),
              ("加强督促检查。", ("inspection", "other")))
    for head, kinds in groups:
        part = acts[acts["kind"].isin(kinds)]
        if len(part):
            out.append(Block("p", "；".join(_dates(part)) + "。", head=head))
    return out


def items_breakdown(store, ctx: Context) -> list[Block]:
    """How the problems were broken down into tasks with owners and deadlines (from the items)."""
    items = ctx.items
    if items is None or items.empty:
        return []
    owned = items["leader"].notna().any() and items["unit"].notna().any() and items["deadline"].notna().any()
    n = len(items)
    cats = items["category"].dropna().nunique()
    where = f"{cats}个方面{n}个问题" if cats > 1 else f"{n}个问题"
    what = "巡察反馈的" if ctx.rs.inspection else "梳理出的"
    text = f"对{what}{where}逐项制定整改措施"
    if owned:
        text += "，明确责任领导、责任单位和完成时限，建立问题清单、任务清单和责任清单"
    text += "，做到整改一个、销号一个。"
    return [Block("p", text, head="压实整改责任。")]


def rules_made(store, ctx: Context) -> list[Block]:
    """Section 三: rules the bureau recorded as made (kind ``system``)."""

    acts = actions(store, as_of=ctx.day, counties=ctx.counties or None, kinds=["system"])
    return [Block("p", line + "。", head="健全制度。") for line in _dates(acts)]


def standing_practice(store, ctx: Context) -> list[Block]:
    """Section 三: what the store keeps as a matter of course (true of every bureau using it)."""
    fig = ctx.fig
    out = []
    if fig["change"]["total"]:
        out.append(Block("p", "对变化图斑实行台账管理，核查、立案、处罚、整改、验收、销号全程留痕，"
                              "做到整改一个、销号一个，已销号图斑纳入“回头看”，防止问题反弹。",
                         head="建立图斑整改闭环机制。"))
    if fig["signboards"]["total"]:
        out.append(Block("p", "林长公示牌与责任区林长信息动态比对，林长调整后及时更新公示牌，"
                              "确保责任人、责任区域和监督电话准确。", head="落实公示牌动态管理。"))
    if fig["patrols"]["count"]:
        out.append(Block("p", "各级林长和护林员巡林巡护轨迹纳入台账，巡护途经的未销号图斑逐一记录，"
                              "以巡护促整改。", head="坚持巡林巡护制度。"))
    return out


def figure_suggestions(store, ctx: Context) -> list[Block]:
    """Section 四, a starting draft from the figures (the bureau rewrites it)."""
    fig = ctx.fig
    c, r, s = fig["change"], fig["restoration"], fig["signboards"]
    out = []
    if c["total"] and c["open"]:
        late = f"，对逾期未完成的{c['overdue']}个图斑逐一督办、限期销号" if c["overdue"] else ""
        out.append(Block("p", f"对尚未销号的{c['open']}个变化图斑建立清单、压实责任{late}，"
                              "做到整改一个、销号一个。", head="紧盯变化图斑核查整改。"))
    y = r.get("year_figures") or {}
    if y and y.get("paid_pct") is not None and y["paid_pct"] < 100:
        out.append(Block("p", f"{r['year']}年度生态修复项目资金支付率为{pct(y['paid_pct'])}，督促各地及时兑付资金，"
                              "将支付进度纳入林长制考核。", head="加快项目资金支付进度。"))
    if s["total"] and (s["stale"] or s["damaged"]):
        parts = [f"信息需更新的{s['stale']}个" if s["stale"] else "", f"损坏的{s['damaged']}个" if s["damaged"] else ""]
        out.append(Block("p", f"对{'、'.join(p for p in parts if p)}公示牌限期更新修复，确保责任人、责任区域和监督电话准确。",
                         head="及时更新林长公示牌。"))
    items = ctx.items
    if items is not None and len(items):
        open_ = int((items["completion"] != "done").sum())
        if open_:
            out.append(Block("p", f"对尚未完成的{open_}个问题跟踪问效，对需长期坚持的问题常抓不懈，"
                                  "坚决防止问题反弹回潮。", head="持续抓好问题整改。"))
    out.append(Block("p", "巩固整改成果，适时开展“回头看”，对已完成的整改事项逐项复核，"
                          "推动整改成果转化为林长制工作实效。", head="巩固拓展整改成果。"))
    return out


register("responsibility", recorded_actions)
register("responsibility", items_breakdown)
register("mechanism", rules_made)
register("mechanism", standing_practice)
register("next_steps", figure_suggestions)

# ---- every register's paragraph: each register whose rules define ``bulletin(figures, ctx) -> str | None``
# speaks, with its figures for the bulletin's day and scope (``ctx.fig["registers"]``), and the registers of
# one menu group (防火, 松材线虫病, 林长制 …) make one numbered point of section 一 (the forest-chief system)
# or 二 (the other registers), so a new register is in the bulletin as soon as it is declared.
# the groups about the responsibility system itself open the bulletin (section 一)
RESPONSIBILITY_GROUPS = ("chief",)


def register_paragraphs(store, ctx: Context, groups) -> list[Block]:
    regs = (ctx.fig or {}).get("registers") or {}
    c = {"today": ctx.day, "as_of": ctx.as_of, "scope": ctx.scope_name, "counties": ctx.counties,
         "settings": ctx.settings, "registers": regs}
    by_group: dict[str, list[str]] = {}
    for key, lyr in S.LAYERS.items():
        if lyr.group not in groups:
            continue
        rules = rules_of(lyr)
        if rules is None or not hasattr(rules, "bulletin"):
            continue
        text = rules.bulletin(regs.get(key) or {}, {**c, "layer": key})
        if text and text not in by_group.get(lyr.group, []):
            by_group.setdefault(lyr.group, []).append(text.strip())
    out = []
    for group, texts in by_group.items():
        head = GROUPS.get(group, (group, group))[0]
        out.append(Block("p", "".join(t if t.endswith("。") else t + "。" for t in texts), head=f"{head}工作。"))
    return out


def responsibility(store, ctx: Context) -> list[Block]:
    return register_paragraphs(store, ctx, RESPONSIBILITY_GROUPS)


def other_registers(store, ctx: Context) -> list[Block]:
    return register_paragraphs(store, ctx, tuple(g for g in GROUPS if g not in RESPONSIBILITY_GROUPS))


register("responsibility", responsibility)
register("problems", other_registers)
