"""Candidate change polygons where NDVI fell between two scenes, registered as a candidate batch.

:func:`candidates` reads both scenes on the before scene's grid (the after scene is resampled onto
it when it differs), marks pixels whose NDVI fell by more than ``threshold``, labels the connected
areas in one pass (``scipy.ndimage.label``) and reduces every label at once (``numpy.bincount``:
pixel count, mean NDVI before and after; one sort for the medians). Labels smaller than the
minimum mapping unit are dropped with one lookup, and what remains is polygonised with
``rasterio.features.shapes``, each area within its own bounding box (``scipy.ndimage.find_objects``
finds all the boxes in one pass). The polygons are then cleaned: holes smaller than the mapping unit
filled, and edges smoothed within half a pixel (a closing then a simplification), so no outline
moves by more than one pixel from the pixels it came from.

:func:`register` drops the candidates that overlap polygons already issued and stores the rest as
a batch through the ordinary upload path (:func:`geo.ingest.batch.prepare` / ``commit``) with the
source 自动检测 — so the same checks, deduplication, area and county apply as to any upload.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from rasterio.features import shapes
from rasterio.windows import Window
from scipy import ndimage

from geo.core import crs as C
from geo.core.errors import ImageryError
from geo.access.scope import unwrap
from geo.imagery import ndvi as N
from geo.imagery import scenes as SC
from geo.ingest.batch import Options, commit, prepare
from geo.core.timeutil import today_local

SOURCE = "自动检测"
STRIP_ROWS = 1024
OVERLAP_ISSUED = 0.3  # a candidate this much covered by issued polygons is already known


def _ndvi_pair(before: SC.Scene, after: SC.Scene, folder=None):
    """Both scenes' NDVI on the before scene's grid (float32, NaN where invalid), its transform
    and CRS."""
    with N.open_scene(before, folder) as bsrc, N.open_scene(after, folder) as asrc:
        h, w = bsrc.height, bsrc.width
        b = np.empty((h, w), dtype="float32")
        a = np.empty((h, w), dtype="float32")
        with N.on_grid(asrc, bsrc.crs, bsrc.transform, w, h) as grid:
            for top in range(0, h, STRIP_ROWS):
                win = Window(0, top, w, min(STRIP_ROWS, h - top))
                b[top:top + win.height] = N.ndvi(bsrc, before, window=win)
                a[top:top + win.height] = N.ndvi(grid, after, window=win)
        return b, a, bsrc.transform, bsrc.crs


def _pixel_area_m2(scene: SC.Scene) -> float:
    return float(scene.res_m) ** 2


def _clean(geom, px: float, min_hole: float):
    """Fill holes below ``min_hole`` (m²) and smooth the staircase within half a pixel."""
    parts = getattr(geom, "geoms", [geom])
    kept = []
    for p in parts:
        holes = [r for r in p.interiors if shapely.Polygon(r).area >= min_hole]
        kept.append(shapely.Polygon(p.exterior, holes))
    g = shapely.union_all(kept) if len(kept) > 1 else kept[0]
    smooth = g.buffer(px * 0.5, quad_segs=2, join_style="mitre").buffer(-px * 0.5, quad_segs=2, join_style="mitre")
    smooth = smooth.simplify(px * 0.5, preserve_topology=True)
    smooth = shapely.make_valid(smooth) if not smooth.is_valid else smooth
    return smooth if not smooth.is_empty else g


def candidates(before: SC.Scene, after: SC.Scene, *, threshold: float = 0.2, min_area_mu: float = 1.0,
               folder: str | Path | None = None, timings: dict | None = None) -> gpd.GeoDataFrame:
    """Areas where NDVI fell by more than ``threshold`` from ``before`` to ``after``, at least
    ``min_area_mu`` 亩 each, as polygons in EPSG:4490 with ``ndvi_before``, ``ndvi_after``
    (means), their medians, ``ndvi_change``, ``pixels`` and ``area_mu`` (from the pixel count).
    ``timings`` (a dict) receives the seconds of each step."""
    for s in (before, after):
        if not s.can_ndvi:
            raise ImageryError(f"scene #{s.id} cannot give NDVI (no red/NIR or NDVI band)",
                               f"影像 #{s.id} 不能计算 NDVI（无红/近红外或 NDVI 波段）", scene_id=s.id)
    if before.acquired_on >= after.acquired_on:
        raise ImageryError(f"the before scene #{before.id} ({before.acquired_on}) must be older than the after "
                           f"scene #{after.id} ({after.acquired_on})",
                           f"前期影像 #{before.id}（{before.acquired_on}）应早于后期影像 #{after.id}（{after.acquired_on}）")
    if not before.footprint.intersects(after.footprint):
        raise ImageryError(f"scenes #{before.id} and #{after.id} do not overlap",
                           f"影像 #{before.id} 与 #{after.id} 没有重叠区域")
    if not 0 < threshold < 2:
        raise ImageryError("the threshold is an NDVI drop between 0 and 2 (e.g. 0.2)",
                           "阈值为 NDVI 降幅，应在 0 到 2 之间（如 0.2）", option="threshold")
    t = time.perf_counter()
    clock = timings if timings is not None else {}
    b, a, transform, crs = _ndvi_pair(before, after, folder)
    clock["read"] = time.perf_counter() - t
    t = time.perf_counter()
    mask = np.empty(b.shape, dtype=bool)
    for top in range(0, b.shape[0], STRIP_ROWS):  # (strips: no full-size float temporary)
        rows = slice(top, top + STRIP_ROWS)
        np.greater(b[rows] - a[rows], threshold, out=mask[rows])  # NaN (invalid) compares False
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    # every per-label reduction over the dropped pixels only, in one pass each
    where = np.flatnonzero(mask)
    lab = labels.ravel()[where]
    count = np.bincount(lab, minlength=n + 1)
    sum_b = np.bincount(lab, weights=b.ravel()[where], minlength=n + 1)
    sum_a = np.bincount(lab, weights=a.ravel()[where], minlength=n + 1)
    px_m2 = _pixel_area_m2(before)
    area_mu = count * px_m2 / C.M2_PER_MU
    keep = area_mu >= min_area_mu
    keep[0] = False
    small = where[~keep[lab]]
    labels.ravel()[small] = 0  # labels below the mapping unit dropped by one lookup, in place
    kept = labels
    clock["label"] = time.perf_counter() - t
    t = time.perf_counter()
    ok = keep[lab]
    lab_in, at = lab[ok], where[ok]
    med_b, med_a = _medians(lab_in, b.ravel()[at], n), _medians(lab_in, a.ravel()[at], n)
    del mask
    # polygonised label by label inside its own bounding box (found for all labels in one pass):
    # GDAL then scans each area's box, not the whole scene
    parts: dict[int, list] = {}
    for i, box in enumerate(ndimage.find_objects(kept), start=1):
        if box is None:
            continue
        sub = kept[box]
        local = transform @ transform.translation(box[1].start, box[0].start)
        for geom, value in shapes(sub, mask=sub == i, connectivity=8, transform=local):
            parts.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    clock["polygonise"] = time.perf_counter() - t
    t = time.perf_counter()
    px = float(abs(transform.a))
    ids = sorted(parts)
    geoms = [_clean(shapely.union_all(parts[i]) if len(parts[i]) > 1 else parts[i][0], px,
                    min_area_mu * C.M2_PER_MU * (px * px / px_m2)) for i in ids]
    ids = np.asarray(ids, dtype=np.int64)
    cnt = count[ids] if len(ids) else np.zeros(0)
    mb = sum_b[ids] / np.maximum(cnt, 1) if len(ids) else np.zeros(0)
    ma = sum_a[ids] / np.maximum(cnt, 1) if len(ids) else np.zeros(0)
    frame = gpd.GeoDataFrame({
        "label": ids, "pixels": cnt.astype(np.int64), "area_mu": np.round(area_mu[ids], 2) if len(ids) else [],
        "ndvi_before": np.round(mb, 4), "ndvi_after": np.round(ma, 4),
        "ndvi_before_median": np.round(med_b[ids], 4) if len(ids) else [],
        "ndvi_after_median": np.round(med_a[ids], 4) if len(ids) else [],
        "ndvi_change": np.round(ma - mb, 4),
    }, geometry=geoms, crs=crs).to_crs(4490)
    bad = ~frame.geometry.is_valid  # reprojection can fold a vertex onto an edge
    if bad.any():
        frame.loc[bad, "geometry"] = shapely.make_valid(frame.geometry.values[bad], method="structure",
                                                        keep_collapsed=False)
    frame.attrs.update(regions=int(n), kept=int(len(ids)), pixels_below=int(len(where)))
    clock["clean"] = time.perf_counter() - t
    return frame


def _medians(lab: np.ndarray, val: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n + 1, np.nan)
    if not len(lab):
        return out
    order = np.lexsort((val, lab))
    lab, val = lab[order], val[order]
    have, start, cnt = np.unique(lab, return_index=True, return_counts=True)
    out[have] = (val[start + (cnt - 1) // 2].astype("float64") + val[start + cnt // 2]) / 2.0
    return out


def _issued_overlap(store, found: gpd.GeoDataFrame) -> np.ndarray:
    """Share of each candidate covered by change polygons already in the store (any county)."""
    raw = unwrap(store)[0]
    if found.empty:
        return np.zeros(0)
    old = raw.read_layer("change", bbox=tuple(found.total_bounds), columns=[])
    share = np.zeros(len(found))
    if old.empty:
        return share
    geoms = found.geometry.values
    tree = shapely.STRtree(old.geometry.values)
    i, j = tree.query(geoms, predicate="intersects")
    if len(i):
        inter = shapely.area(shapely.intersection(geoms[i], old.geometry.values[j]))
        np.add.at(share, i, inter)
        share = share / np.maximum(shapely.area(geoms), 1e-30)
    return share


def register(store, found: gpd.GeoDataFrame, before: SC.Scene, after: SC.Scene, *, actor: str,
             threshold: float, min_area_mu: float, name: str | None = None, kind: str = "forest",
             access=None, issued_on: dt.date | None = None, verify_deadline: dt.date | None = None,
             rectify_deadline: dt.date | None = None) -> dict:
    """Store the candidates not already issued as a batch with source 自动检测 (through
    :func:`geo.ingest.batch.prepare` and ``commit``). Returns what happened: ``found``,
    ``already_issued``, ``stored``, ``batch_id`` (None when nothing new was found)."""

    access = unwrap(store, access)[1]
    if access is not None:
        access.check_upload()
    share = _issued_overlap(store, found)
    known = share >= OVERLAP_ISSUED
    new = found[~known].reset_index(drop=True)
    out = {"found": int(len(found)), "already_issued": int(known.sum()), "stored": 0, "batch_id": None,
           "before": before.id, "after": after.id, "threshold": threshold, "min_area_mu": min_area_mu}
    if new.empty:
        return out
    day = after.acquired_on.strftime("%Y%m%d")
    drop = -new["ndvi_change"]
    frame = gpd.GeoDataFrame({
        "polygon_no": [f"AUTO{day}-{before.id}-{after.id}-{i + 1:04d}" for i in range(len(new))],
        "source": SOURCE, "kind": kind,
        "before_date": before.acquired_on.isoformat(), "after_date": after.acquired_on.isoformat(),
        "change_type": "植被指数显著下降",
        "change_cause": [f"疑似植被破坏（NDVI 下降 {d:.2f}）" for d in drop],
        "ndvi_before": new["ndvi_before"], "ndvi_before_median": new["ndvi_before_median"],
        "ndvi_after": new["ndvi_after"], "ndvi_after_median": new["ndvi_after_median"],
        "ndvi_change": new["ndvi_change"], "ndvi_valid_share": 1.0,
        "ndvi_before_scene": before.id, "ndvi_after_scene": after.id,
    }, geometry=new.geometry.values, crs=4490)
    payload = frame.to_json(drop_id=True).encode("utf-8")
    syn = "（合成影像）" if before.synthetic or after.synthetic else ""
    batch = name or (f"自动检测：{before.acquired_on} → {after.acquired_on} NDVI 降幅 > {threshold:g}"
                     f"（影像 #{before.id}/#{after.id}）{syn}")
    opts = Options(layer="change", batch=batch, source=SOURCE, kind=kind,
                   issued_on=(issued_on or today_local()).isoformat(),
                   verify_deadline=verify_deadline.isoformat() if verify_deadline else None,
                   rectify_deadline=rectify_deadline.isoformat() if rectify_deadline else None)
    report = prepare((f"自动检测_{before.id}_{after.id}_{threshold:g}_{min_area_mu:g}.geojson", payload), opts, store)
    if report.to_store == 0:
        if report.counts["rejected"]:
            raise report.refusal()  # e.g. scenes outside China: refused as any upload would be
        out["duplicates"] = int(report.counts["duplicates"])
        return out
    bid = commit(report, store, actor=actor, access=access, options=opts)
    out.update(stored=int(report.to_store), batch_id=int(bid), duplicates=int(report.counts["duplicates"]))
    return out


def run(store, before_id: int, after_id: int, *, actor: str, threshold: float = 0.2, min_area_mu: float = 1.0,
        folder=None, name: str | None = None, kind: str = "forest", access=None, dry_run: bool = False,
        **deadlines) -> dict:
    """Detect between two registered scenes (visible to the store's user) and register the result."""
    visible = {s.id: s for s in SC.visible(store)}
    for sid in (before_id, after_id):
        if int(sid) not in visible:
            raise ImageryError(f"scene #{sid} is not registered (or not visible to you)",
                               f"影像 #{sid} 未登记或您无权使用", scene_id=int(sid))
    before, after = visible[int(before_id)], visible[int(after_id)]
    timings: dict = {}
    found = candidates(before, after, threshold=threshold, min_area_mu=min_area_mu, folder=folder, timings=timings)
    if dry_run:
        share = _issued_overlap(store, found)
        return {"found": int(len(found)), "already_issued": int((share >= OVERLAP_ISSUED).sum()), "stored": 0,
                "batch_id": None, "dry_run": True, "seconds": {k: round(v, 3) for k, v in timings.items()}}
    out = register(store, found, before, after, actor=actor, threshold=threshold, min_area_mu=min_area_mu,
                   name=name, kind=kind, access=access, **deadlines)
    out["seconds"] = {k: round(v, 3) for k, v in timings.items()}
    return out
