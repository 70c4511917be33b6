"""Demo 12345 complaints on the real 兴安盟 counties, invented and labelled as demo.

Last year: 84 complaints received, 84 closed, all rated satisfied or basically satisfied — the
seed's "接收12345热线84条，已办结84条，办结满意率100%". This year: fewer so far, a few still open and
two of them overdue, and three whose address names no known place (waiting to be placed by hand).
Most are placed by matching their address to the demo village list (invented village names inside
the real counties' derived townships); some carry coordinates, placed beside change polygons so
that the links show. Each one's history replays its steps (assigned, handled, replied).
"""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd
import shapely
from geo.demo.admin import sample_in
from geo.complaint import complaints as CP
from geo.demo.admin import local_at, person_name
from geo.engine import records
from geo.declare import registry as S

NOTE = "演示数据（虚构诉求）"
VILLAGE_WORDS = ["巴彦塔拉", "白音敖包", "哈拉黑", "乌兰毛都", "新发", "永丰", "太平川", "长胜", "前进", "红星", "东升",
                 "宝力格", "呼和哈达", "那仁", "富裕", "双合", "德胜", "平安", "兴隆", "胜利", "团结", "保安", "新立",
                 "三合", "吉祥", "查干", "额很", "苏布日格", "毛都", "乌力吉图"]
CATS = [("grazing", 0.35), ("occupation", 0.2), ("logging", 0.15), ("fire", 0.1), ("wildlife", 0.1), ("pest", 0.05),
        ("other", 0.05)]
TEXT = {
    "grazing": ("农林牧渔>草原保护>偷牧", "反映{v}有牧民在禁牧区偷牧，牛羊数十只，请尽快处理。"),
    "occupation": ("国土资源>林地草原>非法占用", "反映{v}有人开垦草原种地，面积较大。"),
    "logging": ("农林牧渔>林业>乱砍滥伐", "反映{v}后山有人盗伐杨树，已砍倒十余棵。"),
    "fire": ("应急管理>森林草原防火", "反映{v}附近有人烧荒冒烟，担心引发火情。"),
    "wildlife": ("农林牧渔>野生动物保护", "反映有人在{v}附近下套捕猎野生动物。"),
    "pest": ("农林牧渔>林业>病虫害", "反映{v}林地有成片树木枯死，疑似病虫害。"),
    "other": ("咨询>林草政策", "咨询{v}林木采伐许可证办理流程及所需材料。"),
}
HANDLING = {
    "grazing": "苏木镇林草站会同嘎查现场核实，对偷牧牧户进行批评教育并责令将牲畜圈养，已签订禁牧承诺书。",
    "occupation": "现场核实后移交综合行政执法大队立案查处，责令恢复植被。",
    "logging": "森林公安已到现场勘查，对盗伐人员依法处理，责令补植。",
    "fire": "护林员到场处置，已扑灭余火并对烧荒人员进行教育。",
    "wildlife": "已清除猎套12个，相关线索移交森林公安。",
    "pest": "已取样送检，组织专业队伍对枯死木进行清理。",
    "other": "已电话告知办理流程及所需材料。",
}


def _villages(townships, rng) -> gpd.GeoDataFrame:

    rows, used = [], set()
    for rec in townships.to_dict("records"):
        for _ in range(3):
            word = str(rng.choice(VILLAGE_WORDS))
            suffix = "嘎查" if rng.random() < 0.5 else "村"
            name = word + suffix
            if (rec["county_code"], name) in used:
                continue
            used.add((rec["county_code"], name))
            pt = sample_in(rec["geometry"], 1, rng)[0]
            rows.append(dict(name=name, township=rec["name"], county_code=rec["county_code"], county=rec["county"],
                             note="演示数据（虚构嘎查村名称，位置在推算的乡镇范围内）", geometry=shapely.Point(*pt)))
    return gpd.GeoDataFrame(rows, crs=4490)


