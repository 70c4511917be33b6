"""The weekly brief for leaders (林长制整改工作周报): one page, on screen and as .docx, for any week.

For the week (Monday to Sunday, Beijing time) it says what was issued, verified, applied for
closure, approved, sent back and closed; which polygons became overdue that week (their deadline
passed during it and they were still open at its end), with links back to each polygon in the app
(``?id=…``); and the three counties most behind at the week's end (most overdue, then the lowest
closure rate — the figures of :func:`geo.stats.summary.summary` as of that Sunday).

Counts come from the history (transition events dated in the week), so the brief of a past week
regenerated later says the same thing. The page uses the bulletin's 公文 layout
(:mod:`geo.report.bulletin`).
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from geo.declare import registry as S
from geo.access.scope import unwrap
from geo.core.timeutil import end_of_local_day_utc, to_utc_text, today_local
from geo.engine import official
from geo.stats import summary as stats
from geo.change.closure import review_settings
from geo.change.deadlines import change_deadlines
from geo.docs.text import zh_date
from geo.core.cells import xml_text
from geo.docs.blocks import Block
from geo.docs.layout import BODY_FONT, SIZE_TABLE, render

COUNTS = (("issued", "下发", "Issued"), ("verified", "核查", "Verified"), ("applied", "申请销号", "Applied"),
          ("approved", "审核通过", "Approved"), ("sent_back", "退回", "Sent back"), ("closed", "销号", "Closed"))
LIST_MAX = 5  # polygons listed on the page (all of them on screen)


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def _counts(raw, lo: str, hi: str, ids: set[int] | None) -> dict[str, int]:
    hint = " NOT INDEXED" if raw.backend == "gpkg" else ""
    with raw.transaction(write=False) as tx:
        rows = tx.query(f"SELECT feature_id, action, from_status, to_status FROM events{hint} WHERE layer = 'change' "
                        "AND at >= ? AND at < ? AND action IN ('import', 'transition')", [lo, hi])
    out = {k: 0 for k, _, _ in COUNTS}
    for fid, action, frm, to in rows:
        if ids is not None and int(fid) not in ids:
            continue
        if action == "import":
            out["issued"] += 1
            continue
        if to == "verified":
            out["verified"] += 1
        if to == "applied":
            out["applied"] += 1
        if frm in ("applied", "reviewed") and to in ("closed", "reviewed"):
            out["approved"] += 1
        if to == "returned":
            out["sent_back"] += 1
        if to == "closed":
            out["closed"] += 1
    return out


def brief(store, week_of: dt.date | None = None, *, settings=None, today: dt.date | None = None) -> dict:
    """The brief of the week holding ``week_of`` (default: the last full week before ``today``)."""

    today = today or today_local()
    start, end = week_bounds(week_of or (today - dt.timedelta(days=7)))
    lo = end_of_local_day_utc(start - dt.timedelta(days=1))
    hi = end_of_local_day_utc(end)
    raw, _ = unwrap(store)
    as_of = min(end, today)
    # the official polygons only (geo.engine.official: official batches, inside the jurisdiction), as in
    # every figure; a county account's store narrows them further
    batches = raw.batches("change")
    sc = official.scope(raw, batches, as_of)
    where = {"batch_id": sc.batch_ids, "county_code": sc.counties}
    ids = set(store.read_layer("change", where=where, columns=[], geometry=False)["id"].astype("int64"))
    counts = _counts(raw, lo, hi, ids)
    state = stats.change_state(store, as_of, columns=["polygon_no", "county_code", "county", "township", "status",
                                                      "batch_id", "deadline", "verdict"], where=where)
    if len(state):
        due = change_deadlines(state, batches)
        state = state.assign(due=due.to_numpy())
        # became overdue this week: the deadline's last day fell in the week, and before ``as_of``
        last = (min(end, as_of) - dt.timedelta(days=1)).isoformat()
        window = (state["due"].notna() & (state["due"].astype(str).str.slice(0, 10) >= (start - dt.timedelta(days=1)).isoformat())
                  & (state["due"].astype(str).str.slice(0, 10) <= last))
        late = state[window.to_numpy(dtype=bool)].copy()
        late["days_overdue"] = [(as_of - dt.date.fromisoformat(str(d)[:10])).days for d in late["due"]]
        late = late.sort_values(["due", "county_code", "id"]).reset_index(drop=True)
    else:
        late = pd.DataFrame(columns=["id", "polygon_no", "county", "township", "status", "due", "days_overdue"])
    fig = stats.summary(store, as_of=as_of if as_of < today else None, today=as_of)
    rows = [r for r in fig["by_county"] if r.get("total")]
    rows.sort(key=lambda r: (-(r.get("overdue") or 0), r.get("closed_pct") if r.get("closed_pct") is not None else 999,
                             r["county_code"]))
    review = {r["county_code"]: r for r in (fig.get("review") or {}).get("by_county", [])}
    behind = [{"county_code": r["county_code"], "county": r["county"], "overdue": r.get("overdue"),
               "closed_pct": r.get("closed_pct"), "total": r.get("total"),
               "awaiting_review": (review.get(r["county_code"]) or {}).get("awaiting", 0)} for r in rows[:3]]
    url = review_settings(settings).app_url.rstrip("/")
    late["link"] = [f"{url}/?id={int(i)}" for i in late["id"]] if len(late) else []
    return {"start": start, "end": end, "as_of": as_of, "counts": counts, "became_overdue": late,
            "behind": behind, "app_url": url, "generated": to_utc_text(dt.datetime.now(dt.timezone.utc))}


def week_label(start: dt.date, end: dt.date) -> str:

    year, week, _ = start.isocalendar()
    if start.year == end.year:  # one line: the year once
        return f"{year}年第{week}周（{start.month}月{start.day}日—{end.month}月{end.day}日）"
    return f"{year}年第{week}周（{zh_date(start)}—{zh_date(end)}）"


def sentences(b: dict) -> list[tuple[str, str]]:
    """The brief's paragraphs as ``(heading, text)``."""
    c = b["counts"]
    done = "，".join(f"{zh}{c[k]}个" for k, zh, _ in COUNTS)
    late = b["became_overdue"]
    if len(late):
        by = late.groupby("county").size().sort_values(ascending=False)
        where = "、".join(f"{k}{v}个" for k, v in by.head(3).items()) + ("等" if len(by) > 3 else "")
        shown = min(LIST_MAX, len(late))
        overdue = (f"本周新转为逾期的变化图斑{len(late)}个（{where}），"
                   + (f"前{shown}个见下表" if shown < len(late) else "见下表") + "，点击编号可在系统中打开。")
    else:
        overdue = "本周没有新转为逾期的变化图斑。"
    if b["behind"]:
        parts = []
        for r in b["behind"]:
            pct = "暂无数据" if r["closed_pct"] is None else f"{r['closed_pct']:g}%"
            wait = f"，待审核{r['awaiting_review']}个" if r["awaiting_review"] else ""
            parts.append(f"{r['county']}（逾期{r['overdue'] if r['overdue'] is not None else '暂无数据'}个，"
                         f"销号率{pct}{wait}）")
        behind = "截至本周末进度滞后的旗县：" + "、".join(parts) + "，请旗县级林长督促整改。"
    else:
        behind = "暂无旗县数据。"
    return [("一、本周办理情况。", f"本周共{done}。"), ("二、本周新增逾期。", overdue), ("三、进度滞后的旗县。", behind)]


