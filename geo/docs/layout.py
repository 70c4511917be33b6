"""The bulletin laid out as a 公文 per GB/T 9704-2012 (党政机关公文格式), from its blocks.

* Page: A4, margins 37/35/28/26 mm (版心 156 × 225 mm); a document grid of 22 lines of 28
  characters (``w:docGrid`` linesAndChars, line pitch 579 twips, character pitch 156 mm / 28).
* 版头 (when a 发文字号 or 发文机关标志 is set): the 发文机关标志 in red 小标宋 35 mm below the top of
  the 版心 (80 mm with a 签发人), the 发文字号 two lines below it (left, with 签发人 on the right, for
  a document sent upward), a red rule across the 版心 4 mm below.
* 主体: title in 2号 小标宋 centred, broken into lines at points of meaning (:func:`title_lines`),
  two lines below the rule; 主送机关 one line below the title, flush left; body in 3号 仿宋 with a
  two-character indent, 一、 in 黑体, （一） in 楷体; 附件说明 one line below the body; 落款 of a
  document without a seal (§7.3.5.2): the issuer one line lower, two characters from the right,
  the 成文日期 below it starting two characters further right (the issuer moved left when the
  date is longer); attachments on new pages, "附件N" in 3号 黑体 top left, their title on line 3.
* 版记 at the foot of the last page: 抄送 and 印发机关 / 印发日期 in 4号 仿宋 between a thick first
  and last rule and a thin one between them.
* Page numbers "— N —" in 4号 宋体 (digits included), 7 mm below the 版心: odd pages one
  character from the right, even pages one character from the left.

Every run names its Chinese font in ``w:rFonts/@w:eastAsia`` and its Latin font; the font table
declares the official-document fonts with the GB2312 charset, an alternative name and their PANOSE
class, so Word or WPS without 方正小标宋简体 or 仿宋_GB2312 substitutes a Chinese serif font of the
same kind (see the README).
"""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from geo.core.cells import xml_text
from geo.docs.blocks import Block
from geo.docs.text import width

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
FONT_TABLE = {
    # name: (altName, PANOSE-1, family, pitch)
    TITLE_FONT: ("华文中宋", "02010600030101010101", "auto", "variable"),
    BODY_FONT: ("仿宋", "02010609060101010101", "modern", "fixed"),
    H1_FONT: ("SimHei", "02010609060101010101", "modern", "fixed"),
    H2_FONT: ("楷体", "02010609060101010101", "modern", "fixed"),
    PAGE_FONT: ("SimSun", "02010600030101010101", "auto", "variable"),
}
SIZE_TITLE = 22.0  # 二号
SIZE_BODY = 16.0  # 三号
SIZE_PAGE = 14.0  # 四号 (page numbers, 版记)
SIZE_TABLE = 10.5  # 五号
TEXT_W_MM, TEXT_H_MM = 156.0, 225.0
CHARS, LINES = 28, 22
LINE_TWIPS = 579  # 225 mm / 22 lines
LINE = LINE_TWIPS / 20.0  # 28.95 pt
CHAR = TEXT_W_MM / CHARS * 72 / 25.4  # the grid's character pitch, 15.79 pt
RED = RGBColor(0xFF, 0x00, 0x00)
BREAK = "\n"  # a manual line break inside a title
# 28 三号 characters (16 pt) are 448 pt, the 版心 is 442 pt wide. Word's character grid squeezes
# each one by 0.2 pt; LibreOffice gives a character wider than the grid's cell two cells and
# spreads lines with digits unevenly. So the document declares the 22 × 28 grid (what the bureau
# types later snaps to it), while the generated paragraphs do not snap (w:snapToGrid 0): their
# lines are exactly 28.95 pt (22 to a page) and body runs are condensed by 0.25 pt (w:spacing, in
# twentieths of a point), which puts 28 characters on a line in Word and LibreOffice alike.
CONDENSE = -5


