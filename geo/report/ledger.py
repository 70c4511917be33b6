"""The ledger (整改台账) as an Excel workbook, for the same scope as the bulletin.

Sheets: 汇总指标 (the summary figures, and what was left out), 分旗县 (the county ranking with a
合计 row), 整改事项 (问题 / 整改措施 / 责任领导 / 责任单位 / 完成时限 / 完成情况 — the same wording as the
bulletin — and whether it is past its deadline), then one sheet per layer (变化图斑 of the official
batches inside the jurisdiction, with batch name, derived deadline and days overdue; 违法占用地块;
生态修复区; 林长公示牌; 巡护轨迹; 责任区网格; 行政区).

Every sheet: a title row with the scope and the as-of date; Chinese headers, frozen below them,
with filters; printed landscape on A4, fitted to the page width, the title and header rows repeated
on every page; 宋体 throughout (the workbook's default font). Keyed values are their Chinese labels,
yes/no values 是/否, dates and times real dates (Beijing time), amounts rounded (元 and 亩 to 2,
公顷 to 4 decimals) with a number format; text that begins like a formula (``=``, ``+``, ``-``, ``@``)
is a text cell, never a formula (:mod:`geo.core.cells`). The store's own bookkeeping columns (版本, 更新人,
面积计算坐标系 …) are left out unless ``internal=True``.

Written with openpyxl in write-only mode, so a ledger of 100,000 polygons streams row by row.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.properties import PageSetupProperties

from geo.core.cells import as_text, xlsx_cell, xlsx_text
from geo.engine import official
from geo.declare import registry as S
from geo.stats import summary as stats
from geo.core.config import Settings
from geo.report import problems
from geo.report.bulletin import context
from geo.report.sections import unit_of
from geo.docs.text import zh_date
from geo.core.timeutil import LOCAL_TZ, parse_datetime
from geo.change.deadlines import with_deadlines
from geo.access.scope import in_counties, unwrap

LAYER_SHEETS = ("change", "occupation", "restoration", "signboard", "patrol", "zone", "admin")
INTERNAL = {"version", "created_at", "updated_at", "updated_by", "area_crs", "geom_hash", "flags", "extra",
            "times", "source_file", "derived", "public_token"}
KEYED = {"status": "status", "verdict": "verdict", "level": "level", "kind": "kind",
         "actor_level": "actor_level"}
YES_NO_INTS = {"visited"}  # 0/1 columns that mean yes/no
ITEM_HEAD = ["序号", "编号", "问题", "类别", "整改措施", "责任领导", "责任单位", "完成时限", "完成情况",
             "是否超过完成时限", "事项标记状态"]
WRAP_AT = 40  # text columns wider than this wrap instead
FONT = "宋体"
DIGITS = {"公顷": 4, "亩": 2, "元": 2, "公里": 2, "小时": 2, "万亩": 4, "万元": 2, "%": 1}
FORMATS = {"公顷": "0.0000", "亩": "0.00", "元": "#,##0.00", "公里": "0.00", "小时": "0.00",
           "万亩": "0.0000", "万元": "0.00", "%": "0.0", "个": "0", "次": "0", "项": "0"}

_TITLE_FONT = Font(name=FONT, bold=True, size=14)
_HEAD_FONT = Font(name=FONT, bold=True, size=11)
_BOLD = Font(name=FONT, bold=True, size=11)
_HEAD_FILL = PatternFill("solid", fgColor="E2EFDA")
_THIN = Side(style="thin", color="9E9E9E")
_HEAD_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)


def _width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _clean(value):
    """A value openpyxl writes as a proper cell (no NaN, no numpy types)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (AttributeError, ValueError):
            pass
    return value


def _workbook() -> Workbook:
    """A write-only workbook whose default font (the ``Normal`` style, every unstyled cell) is
    宋体: openpyxl has no setting for it, so its first font is replaced."""
    wb = Workbook(write_only=True)
    default = Font(name=FONT, size=11, family=3, charset=134)
    wb._fonts = IndexedList([default])
    for style in wb._named_styles:
        if style.name == "Normal":
            style.font = default
    return wb


