"""The 图斑核查表: one polygon on one page for the field team — its key attributes, before/after
chips in true colour and NDVI, and blank lines for what the team finds on site (.docx)."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from geo.core.cells import xml_text
from geo.core.timeutil import today_local
from geo.declare import registry as S
from geo.imagery import chips as CH
from geo.imagery import scenes as SC

FONT = "宋体"
TITLE_FONT = "黑体"


def _fonts(run, east: str = FONT, size: float = 10.5, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = "Times New Roman"
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), east)


def _text(cell_or_doc, text: str, **kw):
    p = cell_or_doc.add_paragraph() if not hasattr(cell_or_doc, "paragraphs") or cell_or_doc.paragraphs[0].text \
        else cell_or_doc.paragraphs[0]
    _fonts(p.add_run(xml_text(text)), **kw)
    return p


def _value(v, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return str(v)


def rows_for(store, feature: dict, lang: str = "zh") -> list[tuple[str, str]]:
    """The attributes the sheet lists, as (label, text)."""
    zh = lang == "zh"
    lyr = S.layer("change")

    def lab(name):
        f = lyr.field(name)
        return f.zh if zh else f.en

    try:
        batch = store.batch(int(feature["batch_id"]))["name"] if feature.get("batch_id") else "—"
    except Exception:  # noqa: BLE001 - a batch the user may not list: the sheet still prints
        batch = f"#{feature.get('batch_id')}"
    c = feature["geometry"].centroid
    where = "".join(v for v in (feature.get("county"), feature.get("township"), feature.get("village")) if v) or "—"
    rows = [
        (lab("polygon_no"), _value(feature.get("polygon_no"))),
        (lab("batch_id"), batch),
        ("位置" if zh else "Where", where),
        ("中心点（经度，纬度）" if zh else "Centre (lon, lat)", f"{c.x:.6f}，{c.y:.6f}" if zh else f"{c.x:.6f}, {c.y:.6f}"),
        ("面积" if zh else "Area", f"{_value(feature.get('area_ha'))} 公顷（{_value(feature.get('area_mu'), 2)} 亩）"
         if zh else f"{_value(feature.get('area_ha'))} ha ({_value(feature.get('area_mu'), 2)} mu)"),
        (lab("change_type"), _value(feature.get("change_type"))),
        (lab("change_cause"), _value(feature.get("change_cause"))),
        (lab("land_before"), _value(feature.get("land_before"))),
        (f"{lab('before_date')} / {lab('after_date')}", f"{_value(feature.get('before_date'))} / {_value(feature.get('after_date'))}"),
        (lab("status"), S.label("status", feature.get("status"), lang)),
        (lab("verdict"), S.label("verdict", feature.get("verdict"), lang) or "—"),
    ]
    if feature.get("ndvi_change") is not None:
        rows.append(("NDVI 前期 / 后期 / 变化" if zh else "NDVI before / after / change",
                     f"{_value(feature.get('ndvi_before'), 3)} / {_value(feature.get('ndvi_after'), 3)} / "
                     f"{_value(feature.get('ndvi_change'), 3)}"))
    return rows


def document(store, fid: int, *, folder=None, lang: str = "zh") -> bytes:
    """The sheet of change polygon ``fid`` (as the store's user may see it) as .docx bytes."""
    zh = lang == "zh"
    feature = store.get_feature("change", int(fid))
    scenes = SC.visible(store)
    shots = {kind: CH.chips_for(store, feature, kind, folder=folder, lang=lang, scenes=scenes, size=320)
             for kind in ("rgb", "ndvi")}
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2)
    sec.top_margin = sec.bottom_margin = Cm(1.8)
    title = doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(title.add_run("图斑核查表" if zh else "Polygon field-check sheet"), TITLE_FONT, 18, bold=True)
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(sub.add_run((f"图斑 #{feature['id']}（版本 {feature['version']}）  制表日期：{today_local().isoformat()}"
                        if zh else f"Polygon #{feature['id']} (version {feature['version']})  "
                                   f"printed {today_local().isoformat()}")), size=9)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, text in rows_for(store, feature, lang):
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(4.5), Cm(12.5)
        _text(cells[0], label, bold=True)
        _text(cells[1], text)
    doc.add_paragraph()
    pics = [shot for kind in ("rgb", "ndvi") for shot in shots[kind]]
    if pics:
        grid = doc.add_table(rows=0, cols=2)
        for i in range(0, len(pics), 2):
            cells = grid.add_row().cells
            for cell, (cap, png) in zip(cells, pics[i:i + 2]):
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.add_run().add_picture(io.BytesIO(png), width=Cm(7.8))
                c = cell.add_paragraph()
                c.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _fonts(c.add_run(xml_text(cap)), size=8)
    else:
        _text(doc, "没有覆盖该图斑的已登记影像。" if zh else "No registered scene covers this polygon.", size=9)
    if any("合成影像" in cap or "synthetic" in cap for cap, _ in pics):
        _text(doc, "注：以上影像为合成影像，仅供演示，不能作为核查依据。" if zh else
              "Note: the imagery above is synthetic, for demonstration only.", size=9, bold=True)
    doc.add_paragraph()
    field = doc.add_table(rows=0, cols=2)
    field.style = "Table Grid"
    blanks = (["现场核查情况", "核实变化原因", "现地类", "核查结论", "核查人员", "核查日期", "签字"] if zh else
              ["Found on site", "Verified cause", "Land class now", "Verdict", "Checked by", "Date", "Signature"])
    for label in blanks:
        cells = field.add_row().cells
        cells[0].width, cells[1].width = Cm(4.5), Cm(12.5)
        _text(cells[0], label, bold=True)
        _text(cells[1], "\n\n" if label in ("现场核查情况", "Found on site") else "")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write(store, fid: int, out: str | Path, *, folder=None, lang: str = "zh") -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(document(store, fid, folder=folder, lang=lang))
    return out