# ---------------------------------------------------------------------------- titles
def title_lines(tokens: list[str], max_chars: float = 20.0) -> list[str]:
    """Break a title between ``tokens`` (its units of meaning) into the fewest lines of at most
    ``max_chars`` (2号 on a 156 mm line holds 20), choosing among those the most even, with a
    shorter line above a longer one (梯形) preferred. A token longer than a line is split."""
    toks = []
    for tok in (t for t in tokens if t):
        while width(tok) > max_chars:
            cut = 1
            while width(tok[:cut + 1]) <= max_chars:
                cut += 1
            toks.append(tok[:cut])
            tok = tok[cut:]
        toks.append(tok)
    n = len(toks)
    best = None
    for lines in range(1, n + 1):
        for cuts in _cuts(n, lines):
            parts = ["".join(toks[a:b]) for a, b in zip((0, *cuts), (*cuts, n))]
            ws = [width(p) for p in parts]
            if max(ws) > max_chars:
                continue
            cost = max(ws) - min(ws) + sum(2.0 for a, b in zip(ws, ws[1:]) if a > b + 1)
            if best is None or cost < best[0]:
                best = (cost, parts)
        if best is not None:
            return best[1]
    return ["".join(toks)]


def _cuts(n: int, lines: int):
    from itertools import combinations

    return combinations(range(1, n), lines - 1)


# ---------------------------------------------------------------------------- runs and paragraphs
def set_fonts(run, east: str, size: float, bold: bool = False, latin: str = LATIN_FONT, color=None) -> None:
    if size == SIZE_BODY:  # 三号 characters a little narrower than the grid's pitch (see CONDENSE)
        run.font._element.get_or_add_rPr()
        sp = OxmlElement("w:spacing")
        sp.set(qn("w:val"), str(CONDENSE))
        run._element.get_or_add_rPr().append(sp)
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("ascii", "hAnsi", "cs"):
        rfonts.set(qn(f"w:{attr}"), latin)
    rfonts.set(qn("w:eastAsia"), east)
    rfonts.set(qn("w:hint"), "eastAsia")


_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
              "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
              "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
              "sectPr", "pPrChange")


def _ppr(p, el) -> None:
    """Put ``el`` into the paragraph's properties where the schema wants it."""
    ppr = p._p.get_or_add_pPr()
    name = el.tag.split("}")[1]
    ppr.insert_element_before(el, *(f"w:{t}" for t in _PPR_ORDER[_PPR_ORDER.index(name) + 1:]))


def _no_grid(p) -> None:
    """A paragraph that does not snap to the document grid (see CONDENSE)."""
    el = OxmlElement("w:snapToGrid")
    el.set(qn("w:val"), "0")
    _ppr(p, el)


def paragraph(doc_or_cell, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent_chars: float = 2, line: float = LINE,
          left_chars: float = 0.0, right_chars: float = 0.0, before: float = 0.0, grid: bool = False):
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line)
    ind = None
    if indent_chars:
        fmt.first_line_indent = Pt(indent_chars * CHAR)
        ind = p._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:firstLineChars"), str(int(round(indent_chars * 100))))
    if left_chars:
        fmt.left_indent = Pt(left_chars * CHAR)
        ind = p._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:leftChars"), str(int(round(left_chars * 100))))
    if right_chars:
        fmt.right_indent = Pt(right_chars * CHAR)
        ind = p._p.get_or_add_pPr().get_or_add_ind()
        ind.set(qn("w:rightChars"), str(int(round(right_chars * 100))))
    if not grid:
        _no_grid(p)
    for tag in ("autoSpaceDE", "autoSpaceDN"):  # no extra space around digits and Latin letters:
        _ppr(p, _el(tag, val=0))  # a line holds 28 characters whatever it contains
    return p


def blank_line(doc, n: int = 1) -> None:
    for _ in range(n):
        paragraph(doc, indent_chars=0)


