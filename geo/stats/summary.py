"""The summary screen's figures (领导驾驶舱), now or as they stood on any past date.

Current figures are aggregated where the data lives: the change polygons are grouped in one SQL
query by the few keys the figures depend on (batch, county, status, verdict, own deadline), so the
summary of 100,000 polygons handles a few thousand groups, not 100,000 rows. Every figure is then
computed from those groups with pandas.

Figures "as of" a date are rebuilt from the append-only event history: a feature counts if it had
been imported by the end of that day (Beijing time); its status is the ``to_status`` of its last
event before then, and each field the workflow sets (verdict, fine, deadline, …) the last value an
event gave it before then — ``None`` if it was only set later. The rebuilt rows are grouped the
same way and go through the same figure code, so a bulletin dated 2023-12-09 regenerated later
says the same thing.

A figure that cannot be computed for lack of data is ``None`` (shown as "无数据"), never 0.
:func:`link` says where each figure's features are listed (the map or a list page, filtered to
exactly those features).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import numpy as np
import pandas as pd

from geo.core import crs as C
from geo.declare import registry as S
from geo.access.scope import unwrap
from geo.store import Store
from geo.core.timeutil import end_of_local_day_utc, today_local
from geo.change.deadlines import change_deadlines
# the rows the figures are computed from (geo.stats.state, geo.engine.asof) and the other layers'
# figures (geo.stats.layers) live in their own modules; the names pages and reports read are
# re-exported here
from geo.engine.asof import (  # noqa: F401
    FEW_BY_ID, SINCE, in_clause, layer_state, pct, query_frame, query_rows, replay, scan_hint, since,
    text_or_none, token,
)
from geo.stats.layers import (  # noqa: F401
    LINK_DONE, item_figures, item_state, layer_rows, link_counts, open_visited, other_layers, patrol_figures,
    restoration_figures, signboard_figures, zone_chiefs,
)
from geo.stats.state import (  # noqa: F401
    AGEING, CHANGE_COLS, DEADLINE_STAGES, FUNNEL, GROUP_KEYS, NONE_KEY, OPEN_STATUSES, PATROL_LEVELS, RANK,
    SIGNBOARD_LEVELS, VERIFIED_OR_LATER, change_state, groups_now, groups_of,
)
from geo.engine import official
from geo.engine.figures import all_figures
from geo.change.review_figures import figures as review_figures

_NOWHERE = "\u2205"  # a county code no feature has: the filter of a scope with nothing in it
_cache: dict = {}  # (token, filters) -> (computed at, figures)
_cache_lock = threading.Lock()
CACHE_SECONDS = 300.0  # also recompute now and then: a restored backup may not move the token


# ---------------------------------------------------------------------------- change figures
def _empty_change() -> dict:
    out = {k: None for k in ("verified", "verified_pct", "illegal", "case_filed", "penalized",
                             "rectified", "accepted", "closed", "closed_pct", "illegal_closed",
                             "open", "overdue", "overdue_unknown", "fines_yuan", "fines_wan",
                             "illegal_area_ha", "illegal_area_mu")}
    out.update(total=0, by_status={}, funnel={}, ageing={})
    return out


def _with_due(g: pd.DataFrame, batches: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Grouped rows with their derived deadline (``_due``) and days overdue (``_days``, 0 if not
    overdue): from the batch, or the polygon's own rectification deadline."""
    g = g.copy()
    due = change_deadlines(g, batches) if len(g) else pd.Series([], dtype=object)
    text = today.isoformat()
    g["_due"] = due.astype(object).to_numpy() if len(g) else []
    g["_days"] = np.array([(today - dt.date.fromisoformat(d[:10])).days
                           if isinstance(d, str) and d[:10] < text else 0 for d in due.tolist()],
                          dtype="int64")
    return g


