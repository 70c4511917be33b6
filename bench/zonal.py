"""NDVI per polygon at batch scale, and NDVI-drop detection, on a 5,000 × 5,000-pixel scene.

    .venv/bin/python bench/zonal.py --n 20000

Makes (or reuses, under /tmp/forest-bench-zonal) a synthetic NDVI scene of --size² pixels (int16
× 1e-4, nodata −3000, 10 m, UTM 51N over 兴安盟, with cloud gaps), a second scene with a few
hundred planted clearings, and N irregular polygons of 0.1–5 ha. Then, each in its own process
(so its peak memory is its own) and on the same files:

* ours: ``geo.imagery.zonal.scene_stats`` (label raster strip by strip, per-label reductions);
* rasterstats: ``rasterstats.zonal_stats`` (mean, median, count);
* exactextract: ``exactextract.exact_extract`` (mean, median, count), with both its
  feature-sequential and raster-sequential strategies, the faster taken as the baseline (its mean
  is weighted by each pixel's covered fraction, so only its time and memory are compared);
* detect: ``geo.imagery.detect.candidates`` on the pair, against the floor of reading both
  scenes and computing the NDVI difference.

Prints one JSON object per line. Goals: ≥5× faster than rasterstats at N = 20,000; no slower than
exactextract; means equal to rasterstats within 1e-6 where both count the same pixels.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = Path("/tmp/forest-bench-zonal")
ORIGIN = (383_330.0, 5_117_365.0)  # UTM 51N, 兴安盟 (about 121.5°E, 46.2°N)
RES = 10.0
NODATA = -3000


def make_rasters(size: int) -> tuple[Path, Path]:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from scipy import ndimage

    before, after = WORK / f"ndvi_before_{size}.tif", WORK / f"ndvi_after_{size}.tif"
    if before.exists() and after.exists():
        return before, after
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(14)
    coarse = rng.normal(0.6, 0.15, (size // 50 + 2, size // 50 + 2))
    ndvi = ndimage.zoom(coarse, 50, order=1)[:size, :size] + rng.normal(0, 0.04, (size, size))
    ndvi = np.clip(ndvi, -0.2, 0.95).astype("float32")
    clouds = ndimage.zoom(rng.random((size // 100 + 2, size // 100 + 2)), 100, order=1)[:size, :size] > 0.97
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "int16", "nodata": NODATA,
               "crs": "EPSG:32651", "transform": from_origin(*ORIGIN, RES, RES), "tiled": True,
               "blockxsize": 512, "blockysize": 512, "compress": "deflate"}
    raw = np.round(ndvi * 10000).astype("int16")
    raw[clouds] = NODATA
    with rasterio.open(before, "w", **profile) as dst:
        dst.write(raw, 1)
    yy, xx = np.ogrid[:size, :size]
    drop = np.zeros((size, size), dtype="float32")
    for _ in range(400):
        cy, cx, r = rng.integers(0, size), rng.integers(0, size), rng.integers(4, 40)
        y0, y1, x0, x1 = max(cy - r, 0), min(cy + r + 1, size), max(cx - r, 0), min(cx + r + 1, size)
        disk = (yy[y0:y1] - cy) ** 2 + (xx[:, x0:x1] - cx) ** 2 <= r * r
        drop[y0:y1, x0:x1][disk] = 0.45
    raw2 = np.round((ndvi - drop + rng.normal(0, 0.03, (size, size))) * 10000).clip(-10000, 10000).astype("int16")
    clouds2 = np.roll(clouds, size // 3, axis=1)
    raw2[clouds2] = NODATA
    with rasterio.open(after, "w", **profile) as dst:
        dst.write(raw2, 1)
    return before, after


def make_polygons(n: int, size: int) -> Path:
    import numpy as np
    import shapely

    path = WORK / f"polygons_{n}_{size}.npy"
    if path.exists():
        return path
    rng = np.random.default_rng(n)
    span = size * RES
    cx = rng.uniform(ORIGIN[0] + 150, ORIGIN[0] + span - 150, n)
    cy = rng.uniform(ORIGIN[1] - span + 150, ORIGIN[1] - 150, n)
    k = 11
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n, k)), axis=1)
    rad = rng.uniform(20, 120, (n, 1)) * rng.uniform(0.6, 1.0, (n, k))
    rings = np.stack([cx[:, None] + rad * np.cos(ang), cy[:, None] + rad * np.sin(ang)], axis=-1)
    rings = np.concatenate([rings, rings[:, :1]], axis=1)
    polys = shapely.make_valid(shapely.polygons(rings))
    np.save(path, shapely.to_wkb(polys), allow_pickle=True)
    return path


def _scene(path: Path, sid: int, day: str):
    import datetime as dt

    import rasterio
    from shapely.geometry import box

    from geo.imagery.scenes import Scene

    with rasterio.open(path) as src:
        b = src.bounds
    return Scene(id=sid, name=path.name, path=str(path), acquired_on=dt.date.fromisoformat(day), sensor="bench",
                 ndvi_band=1, scale=1e-4, nodata=NODATA, footprint=box(b.left, b.bottom, b.right, b.top),
                 crs="EPSG:32651", res_m=RES)


def worker(mode: str, raster: Path, polys: Path, other: Path, out: Path) -> dict:
    import numpy as np
    import shapely

    geoms = shapely.from_wkb(np.load(polys, allow_pickle=True)) if polys.exists() else None
    t = time.perf_counter()
    extra = {}
    if mode == "ours":
        from geo.imagery import zonal

        st = zonal.scene_stats(_scene(raster, 1, "2023-07-01"), geoms, crs="EPSG:32651")
        mean, count = st["mean"].to_numpy(), st["valid"].to_numpy()
    elif mode == "rasterstats":
        from rasterstats import zonal_stats

        rs = zonal_stats(list(geoms), str(raster), stats=["mean", "median", "count"], nodata=NODATA)
        mean = np.array([r["mean"] if r["mean"] is not None else np.nan for r in rs], dtype="float64") * 1e-4
        count = np.array([r["count"] or 0 for r in rs])
    elif mode.startswith("exactextract"):
        import geopandas as gpd
        from exactextract import exact_extract

        frame = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:32651")
        strategy = "raster-sequential" if mode.endswith("raster") else "feature-sequential"
        df = exact_extract(str(raster), frame, ["mean", "median", "count"], output="pandas", strategy=strategy)
        mean, count = df["mean"].to_numpy() * 1e-4, df["count"].to_numpy()
    elif mode == "detect":
        from geo.imagery import detect

        timings: dict = {}
        found = detect.candidates(_scene(raster, 1, "2023-07-01"), _scene(other, 2, "2024-07-01"),
                                  threshold=0.2, min_area_mu=1.0, timings=timings)
        mean, count = found["ndvi_change"].to_numpy(), found["pixels"].to_numpy()
        extra = {"polygons": int(len(found)), "regions": int(found.attrs["regions"]),
                 "steps_s": {k: round(v, 3) for k, v in timings.items()}}
    elif mode == "detect_floor":
        from geo.imagery import detect

        b, a, _, _ = detect._ndvi_pair(_scene(raster, 1, "2023-07-01"), _scene(other, 2, "2024-07-01"))
        diff = b - a
        mean, count = np.array([float(np.nanmean(diff))]), np.array([int(np.isfinite(diff).sum())])
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - t
    np.save(out, np.stack([np.asarray(mean, dtype="float64"), np.asarray(count, dtype="float64")]))
    rss = peak_rss_mb()
    return {"mode": mode, "seconds": round(seconds, 3), "rss_mb": round(rss, 1), **extra}


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it is not inherited from the
    parent across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(mode: str, raster: Path, polys: Path, other: Path) -> tuple[dict, "object"]:
    import numpy as np

    out = WORK / f"result_{mode}.npy"
    proc = subprocess.run([sys.executable, __file__, "--worker", mode, "--raster", str(raster), "--polys", str(polys),
                           "--other", str(other), "--out", str(out)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), np.load(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--size", type=int, default=5000)
    ap.add_argument("--skip", action="append", default=[], help="skip a method (rasterstats, exactextract, detect)")
    ap.add_argument("--worker")
    ap.add_argument("--raster")
    ap.add_argument("--polys")
    ap.add_argument("--other")
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, Path(a.raster), Path(a.polys), Path(a.other), Path(a.out))))
        return
    import numpy as np

    before, after = make_rasters(a.size)
    polys = make_polygons(a.n, a.size)
    ours, r_ours = run_worker("ours", before, polys, after)
    base = {"n": a.n, "scene_px": f"{a.size}x{a.size}"}
    if "exactextract" not in a.skip:
        # both of its strategies; the goal is held against the faster
        runs = {m: run_worker(m, before, polys, after)[0] for m in ("exactextract", "exactextract_raster")}
        ee = min(runs.values(), key=lambda r: r["seconds"])
        print(json.dumps({"metric": "zonal_ndvi_s", **base, "value": ours["seconds"], "unit": "s",
                          "baseline": "exactextract.exact_extract (faster strategy: "
                                      + ("raster-sequential" if ee is runs["exactextract_raster"] else "feature-sequential") + ")",
                          "baseline_value": ee["seconds"],
                          "other_strategy_s": max(r["seconds"] for r in runs.values()),
                          "ratio": round(ours["seconds"] / ee["seconds"], 2), "goal": "<= 1.0x",
                          "goal_met": ours["seconds"] <= ee["seconds"]}))
    if "rasterstats" not in a.skip:
        rs, r_rs = run_worker("rasterstats", before, polys, after)
        speed = rs["seconds"] / ours["seconds"]
        print(json.dumps({"metric": "zonal_ndvi_s", **base, "value": ours["seconds"], "unit": "s",
                          "baseline": "rasterstats.zonal_stats", "baseline_value": rs["seconds"],
                          "speedup": round(speed, 1), "goal": ">= 5x faster", "goal_met": speed >= 5}))
        same = (r_ours[1] == r_rs[1]) & (r_ours[1] > 0)
        diff = float(np.nanmax(np.abs(r_ours[0][same] - r_rs[0][same]))) if same.any() else float("nan")
        print(json.dumps({"metric": "zonal_mean_max_abs_diff", **base, "value": diff, "unit": "NDVI",
                          "baseline": "rasterstats.zonal_stats, polygons with the same pixel count",
                          "baseline_value": 0.0, "floor_value": 1e-6, "same_pixels": int(same.sum()),
                          "polygons_with_pixels": int((r_rs[1] > 0).sum()), "goal_met": diff <= 1e-6}))
    mem = {"metric": "zonal_peak_rss_mb", **base, "value": ours["rss_mb"], "unit": "MB"}
    if "rasterstats" not in a.skip:
        mem.update(baseline="rasterstats.zonal_stats", baseline_value=rs["rss_mb"])
    if "exactextract" not in a.skip:
        mem["exactextract_mb"] = ee["rss_mb"]
    print(json.dumps(mem))
    if "detect" not in a.skip:
        det, _ = run_worker("detect", before, polys, after)
        floor, _ = run_worker("detect_floor", before, polys, after)
        print(json.dumps({"metric": "detect_s", "n": a.size * a.size, "value": det["seconds"], "unit": "s",
                          "baseline": "reading both scenes and the NDVI difference (floor)",
                          "baseline_value": floor["seconds"], "floor_value": floor["seconds"],
                          "polygons": det["polygons"], "regions_labelled": det["regions"],
                          "steps_s": det["steps_s"], "peak_rss_mb": det["rss_mb"]}))


if __name__ == "__main__":
    main()