def _sheet(wb: Workbook, name: str, title: str, header: list[str], rows: list[list], *, formats=None,
           freeze_col: str = "A", wrap: set[int] | None = None, bold_last: bool = False) -> None:
    """One table sheet: a title row, the styled header row, frozen panes, filter, readable widths,
    landscape printing fitted to the width with both rows repeated on every page."""
    ws = wb.create_sheet(title=name[:31])
    formats = formats or {}
    widths = [_width(h) for h in header]
    for row in rows[:500]:
        for j, v in enumerate(row):
            widths[j] = max(widths[j], _width(v if not isinstance(v, float) else f"{v:.2f}"))
    wrap = set(wrap or ())
    for j, w in enumerate(widths):
        if w > WRAP_AT:
            wrap.add(j)
        ws.column_dimensions[get_column_letter(j + 1)].width = max(6, min(w, WRAP_AT) + 2)
    last = get_column_letter(len(header))
    ws.freeze_panes = f"{freeze_col}3"
    ws.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.merged_cells.add(f"A1:{last}1")
    cell = as_text(WriteOnlyCell(ws, value=title))
    cell.font = _TITLE_FONT
    cell.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 24
    ws.append([cell])
    head = []
    for h in header:
        cell = as_text(WriteOnlyCell(ws, value=h))
        cell.font, cell.fill, cell.border, cell.alignment = _HEAD_FONT, _HEAD_FILL, _HEAD_BORDER, _HEAD_ALIGN
        head.append(cell)
    ws.append(head)
    # dates need no styling here: openpyxl gives a date value a date format (yyyy-mm-dd, and
    # yyyy-mm-dd h:mm:ss for a time) by itself, and a styled cell per value would cost a third more
    styled = {j: f for j, f in formats.items()}
    for k, row in enumerate(rows):
        bold = bold_last and k == len(rows) - 1
        if not styled and not wrap and not bold:
            ws.append([xlsx_cell(ws, _clean(v)) for v in row])  # text typed as "=…" stays text
            continue
        out = []
        for j, v in enumerate(row):
            v = _clean(v)
            if j in styled or j in wrap or bold:
                c = as_text(WriteOnlyCell(ws, value=xlsx_text(v)))
                if j in styled and isinstance(v, (int, float)) and not isinstance(v, bool):
                    c.number_format = styled[j]
                if j in wrap:
                    c.alignment = _WRAP
                if bold:
                    c.font = _BOLD
                out.append(c)
            else:
                out.append(xlsx_cell(ws, v))
        ws.append(out)


