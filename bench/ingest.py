"""Batch ingest speed and memory against the floor measured in the same run.

    .venv/bin/python bench/ingest.py --n 100000

Builds (once, kept under /tmp for later runs): a GeoPackage store holding the 兴安盟 counties and N earlier change
polygons (one batch); and a zipped shapefile of N new change polygons as a Windows tool writes it —
GBK attribute table with no .cpg, GBK entry names without the UTF-8 flag, ~4% self-intersecting
polygons, 2% with a polygon number already stored, 1% with a geometry already stored, 2%
overlapping a stored polygon (repeats). Then, each in a fresh process (imports done before the
clock starts):

* floor: a plain pyogrio copy of the same zip into a new GeoPackage, no checks
  (``read_dataframe(use_arrow=True)`` + ``write_dataframe(use_arrow=True)``);
* ingest: ``geo.ingest.prepare`` + ``commit`` into a copy of the store — encoding detection, CRS,
  repair, area, county, field mapping, dedupe by number and geometry hash, repeats, and the one
  transaction with the batch row, the features and their import events.

A shapefile of more than ``geo.ingest.batch.CHUNK_ROWS`` features is read, checked and stored a
chunk at a time, so the import's memory does not grow with N (the floor's does).

Prints one JSON object per line: ``{"metric", "n", "value", "unit", "baseline", "baseline_value",
"floor_value", …}``, with the CPU time of both (``cpu_s``, ``floor_cpu_s``: less disturbed than
wall time when the machine is shared) and the load average at the end. The goals are ingest ≤ 3×
the floor's time (``goal_met``) and, at N = 500,000, a peak of at most 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 3.0
SOURCE = "国家森林督查"

# peak resident memory of this process since exec (ru_maxrss would include the parent's, as
# the child was forked from it before exec)
HWM = r"""
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

def cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
"""

FLOOR = HWM + r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
import zipfile, pyogrio, geopandas
src, out = sys.argv[1], sys.argv[2]
t0, c0 = time.perf_counter(), cpu()
shp = next(n for n in zipfile.ZipFile(src).namelist() if n.lower().endswith(".shp"))
df = pyogrio.read_dataframe(f"/vsizip/{src}/{shp}", encoding="GB18030", use_arrow=True)
pyogrio.write_dataframe(df, out, layer="copy", use_arrow=True)
t = time.perf_counter() - t0
print(json.dumps({"seconds": t, "cpu": cpu() - c0, "rss_mb": hwm(), "rows": len(df)}))
"""

INGEST = HWM + r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[3])
from geo.ingest import Options, Upload, commit, prepare
from geo.store import open_store
src, db = sys.argv[1], sys.argv[2]
store = open_store(db)
t0, c0 = time.perf_counter(), cpu()
report = prepare(Upload.from_path(src), Options(layer="change", batch="2023年第1期", source=sys.argv[4], kind="forest"), store)
t1 = time.perf_counter()
bid = commit(report, store, actor="bench")
t2 = time.perf_counter()
print(json.dumps({"seconds": t2 - t0, "cpu": cpu() - c0, "prepare": t1 - t0, "commit": t2 - t1,
                  "rss_mb": hwm(),
                  "counts": report.counts, "batch_id": bid, "encoding": report.loaded.encoding.gdal}))
