"""The re-greening check (回头看): did the places that were to be re-vegetated turn green?

Checked: change polygons rectified, accepted or closed whose measure is re-vegetation (恢复植被,
补植补造, 复绿, 补播, 还林还草 …), and restoration areas whose work is done (self-checked,
spot-checked, accepted). For each, from the registered NDVI-capable scenes covering it:

* ``ndvi_before`` — inside, on the last scene before the rectification date;
* ``ndvi_after`` — inside, on the latest scene after it;
* ``ndvi_ring`` — in a ring around it (``RING_M`` metres, at least three pixels) on that scene.

``gain = after − before`` and ``gap = after − ring``. Verdicts: **greened** (as green as the
surroundings: gap ≥ −0.1), **greening** (not yet, but gain ≥ 0.1), **not_greened** (neither), or
**no_imagery** (no scene before and after the date). :func:`to_items` turns the not-greened ones
into rectification items for the next round, one per county, linked to the places.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.imagery import ndvi as N
from geo.imagery import scenes as SC
from geo.imagery import zonal as Z
from geo.access.scope import unwrap
from geo.items import items
from geo.core.timeutil import today_local

REVEG_WORDS = ("恢复植被", "植被恢复", "补植", "补造", "复绿", "补播", "还林", "还草", "造林", "种草", "植树", "退耕")
CHANGE_DONE = ("rectified", "accepted", "closed")
RESTORATION_DONE = ("self_checked", "spot_checked", "accepted")
RING_M = 60.0
GREEN_GAP = 0.1  # after within this of the surroundings: greened
MIN_GAIN = 0.1  # otherwise, at least this rise: greening
VERDICT_ZH = {"greened": "已复绿", "greening": "复绿中", "not_greened": "未复绿", "no_imagery": "无影像"}
VERDICT_EN = {"greened": "Greened", "greening": "Greening", "not_greened": "Not greened", "no_imagery": "No imagery"}
COLUMNS = ["layer", "id", "label", "county_code", "county", "measure", "rect_date", "before_scene", "after_scene",
           "ndvi_before", "ndvi_after", "ndvi_ring", "gain", "gap", "verdict", "area_mu"]


def is_revegetation(measure) -> bool:
    return isinstance(measure, str) and any(w in measure for w in REVEG_WORDS)


def _dates_from_events(store, ids: list[int]) -> dict[int, str]:
    """The day each change polygon reached 'rectified' (else 'closed'), from its history."""
    if not ids:
        return {}
    ev = unwrap(store)[0].events("change", actions=["transition"])
    ev = ev[ev["feature_id"].isin(ids) & ev["to_status"].isin(["rectified", "closed"])]
    out: dict[int, str] = {}
    for status in ("closed", "rectified"):  # rectified wins where both exist
        part = ev[ev["to_status"] == status].groupby("feature_id")["at"].max()
        out.update({int(k): str(v)[:10] for k, v in part.items()})
    return out


def places(store, counties=None) -> gpd.GeoDataFrame:
    """What the check looks at (as the store's user may see it), with its rectification date."""
    where = {"county_code": list(counties)} if counties else None
    ch = store.read_layer("change", where={**(where or {}), "status": list(CHANGE_DONE)},
                          columns=["polygon_no", "county_code", "county", "measure", "deadline", "area_mu", "status"])
    ch = ch.loc[ch["measure"].map(is_revegetation).astype(bool).to_numpy()]
    dates = _dates_from_events(store, ch["id"].astype(int).tolist())
    ch_rows = gpd.GeoDataFrame({
        "layer": "change", "id": ch["id"].astype(int).values, "label": ch["polygon_no"].values,
        "county_code": ch["county_code"].values, "county": ch["county"].values, "measure": ch["measure"].values,
        "rect_date": [dates.get(int(i)) or (str(d)[:10] if d else None) for i, d in zip(ch["id"], ch["deadline"])],
        "area_mu": ch["area_mu"].values}, geometry=ch.geometry.values, crs=4490)
    rs = store.read_layer("restoration", where={**(where or {}), "status": list(RESTORATION_DONE)},
                          columns=["project", "type", "county_code", "county", "year", "area_mu"])
    rs_rows = gpd.GeoDataFrame({
        "layer": "restoration", "id": rs["id"].astype(int).values, "label": rs["project"].values,
        "county_code": rs["county_code"].values, "county": rs["county"].values, "measure": rs["type"].values,
        # planting is done by the end of the growing season of the project's year
        "rect_date": [f"{int(y)}-10-31" if y is not None and not pd.isna(y) else None for y in rs["year"]],
        "area_mu": rs["area_mu"].values}, geometry=rs.geometry.values, crs=4490)
    frames = [f for f in (ch_rows, rs_rows) if len(f)]
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in COLUMNS[:7] + ["area_mu"]}, geometry=[], crs=4490)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=4490)


def _pair(scenes: list[SC.Scene], geom, day: dt.date | None):
    cover = SC.covering(scenes, geom, "ndvi") or SC.covering(scenes, geom, "ndvi", whole=False)
    if day is None:
        return None, None
    before = [s for s in cover if s.acquired_on <= day]
    after = [s for s in cover if s.acquired_on > day]
    if not before or not after:
        return None, None
    return max(before, key=lambda s: (s.acquired_on, s.id)), max(after, key=lambda s: (s.acquired_on, s.id))


