"""Responsibility zones (责任区/网格): their hierarchy checked, a county's zones replaced by a new
version with the old kept in history, and every feature attributed again — as recorded events.

* :func:`check` — each zone lies within its parent; the land of a county that no zone of a level
  covers (gaps) and zones of one level that overlap, each with its area in 亩 and its outline, so
  the map can show them.
* :func:`replace` — a county's zones of the given levels end (``valid_to``) and the new ones
  start (``valid_from``, next ``version_no``); features of every attributed register in that
  county whose zones change get an ``attribute`` event saying from which zone to which.
  Figures "as of" a date use the zones in force that day (:func:`geo.store.attribution.zones_in_force`).
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.core import crs as C
from geo.declare import registry as S
from geo.store.attribution import LEVEL_ORDER, attribute, zones_in_force
from geo.core.errors import ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import now_utc, today_local
from geo.chief.chiefs import chiefs_of_zone
from geo.engine.display import table
from geo.ingest import Options, prepare
from geo.engine.records import option_key
from geo.engine.write import check_rows

TOLERANCE_MU = 1.0  # slivers smaller than this (digitising noise) are not reported
FIGURE_COLUMNS = ("level", "valid_to")


def _mu(geoms) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object)
    if not len(geoms):
        return np.zeros(0)
    return C.areas_ha_mu(geoms)[1]


def _rank(level) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def check(store, county_code: str | None = None, zones: gpd.GeoDataFrame | None = None) -> dict:
    """Problems of the zones in force (or of ``zones`` before they are stored), per county:
    ``{"outside_parent": [...], "gaps": [...], "overlaps": [...]}`` — each item with ``area_mu``
    and ``geometry`` (EPSG:4490)."""
    raw, _ = unwrap(store)
    if zones is None:
        zones = zones_in_force(raw)
        zones = raw.read_layer("zone", ids=zones["id"].astype(int).tolist(),
                               columns=["name", "level", "parent_id", "county_code"]) if len(zones) else zones
    if county_code is not None and len(zones):
        zones = zones[zones["county_code"].astype(object) == county_code]
    out = {"outside_parent": [], "gaps": [], "overlaps": []}
    if zones is None or zones.empty:
        return out
    by_id = {int(i): g for i, g in zip(zones["id"], zones.geometry)} if "id" in zones else {}
    # 1. within the parent
    for rec in zones.to_dict("records"):
        pid = rec.get("parent_id")
        if pid is None or (isinstance(pid, float) and np.isnan(pid)) or int(pid) not in by_id:
            continue
        part = shapely.difference(rec["geometry"], by_id[int(pid)])
        mu = float(_mu([part])[0]) if not part.is_empty else 0.0
        if mu > TOLERANCE_MU:
            out["outside_parent"].append({"zone_id": rec.get("id"), "name": rec.get("name"), "level": rec.get("level"),
                                          "county_code": rec.get("county_code"),
                                          "area_mu": round(mu, 2), "geometry": part})
    # 2. gaps: county land no zone of a level covers; 3. overlaps between zones of one level
    counties = raw.read_layer("admin", where={"level": "county", **({"code": county_code} if county_code else {})},
                              columns=["code", "name"])
    for code, cgeom in zip(counties["code"], counties.geometry):
        mine = zones[zones["county_code"].astype(object) == code]
        for level, part in mine.groupby("level"):
            if level in ("league",):
                continue
            cover = shapely.union_all(part.geometry.values)
            gap = shapely.difference(cgeom, cover)
            mu = float(_mu([gap])[0]) if not gap.is_empty else 0.0
            if mu > TOLERANCE_MU:
                out["gaps"].append({"county_code": code, "level": level, "area_mu": round(mu, 2), "geometry": gap})
            geoms = part.geometry.to_numpy()
            ids = part["id"].tolist() if "id" in part else list(range(len(part)))
            names = part["name"].tolist()
            tree = shapely.STRtree(geoms)
            a, b = tree.query(geoms, predicate="intersects")
            keep = a < b
            for i, j in zip(a[keep], b[keep]):
                inter = shapely.intersection(geoms[i], geoms[j])
                if inter.is_empty or shapely.get_type_id(inter) not in (3, 6, 7):
                    continue
                mu = float(_mu([inter])[0])
                if mu > TOLERANCE_MU:
                    out["overlaps"].append({"county_code": code, "level": level, "zones": [ids[i], ids[j]],
                                            "names": [names[i], names[j]], "area_mu": round(mu, 2),
                                            "geometry": inter})
    return out


def check_counties(store, counties=None) -> dict:
    """:func:`check` for the counties a person sees (``None``: all), each problem with its
    county's name (``county``): what the zone-check page shows."""
    problems = check(store)
    raw, _ = unwrap(store)
    admin = raw.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
    names = {str(c): n for c, n in zip(admin["code"], admin["name"])}
    for items in problems.values():
        for p in items:  # the county's name, as the page and the JSON say it
            p["county"] = names.get(str(p.get("county_code")))
    if counties is None:
        return problems
    keep = {str(c) for c in counties}
    return {k: [p for p in v if str(p.get("county_code")) in keep] for k, v in problems.items()}


