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
import json
import math
import threading
import time

import numpy as np
import pandas as pd

from geo import schema as S
from geo.scope import unwrap
from geo.store import Store
from geo.store import visits
from geo.store.visits import VISIT_METRES  # a track passing this close to a polygon's centre visited it
from geo.timeutil import end_of_local_day_utc, today_local
from geo.workflow import RECTIFY_STAGE, VERIFY_STAGE, change_deadlines

# How far along the rectification road a polygon is (its current status's place in the machine).
RANK = {s: i for i, s in enumerate(S.CHANGE_STATUSES)}
VERIFIED_OR_LATER = tuple(S.CHANGE_STATUSES[2:])
OPEN_STATUSES = tuple(S.CHANGE_STATUSES[:-1])
DEADLINE_STAGES = tuple(VERIFY_STAGE) + tuple(RECTIFY_STAGE)

# The keys a change-polygon figure depends on; polygons equal in these are counted together.
GROUP_KEYS = ["batch_id", "county_code", "county", "status", "verdict", "deadline"]
CHANGE_COLS = GROUP_KEYS + ["fine_yuan", "area_ha", "area_mu"]

# Stages of the status funnel: (key, status reached, illegal polygons only).
FUNNEL = (
    ("total", None, False),
    ("verified", "verified", False),
    ("illegal", None, True),
    ("case_filed", "case_filed", True),
    ("penalized", "penalized", True),
    ("rectified", "rectified", True),
    ("accepted", "accepted", True),
    ("illegal_closed", "closed", True),
)
# Overdue ageing buckets: (key, first day, last day or None).
AGEING = (("1-30", 1, 30), ("31-90", 31, 90), ("91-180", 91, 180), (">180", 181, None))
SIGNBOARD_LEVELS = ("league", "banner", "township", "village")
PATROL_LEVELS = ("league_chief", "banner_chief", "township_chief", "village_chief", "ranger")

_NOWHERE = "\u2205"  # a county code no feature has: the filter of a scope with nothing in it
_cache: dict = {}  # (token, filters) -> (computed at, figures)
_cache_lock = threading.Lock()
CACHE_SECONDS = 300.0  # also recompute now and then: a restored backup may not move the token


# ---------------------------------------------------------------------------- small helpers
def _pct(part, whole):
    if whole in (None, 0) or part is None:
        return None
    return round(100.0 * part / whole, 1)


def _text(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _scan(store: Store) -> str:
    """Table hint for reading most of the events table: SQLite, without statistics, would walk the
    (layer, feature_id) index row by row, several times slower than scanning the table."""
    return " NOT INDEXED" if store.backend == "gpkg" else ""


_FEW = 2000  # up to this many features, history is read by id through the (layer, feature_id) index


def _query(store: Store, sql: str, params=()) -> pd.DataFrame:
    with unwrap(store)[0].transaction(write=False) as tx:
        names, rows = tx.columns(sql, list(params))
    return pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)


def _in(column: str, values) -> tuple[str, list]:
    values = list(values)
    return f"{column} IN ({', '.join('?' * len(values))})", values


def token(store: Store) -> str:
    """Changes whenever anything the summary counts changes (every change appends an event)."""
    store, _ = unwrap(store)
    with unwrap(store)[0].transaction(write=False) as tx:
        ev = tx.query_one("SELECT MAX(id) FROM events")
        b = tx.query_one("SELECT MAX(id), COUNT(*) FROM batches")
    return f"{store.url}|{ev[0]}|{b[0]}|{b[1]}"


# ---------------------------------------------------------------------------- replaying history
def _rows(store: Store, sql: str, params=()) -> list[tuple]:
    with unwrap(store)[0].transaction(write=False) as tx:
        return tx.query(sql, list(params))


