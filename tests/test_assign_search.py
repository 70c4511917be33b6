"""Issue 22, sane input and a filter that cannot break: work is assigned only to enabled accounts
(the map's 批量指派 offers only them, the write path refuses any other), and a register's keyword
search reads records with missing values, lists and labels without failing."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.access.auth import assignees
from geo.core.errors import ValidationError
from geo.declare import registry as S
from geo.engine import search
from geo.engine import workflow as W
from tests.helpers import add_batch, insert, polygons


def _accounts(store):
    with store.transaction() as tx:
        for name, role, counties, disabled in (("tq", "inspector", ["152224"], False),
                                               ("tq_old", "inspector", ["152224"], True),
                                               ("jal", "inspector", ["152223"], False),
                                               ("staff", "staff", [], False)):
            store.put_user(tx, name=name, display_name=name, role=role, counties=counties, disabled=disabled)


def test_a_disabled_account_is_never_offered_nor_given_work(store):
    _accounts(store)
    assert sorted(assignees(store)) == ["jal", "tq"]  # enabled inspectors only
    assert assignees(store, ["152224"]) == ["tq"]  # the counties in view
    fid = insert(store, polygons(1), batch_id=add_batch(store))[0]
    for who, why in (("tq_old", "已停用"), ("nobody", "不存在")):
        with pytest.raises(ValidationError) as err:
            W.edit(store, "change", fid, actor="组长", fields={"assigned_to": who})
        assert why in err.value.zh
    assert store.get_feature("change", fid)["assigned_to"] is None
    W.edit(store, "change", fid, actor="组长", fields={"assigned_to": "tq"})
    assert store.get_feature("change", fid)["assigned_to"] == "tq"


def test_the_keyword_search_reads_missing_values_and_labels():
    lyr = S.layer("hazard")
    frame = pd.DataFrame({
        "id": [1, 2, 3, 4],
        "status": ["found", "rectified", None, "found"],
        "township": ["宝石镇", None, pd.NA, "宝石镇"],
        "grid": ["宝石镇2网格", float("nan"), None, "宝石镇1网格"],
        "note": [None, "已清理", "", "清理 可燃物"],
    })
    assert search.matches(lyr, frame, "宝石镇2网格").tolist() == [True, False, False, False]
    assert search.matches(lyr, frame, "宝石镇 网格").tolist() == [True, False, False, True]  # every word
    assert search.matches(lyr, frame, "清理").tolist() == [False, True, False, True]
    label = S.label("status", "rectified", layer="hazard")
    assert search.matches(lyr, frame, label).tolist()[1]  # a status as people read it
    assert search.matches(lyr, frame, "").all() and len(search.matches(lyr, frame.iloc[:0], "x")) == 0