# ---------------------------------------------------------------------------- the page
def setup_page(doc, title: str, author: str, day: dt.date, historic: bool) -> None:
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    # the page number's dash line sits 7 mm below the 版心 (its 14 pt line ends 25.5 mm above the edge)
    sec.header_distance, sec.footer_distance = Mm(15), Mm(25.5)
    grid = sec._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sec._sectPr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_TWIPS))
    # character pitch = default size (16 pt) + charSpace/4096 pt = 156 mm / 28
    grid.set(qn("w:charSpace"), str(int(round((CHAR - SIZE_BODY) * 4096))))
    # document defaults: the body font in every script, 三号, Chinese as the East Asian language
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr_default.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr_default.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if "Theme" in attr or "theme" in attr:
            del rfonts.attrib[attr]
    for attr in ("ascii", "hAnsi", "cs"):
        rfonts.set(qn(f"w:{attr}"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    for tag in ("w:sz", "w:szCs"):
        el = rpr_default.find(qn(tag))
        if el is not None:
            el.set(qn("w:val"), str(int(SIZE_BODY * 2)))
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
    # page numbers: odd pages on the right, even pages on the left, one character in
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(sec.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)
    cp = doc.core_properties
    stamp = dt.datetime.combine(day, dt.time(17, 0)) if historic else dt.datetime.now().replace(microsecond=0)
    cp.title = title
    cp.author = author
    cp.last_modified_by = author
    cp.created = stamp
    cp.modified = stamp
    cp.revision = 1
    cp.comments = f"由林长制整改一张图生成，数据截至{day.year}年{day.month}月{day.day}日"
    cp.language = "zh-CN"


def _page_number(footer, align) -> None:
    footer.is_linked_to_previous = False
    p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(SIZE_PAGE)
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = Pt(SIZE_PAGE)
    else:
        fmt.left_indent = Pt(SIZE_PAGE)
    _no_grid(p)

    def run(text: str | None = None, fld: str | None = None, instr: str | None = None):
        r = p.add_run(xml_text(text))
        set_fonts(r, PAGE_FONT, SIZE_PAGE, latin=PAGE_FONT)
        if fld:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), fld)
            r._r.append(el)
        if instr:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = instr
            r._r.append(el)
        return r

    run("— ")
    run(fld="begin")
    run(instr=" PAGE ")
    run(fld="separate")
    run("1")
    run(fld="end")
    run(" —")


def font_table(doc) -> None:
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


# ---------------------------------------------------------------------------- table properties
_TBLPR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
                "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook")


def _tblpr(table, el) -> None:
    """Put ``el`` into the table's properties in the order the schema requires (Word refuses
    others), replacing one of the same name."""
    tblpr = table._tbl.tblPr
    name = el.tag.split("}")[1]
    old = tblpr.find(qn(f"w:{name}"))
    if old is not None:
        tblpr.remove(old)
    rank = _TBLPR_ORDER.index(name)
    for i, child in enumerate(tblpr):
        other = child.tag.split("}")[1]
        if other in _TBLPR_ORDER and _TBLPR_ORDER.index(other) > rank:
            tblpr.insert(i, el)
            return
    tblpr.append(el)


def _el(tag: str, **attrs):
    el = OxmlElement(f"w:{tag}")
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), str(v))
    return el


# ---------------------------------------------------------------------------- 版头 and 版记
def _letterhead(doc, mark: str, number: str, signer: str) -> None:
    mm = 80 if signer else 35
    size = min(48.0, (TEXT_W_MM * 72 / 25.4) / max(width(mark), 1) * 0.96)
    p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, line=size * 1.2,
              before=mm * 72 / 25.4 - size * 0.2, grid=False)
    set_fonts(p.add_run(xml_text(mark)), TITLE_FONT, size, color=RED)
    blank_line(doc, 1)
    if signer:
        p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT, indent_chars=0, left_chars=1)
        p.paragraph_format.tab_stops.add_tab_stop(Pt((CHARS - 1) * CHAR), WD_TAB_ALIGNMENT.RIGHT)
        set_fonts(p.add_run(xml_text(number) + "\t签发人："), BODY_FONT, SIZE_BODY)
        set_fonts(p.add_run(xml_text(signer)), H2_FONT, SIZE_BODY)
    else:
        p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0)
        set_fonts(p.add_run(xml_text(number)), BODY_FONT, SIZE_BODY)
    # the red rule, 4 mm below the number, as wide as the 版心
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("val", "single"), ("sz", "12"), ("space", "11"), ("color", "FF0000")):
        bottom.set(qn(f"w:{k}"), v)
    bdr.append(bottom)
    _ppr(p, bdr)


