"""The ledger (台账) speaks the bureau's words: no internal key, id or Python value in any cell of
any sheet, the closure review's columns filled from the history, and a county's ledger holding
only that county's rows — the league-wide lists (marked 全盟名录) only in the league's ledger.

Read back with openpyxl from the demo store (built once per session, only read here)."""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest

from geo.core.config import Settings
from geo.declare import registry as S
from geo.report.ledger import LEAGUE_WIDE, REFS, ledger
from geo.store import open_store
from geo.store.attribution import LEVEL_ORDER

COUNTY = "152224"  # 突泉县
REVIEW_HEAD = ("复核方式", "复核结果", "复核意见", "退回原因")
# a header naming a person, a post, a zone or a listed unit: its cells are names, never bare numbers
PERSON_OR_POST = re.compile(r"林长|岗位|人$|人员|员$|责任区|单位（名录）|^企业$|抽查名单|重复图斑|关联图斑")


@pytest.fixture(scope="module")
def store(demo_master):
    return open_store(str(demo_master))


def _sheets(data: bytes) -> dict[str, dict]:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        width = len(rows[1])  # (a read-only sheet may leave out a row's empty cells at its end)
        out[ws.title] = {"title": rows[0][0], "head": rows[1],
                         "rows": [r + [None] * (width - len(r)) for r in rows[2:]]}
    return out


@pytest.fixture(scope="module")
def league(store):
    return _sheets(ledger(store, settings=Settings()))


@pytest.fixture(scope="module")
def county(store):
    return _sheets(ledger(store, settings=Settings(), counties=[COUNTY]))


def _column(sheet: dict, name: str) -> list:
    j = list(sheet["head"]).index(name)
    return [r[j] for r in sheet["rows"]]


def _keys() -> set[str]:
    """Every keyed value the system stores (statuses, option keys, label tables' keys, levels)."""
    keys = set(LEVEL_ORDER)
    for table in S.LABELS.values():
        keys |= {str(k) for k in table}
    for lyr in S.LAYERS.values():
        keys |= set(lyr.statuses)
        for table in lyr.labels.values():
            keys |= {str(k) for k in table}
        for f in lyr.fields:
            keys |= set(f.options)
    return {k for k in keys if re.fullmatch(r"[a-z][a-z_]*", k)}


def _ref_headers() -> set[str]:
    """The headers of fields that point to another register's record."""
    out = set()
    for lyr in S.LAYERS.values():
        for f in lyr.fields:
            if f.ref or (lyr.key, f.name) in REFS:
                out.add(f.zh)
    return out


def _offences(sheets: dict, accounts: set[str]) -> list[str]:
    keys, refs = _keys(), _ref_headers()
    found = []
    for name, sheet in sheets.items():
        for k, row in enumerate(sheet["rows"], start=3):
            for head, value in zip(sheet["head"], row):
                if value is None or head == "编号":
                    continue
                text = str(value)
                where = f"{name}!{head} (row {k}): {text[:80]!r}"
                if any(ch in text for ch in "{}[]'"):
                    found.append("Python value " + where)
                elif text in keys:
                    found.append("key " + where)
                elif text in accounts or any(f"（{a}）" in text for a in accounts):
                    found.append("account " + where)
                elif "nan" in re.split(r"[·：；、\s]", text):
                    found.append("nan " + where)
                elif isinstance(value, int) and not isinstance(value, bool) and (
                        head in refs or PERSON_OR_POST.search(str(head))):
                    found.append("id " + where)
    return found


def test_no_cell_holds_a_key_an_id_or_a_python_value(store, league, county):
    accounts = set(store.users()["name"])
    assert {"jalaid_inspector", "staff"} <= accounts
    offences = _offences(league, accounts) + _offences(county, accounts)
    assert not offences, "\n".join(offences[:40])
    # the columns that held ids and keys now hold names and labels
    changes = league["变化图斑"]
    zones = [v for v in _column(changes, "各级责任区") if v]
    assert zones and all(v.startswith("盟级：") and "旗县级：" in v for v in zones)
    assert any("另涉及：" in v for sheet in league.values() if "各级责任区" in sheet["head"]
               for v in _column(sheet, "各级责任区") if v)
    assert {"扎赉特旗核查员"} <= set(_column(changes, "核查人"))
    orders = league["林长令"]
    assert all(isinstance(v, str) and "孙宇涛" in v for v in _column(orders, "签发林长（岗位）"))
    hazards = league["森林防火隐患"]
    assert all(isinstance(v, str) and "林长" in v for v in _column(hazards, "责任林长岗位") if v is not None)
    names = set(store.read_layer("zone", columns=["name"], geometry=False)["name"])
    assert set(_column(league["林长公示牌"], "责任区")) - {None} <= names