def _change_figures(g: pd.DataFrame, batches: pd.DataFrame, today: dt.date) -> dict:
    """Every change-polygon figure from grouped rows (see :func:`groups_of`)."""
    n = g["n"].to_numpy(dtype="int64") if len(g) else np.zeros(0, "int64")
    total = int(n.sum())
    if total == 0:
        return _empty_change()
    status = g["status"].astype(object)
    rank = status.map(RANK).fillna(-1).to_numpy()
    illegal = (g["verdict"].astype(object) == "illegal").to_numpy()

    def count(mask) -> int:
        return int(n[np.asarray(mask, dtype=bool)].sum())

    reached = {s: count(illegal & (rank >= RANK[s])) for s in ("case_filed", "penalized",
                                                              "rectified", "accepted")}
    verified = count(status.isin(VERIFIED_OR_LATER))
    closed = count(status == "closed")
    illegal_n = count(illegal)
    if "_days" not in g.columns:
        g = _with_due(g, batches, today)
    in_stage = status.isin(DEADLINE_STAGES).to_numpy()
    known = g["_due"].notna().to_numpy()
    days = g["_days"].to_numpy(dtype="int64")
    late = days > 0
    unknown = count(in_stage & ~known)
    staged = count(in_stage)
    overdue_n = None if staged and unknown == staged else count(late)
    ageing = {}
    if overdue_n is not None:
        for key, lo, hi in AGEING:
            sel = late & (days >= lo) & ((days <= hi) if hi is not None else True)
            ageing[key] = count(sel)
    fine_n = int(g["fine_n"].sum())
    fines = float(g["fine_sum"].sum())
    fines_yuan = None if fine_n == 0 and reached["penalized"] > 0 else round(fines, 2)
    ill_ha = float(g.loc[illegal, "ha"].sum())
    out = {
        "total": total,
        "verified": verified,
        "verified_pct": pct(verified, total),
        "illegal": illegal_n,
        **reached,
        "closed": closed,
        "closed_pct": pct(closed, total),
        "illegal_closed": count(illegal & (status == "closed").to_numpy()),
        "open": total - closed,
        "overdue": overdue_n,
        "overdue_unknown": unknown,
        "fines_yuan": fines_yuan,
        "fines_wan": None if fines_yuan is None else round(fines / 10000.0, 6),
        "illegal_area_ha": round(ill_ha, 4),
        "illegal_area_mu": round(round(ill_ha, 4) * C.MU_PER_HA, 2),  # from the total, not summed parts
        "by_status": {s: count(status == s) for s in S.layer("change").statuses},
        "ageing": ageing,
    }
    out["funnel"] = {k: out[k] for k, _, _ in FUNNEL}
    return out


# ---------------------------------------------------------------------------- trend
def _hour_expr(store: Store) -> str:
    """SQL for the UTC hour of an event (``YYYY-MM-DDTHH``), so the database does the counting."""
    if store.backend == "gpkg":
        return "substr(at, 1, 13)"  # stored as YYYY-MM-DDTHH:MM:SSZ
    return "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"


