"""A rectification item without a dated deadline breaks nothing: an item with no 完成时限, or one
whose list says 长期坚持, is counted (long-term apart from overdue) by the leaders' screen, the
bulletin, the ledger, the plan and the weekly brief, on the command line too; a deadline can be
set or cleared afterwards; an item can be withdrawn, with the reason in its history; a stale edit
is a conflict that names who changed the item and when."""

from __future__ import annotations

import json

import openpyxl
import pytest

from geo.access.auth import Access
from geo.core.config import load_settings
from geo.core.errors import ConflictError, TransitionError, ValidationError
from geo.items import items as I
from geo.report import write_report
from geo.report.brief import brief, brief_docx
from geo.stats.summary import summary
from tests.test_cli import geo

STAFF = Access("staff", "staff")


@pytest.fixture
def with_odd_items(demo_store):
    a = I.add(demo_store, actor="staff", access=STAFF, problem="无期限的事项", category="五大任务")
    b = I.add(demo_store, actor="staff", access=STAFF, problem="长期坚持的事项", deadline="长期坚持")
    return demo_store, a, b


def test_items_without_a_date_are_counted_and_reported(with_odd_items, demo_path, tmp_path):
    store, a, b = with_odd_items
    rows = store.items().set_index("id")
    assert rows.loc[a, "deadline"] is None and rows.loc[a, "status"] == "in_progress"
    assert rows.loc[b, "deadline"] is None and rows.loc[b, "status"] == "long_term"
    before = summary(store, use_cache=False)["items"]
    assert before["long_term"] >= 1 and before["total"] >= 2
    late = I.progress(store).set_index("id")["overdue"]
    assert not late.loc[a] and not late.loc[b]
    for fmt in ("docx", "xlsx", "plan-docx"):
        write_report(store, fmt, tmp_path / f"r.{fmt}", settings=load_settings())
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    texts = {str(v) for ws in sheet.worksheets for row in ws.iter_rows(values_only=True) for v in row if v}
    assert {"无期限的事项", "长期坚持的事项"} <= texts
    assert brief_docx(brief(store, settings=load_settings()), load_settings())  # the weekly brief
    out = geo("stats", "--json", db=demo_path, check=0)
    assert json.loads(out.stdout)["items"]["long_term"] == before["long_term"]
    geo("report", "--format", "docx", "--out", tmp_path / "b.docx", db=demo_path, check=0)


def test_a_list_whose_deadline_reads_long_term_imports(demo_store, tmp_path):
    path = tmp_path / "问题清单.csv"
    path.write_text("序号,问题,完成时限\n1,问题一,长期坚持\n2,问题二,2024年6月30日\n3,问题三,\n", encoding="utf-8")
    out = I.import_list(demo_store, path, actor="staff", access=STAFF)
    got = demo_store.items().set_index("id").loc[out["ids"], ["problem", "deadline", "status"]]
    assert got.values.tolist() == [["问题一", None, "long_term"], ["问题二", "2024-06-30", "in_progress"],
                                   ["问题三", None, "in_progress"]]
    bad = tmp_path / "bad.csv"
    bad.write_text("序号,问题,完成时限\n1,问题一,下个月吧\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        I.import_list(demo_store, bad, actor="staff", access=STAFF)
    assert "第 1 行" in err.value.zh and "下个月吧" in err.value.zh
    summary(demo_store, use_cache=False)  # and the figures still stand


def test_a_deadline_is_set_and_cleared_afterwards_and_a_stale_edit_is_a_conflict(with_odd_items):
    store, a, _ = with_odd_items
    v1 = int(store.items().set_index("id").loc[a, "version"])
    v2 = I.edit(store, a, actor="staff", access=STAFF, version=v1, fields={"deadline": "2020-01-31"})
    assert store.items().set_index("id").loc[a, "deadline"] == "2020-01-31"
    assert I.progress(store).set_index("id").loc[a, "overdue"]  # a dated deadline now in the past
    with pytest.raises(ConflictError) as err:  # someone still showing version 1
        I.edit(store, a, actor="admin", access=Access("admin", "admin"), version=v1, fields={"note": "旧页面"})
    assert "staff" in err.value.zh and "未保存" in err.value.zh
    I.edit(store, a, actor="staff", access=STAFF, version=v2, fields={"deadline": ""})
    assert store.items().set_index("id").loc[a, "deadline"] is None
    with pytest.raises(ValidationError, match="long-term"):
        I.edit(store, a, actor="staff", access=STAFF, version=None, fields={"deadline": "长期坚持"})


def test_an_item_is_withdrawn_with_its_reason_and_leaves_the_figures(with_odd_items):
    store, a, _ = with_odd_items
    total = summary(store, use_cache=False)["items"]["total"]
    with pytest.raises(TransitionError):
        I.transition(store, a, "withdrawn", actor="staff", access=STAFF, version=None)  # no reason given
    I.transition(store, a, "withdrawn", actor="staff", access=STAFF, version=None, comment="与第（3）项重复")
    assert store.items().set_index("id").loc[a, "status"] == "withdrawn"
    last = store.events("item", a).iloc[-1]
    assert last["to_status"] == "withdrawn" and last["comment"] == "与第（3）项重复"
    assert summary(store, use_cache=False)["items"]["total"] == total - 1
    I.transition(store, a, "in_progress", actor="staff", access=STAFF, version=None, comment="误撤销")
    assert summary(store, use_cache=False)["items"]["total"] == total