def _hyperlink(paragraph, url: str, text: str, font: str, size: float) -> None:
    """A clickable link in a paragraph (python-docx has no API for it: w:hyperlink with a relationship)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor
    from docx.text.run import Run

    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    r = OxmlElement("w:r")
    link.append(r)
    paragraph._p.append(link)
    run = Run(r, paragraph)
    run.text = xml_text(text)
    run.font.size = Pt(size)
    run.font.color.rgb = RGBColor(0x1F, 0x4E, 0x9A)
    run.font.underline = True
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), font)


def brief_blocks(b: dict, settings) -> list:
    """The brief as bulletin blocks (geo.docs.blocks): title, week, three paragraphs, the table of
    polygons that became overdue, signature."""

    out = [Block("title", "林长制整改工作周报", lines=["林长制整改工作周报"]),
           Block("subtitle", week_label(b["start"], b["end"]))]
    for i, (head, text) in enumerate(sentences(b)):
        out.append(Block("p", text, head=head, head_style="kai"))
        if i == 1 and len(b["became_overdue"]):
            late = b["became_overdue"].head(LIST_MAX)
            rows = [["图斑编号", "旗县", "状态", "整改期限", "逾期天数"]]
            for r in late.to_dict("records"):
                rows.append([str(r.get("polygon_no") or f"#{r['id']}"), str(r.get("county") or ""),
                             S.label("status", r["status"]), str(r["due"])[:10], str(int(r["days_overdue"]))])
            # widths: an 18-digit polygon number, a seven-character county name and a date on one
            # line each (the township is on screen and behind the link)
            out.append(Block("table", rows=rows, caption=f"本周新增逾期图斑（前{len(late)}个）",
                             widths=[50.0, 32.0, 22.0, 30.0, 22.0]))
    out.append(Block("sign", settings.org_name))
    out.append(Block("sign", zh_date(b["end"])))
    return out


def brief_docx(b: dict, settings) -> bytes:
    """The brief as a one-page .docx in the bulletin's 公文 layout (geo.docs.layout), the polygon
    numbers of its table linking to the app."""
    from docx import Document

    data = render(brief_blocks(b, settings), title=f"林长制整改工作周报 {week_label(b['start'], b['end'])}",
                  author=settings.org_name, day=b["end"], historic=True)
    late = b["became_overdue"].head(LIST_MAX)
    if not len(late):
        return data
    doc = Document(io.BytesIO(data))
    table = doc.tables[-1]
    for k, r in enumerate(late.to_dict("records"), start=1):  # the numbers link to the app
        para = table.rows[k].cells[0].paragraphs[0]
        for run in list(para.runs):
            run._element.getparent().remove(run._element)
        _hyperlink(para, r["link"], str(r.get("polygon_no") or f"#{r['id']}"), BODY_FONT, SIZE_TABLE)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def file_name(b: dict) -> str:
    return f"林长制整改工作周报_{b['start'].isoformat()}_{b['end'].isoformat()}.docx"