def _stats(scene: SC.Scene, geoms_4490, rings: bool, folder) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean NDVI inside each polygon on ``scene`` (and in a ring around it when ``rings``)."""
    with N.open_scene(scene, folder) as src:
        local = gpd.GeoSeries(geoms_4490, crs=4490).to_crs(src.crs).values
        shapes = list(local)
        if rings:
            width = max(RING_M, 3 * scene.res_m)
            if src.crs.is_geographic:
                width = width / 111_320.0
            ring = shapely.difference(shapely.buffer(local, width), local)
            shapes += list(ring)
        st = Z.polygon_stats(lambda w: N.ndvi(src, scene, window=w), (src.height, src.width), src.transform,
                             np.asarray(shapes, dtype=object))
    mean = st["mean"].to_numpy()
    n = len(local)
    return mean[:n], (mean[n:] if rings else None)


def check(store, counties=None, folder=None, scenes: list[SC.Scene] | None = None) -> gpd.GeoDataFrame:
    """Every place of :func:`places` with its NDVI before/after/ring, gain, gap and verdict."""
    rows = places(store, counties)
    scenes = SC.visible(store) if scenes is None else scenes
    n = len(rows)
    out = rows.copy()
    for col in ("before_scene", "after_scene"):
        out[col] = np.zeros(n, dtype=np.int64)
    for col in ("ndvi_before", "ndvi_after", "ndvi_ring"):
        out[col] = np.full(n, np.nan)
    if n and scenes:
        days = [dt.date.fromisoformat(d) if d else None for d in rows["rect_date"]]
        pairs = [_pair(scenes, g, d) for g, d in zip(rows.geometry.values, days)]
        out["before_scene"] = [b.id if b else 0 for b, _ in pairs]
        out["after_scene"] = [a.id if a else 0 for _, a in pairs]
        by_id = {s.id: s for s in scenes}
        geoms = rows.geometry.values
        for sid in sorted(set(out["before_scene"]) - {0}):
            idx = np.flatnonzero(out["before_scene"].to_numpy() == sid)
            out.loc[out.index[idx], "ndvi_before"] = _stats(by_id[sid], geoms[idx], False, folder)[0]
        for sid in sorted(set(out["after_scene"]) - {0}):
            idx = np.flatnonzero(out["after_scene"].to_numpy() == sid)
            inside, ring = _stats(by_id[sid], geoms[idx], True, folder)
            out.loc[out.index[idx], "ndvi_after"] = inside
            out.loc[out.index[idx], "ndvi_ring"] = ring
    out["gain"] = (out["ndvi_after"] - out["ndvi_before"]).round(3)
    out["gap"] = (out["ndvi_after"] - out["ndvi_ring"]).round(3)
    for col in ("ndvi_before", "ndvi_after", "ndvi_ring"):
        out[col] = out[col].round(3)
    have = out["gain"].notna() & out["gap"].notna()
    out["verdict"] = np.where(~have, "no_imagery", np.where(out["gap"] >= -GREEN_GAP, "greened",
                                                            np.where(out["gain"] >= MIN_GAIN, "greening", "not_greened")))
    return out[COLUMNS + ["geometry"]]


def figures_from(rows: pd.DataFrame) -> dict:
    """Per county: ``places`` looked at, ``checked`` (with imagery before and after), greened,
    greening, not greened, without imagery, and the 亩 not greened; plus ``total``."""
    out: dict = {}
    keys = ("greened", "greening", "not_greened", "no_imagery")
    for code, part in rows.groupby(rows["county_code"].fillna("")) if len(rows) else []:
        counts = part["verdict"].value_counts()
        out[code] = {"county": part["county"].dropna().iloc[0] if part["county"].notna().any() else code,
                     "places": int(len(part)), "checked": int((part["verdict"] != "no_imagery").sum()),
                     **{k: int(counts.get(k, 0)) for k in keys},
                     "not_greened_mu": round(float(part.loc[part["verdict"] == "not_greened", "area_mu"].sum()), 1)}
    total = {"places": sum(v["places"] for v in out.values()), "checked": sum(v["checked"] for v in out.values()),
             **{k: sum(v[k] for v in out.values()) for k in keys},
             "not_greened_mu": round(sum(v["not_greened_mu"] for v in out.values()), 1)}
    return {"counties": out, "total": total}


def regreen_figures(store, counties=None, folder=None) -> dict:
    """The leaders' figure: per county, how many re-vegetated places turned green and how many did
    not (``{"counties": {code: {...}}, "total": {...}}``)."""
    return figures_from(check(store, counties, folder))


def to_items(store, rows: pd.DataFrame, *, actor: str, deadline: str | None = None, access=None) -> list[int]:
    """One rectification item per county for its not-greened places (linked to them), for the
    next round. Returns the new item ids (none when everything greened)."""

    failed = rows[rows["verdict"] == "not_greened"] if len(rows) else rows
    if failed.empty:
        return []
    today = today_local()
    deadline = deadline or (today + dt.timedelta(days=180)).isoformat()
    made = []
    for code, part in failed.groupby(failed["county_code"].fillna("")):
        county = part["county"].dropna().iloc[0] if part["county"].notna().any() else code
        n_ch = int((part["layer"] == "change").sum())
        n_rs = int((part["layer"] == "restoration").sum())
        what = "、".join(t for t in (f"{n_ch} 个已整改图斑" if n_ch else "", f"{n_rs} 个生态修复地块" if n_rs else "") if t)
        iid = items.add(store, actor=actor, access=access, code=f"回头看-{today:%Y%m%d}-{code}",
                        problem=f"回头看：{county}{what}植被未恢复（遥感 NDVI 核查，{today.isoformat()}），"
                                f"共 {part['area_mu'].sum():.1f} 亩",
                        category="回头看", measures="现场核实原因，补植补造、加强管护，下一轮遥感复核",
                        unit=f"{county}林业和草原局", deadline=deadline, progress_mode="manual")
        for layer in ("change", "restoration"):
            ids = part.loc[part["layer"] == layer, "id"].astype(int).tolist()
            if ids:
                items.link(store, iid, layer, ids, actor=actor, access=access)
        made.append(iid)
    return made