def _trend(store: Store, cutoff: str | None, where: dict | None, minus: tuple[str, list] | None = None) -> list[dict]:
    """Polygons verified and closed per week (Monday to Sunday, Beijing time), counted by the
    database per hour and summed here into local weeks. ``minus``: an SQL condition on the change
    polygons whose transitions the kept hourly counts include but the figures do not (batches that
    are not official, polygons outside the jurisdiction; see :mod:`geo.engine.official`)."""
    params: list = ["change"]
    extra = ""
    if cutoff is not None:
        extra += " AND at < ?"
        params.append(cutoff)
    if where:
        parts = []
        for col, values in where.items():
            clause, p = in_clause(col, values)
            parts.append(clause)
            params += p
        extra += f" AND feature_id IN (SELECT id FROM {S.layer('change').table} WHERE {' AND '.join(parts)})"
    if not where:  # the store keeps these counts per hour (geo.store.facts): no history scan
        hours_params: list = ["change"] + ([cutoff[:13]] if cutoff is not None else [])
        ev = query_frame(store, "SELECT h, to_status, n FROM event_hours WHERE layer = ? AND to_status IN "
                           "('verified', 'closed') AND n <> 0" + (" AND h < ?" if cutoff is not None else ""),
                    hours_params)
        if minus is not None and len(ev):
            hour = _hour_expr(store)
            cut = " AND at < ?" if cutoff is not None else ""
            less = query_frame(store, f"SELECT {hour} AS h, to_status, COUNT(*) AS n FROM events WHERE layer = ? "
                                 "AND action = 'transition' AND to_status IN ('verified', 'closed')" + cut
                                 + f" AND feature_id IN (SELECT id FROM {S.layer('change').table} WHERE {minus[0]}) "
                                 f"GROUP BY {hour}, to_status",
                          ["change", *([cutoff] if cutoff is not None else []), *minus[1]])
            if len(less):
                key = ["h", "to_status"]
                ev = ev.astype({"n": "int64"}).merge(less.astype({"n": "int64"}), on=key, how="left",
                                                     suffixes=("", "_less"))
                ev["n"] = ev["n"] - ev["n_less"].fillna(0).astype("int64")
                ev = ev.loc[ev["n"] != 0, ["h", "to_status", "n"]]
    else:
        hour = _hour_expr(store)
        ev = query_frame(store, f"SELECT {hour} AS h, to_status, COUNT(*) AS n FROM events{scan_hint(store)} "
                           "WHERE layer = ? AND action = 'transition' AND to_status IN ('verified', "
                           f"'closed'){extra} GROUP BY {hour}, to_status", params)
    if ev.empty:
        return []
    at = pd.to_datetime(ev["h"].astype(str), format="%Y-%m-%dT%H")
    day = (at + pd.Timedelta(hours=8)).dt.normalize()  # Beijing has no daylight saving
    ev["week"] = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    ev["n"] = pd.to_numeric(ev["n"]).astype("int64")
    table = ev.pivot_table(index="week", columns="to_status", values="n", aggfunc="sum", fill_value=0)
    full = pd.date_range(table.index.min(), table.index.max(), freq="7D")
    table = table.reindex(full, fill_value=0)
    verified = table["verified"] if "verified" in table else pd.Series(0, index=full)
    closed = table["closed"] if "closed" in table else pd.Series(0, index=full)
    return [{"week": w.date().isoformat(), "verified": int(v), "closed": int(c)}
            for w, v, c in zip(full, verified.tolist(), closed.tolist())]


# ---------------------------------------------------------------------------- the summary
def summary(
    store: Store,
    *,
    as_of: dt.date | None = None,
    batch_ids: list[int] | None = None,
    counties: list[str] | None = None,
    today: dt.date | None = None,
    use_cache: bool = True,
    extras: bool = True,
) -> dict:
    """All figures of the summary screen (领导驾驶舱), for the whole league and per county.

    ``as_of``: the figures as they stood at the end of that day (Beijing time), rebuilt from the
    history. ``today``: the date overdue is judged against when not ``as_of`` (default: today).
    ``batch_ids`` / ``counties`` narrow the change polygons (and, for counties, the other layers).
    ``extras=False`` leaves out the weekly trend, the registers' figures and the closure review
    (``trend``, ``registers``, ``review``: most of the time of a fresh count), so that a screen can
    show the headline figures first; a later call with ``extras=True`` adds them to the same kept
    figures without counting those again.
    The result is shared between callers (cached until the store changes): do not modify it.
    """
    today = as_of or today or today_local()
    batch_ids = sorted({int(b) for b in batch_ids or ()})
    counties = sorted({str(c) for c in counties or ()})
    # a store scoped to some counties (geo.access.scope.ScopedStore) never counts beyond them
    store, access = unwrap(store)
    allowed = access.counties if access is not None else None
    if allowed is not None:
        counties = sorted(set(counties) & set(allowed)) if counties else sorted(allowed)
        counties = counties or [_NOWHERE]
    if not use_cache:
        out = _compute(store, as_of, batch_ids, counties, today)
        return {**out, **_extras(store, as_of, batch_ids, counties, today)} if extras else out
    key = (token(store), as_of, tuple(batch_ids), tuple(counties), today)
    full = _cached(key + (True,))
    if full is not None:
        return full
    core = _cached(key + (False,))
    if core is None:
        core = _compute(store, as_of, batch_ids, counties, today)
        _keep(key + (False,), core)
    if not extras:
        return core
    full = {**core, **_extras(store, as_of, batch_ids, counties, today)}
    _keep(key + (True,), full)
    return full


