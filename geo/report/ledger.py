"""The ledger (整改台账) as an Excel workbook, for the same scope as the bulletin.

Sheets: 汇总指标 (the summary figures, and what was left out), 分旗县 (the county ranking with a
合计 row), 整改事项 (问题 / 整改措施 / 责任领导 / 责任单位 / 完成时限 / 完成情况 — the same wording as the
bulletin — and whether it is past its deadline), then one sheet per layer (变化图斑 of the official
batches inside the jurisdiction, with batch name, derived deadline and days overdue; 违法占用地块;
生态修复区; 林长公示牌; 巡护轨迹; 责任区网格; 行政区).

Every cell is in the bureau's words, never an internal key, id or Python value: keyed values are
their labels (the pages' label tables), a field that points to another record shows that record's
name (责任区, 公示岗位, 签发林长（岗位）, 责任林长岗位 …), a zone attribution (各级责任区) each level
and its zone by name, an account its display name. The review columns of 变化图斑 (复核方式, 复核结果,
复核意见, 退回原因) come from the history, which keeps them after the record's own fields are cleared
by the next step. A county's ledger holds only that county's rows on every sheet (its own
administrative units; of an order, its own zones' responses); a list that belongs to no county
(the pest-control contractors) is marked 全盟名录 in its title and is only in the league's ledger.

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
from geo.core.timeutil import LOCAL_TZ, end_of_local_day_utc, local_date, parse_datetime
from geo.change.deadlines import with_deadlines
from geo.change.review import LEVEL_LABEL, LEVEL_OF
from geo.change.review_figures import REVIEW_STEPS
from geo.chief import orders
from geo.store.attribution import LEVEL_ORDER
from geo.access.scope import in_counties, shared_counties, unwrap

LAYER_SHEETS = ("change", "occupation", "restoration", "signboard", "patrol", "zone", "admin")
INTERNAL = {"version", "created_at", "updated_at", "updated_by", "area_crs", "geom_hash", "flags", "extra",
            "times", "source_file", "derived", "public_token"}
KEYED = {"status": "status", "verdict": "verdict", "level": "level", "kind": "kind",
         "actor_level": "actor_level"}
YES_NO_INTS = {"visited"}  # 0/1 columns that mean yes/no
# fields that hold the id of another register's record without declaring it (``Field.ref``):
# (register, field) -> the register pointed to; a cell shows that record's name, never its id
REFS = {("zone", "parent_id"): "zone", ("post", "holder_id"): "person", ("hazard", "assignee_post"): "post",
        ("change", "repeat_of"): "change", ("occupation", "change_ids"): "change",
        ("enterprise_check", "sample_id"): "enterprise_sample", ("enterprise_sample", "ids"): "enterprise",
        ("enterprise_sample", "population_ids"): "enterprise"}
JSON_WORDS = {"population": "企业数", "drawn": "抽取"}  # keys inside stored JSON values (a sample's strata)
REVIEW_FIELDS = ("check_method", "check_result", "check_note", "returned_reason")
LEAGUE_WIDE = "全盟名录"  # the title's mark of a list that belongs to no county (only in a league ledger)
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


def _empty(value) -> bool:
    return (value is None or value is pd.NA or value is pd.NaT or value == ""
            or (isinstance(value, float) and math.isnan(value)))


def _parsed(value):
    """A stored JSON value as Python data (text that is not JSON stays text)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _stratum(key) -> str:
    """A sample's stratum ("阿尔山市·五岔沟镇") without the parts left empty ("阿尔山市·nan")."""
    return "·".join(p for p in str(key).split("·") if p.strip() and p.strip().lower() not in ("nan", "none"))


