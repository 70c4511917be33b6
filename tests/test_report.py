"""The bulletin's 公文 details and the ledger (.xlsx), read back with python-docx / openpyxl and
checked against counts made independently from the stored tables (see tests/test_stats.py and
tests/test_bulletin.py for the figures themselves)."""

from __future__ import annotations

import dataclasses
import datetime as dt
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

from geo.core.config import load_settings
from geo.store import open_store
from tests.test_bulletin import SEED, without_bulletin_records
from tests.test_stats import BULLETIN_DAY, TODAY, expected, load, official_polygons, replay

ROOT = Path(__file__).resolve().parent.parent


def geo(*args):
    proc = subprocess.run([sys.executable, "-m", "geo", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def settings(tmp_path, **bulletin):
    return dataclasses.replace(load_settings(env={"FOREST_CONFIG": str(tmp_path / "none.toml")}), bulletin=bulletin)


def text_of(path) -> str:
    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append("\t".join(c.text for c in row.cells))
    return "\n".join(parts)


def pct(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") + "%"


@pytest.fixture(scope="module")
def bulletin(demo_master, tmp_path_factory):
    """The seeds' bulletin of 2023-12-09, with their provenance and 公文 details."""
    from geo.report import write_report

    tmp = tmp_path_factory.mktemp("report")
    return write_report(open_store(str(demo_master)), "docx", tmp / "通报.docx", settings=settings(tmp, **SEED),
                        as_of=BULLETIN_DAY)


# ------------------------------------------------------------------------------ the bulletin
def test_the_bulletin_says_what_the_data_says(bulletin, demo_master):
    text = text_of(bulletin)
    data = load(str(demo_master))
    exp = expected(data, BULLETIN_DAY, as_of=BULLETIN_DAY)
    names = dict(zip(data["batches"]["id"].astype(int), data["batches"]["name"]))
    for bid, f in exp["batch"].items():
        sentence = (f"{names[bid]}共{f['total']}个，已完成核查{f['verified']}个，其中违法图斑{f['illegal']}个，"
                    f"已立案查处{f['case_filed']}个，收缴罚款{f['fines_yuan'] / 1e4:.2f}万元，已销号{f['closed']}个，"
                    f"销号率{pct(f['closed_pct'])}")
        assert sentence in text, sentence
    # the bulletin's own words for the forest batch of 2023 (seed 001), money to 2 decimals
    assert ("2023年第1期森林督查变化图斑共60个，已完成核查60个，其中违法图斑4个，已立案查处4个，"
            "收缴罚款23.60万元，已销号60个，销号率100%") in text
    assert "已在全盟设立林长公示牌942个" in text
    assert "2023年度计划完成生态修复任务7.52万亩，已完成7.52万亩" in text
    assert "科尔沁右翼中旗完成3万亩" in text and "突泉县完成2.6万亩" in text
    assert "突泉县红瑞采石场违法占用林地" in text and "已摘牌" in text


def test_the_bulletin_is_laid_out_as_an_official_document(bulletin):
    d = docx.Document(str(bulletin))
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(v.mm) for v in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [37, 35, 28, 26]
    # the document grid: 22 lines of 28 characters in the 156 x 225 mm 版心
    grid = sec._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars" and grid.get(qn("w:linePitch")) == "579"
    pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    assert int(156 / 25.4 * 72 // pitch) == 28

    def font(run):
        rfonts = run._element.rPr.find(qn("w:rFonts"))
        return rfonts.get(qn("w:eastAsia")), rfonts.get(qn("w:ascii")), run.font.size

    paras = d.paragraphs
    # 版头: the issuer in red 小标宋, the 发文字号 below it, a red rule
    mark = paras[0]
    assert mark.text == "中共兴安盟林业和草原局党组" and font(mark.runs[0])[0] == "方正小标宋简体"
    assert str(mark.runs[0].font.color.rgb) == "FF0000"
    number = next(p for p in paras if p.text == "兴林草党字〔2023〕41号")
    assert 'w:color="FF0000"' in number._p.xml and "<w:bottom" in number._p.xml
    title = next(p for p in paras if p.text.endswith("进展情况的通报"))
    assert title.alignment == 1 and font(title.runs[0]) == ("方正小标宋简体", "Times New Roman", Pt(22))
    h1 = next(p for p in paras if p.text.startswith("一、"))
    assert font(h1.runs[0])[0] == "黑体" and font(h1.runs[0])[2] == Pt(16)
    h2 = next(p for p in paras if p.text.startswith("（一）") and "方面" in p.text)
    assert font(h2.runs[0])[0] == "楷体_GB2312"
    body = next(p for p in paras if p.text.startswith("根据兴安盟委统一部署"))
    assert font(body.runs[0])[:2] == ("仿宋_GB2312", "Times New Roman") and body.runs[0].font.size == Pt(16)
    assert body._p.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    # the document defaults name the Chinese font too (no theme fonts to override it)
    defaults = d.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    assert defaults.get(qn("w:eastAsia")) == "仿宋_GB2312" and defaults.get(qn("w:eastAsiaTheme")) is None
    # the font table tells Word/WPS these are GB2312 fonts, so a missing one is substituted in kind
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    blob = d.part.part_related_by(RT.FONT_TABLE).blob.decode()
    for name in ("方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"):
        assert re.search(f'w:name="{name}".*?w:charset w:val="86"', blob, re.S), name
    # page numbers "— N —" in 宋体 四号, digits included: odd pages right, even pages left, one character in
    assert d.settings.odd_and_even_pages_header_footer
    for footer, align, side in ((sec.footer, 2, "right"), (sec.even_page_footer, 0, "left")):
        p = footer.paragraphs[0]
        assert p.alignment == align and "".join(r.text for r in p.runs) == "— 1 —"
        assert 'w:instrText xml:space="preserve"> PAGE <' in p._p.xml
        assert all(font(r)[0] == "宋体" and font(r)[1] == "宋体" and r.font.size == Pt(14) for r in p.runs)
        assert getattr(p.paragraph_format, f"{side}_indent") == Pt(14)


def test_the_signature_is_placed_as_for_an_unsealed_document(bulletin):
    """GB/T 9704 §7.3.5.2: the issuer two characters from the right, the date below starting two
    characters right of the issuer (the issuer moved left when the date is the longer)."""
    from geo.docs.layout import CHARS
    from geo.docs.text import width

    paras = docx.Document(str(bulletin)).paragraphs
    i = next(i for i, p in enumerate(paras) if p.text == "中共兴安盟林业和草原局党组" and i > 5)
    issuer, date = paras[i], paras[i + 1]
    assert date.text == "2023年12月9日" and paras[i - 1].text == ""

    def start(p):
        return int(p._p.pPr.find(qn("w:ind")).get(qn("w:leftChars"))) / 100

    assert start(issuer) + width(issuer.text) == CHARS - 2
    assert start(date) == start(issuer) + 2
    from geo.docs.layout import _signature  # a date longer than the issuer: the date 2 from the right
    doc = docx.Document()
    _signature(doc, ["某局", "2023年12月9日"])
    issuer, date = [p for p in doc.paragraphs if p.text]
    assert start(date) + width(date.text) == CHARS - 2 and start(issuer) == start(date) - 2


def test_the_record_and_attachments(bulletin):
    d = docx.Document(str(bulletin))
    paras = [p.text for p in d.paragraphs]
    note = paras.index("附件：1.各旗县市变化图斑核查整改情况表")
    assert paras[note + 1] == "2.各旗县市生态修复、公示牌和巡护情况表"
    a1 = paras.index("附件1")
    assert d.paragraphs[a1].paragraph_format.page_break_before
    record = d.tables[-1]
    assert [c.text for c in record.columns[0].cells] == [
        "抄送：盟委第三巡察组，盟委巡察工作领导小组办公室。", "兴安盟林业和草原局办公室\t2023年12月9日印发"]
    xml = record._tbl.xml
    assert 'w:tblpYSpec="bottom"' in xml and re.search(r'<w:top w:val="single" w:sz="8"', xml)
    assert re.search(r'<w:insideH w:val="single" w:sz="6"', xml)  # a thin rule between


def test_a_bulletin_regenerated_later_says_the_same(demo_path, tmp_path):
    from geo.engine import official
    from geo.engine import workflow as W
    from geo.report import write_report

    store = open_store(str(demo_path))
    s = settings(tmp_path)
    first = write_report(store, "docx", tmp_path / "a.docx", settings=s, as_of=BULLETIN_DAY)
    text = text_of(first)
    fid = int(store.read_layer("change", where={"status": "accepted"}, columns=[], geometry=False)["id"].iloc[0])
    from tests.helpers import pdf

    W.transition(store, "change", fid, "closed", actor="验收组", attachments=[("验收.pdf", pdf())])
    with store.transaction() as tx:
        iid = int(store.items()["id"].iloc[-1])
        store.update_item(tx, iid, expected_version=None, changes={"status": "done", "measures": "后来改写的措施"},
                          actor="staff")
    cand = int(store.batches().set_index("purpose").loc["candidate", "id"])
    official.promote(store, cand, actor="staff")  # promoted today: the bulletin of that day keeps it out
    again = write_report(store, "docx", tmp_path / "b.docx", settings=s, as_of=BULLETIN_DAY)
    assert text_of(again) == text
    now = write_report(store, "docx", tmp_path / "c.docx", settings=s)
    assert "后来改写的措施" in text_of(now) and "后来改写的措施" not in text


def test_saved_sections_and_recorded_actions(demo_path, tmp_path):
    from geo.access.auth import access_for
    from geo.core.errors import PermissionDenied
    from geo.report import records, write_report

    store = without_bulletin_records(open_store(str(demo_path)))
    records.add_action(store, on_date="2023-07-24", kind="group", title="成立局巡察整改工作领导小组", actor="staff")
    records.add_action(store, on_date="2023-08-22", kind="meeting", title="召开党组（扩大）会议部署整改工作",
                       actor="staff")
    records.add_action(store, on_date="2023-09-12", kind="system", title="联合盟检察分院印发《关于建立健全全盟林草"
                       "行政执法与检察公益诉讼协作机制的实施》", doc_no="兴检发〔2023〕12号", actor="staff")
    records.add_action(store, on_date="2024-01-05", kind="meeting", title="召开巡察整改推进会", actor="staff")
    records.set_text(store, "next_steps", "一是持续巩固整改成果。\n二是健全长效机制。", actor="leader")
    inspector = access_for({"name": "i", "role": "inspector", "counties": ["152224"]})
    with pytest.raises(PermissionDenied):
        records.set_text(store, "mechanism", "x", actor="i", access=inspector)
    text = text_of(write_report(store, "docx", tmp_path / "a.docx", settings=settings(tmp_path, **SEED),
                                as_of=BULLETIN_DAY))
    assert "（一）加强组织领导。2023年7月24日，成立局巡察整改工作领导小组；8月22日，召开党组（扩大）会议部署整改工作。" in text
    assert "巡察整改推进会" not in text  # recorded after that day
    assert "一是健全制度。2023年9月12日，联合盟检察分院印发" in text and "（兴检发〔2023〕12号）" in text
    steps = text[text.index("四、下一步工作安排"):]
    assert steps.startswith("四、下一步工作安排\n一是持续巩固整改成果。\n二是健全长效机制。\n欢迎广大干部群众")


def test_settings_from_the_file_and_the_store(demo_path, tmp_path):
    from geo.core.config import load_settings as load
    from geo.core.errors import ConfigError, ValidationError
    from geo.report import settings as rs

    cfg = tmp_path / "forest.toml"
    cfg.write_text('[bulletin]\ngenre = "inspection"\nteam = "盟委第三巡察组"\nfeedback_date = 2023-08-17\n',
                   encoding="utf-8")
    s = load(env={"FOREST_CONFIG": str(cfg)})
    assert s.bulletin == {"genre": "inspection", "team": "盟委第三巡察组", "feedback_date": "2023-08-17"}
    store = without_bulletin_records(open_store(str(demo_path)))
    assert rs.load(store, s).inspection
    rs.save(store, {"team": "盟委第一巡察组", "doc_number": "兴林草党字〔2024〕3号"}, actor="leader")
    got = rs.load(store, s)
    assert (got.team, got.doc_number, got.genre) == ("盟委第一巡察组", "兴林草党字〔2024〕3号", "inspection")
    rs.save(store, {"team": ""}, actor="leader")  # cleared: the file's value applies again
    assert rs.load(store, s).team == "盟委第三巡察组"
    with pytest.raises(ValidationError, match="date"):
        rs.save(store, {"feedback_date": "八月"}, actor="leader")
    cfg.write_text('[bulletin]\nfoo = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        load(env={"FOREST_CONFIG": str(cfg)})


def test_the_plan_lists_who_answers_for_what(demo_master, tmp_path):
    out = tmp_path / "plan.docx"
    proc = geo("report", "--format", "plan-docx", "--out", out, "--db", demo_master, "--as-of", "2023-12-09")
    assert proc.returncode == 0, proc.stderr
    d = docx.Document(str(out))
    assert d.sections[0].page_width > d.sections[0].page_height  # landscape
    rows = [[c.text for c in r.cells] for r in d.tables[0].rows]
    assert rows[0] == ["序号", "问题清单", "任务清单（整改措施）", "责任领导", "责任单位", "完成时限", "完成情况"]
    items = load(str(demo_master))["items"]
    assert [r[1] for r in rows[1:]] == items["problem"].tolist()
    assert [r[3] for r in rows[1:]] == items["leader"].tolist() and [r[4] for r in rows[1:]] == items["unit"].tolist()
    assert all(r[6].startswith(("已完成整改", "正在整改", "长期坚持")) for r in rows[1:])
    assert "<w:tblHeader/>" in d.tables[0].rows[0]._tr.xml


def test_report_cli_filters_and_refusals(demo_path, tmp_path):
    without_bulletin_records(open_store(str(demo_path)))
    data = load(str(demo_path))
    bid = int(data["batches"].set_index("name")["id"]["2023年第1期森林督查变化图斑"])
    out = tmp_path / "f.docx"
    proc = geo("report", "--format", "docx", "--out", out, "--batch", bid, "--county", "突泉县", "--db", demo_path,
               "--json")
    assert proc.returncode == 0, proc.stderr
    text = text_of(out)
    assert "（2023年第1期森林督查变化图斑）" in text and "关于\n突泉县林长制整改进展情况的通报" in text
    exp = expected(data, TODAY, batch_ids=[bid], counties=["152224"])["all"]
    assert f"突泉县共下发变化图斑{exp['total']}个" in text and "2022年第1期草原变化图斑共" not in text
    cand = int(data["batches"].set_index("purpose")["id"]["candidate"])
    proc = geo("report", "--format", "docx", "--out", out, "--batch", cand, "--db", demo_path)
    assert proc.returncode == 2 and "不计入统计" in proc.stderr and "promote" in proc.stderr
    proc = geo("report", "--format", "docx", "--out", out, "--county", "火星县", "--db", demo_path)
    assert proc.returncode == 2 and "未知旗县" in proc.stderr
    # an account limited to a county gets that county's bulletin
    proc = geo("report", "--format", "docx", "--out", out, "--actor", "tuquan_inspector", "--db", demo_path)
    assert proc.returncode == 0, proc.stderr
    assert "突泉县林长制整改进展情况的通报" in text_of(out)
    proc = geo("report", "--format", "docx", "--out", out, "--actor", "tuquan_inspector", "--county", "扎赉特旗",
               "--db", demo_path)
    assert proc.returncode == 2 and "本账号负责旗县" in proc.stderr


# ------------------------------------------------------------------------------ the ledger
@pytest.fixture(scope="module")
def ledger(demo_master, tmp_path_factory):
    out = tmp_path_factory.mktemp("ledger") / "台账.xlsx"
    proc = geo("report", "--format", "xlsx", "--out", out, "--db", demo_master)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def rows_of(ws) -> pd.DataFrame:
    head = [c.value for c in ws[2]]
    return pd.DataFrame([[c.value for c in r] for r in ws.iter_rows(min_row=3)], columns=head)


def test_every_sheet_has_a_title_print_setup_and_a_chinese_font(ledger):
    wb = openpyxl.load_workbook(ledger)
    from geo.declare import registry as S

    for lyr in S.LAYERS.values():
        assert lyr.zh.replace("/", "") in wb.sheetnames
    assert wb.sheetnames[:3] == ["汇总指标", "分旗县", "整改事项"]
    day = TODAY
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith("兴安盟林业和草原局整改台账·") and f"全盟，截至{day.year}年{day.month}月{day.day}日" in ws["A1"].value
        assert [str(r) for r in ws.merged_cells.ranges][0].startswith("A1:")
        assert ws.freeze_panes in ("A3", "B3", "C3", "D3"), ws.title
        assert ws.auto_filter.ref.startswith("A2:"), ws.title
        assert ws.print_title_rows == "$1:$2"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert all(isinstance(c.value, str) and re.search(r"[\u4e00-\u9fff]", c.value) for c in ws[2]), ws.title
        assert ws["A1"].font.name == "宋体" and ws["A2"].font.name == "宋体"
    assert wb._fonts[0].name == "宋体"  # the default font of every plain cell
    items = wb["整改事项"]
    assert items.column_dimensions["E"].width <= 42 and items["E3"].alignment.wrap_text


def test_the_county_sheet_adds_up_to_its_total(ledger, demo_master):
    ws = openpyxl.load_workbook(ledger)["分旗县"]
    rows = rows_of(ws)
    total = rows[rows["旗县市"] == "合计"].iloc[0]
    body = rows[rows["旗县市"] != "合计"]
    exp = expected(load(str(demo_master)), TODAY)["all"]
    assert total["下发"] == exp["total"] and total["逾期"] == exp["overdue"]
    for col in ("下发", "已核查", "违法", "已立案", "已处罚", "已整改", "已销号", "逾期", "公示牌（个）", "巡护次数"):
        assert body[col].fillna(0).sum() == total[col], col
    assert abs(body["罚款（万元）"].fillna(0).sum() - total["罚款（万元）"]) <= 0.005 * len(body)
    assert total["罚款（万元）"] == round(exp["fines_yuan"] / 1e4, 2)
    assert "盟本级" in set(body["旗县市"])  # the league's own boards, which belong to no county
    last = list(ws.iter_rows(min_row=3))[-1]
    assert last[2].font.bold


def test_the_layer_sheets_hold_the_counted_features_with_labels_dates_and_yes_no(ledger, demo_master):
    wb = openpyxl.load_workbook(ledger)
    data = load(str(demo_master))
    rows = rows_of(wb["变化图斑"])
    counted = official_polygons(data)
    auto = open_store(str(demo_master)).count("change", where={"source": "自动检测"})
    assert auto > 0 and len(rows) == len(counted) == len(data["change"]) - auto  # not the detection candidates
    from geo.declare import registry as S

    assert rows["状态"].value_counts().to_dict() == {S.label("status", k): v for k, v in counted["status"].value_counts().items()}
    assert int((rows["是否逾期"] == "是").sum()) == expected(data, TODAY)["all"]["overdue"]
    assert set(rows["巡护到访"].dropna()) <= {"是", "否"} and "是" in set(rows["巡护到访"])
    assert all(isinstance(v, dt.datetime) for v in rows["前期影像时间"].dropna())
    assert not {"版本", "更新人", "面积计算坐标系", "创建时间", "提示", "其他属性"} & set(rows.columns)
    # amounts rounded: 公顷 to 4 and 亩 to 2 decimals
    assert all(round(v, 4) == v for v in rows["上报面积(公顷)"].dropna())
    assert len(list(wb["林长公示牌"].iter_rows(min_row=3))) == 942
    pats = rows_of(wb["巡护轨迹"])
    assert all(isinstance(v, dt.datetime) for v in pats["开始时间"].dropna()) and set(pats["轨迹可信"].dropna()) <= {"是", "否"}
    items = rows_of(wb["整改事项"])
    assert items["问题"].tolist() == data["items"]["problem"].tolist()
    assert items["责任单位"].tolist() == data["items"]["unit"].tolist()
    assert [d.date().isoformat() for d in items["完成时限"]] == data["items"]["deadline"].tolist()
    assert all(v.startswith(("已完成整改", "正在整改", "长期坚持")) for v in items["完成情况"])
    assert set(items["是否超过完成时限"]) <= {"是", "否"}
    summary = rows_of(wb["汇总指标"])
    assert "未计入统计的图斑" in set(summary["类别"])


def test_internal_columns_when_asked_for(demo_master, tmp_path):
    out = tmp_path / "all.xlsx"
    assert geo("report", "--format", "xlsx", "--out", out, "--all-columns", "--db", demo_master).returncode == 0
    rows = rows_of(openpyxl.load_workbook(out)["变化图斑"])
    assert {"版本", "更新人", "面积计算坐标系"} <= set(rows.columns)


def test_the_ledger_as_of_a_date(demo_master, tmp_path):
    from geo.report import write_report

    out = write_report(open_store(str(demo_master)), "xlsx", tmp_path / "l.xlsx", settings=settings(tmp_path),
                       as_of=BULLETIN_DAY)
    wb = openpyxl.load_workbook(out)
    data = load(str(demo_master))
    past = replay(official_polygons(data), data["events"], "change", BULLETIN_DAY)
    rows = rows_of(wb["变化图斑"])
    assert len(rows) == len(past)
    assert int((rows["状态"] == "已销号").sum()) == int((past["status"] == "closed").sum())
    assert int((rows["核查结论"] == "违法违规").sum()) == int((past["verdict"] == "illegal").sum())
    assert "截至2023年12月9日" in wb["变化图斑"]["A1"].value


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
        R.write_report(open_store(str(demo_path)), "docx", target, settings=settings(tmp_path))
    assert target.read_bytes() == b"old"
    assert [p.name for p in out.iterdir()] == ["keep.docx"]  # no half-written temporary file left


def test_bad_report_requests_are_refused(demo_path, tmp_path):
    from geo.core.errors import ValidationError
    from geo.report import write_report

    with pytest.raises(ValidationError):
        write_report(open_store(str(demo_path)), "pdf", tmp_path / "x.pdf", settings=settings(tmp_path))
    proc = geo("report", "--format", "docx", "--out", tmp_path, "--db", demo_path)
    assert proc.returncode == 2 and "文件夹" in proc.stderr


def test_reports_on_postgis(pg_url, tmp_path):
    from geo.demo import build as D
    from geo.report import write_report

    D.build(pg_url, size=120, log=lambda *a: None)
    store = open_store(pg_url)
    doc = write_report(store, "docx", tmp_path / "b.docx", settings=settings(tmp_path, **SEED), as_of=BULLETIN_DAY)
    book = write_report(store, "xlsx", tmp_path / "l.xlsx", settings=settings(tmp_path))
    exp = expected(load(pg_url), BULLETIN_DAY, as_of=BULLETIN_DAY)["all"]
    assert f"全盟共下发变化图斑{exp['total']}个，已完成核查{exp['verified']}个" in text_of(doc)
    assert len(list(openpyxl.load_workbook(book)["变化图斑"].iter_rows(min_row=3))) == 120


def test_tables_inline_and_the_recipients_by_setting(demo_master, tmp_path):
    from geo.report import write_report

    s = settings(tmp_path, **SEED, tables="inline", recipients="盟委巡察工作领导小组办公室")
    paras = [p.text for p in docx.Document(str(write_report(open_store(str(demo_master)), "docx", tmp_path / "i.docx",
                                                            settings=s, as_of=BULLETIN_DAY))).paragraphs]
    title = next(i for i, p in enumerate(paras) if p.endswith("进展情况的通报"))
    assert paras[title + 2] == "盟委巡察工作领导小组办公室："  # one line below the title, flush left
    assert paras[title + 3].startswith("根据兴安盟委统一部署")
    caption = paras.index("表1  各旗县市变化图斑核查整改情况表（截至2023年12月9日）")
    assert paras.index("二、具体问题整改落实情况") < caption < paras.index("三、建立长效机制")
    assert "各旗县市变化图斑核查整改情况见表1，生态修复、林长公示牌和巡林巡护情况见表2。" in paras
    assert not [p for p in paras if p.startswith(("附件：", "附件1"))]


def test_control_characters_a_record_carries_do_not_break_a_document():
    """A value holding control characters (a pasted form feed, a NUL from a broken export) is text
    Word cannot hold: dropped, never an error that takes the whole bulletin with it (found by the
    property tests)."""
    import datetime as dt
    import io

    import docx

    from geo.docs.blocks import Block
    from geo.docs.layout import render

    hostile = "û\x1e\x05i\x00 整改\x0b完成\x0c"
    blocks = [Block("h1", hostile), Block("p", hostile, head=hostile),
              Block("table", rows=[["序号", "名称"], [1, hostile], [2, None]], caption=hostile)]
    data = render(blocks, title="测试", author="测试", day=dt.date(2026, 12, 7), historic=False)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    assert "ûi 整改完成" in text and "\x00" not in text and "\x1e" not in text
