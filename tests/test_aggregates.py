"""The pre-aggregated summary tables stay equal to counting the polygons and events live."""

from __future__ import annotations

import pandas as pd

from geo import workflow as W
from geo.store import facts
from tests.helpers import add_batch, insert, jpeg, polygons


def live_facts(store) -> pd.DataFrame:
    with store.transaction(write=False) as tx:
        names, rows = tx.columns(
            "SELECT batch_id, county_code, county, status, verdict, deadline, COUNT(*) AS n, "
            "COALESCE(SUM(fine_yuan), 0) AS fine_sum, COUNT(fine_yuan) AS fine_n, "
            "COALESCE(SUM(area_ha), 0) AS ha, COALESCE(SUM(area_mu), 0) AS mu FROM change_polygons "
            "GROUP BY batch_id, county_code, county, status, verdict, deadline")
    return pd.DataFrame(rows, columns=names, dtype=object)


def normal(frame: pd.DataFrame) -> list:
    out = []
    for r in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        out.append((None if r["batch_id"] is None else int(r["batch_id"]), r["county_code"] or None,
                    r["county"] or None, r["status"], r["verdict"] or None,
                    str(r["deadline"])[:10] if r["deadline"] else None, int(r["n"]),
                    round(float(r["fine_sum"]), 2), int(r["fine_n"]), round(float(r["ha"]), 6),
                    round(float(r["mu"]), 6)))
    return sorted(out, key=repr)


def test_facts_and_hours_follow_every_change(store):
    bid = add_batch(store)
    ids = insert(store, polygons(8, area_ha=[1.5] * 8, area_mu=[22.5] * 8), batch_id=bid)
    insert(store, polygons(3, x0=122.0, county_code="152223", county="扎赉特旗"))
    for fid in ids[:5]:
        W.transition(store, "change", fid, "verifying", actor="甲")
        W.transition(store, "change", fid, "verified", actor="甲", fields={"verdict": "illegal"})
    W.transition(store, "change", ids[0], "case_filed", actor="乙", fields={"case_no": "1"})
    W.transition(store, "change", ids[0], "penalized", actor="乙", fields={"decision_no": "2", "fine_yuan": 1758})
    W.transition(store, "change", ids[0], "rectifying", actor="乙", fields={"measure": "复绿", "deadline": "2025-01-31"})
    W.edit(store, "change", ids[1], actor="丙", fields={"county_code": "152223", "county": "扎赉特旗"})
    W.transition(store, "change", ids[6], "verifying", actor="甲")
    W.transition(store, "change", ids[6], "verified", actor="甲", fields={"verdict": "legal"})
    W.transition(store, "change", ids[6], "closed", actor="甲", attachments=[("a.jpg", jpeg())])
    with store.transaction(write=False) as tx:
        kept = facts.read_facts(tx)
    assert normal(kept) == normal(live_facts(store))
    hours = store.table("event_hours")
    ev = store.events("change", actions=["transition"])
    live = ev.assign(h=ev["at"].str.slice(0, 13)).groupby(["h", "to_status"]).size()
    kept_hours = hours[hours["n"].astype(int) != 0].set_index(["h", "to_status"])["n"].astype(int)
    assert kept_hours.sort_index().to_dict() == live.sort_index().to_dict()
    store.rebuild_cells()
    with store.transaction(write=False) as tx:
        assert normal(facts.read_facts(tx)) == normal(live_facts(store))
