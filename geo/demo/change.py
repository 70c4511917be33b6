"""The demo's change polygons: the batches, the polygons of each, the final status each reaches
and the event history that walks it there through the workflow, and the evidence files cited.

Part of the demo dataset (:mod:`geo.demo.build`, which re-exports these names).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.demo.admin import blobs, person_name, sample_in
from geo.core.timeutil import LOCAL_TZ, to_utc_text


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


def batch_specs(today: dt.date, size: int | None) -> list[BatchSpec]:
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


def status_path(final: str, verdict: str | None) -> list[str]:
    """The statuses a polygon passed through after 'issued', ending in ``final``."""
    if final == "issued":
        return []
    if verdict in ("legal", "no_change", "other") or final in ("verifying", "verified") and verdict != "illegal":
        full = ["verifying", "verified", "closed"]
    else:
        full = ILLEGAL_PATH
    return full[: full.index(final) + 1]


def change_polygons(specs, counties, zones, rng, today):
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
                centers[sel] = sample_in(geoms_by_code[code], int(sel.sum()), rng)
        forest = spec.kind == "forest"
        area_ha = rng.lognormal(np.log(0.8 if forest else 2.0), 0.8, n).clip(0.05, 40)
        geoms_vertices = int(rng.integers(9, 15))
        geoms = blobs(centers, area_ha * 10000, rng, vertices=geoms_vertices)
        county_geoms = np.array([geoms_by_code[codes[i]] for i in county_idx], dtype=object)
        # every polygon whole inside its county: those crossing the boundary are drawn again
        # around a new centre (no overlay operation, which GEOS can refuse on near-coincident edges)
        for _ in range(50):
            outside = np.flatnonzero(~shapely.within(geoms, county_geoms))
            if not len(outside):
                break
            for i in outside:
                centers[i] = sample_in(county_geoms[i], 1, rng)[0]
            geoms[outside] = blobs(centers[outside], area_ha[outside] * 10000 * 0.8 ** (_ + 1), rng,
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


def plan_of(frame: gpd.GeoDataFrame, specs, rng, today: dt.date):
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


def timelines(frame, final, verdict, specs, rng, today, actors, evidence):
    """Events and final attribute values for each polygon, walking the workflow in time order."""
    by_key = {s.key: s for s in specs}
    now = dt.datetime.now(LOCAL_TZ).replace(minute=0, second=0, microsecond=0)  # on the hour: the same demo all hour
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
        path = status_path(final[i], verdict[i])
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
                f["party"] = fmt.format(person_name(rng)[:2] if "{}" in fmt else "")
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


def evidence_files() -> dict[str, list[tuple[str, bytes, str]]]:
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