def _cached(key):
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    return None


def _keep(key, figures: dict) -> None:
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = (time.monotonic(), figures)


def _extras(store: Store, as_of, batch_ids, counties, today) -> dict:
    """The weekly trend, the registers' figures and the closure review (see :func:`summary`)."""

    cutoff = end_of_local_day_utc(as_of) if as_of is not None else None
    sc = official.scope(store, store.batches("change"), as_of, batch_ids, counties)
    where = {}
    if sc.batch_ids:
        where["batch_id"] = sc.batch_ids
    if sc.counties:
        where["county_code"] = sc.counties
    return {
        "trend": (_trend(store, cutoff, where) if batch_ids or counties
                  else _trend(store, cutoff, None, minus=sc.excluded_sql)),
        # the registers' declared figures (geo.declare.registry): total and per county
        "registers": all_figures(store, as_of=as_of, counties=counties or None, today=today),
        # the closure review (geo.change.review), over the same official polygons as the change figures
        "review": review_figures(store, as_of=as_of, counties=sc.counties or None, batch_ids=sc.batch_ids,
                                 today=today),
    }


def _compute(store: Store, as_of, batch_ids, counties, today) -> dict:
    """Every figure but :func:`_extras`."""

    cutoff = end_of_local_day_utc(as_of) if as_of is not None else None
    batches = store.batches("change")  # (a batch is listed as of a day if its polygons existed)
    # only official batches and polygons inside the jurisdiction count (geo.engine.official); the other
    # layers keep the requested counties
    requested = {"batch_ids": batch_ids, "counties": counties}
    sc = official.scope(store, batches, as_of, batch_ids, counties)
    layer_counties = counties
    batch_ids, counties = sc.batch_ids, sc.counties
    names = {}
    kinds = {}
    if len(batches):
        bid = pd.to_numeric(batches["id"]).astype(int)
        names = dict(zip(bid, batches["name"]))
        kinds = dict(zip(bid, batches["kind"]))
    where = {}
    if batch_ids:
        where["batch_id"] = batch_ids
    if counties:
        where["county_code"] = counties
    state = None  # the replayed polygons (as-of only): their status decides which are open
    if cutoff is None:
        groups = groups_now(store, batch_ids, counties)
    else:
        state = change_state(store, as_of, where=where or None)
        groups = groups_of(state)
    groups = _with_due(groups, batches, today)
    county_names = _county_names(store, groups, counties)
    out = {
        "as_of": (as_of or today).isoformat(),
        "historic": as_of is not None,
        "today": today.isoformat(),
        "filters": requested,
        "scope": sc.as_dict(),
        "change": _change_figures(groups, batches, today),
        "by_batch": [],
        "by_county": [],
    }
    if len(groups):
        bkey = pd.to_numeric(groups["batch_id"], errors="coerce")
        for b, part in groups.groupby(bkey, sort=True):
            fig = _change_figures(part, batches, today)
            for k in ("by_status", "funnel"):
                fig.pop(k)
            out["by_batch"].append({"batch_id": int(b), "name": names.get(int(b), f"#{int(b)}"),
                                    "kind": kinds.get(int(b)), **fig})
    others = other_layers(store, as_of, cutoff, batch_ids, layer_counties, today, batches, state,
                           change_counties=counties)
    out.update({k: v for k, v in others.items() if k != "per_county"})
    per_county = others["per_county"]
    ckey = groups["county_code"].astype(object) if len(groups) else pd.Series([], dtype=object)
    for code, name in county_names.items():
        part = groups[ckey == code] if len(groups) else groups
        fig = _change_figures(part, batches, today)
        for k in ("by_status", "funnel"):
            fig.pop(k)
        row = {"county_code": code, "county": name, **fig}
        row.update(per_county.get(code, {}))
        out["by_county"].append(row)
    out["by_county"].sort(key=lambda r: (r["closed_pct"] is None, -(r["closed_pct"] or 0),
                                         r["county_code"]))
    for i, r in enumerate(out["by_county"], start=1):
        r["rank"] = i if r["closed_pct"] is not None else None
    return out