def summary(problems: dict) -> dict:
    """Counts and areas of :func:`check`'s problems (for figures, JSON and messages)."""
    return {k: {"count": len(v), "area_mu": round(sum(p["area_mu"] for p in v), 2)} for k, v in problems.items()}


def figures(store, frame: pd.DataFrame, ctx: dict) -> dict:
    """Zones per county, and the area of county land no zone covers (at the finest level each county
    has), for the leaders' screen — now (the check reads the zones in force)."""
    counties = ctx.get("counties")
    out = {"zones": {"total": 0, "by_county": {}}, "gap_mu": {"total": 0.0, "by_county": {}}}
    if frame.empty:
        return out
    live = frame[frame["valid_to"].isna()] if "valid_to" in frame else frame
    codes = live["county_code"].fillna("∅").astype(str)
    out["zones"] = {"total": int(len(live)), "by_county": {k: int(v) for k, v in codes.value_counts().items()}}
    problems = check(store)
    finest = {}
    for code, part in live.groupby(live["county_code"].astype(object)):
        finest[code] = max(part["level"], key=_rank)
    gaps = [g for g in problems["gaps"] if finest.get(g["county_code"]) == g["level"]
            and (not counties or g["county_code"] in counties)]
    out["gap_mu"] = {"total": round(sum(g["area_mu"] for g in gaps), 2),
                     "by_county": {g["county_code"]: g["area_mu"] for g in gaps}}
    return out


def _parents(new: gpd.GeoDataFrame, existing: gpd.GeoDataFrame) -> list:
    """Each new zone's parent: the coarser-level zone (new or in force) holding most of it."""
    pool = pd.concat([existing, new], ignore_index=True) if len(existing) else new
    out = []
    for rec in new.to_dict("records"):
        coarser = [lv for lv in LEVEL_ORDER if _rank(lv) < _rank(rec["level"])]
        if not coarser:
            out.append(None)
            continue
        cand = pool[pool["level"] == coarser[-1]]
        if cand.empty and len(coarser) > 1:
            cand = pool[pool["level"] == coarser[-2]]
        if cand.empty:
            out.append(None)
            continue
        zid, _ = attribute(np.array([rec["geometry"]], dtype=object), cand.assign(level=rec["level"]))
        out.append(zid[0])
    return out


