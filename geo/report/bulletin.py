"""The bulletin (整改进展情况通报) as a Word document in the shape of the bureaus' own bulletins.

Content (see ``../shared/seeds``): title and lead; 一、整改工作开展情况 (change polygons, illegal
occupation, restoration, signboards, patrols); 二、具体问题整改落实情况 (each rectification item with
its 整改情况 and 完成情况, then each batch in the bulletins' phrasing — "2023年第1期森林督查变化图斑共
N个，已完成核查N个，其中违法图斑N个，已立案查处N个，收缴罚款N万元，已销号N个，销号率N%" — and tables
per county); 三、下一步工作计划 as a highlighted draft to edit; the contact line; signature and date.

Layout follows GB/T 9704-2012 (党政机关公文格式): A4, margins 37/35/28/26 mm (top/bottom/left/
right), title 方正小标宋简体 二号 (22 pt) centred, body 仿宋_GB2312 三号 (16 pt) with a two-character
first-line indent and 22 lines a page, 一、 headings in 黑体, （一） headings in 楷体_GB2312, page
numbers "— 1 —" in 宋体 四号. Every run names its Chinese font in ``w:rFonts/@w:eastAsia`` (Latin
text and digits in Times New Roman), and the font table declares the fonts with the GB2312 charset
and their PANOSE class, so Word or WPS on a machine without 方正小标宋简体 or 仿宋_GB2312 substitutes a
Chinese serif/sans font instead of falling back to a Latin one.

The text is built first as a list of blocks (:func:`blocks`), then laid out (:func:`render`); the
tests read the text back from the .docx.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from geo import schema as S
from geo import stats
from geo.config import Settings
from geo.report.text import NO_DATA, batch_title, cn_index, missing, num, pct, wan, zh_date
from geo.store import Store
from geo.timeutil import today_local

# Fonts (GB/T 9704) and what Word/WPS should look for when one is missing.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
FONT_TABLE = {
    # name: (altName, PANOSE-1, family, pitch)
    TITLE_FONT: ("方正小标宋_GBK", "02000000000000000000", "script", "variable"),
    BODY_FONT: ("仿宋", "02010609030101010101", "modern", "fixed"),
    H1_FONT: ("SimHei", "02010609060101010101", "modern", "fixed"),
    H2_FONT: ("楷体", "02010609030101010101", "modern", "fixed"),
    PAGE_FONT: ("SimSun", "02010600030101010101", "auto", "variable"),
}
SIZE_TITLE = 22.0  # 二号
SIZE_BODY = 16.0  # 三号
SIZE_PAGE = 14.0  # 四号
SIZE_TABLE = 10.5  # 五号
LINE = 28.95  # 22 lines in the 225 mm text block
PLACEHOLDER = "【请在此处填写下一步工作计划，以下为系统根据统计数据生成的草稿，请修改完善】"


# ---------------------------------------------------------------------------- blocks
@dataclass
class Block:
    kind: str  # title, lead, h1, h2, h3, p, label, table, draft, contact, sign, note
    text: str = ""
    head: str = ""  # a heading run before the text in the same paragraph (（一）… in 楷体)
    rows: list = field(default_factory=list)  # table: first row is the header
    caption: str = ""


def _scope(settings: Settings) -> str:
    name = settings.org_name
    for unit in ("盟", "旗", "市", "县", "区"):
        if unit in name.split("林业")[0]:
            return "全" + unit
    return "全辖区"


def _label(kind: str, key) -> str:
    return S.label(kind, key, "zh")


def blocks(store: Store, *, settings: Settings, as_of: dt.date | None = None,
           batch_ids: list[int] | None = None) -> list[Block]:
    """The bulletin's text, block by block."""
    day = as_of or today_local()
    fig = stats.summary(store, as_of=as_of, batch_ids=batch_ids, today=day)
    items = stats.item_state(store, as_of)
    scope = _scope(settings)
    date = zh_date(day)
    out: list[Block] = [Block("title", f"{settings.org_name}关于林长制整改进展情况的通报")]
    lead = (f"为推动林长制各项整改任务落地见效，{settings.org_short}对{scope}森林督查和草原变化图斑"
            "核查整改、违法占用林地草原问题整治、生态修复、林长公示牌设立和巡林巡护等工作进展进行了"
            f"调度。截至{date}，现将整改进展情况通报如下。")
    out.append(Block("lead", lead))
    if batch_ids:
        names = "、".join(batch_title(b["name"]) for b in fig["by_batch"]) or NO_DATA
        out.append(Block("p", f"本通报变化图斑数据的统计范围为：{names}。"))

    # 一、整改工作开展情况 -----------------------------------------------------------
    out.append(Block("h1", "一、整改工作开展情况"))
    c = fig["change"]
    if c["total"]:
        text = (f"截至{date}，{scope}共下发变化图斑{c['total']}个，已完成核查{num(c['verified'])}个，"
                f"核查率{pct(c['verified_pct'])}；其中违法违规图斑{num(c['illegal'])}个，面积"
                f"{num(c['illegal_area_ha'], 4)}公顷（{num(c['illegal_area_mu'], 2)}亩），已立案查处"
                f"{num(c['case_filed'])}个，已作出行政处罚{num(c['penalized'])}个，"
                f"{_fines(c)}；已完成整改{num(c['rectified'])}个，已销号{num(c['closed'])}个，"
                f"销号率{pct(c['closed_pct'])}；")
        if c["overdue"] is None:
            text += "因批次未设办理期限，逾期情况暂无数据。"
        else:
            text += f"逾期未完成{c['overdue']}个"
            old = (c.get("ageing") or {}).get(">180") or 0
            text += f"，其中逾期超过180天的{old}个。" if old else "。"
    else:
        text = f"截至{date}，暂无变化图斑数据。"
    out.append(Block("p", text, head="（一）变化图斑核查处置。"))
    out.append(Block("p", _occupation_text(store, fig, as_of), head="（二）违法占用林地草原问题整治。"))
    out.append(Block("p", _restoration_text(store, fig, as_of), head="（三）生态修复。"))
    out.append(Block("p", _signboard_text(fig, scope), head="（四）林长公示牌。"))
    out.append(Block("p", _patrol_text(fig), head="（五）巡林巡护。"))

    # 二、具体问题整改落实情况 -------------------------------------------------------
    out.append(Block("h1", "二、具体问题整改落实情况"))
    out.append(Block("h2", "（一）问题整改落实情况"))
    out.extend(_item_blocks(items, fig["items"]))
    out.append(Block("h2", "（二）变化图斑整改情况"))
    if fig["by_batch"]:
        for i, b in enumerate(fig["by_batch"], start=1):
            out.append(Block("p", f"{i}.{batch_sentence(b)}"))
    else:
        out.append(Block("p", "暂无变化图斑批次数据。"))
    out.append(Block("h2", "（三）分旗县整改进展"))
    out.append(Block("p", "各旗县市变化图斑核查整改情况见表1，生态修复、林长公示牌和巡林巡护情况见表2。"
                          "表中各旗县市按销号率由高到低排列。"))
    out.append(Block("table", caption=f"表1  各旗县市变化图斑核查整改情况（截至{date}）",
                     rows=county_change_rows(fig)))
    out.append(Block("table", caption=f"表2  各旗县市生态修复、林长公示牌和巡林巡护情况（截至{date}）",
                     rows=county_other_rows(fig)))

    # 三、下一步工作计划 -------------------------------------------------------------
    out.append(Block("h1", "三、下一步工作计划"))
    out.append(Block("draft", PLACEHOLDER))
    for line in _plan(fig):
        out.append(Block("draft", line))

    out.append(Block("p", "欢迎广大干部群众对整改落实情况进行监督，如有意见建议，请及时向我们反映。"))
    out.append(Block("contact", settings.contact))
    out.append(Block("sign", settings.org_name))
    out.append(Block("sign", date))
    return out


