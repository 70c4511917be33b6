"""Demo wood-processing enterprises on the real 兴安盟 counties, invented and labelled as demo.

About sixty small mills and furniture workshops (more in the farming counties, few in 阿尔山),
with valid-format but invented credit codes; some beside the demo's forest 小班 (so the forest
border is computed), the rest wherever. Last year's sample was drawn and fully checked and every
enterprise bordering forest land had its two fire inspections; this year's sample is about
seventy per cent done and some fire inspections are missing — the shape of the seeds' figures.
"""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geo.enterprise.enterprises import CODE_CHARS, credit_check_char
from geo.core import crs as C
from geo.demo.admin import local_at, person_name, sample_in
from geo.enterprise.samples import METHOD, draw, stratum
from geo.enterprise.enterprises import forest_border

NOTE = "演示数据（虚构企业）"
COUNT = {"152201": 14, "152202": 6, "152221": 12, "152222": 8, "152223": 12, "152224": 10}
WORDS = ["兴林", "宏达", "鑫源", "福森", "盛华", "嘉木", "永顺", "金桦", "广源", "森茂", "恒通", "瑞丰", "松源", "隆兴"]
KINDS = [("木材加工厂", "原木锯材加工", 800, 3000), ("木业有限公司", "板材、木方加工销售", 2000, 12000),
         ("家具厂", "实木家具制作", 300, 1500), ("木制品加工部", "木制品、农具加工", 100, 600),
         ("木材经销部", "木材经营（不加工）", 500, 2500)]
SOURCES = ["本地人工林采伐（凭采伐许可证）", "外购东北林区原木（附检疫证书、运输票据）", "进口俄罗斯樟子松板材",
           "本地杨树人工林间伐材"]
FINDINGS = ["部分原木无法提供来源证明", "检疫证书与到货数量不符"]


def _code(rng, county: str) -> str:

    org = "".join(str(int(d)) for d in rng.integers(0, 10, 8)) + str(rng.choice(list(CODE_CHARS[:10])))
    head = ("92" if rng.random() < 0.4 else "91") + county + org
    return head + credit_check_char(head)


