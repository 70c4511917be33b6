"""Demo records of the fire-prevention registers on the real 兴安盟 counties, shaped like the
seeds' figures and labelled as demo (``note`` = 演示数据):

* cameras and lookouts, most in the forested counties (阿尔山市, 科右前旗, 扎赉特旗), and a batch
  of junction cameras built this year ("2025年新建路口监控一批");
* hazards: 40 found this year of which 33 eliminated ("及时消除森林防火隐患33处"), 5 assigned
  (2 of them overdue), 2 just found; last year's all verified;
* fire breaks: this year's cleared km add up to 166 ("清理森林防火阻隔带166公里"), two breaks
  still to clear; last year's on mostly the same lines.

Every record carries the history that led to it (dated events), so figures as of earlier days
replay it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely

from geo.core import crs as C
from geo.demo.common import DEMO_NOTE, insert_with_history, places, points_in
from geo.core.timeutil import to_utc_text
from geo.store.attribution import attribute

CAMERAS = {"152202": (12, 3), "152221": (10, 2), "152223": (8, 2), "152222": (6, 1), "152224": (5, 1),
           "152201": (3, 0)}  # county -> (mast cameras, lookout towers)
BREAK_WEIGHTS = {"152202": 5, "152221": 5, "152223": 4, "152222": 2, "152224": 2, "152201": 1}
HAZARD_TITLES = {
    "fuel": ["林缘可燃物堆积未清理", "林下枯枝落叶堆积", "秸秆堆放紧邻林地"],
    "fire_use": ["林区周边烧荒痕迹", "坟地祭祀用火隐患", "林区违规野外用火"],
    "power_line": ["输电线路穿越林区未清理通道", "线路下方树木超高"],
    "facility": ["防火警示牌损坏", "防火物资库房墙皮脱落", "蓄水池渗漏"],
    "access": ["防火通道被占用", "管护道路路面破损"],
    "other": ["林区施工作业未报备"],
}


def _at(day: dt.date, hour: float = 9.0) -> str:
    return to_utc_text(dt.datetime.combine(day, dt.time(int(hour), int(60 * (hour % 1)))))


def _county_polys(ctx) -> dict:
    c = ctx["counties"]
    return {str(k): g for k, g in zip(c["district_adcode"], c.geometry.values)}


def _short(name: str) -> str:
    return name.replace("科尔沁右翼", "科右")


def build(store, tx, ctx) -> int:
    rng, today = ctx["rng"], ctx["today"]
    n = _cameras(store, tx, ctx, rng, today)
    n += _hazards(store, tx, ctx, rng, today)
    n += _breaks(store, tx, ctx, rng, today)
    return n


# ------------------------------------------------------------------------------ cameras
def _cameras(store, tx, ctx, rng, today) -> int:
    polys = _county_polys(ctx)
    rows, geoms = [], []
    for code, (masts, towers) in CAMERAS.items():
        for kind, count, radius in (("camera", masts, (4000, 8000)), ("lookout", towers, (8000, 12000)),
                                    ("junction_camera", 2, (300, 800)), ("warning_post", 1, (30, 60))):
            for p in points_in(polys[code], count, rng):
                built = dt.date(int(rng.integers(2018, today.year)), int(rng.integers(3, 11)), int(rng.integers(1, 28)))
                if kind == "junction_camera":  # this year's batch of junction cameras
                    built = min(today, dt.date(today.year, 1, 1) + dt.timedelta(days=int(rng.integers(60, 200))))
                rows.append({"values": {"camera_kind": kind, "radius_m": float(round(rng.uniform(*radius), -1)),
                                        "height_m": {"camera": 25.0, "lookout": 18.0}.get(kind),
                                        "built_on": built.isoformat(), "status": "active", "note": DEMO_NOTE},
                             "created": _at(built, 16)})
                geoms.append(p)
    where = places(geoms, ctx)
    counters: dict = {}
    for i, r in enumerate(rows):
        v = r["values"]
        for k in ("county_code", "county", "township"):
            v[k] = where[k][i]
        town = v["township"] or _short(v["county"] or "")
        counters[(town, v["camera_kind"])] = counters.get((town, v["camera_kind"]), 0) + 1
        k = counters[(town, v["camera_kind"])]
        v["name"] = {"camera": f"{town}{k}号防火监控", "lookout": f"{town}瞭望塔{k}号",
                     "junction_camera": f"{town}路口监控{k}号", "warning_post": f"{town}语音警示杆{k}号"}[v["camera_kind"]]
        v["place"] = "进林路口" if v["camera_kind"] in ("junction_camera", "warning_post") else "山顶制高点"
        v["unit"] = f"{_short(v['county'] or '')}林业和草原局"
    # two cameras reported faulty this year, one old warning post retired
    masts = [i for i, r in enumerate(rows) if r["values"]["camera_kind"] == "camera"]
    for i in rng.choice(masts, 2, replace=False):
        day = today - dt.timedelta(days=int(rng.integers(5, 40)))
        rows[i]["values"]["status"] = "faulty"
        rows[i]["steps"] = [(_at(day, 10), "staff", "faulty", {}, "云台故障，画面中断（演示）")]
    posts = [i for i, r in enumerate(rows) if r["values"]["camera_kind"] == "warning_post"]
    i = int(rng.choice(posts))
    rows[i]["values"]["status"] = "retired"
    rows[i]["steps"] = [(_at(today - dt.timedelta(days=90), 10), "staff", "retired", {}, "设备老化，停用撤除（演示）")]
    order = sorted(range(len(rows)), key=lambda j: rows[j]["created"])
    insert_with_history(store, tx, "camera", [rows[j] for j in order], [geoms[j] for j in order],
                        comment=f"{DEMO_NOTE}：导入防火监控台账")
    return len(rows)


# ------------------------------------------------------------------------------ hazards
def _hazards(store, tx, ctx, rng, today) -> int:

    polys = _county_polys(ctx)
    start = dt.date(today.year, 1, 1)
    span = max((today - start).days, 1)
    plan = (["verified"] * 26 + ["rectified"] * 7 + ["assigned_late"] * 2 + ["assigned"] * 3 + ["found"] * 2)
    plan = [(s, today.year) for s in plan] + [("verified", today.year - 1)] * 18
    codes = list(CAMERAS)
    weights = np.array([4, 4, 3, 2, 2, 1], dtype=float)
    rows, geoms = [], []
    for state, year in plan:
        code = codes[int(rng.choice(len(codes), p=weights / weights.sum()))]
        cat = str(rng.choice(list(HAZARD_TITLES), p=[0.3, 0.2, 0.15, 0.15, 0.15, 0.05]))
        p = points_in(polys[code], 1, rng)[0]
        if cat == "fuel" and rng.random() < 0.5:  # a pile or a strip drawn as a small polygon
            r = np.sqrt(rng.uniform(2000, 20000) / np.pi) / 111_000
            p = shapely.buffer(p, r, quad_segs=6)
        if state == "found":
            found = today - dt.timedelta(days=int(rng.integers(0, 5)))
        elif state == "assigned_late":
            found = today - dt.timedelta(days=int(rng.integers(45, 80)))
        elif state == "assigned":
            found = today - dt.timedelta(days=int(rng.integers(5, 20)))
        elif year == today.year:  # rectified this year: found early enough to have been
            found = start + dt.timedelta(days=int(rng.integers(0, max(span - 30, 1))))
        else:
            found = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(60, 300)))
        found = min(found, today)
        rows.append({"state": state, "found": found, "cat": cat,
                     "values": {"title": str(rng.choice(HAZARD_TITLES[cat])), "hazard_category": cat,
                                "hazard_level": "major" if rng.random() < 0.1 else "general",
                                "found_on": found.isoformat(), "note": DEMO_NOTE,
                                "found_by": str(rng.choice(["护林员巡护发现", "乡镇防火检查", "旗县林草局排查"]))},
                     "created": _at(found, 8)})
        geoms.append(p)
    where = places(geoms, ctx)
    zones = ctx["zones"]
    zone_id, _ = attribute(np.array(geoms, dtype=object), zones[["id", "level", "geometry"]])
    chiefs = {int(z): (pid, name, title) for pid, z, name, title in
              tx.query("SELECT id, zone_id, holder_name, title FROM posts WHERE role = 'chief' AND status = 'filled'")}
    for i, r in enumerate(rows):
        v = r["values"]
        for k in ("county_code", "county", "township"):
            v[k] = where[k][i]
        if r["state"] == "found":
            continue
        found = r["found"]
        assigned = min(today, found + dt.timedelta(days=int(rng.integers(1, 4))))
        chief = chiefs.get(int(zone_id[i])) if zone_id[i] is not None else None
        who = {"unit": f"{v['township'] or v['county']}人民政府"}
        if chief:
            who.update(assignee=chief[1], assignee_post=int(chief[0]))
        deadline = found + dt.timedelta(days=30)
        steps = [(_at(assigned, 10), "staff", "assigned", {**who, "deadline": deadline.isoformat()},
                  "交办属地林长整改")]
        if r["state"] in ("rectified", "verified"):
            last = today if found.year == today.year else dt.date(found.year, 12, 31)
            fixed = min(last, assigned + dt.timedelta(days=int(rng.integers(3, 26))))
            measure = {"fuel": "清理可燃物，设置隔离带", "fire_use": "制止并教育，落实专人看护",
                       "power_line": "协调供电部门清理线路通道", "facility": "维修更换防火设施",
                       "access": "清除占道物品，修补路面", "other": "补办报备手续，落实防火措施"}[r["cat"]]
            steps.append((_at(fixed, 16), "staff", "rectified", {"measure": measure, "rectified_on": fixed.isoformat()},
                          "整改完成，已上传整改前后照片"))
            if r["state"] == "verified":
                check = min(last, fixed + dt.timedelta(days=int(rng.integers(1, 8))))
                steps.append((_at(check, 11), "staff", "verified",
                              {"verified_on": check.isoformat(), "verified_by": "旗县林草局"}, "现场核查合格，销号"))
        r["steps"] = steps
        for s in steps:
            v.update(s[3])
        v["status"] = steps[-1][2]
    order = sorted(range(len(rows)), key=lambda j: rows[j]["created"])
    insert_with_history(store, tx, "hazard", [rows[j] for j in order], [geoms[j] for j in order],
                        comment=f"{DEMO_NOTE}：森林防火隐患排查")
    return len(rows)


# ------------------------------------------------------------------------------ fire breaks
def _line(origin, km: float, rng):
    """A gently bending line of ``km`` kilometres (measured in its GK zone) from ``origin``."""
    epsg = f"EPSG:{C.gk3_epsg_for_lon(origin.x)}"
    x0, y0 = C.transform_geoms(np.array([origin], dtype=object), C.CGCS2000, epsg)[0].coords[0]
    heading = rng.uniform(0, 2 * np.pi)
    pts = [(x0, y0)]
    for _ in range(5):
        heading += rng.normal(0, 0.25)
        step = km * 1000 / 5
        pts.append((pts[-1][0] + step * np.cos(heading), pts[-1][1] + step * np.sin(heading)))
    return C.transform_geoms(np.array([shapely.LineString(pts)], dtype=object), epsg, C.CGCS2000)[0]


def _split(total: float, k: int, rng) -> list[float]:
    w = rng.uniform(0.5, 1.5, k)
    parts = np.round(total * w / w.sum(), 1)
    parts[-1] = round(total - parts[:-1].sum(), 1)
    return parts.tolist()


def _breaks(store, tx, ctx, rng, today) -> int:
    polys = _county_polys(ctx)
    codes = list(BREAK_WEIGHTS)
    weights = np.array(list(BREAK_WEIGHTS.values()), dtype=float)
    this = _split(166.0, 18, rng)  # the seed: 清理森林防火阻隔带166公里
    last = _split(151.4, 16, rng)  # (last year's two new lines take the last of these)
    lines = []
    for km in this + [9.5, 7.2]:
        code = codes[int(rng.choice(len(codes), p=weights / weights.sum()))]
        lines.append((code, _line(points_in(polys[code].buffer(-0.05), 1, rng)[0], km, rng), km))
    rows, geoms = [], []

    kinds: dict = {}

    def add(code, geom, km, year, state, k):
        kind = kinds.setdefault(k, str(rng.choice(["soil", "mowed", "green", "road"], p=[0.4, 0.3, 0.2, 0.1])))
        plan_day = dt.date(year, 1, 10)
        values = {"name": None, "year": year, "break_kind": kind, "width_m": {"soil": 15.0, "mowed": 20.0, "green": 30.0,
                                                                          "road": 6.0}[kind],
                  "note": DEMO_NOTE, "status": "planned"}
        steps = []
        if state in ("in_progress", "cleared"):
            end = today if year == today.year else dt.date(year, 12, 31)
            begin = min(end, dt.date(year, 3, 15) + dt.timedelta(days=int(rng.integers(0, 60))))
            steps.append((_at(begin, 9), "staff", "in_progress", {}, "开始清理"))
            if state == "cleared":
                done = min(end, begin + dt.timedelta(days=int(rng.integers(5, 40))))
                steps.append((_at(done, 17), "staff", "cleared", {"cleared_km": km, "cleared_on": done.isoformat()},
                              "清理完成，验收合格"))
        for s in steps:
            values.update(s[3])
        values["status"] = steps[-1][2] if steps else "planned"
        rows.append({"values": values, "created": _at(min(plan_day, today), 10), "steps": steps, "k": k, "code": code})
        geoms.append(geom)

    for k, (code, geom, km) in enumerate(lines):
        state = "cleared" if k < 18 else ("in_progress" if k == 18 else "planned")
        add(code, geom, km, today.year, state, k)
        if k < 14:  # last year's breaks: mostly the same lines, cleared in full or nearly
            add(code, geom, round(km * float(rng.uniform(0.9, 1.0)), 1), today.year - 1, "cleared", k)
    for k, km in enumerate(last[14:], start=100):
        code = codes[int(rng.choice(len(codes), p=weights / weights.sum()))]
        add(code, _line(points_in(polys[code].buffer(-0.05), 1, rng)[0], km, rng), km, today.year - 1, "cleared", k)
    where = places(geoms, ctx)
    lengths = C.lengths_km(np.array(geoms, dtype=object))
    for i, r in enumerate(rows):
        v = r["values"]
        for key in ("county_code", "county", "township"):
            v[key] = where[key][i]
        v["length_km"] = round(float(lengths[i]), 3)
        v["planned_km"] = v["length_km"]
        v["name"] = f"{v['township'] or _short(v['county'] or '')}{r['k'] % 100 + 1}号防火阻隔带"
        v["unit"] = f"{v['township'] or ''}防火专业队" if v["township"] else "旗县防火专业队"
    order = sorted(range(len(rows)), key=lambda j: rows[j]["created"])
    insert_with_history(store, tx, "firebreak", [rows[j] for j in order], [geoms[j] for j in order],
                        comment=f"{DEMO_NOTE}：年度防火阻隔带清理计划")
    return len(rows)
