"""One definition of "awaiting review" (issue 21): the review page's header (the queue of a level),
its table by county and ``stats --json`` give the same counts and the same oldest wait, level by
level, on the demo (whose history has polygons waiting at both levels)."""

from __future__ import annotations

import json

import pandas as pd

from geo.change import review as R
from geo.change.review_figures import figures
from geo.store import open_store
from tests.review_support import geo_cli


def test_the_header_the_table_and_stats_agree_on_what_awaits_review(demo_master):
    store = open_store(str(demo_master))
    fig = figures(store)
    proc = geo_cli("stats", "--json", db=demo_master, check=0)
    stats = json.loads(proc.stdout)["review"]
    levels = R.levels()
    assert set(levels) == {"league", "province"}
    waiting = 0
    for level in levels:
        queue = R.queue(store, level)  # what the review page's header counts (no filter)
        assert len(queue), f"the demo should have polygons awaiting the {level}"
        oldest = int(pd.to_numeric(queue["age_days"]).max())
        assert len(queue) == fig["total"][f"awaiting_{level}"] == stats["total"][f"awaiting_{level}"], level
        assert oldest == fig["total"][f"oldest_{level}"] == stats["total"][f"oldest_{level}"], level
        by_county = queue.groupby("county_code").size().to_dict()
        table = {r["county_code"]: r[f"awaiting_{level}"] for r in fig["by_county"] if r[f"awaiting_{level}"]}
        assert by_county == table, level
        waiting += len(queue)
    assert fig["total"]["awaiting"] == waiting == stats["total"]["awaiting"]
    assert fig["total"]["oldest_days"] == max(fig["total"][f"oldest_{lv}"] for lv in levels)
