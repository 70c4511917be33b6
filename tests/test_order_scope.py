"""林长令 carry no county of their own: they belong to the counties of the zones they address. An
inspector bound to a county sees only the orders addressing zones of his county — in the
register's list, a record and its history, the events, the ledger and the figures.

The demo has three orders: 〔上年〕1号 and 〔本年〕2号 to every banner, 〔本年〕1号 to 科右中旗, 扎赉特旗
and 突泉县 only. So 阿尔山市's inspector sees two, 突泉县's all three."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from geo.access.actors import resolve
from geo.core.config import Settings
from geo.core.errors import PermissionDenied
from geo.report import render
from geo.stats.summary import summary

ARXAN, TUQUAN = "152202", "152224"


def _order_ids(store) -> dict[str, int]:
    frame = store.read_layer("order", columns=["order_no", "addressed"], geometry=False)
    three = frame[~frame["addressed"].str.contains("阿尔山市")]
    assert len(frame) == 3 and len(three) == 1, "the demo's orders changed"
    return {"three_counties": int(three["id"].iloc[0]),
            "all": sorted(int(i) for i in frame["id"] if int(i) != int(three["id"].iloc[0]))}


def _as(store, who):
    return resolve(store, who, write=False)[0]


def test_an_inspector_lists_reads_and_follows_only_orders_addressing_his_county(demo_store):
    ids = _order_ids(demo_store)
    arxan, tuquan = _as(demo_store, "arxan_inspector"), _as(demo_store, "tuquan_inspector")
    assert sorted(arxan.read_layer("order", geometry=False)["id"].astype(int)) == ids["all"]
    assert arxan.count("order") == 2 and tuquan.count("order") == 3
    assert sorted(arxan.read_layer("order", ids=[ids["three_counties"], ids["all"][0]], geometry=False)["id"]) \
        == [ids["all"][0]]
    with pytest.raises(PermissionDenied) as err:
        arxan.get_feature("order", ids["three_counties"])
    assert "不涉及您负责的旗县" in err.value.zh
    with pytest.raises(PermissionDenied):
        arxan.history("order", ids["three_counties"])
    assert tuquan.get_feature("order", ids["three_counties"])["id"] == ids["three_counties"]
    seen = set(arxan.events("order")["feature_id"].astype(int))
    assert seen and seen <= set(ids["all"])
    assert ids["three_counties"] in set(tuquan.events("order")["feature_id"].astype(int))
    assert ids["three_counties"] not in set(arxan.events()[lambda e: e["layer"] == "order"]["feature_id"].astype(int))


def _ledger_orders(data: bytes) -> list[str]:
    ws = load_workbook(io.BytesIO(data))["林长令"]
    head = [c.value for c in ws[2]]
    col = head.index("令号")
    return sorted(r[col].value for r in ws.iter_rows(min_row=3) if r[col].value)


def test_the_ledger_lists_only_the_orders_of_the_inspectors_county(demo_store):
    ids = _order_ids(demo_store)
    numbers = dict(zip(demo_store.read_layer("order", columns=["order_no"], geometry=False)["id"].astype(int),
                       demo_store.read_layer("order", columns=["order_no"], geometry=False)["order_no"]))
    mine = _ledger_orders(render(_as(demo_store, "arxan_inspector"), "xlsx", settings=Settings()))
    assert mine == sorted(numbers[i] for i in ids["all"])
    assert len(_ledger_orders(render(_as(demo_store, "tuquan_inspector"), "xlsx", settings=Settings()))) == 3
    # the office's ledger of one county, from the whole store, the same
    assert _ledger_orders(render(demo_store, "xlsx", settings=Settings(), counties=[ARXAN])) == mine
    assert len(_ledger_orders(render(demo_store, "xlsx", settings=Settings()))) == 3


def test_the_figures_count_only_the_orders_and_responses_of_the_county(demo_store):
    arxan = summary(_as(demo_store, "arxan_inspector"), counties=[ARXAN])["registers"]["order"]
    assert arxan["orders"]["total"] == 2
    assert set(arxan["responses"]["by_county"]) <= {ARXAN}
    assert set(arxan["responses_overdue"]["by_county"]) <= {ARXAN}
    whole = summary(demo_store)["registers"]["order"]
    assert whole["orders"]["total"] == 3 and len(whole["responses"]["by_county"]) > 1
    # from the whole store for one county: the same as the inspector's
    assert summary(demo_store, counties=[ARXAN])["registers"]["order"]["orders"]["total"] == 2
    tuquan = summary(_as(demo_store, "tuquan_inspector"), counties=[TUQUAN])["registers"]["order"]
    assert tuquan["orders"]["total"] == 3 and set(tuquan["responses"]["by_county"]) <= {TUQUAN}
