"""Every filter of the leaders' screen is honoured by the documents it hands out: for a county, a
batch and a past date, the bulletin's and the ledger's figures equal the figures on the screen
(Streamlit AppTest) and ``stats --json`` with the same filters, and the scope is in the title; an
account limited to one county gets that county's documents."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest

from geo.core.config import load_settings
from geo.store import open_store
from tests.test_app import run_app
from tests.test_bulletin import without_bulletin_records

ROOT = Path(__file__).resolve().parent.parent
PAGE = "views/summary.py"
LEADER = {"name": "leader", "display_name": "盟林草局局长", "role": "leader", "counties": [], "disabled": False}
FIELDS = ("total", "verified", "illegal", "case_filed", "penalized", "rectified", "closed", "overdue")
SCREEN = {"total": "下发图斑", "verified": "已核查", "illegal": "违法图斑", "case_filed": "已立案", "penalized": "已处罚",
          "rectified": "已整改", "closed": "已销号", "overdue": "逾期"}


def settings(tmp_path):
    return dataclasses.replace(load_settings(env={"FOREST_CONFIG": str(tmp_path / "none.toml")}), bulletin={})


def screen_figures(at) -> dict:
    m = {x.label: x.value for x in at.metric}
    out = {k: int(m[label].replace(",", "")) for k, label in SCREEN.items()}
    out["fines_wan"] = m["罚款（万元）"].replace(",", "")
    return out


def bulletin_figures(data: bytes) -> tuple[dict, list[str]]:
    d = docx.Document(io.BytesIO(data))
    table = next(t for t in d.tables if t.rows[0].cells[0].text == "旗县市" and len(t.columns) == 11)
    total = [c.text for c in table.rows[-1].cells]
    assert total[0] == "合计"
    out = dict(zip(FIELDS, (int(v) for v in total[1:8] + [total[9]])))
    out["fines_wan"] = total[10]
    return out, [p.text for p in d.paragraphs]


def ledger_figures(data: bytes) -> tuple[dict, str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["分旗县"]
    head = [c.value for c in ws[2]]
    total = dict(zip(head, [c.value for c in list(ws.iter_rows(min_row=3))[-1]]))
    assert total["旗县市"] == "合计"
    names = {"total": "下发", "verified": "已核查", "illegal": "违法", "case_filed": "已立案", "penalized": "已处罚",
             "rectified": "已整改", "closed": "已销号", "overdue": "逾期"}
    out = {k: total[v] for k, v in names.items()}
    out["fines_wan"] = f"{total['罚款（万元）']:.2f}"
    return out, ws["A1"].value


def stats_figures(db, filters: dict) -> dict:
    args = [sys.executable, "-m", "geo", "stats", "--json", "--db", str(db)]
    if filters["as_of"]:
        args += ["--as-of", filters["as_of"].isoformat()]
    for b in filters["batch_ids"] or []:
        args += ["--batch", str(b)]
    for c in filters["counties"] or []:
        args += ["--county", c]
    c = json.loads(subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=True).stdout)["change"]
    out = {k: c[k] for k in FIELDS}
    out["fines_wan"] = f"{c['fines_yuan'] / 1e4:.2f}"
    return out


def documents_agree_with_the_screen(monkeypatch, demo_path, tmp_path, choose) -> tuple[list[str], str, dict]:
    from geo import report

    without_bulletin_records(open_store(str(demo_path)))
    at = run_app(monkeypatch, demo_path, PAGE, user=LEADER)
    choose(at)
    at.run()
    assert not at.exception, at.exception
    shown = screen_figures(at)
    filters = at.session_state["sum_report_filters"]  # what the page's download buttons pass
    store = open_store(str(demo_path))
    doc, paras = bulletin_figures(report.render(store, "docx", settings=settings(tmp_path), **filters))
    book, title = ledger_figures(report.render(store, "xlsx", settings=settings(tmp_path), **filters))
    assert doc == shown, (doc, shown)
    assert book == shown, (book, shown)
    assert stats_figures(demo_path, filters) == shown
    return paras, title, filters


def test_a_county(monkeypatch, demo_path, tmp_path):
    paras, title, filters = documents_agree_with_the_screen(
        monkeypatch, demo_path, tmp_path, lambda at: at.multiselect(key="sum_county").set_value(["152224"]))
    assert filters["counties"] == ["152224"]
    assert paras[0] == "兴安盟林业和草原局关于\n突泉县林长制整改进展情况的通报"
    assert any("变化图斑核查处置。突泉县共下发变化图斑" in p for p in paras)
    assert "突泉县" in title and "全盟" not in title


def test_a_batch(monkeypatch, demo_path, tmp_path):
    con_names = {b: n for b, n in zip(open_store(str(demo_path)).batches()["id"],
                                      open_store(str(demo_path)).batches()["name"])}
    bid = next(int(b) for b, n in con_names.items() if n == "2023年第1期森林督查变化图斑")
    paras, title, filters = documents_agree_with_the_screen(
        monkeypatch, demo_path, tmp_path, lambda at: at.multiselect(key="sum_batch").set_value([bid]))
    assert filters["batch_ids"] == [bid]
    assert paras[1] == "（2023年第1期森林督查变化图斑）"  # the subtitle names the scope
    assert "2023年第1期森林督查变化图斑" in title


def test_a_past_date(monkeypatch, demo_path, tmp_path):
    import datetime as dt

    day = dt.date(2023, 12, 9)
    paras, title, filters = documents_agree_with_the_screen(
        monkeypatch, demo_path, tmp_path, lambda at: at.text_input(key="sum_asof_text").set_value(day.isoformat()))
    assert filters["as_of"] == day
    assert "2023年12月9日" in paras and "截至2023年12月9日" in title
    assert any("现将全盟截至2023年12月9日的整改进展情况通报如下" in p for p in paras)


def test_a_county_account_gets_its_county(demo_path, tmp_path):
    """When the account is limited to counties (geo.access.auth.Access.counties), the documents are."""
    from geo import report
    from geo.access.auth import Access
    from geo.access.scope import ScopedStore

    store = ScopedStore(without_bulletin_records(open_store(str(demo_path))), Access(user="tq_leader", role="leader",
                                                           counties=frozenset({"152224"})))
    doc, paras = bulletin_figures(report.render(store, "docx", settings=settings(tmp_path)))
    assert paras[0] == "兴安盟林业和草原局关于\n突泉县林长制整改进展情况的通报"
    table = next(t for t in docx.Document(io.BytesIO(report.render(store, "docx", settings=settings(tmp_path)))).tables)
    assert [r.cells[0].text for r in table.rows[1:]] == ["突泉县", "合计"]
    # asking for another county gives nothing beyond the account's own
    with pytest.raises(Exception, match="旗县|count"):
        report.render(store, "docx", settings=settings(tmp_path), counties=["152223"])
    book, title = ledger_figures(report.render(store, "xlsx", settings=settings(tmp_path)))
    assert book == doc and "突泉县" in title