def _county_names(store: Store, groups: pd.DataFrame, counties) -> dict[str, str]:
    """County code → name: the admin layer's counties plus any county the polygons name."""
    names: dict[str, str] = {}
    admin = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"],
                             geometry=False)
    for code, name in zip(admin["code"], admin["name"]):
        if code:
            names[str(code)] = name
    if len(groups):
        for code, name in zip(groups["county_code"], groups["county"]):
            code = text_or_none(code)
            if code and code not in names:
                names[code] = text_or_none(name) or code
    if counties:
        names = {c: n for c, n in names.items() if c in counties}
    return dict(sorted(names.items()))


# ---------------------------------------------------------------------------- links
def link(key: str, *, batch_ids=(), counties=(), year: int | None = None) -> tuple[str, dict]:
    """Where the features a figure counts are listed: ``(page, query parameters)``.

    ``page`` is ``"map"`` (the review map, ``/``), ``"field"`` or ``"items"``. Keys are
    ``section.figure`` as in :func:`summary`'s result, e.g. ``change.closed``,
    ``change.status.verifying``, ``occupation.stage.penalized``, ``signboards.level.village``,
    ``patrols.level.ranger``, ``items.done``. The map's ``stage=reached`` means "illegal polygons
    that reached at least the first listed status", exactly as :func:`summary` counts them.
    ``batch_ids`` / ``counties`` are the summary's filters; ``year`` the restoration year the
    ``restoration.year`` and ``restoration.accepted`` figures are of. Unknown keys raise KeyError.
    """
    section, _, name = key.partition(".")
    county = ",".join(str(c) for c in counties) if counties else None
    if section == "change":
        q: dict[str, str] = {}
        if batch_ids:
            q["batch"] = ",".join(str(int(b)) for b in batch_ids)
        if county:
            q["county"] = county
        if name in ("total", ""):
            pass
        elif name == "verified":
            q["status"] = ",".join(VERIFIED_OR_LATER)
        elif name in ("illegal", "illegal_area"):
            q["verdict"] = "illegal"
        elif name in ("case_filed", "penalized", "rectified", "accepted", "fines"):
            q["verdict"] = "illegal"
            q["status"] = "penalized" if name == "fines" else name
            q["stage"] = "reached"
        elif name == "closed":
            q["status"] = "closed"
        elif name == "illegal_closed":
            q["verdict"] = "illegal"
            q["status"] = "closed"
        elif name in ("open", "patrol_open"):
            q["status"] = ",".join(OPEN_STATUSES)
        elif name == "overdue":
            q["overdue"] = "1"
        elif name.startswith("status."):
            q["status"] = name.split(".", 1)[1]
        else:
            raise KeyError(key)
        return "map", q
    if section == "patrols" and name == "visited":
        return link("change.open", batch_ids=batch_ids, counties=counties)
    if section == "items":
        q = {}
        if name == "overdue":
            q = {"status": "in_progress", "overdue": "1"}
        elif name not in ("total", ""):
            q = {"status": name}
        return "items", q
    layer = {"occupation": "occupation", "restoration": "restoration", "signboards": "signboard",
             "patrols": "patrol"}.get(section)
    if layer is None:
        raise KeyError(key)
    q = {"layer": layer}
    if county:
        q["county"] = county
    if name.startswith(("stage.", "status.")):
        q["status"] = name.split(".", 1)[1]
    elif name.startswith("level."):
        q["level"] = name.split(".", 1)[1]
    elif name in ("delisted", "stale", "damaged", "accepted"):
        q["status"] = name
    elif name not in ("total", "year", ""):
        raise KeyError(key)
    if layer == "restoration" and name in ("year", "accepted") and year is not None:
        q["year"] = str(year)  # these figures are of one year's tasks
    return "field", q


def url(page: str, query: dict) -> str:
    """``link()``'s result as a path relative to the app root, e.g. ``/?status=closed``."""
    from urllib.parse import urlencode

    path = {"map": "/", "field": "/field", "items": "/items"}[page]
    return path + ("?" + urlencode(query, safe=",") if query else "")
