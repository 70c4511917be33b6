"""The summary screen's figures, now or as they stood on any past date.

Current figures read only the columns they need. Figures "as of" a date are rebuilt from the
append-only event history: a feature's status on day D is the ``to_status`` of its last event
before D ended (Beijing time), and its verdict, fine, … the last values its events set — so a
bulletin dated 2023-12-09 regenerated later says the same thing.

A figure that cannot be computed for lack of data is ``None`` (shown as "无数据"), never 0.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import numpy as np
import pandas as pd
import shapely

from geo import schema as S
from geo.store import Store
from geo.timeutil import end_of_local_day_utc, today_local
from geo.workflow import change_deadlines, overdue

# How far along the rectification road an illegal polygon is.
RANK = {s: i for i, s in enumerate(S.CHANGE_STATUSES)}
VERIFIED_OR_LATER = set(S.CHANGE_STATUSES[2:])

CHANGE_COLS = ["batch_id", "status", "verdict", "fine_yuan", "area_ha", "area_mu", "county_code",
               "county", "deadline", "kind"]

_cache: dict = {}
_cache_lock = threading.Lock()


def _pct(part, whole):
    if whole in (None, 0) or part is None:
        return None
    return round(100.0 * part / whole, 1)


def _num(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return value


def change_state(store: Store, as_of: dt.date | None = None, columns=CHANGE_COLS) -> pd.DataFrame:
    """Change polygons with the columns the figures need, as now or as of the end of ``as_of``."""
    frame = store.read_layer("change", columns=columns, geometry=False)
    if as_of is None or frame.empty:
        return frame
    cutoff = end_of_local_day_utc(as_of)
    ev = store.events("change", until=cutoff)
    if ev.empty:
        return frame.iloc[0:0]
    ev = ev.sort_values(["at", "id"])
    last = ev.groupby("feature_id").tail(1).set_index("feature_id")
    frame = frame[frame["id"].isin(last.index)].copy()
    frame["status"] = frame["id"].map(last["to_status"])
    # field values as set by the events up to the cutoff
    replay = [c for c in columns if c not in ("status", "batch_id", "county_code", "county", "kind",
                                             "area_ha", "area_mu")]
    for col in replay:
        frame[col] = None
    with_fields = ev[ev["fields"].notna()]
    values: dict[str, dict[int, object]] = {c: {} for c in replay}
    for fid, text in zip(with_fields["feature_id"].tolist(), with_fields["fields"].tolist()):
        data = json.loads(text)
        for c in replay:
            if c in data:
                values[c][fid] = data[c]
    for c in replay:
        frame[c] = frame["id"].map(values[c])
    frame["fine_yuan"] = pd.to_numeric(frame.get("fine_yuan"), errors="coerce")
    return frame


def _change_figures(frame: pd.DataFrame, batches: pd.DataFrame, today: dt.date) -> dict:
    total = len(frame)
    if total == 0:
        return {"total": 0, "verified": None, "verified_pct": None, "illegal": None,
                "case_filed": None, "penalized": None, "rectified": None, "closed": None,
                "closed_pct": None, "overdue": None, "fines_yuan": None, "fines_wan": None,
                "illegal_area_ha": None, "illegal_area_mu": None, "by_status": {}}
    status = frame["status"]
    rank = status.map(RANK).fillna(-1)
    illegal = frame["verdict"] == "illegal"
    verified = status.isin(VERIFIED_OR_LATER)
    due = change_deadlines(frame, batches)
    late = overdue(due, today)
    fines = pd.to_numeric(frame["fine_yuan"], errors="coerce")
    fines_sum = float(fines.sum()) if fines.notna().any() else 0.0
    return {
        "total": int(total),
        "verified": int(verified.sum()),
        "verified_pct": _pct(int(verified.sum()), total),
        "illegal": int(illegal.sum()),
        "case_filed": int((illegal & (rank >= RANK["case_filed"])).sum()),
        "penalized": int((illegal & (rank >= RANK["penalized"])).sum()),
        "rectified": int((illegal & (rank >= RANK["rectified"])).sum()),
        "closed": int((status == "closed").sum()),
        "closed_pct": _pct(int((status == "closed").sum()), total),
        "overdue": int(late.sum()),
        "fines_yuan": round(fines_sum, 2),
        "fines_wan": round(fines_sum / 10000.0, 6),
        "illegal_area_ha": round(float(frame.loc[illegal, "area_ha"].sum()), 4),
        "illegal_area_mu": round(float(frame.loc[illegal, "area_mu"].sum()), 2),
        "by_status": {s: int((status == s).sum()) for s in S.CHANGE_STATUSES},
    }


def token(store: Store) -> str:
    """Changes whenever anything the summary counts changes (every change appends an event)."""
    with store.transaction(write=False) as tx:
        ev = tx.query_one("SELECT MAX(id) FROM events")
        b = tx.query_one("SELECT MAX(id) FROM batches")
    return f"{store.url}|{ev[0]}|{b[0]}"


def summary(
    store: Store,
    *,
    as_of: dt.date | None = None,
    batch_ids: list[int] | None = None,
    counties: list[str] | None = None,
    today: dt.date | None = None,
    use_cache: bool = True,
) -> dict:
    """All figures of the summary screen (领导驾驶舱), for the whole league and per county."""
    today = as_of or today or today_local()
    key = None
    if use_cache:
        key = (token(store), as_of, tuple(batch_ids or ()), tuple(counties or ()), today)
        with _cache_lock:
            if key in _cache:
                return _cache[key]
    batches = store.batches("change")
    frame = change_state(store, as_of)
    if batch_ids:
        frame = frame[frame["batch_id"].isin([int(b) for b in batch_ids])]
    if counties:
        frame = frame[frame["county_code"].isin(counties)]
    out = {
        "as_of": (as_of or today).isoformat(),
        "filters": {"batch_ids": batch_ids or [], "counties": counties or []},
        "change": _change_figures(frame, batches, today),
        "by_batch": [],
        "by_county": [],
    }
    names = dict(zip(pd.to_numeric(batches["id"]).astype(int), batches["name"])) if len(batches) else {}
    for bid, part in frame.groupby("batch_id"):
        fig = _change_figures(part, batches, today)
        fig.pop("by_status")
        out["by_batch"].append({"batch_id": int(bid), "name": names.get(int(bid), str(bid)), **fig})
    for (code, name), part in frame.groupby(["county_code", "county"]):
        fig = _change_figures(part, batches, today)
        fig.pop("by_status")
        out["by_county"].append({"county_code": code, "county": name, **fig})
    out["by_county"].sort(key=lambda r: (-(r["closed_pct"] or 0), r["county_code"]))
    out.update(_other_layers(store, as_of, counties, today))
    if key is not None:
        with _cache_lock:
            if len(_cache) > 64:
                _cache.clear()
            _cache[key] = out
    return out


def _layer_state(store: Store, layer: str, columns: list[str], as_of: dt.date | None):
    frame = store.read_layer(layer, columns=columns, geometry=False)
    if as_of is None or frame.empty:
        return frame
    ev = store.events(layer, until=end_of_local_day_utc(as_of))
    if ev.empty:
        return frame.iloc[0:0]
    last = ev.sort_values(["at", "id"]).groupby("feature_id").tail(1).set_index("feature_id")
    frame = frame[frame["id"].isin(last.index)].copy()
    frame["status"] = frame["id"].map(last["to_status"])
    return frame


def _other_layers(store: Store, as_of, counties, today) -> dict:
    out: dict = {}
    occ = _layer_state(store, "occupation", ["status", "fine_yuan", "county_code", "area_ha"], as_of)
    if counties:
        occ = occ[occ["county_code"].isin(counties)]
    out["occupation"] = {
        "total": int(len(occ)),
        "by_stage": {s: int((occ["status"] == s).sum()) for s in S.OCCUPATION.statuses},
        "delisted": int((occ["status"] == "delisted").sum()) if len(occ) else None,
        "fines_yuan": round(float(pd.to_numeric(occ["fine_yuan"]).sum()), 2) if len(occ) else None,
    }
    rest = _layer_state(store, "restoration", ["status", "year", "type", "planned_mu", "completed_mu",
                                               "budget_yuan", "paid_yuan", "county_code", "county"],
                        as_of)
    if counties:
        rest = rest[rest["county_code"].isin(counties)]
    if len(rest):
        planned = float(rest["planned_mu"].sum())
        completed = float(rest["completed_mu"].sum())
        budget = float(rest["budget_yuan"].sum())
        paid = float(rest["paid_yuan"].sum())
        accepted = float(rest.loc[rest["status"] == "accepted", "completed_mu"].sum())
        by_year = []
        for year, part in rest.groupby("year"):
            by_year.append({"year": int(year), "planned_wanmu": round(part["planned_mu"].sum() / 1e4, 4),
                            "completed_wanmu": round(part["completed_mu"].sum() / 1e4, 4)})
        by_county = []
        for (code, name, year), part in rest.groupby(["county_code", "county", "year"]):
            by_county.append({"county_code": code, "county": name, "year": int(year),
                              "completed_wanmu": round(part["completed_mu"].sum() / 1e4, 4),
                              "budget_yuan": float(part["budget_yuan"].sum()),
                              "paid_yuan": float(part["paid_yuan"].sum()),
                              "paid_pct": _pct(float(part["paid_yuan"].sum()), float(part["budget_yuan"].sum()))})
        out["restoration"] = {
            "planned_wanmu": round(planned / 1e4, 4), "completed_wanmu": round(completed / 1e4, 4),
            "completed_pct": _pct(completed, planned), "accepted_wanmu": round(accepted / 1e4, 4),
            "budget_yuan": budget, "paid_yuan": paid, "paid_pct": _pct(paid, budget),
            "by_year": by_year, "by_county": by_county,
        }
    else:
        out["restoration"] = {"planned_wanmu": None, "completed_wanmu": None, "completed_pct": None,
                              "accepted_wanmu": None, "budget_yuan": None, "paid_yuan": None,
                              "paid_pct": None, "by_year": [], "by_county": []}
    boards = _layer_state(store, "signboard", ["status", "level", "chief_name", "zone_id",
                                               "county_code"], as_of)
    if counties:
        boards = boards[boards["county_code"].isin(counties)]
    zones = store.read_layer("zone", columns=["chief_name"], geometry=False)
    chief = dict(zip(zones["id"], zones["chief_name"]))
    mismatch = boards["zone_id"].map(chief) != boards["chief_name"] if len(boards) else pd.Series([], dtype=bool)
    stale = (boards["status"] == "stale") | (mismatch & boards["zone_id"].notna()) if len(boards) else mismatch
    out["signboards"] = {
        "total": int(len(boards)),
        "by_level": {lvl: int((boards["level"] == lvl).sum()) for lvl in ("league", "banner", "township", "village")},
        "stale": int(stale.sum()) if len(boards) else None,
        "stale_unrecorded": int((stale & (boards["status"] != "stale")).sum()) if len(boards) else None,
        "damaged": int((boards["status"] == "damaged").sum()) if len(boards) else None,
    }
    out["patrols"] = _patrol_figures(store, as_of, counties)
    items = store.items()
    if as_of is not None and len(items):
        ev = store.events("item", until=end_of_local_day_utc(as_of))
        last = ev.sort_values(["at", "id"]).groupby("feature_id").tail(1).set_index("feature_id")
        items = items[items["id"].astype(int).isin(last.index)].copy()
        items["status"] = items["id"].astype(int).map(last["to_status"])
    out["items"] = {
        "total": int(len(items)),
        "done": int((items["status"] == "done").sum()) if len(items) else None,
        "in_progress": int((items["status"] == "in_progress").sum()) if len(items) else None,
        "long_term": int((items["status"] == "long_term").sum()) if len(items) else None,
        "overdue": int(((items["status"] == "in_progress") &
                        (items["deadline"].astype(str) < today.isoformat())).sum()) if len(items) else None,
    }
    return out


def _patrol_figures(store: Store, as_of, counties) -> dict:
    pats = store.read_layer("patrol", columns=["actor_level", "length_km", "duration_h",
                                               "started_at", "county_code"], geometry=True)
    if as_of is not None and len(pats):
        pats = pats[pats["started_at"].astype(str) < end_of_local_day_utc(as_of)]
    if counties:
        pats = pats[pats["county_code"].isin(counties)]
    if pats.empty:
        return {"count": 0, "km": None, "hours": None, "by_level": {}, "open_visited_pct": None}
    by_level = {}
    for lvl, part in pats.groupby("actor_level"):
        by_level[lvl] = {"count": int(len(part)), "km": round(float(part["length_km"].sum()), 1),
                         "hours": round(float(part["duration_h"].sum()), 1)}
    # share of open polygons a patrol passed within ~200 m of
    open_polys = store.read_layer("change", columns=["status", "county_code"], geometry=True)
    open_polys = open_polys[open_polys["status"] != "closed"]
    if counties:
        open_polys = open_polys[open_polys["county_code"].isin(counties)]
    visited_pct = None
    if len(open_polys):
        tree = shapely.STRtree(open_polys.geometry.values)
        hits = tree.query(pats.geometry.values, predicate="dwithin", distance=0.002)
        visited_pct = _pct(len(np.unique(hits[1])), len(open_polys))
    return {"count": int(len(pats)), "km": round(float(pats["length_km"].sum()), 1),
            "hours": round(float(pats["duration_h"].sum()), 1), "by_level": by_level,
            "open_visited_pct": visited_pct}
