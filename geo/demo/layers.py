"""The demo's other layers: degraded-forest restoration areas (the bulletin's figures per
county), occupation plots, signboards and patrol tracks.

Part of the demo dataset (:mod:`geo.demo.build`, which re-exports these names).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.demo.admin import SHORT, blobs, person_name, sample_in
from geo.core.timeutil import LOCAL_TZ, to_utc_text, today_local
from geo.fieldwork.patrols import assess


# ------------------------------------------------------------------------------- other layers
RESTORATION_2023 = {"152222": 30000, "152201": 6200, "152221": 2000, "152223": 11000, "152224": 26000}
RESTORATION_2022 = {"152222": 21000, "152201": 5000, "152221": 9600, "152223": 14000, "152224": 12000}


def shape_of_area(center, area_mu, rng, within):
    geom = blobs(np.array([center]), np.array([area_mu * C.M2_PER_MU]), rng, vertices=14)[0]
    geom = shapely.make_valid(geom.intersection(within)) if not within.contains(geom) else geom
    return geom


def restoration_areas(counties, rng):
    rows = []
    geoms = dict(zip(counties["district_adcode"].astype(str), counties.geometry))
    names = dict(zip(counties["district_adcode"].astype(str), counties["district_name"]))
    for year, plan, stage in ((2023, RESTORATION_2023, "accepted"), (2022, RESTORATION_2022, "accepted")):
        for code, total in plan.items():
            parts = 4 if total >= 10000 else 2
            split = rng.dirichlet(np.ones(parts) * 4) * total
            split = np.round(split, 1)
            split[-1] = round(total - split[:-1].sum(), 1)
            for k, mu in enumerate(split):
                center = sample_in(geoms[code], 1, rng)[0]
                kind = "退化林修复-更替" if k % 2 == 0 else "退化林修复-抚育"
                rows.append(dict(project=f"{year}年{SHORT[code]}三北工程退化林修复项目（{k + 1}标段）",
                                 type=kind, county_code=code, county=names[code], year=year,
                                 planned_mu=float(mu), completed_mu=float(mu),
                                 budget_yuan=float(round(mu * 300, -2)),
                                 paid_yuan=float(round(mu * 300 * (1.0 if year == 2022 else 0.8), -2)),
                                 status=stage if not (year == 2023 and k == 1) else "self_checked",
                                 geometry=shape_of_area(center, mu, rng, geoms[code])))
    # grassland ecological restoration funds of 2020, as the bulletin states them
    for code, budget, paid in (("152221", 9_000_000.0, 4_440_000.0), ("152222", 1_630_000.0, 520_000.0)):
        center = sample_in(geoms[code], 1, rng)[0]
        rows.append(dict(project=f"2020年{SHORT[code]}草原生态修复治理项目", type="草原生态修复",
                         county_code=code, county=names[code], year=2020, planned_mu=30000.0,
                         completed_mu=30000.0, budget_yuan=budget, paid_yuan=paid,
                         status="spot_checked", geometry=shape_of_area(center, 30000, rng, geoms[code])))
    # this year's work, still under way
    this_year = today_local().year
    for code in ("152224", "152223", "152222"):
        center = sample_in(geoms[code], 1, rng)[0]
        rows.append(dict(project=f"{this_year}年{SHORT[code]}补植补造项目", type="补植补造",
                         county_code=code, county=names[code], year=this_year, planned_mu=5000.0,
                         completed_mu=float(rng.integers(0, 4000)), budget_yuan=1_500_000.0,
                         paid_yuan=float(rng.integers(2, 9)) * 100_000.0,
                         status="in_progress" if code != "152223" else "planned",
                         geometry=shape_of_area(center, 5000, rng, geoms[code])))
    frame = gpd.GeoDataFrame(rows, crs=4490)
    ha, mu, crs = C.areas_ha_mu(frame.geometry.values)
    frame["area_ha"], frame["area_mu"], frame["area_crs"] = ha.round(2), mu.round(1), crs
    return frame


def occupation_plots(counties, change, rng):
    geoms = dict(zip(counties["district_adcode"].astype(str), counties.geometry))
    names = dict(zip(counties["district_adcode"].astype(str), counties["district_name"]))
    plots = [
        ("突泉县红瑞采石场违法占用林地", "采石场", "突泉县红瑞采石场", "152224", "delisted",
         dict(found_on="2021-09-14", case_no="突林草罚立字〔2021〕第007号",
              decision_no="突林草罚决字〔2021〕第007号", fine_yuan=126000.0,
              restoration_required=True, delisted_on="2023-10-26",
              delisted_by="国家林业和草原局驻内蒙古自治区森林资源监督专员办事处",
              note="已全部整改完成，专员办验收，已摘牌"), 8.6),
        ("科尔沁右翼前旗建设项目使用林地问题", "建设项目", "科右前旗交通运输局", "152221", "delisted",
         dict(found_on="2021-05-20", case_no="前林草罚立字〔2021〕第012号",
              decision_no="前林草罚决字〔2021〕第012号", fine_yuan=0.0, restoration_required=False,
              delisted_on="2023-01-04", delisted_by="国家林业和草原局森林资源管理司",
              note="恢复办理建设项目使用林地手续，已摘牌"), 15.2),
        ("科右中旗高力板镇砂石料场占用草原", "采石场", "高力板砂石料场", "152222", "rectifying",
         dict(found_on="2023-06-02", case_no="中林草罚立字〔2023〕第021号",
              decision_no="中林草罚决字〔2023〕第021号", fine_yuan=48000.0,
              restoration_required=True, deadline=(today_local() + dt.timedelta(days=40)).isoformat()), 4.1),
        ("扎赉特旗巴彦高勒镇毁林开垦", "开垦", "村民周某", "152223", "penalized",
         dict(found_on="2024-04-11", case_no="扎林草罚立字〔2024〕第015号",
              decision_no="扎林草罚决字〔2024〕第015号", fine_yuan=23600.0, restoration_required=True), 2.3),
        ("阿尔山市白狼镇违规采矿", "矿山", "兴安盟宝力矿业有限公司", "152202", "case_filed",
         dict(found_on=(today_local() - dt.timedelta(days=60)).isoformat(),
              case_no=f"阿林草罚立字〔{today_local().year}〕第004号", restoration_required=True), 6.7),
        ("乌兰浩特市义勒力特镇违法建设", "建设项目", "义勒力特物流园", "152201", "found",
         dict(found_on=(today_local() - dt.timedelta(days=20)).isoformat(), restoration_required=True), 1.4),
        ("突泉县六户镇开垦草原", "开垦", "六户镇农牧业专业合作社", "152224", "accepted",
         dict(found_on="2023-08-30", case_no="突林草罚立字〔2023〕第019号",
              decision_no="突林草罚决字〔2023〕第019号", fine_yuan=15200.0,
              restoration_required=True), 3.2),
        ("科右前旗索伦镇非法采挖", "其他", "村民韩某", "152221", "rectifying",
         dict(found_on="2024-07-08", case_no="前林草罚立字〔2024〕第030号",
              decision_no="前林草罚决字〔2024〕第030号", fine_yuan=9800.0, restoration_required=True,
              deadline=(today_local() - dt.timedelta(days=30)).isoformat()), 0.9),
    ]
    rows = []
    illegal = change[change["verdict"] == "illegal"]
    for name, site, party, code, stage, extra, ha in plots:
        linked = illegal[illegal["county_code"] == code]["_row"].head(2).tolist()
        center = sample_in(geoms[code], 1, rng)[0]
        g = shape_of_area(center, ha * C.MU_PER_HA, rng, geoms[code])
        rows.append(dict(name=name, site_type=site, party=party, county_code=code, county=names[code],
                         status=stage, change_ids=linked, geometry=g, **extra))
    frame = gpd.GeoDataFrame(rows, crs=4490)
    a_ha, a_mu, a_crs = C.areas_ha_mu(frame.geometry.values)
    frame["area_ha"], frame["area_mu"], frame["area_crs"] = a_ha.round(2), a_mu.round(1), a_crs
    return frame


def signboards(zones, rng, total: int = 942):
    by_level = {"league": 2, "banner": 24}
    townships = zones[zones["level"] == "township"]
    villages = zones[zones["level"] == "village"]
    by_level["township"] = 2 * len(townships)
    by_level["village"] = total - sum(by_level.values())
    rows = []
    seq = 0
    per_village = np.full(len(villages), by_level["village"] // max(len(villages), 1))
    per_village[: by_level["village"] - per_village.sum()] += 1
    plan = [("league", zones[zones["level"] == "league"], [2]),
            ("banner", zones[zones["level"] == "banner"], [4] * 6),
            ("township", townships, [2] * len(townships)),
            ("village", villages, per_village.tolist())]
    for level, frame, counts in plan:
        for (_, z), k in zip(frame.iterrows(), counts):
            pts = sample_in(z.geometry, int(k), rng)
            for p in pts:
                seq += 1
                installed = dt.date(2021, 3, 1) + dt.timedelta(days=int(rng.integers(0, 700)))
                inspected = today_local() - dt.timedelta(days=int(rng.integers(5, 400)))
                phone = (f"0482-8{int(rng.integers(100000, 999999))}" if level in ("league", "banner")
                         else f"1{int(rng.choice([35, 38, 39, 50, 51, 58, 80, 86, 89]))}{int(rng.integers(10000000, 99999999))}")
                rows.append(dict(
                    board_no=f"XAM-{z['county_code'] if isinstance(z['county_code'], str) else '152200'}-{seq:04d}",
                    level=level,
                    chief_name=z["chief_name"], chief_post=z["chief_post"], zone_id=int(z["id"]),
                    zone_desc=z["name"], duties="组织领导责任区域森林草原资源保护发展工作，协调解决重点难点问题",
                    phone=phone, rangers=z["rangers"], county_code=z["county_code"], county=z["county"],
                    township=z["township"], installed_on=installed.isoformat(),
                    last_inspected_on=inspected.isoformat(), status="ok", geometry=shapely.Point(p)))
    frame = gpd.GeoDataFrame(rows, crs=4490)
    # a few recorded as stale by inspectors, some damaged (boards whose chief later changed post are
    # found by the post register: geo.chief.people.demo)
    idx = rng.choice(len(frame), 20, replace=False)
    _ = [person_name(rng) for _ in range(12)]  # (keeps the random stream, and so the demo, as before)
    frame.loc[frame.index[idx[12:15]], "status"] = "stale"
    frame.loc[frame.index[idx[15:]], "status"] = "damaged"
    return frame


def patrols(zones, rng, n: int = 360):
    levels = [("ranger", 0.6, 4.0, "village"), ("village_chief", 0.12, 4.5, "village"),
              ("township_chief", 0.15, 25.0, "township"), ("banner_chief", 0.10, 30.0, "banner"),
              ("league_chief", 0.03, 35.0, "banner")]
    probs = np.array([p for _, p, _, _ in levels])
    choice = rng.choice(len(levels), n, p=probs / probs.sum())
    today = today_local()
    rows = []
    for k in choice:
        level, _, speed, zlevel = levels[k]
        zone = zones[zones["level"] == zlevel].sample(1, random_state=int(rng.integers(1 << 30))).iloc[0]
        start_pt = sample_in(zone.geometry, 1, rng)[0]
        m = int(rng.integers(25, 70))
        dt_min = rng.uniform(1, 3, m)
        kmh = speed * rng.uniform(0.6, 1.3, m)
        heading = np.cumsum(rng.normal(0, 0.5, m)) + rng.uniform(0, 2 * np.pi)
        step_km = kmh * dt_min / 60
        dx = step_km * np.cos(heading) / (111.32 * np.cos(np.deg2rad(start_pt[1])))
        dy = step_km * np.sin(heading) / 110.57
        xs = start_pt[0] + np.concatenate([[0], np.cumsum(dx)])
        ys = start_pt[1] + np.concatenate([[0], np.cumsum(dy)])
        day = today - dt.timedelta(days=int(rng.integers(0, 540)))
        t0 = dt.datetime.combine(day, dt.time(int(rng.integers(7, 15)), int(rng.integers(0, 60))), LOCAL_TZ)
        times = [t0] + [t0 + dt.timedelta(minutes=float(s)) for s in np.cumsum(dt_min)]
        line = shapely.LineString(np.column_stack([xs, ys]))
        rows.append(dict(actor=person_name(rng), actor_level=level, county_code=zone["county_code"],
                         county=zone["county"], township=zone["township"], zone_id=int(zone["id"]),
                         started_at=to_utc_text(times[0]), ended_at=to_utc_text(times[-1]),
                         times=[to_utc_text(t) for t in times], source_file="巡护APP导出.gpx",
                         geometry=line))
    frame = gpd.GeoDataFrame(rows, crs=4490)
    frame["length_km"] = C.lengths_km(frame.geometry.values).round(2)
    start = pd.to_datetime(frame["started_at"])
    end = pd.to_datetime(frame["ended_at"])
    frame["duration_h"] = ((end - start).dt.total_seconds() / 3600).round(2)
    frame["mean_kmh"] = (frame["length_km"] / frame["duration_h"]).round(1)

    frame["plausible"] = [assess(shapely.get_coordinates(g), t)["plausible"] for g, t in zip(frame.geometry, frame["times"])]
    return frame
