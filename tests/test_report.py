"""The bulletin (.docx) and the ledger (.xlsx): read back with python-docx / openpyxl and
checked against counts made independently from the stored tables (see tests/test_stats.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from geo.config import load_settings
from geo.store import open_store
from tests.test_stats import BULLETIN_DAY, TODAY, expected, load, replay

ROOT = Path(__file__).resolve().parent.parent


def geo(*args):
    proc = subprocess.run([sys.executable, "-m", "geo", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def text_of(path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append("\t".join(c.text for c in row.cells))
    return "\n".join(parts)


def wan(yuan: float) -> str:
    return f"{yuan / 1e4:.6f}".rstrip("0").rstrip(".")


def pct(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") + "%"


@pytest.fixture(scope="module")
def bulletin(demo_master, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "通报.docx"
    proc = geo("report", "--format", "docx", "--out", out, "--as-of", "2023-12-09", "--db", demo_master, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


# ------------------------------------------------------------------------------ the bulletin
def test_the_bulletin_says_what_the_data_says(bulletin, demo_master):
    text = text_of(bulletin)
    data = load(str(demo_master))
    exp = expected(data, BULLETIN_DAY, as_of=BULLETIN_DAY)
    names = dict(zip(data["batches"]["id"].astype(int), data["batches"]["name"]))
    for bid, f in exp["batch"].items():
        sentence = (f"{names[bid]}共{f['total']}个，已完成核查{f['verified']}个，其中违法图斑{f['illegal']}个，"
                    f"已立案查处{f['case_filed']}个，收缴罚款{wan(f['fines_yuan'])}万元，已销号{f['closed']}个，"
                    f"销号率{pct(f['closed_pct'])}")
        assert sentence in text, sentence
    # the bulletin's own words for the forest batch of 2023 (seed 001)
    assert ("2023年第1期森林督查变化图斑共60个，已完成核查60个，其中违法图斑4个，已立案查处4个，"
            "收缴罚款23.600517万元，已销号60个，销号率100%") in text
    a = exp["all"]
    assert f"共下发变化图斑{a['total']}个，已完成核查{a['verified']}个" in text
    assert f"已销号{a['closed']}个，销号率{pct(a['closed_pct'])}" in text
    assert "已在全盟设立林长公示牌942个" in text
    assert "2023年度计划完成生态修复任务7.52万亩，已完成7.52万亩" in text
    assert "科尔沁右翼中旗完成3万亩" in text and "突泉县完成2.6万亩" in text
    assert "突泉县红瑞采石场违法占用林地" in text and "已摘牌" in text


def test_the_bulletin_has_the_shape_of_the_seeds(bulletin, demo_master):
    text = text_of(bulletin)
    settings = load_settings()
    order = ["关于林长制整改进展情况的通报", "一、整改工作开展情况", "二、具体问题整改落实情况",
             "（一）问题整改落实情况", "（二）变化图斑整改情况", "（三）分旗县整改进展", "三、下一步工作计划",
             settings.contact, "兴安盟林业和草原局\n2023年12月9日"]
    at = [text.find(s) for s in order]
    assert all(i >= 0 for i in at), dict(zip(order, at))
    assert at == sorted(at)
    # each rectification item with its measures and 完成情况, as the store holds them on that day
    data = load(str(demo_master))
    items = replay(data["items"], data["events"], "item", BULLETIN_DAY, fields=())
    for _, it in items.iterrows():
        problem = it["problem"].replace("“", "‘").replace("”", "’")
        assert f"关于“{problem}”问题。" in text
        assert f"整改情况：{it['measures']}" in text
    assert text.count("完成情况：已完成整改") == int((items["status"] == "done").sum())
    assert text.count("完成情况：长期坚持") == int((items["status"] == "long_term").sum())
    # the county table: one row per county with the independent counts
    exp = expected(data, BULLETIN_DAY, as_of=BULLETIN_DAY)
    d = docx.Document(str(bulletin))
    table = d.tables[0]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
    county = dict(zip(data["admin"]["code"], data["admin"]["name"]))
    for code, f in exp["county"].items():
        row = rows[county[code]]
        assert row[1:8] == [str(f[k]) for k in ("total", "verified", "illegal", "case_filed", "penalized",
                                                 "rectified", "closed")]
    assert rows["合计"][1] == str(exp["all"]["total"])
    # next steps: a highlighted placeholder to edit
    marked = [r for p in d.paragraphs for r in p.runs if r.font.highlight_color is not None]
    assert marked and "下一步工作计划" in marked[0].text


def test_the_bulletin_is_laid_out_as_an_official_document(bulletin):
    d = docx.Document(str(bulletin))
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(v.mm) for v in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [37, 35, 28, 26]

    def font(run):
        rfonts = run._element.rPr.find(qn("w:rFonts"))
        return rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii")), run.font.size

    paras = d.paragraphs
    title = paras[0]
    assert title.alignment == 1  # centred
    assert font(title.runs[0]) == ("方正小标宋简体", "Times New Roman", Pt(22))
    h1 = next(p for p in paras if p.text.startswith("一、"))
    assert font(h1.runs[0])[0] == "黑体" and font(h1.runs[0])[2] == Pt(16)
    h2 = next(p for p in paras if p.text.startswith("（一）问题整改"))
    assert font(h2.runs[0])[0] == "楷体_GB2312"
    body = next(p for p in paras if p.text.startswith("经梳理"))
    assert font(body.runs[0])[:2] == ("仿宋_GB2312", "Times New Roman") and body.runs[0].font.size == Pt(16)
    assert body.paragraph_format.first_line_indent == Pt(32)
    # the document defaults name the Chinese font too (no theme fonts to override it)
    defaults = d.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    assert defaults.get(qn("w:eastAsia")) == "仿宋_GB2312" and defaults.get(qn("w:eastAsiaTheme")) is None
    # the font table tells Word/WPS these are GB2312 fonts, so a missing one is substituted in kind
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    blob = d.part.part_related_by(RT.FONT_TABLE).blob.decode()
    for name in ("方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"):
        assert re.search(f'w:name="{name}".*?w:charset w:val="86"', blob, re.S), name
    # page numbers in the footer
    assert 'w:instr="PAGE"' in sec.footer._element.xml


def test_a_bulletin_regenerated_later_says_the_same(demo_path, tmp_path):
    from geo import workflow as W
    from geo.report import write_report

    store = open_store(str(demo_path))
    first = write_report(store, "docx", tmp_path / "a.docx", settings=load_settings(), as_of=BULLETIN_DAY)
    text = text_of(first)
    fid = int(store.read_layer("change", where={"status": "accepted"}, columns=[], geometry=False)["id"].iloc[0])
    from tests.helpers import pdf

    W.transition(store, "change", fid, "closed", actor="验收组", attachments=[("验收.pdf", pdf())])
    with store.transaction() as tx:
        iid = int(store.items()["id"].iloc[-1])
        store.update_item(tx, iid, expected_version=None, changes={"status": "done", "measures": "后来改写的措施"},
                          actor="staff")
    again = write_report(store, "docx", tmp_path / "b.docx", settings=load_settings(), as_of=BULLETIN_DAY)
    assert text_of(again) == text
    now = write_report(store, "docx", tmp_path / "c.docx", settings=load_settings())
    assert "后来改写的措施" in text_of(now) and "后来改写的措施" not in text


def test_batch_filter_limits_the_polygon_figures(demo_path, tmp_path):
    data = load(str(demo_path))
    bid = int(data["batches"].set_index("name")["id"]["2023年第1期森林督查变化图斑"])
    out = tmp_path / "f.docx"
    assert geo("report", "--format", "docx", "--out", out, "--batch", bid, "--db", demo_path).returncode == 0
    text = text_of(out)
    assert "统计范围为：2023年第1期森林督查变化图斑" in text
    assert "共下发变化图斑60个" in text and "2022年第1期草原变化图斑共" not in text


# ------------------------------------------------------------------------------ the ledger
@pytest.fixture(scope="module")
def ledger(demo_master, tmp_path_factory):
    out = tmp_path_factory.mktemp("ledger") / "台账.xlsx"
    proc = geo("report", "--format", "xlsx", "--out", out, "--db", demo_master)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_the_ledger_has_a_sheet_per_layer_and_the_items(ledger, demo_master):
    wb = openpyxl.load_workbook(ledger)
    from geo import schema as S

    for lyr in S.LAYERS.values():
        assert lyr.zh.replace("/", "") in wb.sheetnames
    assert {"整改事项", "汇总指标", "分旗县"} <= set(wb.sheetnames)
    data = load(str(demo_master))
    ws = wb["整改事项"]
    head = [c.value for c in ws[1]]
    assert ["问题", "整改措施", "责任领导", "责任单位", "完成时限", "完成情况"] == [
        h for h in head if h in ("问题", "整改措施", "责任领导", "责任单位", "完成时限", "完成情况")]
    rows = pd.DataFrame([[c.value for c in r] for r in ws.iter_rows(min_row=2)], columns=head)
    items = data["items"]
    assert rows["问题"].tolist() == items["problem"].tolist()
    assert rows["整改措施"].tolist() == items["measures"].tolist()
    assert rows["责任单位"].tolist() == items["unit"].tolist()
    assert [d.date().isoformat() for d in rows["完成时限"]] == items["deadline"].tolist()
    words = {"done": "已完成整改", "in_progress": "正在整改", "long_term": "长期坚持"}
    assert rows["完成情况"].tolist() == [words[s] for s in items["status"]]


def test_the_ledger_layers_hold_every_feature_with_labels(ledger, demo_master):
    wb = openpyxl.load_workbook(ledger)
    data = load(str(demo_master))
    ws = wb["变化图斑"]
    head = [c.value for c in ws[1]]
    rows = pd.DataFrame([[c.value for c in r] for r in ws.iter_rows(min_row=2)], columns=head)
    assert len(rows) == len(data["change"])
    from geo import schema as S

    assert rows["状态"].value_counts().to_dict() == {S.label("status", k): v for k, v in data["change"]["status"].value_counts().items()}
    exp = expected(data, TODAY)
    assert int((rows["是否逾期"] == "是").sum()) == exp["all"]["overdue"]
    change_batches = data["batches"][data["batches"]["layer"] == "change"]  # (registers upload batches too)
    assert set(rows["批次"]) == set(change_batches["name"])
    assert len(list(wb["林长公示牌"].iter_rows(min_row=2))) == 942
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("A2", "B2", "C2", "D2"), ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(w and w >= 6 for w in widths), ws.title
        assert all(isinstance(c.value, str) and re.search(r"[\u4e00-\u9fff]", c.value) for c in ws[1]), ws.title
    # a long problem text is wrapped, not a 200-character column
    items = wb["整改事项"]
    assert items.column_dimensions["E"].width <= 42 and items["E2"].alignment.wrap_text


def test_the_ledger_as_of_a_date(demo_master, tmp_path):
    from geo.report import write_report

    out = write_report(open_store(str(demo_master)), "xlsx", tmp_path / "l.xlsx", settings=load_settings(),
                       as_of=BULLETIN_DAY)
    wb = openpyxl.load_workbook(out)
    data = load(str(demo_master))
    past = replay(data["change"], data["events"], "change", BULLETIN_DAY)
    ws = wb["变化图斑"]
    head = [c.value for c in ws[1]]
    rows = pd.DataFrame([[c.value for c in r] for r in ws.iter_rows(min_row=2)], columns=head)
    assert len(rows) == len(past)
    assert int((rows["状态"] == "已销号").sum()) == int((past["status"] == "closed").sum())
    assert int((rows["核查结论"] == "违法违规").sum()) == int((past["verdict"] == "illegal").sum())


# ------------------------------------------------------------------------------ files
def test_reports_are_written_whole_or_not_at_all(demo_path, tmp_path, monkeypatch):
    import geo.report as R

    out = tmp_path / "out"
    out.mkdir()
    target = out / "keep.docx"
    target.write_bytes(b"old")

    def boom(*a, **k):
        raise OSError("disk trouble")

    monkeypatch.setattr(R.os, "replace", boom)  # fail at the last step, after the bytes are written
    with pytest.raises(OSError):
        R.write_report(open_store(str(demo_path)), "docx", target, settings=load_settings())
    assert target.read_bytes() == b"old"
    assert [p.name for p in out.iterdir()] == ["keep.docx"]  # no half-written temporary file left


def test_bad_report_requests_are_refused(demo_path, tmp_path):
    from geo.errors import ValidationError
    from geo.report import write_report

    with pytest.raises(ValidationError):
        write_report(open_store(str(demo_path)), "pdf", tmp_path / "x.pdf", settings=load_settings())
    proc = geo("report", "--format", "docx", "--out", tmp_path, "--db", demo_path)
    assert proc.returncode == 2 and "文件夹" in proc.stderr


def test_reports_on_postgis(pg_url, tmp_path):
    from geo import demo as D
    from geo.report import write_report

    store_url = pg_url
    D.build(store_url, size=120, log=lambda *a: None)
    store = open_store(store_url)
    doc = write_report(store, "docx", tmp_path / "b.docx", settings=load_settings(), as_of=BULLETIN_DAY)
    book = write_report(store, "xlsx", tmp_path / "l.xlsx", settings=load_settings())
    exp = expected(load(store_url), BULLETIN_DAY, as_of=BULLETIN_DAY)["all"]
    assert f"共下发变化图斑{exp['total']}个，已完成核查{exp['verified']}个" in text_of(doc)
    assert len(list(openpyxl.load_workbook(book)["变化图斑"].iter_rows(min_row=2))) == 120
