"""What the summary's figures are computed from: the layers' rows now or as they stood on a past
date (replayed from the event history), grouped by the keys the change figures depend on; the
constants and small query helpers every part of :mod:`geo.stats.summary` shares.

Re-exported by :mod:`geo.stats.summary` (``from geo.stats.summary import layer_state`` keeps working).
"""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd

from geo.declare import schema as S
from geo.access.scope import unwrap
from geo.store import Store
from geo.core.timeutil import end_of_local_day_utc
from geo.engine.workflow import RECTIFY_STAGE, VERIFY_STAGE

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
