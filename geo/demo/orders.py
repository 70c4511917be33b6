"""Demo 林长令: three orders of the league's chief with the counties' responses."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd

from geo.chief.orders import responses_text
from geo.core.timeutil import to_utc_text

ORDERS = [
    # (number, subject, content, issued days ago, deadline days ago (negative: ahead), addressed, responders)
    ("兴林长令〔{y0}〕1号", "关于全面加强森林草原防火工作的令",
     "各旗县市总林长要落实防火责任，清理防火阻隔带，加强重点时段巡护，于期限内书面反馈落实情况。",
     330, 270, "all", "all"),
    ("兴林长令〔{y}〕1号", "关于限期完成森林督查变化图斑整改销号的令",
     "对逾期未整改的森林督查变化图斑，旗县级林长要逐个督办，按期整改销号并反馈。",
     70, 10, ("152224", "152223", "152222"), ("152224", "152223")),
    ("兴林长令〔{y}〕2号", "关于开展林长公示牌信息更新的令",
     "林长调整后及时更新公示牌信息，确保公示内容与现任林长一致。",
     20, -25, "all", ("152201", "152221")),
]


def build(store, tx, ctx) -> int:
    """Three orders of the league's chief (林长令), addressed to county zones, with responses — one
    county late on an order whose deadline has passed."""
    today = ctx["today"]
    zones = ctx["zones"]
    banners = zones[zones["level"] == "banner"].sort_values("county_code")
    chief = tx.query_one("SELECT id, title, holder_name FROM posts WHERE level = 'league' AND role = 'chief' "
                         "ORDER BY id LIMIT 1")
    rows, plans = [], []
    for no, subject, content, ago, due_ago, to, responders in ORDERS:
        issued = today - dt.timedelta(days=ago)
        part = banners if to == "all" else banners[banners["county_code"].isin(to)]
        rows.append(dict(order_no=no.format(y=today.year, y0=today.year - 1), issued_on=issued.isoformat(),
                         issuer_post=int(chief[0]) if chief else None,
                         issuer=f"{chief[1]} {chief[2]}" if chief else "盟总林长", subject=subject, content=content,
                         addressed="、".join(part["name"]), deadline=(today - dt.timedelta(days=due_ago)).isoformat(),
                         status="open"))
        who = part if responders == "all" else part[part["county_code"].isin(responders)]
        plans.append((issued, today - dt.timedelta(days=due_ago), who))
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=4490)
    ids = []
    for rec, (issued, _, _) in zip(rows, plans):  # each created on its own day
        one = gpd.GeoDataFrame(pd.DataFrame([rec]), geometry=[None], crs=4490)
        ids += store.insert_features(tx, "order", one, actor="staff", at=to_utc_text(dt.datetime.combine(issued, dt.time(10))),
                                     action="create", comment="签发林长令", record_values=True)
    n_events = 0
    for fid, rec, (issued, due, who) in zip(ids, rows, plans):
        resp, version = [], 1
        addressed = set(int(z) for z in banners[banners["name"].isin(rec["addressed"].split("、"))]["id"])
        span = max(1, min((due - issued).days, (today - issued).days) - 1)
        for k, z in enumerate(who.to_dict("records")):
            day = issued + dt.timedelta(days=1 + (k * 7) % span)
            resp.append({"zone_id": int(z["id"]), "zone": z["name"], "on": day.isoformat(),
                         "by": "staff", "summary": "已部署落实，书面报告已报送林长办"})
            version += 1
            status = "done" if {r["zone_id"] for r in resp} >= addressed else "open"
            text = responses_text(resp)
            at = to_utc_text(dt.datetime.combine(day, dt.time(15)))
            tx.execute("UPDATE chief_orders SET responses = ?, status = ?, version = ?, updated_at = ?, "
                       "updated_by = ? WHERE id = ?", [text, status, version, at, "staff", int(fid)])
            store.add_events(tx, [("order", int(fid), at, "staff", "respond", "open", status,
                                   json.dumps({"responses": text}, ensure_ascii=False),
                                   f"{z['name']}反馈：已部署落实", None, version)])
            n_events += 1
    del frame
    return len(ids) + n_events