def build(store, tx, ctx) -> int:

    rng, counties, townships, today = ctx["rng"], ctx["counties"], ctx["townships"], ctx["today"]
    forest = store.read_layer("subcompartment", where={"land_class": "乔木林地"}, columns=["county_code"], tx=tx)
    rows = []
    for _, c in counties.iterrows():
        code = str(c["district_adcode"])
        mine = forest[forest["county_code"] == code]
        n = COUNT.get(code, 6)
        words = [str(w) for w in rng.permutation(WORDS)]  # (no two of a county share a name)
        for k in range(n):
            geom = None
            for _ in range(12 if len(mine) and k < n * 0.4 else 0):  # beside forest: 60-260 m out of it
                poly = mine.geometry.iloc[int(rng.integers(0, len(mine)))]
                epsg = f"EPSG:{C.gk3_epsg_for_lon(poly.centroid.x)}"
                p = C.transform_geoms(np.array([poly], dtype=object), C.CGCS2000, epsg)[0]
                ring = p.buffer(float(rng.uniform(60, 260))).exterior
                pt = ring.interpolate(float(rng.uniform(0, ring.length)))
                cand = C.transform_geoms(np.array([pt], dtype=object), epsg, C.CGCS2000)[0]
                if not shapely.intersects(mine.geometry.to_numpy(), cand).any():
                    geom = cand
                    break
            if geom is None:
                geom = shapely.Point(*sample_in(c.geometry, 1, rng)[0])
            kind = KINDS[int(rng.integers(0, len(KINDS)))]
            word = words[k % len(words)]
            rows.append(dict(county_code=code, county=c["district_name"], geometry=geom, _kind=kind, _word=word,
                             credit_code=_code(rng, code), legal_person=person_name(rng),
                             phone=f"1{int(rng.choice([35, 39, 50, 58, 86]))}{int(rng.integers(10000000, 99999999))}",
                             business=kind[1], capacity_m3=float(int(rng.integers(kind[2], kind[3])) // 50 * 50),
                             wood_source=SOURCES[int(rng.integers(0, len(SOURCES)))], note=NOTE,
                             borders_forest=bool(rng.random() < 0.2)))
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), crs=4490)
    pts = frame.geometry.to_numpy()
    fi, ti = shapely.STRtree(townships.geometry.values).query(pts, predicate="within")
    town = np.full(len(frame), None, dtype=object)
    town[fi] = townships["name"].to_numpy()[ti]
    frame["township"] = town
    frame["name"] = [f"{c.replace('科尔沁右翼', '科右')}{t or '' if k[0] != '木业有限公司' else ''}{w}{k[0]}"
                     for c, t, w, k in zip(frame["county"], town, frame["_word"], frame["_kind"])]
    frame["address"] = [f"{c}{t or ''}{int(rng.integers(1, 40))}号" for c, t in zip(frame["county"], town)]
    frame["licence_no"] = [f"兴林木加〔2023〕{i + 1:03d}号（演示）" for i in range(len(frame))]
    frame = frame.drop(columns=["_kind", "_word"])
    got = forest_border(store, tx, pts, frame["county_code"].tolist())
    basis, dist, borders = [], [], frame["borders_forest"].tolist()
    for i, g in enumerate(got):  # computed where the county has 小班, else the recorded value stands
        basis.append(g.get("border_basis", "recorded"))
        dist.append(g.get("forest_distance_m"))
        borders[i] = g.get("borders_forest", borders[i])
    frame["borders_forest"], frame["border_basis"], frame["forest_distance_m"] = borders, basis, dist
    at = local_at(dt.date(2024, 12, 20))
    ids = store.insert_features(tx, "enterprise", frame, actor="staff", at=at, action="create", record_values=True,
                                comment="木材经营加工企业排查造册登记（演示数据）")
    frame["id"] = ids
    population = {int(i): stratum(c, t) for i, c, t in zip(ids, frame["county"], frame["township"])}
    samples, checks = [], []
    border = frame.loc[frame["borders_forest"].astype(bool), "id"].astype(int).tolist()
    info = frame.set_index("id")
    for year, seed, drawn_on, done_share in ((today.year - 1, int(f"{today.year - 1}0301"), dt.date(today.year - 1, 3, 1),
                                             1.0), (today.year, int(f"{today.year}0302"), dt.date(today.year, 3, 2), 0.7)):
        chosen, strata = draw(population, seed, 0.30)
        samples.append(dict(year=year, seed=seed, share=0.30, population=len(population), size=len(chosen),
                            ids=json.dumps(chosen), population_ids=json.dumps({str(k): v for k, v in population.items()},
                                                                              ensure_ascii=False),
                            strata=json.dumps(strata, ensure_ascii=False), method=METHOD, note=NOTE,
                            _at=local_at(drawn_on, 10)))
        last = min(today, dt.date(year, 11, 15))
        span = max(1, (last - dt.date(year, 4, 1)).days)
        for fid in chosen[: int(round(len(chosen) * done_share))]:
            day = dt.date(year, 4, 1) + dt.timedelta(days=int(rng.integers(0, span)))
            bad = rng.random() < 0.06
            checks.append(dict(enterprise_id=fid, kind="source", checked_on=day.isoformat(), year=year,
                               result="problem" if bad else "pass", finding=FINDINGS[int(rng.integers(0, 2))] if bad else None,
                               measure="责令补齐来源证明，暂扣无证木材" if bad else None, inspector=person_name(rng), _sample=len(samples)))
        for fid in border:  # two fire inspections a year (spring and autumn fire seasons)
            times = 2 if year < today.year else int(rng.choice([2, 2, 2, 2, 1, 0]))
            for j in range(times):
                day = dt.date(year, 3 if j == 0 else 9, 10) + dt.timedelta(days=int(rng.integers(0, 40)))
                if day <= today:
                    checks.append(dict(enterprise_id=fid, kind="fire", checked_on=day.isoformat(), year=year,
                                       result="pass", inspector=person_name(rng), _sample=None))
    sids = []
    for s in samples:
        at_ = s.pop("_at")
        sids += store.insert_features(tx, "enterprise_sample", gpd.GeoDataFrame(pd.DataFrame([s]), geometry=[None],
                                                                                crs=4490),
                                      actor="staff", at=at_, action="create", record_values=True,
                                      comment=f"抽取{s['year']}年度木材来源抽查名单（演示数据）")
    checks.sort(key=lambda r: r["checked_on"])
    for r in checks:
        e = info.loc[r["enterprise_id"]]
        k = r.pop("_sample")
        r.update(enterprise_name=e["name"], county_code=e["county_code"], county=e["county"], township=e["township"],
                 sample_id=int(sids[k - 1]) if k else None, note=NOTE)
        store.insert_features(tx, "enterprise_check", gpd.GeoDataFrame(pd.DataFrame([r]), geometry=[None], crs=4490),
                              actor=r["inspector"], at=local_at(dt.date.fromisoformat(r["checked_on"]), 15),
                              action="create", record_values=True, comment="演示数据")
        field = "last_source_check" if r["kind"] == "source" else "last_fire_check"
        tx.execute(f"UPDATE wood_enterprises SET {field} = ? WHERE id = ?", [r["checked_on"], int(r["enterprise_id"])])
    return len(frame) + len(samples) + len(checks)
