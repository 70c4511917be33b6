"""Demo records of the pine-wilt registers, labelled as demo (``note`` = 演示数据), in the pine
forests of 阿尔山市 and 科右前旗 (樟子松/油松 plantations):

* three removal contractors: one certified, one whose certificate ran out this year (its late
  removals imported from a list are flagged), one barred after bad conduct;
* epidemic sites (疫点) listed in recent years, each with its yearly checks, one revoked after
  two quiet years;
* dead trees of last year and this year, most inside the sites: bagged or chipped on site within
  the 即死即清 days, two removed late, a few still waiting (one overdue), a third sampled.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from geo.core import crs as C
from geo.demo.common import DEMO_NOTE, insert_with_history, places, points_in
from geo.core.timeutil import to_utc_text
from geo.core.config import current

COUNTIES = ("152202", "152221")


def _at(day: dt.date, hour: float = 9.0) -> str:
    return to_utc_text(dt.datetime.combine(day, dt.time(int(hour), int(60 * (hour % 1)))))


def build(store, tx, ctx) -> int:
    rng, today = ctx["rng"], ctx["today"]
    contractors = _contractors(store, tx, rng, today)
    sites, site_geoms = _sites(store, tx, ctx, rng, today)
    return len(contractors) + len(sites) + _trees(store, tx, ctx, rng, today, contractors, site_geoms)


def _contractors(store, tx, rng, today) -> list[dict]:
    specs = [
        ("兴安盟绿源林业有害生物防治有限公司", "active", today.replace(month=1, day=1) - dt.timedelta(days=800),
         dt.date(today.year + 2, 6, 30)),
        ("阿尔山市森保技术服务有限公司", "active", dt.date(today.year - 3, 4, 1),
         today - dt.timedelta(days=min(150, (today - today.replace(month=1, day=1)).days // 2 + 1))),
        ("科右前旗林丰除治工程队", "barred", dt.date(today.year - 2, 3, 1), dt.date(today.year + 1, 3, 1)),
    ]
    rows = []
    for k, (name, status, start, end) in enumerate(specs):
        steps = []
        if status == "barred":
            steps = [(_at(today - dt.timedelta(days=60), 10), "staff", "barred", {},
                      "被自治区林学会记录不良行为，暂停承接疫木除治（演示）")]
        rows.append({"values": {"name": name, "credit_code": f"91152200MA0{rng.integers(10**6, 10**7)}X{k}",
                                "cert_no": f"内林防资字〔{start.year}〕第{int(rng.integers(100, 999))}号",
                                "cert_kind": "林业有害生物防治乙级", "cert_valid_from": start.isoformat(),
                                "cert_valid_to": end.isoformat(), "contact": ["王建国", "李海军", "张志强"][k],
                                "phone": f"139{int(rng.integers(10**7, 10**8))}", "note": DEMO_NOTE, "status": status},
                     "created": _at(start, 10), "steps": steps})
    ids = insert_with_history(store, tx, "pest_contractor", rows, [None] * len(rows),
                              comment=f"{DEMO_NOTE}：疫木除治施工单位名录")
    return [{**r["values"], "id": i} for r, i in zip(rows, ids)]


def _blob(center, area_mu: float, rng):
    epsg = f"EPSG:{C.gk3_epsg_for_lon(center.x)}"
    c = C.transform_geoms(np.array([center], dtype=object), C.CGCS2000, epsg)[0]
    r = np.sqrt(area_mu * 10000 / 15 / np.pi)
    angles = np.linspace(0, 2 * np.pi, 13)[:-1]
    radii = r * rng.uniform(0.75, 1.25, len(angles))
    ring = [(c.x + a * np.cos(t), c.y + a * np.sin(t)) for a, t in zip(radii, angles)]
    poly = shapely.Polygon(ring)
    return shapely.MultiPolygon([C.transform_geoms(np.array([poly], dtype=object), epsg, C.CGCS2000)[0]])


def _sites(store, tx, ctx, rng, today):
    polys = {str(k): g for k, g in zip(ctx["counties"]["district_adcode"], ctx["counties"].geometry.values)}
    y = today.year
    specs = [("152202", y - 2, "listed"), ("152202", y - 1, "listed"), ("152221", y - 1, "listed"),
             ("152221", y, "listed"), ("152202", y - 5, "revoked")]
    rows, geoms = [], []
    for code, listed, state in specs:
        g = _blob(points_in(polys[code].buffer(-0.1), 1, rng)[0], float(rng.uniform(300, 900)), rng)
        steps = []
        for year in range(listed, y + 1 if state == "listed" else y - 1):
            if year == today.year and today < dt.date(year, 11, 1):
                break  # this year's check comes in November
            status = "new" if year == listed else ("ongoing" if (state == "listed" or year < listed + 2) else "none")
            steps.append((_at(dt.date(year, 11, 20), 10), "staff", "listed",
                          {"last_year": year, "last_year_status": status}, f"{year}年度核查（演示）", "annual"))
        values = {"listed_year": listed, "note": DEMO_NOTE, "status": "listed"}
        if state == "revoked":
            day = dt.date(y - 1, 3, 20)
            steps.append((_at(day, 10), "staff", "revoked", {"revoked_on": day.isoformat(),
                                                             "revoke_doc": f"兴林草发〔{day.year}〕{int(rng.integers(10, 90))}号"},
                          "连续两年无疫情，经核查撤销疫点（演示）"))
        for s in steps:
            values.update(s[3])
        values["status"] = steps[-1][2] if steps else "listed"
        rows.append({"values": values, "created": _at(dt.date(listed, 9, 15), 10), "steps": steps})
        geoms.append(g)
    where = places(geoms, ctx)
    ha, mu, crs = C.areas_ha_mu(np.array(geoms, dtype=object))
    order = sorted(range(len(rows)), key=lambda j: rows[j]["created"])
    for i, r in enumerate(rows):
        v = r["values"]
        for k in ("county_code", "county", "township"):
            v[k] = where[k][i]
        v["name"] = f"{v['township'] or v['county']}松材线虫病疫点{order.index(i) + 1}号"
        v["area_ha"], v["area_mu"], v["area_crs"] = round(float(ha[i]), 4), round(float(mu[i]), 2), crs[i]
    insert_with_history(store, tx, "pest_site", [rows[j] for j in order], [geoms[j] for j in order],
                        comment=f"{DEMO_NOTE}：疫点认定")
    return rows, [(rows[j]["values"], geoms[j]) for j in order]


def _trees(store, tx, ctx, rng, today, contractors, sites) -> int:

    days = int(current().pine_clear_days)
    polys = {str(k): g for k, g in zip(ctx["counties"]["district_adcode"], ctx["counties"].geometry.values)}
    good, lapsed, _barred = contractors  # (barred after its work: it did none of these removals)
    lapsed_end = dt.date.fromisoformat(lapsed["cert_valid_to"])
    live = [(v, g) for v, g in sites if v["status"] == "listed" and int(v["listed_year"]) < today.year + 1]
    start = dt.date(today.year, 1, 1)
    rows, geoms = [], []
    plan = [("done", today.year)] * 70 + [("late", today.year)] * 2 + [("expired_import", today.year)] * 2 + \
           [("waiting", today.year)] * 3 + [("overdue", today.year)] + [("done", today.year - 1)] * 55
    for k, (state, year) in enumerate(plan):
        if rng.random() < 0.75 and live:
            v, g = live[int(rng.integers(0, len(live)))]
            p = points_in(g.geoms[0], 1, rng)[0]
        else:
            p = points_in(polys[str(rng.choice(COUNTIES))].buffer(-0.1), 1, rng)[0]
        span = max((today - start).days - days - 3, 1) if year == today.year else 300
        surveyed = (start if year == today.year else dt.date(year, 1, 1)) + dt.timedelta(days=int(rng.integers(0, span)))
        if state == "waiting":
            surveyed = today - dt.timedelta(days=int(rng.integers(0, max(days - 1, 1))))
        elif state == "overdue":
            surveyed = today - dt.timedelta(days=days + 4)
        elif state == "expired_import":
            surveyed = lapsed_end + dt.timedelta(days=3)
            if surveyed + dt.timedelta(days=5) > today:
                surveyed = today - dt.timedelta(days=5)
        surveyed = min(surveyed, today)
        count = int(rng.choice([1, 1, 1, 2, 2, 3, 5]))
        sampled = bool(rng.random() < 0.33)
        result = (str(rng.choice(["positive", "positive", "negative"])) if surveyed < today - dt.timedelta(days=7)
                  else "pending") if sampled else None
        values = {"tree_no": f"SC{year}{k:04d}", "surveyed_on": surveyed.isoformat(), "tree_count": count,
                  "species": str(rng.choice(["樟子松", "油松", "红松"], p=[0.6, 0.3, 0.1])), "sampled": sampled or None,
                  "test_result": result, "dbh_cm": int(rng.integers(12, 36)), "note": DEMO_NOTE, "status": "found"}
        rows.append({"state": state, "values": values, "created": _at(surveyed, 8), "steps": []})
        geoms.append(p)
    for r in rows:
        v, state = r["values"], r["state"]
        if state in ("waiting", "overdue"):
            continue
        surveyed = dt.date.fromisoformat(v["surveyed_on"])
        took = int(rng.integers(1, days + 1)) if state not in ("late",) else days + int(rng.integers(2, 6))
        if state == "expired_import":
            took = 2
        removed = min(today, surveyed + dt.timedelta(days=took))
        if state == "expired_import":
            who = lapsed
        elif removed <= lapsed_end and rng.random() < 0.4:
            who = lapsed
        else:
            who = good
        method = str(rng.choice(["bagging", "chipping", "burning", "other"], p=[0.5, 0.4, 0.05, 0.05]))
        fields = {"method": method, "removed_on": removed.isoformat(), "contractor_id": int(who["id"]),
                  "contractor": who["name"], "cert_no": who["cert_no"], "cert_valid_to": who["cert_valid_to"]}
        flags = {}
        if (removed - surveyed).days > days:
            flags["late_removal"] = (removed - surveyed).days - days
        if removed > dt.date.fromisoformat(who["cert_valid_to"]):
            flags["cert_expired"] = who["cert_valid_to"]
        if flags:
            fields["flags"] = flags
        note = "就地打包处理" if method == "bagging" else ("就地粉碎处理" if method == "chipping" else "清理完成")
        if state == "expired_import":
            note = "据施工单位报送清单补录"
        r["steps"].append((_at(removed, 16), "staff", "removed", fields, f"{note}（演示）"))
        if removed + dt.timedelta(days=5) <= today and rng.random() < 0.6:
            r["steps"].append((_at(removed + dt.timedelta(days=5), 10), "staff", "accepted", {}, "检查验收合格（演示）"))
        for s in r["steps"]:
            v.update(s[3])
        v["status"] = r["steps"][-1][2]
    where = places(geoms, ctx)
    for i, r in enumerate(rows):
        for k in ("county_code", "county", "township"):
            r["values"][k] = where[k][i]
    order = sorted(range(len(rows)), key=lambda j: rows[j]["created"])
    insert_with_history(store, tx, "deadtree", [rows[j] for j in order], [geoms[j] for j in order],
                        comment=f"{DEMO_NOTE}：松材线虫病枯死松树普查")
    return len(rows)