class _Names:
    """The words a cell shows for what a record holds as an id or a key: the record a field points
    to (by its name, as a form offers it), a zone attribution (each level's zone by name), an
    account (its display name). Each register is read once, when a cell first needs it."""

    def __init__(self, raw):
        self.raw = raw
        self._labels: dict[str, dict[int, str]] = {}
        self._accounts: dict[str, str] | None = None
        self._zone_counties: dict[str, str] | None = None

    def labels(self, register: str) -> dict[int, str]:
        if register not in self._labels:
            lyr = S.layer(register)
            cols = [c for c in dict.fromkeys((lyr.label_field, "holder_name")) if c and lyr.has(c)]
            frame = self.raw.read_layer(register, columns=cols, geometry=False)
            out = {}
            for rec in frame.to_dict("records"):
                text = "" if _empty(rec.get(lyr.label_field)) else str(rec.get(lyr.label_field)).strip()
                if register == "post" and not _empty(rec.get("holder_name")):
                    text = f"{text} {rec['holder_name']}".strip()  # the post and who holds it
                elif register == "enterprise_sample" and text:
                    text = f"{text}年{lyr.zh}"
                out[int(rec["id"])] = text or f"{lyr.zh}（未命名）"
            self._labels[register] = out
        return self._labels[register]

    def ref(self, register: str, value) -> str | None:
        if _empty(value):
            return None
        try:
            key = int(value)
        except (TypeError, ValueError):
            return str(value)
        return self.labels(register).get(key) or f"{S.layer(register).zh}（已不存在）"

    def refs(self, register: str, value) -> str | None:
        """A JSON list of ids (or an object keyed by ids, as a sampling frame is) as names."""
        data = _parsed(value)
        if isinstance(data, (list, dict)):
            ids = list(data)
        else:
            ids = [] if _empty(data) else [data]
        return "、".join(n for n in (self.ref(register, i) for i in ids) if n) or None

    def zones(self, value) -> str | None:
        """A feature's zones by level (``{"banner": 7, "others": {"village": [118]}, …}``) as
        "盟级：兴安盟盟级责任区；旗县级：突泉县旗县级责任区；…；另涉及：…"."""
        data = _parsed(value)
        if not isinstance(data, dict):
            return None if _empty(data) else str(data)
        levels = [lv for lv in LEVEL_ORDER if lv in data] + sorted(k for k in data if k not in LEVEL_ORDER
                                                                    and k != "others")
        parts = [f"{S.label('level', lv)}：{self.ref('zone', data[lv])}" for lv in levels if not _empty(data[lv])]
        others = data.get("others") or {}
        if isinstance(others, dict):  # zones it also reaches into, by level from the top
            rank = {lv: k for k, lv in enumerate(LEVEL_ORDER)}
            also = [self.ref("zone", z) for lv in sorted(others, key=lambda k: rank.get(k, len(rank)))
                    for z in (others[lv] if isinstance(others[lv], list) else [others[lv]])]
            if also:
                parts.append("另涉及：" + "、".join(a for a in also if a))
        return "；".join(parts) or None

    def zone_counties(self) -> dict[str, str]:
        """Each zone's name -> its county's code (responses name their zone)."""
        if self._zone_counties is None:
            frame = self.raw.read_layer("zone", columns=["name", "county_code"], geometry=False)
            self._zone_counties = {str(n): str(c) for n, c in zip(frame["name"], frame["county_code"])
                                   if not _empty(c)}
        return self._zone_counties

    def account(self, value):
        """An account's name (``jalaid_inspector``) as its display name (扎赉特旗核查员); other text as is."""
        if self._accounts is None:
            try:
                users = self.raw.users()
                self._accounts = {str(n): str(d) for n, d in zip(users["name"], users["display_name"])
                                  if not _empty(d)}
            except (AttributeError, KeyError):
                self._accounts = {}
        return self._accounts.get(value, value) if isinstance(value, str) else value

    def words(self, value) -> str | None:
        """Any other stored JSON value as text: a list joined with 、, a link to another register's
        record by the register and the record's name, an object's keys in Chinese."""
        data = _parsed(value)
        if isinstance(data, list):
            return "、".join(w for w in (self.words(v) for v in data) if w) or None
        if isinstance(data, dict):
            if data.get("layer") in S.LAYERS and not _empty(data.get("label")):  # a link (id, label, layer, m)
                text = f"{S.layer(data['layer']).zh}{data['label']}"
                m = data.get("m")
                return text + (f"（相距{round(float(m))}米）" if isinstance(m, (int, float)) and not _empty(m) else "")
            out = []
            for k, v in data.items():
                key = JSON_WORDS.get(str(k), _stratum(k))
                if isinstance(v, dict):
                    inner = "，".join(f"{JSON_WORDS.get(str(a), a)}{self.words(b) or '—'}" for a, b in v.items())
                    out.append(f"{key}（{inner}）")
                else:
                    out.append(f"{key}：{self.words(v) or '—'}")
            return "；".join(out) or None
        if _empty(data):
            return None
        return str(self.account(data))