def _fines(c: dict) -> str:
    if c["fines_yuan"] is None:
        return "罚款情况暂无数据"
    return f"收缴罚款{num(c['fines_wan'])}万元"


def batch_sentence(b: dict) -> str:
    """One batch in the bulletins' phrasing."""
    if not b["total"]:
        return f"{batch_title(b['name'])}暂无图斑数据。"
    fines = f"收缴罚款{num(b['fines_wan'])}万元" if b["fines_yuan"] is not None else "罚款情况暂无数据"
    text = (f"{batch_title(b['name'])}共{b['total']}个，已完成核查{num(b['verified'])}个，其中违法图斑"
            f"{num(b['illegal'])}个，已立案查处{num(b['case_filed'])}个，{fines}，已销号"
            f"{num(b['closed'])}个，销号率{pct(b['closed_pct'])}。")
    extra = []
    if b["illegal"]:
        extra.append(f"违法图斑面积{num(b['illegal_area_ha'], 4)}公顷，已完成整改{num(b['rectified'])}个，"
                     f"违法图斑已销号{num(b['illegal_closed'])}个")
    if b["overdue"]:
        extra.append(f"逾期未完成{b['overdue']}个")
    if extra:
        text += "；".join(extra) + "。"
    return text


def _occupation_text(store: Store, fig: dict, as_of) -> str:
    o = fig["occupation"]
    if not o["total"]:
        return "暂无违法占用林地草原问题台账数据。"
    stages = [(s, n) for s, n in o["by_stage"].items() if n]
    parts = "、".join(f"{_stage_word(s)}{n}个" for s, n in stages)
    text = f"纳入整治台账的违法占用林地草原问题共{o['total']}个，其中{parts}"
    if o["fines_yuan"] is not None:
        text += f"，已处罚款{wan(o['fines_yuan'])}万元"
    text += "。"
    if o["delisted"]:
        frame = stats.layer_state(store, "occupation", as_of, columns=["name", "status", "county_code"],
                                  where=_county_where(fig))
        names = frame.loc[frame["status"] == "delisted", "name"].dropna().tolist()
        if names:
            text += f"{'、'.join(names)}已整改完成并通过验收，已摘牌。"
    return text


