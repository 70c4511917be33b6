"""Synthetic imagery over 兴安盟 for the demo store — labelled synthetic everywhere it shows.

The demo has no real imagery of 兴安盟, so this module paints some: three 4-band (red, green, blue,
NIR) 20 m scenes of one window of about 23 × 22 km inside the league, chosen where the demo's
current batch, its restoration areas and its re-vegetated closed polygons are densest:

* **2022-07-20** — before the 2022–2023 rectifications: the re-vegetated polygons and the
  restoration areas are bare or degraded;
* **a year before the current batch** — the landscape as it was;
* **shortly before the current batch was issued** — the current batch's polygons are cleared, a
  dozen *new* clearings no batch holds yet are cleared too, and a third of the re-vegetated places
  are still bare.

So on the demo store the detection finds the planted changes: the current batch's polygons (and
drops them as already issued) and the new clearings (a 自动检测 candidate batch); NDVI per polygon
shows the current batch's drops; the re-greening check flags the places left bare; the chips and
the offline basemap ``demo-synthetic`` show all of it. Every file carries ``SYNTHETIC=true`` and a
Chinese description, chips say 合成影像 and are stamped SYNTHETIC, the archive is labelled
（合成影像·演示）. The real MODIS pair is used only by the tests, at its true place.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from rasterio.features import rasterize
from rasterio.transform import from_origin
from scipy import ndimage

from geo.imagery import scenes as SC
from geo.core.timeutil import today_local
from geo.core.config import load_settings
from geo.imagery.regreen import CHANGE_DONE, RESTORATION_DONE, is_revegetation
from geo.imagery import basemap
from geo.imagery import detect, zonal

CRS = "EPSG:32651"
RES = 20.0
WINDOW_DEG = (0.30, 0.20)  # lon × lat
SENSOR = "合成影像"
TILES_NAME = "demo-synthetic"
TILES_LABEL = "兴安盟合成影像（演示）"
ROLES = {"red": 1, "green": 2, "blue": 3, "nir": 4}
EARLY = dt.date(2022, 7, 20)


def folders(store_url: str) -> tuple[Path, Path]:
    """Where the demo's scenes and tile archive go: beside a GeoPackage store (``data/imagery/…``
    and ``data/tiles`` for the default store), else the configured folders."""
    if not str(store_url).startswith("postgres"):
        base = Path(store_url).resolve().parent
        return base / "imagery" / "synthetic-demo", base / "tiles"

    s = load_settings()
    return Path(s.imagery_dir) / "synthetic-demo", Path(s.tiles_dir)


def _window(store, rng) -> tuple[shapely.Geometry, int, dict]:
    """The window (EPSG:4490 box inside the league) holding the most of what the imagery shows."""
    counties = store.read_layer("admin", where={"level": "county"}, columns=["code"])
    league = shapely.union_all(counties.geometry.values).buffer(0)
    shapely.prepare(league)
    batches = store.batches("change")
    cur = int(pd.to_numeric(batches["id"]).max())
    change = store.read_layer("change", columns=["batch_id", "status", "measure"])

    is_cur = change["batch_id"].astype(int).to_numpy() == cur
    reveg = (change["status"].isin(CHANGE_DONE) & change["measure"].map(is_revegetation).astype(bool)).to_numpy()
    rest = store.read_layer("restoration", columns=["status"])
    rest = rest[rest["status"].isin(RESTORATION_DONE)]
    pts = {"cur": shapely.centroid(change.geometry.values[is_cur]),
           "reveg": shapely.centroid(change.geometry.values[reveg]),
           "rest": shapely.centroid(rest.geometry.values)}
    w, h = WINDOW_DEG
    best, best_score = None, -1.0
    for centre in np.concatenate([pts["cur"], pts["rest"], pts["reveg"]]):
        box = shapely.box(centre.x - w / 2, centre.y - h / 2, centre.x + w / 2, centre.y + h / 2)
        if not league.contains(box):
            continue
        score = sum(weight * shapely.contains_xy(box, shapely.get_x(p), shapely.get_y(p)).sum()
                    for weight, p in ((2, pts["cur"]), (3, pts["reveg"]), (4, pts["rest"])))
        if score > best_score:
            best, best_score = box, score
    if best is None:  # a league too small for the window: its centre
        c = league.centroid
        best = shapely.box(c.x - w / 4, c.y - h / 4, c.x + w / 4, c.y + h / 4)
    return best, cur, {"score": float(best_score)}


def _grid(box) -> tuple[rasterio.Affine, int, int]:
    local = gpd.GeoSeries([box], crs=4490).to_crs(CRS).total_bounds
    left, bottom = np.floor(local[0] / RES) * RES, np.floor(local[1] / RES) * RES
    right, top = np.ceil(local[2] / RES) * RES, np.ceil(local[3] / RES) * RES
    return from_origin(left, top, RES, RES), int((right - left) / RES), int((top - bottom) / RES)


def _burn(geoms_4490, transform, shape) -> np.ndarray:
    if len(geoms_4490) == 0:
        return np.zeros(shape, dtype=bool)
    local = gpd.GeoSeries(geoms_4490, crs=4490).to_crs(CRS).values
    return rasterize(((g, 1) for g in local), out_shape=shape, transform=transform, fill=0, dtype="uint8").astype(bool)


def _landscape(shape, rng) -> np.ndarray:
    """NDVI of a plausible landscape: forest and grassland patches, fields, a river, a road, a town."""
    h, w = shape
    coarse = rng.normal(0.6, 0.16, (h // 40 + 3, w // 40 + 3))
    ndvi = ndimage.zoom(coarse, 40, order=3)[:h, :w]
    fields = ndimage.zoom(rng.uniform(0.35, 0.7, (h // 25 + 2, w // 25 + 2)), 25, order=0)[:h, :w]
    farm = ndimage.zoom(rng.random((h // 120 + 2, w // 120 + 2)), 120, order=1)[:h, :w] > 0.62
    ndvi = np.where(farm, fields, ndvi)
    yy, xx = np.mgrid[:h, :w]
    river = np.abs(yy - (h * 0.55 + h * 0.12 * np.sin(xx / w * 5.0 + 0.7))) < 3
    road = np.abs((xx - w * 0.3) - (yy - h * 0.1) * 0.35) < 1.2
    town = (np.abs(yy - h * 0.3) < h * 0.03) & (np.abs(xx - w * 0.65) < w * 0.04)
    ndvi = np.where(river, -0.15, np.where(road | town, 0.08, ndvi))
    return np.clip(ndvi + rng.normal(0, 0.02, shape), -0.3, 0.9).astype("float32")


def _bands(ndvi: np.ndarray, rng) -> np.ndarray:
    """Reflectance ×10000 (uint16) in red, green, blue, NIR whose NDVI is ``ndvi``: green
    vegetation, brown soil, dark water."""
    stops = np.array([-0.3, 0.0, 0.15, 0.45, 0.9])
    red = np.interp(ndvi, stops, [0.03, 0.06, 0.17, 0.09, 0.05])
    green = np.interp(ndvi, stops, [0.04, 0.07, 0.14, 0.11, 0.085])
    blue = np.interp(ndvi, stops, [0.06, 0.06, 0.11, 0.07, 0.05])
    nir = red * (1 + ndvi) / (1 - ndvi)
    out = np.stack([red, green, blue, nir]) * (1 + rng.normal(0, 0.01, (1,) + ndvi.shape))
    out[3] = out[0] * (1 + ndvi) / (1 - ndvi)  # NIR from the jittered red: NDVI stays exact
    return np.clip(out * 10000, 1, 65535).round().astype("uint16")


def _write(path: Path, ndvi: np.ndarray, day: dt.date, transform, rng, note: str) -> Path:
    tmp = path.with_suffix(".raw.tif")
    data = _bands(ndvi, rng)
    with rasterio.open(tmp, "w", driver="GTiff", width=ndvi.shape[1], height=ndvi.shape[0], count=4,
                       dtype="uint16", nodata=0, crs=CRS, transform=transform, tiled=True, compress="deflate") as dst:
        dst.write(data)
        dst.update_tags(SYNTHETIC="true", DATE=day.isoformat(), SENSOR=SENSOR, BAND_ROLES=json.dumps(ROLES),
                        DESCRIPTION=f"合成影像，仅供演示（{note}）；非真实遥感数据",
                        SOURCE="synthetic: geo/demo/imagery.py")
        for i, name in enumerate(("red", "green", "blue", "nir"), start=1):
            dst.set_band_description(i, name)
    SC.to_cog(tmp, path)
    tmp.unlink()
    return path


def _new_clearings(box, taken, rng, n: int = 12) -> list:
    """``n`` irregular clearings of 2–10 ha inside ``box``, away from every polygon in ``taken``."""
    shapely.prepare(taken)
    minx, miny, maxx, maxy = box.bounds
    out = []
    for _ in range(400):
        if len(out) >= n:
            break
        x = rng.uniform(minx + 0.02, maxx - 0.02)
        y = rng.uniform(miny + 0.02, maxy - 0.02)
        r = np.sqrt(rng.uniform(2, 10) * 10000 / np.pi) / 111_320
        ang = np.sort(rng.uniform(0, 2 * np.pi, 10))
        rad = r * rng.uniform(0.7, 1.2, 10)
        poly = shapely.Polygon(np.column_stack([x + rad * np.cos(ang) / np.cos(np.radians(y)), y + rad * np.sin(ang)]))
        poly = shapely.make_valid(poly)
        if taken.intersects(poly.buffer(0.004)) or any(p.buffer(0.004).intersects(poly) for p in out):
            continue
        out.append(poly)
    return out


def build(store, store_url: str, *, seed: int = 20231209, log=print, folder: Path | None = None,
          tiles_folder: Path | None = None) -> dict:
    """Paint, register and use the demo's synthetic imagery; returns what was made, with
    ``detected`` (the polygons of the 自动检测 candidate batch)."""

    rng = np.random.default_rng(seed + 14)
    default_folder, default_tiles = folders(store_url)
    folder = Path(folder or default_folder)
    tiles_folder = Path(tiles_folder or default_tiles)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    box, cur_bid, _ = _window(store, rng)
    transform, width, height = _grid(box)
    log(f"合成影像：兴安盟内 {width}×{height} 像元（{RES:g} 米）的演示影像 3 景 …")
    change = store.read_layer("change", bbox=box.bounds, columns=["batch_id", "status", "measure", "before_date",
                                                                    "after_date"])
    rest = store.read_layer("restoration", bbox=box.bounds, columns=["status"])
    is_cur = change["batch_id"].astype(int).to_numpy() == cur_bid
    reveg = (change["status"].isin(CHANGE_DONE) & change["measure"].map(is_revegetation).astype(bool)).to_numpy()
    done_rest = rest["status"].isin(RESTORATION_DONE).to_numpy()
    places = np.concatenate([change.geometry.values[reveg], rest.geometry.values[done_rest]])
    stay_bare = places[::3]  # every third re-vegetated place has not greened
    new = _new_clearings(box, shapely.union_all(np.concatenate([change.geometry.values, rest.geometry.values])),
                         rng)
    shape = (height, width)
    land = _landscape(shape, rng)
    dates = pd.to_datetime(change.loc[is_cur, "after_date"], errors="coerce").dropna()
    batch = store.batch(cur_bid)
    issued = dt.date.fromisoformat(str(batch["issued_on"])[:10])
    late = (dates.max().date() if len(dates) else issued - dt.timedelta(days=40))
    mid = late - dt.timedelta(days=365)
    early = land.copy()
    early[_burn(places, transform, shape)] = 0.14  # bare before the rectification
    early[_burn(rest.geometry.values[done_rest], transform, shape)] = 0.3  # degraded forest
    before = land + rng.normal(0, 0.015, shape).astype("float32")
    bare_still = _burn(stay_bare, transform, shape)
    before[bare_still] = 0.16
    after = land - 0.01 + rng.normal(0, 0.015, shape).astype("float32")
    after[bare_still] = 0.15
    after[_burn(change.geometry.values[is_cur], transform, shape)] = 0.12  # the current batch's changes
    after[_burn(np.asarray(new, dtype=object), transform, shape)] = 0.1  # new clearings, in no batch yet
    paths = []
    for day, ndvi, note in ((EARLY, early, "整改前"), (mid, before, "前一年"), (late, after, "本期下发前")):
        paths.append(_write(folder / f"synthetic_{day:%Y%m%d}.tif", ndvi, day, transform, rng, note))
    scenes = [SC.register_file(store, p, SC.inspect(p), actor="system") for p in paths]
    ndvi = zonal.batch_ndvi(store, cur_bid, folder=folder)
    found = detect.run(store, scenes[1].id, scenes[2].id, actor="system", threshold=0.2, min_area_mu=2.0,
                       folder=folder, name="演示：遥感自动检测疑似变化图斑（合成影像，NDVI 差值）",
                       verify_deadline=today_local() + dt.timedelta(days=30),
                       rectify_deadline=today_local() + dt.timedelta(days=150))
    log(f"  自动检测：{found['found']} 处 NDVI 显著下降，{found['already_issued']} 处为已下发图斑，"
        f"新登记候选图斑 {found['stored']} 个")
    tiles = basemap.build([paths[-1]], TILES_NAME, folder=tiles_folder, label=TILES_LABEL, force=True,
                          attribution="合成影像，仅供演示", synthetic=True)
    return {"scenes": [s.id for s in scenes], "window": list(box.bounds), "planted_new": len(new),
            "current_batch": cur_bid, "ndvi": ndvi, "detected": int(found["stored"]),
            "detected_batch": found["batch_id"], "already_issued": int(found["already_issued"]),
            "not_greened_planted": int(len(stay_bare)), "tiles": tiles}