def replace(store, county_code: str, zones: gpd.GeoDataFrame, *, valid_from=None, actor: str, access=None,
            comment: str | None = None) -> dict:
    """Replace the zones of ``county_code`` at the levels ``zones`` has by ``zones`` (EPSG:4490,
    columns ``name``, ``level`` and optionally ``code``, ``parent_code``). Returns the new version,
    counts, the re-attributed features and the check of the new set."""
    raw, access = unwrap(store, access)
    check_rows(access, "zone", [county_code])  # the write path's rights and county scope, for a whole set
    if zones is None or zones.empty:
        raise ValidationError("the new zones file holds no zones", "新的责任区文件中没有任何责任区")
    bad = sorted(set(zones["level"].astype(str)) - set(LEVEL_ORDER) - {"county"})
    if bad:
        raise ValidationError(f"unknown zone levels {bad}", f"未知的责任区级别：{'、'.join(bad)}（应为盟级/旗县级/苏木乡镇级/嘎查村级/网格）")
    county = raw.read_layer("admin", where={"level": "county", "code": county_code}, columns=["name"])
    if county.empty:
        raise ValidationError(f"no county {county_code}", f"没有旗县代码为 {county_code} 的旗县")
    inside = shapely.intersects(zones.geometry.values, county.geometry.iloc[0])
    if not inside.all():
        raise ValidationError(
            f"{int((~inside).sum())} of the new zones lie outside {county['name'].iloc[0]} — wrong county or CRS?",
            f"新责任区中有 {int((~inside).sum())} 个不在{county['name'].iloc[0]}范围内，请检查旗县或坐标系是否正确")
    day = (pd.to_datetime(valid_from).date() if valid_from else today_local()).isoformat()
    at = now_utc()
    levels = sorted(set(zones["level"].astype(str)))
    with raw.transaction() as tx:
        current = zones_in_force(raw, tx)
        current = raw.read_layer("zone", ids=current["id"].astype(int).tolist(),
                                 columns=["level", "county_code", "version_no", "name"], tx=tx) if len(current) else current
        old = current[(current["county_code"].astype(object) == county_code) & current["level"].isin(levels)] \
            if len(current) else current
        seen = pd.to_numeric(current["version_no"], errors="coerce").astype("float64") if len(current) else None
        version = int(np.nan_to_num(seen.max(), nan=0.0)) + 1 if seen is not None and len(seen) else 1
        for fid in old["id"].astype(int).tolist() if len(old) else []:
            raw.update_feature(tx, "zone", fid, expected_version=None, changes={"valid_to": day}, actor=actor,
                               action="edit", comment=comment or f"责任区调整（第 {version} 版起停用）", at=at)
        keep = current[~current["id"].isin(old["id"])] if len(old) else current
        new = zones.copy()
        new["county_code"], new["county"] = county_code, county["name"].iloc[0]
        new["valid_from"], new["version_no"] = day, version
        new["parent_id"] = None
        ids = raw.insert_features(tx, "zone", new.drop(columns=[c for c in new.columns if not S.layer("zone").has(c)
                                                                  and c != new.geometry.name]),
                                  actor=actor, at=at, action="create", record_values=True,
                                  comment=comment or f"责任区第 {version} 版")
        new["id"] = ids
        parents = _parents(new, keep if len(keep) else gpd.GeoDataFrame(columns=["id", "level", "geometry"],
                                                                        geometry="geometry", crs=4490))
        for fid, pid in zip(ids, parents):
            if pid is not None and pid != fid:
                tx.execute("UPDATE zones SET parent_id = ? WHERE id = ?", [int(pid), int(fid)])
        moved = reattribute(raw, tx, county_code, actor=actor, at=at, comment=f"责任区调整为第 {version} 版")
    problems = check(raw, county_code)
    return {"county_code": county_code, "version": version, "valid_from": day, "ended": int(len(old)),
            "added": len(ids), "reattributed": moved, "check": summary(problems)}


def reattribute(raw, tx, county_code: str, *, actor: str, at: str, comment: str) -> dict:
    """Attribute again every feature of the attributed registers in ``county_code``; each feature
    whose zones change gets an ``attribute`` event. Returns counts per layer."""
    zones = zones_in_force(raw, tx)
    out = {}
    for key, lyr in S.LAYERS.items():
        if not (lyr.attributed and lyr.has("zones") and lyr.has("county_code") and lyr.spatial):
            continue
        frame = raw.read_layer(key, where={"county_code": county_code}, columns=["zone_id", "zones", "version"], tx=tx)
        if frame.empty:
            continue
        zid, zs = attribute(frame.geometry.values, zones)
        n = 0
        for fid, old_z, old_zs, new_z, new_zs in zip(frame["id"], frame["zone_id"], frame["zones"], zid, zs):
            old_zs = old_zs if isinstance(old_zs, str) or old_zs is None else json.dumps(old_zs, sort_keys=True)
            same_zone = (None if pd.isna(old_z) else int(old_z)) == new_z
            if same_zone and (old_zs or None) == (new_zs or None):
                continue
            changes = {"zones": new_zs}
            if lyr.has("zone_id"):
                changes["zone_id"] = new_z
            raw.update_feature(tx, key, int(fid), expected_version=None, changes=changes, actor=actor,
                               action="attribute", comment=comment, at=at)
            n += 1
        out[key] = n
    return out


def details(store, record: dict, lang: str = "zh"):
    """The register page's extra tables for a zone: its posts and who holds them."""

    posts = chiefs_of_zone(store, int(record["id"]))
    if posts.empty:
        return []
    return [("责任区岗位（一长两员）" if lang == "zh" else "Posts of this zone", table(S.layer("post"), posts, lang))]


# ------------------------------------------------------------------------------ command line
def read_file(store, path, *, encoding=None, crs=None, source_layer=None) -> gpd.GeoDataFrame:
    """A zones file (shp/zip/gpkg/geojson) read and checked as any upload, its levels as keys."""

    report = prepare(str(path), Options(layer="zone", encoding=encoding, crs=crs, source_layer=source_layer), store)
    refusal = report.refusal()
    if refusal is not None:
        raise refusal
    frame = report.features.drop(columns=["number"], errors="ignore")
    if "level" not in frame or frame["level"].isna().any():
        raise ValidationError("every zone needs its level (a column such as 级别)",
                              "每个责任区都需要级别（如“级别”列：盟级/旗县级/苏木乡镇级/嘎查村级/网格）")
    frame["level"] = frame["level"].map(lambda v: option_key(S.layer("zone").field("level"), v))
    return frame
