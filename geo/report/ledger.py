"""The ledger (整改台账) as an Excel workbook.

Sheets: 汇总指标 (the summary figures), 分旗县 (the county ranking), 整改事项 (问题 / 整改措施 /
责任领导 / 责任单位 / 完成时限 / 完成情况 …), then one sheet per layer (变化图斑 with its batch name,
derived deadline and days overdue; 违法占用地块; 生态修复区; 林长公示牌; 巡护轨迹; 责任区网格; 行政区).
Every sheet has Chinese headers, a frozen header row, filters and column widths sized to what
they hold (a CJK character counts double). Keyed values (status, verdict, level) are written as
their Chinese labels, dates as dates, amounts as numbers with a number format.

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

from geo import schema as S
from geo import stats
from geo.config import Settings
from geo.report.text import zh_date
from geo.store import Store
from geo.timeutil import fmt_local, today_local
from geo.workflow import with_deadlines

LAYER_SHEETS = ("change", "occupation", "restoration", "signboard", "patrol", "zone", "admin")
SKIP_FIELDS = {"flags", "extra", "times", "geom_hash"}
KEYED = {"status": "status", "verdict": "verdict", "level": "level", "kind": "kind",
         "actor_level": "actor_level"}
ITEM_COLUMNS = [("序号", None), ("编号", "code"), ("问题", "problem"), ("类别", "category"),
                ("整改措施", "measures"), ("责任领导", "leader"), ("责任单位", "unit"),
                ("完成时限", "deadline"), ("完成情况", "status"), ("关联要素（个）", "linked"),
                ("已完成要素（个）", "linked_done"), ("备注", "note")]
ITEM_STATUS = {"done": "已完成整改", "in_progress": "正在整改", "long_term": "长期坚持"}
WRAP_AT = 40  # text columns wider than this wrap instead

_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="E2EFDA")
_THIN = Side(style="thin", color="9E9E9E")
_HEAD_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)
FORMATS = {"公顷": "0.0000", "亩": "0.00", "元": "#,##0.00", "公里": "0.00", "小时": "0.00",
           "万亩": "0.0000", "万元": "0.000000", "%": "0.0"}


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


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], *, formats=None,
           freeze: str = "A2", wrap: set[int] | None = None) -> None:
    """One table sheet: styled header, frozen panes, filter, readable widths."""
    ws = wb.create_sheet(title=title[:31])
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
    ws.freeze_panes = freeze
    last = get_column_letter(len(header))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font, cell.fill, cell.border, cell.alignment = _HEAD_FONT, _HEAD_FILL, _HEAD_BORDER, _HEAD_ALIGN
        head.append(cell)
    ws.append(head)
    styled = set(formats) | wrap
    for row in rows:
        if not styled:
            ws.append([_clean(v) for v in row])
            continue
        out = []
        for j, v in enumerate(row):
            v = _clean(v)
            if j in styled:
                cell = WriteOnlyCell(ws, value=v)
                if j in formats and isinstance(v, (int, float)):
                    cell.number_format = formats[j]
                if j in wrap:
                    cell.alignment = _WRAP
                out.append(cell)
            else:
                out.append(v)
        ws.append(out)


def _layer_table(store: Store, layer: str, as_of, batch_ids, today) -> tuple[list[str], list[list], dict]:
    lyr = S.layer(layer)
    where = {"batch_id": batch_ids} if (layer == "change" and batch_ids) else None
    frame = stats.layer_state(store, layer, as_of, where=where)
    fields = [f for f in lyr.fields if f.name in frame.columns and f.name not in SKIP_FIELDS]
    header = ["编号"]
    columns = [frame["id"].tolist() if len(frame) else []]
    formats: dict[int, str] = {}
    batches = store.batches()
    names = dict(zip(pd.to_numeric(batches["id"]).astype(int), batches["name"])) if len(batches) else {}
    for f in fields:
        col = frame[f.name]
        if f.name == "batch_id":
            values = [names.get(int(v), str(v)) if v is not None and v == v else None for v in col.tolist()]
        elif f.name in KEYED or f.options:
            values = [S.label(KEYED.get(f.name, f.name), v) if isinstance(v, str) else None for v in col.tolist()]
        elif f.type == S.DATE:
            values = [_as_date(v) for v in col.tolist()]
        elif f.type == S.DATETIME:
            values = [fmt_local(v) if isinstance(v, str) and v else None for v in col.tolist()]
        elif f.type == S.BOOL:
            values = [None if v is None or v is pd.NA or v != v else ("是" if bool(v) else "否")
                      for v in col.tolist()]
        elif f.type == S.JSON:
            values = [_json_text(v) for v in col.tolist()]
        elif f.type in (S.REAL, S.INT):
            values = [_clean(v) for v in col.tolist()]
            if f.unit in FORMATS:
                formats[len(header)] = FORMATS[f.unit]
        else:
            values = [_clean(v) for v in col.tolist()]
        header.append(f.zh + (f"（{f.unit}）" if f.unit and f.unit not in f.zh else ""))
        columns.append(values)
    if layer == "change" and len(frame):
        extra = with_deadlines(frame[["status", "batch_id", "deadline"]], store.batches("change"), today)
        header += ["办理期限", "是否逾期", "逾期天数"]
        columns += [[_as_date(v) for v in extra["due"].tolist()],
                    ["是" if o else "否" for o in extra["overdue"].tolist()],
                    [int(d) for d in extra["days_overdue"].tolist()]]
    rows = [list(r) for r in zip(*columns)] if len(frame) else []
    return header, rows, formats


def _as_date(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)


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
    return json.dumps(value, ensure_ascii=False)


def _summary_rows(fig: dict) -> list[list]:
    c, o, r, s, p, it = (fig["change"], fig["occupation"], fig["restoration"], fig["signboards"],
                         fig["patrols"], fig["items"])
    y = r.get("year_figures") or {}
    year = r.get("year")
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
        ["变化图斑", "罚款", c["fines_wan"], "万元"],
        ["变化图斑", "违法面积", c["illegal_area_ha"], "公顷"],
        ["变化图斑", "违法面积", c["illegal_area_mu"], "亩"],
        ["违法占用地块", "台账问题", o["total"], "个"],
        ["违法占用地块", "已摘牌", o["delisted"], "个"],
        ["生态修复", f"{year or ''}年计划", y.get("planned_wanmu"), "万亩"],
        ["生态修复", f"{year or ''}年已完成", y.get("completed_wanmu"), "万亩"],
        ["生态修复", f"{year or ''}年已验收", y.get("accepted_wanmu"), "万亩"],
        ["生态修复", f"{year or ''}年资金支付率", y.get("paid_pct"), "%"],
        ["林长公示牌", "公示牌", s["total"], "个"],
        ["林长公示牌", "信息需更新", s["stale"], "个"],
        ["林长公示牌", "损坏", s["damaged"], "个"],
        ["巡林巡护", "巡护次数", p["count"] or None, "次"],
        ["巡林巡护", "巡护里程", p["km"], "公里"],
        ["巡林巡护", "巡护时长", p["hours"], "小时"],
        ["巡林巡护", "巡护经过的未销号图斑占比", p["open_visited_pct"], "%"],
        ["整改事项", "已完成", it["done"], "项"],
        ["整改事项", "正在整改", it["in_progress"], "项"],
        ["整改事项", "长期坚持", it["long_term"], "项"],
    ]
    for lvl, n in (s.get("by_level") or {}).items():
        rows.append(["林长公示牌", S.label("level", lvl), n, "个"])
    for lvl, v in (p.get("by_level") or {}).items():
        rows.append(["巡林巡护", f"{S.label('actor_level', lvl)}巡护次数", v["count"], "次"])
    for b in fig["by_batch"]:
        rows.append([b["name"], "下发 / 已核查 / 违法 / 已销号",
                     f"{b['total']} / {b['verified']} / {b['illegal']} / {b['closed']}", "个"])
    return [[a, b, "无数据" if v is None else v, u] for a, b, v, u in rows]


def ledger(store: Store, *, settings: Settings, as_of: dt.date | None = None,
           batch_ids: list[int] | None = None) -> bytes:
    """The ledger as .xlsx bytes."""
    today = as_of or today_local()
    fig = stats.summary(store, as_of=as_of, batch_ids=batch_ids, today=today)
    wb = Workbook(write_only=True)
    wb.properties.title = f"{settings.org_name}整改台账（截至{zh_date(today)}）"
    wb.properties.creator = settings.org_name
    stamp = dt.datetime.combine(today, dt.time(17, 0)) if as_of else dt.datetime.now().replace(microsecond=0)
    wb.properties.created = stamp
    wb.properties.modified = stamp

    _sheet(wb, "汇总指标", ["类别", "指标", "数值", "单位"], _summary_rows(fig), freeze="A2")

    county_head = ["排名", "旗县市", "下发", "已核查", "核查率（%）", "违法", "已立案", "已处罚", "已整改",
                   "已销号", "销号率（%）", "逾期", "罚款（万元）", "违法面积（公顷）", "违法面积（亩）",
                   "修复计划（万亩）", "修复完成（万亩）", "资金支付率（%）", "公示牌", "公示牌需更新",
                   "巡护次数", "巡护里程（公里）"]
    county_rows = [[r.get("rank"), r["county"], r["total"], r["verified"], r["verified_pct"], r["illegal"],
                    r["case_filed"], r["penalized"], r["rectified"], r["closed"], r["closed_pct"],
                    r["overdue"], r["fines_wan"], r["illegal_area_ha"], r["illegal_area_mu"],
                    r.get("restoration_planned_wanmu"), r.get("restoration_completed_wanmu"),
                    r.get("restoration_paid_pct"), r.get("signboards"), r.get("signboards_stale"),
                    r.get("patrols"), r.get("patrol_km")] for r in fig["by_county"]]
    _sheet(wb, "分旗县", county_head, county_rows, freeze="C2",
           formats={4: "0.0", 10: "0.0", 12: "0.0000", 13: "0.0000", 14: "0.00", 17: "0.0"})

    items = stats.item_state(store, as_of)
    item_rows = []
    for i, (_, it) in enumerate(items.iterrows(), start=1):
        row = []
        for _, key in ITEM_COLUMNS:
            if key is None:
                row.append(i)
            elif key == "status":
                row.append(ITEM_STATUS.get(it["status"], S.label("status", it["status"])))
            elif key == "deadline":
                row.append(_as_date(it.get("deadline")))
            else:
                row.append(_clean(it.get(key)))
        item_rows.append(row)
    _sheet(wb, "整改事项", [h for h, _ in ITEM_COLUMNS], item_rows, freeze="D2", wrap={2, 4})

    for layer in (*LAYER_SHEETS, *[k for k in S.LAYERS if k not in LAYER_SHEETS]):  # + every register
        header, rows, formats = _layer_table(store, layer, as_of, batch_ids, today)
        title = S.layer(layer).zh.replace("/", "")
        _sheet(wb, title, header, rows, formats=formats, freeze="B2")

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