def _replay(store: Store, layer: str, frame: pd.DataFrame, cutoff: str) -> pd.DataFrame:
    """``frame`` (current rows with ``id``) as it stood at ``cutoff`` (exclusive UTC text).

    Rows of features not yet imported by then are dropped; ``status`` is the last status reached
    before the cutoff; every other column an event set is the last value set before the cutoff,
    ``None`` if events set it only later, and the current value if no event ever set it.
    """
    if frame.empty:
        return frame
    hint, few, few_params = "", "", []
    if len(frame) <= _FEW:
        few, few_params = _in("feature_id", frame["id"].astype("int64").tolist())
        few = " AND " + few
    elif layer == "change":
        hint = _scan(store)
    rows = _rows(store, f"SELECT feature_id, to_status FROM events{hint} WHERE layer = ? AND at < ?"
                        f"{few} ORDER BY at, id", [layer, cutoff, *few_params])
    if not rows:
        return frame.iloc[0:0].copy()
    fids = np.fromiter((r[0] for r in rows), dtype="int64", count=len(rows))[::-1]
    statuses = np.array([r[1] for r in rows], dtype=object)[::-1]
    uniq, first = np.unique(fids, return_index=True)  # first in reverse = last in time order
    last = pd.Series(statuses[first], index=uniq)
    ids = frame["id"].astype("int64")
    out = frame[ids.isin(uniq).to_numpy()].copy()
    ids = out["id"].astype("int64")
    if "status" in out.columns:
        out["status"] = ids.map(last).astype(object).to_numpy()
    cols = [c for c in out.columns if c not in ("id", "status", "batch_id", "geometry", "cx", "cy")]
    if not cols:
        return out
    rows = _rows(store, f"SELECT feature_id, at, fields FROM events{hint} WHERE layer = ? AND "
                        f"fields IS NOT NULL AND action <> 'import'{few} ORDER BY at, id",
                 [layer, *few_params])
    keys = [(c, f'"{c}"') for c in cols]
    before: dict[str, dict[int, object]] = {c: {} for c in cols}
    after: dict[str, set[int]] = {c: set() for c in cols}
    early_ids, early_texts = [], []
    for fid, at, text in rows:
        if not isinstance(text, str):
            continue
        if str(at) < cutoff:
            if any(q in text for _, q in keys):
                early_ids.append(int(fid))
                early_texts.append(text)
        else:  # set only later: the value does not matter, only that it was not set yet
            for c, q in keys:
                if q in text:
                    after[c].add(int(fid))
    if early_texts:
        try:  # one parse for all events, far faster than one json.loads per event
            parsed = json.loads("[" + ",".join(early_texts) + "]")
        except ValueError:
            parsed = []
            for text in early_texts:
                try:
                    parsed.append(json.loads(text))
                except ValueError:
                    parsed.append(None)
        for fid, data in zip(early_ids, parsed):
            if isinstance(data, dict):
                for c, _ in keys:
                    if c in data:
                        before[c][fid] = data[c]
    id_arr = ids.to_numpy()
    for c in cols:
        later_only = after[c].difference(before[c])
        if not before[c] and not later_only:
            continue
        values = out[c].astype(object).to_numpy(copy=True)
        if later_only:
            values[np.isin(id_arr, np.fromiter(later_only, dtype="int64"))] = None
        if before[c]:
            set_ = pd.Series(before[c], dtype=object)
            got = np.isin(id_arr, set_.index.to_numpy(dtype="int64"))
            values[got] = set_.reindex(id_arr[got]).to_numpy()
        out[c] = values
    return out


def change_state(store: Store, as_of: dt.date | None = None, columns=CHANGE_COLS,
                 where: dict | None = None) -> pd.DataFrame:
    """Change polygons (one row each) with ``columns``, as now or as of the end of ``as_of``."""
    frame = store.read_layer("change", columns=columns, geometry=False, where=where)
    if as_of is None or frame.empty:
        return frame
    frame = _replay(store, "change", frame, end_of_local_day_utc(as_of))
    for c in ("fine_yuan", "area_ha", "area_mu"):
        if c in frame.columns:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame


SINCE = {"occupation": "found_on", "restoration": "year", "signboard": "installed_on",
         "patrol": "started_at"}