def _county_where(fig: dict) -> dict | None:
    counties = fig["filters"]["counties"]
    return {"county_code": counties} if counties else None


def _stage_word(stage: str) -> str:
    return {"found": "已发现待立案", "case_filed": "已立案", "penalized": "已处罚",
            "rectifying": "正在整改", "accepted": "已验收", "delisted": "已摘牌"}.get(stage, _label("status", stage))


def _restoration_text(store: Store, fig: dict, as_of) -> str:
    r = fig["restoration"]
    y = r.get("year_figures")
    if not y:
        return "暂无生态修复任务数据。"
    year = r["year"]
    text = (f"{year}年度计划完成生态修复任务{num(y['planned_wanmu'], 4)}万亩，已完成"
            f"{num(y['completed_wanmu'], 4)}万亩，完成率{pct(y['completed_pct'])}")
    done = [row for row in r["year_by_county"] if row["completed_wanmu"]]
    if done:
        text += "。其中" + "、".join(f"{row['county']}完成{num(row['completed_wanmu'], 4)}万亩" for row in done)
    text += (f"；已验收{num(y['accepted_wanmu'], 4)}万亩。项目资金{wan(y['budget_yuan'])}万元，已支付"
             f"{wan(y['paid_yuan'])}万元，支付率{pct(y['paid_pct'])}。")
    # earlier projects whose funds are not fully paid, as the bulletins list them
    frame = stats.layer_state(store, "restoration", as_of,
                              columns=["project", "year", "budget_yuan", "paid_yuan", "county_code"],
                              where=_county_where(fig))
    if len(frame):
        frame = frame.copy()
        frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
        budget = pd.to_numeric(frame["budget_yuan"], errors="coerce")
        paid = pd.to_numeric(frame["paid_yuan"], errors="coerce")
        late = frame[(frame["year"] < year) & (budget > 0) & (paid < budget)]
        lines = []
        for _, row in late.head(5).iterrows():
            b, p = float(row["budget_yuan"]), float(row["paid_yuan"] or 0)
            lines.append(f"{row['project']}资金{wan(b)}万元，已支付{wan(p)}万元，支付率{pct(round(100 * p / b, 1))}")
        if lines:
            text += "往年项目资金尚未支付完毕的：" + "；".join(lines) + "。"
    return text


def _signboard_text(fig: dict, scope: str) -> str:
    s = fig["signboards"]
    if not s["total"]:
        return "暂无林长公示牌台账数据。"
    levels = "、".join(f"{_label('level', lvl)}{n}个" for lvl, n in s["by_level"].items() if n)
    text = (f"已在{scope}设立林长公示牌{s['total']}个，其中{levels}，标明责任人、责任区域，公布举报电话，"
            f"对林草资源实行网格化管理。经与责任区林长信息比对，{s['stale']}个公示牌信息需更新")
    if s["stale_unrecorded"]:
        text += f"（其中{s['stale_unrecorded']}个林长已调整、公示牌尚未更新）"
    text += f"，{s['damaged']}个公示牌损坏待修复。"
    return text


