"""A synthetic 小班 layer for the demo, labelled as such in its batch, source and note.

Real inventory sub-compartments are not public, so the demo makes them: on each real 兴安盟 county,
a few forest farms of contiguous cells (shared, jittered vertices: no overlaps), species and age
groups in proportions plausible for the county (larch and birch in 阿尔山, oak and birch in 科右前旗,
poplar and pine shelterbelts in the farming counties), stock volumes by age group, an earlier
survey five years before, and grassland 小班 beside them. Two farms per county sit on change
polygons verified illegal, so the illegal-loss figure has something to subtract.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geo.core import crs as C
from geo.demo.admin import local_at, sample_in

SOURCE = "演示：合成小班数据（非真实调查）"
NOTE = "合成演示数据，非真实森林资源调查"
SPECIES = {  # county -> (species, weight); grassland share of the cells
    "152202": ([("兴安落叶松", 0.6), ("白桦", 0.3), ("樟子松", 0.05), ("山杨", 0.05)], 0.1),
    "152221": ([("蒙古栎", 0.3), ("黑桦", 0.2), ("白桦", 0.15), ("山杨", 0.15), ("兴安落叶松", 0.1),
                ("樟子松", 0.1)], 0.3),
    "152222": ([("杨树", 0.4), ("榆树", 0.2), ("樟子松", 0.2), ("山杨", 0.2)], 0.5),
    "152223": ([("蒙古栎", 0.25), ("杨树", 0.3), ("兴安落叶松", 0.15), ("白桦", 0.15), ("樟子松", 0.15)], 0.4),
    "152224": ([("杨树", 0.4), ("樟子松", 0.25), ("油松", 0.15), ("榆树", 0.2)], 0.4),
    "152201": ([("杨树", 0.5), ("樟子松", 0.3), ("榆树", 0.2)], 0.3),
}
PLANTED = {"杨树", "樟子松", "油松"}
AGE_GROUPS = [("幼龄林", 0.2, 35, 12), ("中龄林", 0.35, 75, 28), ("近熟林", 0.2, 110, 42), ("成熟林", 0.2, 135, 55),
              ("过熟林", 0.05, 150, 75)]
GROWTH = {"兴安落叶松": 1.1, "樟子松": 1.0, "油松": 0.9, "白桦": 0.8, "黑桦": 0.75, "蒙古栎": 0.7, "山杨": 0.85,
          "杨树": 1.0, "榆树": 0.6}
CELL = (0.005, 0.004)  # degrees: about 390 m × 445 m at 46°N (≈ 17 ha)


def _farm(origin, rows: int, cols: int, rng) -> list:
    """Contiguous quadrilateral cells on a jittered vertex grid (neighbours share edges)."""
    x0, y0 = origin
    gx = x0 + np.arange(cols + 1)[None, :] * CELL[0] + rng.uniform(-0.0012, 0.0012, (rows + 1, cols + 1))
    gy = y0 + np.arange(rows + 1)[:, None] * CELL[1] + rng.uniform(-0.0010, 0.0010, (rows + 1, cols + 1))
    cells = []
    for r in range(rows):
        for c in range(cols):
            ring = [(gx[r, c], gy[r, c]), (gx[r, c + 1], gy[r, c + 1]), (gx[r + 1, c + 1], gy[r + 1, c + 1]),
                    (gx[r + 1, c], gy[r + 1, c])]
            cells.append(shapely.Polygon(ring))
    return cells


def build(store, tx, ctx) -> int:

    rng, counties, townships = ctx["rng"], ctx["counties"], ctx["townships"]
    illegal = store.read_layer("change", where={"verdict": "illegal"}, columns=["county_code"], tx=tx)
    rows = []
    for _, c in counties.iterrows():
        code = str(c["district_adcode"])
        species, grass_share = SPECIES.get(code, SPECIES["152201"])
        names, weights = zip(*species)
        weights = np.array(weights) / sum(weights)
        mine = illegal[illegal["county_code"] == code]
        origins = []
        for k in range(min(2, len(mine))):  # farms over polygons verified illegal
            cx, cy = shapely.point_on_surface(mine.geometry.iloc[int(rng.integers(0, len(mine)))]).coords[0]
            origins.append((cx - 1.5 * CELL[0], cy - 1.5 * CELL[1]))
        for pt in sample_in(c.geometry, 6 - len(origins), rng):
            origins.append((pt[0], pt[1]))
        for farm, origin in enumerate(origins, start=1):
            for cell_no, geom in enumerate(_farm(origin, 3, 4, rng), start=1):
                geom = shapely.make_valid(geom.intersection(c.geometry)) if not c.geometry.contains(geom) else geom
                if geom.is_empty or geom.area < 1e-7:
                    continue
                rec = dict(lin_ban=f"{farm:03d}", xiao_ban=f"{cell_no:03d}", county_code=code,
                           county=c["district_name"], source=SOURCE, note=NOTE, survey_year=2023, geometry=geom)
                u = rng.random()
                if u < grass_share:
                    rec.update(land_class="天然牧草地",
                               grass_type=str(rng.choice(["温性草甸草原", "温性典型草原", "低地草甸"])))
                elif u < grass_share + 0.05:
                    rec.update(land_class="灌木林地", species="山杏")  # no stock volume: not computed
                else:
                    sp = str(rng.choice(names, p=weights))
                    g = AGE_GROUPS[int(rng.choice(len(AGE_GROUPS), p=[a[1] for a in AGE_GROUPS]))]
                    vol = round(g[2] * GROWTH.get(sp, 0.8) * float(rng.uniform(0.8, 1.2)), 1)
                    rec.update(land_class="乔木林地", species=sp, age_group=g[0],
                               age=int(g[3] * float(rng.uniform(0.85, 1.15))),
                               origin="人工" if sp in PLANTED else "天然",
                               canopy=round(float(rng.uniform(0.3, 0.8)), 2), volume_per_ha=vol)
                    if rng.random() < 0.85:  # the earlier survey, five years before
                        rate = float(rng.uniform(0.015, 0.045)) * (1.4 if g[0] in ("幼龄林", "中龄林") else 0.7)
                        rec.update(prev_year=2018, prev_volume_per_ha=round(vol / (1 + rate) ** 5, 1))
                rows.append(rec)
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), crs=4490)
    # township of each cell, from the (derived) township boundaries
    pts = shapely.point_on_surface(frame.geometry.values)
    tree = shapely.STRtree(townships.geometry.values)
    fi, ti = tree.query(pts, predicate="within")
    town = np.full(len(frame), None, dtype=object)
    town[fi] = townships["name"].to_numpy()[ti]
    frame["township"] = town
    ha, mu, crs = C.areas_ha_mu(frame.geometry.values)
    frame["area_ha"], frame["area_mu"], frame["area_crs"] = ha.round(4), mu.round(2), crs
    frame["area_reported_ha"] = ha.round(2)
    at = local_at(dt.date(2024, 3, 15))
    bid = store.add_batch(tx, name="演示：合成森林资源小班（非真实数据）", layer="subcompartment", source=SOURCE,
                          file_name=None, uploaded_by="staff", uploaded_at=at, feature_count=len(frame),
                          note=NOTE)
    store.insert_features(tx, "subcompartment", frame, actor="staff", at=at, batch_id=bid,
                          comment="导入合成演示小班（非真实调查数据）")
    return len(frame)