"""


def build(n: int, work: Path, seed: int) -> tuple[Path, Path]:
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo.ingest import samples
    from geo.store import open_store

    admin = gpd.read_file(ROOT / "data" / "admin" / "im_districts_tianditu_wgs84.geojson")
    admin = admin.rename(columns={"district_adcode": "code", "district_name": "name"})[["code", "name", "geometry"]]
    admin["code"] = admin["code"].astype(str)
    admin = admin.set_crs(4490, allow_override=True)
    league = admin[admin["code"].str.startswith("1522")].reset_index(drop=True)

    rng = np.random.default_rng(seed)
    new = samples.change_polygons(n, seed=seed, counties=league)
    old = samples.change_polygons(n, seed=seed + 1, invalid=0.0, counties=league, prefix="152299")
    k_no, k_geom, k_rep = int(0.02 * n), int(0.01 * n), int(0.02 * n)
    pick = rng.choice(n, k_no + k_geom + k_rep, replace=False)
    tgt = rng.choice(n, k_no + k_geom + k_rep, replace=False)
    g_new = new.geometry.values.copy()
    nos = new["PAN_NO_TB"].to_numpy(dtype=object)
    g_old = old.geometry.values
    for j, (a, b) in enumerate(zip(pick, tgt)):
        if j < k_no:
            nos[a] = old["PAN_NO_TB"].iat[b]
        elif j < k_no + k_geom:
            g_new[a] = g_old[b]
        else:
            g_new[a] = shapely.affinity.translate(g_old[b], xoff=0.00003, yoff=0.00002)
    new["PAN_NO_TB"] = nos
    new = new.set_geometry(gpd.GeoSeries(g_new, crs=4490))

    # DBF names are cut to 10 characters (PAN_BHLX_DESC → PAN_BHLX_D), as in real files
    files = samples.shapefile_bytes(new, stem="2023年第1期变化图斑", encoding="GBK", cpg=False)
    zpath = work / "batch.zip"
    zpath.write_bytes(samples.gbk_zip(files, prefix="2023年第1期/"))

    db = work / "store.gpkg"
    store = open_store(str(db), create=True)
    counties = admin.assign(level="county", parent_code=admin["code"].str[:4] + "00", derived=False,
                            source="天地图")
    stored = gpd.GeoDataFrame({
        "polygon_no": old["PAN_NO_TB"], "source": SOURCE, "kind": "forest", "county": old["XIAN"],
        "area_reported_ha": old["MIAN_JI"], "change_type": old["PAN_BHLX_DESC"],
    }, geometry=old.geometry, crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "admin", counties, actor="bench")
        bid = store.add_batch(tx, name="2022年第2期", layer="change", source=SOURCE, kind="forest",
                              issued_on="2022-09-01", verify_deadline="2022-12-31", rectify_deadline="2023-06-30")
        store.insert_features(tx, "change", stored, actor="bench", batch_id=bid)
    return zpath, db


def run(code: str, *args) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--runs", type=int, default=3, help="repeat each measurement, keep the fastest")
    args = p.parse_args(argv)
    data = Path(tempfile.gettempdir()) / f"forest-bench-ingest-{args.n}-{args.seed}"
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        if not (data / "built").exists():  # the input and the store, built once and kept
            data.mkdir(exist_ok=True)
            build(args.n, data, args.seed)
            (data / "built").write_text("ok")
        zpath, db = data / "batch.zip", data / "store.gpkg"
        floors, ingests = [], []
        for r in range(args.runs):
            out = work / f"floor{r}.gpkg"
            floors.append(run(FLOOR, zpath, out))
            copy = work / f"store{r}.gpkg"
            shutil.copyfile(db, copy)
            for ext in ("-wal", "-shm"):
                if Path(str(db) + ext).exists():
                    shutil.copyfile(str(db) + ext, str(copy) + ext)
            ingests.append(run(INGEST, zpath, copy, ROOT, SOURCE))
        floor = min(floors, key=lambda d: d["seconds"])
        ing = min(ingests, key=lambda d: d["seconds"])
        ratio = ing["seconds"] / floor["seconds"]
        base = "plain pyogrio copy of the same zip into a GeoPackage (read_dataframe + write_dataframe, Arrow, no checks)"
        print(json.dumps({
            "metric": "ingest_seconds", "n": args.n, "value": round(ing["seconds"], 3), "unit": "s",
            "baseline": base, "baseline_value": round(floor["seconds"], 3), "floor_value": round(floor["seconds"], 3),
            "ratio_to_floor": round(ratio, 2), "goal_ratio": GOAL, "goal_met": bool(ratio <= GOAL),
            "prepare_s": round(ing["prepare"], 3), "commit_s": round(ing["commit"], 3),
            "cpu_s": round(ing["cpu"], 1), "floor_cpu_s": round(floor["cpu"], 1),
            "load_avg": round(os.getloadavg()[0], 1),
            "file_mb": round(zpath.stat().st_size / 2**20, 1), "store_features_before": args.n,
            **{f"count_{k}": v for k, v in ing["counts"].items()},
        }, ensure_ascii=False))
        print(json.dumps({
            "metric": "ingest_peak_rss", "n": args.n, "value": round(ing["rss_mb"], 1), "unit": "MB",
            "baseline": "peak RSS of the plain pyogrio copy", "baseline_value": round(floor["rss_mb"], 1),
            "floor_value": round(floor["rss_mb"], 1),
        }, ensure_ascii=False))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