def _review_history(raw, ids, cutoff: str | None) -> dict[int, dict]:
    """The closure review's words for each polygon of ``ids`` whose history holds them: the
    latest check (复核方式, 复核结果 labelled, 复核意见) and every send-back (退回原因, each with the
    level and date). The record itself keeps them only while its review cycle is open (a step
    on clears them), so the ledger reads them from the history, as the page's history does."""
    ids = {int(i) for i in ids}
    if not ids:
        return {}
    cut, params = "", []
    if cutoff is not None:
        cut, params = " AND at < ?", [cutoff]
    with raw.transaction(write=False) as tx:
        rows = tx.query("SELECT feature_id, action, from_status, to_status, at, fields, comment FROM events "
                        f"WHERE {REVIEW_STEPS} AND (action = 'check' OR to_status = 'returned'){cut} ORDER BY id",
                        params)
    out: dict[int, dict] = {}
    for fid, action, frm, to, at, fields, comment in rows:
        fid = int(fid)
        if fid not in ids:
            continue
        rec = out.setdefault(fid, {})
        if action == "check":
            data = _parsed(fields) if fields is not None else {}
            data = data if isinstance(data, dict) else {}
            rec["check_method"] = S.label("check_method", data.get("check_method"), layer="change") or None
            rec["check_result"] = S.label("check_result", data.get("check_result"), layer="change") or None
            rec["check_note"] = data.get("check_note") or comment or None
        elif to == "returned":
            level = LEVEL_LABEL.get(LEVEL_OF.get(frm), ("审核", ""))[0]
            day = at.astimezone(LOCAL_TZ).date() if isinstance(at, dt.datetime) else local_date(str(at))
            reason = (comment or "").strip().removeprefix(f"{level}：").strip()
            line = f"{level}退回（{zh_date(day)}）：{reason or '未说明原因'}"
            rec["returned_reason"] = f"{rec['returned_reason']}；{line}" if rec.get("returned_reason") else line
    return out


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
    if ctx.counties and layer == "admin":  # a county's units: itself and those below it (by code)
        frame = frame[frame["code"].astype(str).str.startswith(tuple(ctx.counties)).to_numpy()]
    elif ctx.counties and "county_code" not in lyr.names:  # orders: by the zones addressed
        frame = frame[in_counties(store, layer, frame, ctx.counties).to_numpy()]
    fields = [f for f in lyr.fields if f.name in frame.columns and (internal or f.name not in INTERNAL)]
    header = ["编号"]
    columns = [frame["id"].tolist() if len(frame) else []]
    formats: dict[int, str] = {}
    batches = store.batches()
    names = dict(zip(pd.to_numeric(batches["id"]).astype(int), batches["name"])) if len(batches) else {}
    words = _Names(store)
    review = {}
    if layer == "change" and len(frame):  # the review's words, from the history
        review = _review_history(store, frame["id"].tolist(),
                                 end_of_local_day_utc(ctx.as_of) if ctx.as_of is not None else None)
    for f in fields:
        col = frame[f.name]
        ref = f.ref or REFS.get((layer, f.name))
        if f.name == "batch_id":
            values = [names.get(int(v), str(v)) if pd.notna(v) else None for v in col.tolist()]
        elif f.name in REVIEW_FIELDS and layer == "change":
            keyed = f.name in S.LABELS
            values = [review[i][f.name] if review.get(i, {}).get(f.name) else
                      (S.label(f.name, v, layer=layer) if keyed else _clean(v)) if isinstance(v, str) else None
                      for i, v in zip(frame["id"].astype(int).tolist(), col.tolist())]
        elif ref and f.type == S.JSON:
            values = [words.refs(ref, v) for v in col.tolist()]
        elif ref:
            values = [words.ref(ref, v) for v in col.tolist()]
        elif f.name == "zones":
            values = [words.zones(v) for v in col.tolist()]
        elif f.name in KEYED or f.options or f.name in S.LABELS:
            kind = KEYED.get(f.name, f.name)
            values = [S.label(kind, v, layer=layer) if isinstance(v, str) else None for v in col.tolist()]
        elif f.type == S.DATE:
            values = [_as_date(v) for v in col.tolist()]
        elif f.type == S.DATETIME:
            values = [_as_local_time(v) for v in col.tolist()]
        elif f.type == S.BOOL or f.name in YES_NO_INTS:
            values = [_yes_no(v) for v in col.tolist()]
        elif f.type == S.JSON:
            values = [words.words(v) for v in col.tolist()]
        elif f.type in (S.REAL, S.INT):
            values = _round(col.tolist(), f.unit) if f.type == S.REAL else [_clean(v) for v in col.tolist()]
            if f.unit in FORMATS:
                formats[len(header)] = FORMATS[f.unit]
        elif layer == "order" and f.name == "responses":  # a county's ledger: its own zones' responses
            values = [_responses(store, v, ctx.counties, words) for v in col.tolist()]
        else:
            values = [words.account(_clean(v)) for v in col.tolist()]
        header.append(f.zh + (f"（{f.unit}）" if f.unit and f.unit not in f.zh else ""))
        columns.append(values)
    if layer == "change" and len(frame):
        extra = with_deadlines(frame[["status", "batch_id", "deadline"]], store.batches("change"), ctx.day)
        header += ["办理期限", "是否逾期", "逾期天数"]
        columns += [[_as_date(v) for v in extra["due"].tolist()],
                    ["是" if o else "否" for o in extra["overdue"].tolist()],
                    [int(d) for d in extra["days_overdue"].tolist()]]
    if layer == "order" and len(frame):  # 迟报: responses after the deadline (geo.chief.orders.is_late)
        late = orders.late_by_order(store, frame)
        if ctx.counties:  # a county's ledger: its own zones' late responses
            late = [[r for r in z if str(r.get("county_code")) in set(ctx.counties)] for z in late]
        header += ["是否迟报", "迟报责任区"]
        columns += [["是" if z else "否" for z in late],
                    ["、".join(f"{r['zone']}（{r['on']}反馈）" for r in z) or None for z in late]]
    rows = [list(r) for r in zip(*columns)] if len(frame) else []
    return header, rows, formats


def _responses(store, value, counties, words: _Names) -> str | None:
    """An order's responses (one line each), the account that recorded each by its display name;
    in a county's ledger only the responses of that county's zones."""
    if _empty(value):
        return None
    got = orders.responses_of(value)
    if counties:
        wanted = {str(c) for c in counties}
        county = words.zone_counties()
        got = [r for r in got if county.get(r["zone"]) in wanted]
    return orders.responses_text([{**r, "by": words.account(r["by"])} for r in got]) or None


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


def league_list(layer: str) -> bool:
    """A register whose records belong to no county (the pest-control contractors): no county of
    their own and no hook that gives them one (orders belong to the counties they address)."""
    return layer != "admin" and "county_code" not in S.layer(layer).names and shared_counties(layer) is None


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
        league_wide = league_list(layer)
        if league_wide and ctx.counties:  # belongs to no county: only in the league's ledger
            continue
        header, rows, formats = _layer_table(raw, layer, ctx, internal)
        name = S.layer(layer).zh.replace("/", "")
        _sheet(wb, name, title(f"{name}·{LEAGUE_WIDE}" if league_wide else name), header, rows, formats=formats,
               freeze_col="B")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