def _patrol_text(fig: dict) -> str:
    p = fig["patrols"]
    if not p["count"]:
        return "暂无巡林巡护轨迹数据。"
    levels = "、".join(f"{_label('actor_level', lvl)}{v['count']}次" for lvl, v in p["by_level"].items()
                       if v["count"])
    text = (f"各级林长和护林员共巡林巡护{p['count']}次，巡护里程{num(p['km'], 1)}公里，时长"
            f"{num(p['hours'], 1)}小时，其中{levels}。")
    if p["open_visited_pct"] is not None:
        text += (f"巡护轨迹经过（{int(p['visit_metres'])}米以内）未销号变化图斑{p['open_visited']}个，"
                 f"占未销号图斑的{pct(p['open_visited_pct'])}。")
    return text


def _item_blocks(items: pd.DataFrame, figures: dict) -> list[Block]:
    if items.empty:
        return [Block("p", "暂无整改事项数据。")]
    out = [Block("p", f"经梳理，反馈问题共{figures['total']}项，已完成整改{figures['done']}项，正在整改"
                      f"{figures['in_progress']}项，需长期坚持{figures['long_term']}项。")]
    items = items.copy()
    items["category"] = items["category"].astype(object).where(items["category"].notna(), "其他")
    cats = list(dict.fromkeys(items["category"].tolist()))
    k = 0
    for ci, cat in enumerate(cats, start=1):
        if len(cats) > 1:
            out.append(Block("h3", f"{ci}.{cat}方面"))
        for _, it in items[items["category"] == cat].iterrows():
            k += 1
            code = str(it.get("code") or "").strip()
            mark = code if re.fullmatch(r"[（(]\d+[)）]", code) else f"（{k}）"
            problem = str(it["problem"]).replace("“", "‘").replace("”", "’")  # quotes inside quotes
            out.append(Block("h3p", f"{mark}关于“{problem}”问题。"))
            out.append(Block("label", str(it.get("measures") or NO_DATA), head="整改情况："))
            resp = (f"责任领导：{it.get('leader') or NO_DATA}；责任单位：{it.get('unit') or NO_DATA}；"
                    f"完成时限：{zh_date(it.get('deadline')) if not missing(it.get('deadline')) else NO_DATA}。")
            out.append(Block("p", resp))
            done = {"done": "已完成整改", "in_progress": "正在整改", "long_term": "长期坚持"}.get(
                it["status"], _label("status", it["status"]))
            extra = ""
            if int(it.get("linked") or 0):
                extra = f"（关联要素{int(it['linked'])}个，已完成{int(it['linked_done'])}个）"
            out.append(Block("label", f"{done}。{extra}", head="完成情况："))
    return out


COUNTY_CHANGE_HEAD = ["旗县市", "下发", "已核查", "违法", "已立案", "已处罚", "已整改", "已销号",
                      "销号率（%）", "逾期", "罚款（万元）"]


def _t(value, digits: int = 6) -> str:
    """A table cell: the number, or "无数据" (short, to fit the cell)."""
    return "无数据" if missing(value) else num(value, digits)


def _tp(value) -> str:
    return "无数据" if missing(value) else pct(value)


def _change_row(name: str, r: dict) -> list[str]:
    return [name, _t(r["total"] or None), _t(r["verified"]), _t(r["illegal"]), _t(r["case_filed"]),
            _t(r["penalized"]), _t(r["rectified"]), _t(r["closed"]), _t(r["closed_pct"], 1),
            _t(r["overdue"]), _t(r["fines_wan"], 2)]


def county_change_rows(fig: dict) -> list[list[str]]:
    """Table 1: change polygons per county (ranked by closure rate) and the total."""
    rows = [COUNTY_CHANGE_HEAD]
    rows += [_change_row(r["county"], r) for r in fig["by_county"]]
    rows.append(_change_row("合计", fig["change"]))
    return rows


def county_other_rows(fig: dict) -> list[list[str]]:
    """Table 2: restoration (the focal year), signboards and patrols per county, and the total."""
    year = fig["restoration"].get("year")
    head = ["旗县市", f"{year or ''}年修复计划（万亩）", "已完成（万亩）", "资金支付率", "公示牌（个）",
            "需更新（个）", "巡护（次）", "巡护里程（公里）"]
    rows = [head]
    for r in fig["by_county"]:
        rows.append([r["county"], _t(r.get("restoration_planned_wanmu"), 4),
                     _t(r.get("restoration_completed_wanmu"), 4), _tp(r.get("restoration_paid_pct")),
                     _t(r.get("signboards")), _t(r.get("signboards_stale")), _t(r.get("patrols")),
                     _t(r.get("patrol_km"), 1)])
    y = fig["restoration"].get("year_figures") or {}
    s, p = fig["signboards"], fig["patrols"]
    rows.append(["合计", _t(y.get("planned_wanmu"), 4), _t(y.get("completed_wanmu"), 4),
                 _tp(y.get("paid_pct")), _t(s["total"] or None), _t(s["stale"]),
                 _t(p["count"] or None), _t(p["km"], 1)])
    return rows