def build(store, tx, ctx) -> int:

    rng, townships, today, zones = ctx["rng"], ctx["townships"], ctx["today"], ctx["zones"]
    villages = _villages(townships, rng)
    store.insert_features(tx, "village", villages, actor="staff", at=local_at(dt.date(2024, 1, 10)), action="create",
                          record_values=True, comment="导入嘎查村名录（演示数据）")
    lyr = S.layer("complaint")
    chiefs = {int(z["id"]): z for z in zones.to_dict("records")}
    illegal = store.read_layer("change", where={"verdict": "illegal"}, columns=["county_code"], tx=tx)
    plan = []  # (received day, final status, satisfaction)
    last = today.year - 1
    for k in range(84):
        day = dt.date(last, 1, 5) + dt.timedelta(days=int(k * 330 / 84 + rng.integers(0, 4)))
        plan.append((day, "replied", "satisfied" if rng.random() < 0.85 else "basic"))
    span = max(30, (today - dt.date(today.year, 1, 5)).days - 20)
    for k in range(33):
        day = dt.date(today.year, 1, 5) + dt.timedelta(days=int(k * span / 33))
        plan.append((day, "replied", "satisfied" if rng.random() < 0.85 else "basic"))
    for back, status in ((60, "assigned"), (45, "assigned"), (8, "handled"), (4, "assigned"), (2, "received"),
                         (1, "received")):
        plan.append((today - dt.timedelta(days=back), status, None))
    unplaced = {len(plan) - 3, len(plan) - 20, len(plan) - 40}
    vil = villages.to_dict("records")
    rows, geoms, cats = [], [], []
    for i, (day, final, sat) in enumerate(plan):
        cat = str(rng.choice([c for c, _ in CATS], p=[w for _, w in CATS]))
        v = vil[int(rng.integers(0, len(vil)))]
        ctext, content = TEXT[cat]
        geometry = None
        if i in unplaced:  # an address no gazetteer knows
            address = str(rng.choice(["国道111线旁树林", "S203省道北侧草场", "某水库下游"]))
            content = content.format(v="该处")
        elif len(illegal) and rng.random() < 0.15:  # coordinates from the caller's phone, beside a change polygon
            poly = illegal.geometry.iloc[int(rng.integers(0, len(illegal)))]
            c = shapely.point_on_surface(poly)
            geometry = shapely.Point(c.x + float(rng.uniform(-0.003, 0.003)), c.y + float(rng.uniform(-0.003, 0.003)))
            address = "来电人手机定位"
            content = content.format(v="定位点")
        else:
            short = v["county"].replace("科尔沁右翼", "科右")
            address = str(rng.choice([f"{short}{v['township']}{v['name']}", f"{v['township']}{v['name']}北山",
                                      f"{v['name']}附近"], p=[0.6, 0.3, 0.1]))
            content = content.format(v=v["name"])
        received = local_at(day, float(rng.uniform(8, 18)))
        values = {"ticket_no": f"{day:%Y%m%d}{i + 1:04d}", "received_at": received, "caller": person_name(rng),
                  "caller_phone": f"1{int(rng.choice([35, 39, 50, 58, 86]))}****{int(rng.integers(1000, 9999))}",
                  "address": address, "category_text": ctext, "content": content, "note": NOTE}
        values = CP.validate(store, records.check_values(lyr, values), None)
        values.update(category=cat, due_on=(day + dt.timedelta(days=CP.DAYS[cat])).isoformat())
        geometry, values = records.locate(store, tx, lyr, values, geometry)
        rows.append(values)
        geoms.append(geometry)
        cats.append(cat)
    for values, more in zip(rows, records.placed_many(store, tx, lyr, geoms, rows)):
        values.update(more)
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=4490)
    frame["status"], frame["version"], frame["created_at"] = "received", 1, frame["received_at"]
    ids = store.insert_features(tx, "complaint", frame, actor="12345热线", raw=True)
    store.add_events(tx, [("complaint", int(fid), r["received_at"], "12345热线", "create", None, "received",
                           json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False, default=str),
                           "12345热线工单导入（演示数据）", None, 1) for fid, r in zip(ids, rows)])
    n = len(ids)
    for fid, values, cat, (day, final, sat) in zip(ids, rows, cats, plan):
        fid = int(fid)
        steps = []
        if final in ("assigned", "handled", "replied"):
            zid = json.loads(values["zones"]) if isinstance(values.get("zones"), str) else (values.get("zones") or {})
            z = chiefs.get(zid.get("township")) or chiefs.get(zid.get("banner"))
            who = f"{z['chief_name']}（{z['chief_post']}）" if z is not None else f"{values.get('county') or '盟'}林草局"
            unit = f"{z['name']}林长" if z is not None else f"{values.get('county') or '兴安盟'}林业和草原局"
            steps.append(("assigned", 0, {"assignee": who, "assignee_unit": unit, "assigned_on": day.isoformat()}))
        if final in ("handled", "replied"):
            d = min(today, day + dt.timedelta(days=int(rng.integers(0, max(1, CP.DAYS[cat])))))
            steps.append(("handled", (d - day).days, {"handling": HANDLING[cat], "handled_on": d.isoformat()}))
        if final == "replied":
            d2 = min(today, day + dt.timedelta(days=max(steps[-1][1], int(rng.integers(0, CP.DAYS[cat] + 1)))))
            steps.append(("replied", (d2 - day).days, {"reply": "已按办理情况回复来电人。", "replied_on": d2.isoformat(),
                                                       "satisfaction": sat}))
        version = 1
        for to, offset, fields in steps:
            version = store.update_feature(tx, "complaint", fid, expected_version=version,
                                           changes={**fields, "status": to}, actor="staff", action="transition",
                                           at=local_at(day + dt.timedelta(days=offset), 17))
    return n + len(villages)