def layer_state(store: Store, layer: str, as_of: dt.date | None = None, *,
                columns: list[str] | None = None, where: dict | None = None) -> pd.DataFrame:
    """Features of any layer (attributes, no geometry) as now or as of the end of ``as_of``:
    the same rules the summary counts by (imported by then, status and fields replayed, and not
    dated after it — found on, installed on, year, patrol start)."""
    frame = store.read_layer(layer, columns=columns, geometry=False, where=where)
    if as_of is None:
        return frame
    cutoff = end_of_local_day_utc(as_of)
    frame = _replay(store, layer, frame, cutoff)
    if layer in SINCE:
        frame = _since(frame, SINCE[layer], as_of, cutoff)
    return frame


_NONE = "\u2205none\u2205"  # stands for None in group keys (pandas drops None keys)


def _groups_of(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-polygon rows → one row per distinct GROUP_KEYS with the count and sums."""
    cols = ["n", "fine_sum", "fine_n", "ha", "mu"]
    if frame.empty:
        return pd.DataFrame(columns=GROUP_KEYS + cols)
    f = pd.DataFrame({k: frame[k].astype(object) for k in GROUP_KEYS})
    fines = pd.to_numeric(frame["fine_yuan"], errors="coerce")
    f["n"] = 1
    f["fine_sum"] = fines.fillna(0.0)
    f["fine_n"] = fines.notna().astype(int)
    f["ha"] = pd.to_numeric(frame["area_ha"], errors="coerce").fillna(0.0)
    f["mu"] = pd.to_numeric(frame["area_mu"], errors="coerce").fillna(0.0)
    keys = {f"_{k}": f[k].where(f[k].notna(), _NONE) for k in GROUP_KEYS}  # None is a key too
    g = f.assign(**keys).groupby(list(keys), sort=False)
    out = g[cols].sum().reset_index()
    out = out.rename(columns={f"_{k}": k for k in GROUP_KEYS})
    for k in GROUP_KEYS:
        col = out[k].astype(object)
        out[k] = col.where(col != _NONE, None)
    return out


def _groups_now(store: Store, batch_ids, counties) -> pd.DataFrame:
    """The current change polygons grouped by :data:`GROUP_KEYS`, read from the store's
    pre-aggregated ``change_facts`` (kept exact on every write, see :mod:`geo.store.facts`), so
    the cost does not grow with the number of polygons."""
    from geo.store import facts

    with unwrap(store)[0].transaction(write=False) as tx:
        g = facts.read_facts(tx, batch_ids, counties)
    for c in ("n", "fine_n"):
        g[c] = pd.to_numeric(g[c]).astype("int64")
    for c in ("fine_sum", "ha", "mu"):
        g[c] = pd.to_numeric(g[c]).astype("float64")
    for k in GROUP_KEYS:
        g[k] = g[k].astype(object)
    return g


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
    """Every change-polygon figure from grouped rows (see :func:`_groups_of`)."""
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
        "verified_pct": _pct(verified, total),
        "illegal": illegal_n,
        **reached,
        "closed": closed,
        "closed_pct": _pct(closed, total),
        "illegal_closed": count(illegal & (status == "closed").to_numpy()),
        "open": total - closed,
        "overdue": overdue_n,
        "overdue_unknown": unknown,
        "fines_yuan": fines_yuan,
        "fines_wan": None if fines_yuan is None else round(fines / 10000.0, 6),
        "illegal_area_ha": round(ill_ha, 4),
        "illegal_area_mu": round(round(ill_ha, 4) * S.MU_PER_HA, 2),  # from the total, not summed parts
        "by_status": {s: count(status == s) for s in S.CHANGE_STATUSES},
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
    are not official, polygons outside the jurisdiction; see :mod:`geo.official`)."""
    params: list = ["change"]
    extra = ""
    if cutoff is not None:
        extra += " AND at < ?"
        params.append(cutoff)
    if where:
        parts = []
        for col, values in where.items():
            clause, p = _in(col, values)
            parts.append(clause)
            params += p
        extra += f" AND feature_id IN (SELECT id FROM {S.CHANGE.table} WHERE {' AND '.join(parts)})"
    if not where:  # the store keeps these counts per hour (geo.store.facts): no history scan
        hours_params: list = ["change"] + ([cutoff[:13]] if cutoff is not None else [])
        ev = _query(store, "SELECT h, to_status, n FROM event_hours WHERE layer = ? AND to_status IN "
                           "('verified', 'closed') AND n <> 0" + (" AND h < ?" if cutoff is not None else ""),
                    hours_params)
        if minus is not None and len(ev):
            hour = _hour_expr(store)
            cut = " AND at < ?" if cutoff is not None else ""
            less = _query(store, f"SELECT {hour} AS h, to_status, COUNT(*) AS n FROM events WHERE layer = ? "
                                 "AND action = 'transition' AND to_status IN ('verified', 'closed')" + cut
                                 + f" AND feature_id IN (SELECT id FROM {S.CHANGE.table} WHERE {minus[0]}) "
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
        ev = _query(store, f"SELECT {hour} AS h, to_status, COUNT(*) AS n FROM events{_scan(store)} "
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
) -> dict:
    """All figures of the summary screen (领导驾驶舱), for the whole league and per county.

    ``as_of``: the figures as they stood at the end of that day (Beijing time), rebuilt from the
    history. ``today``: the date overdue is judged against when not ``as_of`` (default: today).
    ``batch_ids`` / ``counties`` narrow the change polygons (and, for counties, the other layers).
    The result is shared between callers (cached until the store changes): do not modify it.
    """
    today = as_of or today or today_local()
    batch_ids = sorted({int(b) for b in batch_ids or ()})
    counties = sorted({str(c) for c in counties or ()})
    # a store scoped to some counties (geo.scope.ScopedStore) never counts beyond them
    store, access = unwrap(store)
    allowed = access.counties if access is not None else None
    if allowed is not None:
        counties = sorted(set(counties) & set(allowed)) if counties else sorted(allowed)
        counties = counties or [_NOWHERE]
    key = None
    if use_cache:
        key = (token(store), as_of, tuple(batch_ids), tuple(counties), today)
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
    out = _compute(store, as_of, batch_ids, counties, today)
    if key is not None:
        with _cache_lock:
            if len(_cache) > 64:
                _cache.clear()
            _cache[key] = (time.monotonic(), out)
    return out


def _compute(store: Store, as_of, batch_ids, counties, today) -> dict:
    from geo import official

    cutoff = end_of_local_day_utc(as_of) if as_of is not None else None
    batches = store.batches("change")  # (a batch is listed as of a day if its polygons existed)
    # only official batches and polygons inside the jurisdiction count (geo.official); the other
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
        groups = _groups_now(store, batch_ids, counties)
    else:
        state = change_state(store, as_of, where=where or None)
        groups = _groups_of(state)
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
        "trend": (_trend(store, cutoff, where) if requested["batch_ids"] or requested["counties"]
                  else _trend(store, cutoff, None, minus=sc.excluded_sql)),
    }
    if len(groups):
        bkey = pd.to_numeric(groups["batch_id"], errors="coerce")
        for b, part in groups.groupby(bkey, sort=True):
            fig = _change_figures(part, batches, today)
            for k in ("by_status", "funnel"):
                fig.pop(k)
            out["by_batch"].append({"batch_id": int(b), "name": names.get(int(b), f"#{int(b)}"),
                                    "kind": kinds.get(int(b)), **fig})
    others = _other_layers(store, as_of, cutoff, batch_ids, layer_counties, today, batches, state,
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
    # the registers' declared figures (geo.registers): total and per county
    from geo.registers.figures import all_figures

    out["registers"] = all_figures(store, as_of=as_of, counties=layer_counties or None, today=today)
    # the closure review (geo.review), over the same official polygons as the change figures
    from geo.review_figures import figures as review_figures

    out["review"] = review_figures(store, as_of=as_of, counties=counties or None, batch_ids=batch_ids, today=today)
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
            code = _text(code)
            if code and code not in names:
                names[code] = _text(name) or code
    if counties:
        names = {c: n for c, n in names.items() if c in counties}
    return dict(sorted(names.items()))


# ---------------------------------------------------------------------------- other layers
def _layer_state(store: Store, layer: str, columns: list[str], cutoff: str | None,
                 counties, geometry: bool = False) -> pd.DataFrame:
    frame = store.read_layer(layer, columns=columns, geometry=geometry,
                             where={"county_code": counties} if counties else None)
    if cutoff is not None:
        frame = _replay(store, layer, frame, cutoff)
    return frame


def _since(frame: pd.DataFrame, column: str, as_of: dt.date | None, cutoff: str | None):
    """Rows that existed by ``as_of`` by their own date (found on, installed on, year, start)."""
    if as_of is None or frame.empty or column not in frame.columns:
        return frame
    col = frame[column]
    if column == "year":
        keep = pd.to_numeric(col, errors="coerce").fillna(0) <= as_of.year
    elif column == "started_at":
        keep = col.isna() | (col.astype(str) < cutoff)
    else:
        keep = col.isna() | (col.astype(str).str.slice(0, 10) <= as_of.isoformat())
    return frame[keep.to_numpy(dtype=bool)]


def _other_layers(store: Store, as_of, cutoff, batch_ids, counties, today, batches, state,
                  change_counties=None) -> dict:
    per_county: dict[str, dict] = {}

    def put(code, **values):
        if code is None or code != code:
            return
        per_county.setdefault(str(code), {}).update(values)

    out: dict = {}
    # ---- illegal-occupation plots
    occ = _layer_state(store, "occupation", ["status", "fine_yuan", "county_code", "area_ha",
                                             "found_on"], cutoff, counties)
    occ = _since(occ, SINCE["occupation"], as_of, cutoff)
    if len(occ):
        fines = pd.to_numeric(occ["fine_yuan"], errors="coerce")
        out["occupation"] = {
            "total": int(len(occ)),
            "by_stage": {s: int((occ["status"] == s).sum()) for s in S.OCCUPATION.statuses},
            "delisted": int((occ["status"] == "delisted").sum()),
            "area_ha": round(float(pd.to_numeric(occ["area_ha"], errors="coerce").sum()), 2),
            "fines_yuan": round(float(fines.sum()), 2) if fines.notna().any() else None,
        }
        for code, part in occ.groupby("county_code"):
            put(code, occupation=int(len(part)),
                occupation_delisted=int((part["status"] == "delisted").sum()))
    else:
        out["occupation"] = {"total": 0, "by_stage": {}, "delisted": None, "area_ha": None,
                             "fines_yuan": None}
    # ---- restoration areas
    rest = _layer_state(store, "restoration", ["status", "project", "year", "type", "planned_mu",
                                               "completed_mu", "budget_yuan", "paid_yuan",
                                               "county_code", "county"], cutoff, counties)
    rest = _since(rest, SINCE["restoration"], as_of, cutoff)
    out["restoration"] = _restoration_figures(rest, (as_of or today).year)
    focal = out["restoration"].get("year")
    for row in out["restoration"].get("year_by_county", []):
        put(row["county_code"], restoration_planned_wanmu=row["planned_wanmu"],
            restoration_completed_wanmu=row["completed_wanmu"],
            restoration_paid_pct=row["paid_pct"], restoration_year=focal)
    # ---- signboards
    boards = _layer_state(store, "signboard", ["status", "level", "chief_name", "zone_id", "post_id", "content_on",
                                               "county_code", "installed_on"], cutoff, counties)
    boards = _since(boards, SINCE["signboard"], as_of, cutoff)
    out["signboards"] = _signboard_figures(store, boards, cutoff)
    if len(boards):
        stale = _stale_mask(store, boards, cutoff)
        for code, idx in boards.groupby("county_code").groups.items():
            put(code, signboards=int(len(idx)), signboards_stale=int(stale.loc[idx].sum()))
    # ---- patrols
    out["patrols"], pat_county = _patrol_figures(store, as_of, cutoff, batch_ids, counties, batches,
                                                 state, change_counties)
    for code, values in pat_county.items():
        put(code, **values)
    # ---- rectification items
    out["items"] = _item_figures(item_state(store, as_of), today)
    out["per_county"] = per_county
    return out


def _restoration_figures(rest: pd.DataFrame, year: int) -> dict:
    empty = {"planned_wanmu": None, "completed_wanmu": None, "completed_pct": None,
             "accepted_wanmu": None, "budget_yuan": None, "paid_yuan": None, "paid_pct": None,
             "by_year": [], "by_county": [], "year": None, "year_figures": None,
             "year_by_county": []}
    if rest.empty:
        return empty
    rest = rest.copy()
    for c in ("planned_mu", "completed_mu", "budget_yuan", "paid_yuan"):
        rest[c] = pd.to_numeric(rest[c], errors="coerce").fillna(0.0)
    rest["year"] = pd.to_numeric(rest["year"], errors="coerce")

    def figures(part: pd.DataFrame) -> dict:
        planned = float(part["planned_mu"].sum())
        completed = float(part["completed_mu"].sum())
        budget = float(part["budget_yuan"].sum())
        paid = float(part["paid_yuan"].sum())
        accepted = float(part.loc[part["status"] == "accepted", "completed_mu"].sum())
        return {"planned_wanmu": round(planned / 1e4, 4), "completed_wanmu": round(completed / 1e4, 4),
                "completed_pct": _pct(completed, planned), "accepted_wanmu": round(accepted / 1e4, 4),
                "budget_yuan": round(budget, 2), "paid_yuan": round(paid, 2),
                "paid_pct": _pct(paid, budget), "projects": int(len(part))}

    out = figures(rest)
    out["by_year"] = [{"year": int(y), **figures(p)} for y, p in rest.groupby("year") if y == y]
    out["by_county"] = [{"county_code": c, "county": n, "year": int(y), **figures(p)}
                        for (c, n, y), p in rest.groupby(["county_code", "county", "year"])]
    years = sorted(int(y) for y in rest["year"].dropna().unique())
    focal = year if year in years else max([y for y in years if y <= year], default=None)
    out["year"] = focal
    out["year_figures"] = None
    out["year_by_county"] = []
    if focal is not None:
        part = rest[rest["year"] == focal]
        out["year_figures"] = figures(part)
        out["year_by_county"] = [{"county_code": c, "county": n, **figures(p)}
                                 for (c, n), p in part.groupby(["county_code", "county"])]
    return out


def _zone_chiefs(store: Store, cutoff: str | None) -> dict:
    zones = store.read_layer("zone", columns=["chief_name"], geometry=False)
    if cutoff is not None:
        zones = _replay(store, "zone", zones, cutoff)
    return dict(zip(zones["id"].astype("int64"), zones["chief_name"]))


def _stale_mask(store: Store, boards: pd.DataFrame, cutoff: str | None) -> pd.Series:
    """Stale boards: recorded as stale, or their post changed hands after the board's content was
    last updated (geo.chiefs, from the appointments recorded by then); boards not tied to a post
    are compared with the zone's recorded chief."""
    from geo.chiefs import stale_boards

    moved = stale_boards(store, boards, until=cutoff)
    chief = _zone_chiefs(store, cutoff)
    zone = pd.to_numeric(boards["zone_id"], errors="coerce")
    current = zone.map(lambda z: chief.get(int(z)) if z == z else None)
    shown = boards["chief_name"].astype(object)
    loose = boards["post_id"].isna() if "post_id" in boards else True
    mismatch = loose & zone.notna() & current.notna() & (current.astype(object) != shown)
    return ((boards["status"] == "stale") | mismatch | moved) & (boards["status"] != "retired")


def _signboard_figures(store: Store, boards: pd.DataFrame, cutoff: str | None) -> dict:
    if boards.empty:
        return {"total": 0, "by_level": {}, "ok": None, "stale": None, "stale_recorded": None,
                "stale_unrecorded": None, "damaged": None}
    stale = _stale_mask(store, boards, cutoff)
    recorded = boards["status"] == "stale"
    return {
        "total": int(len(boards)),
        "by_level": {lvl: int((boards["level"] == lvl).sum()) for lvl in SIGNBOARD_LEVELS},
        "ok": int(((boards["status"] == "ok") & ~stale).sum()),
        "stale": int(stale.sum()),
        "stale_recorded": int(recorded.sum()),
        "stale_unrecorded": int((stale & ~recorded).sum()),
        "damaged": int((boards["status"] == "damaged").sum()),
    }


def _patrol_figures(store: Store, as_of, cutoff, batch_ids, counties, batches, state,
                    change_counties=None):
    pats = _layer_state(store, "patrol", ["actor_level", "length_km", "duration_h", "started_at",
                                          "county_code"], cutoff, counties, geometry=True)
    pats = _since(pats, SINCE["patrol"], as_of, cutoff)
    per_county: dict[str, dict] = {}
    if pats.empty:
        return ({"count": 0, "km": None, "hours": None, "by_level": {}, "open_total": None,
                 "open_visited": None, "open_visited_pct": None,
                 "visit_metres": VISIT_METRES}, per_county)
    km = pd.to_numeric(pats["length_km"], errors="coerce").fillna(0.0)
    hours = pd.to_numeric(pats["duration_h"], errors="coerce").fillna(0.0)
    by_level = {}
    for lvl in PATROL_LEVELS:
        sel = (pats["actor_level"] == lvl).to_numpy()
        by_level[lvl] = {"count": int(sel.sum()), "km": round(float(km[sel].sum()), 1),
                         "hours": round(float(hours[sel].sum()), 1)}
    for code, idx in pats.groupby("county_code").groups.items():
        per_county[str(code)] = {"patrols": int(len(idx)), "patrol_km": round(float(km.loc[idx].sum()), 1)}
    open_total, visited = _open_visited(store, pats, batch_ids, change_counties or counties, batches, state)
    return ({"count": int(len(pats)), "km": round(float(km.sum()), 1),
             "hours": round(float(hours.sum()), 1), "by_level": by_level,
             "open_total": open_total, "open_visited": visited,
             "open_visited_pct": _pct(visited, open_total), "visit_metres": VISIT_METRES},
            per_county)


def _open_visited(store: Store, pats, batch_ids, counties, batches, state):
    """How many open (not closed) polygons a patrol track passed within VISIT_METRES of, after
    the polygon's batch was issued: ``(open, visited)``. Now: counted from the pre-aggregated
    facts, where every polygon carries its ``visited`` flag (kept on every write, see
    :mod:`geo.store.visits`), so neither grows with the polygons. ``state``: the polygons
    replayed as of a date; then the visits are recomputed from the tracks of that date."""
    from geo.store import facts

    if state is None:
        with unwrap(store)[0].transaction(write=False) as tx:
            g = facts.read_facts(tx, batch_ids, counties)
        if g.empty:
            return 0, None
        n = pd.to_numeric(g["n"]).to_numpy(dtype="int64")
        is_open = g["status"].isin(OPEN_STATUSES).to_numpy()
        seen = pd.to_numeric(g["visited"]).to_numpy(dtype="int64") == 1
        open_total = int(n[is_open].sum())
        return open_total, (int(n[is_open & seen].sum()) if open_total else None)
    where = {}
    if batch_ids:
        where["batch_id"] = batch_ids
    if counties:
        where["county_code"] = counties
    cen = store.read_layer("change", where=where or None, columns=["batch_id"], geometry=False, centers=True)
    cen = cen[cen["id"].isin(state.loc[state["status"] != "closed", "id"])]
    open_total = int(len(cen))
    if cen.empty:
        return open_total, None
    issued = {}
    if len(batches):
        issued = {int(i): str(d)[:10] for i, d in zip(pd.to_numeric(batches["id"]), batches["issued_on"])
                  if d is not None and d == d}
    hit = visits.visited_mask(cen["cx"], cen["cy"], cen["batch_id"].tolist(), pats.geometry.values,
                              pats["started_at"].astype(str).to_numpy(), issued)
    return open_total, int(hit.sum())


# ---------------------------------------------------------------------------- items
def item_state(store: Store, as_of: dt.date | None = None) -> pd.DataFrame:
    """Rectification items (with the count of linked features and of those done), as now or as
    of the end of ``as_of``."""
    items = store.items()
    if len(items):
        items = items.copy()
        items["id"] = items["id"].astype("int64")
    if as_of is not None and len(items):
        items = _replay(store, "item", items, end_of_local_day_utc(as_of))
    items["linked"] = 0
    items["linked_done"] = 0
    if as_of is None and len(items):
        # now: counted by the database (a bulletin item may link thousands of polygons)
        agg = _link_counts(store)
        items["linked"] = items["id"].map(agg["linked"]).fillna(0).astype(int)
        items["linked_done"] = items["id"].map(agg["linked_done"]).fillna(0).astype(int)
        return items
    links = store.item_links()
    if len(items) and len(links):
        links = links.copy()
        links["item_id"] = links["item_id"].astype("int64")
        links["feature_id"] = links["feature_id"].astype("int64")
        done = LINK_DONE
        links["done"] = False
        links["exists"] = False
        for layer, part in links.groupby("layer"):
            state = store.read_layer(layer, ids=part["feature_id"].unique().tolist(),
                                     columns=["status"], geometry=False)
            if as_of is not None:
                state = _replay(store, layer, state, end_of_local_day_utc(as_of))
            status = dict(zip(state["id"].astype("int64"), state["status"]))
            links.loc[part.index, "done"] = part["feature_id"].map(
                lambda f, ok=done.get(layer, ()): status.get(f) in ok)
            links.loc[part.index, "exists"] = part["feature_id"].map(lambda f: f in status)
        links = links[links["exists"].astype(bool)]
        agg = links.groupby("item_id").agg(linked=("feature_id", "size"), linked_done=("done", "sum"))
        items["linked"] = items["id"].map(agg["linked"]).fillna(0).astype(int)
        items["linked_done"] = items["id"].map(agg["linked_done"]).fillna(0).astype(int)
    return items


# a linked feature counts as done for its item in these statuses
LINK_DONE = {"change": ("closed",), "occupation": ("delisted", "accepted"),
             "restoration": ("accepted",), "signboard": ("ok",), "patrol": ("active",)}


def _link_counts(store: Store) -> pd.DataFrame:
    """Per item: linked features that exist (``linked``) and those done (``linked_done``)."""
    rows = []
    with unwrap(store)[0].transaction(write=False) as tx:
        for layer in [r[0] for r in tx.query("SELECT DISTINCT layer FROM item_links")]:
            if layer not in S.LAYERS:
                continue
            ok = LINK_DONE.get(layer, ())
            done_sql = (f"SUM(CASE WHEN f.status IN ({', '.join('?' * len(ok))}) THEN 1 ELSE 0 END)"
                        if ok else "0")
            rows += tx.query(
                f"SELECT l.item_id, COUNT(*), {done_sql} FROM item_links l "
                f"JOIN {S.layer(layer).table} f ON f.id = l.feature_id WHERE l.layer = ? GROUP BY l.item_id",
                [*ok, layer])
    frame = pd.DataFrame(rows, columns=["item_id", "linked", "linked_done"])
    frame = frame.astype({"item_id": "int64", "linked": "int64", "linked_done": "int64"})
    return frame.groupby("item_id").sum()


def _item_figures(items: pd.DataFrame, today: dt.date) -> dict:
    if items.empty:
        return {"total": 0, "done": None, "in_progress": None, "long_term": None, "overdue": None}
    status = items["status"].astype(object)
    deadline = items["deadline"].astype(object).map(
        lambda d: str(d)[:10] if d is not None and d == d else None)
    late = (status == "in_progress") & deadline.map(lambda d: d is not None and d < today.isoformat())
    return {
        "total": int(len(items)),
        "done": int((status == "done").sum()),
        "in_progress": int((status == "in_progress").sum()),
        "long_term": int((status == "long_term").sum()),
        "overdue": int(late.sum()),
    }


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