def _record(doc, cc: str, printer: str, printed: str) -> None:
    """版记 at the foot of the last page: a one-column table positioned at the bottom of the 版心
    (Word, WPS; LibreOffice 7 lays a floating table out where it stands, after the last paragraph),
    a thick rule above and below, a thin one between 抄送 and 印发机关 / 印发日期."""
    rows = []
    if cc:
        rows.append(("cc", "抄送：" + cc.rstrip("。") + "。"))
    if printer or printed:
        rows.append(("print", f"{printer}\t{printed}印发" if printed else printer))
    if not rows:
        return
    anchor = paragraph(doc, indent_chars=0)
    table = doc.add_table(rows=len(rows), cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _tblpr(table, _el("tblpPr", leftFromText=0, rightFromText=0, vertAnchor="margin", horzAnchor="margin",
                      tblpXSpec="center", tblpYSpec="bottom"))
    _tblpr(table, _el("tblW", w=int(TEXT_W_MM / 25.4 * 1440), type="dxa"))
    borders = OxmlElement("w:tblBorders")
    for side, sz in (("top", 8), ("left", None), ("bottom", 8), ("right", None), ("insideH", 6),
                     ("insideV", None)):
        borders.append(_el(side, val="nil") if sz is None else _el(side, val="single", sz=sz, space=0,
                                                                   color="000000"))
    _tblpr(table, borders)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(_el(side, w=0, type="dxa"))
    _tblpr(table, margins)
    for i, (kind, value) in enumerate(rows):
        cell = table.rows[i].cells[0]
        cell.width = Mm(TEXT_W_MM)
        p = cell.paragraphs[0]
        fmt = p.paragraph_format
        fmt.space_before = Pt(4)
        fmt.space_after = Pt(4)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(SIZE_PAGE * 1.5)
        _no_grid(p)
        if kind == "cc":  # wrapped lines align with the first agency, after "抄送："
            fmt.left_indent = Pt(4 * SIZE_PAGE)
            fmt.first_line_indent = Pt(-3 * SIZE_PAGE)
        else:
            fmt.left_indent = Pt(SIZE_PAGE)
            fmt.tab_stops.add_tab_stop(Pt(TEXT_W_MM * 72 / 25.4 - SIZE_PAGE), WD_TAB_ALIGNMENT.RIGHT)
        set_fonts(p.add_run(xml_text(value)), BODY_FONT, SIZE_PAGE)
    anchor._p.addnext(table._tbl)
    # a paragraph after it: the floating table anchors to it, and a document does not end in a table
    tail = paragraph(doc, indent_chars=0, line=1)
    table._tbl.addnext(tail._p)


# ---------------------------------------------------------------------------- keeping things together
# No page may hold only the 落款 (issuer and date) or only a table's last row. Word and LibreOffice
# both honour keep-with-next (w:keepNext) on a paragraph and on the paragraphs of a table row (the
# row stays on the page of what follows it), rows that do not split (w:cantSplit), and widow and
# orphan control (w:widowControl: no line of a paragraph left alone at a page break).
def keep_with_next(element, *, lines: bool = False) -> None:
    """``element`` — a paragraph, a table row, or a table (its last row), as python-docx objects
    or their XML — stays on the page of what follows it; with ``lines``, its paragraphs also leave
    no single line behind at a page break (widow and orphan control)."""
    el = getattr(element, "_element", element)
    if el.tag == qn("w:tbl"):
        el = el.findall(qn("w:tr"))[-1]
    paras = [el] if el.tag == qn("w:p") else list(el.iter(qn("w:p")))
    for p in paras:
        ppr = p.get_or_add_pPr()
        for tag in ("keepNext", "widowControl") if lines else ("keepNext",):
            if ppr.find(qn(f"w:{tag}")) is None:
                ppr.insert_element_before(OxmlElement(f"w:{tag}"),
                                          *(f"w:{t}" for t in _PPR_ORDER[_PPR_ORDER.index(tag) + 1:]))


def keep_rows(table) -> None:
    """No page holds only the table's last row: no row breaks across pages (w:cantSplit), the
    header row keeps with the first row and the row before the last with the last one, so a page
    break moves the last two rows together (Word; LibreOffice too, by its table-row-keep rule
    for Word documents, which moves a break up above a row that keeps with the next). Only those
    two: a chain of kept rows from the top would make LibreOffice move the whole table."""
    rows = table._tbl.findall(qn("w:tr"))
    for tr in rows:
        trpr = tr.get_or_add_trPr()
        if trpr.find(qn("w:cantSplit")) is None:
            trpr.append(OxmlElement("w:cantSplit"))
    if len(rows) >= 2:
        keep_with_next(rows[0])
        keep_with_next(rows[-2])


def keep_lead_in(body) -> None:
    """What ends ``body`` so far travels with what is added next (the 落款): the empty paragraphs at
    its end and the last paragraph with text (at least two lines of it), or a table's last row.
    A document should end its body with a paragraph, not a table: LibreOffice does not carry a
    table's last rows over to the next page with the paragraphs that keep with them, so only Word
    would keep a 落款 that follows a table from standing alone."""
    for el in reversed(list(body)):
        if el.tag == qn("w:tbl"):
            keep_with_next(el)
            return
        if el.tag != qn("w:p"):
            continue
        text = "".join(t.text or "" for t in el.iter(qn("w:t"))).strip()
        keep_with_next(el, lines=bool(text))
        if text:
            return


# ---------------------------------------------------------------------------- tables
def add_table(doc, rows: list[list[str]], widths_mm: list[float] | None = None) -> None:
    ncol = len(rows[0])
    table = doc.add_table(rows=len(rows), cols=ncol)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    if widths_mm is None:
        first = 34.0 if ncol <= 8 else 26.0
        widths_mm = [first] + [(TEXT_W_MM - first) / (ncol - 1)] * (ncol - 1)
    size = SIZE_TABLE if ncol <= 8 else 10.0
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(_el(side, w=57, type="dxa"))  # 1 mm
    _tblpr(table, margins)
    _tblpr(table, _el("tblLayout", type="fixed"))
    for j, col in enumerate(table.columns):
        col.width = Mm(widths_mm[j])
    for i, row in enumerate(rows):
        tr = table.rows[i]
        trpr = tr._tr.get_or_add_trPr()
        if i == 0:  # the header row repeats on every page
            trpr.append(OxmlElement("w:tblHeader"))
        total = row[0] == "合计"
        for j, value in enumerate(row):
            cell = tr.cells[j]
            cell.width = Mm(widths_mm[j])
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            fmt = p.paragraph_format
            fmt.space_before = Pt(0)
            fmt.space_after = Pt(0)
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(size + 6)
            _no_grid(p)
            set_fonts(p.add_run(xml_text(value)), H1_FONT if i == 0 else BODY_FONT, size, bold=total)
    keep_rows(table)  # no row breaks across pages; the last row never alone on one


# ---------------------------------------------------------------------------- the document
def render(blocks: list[Block], *, title: str, author: str, day: dt.date, historic: bool,
           letterhead: str = "", number: str = "", signer: str = "", cc: str = "", printer: str = "",
           printed: str = "") -> bytes:
    """The .docx bytes of ``blocks`` (see :mod:`geo.docs.blocks` for the kinds)."""
    doc = Document()
    setup_page(doc, title, author, day, historic)
    font_table(doc)
    body = doc.element.body
    for p in list(body.findall(qn("w:p"))):  # the template's empty first paragraph
        if not "".join(t.text or "" for t in p.iter(qn("w:t"))):
            body.remove(p)
    if letterhead or number:
        _letterhead(doc, letterhead, number, signer)
        blank_line(doc, 2)  # the title two lines below the rule
    signs = []
    for i, b in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if b.kind == "title":
            lines = b.lines or [b.text]
            p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, line=36, grid=False)
            for k, line in enumerate(lines):  # one paragraph, a manual line break between lines
                r = p.add_run(line)
                set_fonts(r, TITLE_FONT, SIZE_TITLE)
                if k < len(lines) - 1:
                    r.add_break(WD_BREAK.LINE)
            if nxt is None or nxt.kind != "subtitle":
                blank_line(doc, 1)
        elif b.kind == "subtitle":
            p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0)
            set_fonts(p.add_run(b.text), H2_FONT, SIZE_BODY)
            blank_line(doc, 1)
        elif b.kind == "recipients":
            p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT, indent_chars=0)
            set_fonts(p.add_run(b.text.rstrip("：:") + "："), BODY_FONT, SIZE_BODY)
        elif b.kind == "h1":
            p = paragraph(doc)
            p.paragraph_format.keep_with_next = True
            set_fonts(p.add_run(b.text), H1_FONT, SIZE_BODY)
        elif b.kind == "h2":
            p = paragraph(doc)
            p.paragraph_format.keep_with_next = True
            set_fonts(p.add_run(b.text), H2_FONT, SIZE_BODY)
        elif b.kind == "table":
            if b.caption:
                cap = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, grid=False)
                cap.paragraph_format.keep_with_next = True
                set_fonts(cap.add_run(b.caption), H1_FONT, SIZE_TABLE + 2)
            add_table(doc, b.rows, b.widths or _widths(b.rows))
            paragraph(doc, indent_chars=0)
        elif b.kind == "attach_note":
            blank_line(doc, 1)
            for k, line in enumerate(b.text.split("\n")):
                if k == 0:
                    p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT, indent_chars=2)
                else:  # later names align with the first one, after "附件："
                    p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT, indent_chars=0, left_chars=5)
                set_fonts(p.add_run(line), BODY_FONT, SIZE_BODY)
        elif b.kind == "sign":
            signs.append(b.text)
            if nxt is None or nxt.kind != "sign":
                _signature(doc, signs)
                signs = []
        elif b.kind == "attachment":
            p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT, indent_chars=0)
            p.paragraph_format.page_break_before = True
            set_fonts(p.add_run(b.text), H1_FONT, SIZE_BODY)
            blank_line(doc, 1)
            lines = b.caption.split(BREAK)
            p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.CENTER, indent_chars=0, line=36, grid=False)
            for k, line in enumerate(lines):
                r = p.add_run(line)
                set_fonts(r, TITLE_FONT, SIZE_TITLE)
                if k < len(lines) - 1:
                    r.add_break(WD_BREAK.LINE)
        else:  # lead, p, contact (left-aligned: an e-mail address does not break)
            p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT if b.kind == "contact" else WD_ALIGN_PARAGRAPH.JUSTIFY)
            if b.head:
                kai = b.head_style == "kai"
                set_fonts(p.add_run(b.head), H2_FONT if kai else BODY_FONT, SIZE_BODY, bold=not kai)
            set_fonts(p.add_run(b.text), BODY_FONT, SIZE_BODY)
    _record(doc, cc, printer, printed)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _widths(rows: list[list[str]]) -> list[float] | None:
    ncol = len(rows[0])
    if ncol == 11:  # the county table: names, nine counts, fines
        return [28.0] + [12.0] * 9 + [20.0]
    return None


def _signature(doc, lines: list[str]) -> None:
    """落款 without a seal (GB/T 9704 §7.3.5.2): one blank line; the issuer two characters from the
    right; the date below, its first character two characters right of the issuer's first — or,
    when the date is the longer, the date two characters from the right and the issuer moved left.
    The end of the body (its last paragraph or table row), the blank line and the issuer keep with
    the date, so no page holds the 落款 alone (:func:`keep_lead_in`)."""
    keep_lead_in(doc.element.body)
    blank_line(doc, 1)
    if len(lines) == 1:
        lines = [lines[0], ""]
    issuer, date = lines[0], lines[1]
    wi, wd = width(issuer), width(date)
    if wd + 2 <= wi:
        start_i = CHARS - 2 - wi
        start_d = start_i + 2
    else:
        start_d = CHARS - 2 - wd
        start_i = start_d - 2
    for text, start in ((issuer, start_i), (date, start_d)):
        if not text:
            continue
        keep_lead_in(doc.element.body)  # the blank line, then the issuer, keep with what follows
        p = paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT, indent_chars=0, left_chars=max(start, 0))
        set_fonts(p.add_run(xml_text(text)), BODY_FONT, SIZE_BODY)