def _plan(fig: dict) -> list[str]:
    """A draft of next steps from the figures (the bureau edits it)."""
    lines = []
    c, r, s, it = fig["change"], fig["restoration"], fig["signboards"], fig["items"]
    if c["total"] and c["open"]:
        late = f"，对逾期未完成的{c['overdue']}个图斑逐一督办、限期销号" if c["overdue"] else ""
        lines.append(f"紧盯变化图斑核查整改。对尚未销号的{c['open']}个图斑建立清单、压实责任{late}，"
                     "做到整改一个、销号一个。")
    y = r.get("year_figures") or {}
    if y and (y.get("paid_pct") or 0) < 100:
        lines.append(f"加快项目资金支付进度。{r['year']}年度生态修复项目资金支付率为{pct(y.get('paid_pct'))}，"
                     "督促各地及时兑付资金，将支付进度纳入林长制考核。")
    if s["total"] and (s["stale"] or s["damaged"]):
        lines.append(f"及时更新林长公示牌。对信息需更新的{s['stale']}个、损坏的{s['damaged']}个公示牌限期"
                     "更新修复，确保责任人、责任区域和监督电话准确。")
    if it["total"] and (it["in_progress"] or it["long_term"]):
        lines.append(f"持续抓好问题整改。对正在整改的{it['in_progress']}项问题跟踪问效，对需长期坚持的"
                     f"{it['long_term']}项问题常抓不懈，坚决防止问题反弹回潮。")
    if not lines:
        lines.append("巩固整改成果，开展“回头看”，坚决防止问题反弹回潮。")
    return [f"{cn_index(i)}是{line}" for i, line in enumerate(lines, start=1)]


# ---------------------------------------------------------------------------- layout
def _fonts(run, east: str, size: float, bold: bool = False, latin: str = LATIN_FONT) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("ascii", "hAnsi", "cs"):
        rfonts.set(qn(f"w:{attr}"), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:hint"), "eastAsia")


def _para(doc, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True, line: float = LINE,
          right_chars: int = 0):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line)
    if indent:
        fmt.first_line_indent = Pt(2 * SIZE_BODY)
        p._p.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
    if right_chars:
        fmt.right_indent = Pt(right_chars * SIZE_BODY)
    return p


def _setup(doc, settings: Settings, day: dt.date, historic: bool) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(25)
    # document defaults: the body font in every script, Chinese as the East Asian language
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr_default.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr_default.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if "Theme" in attr:
            del rfonts.attrib[attr]
    for attr in ("ascii", "hAnsi", "cs"):
        rfonts.set(qn(f"w:{attr}"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    lang = rpr_default.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr_default.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(SIZE_BODY)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    # page numbers "— 1 —", 宋体 四号
    footer = sec.footer
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), PAGE_FONT, SIZE_PAGE, latin=PAGE_FONT)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    r = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    fld.append(r)
    p._p.append(fld)
    _fonts(p.add_run(" —"), PAGE_FONT, SIZE_PAGE, latin=PAGE_FONT)
    # properties: the same whenever the bulletin of this day is regenerated
    cp = doc.core_properties
    stamp = dt.datetime.combine(day, dt.time(17, 0)) if historic else dt.datetime.now().replace(microsecond=0)
    cp.title = f"{settings.org_name}关于林长制整改进展情况的通报"
    cp.author = settings.org_name
    cp.last_modified_by = settings.org_name
    cp.created = stamp
    cp.modified = stamp
    cp.revision = 1
    cp.comments = f"由林长制整改一张图生成，数据截至{zh_date(day)}"
    cp.language = "zh-CN"