# ------------------------------------------------------------------------------ values
def _as_date(value):
    """A date cell: the date a value starts with (stored dates are ISO text), or the value's text
    when it is something else (长期坚持), or None when empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if isinstance(value, dt.date):
        return value if not isinstance(value, dt.datetime) else value.date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)


def _as_local_time(value):
    """A stored UTC timestamp as a Beijing-time datetime (Excel has no time zones)."""
    if value is None or value is pd.NA or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return parse_datetime(str(value)).astimezone(LOCAL_TZ).replace(tzinfo=None)
    except ValueError:
        return str(value)


def _yes_no(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip().lower() in ("1", "true", "t", "yes", "是")
    return "是" if bool(value) else "否"


def _json_text(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or None
    if isinstance(value, dict):
        return "；".join(f"{k}：{v}" for k, v in value.items()) or None
    return str(value)


def _round(values, unit: str):
    digits = DIGITS.get(unit, 2)
    out = []
    for v in values:
        v = _clean(v)
        out.append(round(float(v), digits) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
    return out


def _layer_table(store, layer: str, ctx, internal: bool) -> tuple[list[str], list[list], dict]:
    lyr = S.layer(layer)
    sc = ctx.fig["scope"]
    if layer == "change":  # exactly the polygons the figures count
        where = {"batch_id": sc["batch_ids"], "county_code": sc["counties"]}
    elif layer != "admin" and ctx.counties and "county_code" in lyr.names:
        where = {"county_code": ctx.counties}  # league-wide lists (contractors) have no county
    else:
        where = None
    frame = stats.layer_state(store, layer, ctx.as_of, where=where)
    if ctx.counties and layer != "admin" and "county_code" not in lyr.names:  # orders: by the zones addressed
        frame = frame[in_counties(store, layer, frame, ctx.counties).to_numpy()]
    fields = [f for f in lyr.fields if f.name in frame.columns and (internal or f.name not in INTERNAL)]
    header = ["编号"]
    columns = [frame["id"].tolist() if len(frame) else []]
    formats: dict[int, str] = {}
    batches = store.batches()
    names = dict(zip(pd.to_numeric(batches["id"]).astype(int), batches["name"])) if len(batches) else {}
    for f in fields:
        col = frame[f.name]
        if f.name == "batch_id":
            values = [names.get(int(v), str(v)) if pd.notna(v) else None for v in col.tolist()]
        elif f.name in KEYED or f.options:
            values = [S.label(KEYED.get(f.name, f.name), v) if isinstance(v, str) else None for v in col.tolist()]
        elif f.type == S.DATE:
            values = [_as_date(v) for v in col.tolist()]
        elif f.type == S.DATETIME:
            values = [_as_local_time(v) for v in col.tolist()]
        elif f.type == S.BOOL or f.name in YES_NO_INTS:
            values = [_yes_no(v) for v in col.tolist()]
        elif f.type == S.JSON:
            values = [_json_text(v) for v in col.tolist()]
        elif f.type in (S.REAL, S.INT):
            values = _round(col.tolist(), f.unit) if f.type == S.REAL else [_clean(v) for v in col.tolist()]
            if f.unit in FORMATS:
                formats[len(header)] = FORMATS[f.unit]
        else:
            values = [_clean(v) for v in col.tolist()]
        header.append(f.zh + (f"（{f.unit}）" if f.unit and f.unit not in f.zh else ""))
        columns.append(values)
    if layer == "change" and len(frame):
        extra = with_deadlines(frame[["status", "batch_id", "deadline"]], store.batches("change"), ctx.day)
        header += ["办理期限", "是否逾期", "逾期天数"]
        columns += [[_as_date(v) for v in extra["due"].tolist()],
                    ["是" if o else "否" for o in extra["overdue"].tolist()],
                    [int(d) for d in extra["days_overdue"].tolist()]]
    rows = [list(r) for r in zip(*columns)] if len(frame) else []
    return header, rows, formats


# ------------------------------------------------------------------------------ sheets
def _summary_rows(fig: dict) -> list[list]:
    c, o, r, s, p = fig["change"], fig["occupation"], fig["restoration"], fig["signboards"], fig["patrols"]
    y = r.get("year_figures") or {}
    year = r.get("year")
    fines = None if c["fines_yuan"] is None else round(c["fines_yuan"] / 1e4, 2)
    rows = [
        ["变化图斑", "下发图斑", c["total"], "个"],
        ["变化图斑", "已核查", c["verified"], "个"],
        ["变化图斑", "核查率", c["verified_pct"], "%"],
        ["变化图斑", "违法图斑", c["illegal"], "个"],
        ["变化图斑", "已立案", c["case_filed"], "个"],
        ["变化图斑", "已处罚", c["penalized"], "个"],
        ["变化图斑", "已整改", c["rectified"], "个"],
        ["变化图斑", "已销号", c["closed"], "个"],
        ["变化图斑", "销号率", c["closed_pct"], "%"],
        ["变化图斑", "逾期", c["overdue"], "个"],
        ["变化图斑", "罚款", fines, "万元"],
        ["变化图斑", "违法面积", c["illegal_area_ha"], "公顷"],
        ["变化图斑", "违法面积", c["illegal_area_mu"], "亩"],
        ["违法占用地块", "台账问题", o["total"], "个"],
        ["违法占用地块", "已摘牌", o["delisted"], "个"],
        ["生态修复", f"{year}年计划" if year else "计划", y.get("planned_wanmu"), "万亩"],
        ["生态修复", f"{year}年已完成" if year else "已完成", y.get("completed_wanmu"), "万亩"],
        ["生态修复", f"{year}年已验收" if year else "已验收", y.get("accepted_wanmu"), "万亩"],
        ["生态修复", f"{year}年资金支付率" if year else "资金支付率", y.get("paid_pct"), "%"],
        ["林长公示牌", "公示牌", s["total"], "个"],
        ["林长公示牌", "信息需更新", s["stale"], "个"],
        ["林长公示牌", "损坏", s["damaged"], "个"],
        ["巡林巡护", "巡护次数", p["count"], "次"],
        ["巡林巡护", "巡护里程", p["km"], "公里"],
        ["巡林巡护", "巡护时长", p["hours"], "小时"],
        ["巡林巡护", "巡护途经的未销号图斑占比", p["open_visited_pct"], "%"],
    ]
    for lvl, n in (s.get("by_level") or {}).items():
        rows.append(["林长公示牌", S.label("level", lvl), n, "个"])
    for lvl, v in (p.get("by_level") or {}).items():
        rows.append(["巡林巡护", f"{S.label('actor_level', lvl)}巡护次数", v["count"], "次"])
    for b in fig["by_batch"]:
        rows.append([b["name"], "下发 / 已核查 / 违法 / 已销号",
                     f"{b['total']} / {b['verified']} / {b['illegal']} / {b['closed']}", "个"])
    sc = fig.get("scope") or {}
    for b in sc.get("excluded", []):  # counted separately: not official
        rows.append(["未计入统计的图斑", f"{b['name']}（{official.label(b['purpose'])}批次）", b["n"], "个"])
    if sc.get("outside_jurisdiction"):
        rows.append(["未计入统计的图斑", "正式批次中位于辖区外的图斑", sc["outside_jurisdiction"], "个"])
    return [[a, b, "—" if v is None else v, u] for a, b, v, u in rows]


COUNTY_HEAD = ["排名", "旗县市", "下发", "已核查", "核查率（%）", "违法", "已立案", "已处罚", "已整改",
               "已销号", "销号率（%）", "逾期", "罚款（万元）", "违法面积（公顷）", "违法面积（亩）",
               "修复计划（万亩）", "修复完成（万亩）", "资金支付率（%）", "公示牌（个）", "公示牌需更新（个）",
               "巡护次数", "巡护里程（公里）"]
COUNTY_FORMATS = {4: "0.0", 10: "0.0", 12: "0.00", 13: "0.0000", 14: "0.00", 15: "0.0000", 16: "0.0000",
                  17: "0.0", 21: "0.0"}


def _county_rows(ctx) -> list[list]:
    fig = ctx.fig

    def row(rank, name, r, other):
        fines = None if r["fines_yuan"] is None else round(r["fines_yuan"] / 1e4, 2)
        return [rank, name, r["total"], r["verified"], r["verified_pct"], r["illegal"], r["case_filed"],
                r["penalized"], r["rectified"], r["closed"], r["closed_pct"], r["overdue"], fines,
                r["illegal_area_ha"], r["illegal_area_mu"], *other]

    rows = [row(r.get("rank"), r["county"], r,
                [r.get("restoration_planned_wanmu"), r.get("restoration_completed_wanmu"),
                 r.get("restoration_paid_pct"), r.get("signboards") or 0, r.get("signboards_stale") or 0,
                 r.get("patrols") or 0, r.get("patrol_km") or 0.0]) for r in fig["by_county"]]
    s, p = fig["signboards"], fig["patrols"]
    rest = [(s["total"] or 0) - sum(r[18] for r in rows), (s["stale"] or 0) - sum(r[19] for r in rows),
            (p["count"] or 0) - sum(r[20] for r in rows), round((p["km"] or 0.0) - sum(r[21] for r in rows), 1)]
    if not ctx.counties and (rest[0] or rest[2]):  # league-level boards and tracks of no county
        rows.append([None, f"{unit_of(ctx.settings.org_name)}本级", *([None] * 16), *rest])
    y = fig["restoration"].get("year_figures") or {}
    rows.append(row(None, "合计", fig["change"], [y.get("planned_wanmu"), y.get("completed_wanmu"),
                                                  y.get("paid_pct"), s["total"] or 0, s["stale"] or 0,
                                                  p["count"] or 0, p["km"] or 0.0]))
    return rows


def _item_rows(items: pd.DataFrame) -> list[list]:
    out = []
    words = {"done": "已完成", "in_progress": "正在整改", "long_term": "长期坚持"}
    for i, (_, it) in enumerate(items.iterrows(), start=1):
        out.append([i, _clean(it.get("code")), _clean(it["problem"]), _clean(it.get("category")),
                    _clean(it.get("measures")), _clean(it.get("leader")), _clean(it.get("unit")),
                    _as_date(it.get("deadline")), problems.completion_text(it), "是" if it["overdue"] else "否",
                    words.get(it["status"], S.label("status", it["status"]))])
    return out


def scope_text(ctx) -> str:
    parts = [ctx.scope_name]
    if ctx.batch_ids:
        parts.append("、".join(b["name"] for b in ctx.fig["by_batch"]) or "所选批次")
    parts.append(f"截至{zh_date(ctx.day)}")
    return "，".join(parts)


def ledger(store, *, settings: Settings, as_of: dt.date | None = None, batch_ids=None, counties=None,
           internal: bool = False) -> bytes:
    """The ledger as .xlsx bytes."""
    ctx = context(store, settings=settings, as_of=as_of, batch_ids=batch_ids, counties=counties)
    raw = unwrap(store)[0]
    fig = ctx.fig
    org = settings.org_name
    scope = scope_text(ctx)
    wb = _workbook()
    wb.properties.title = f"{org}整改台账（{scope}）"
    wb.properties.creator = org
    stamp = dt.datetime.combine(ctx.day, dt.time(17, 0)) if as_of else dt.datetime.now().replace(microsecond=0)
    wb.properties.created = stamp
    wb.properties.modified = stamp

    def title(what: str) -> str:
        return f"{org}整改台账·{what}（{scope}）"

    _sheet(wb, "汇总指标", title("汇总指标"), ["类别", "指标", "数值", "单位"], _summary_rows(fig))
    _sheet(wb, "分旗县", title("分旗县"), COUNTY_HEAD, _county_rows(ctx), freeze_col="C",
           formats=COUNTY_FORMATS, bold_last=True)
    _sheet(wb, "整改事项", title("整改事项"), ITEM_HEAD, _item_rows(ctx.items), freeze_col="D", wrap={2, 4, 8})
    for layer in (*LAYER_SHEETS, *[k for k in S.LAYERS if k not in LAYER_SHEETS]):  # + every register
        header, rows, formats = _layer_table(raw, layer, ctx, internal)
        name = S.layer(layer).zh.replace("/", "")
        _sheet(wb, name, title(name), header, rows, formats=formats, freeze_col="B")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
