"""The rectification plan (整改方案) with its problem list (问题清单 · 任务清单 · 责任清单), as Word.

Where the progress bulletin reports what was done, the plan says who answers for what by when:
each problem with its measures, responsible leader, responsible unit and deadline, and how far it
has come (the same wording as the bulletin's 完成情况; open problems past their deadline flagged).
A landscape A4 page in the 公文 fonts, the table's header repeated on every page, page numbers as in
the bulletin; for the same scope (counties, day) as the bulletin.
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from geo.core.cells import xml_text
from geo.core.config import Settings
from geo.docs import layout as L
from geo.report import problems
from geo.report.bulletin import subject_tokens, context
from geo.docs.text import zh_date

HEAD = ["序号", "问题清单", "任务清单（整改措施）", "责任领导", "责任单位", "完成时限", "完成情况"]
WIDTHS = [12.0, 52.0, 88.0, 24.0, 32.0, 24.0, 45.0]  # mm, 277 mm across a landscape A4 page


def title_tokens(ctx) -> list[str]:
    rs = ctx.rs
    if rs.inspection:
        return [ctx.issuer, "关于", *subject_tokens(rs.subject or "巡察"), "反馈意见的整改方案"]
    scope = ctx.scope_name if ctx.counties else ""
    return [ctx.issuer, scope, rs.subject or "林长制", "整改方案"]


def rows(ctx) -> list[list[str]]:
    out = [HEAD]
    for i, (_, it) in enumerate(ctx.items.iterrows(), start=1):
        measures = problems.measures_text(it["measure_parts"]) or ""
        deadline = zh_date(it["deadline"]) if isinstance(it.get("deadline"), str) and it["deadline"] else "—"
        out.append([str(i), str(it["problem"]).strip(), measures, str(it.get("leader") or ""),
                    str(it.get("unit") or ""), deadline, problems.completion_text(it)])
    return out


def plan(store, *, settings: Settings, as_of: dt.date | None = None, batch_ids=None, counties=None) -> bytes:
    """The plan as .docx bytes."""
    ctx = context(store, settings=settings, as_of=as_of, batch_ids=batch_ids, counties=counties)
    title = "".join(title_tokens(ctx))
    doc = Document()
    L.setup_page(doc, title, ctx.issuer, ctx.day, ctx.as_of is not None)
    L.font_table(doc)
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    sec.top_margin, sec.bottom_margin = Mm(26), Mm(24)
    sec.left_margin, sec.right_margin = Mm(10), Mm(10)
    sec.footer_distance = Mm(12)
    body = doc.element.body
    for p in list(body.findall(L.qn("w:p"))):
        if not "".join(t.text or "" for t in p.iter(L.qn("w:t"))):
            body.remove(p)
    p = L.paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, line=36)
    lines = L.title_lines(title_tokens(ctx), max_chars=34)
    for k, line in enumerate(lines):
        r = p.add_run(xml_text(line))
        L.set_fonts(r, L.TITLE_FONT, L.SIZE_TITLE)
        if k < len(lines) - 1:
            r.add_break(L.WD_BREAK.LINE)
    p = L.paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0)
    scope = f"{ctx.scope_name}，" if ctx.counties else ""
    L.set_fonts(p.add_run(f"（问题清单、任务清单、责任清单，{scope}截至{zh_date(ctx.day)}）"), L.H2_FONT, L.SIZE_BODY)
    L.blank_line(doc, 1)
    if len(ctx.items):
        L.add_table(doc, rows(ctx), WIDTHS)
        for row in doc.tables[-1].rows[1:]:  # long texts read better left-aligned
            for j in (1, 2, 6):
                row.cells[j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    else:
        p = L.paragraph(doc)
        L.set_fonts(p.add_run("尚未录入整改事项。"), L.BODY_FONT, L.SIZE_BODY)
    p = L.paragraph(doc, align=WD_ALIGN_PARAGRAPH.RIGHT, indent_chars=0, before=Pt(12).pt)
    L.set_fonts(p.add_run(f"{ctx.issuer}　{zh_date(ctx.day)}"), L.BODY_FONT, L.SIZE_BODY)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