def _font_table(doc) -> None:
    """Declare the official-document fonts (charset GB2312, PANOSE, family) for substitution."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    try:
        part = doc.part.part_related_by(RT.FONT_TABLE)
    except KeyError:
        return
    root = etree.fromstring(part.blob)
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    have = {f.get(f"{{{w}}}name") for f in root.findall(f"{{{w}}}font")}
    for name, (alt, panose, family, pitch) in FONT_TABLE.items():
        if name in have:
            continue
        font = etree.SubElement(root, f"{{{w}}}font")
        font.set(f"{{{w}}}name", name)
        for tag, val in (("altName", alt), ("panose1", panose), ("charset", "86"),
                         ("family", family), ("pitch", pitch)):
            el = etree.SubElement(font, f"{{{w}}}{tag}")
            el.set(f"{{{w}}}val", val)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _table(doc, rows: list[list[str]], caption: str, widths: list[float] | None = None) -> None:
    cap = _para(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    cap.paragraph_format.keep_with_next = True
    _fonts(cap.add_run(caption), H1_FONT, SIZE_TABLE + 2)
    ncol = len(rows[0])
    table = doc.add_table(rows=len(rows), cols=ncol)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    total_mm = 156.0  # the text block of GB/T 9704
    if widths is None:
        first = 34.0 if ncol <= 8 else 28.0
        widths = [first] + [(total_mm - first) / (ncol - 1)] * (ncol - 1)
    size = SIZE_TABLE if ncol <= 8 else 10.0  # 五号, or smaller for wide tables
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), "57")  # 1 mm
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    table._tbl.tblPr.append(margins)
    for j, col in enumerate(table.columns):
        col.width = Mm(widths[j])
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)
    for i, row in enumerate(rows):
        tr = table.rows[i]
        trpr = tr._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
        if i == 0:  # the header row repeats on every page
            trpr.append(OxmlElement("w:tblHeader"))
        for j, value in enumerate(row):
            cell = tr.cells[j]
            cell.width = Mm(widths[j])
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_before = Pt(0)
            p.paragraph_format.space_after = Pt(0)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = Pt(size + 6)
            total = i == len(rows) - 1 and row[0] == "合计"
            _fonts(p.add_run(str(value)), H1_FONT if i == 0 else BODY_FONT, size, bold=total)
    _para(doc, indent=False)  # a blank line after the table


def render(bl: list[Block], settings: Settings, day: dt.date, historic: bool) -> bytes:
    doc = Document()
    _setup(doc, settings, day, historic)
    _font_table(doc)
    # the template's first empty paragraph, if any, is removed
    body = doc.element.body
    for p in list(body.findall(qn("w:p"))):
        if not "".join(t.text or "" for t in p.iter(qn("w:t"))):
            body.remove(p)
    signs = 0
    for b in bl:
        if b.kind == "title":
            p = _para(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, line=36)
            _fonts(p.add_run(b.text), TITLE_FONT, SIZE_TITLE)
            _para(doc, indent=False)  # one blank line below the title
        elif b.kind == "h1":
            p = _para(doc)
            _fonts(p.add_run(b.text), H1_FONT, SIZE_BODY)
        elif b.kind == "h2":
            p = _para(doc)
            _fonts(p.add_run(b.text), H2_FONT, SIZE_BODY)
        elif b.kind in ("h3", "h3p"):
            p = _para(doc)
            _fonts(p.add_run(b.text), BODY_FONT, SIZE_BODY, bold=True)
        elif b.kind == "table":
            ncol = len(b.rows[0])
            widths = [28.0] + [12.0] * (ncol - 2) + [20.0] if ncol == 11 else None  # fines need room
            _table(doc, b.rows, b.caption, widths)
        elif b.kind == "draft":
            p = _para(doc)
            run = p.add_run(b.text)
            _fonts(run, BODY_FONT, SIZE_BODY)
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        elif b.kind == "sign":
            if signs == 0:
                _para(doc, indent=False)
            signs += 1
            p = _para(doc, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False, right_chars=4 if signs > 1 else 2)
            _fonts(p.add_run(b.text), BODY_FONT, SIZE_BODY)
        else:  # lead, p, label, contact
            p = _para(doc)
            if b.head:
                font = H2_FONT if b.kind == "p" else BODY_FONT
                _fonts(p.add_run(b.head), font, SIZE_BODY, bold=b.kind == "label")
            _fonts(p.add_run(b.text), BODY_FONT, SIZE_BODY)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def bulletin(store: Store, *, settings: Settings, as_of: dt.date | None = None,
             batch_ids: list[int] | None = None) -> bytes:
    """The bulletin as .docx bytes."""
    day = as_of or today_local()
    return render(blocks(store, settings=settings, as_of=as_of, batch_ids=batch_ids), settings,
                  day, historic=as_of is not None)


def text_of(bl: list[Block]) -> str:
    """The plain text of the blocks (for previews and tests)."""
    lines = []
    for b in bl:
        if b.kind == "table":
            lines.append(b.caption)
            lines.extend("\t".join(r) for r in b.rows)
        else:
            lines.append(b.head + b.text)
    return "\n".join(lines)