def test_the_review_columns_come_from_the_history(store, league):
    rows = store.events("change", actions=["check", "transition"])
    checks = rows[rows["action"] == "check"]
    backs = rows[(rows["to_status"] == "returned") & (rows["from_status"] == "applied")]
    both = sorted(set(checks["feature_id"].astype(int)) & set(backs["feature_id"].astype(int)))
    sheet = league["变化图斑"]
    listed = {int(i): k for k, i in enumerate(_column(sheet, "编号"))}
    both = [f for f in both if f in listed]
    assert both, "the demo's history holds polygons checked and sent back by the league"
    state = store.read_layer("change", ids=both, columns=["returned_reason", "check_method"], geometry=False)
    cleared = [int(i) for i, r in zip(state["id"], state["returned_reason"]) if not r]
    assert cleared, "some of them went on (the record's own 退回原因 is cleared): only the history has it"
    head = list(sheet["head"])
    for fid in both:
        row = sheet["rows"][listed[fid]]
        cell = {h: row[head.index(h)] for h in REVIEW_HEAD}
        last = checks[checks["feature_id"].astype(int) == fid].iloc[-1]
        fields = last["fields"] if isinstance(last["fields"], dict) else json.loads(last["fields"])
        assert cell["复核方式"] == S.label("check_method", fields["check_method"]) in ("实地核查", "影像核查")
        assert cell["复核结果"] == S.label("check_result", fields["check_result"])
        assert cell["复核意见"] == fields["check_note"]
        reasons = backs[backs["feature_id"].astype(int) == fid]["comment"].tolist()
        assert cell["退回原因"] and cell["退回原因"].startswith("盟市审核退回（")
        assert all(r in cell["退回原因"] for r in reasons)


def test_a_county_ledger_holds_only_that_county(store, league, county):
    zone_county = dict(zip(*[store.read_layer("zone", columns=["name", "county_code"], geometry=False)[c]
                             for c in ("name", "county_code")]))
    wide = [name for name, sheet in league.items() if LEAGUE_WIDE in sheet["title"]]
    assert "疫木除治施工单位" in wide  # the contractors belong to no county
    assert set(county) == set(league) - set(wide)
    assert not any(LEAGUE_WIDE in s["title"] for s in county.values())
    for name, sheet in county.items():
        assert "突泉县" in sheet["title"], name
        head = list(sheet["head"])
        if "旗县代码" in head:
            assert set(_column(sheet, "旗县代码")) <= {COUNTY}, name
        if "旗县" in head:
            assert set(_column(sheet, "旗县")) <= {"突泉县"}, name
    assert all(str(c).startswith(COUNTY) for c in _column(county["行政区"], "代码"))
    assert set(_column(county["分旗县"], "旗县市")) == {"突泉县", "合计"}
    assert len(county["变化图斑"]["rows"]) == sum(c == COUNTY for c in _column(league["变化图斑"], "旗县代码"))
    # an order addressed to several counties: only this county's zones' responses (and late ones)
    orders = county["林长令"]
    assert orders["rows"]
    for head in ("反馈情况", "迟报责任区"):
        if head not in orders["head"]:
            continue
        for cell in _column(orders, head):
            for part in re.split(r"[\n、]", cell or ""):
                zone = re.sub(r"^\d{4}-\d{2}-\d{2} ", "", part).split("：")[0].split("（")[0]
                if zone:
                    assert zone_county.get(zone) == COUNTY, (head, part)
    # the league's ledger has the other counties' responses of the same orders
    answers = "\n".join(v for v in _column(league["林长令"], "反馈情况") if v)
    assert "扎赉特旗旗县级责任区" in answers and "扎赉特旗旗县级责任区" not in "\n".join(
        v for v in _column(orders, "反馈情况") if v)
