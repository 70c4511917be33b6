"""Records as they stood at the end of a past day, replayed from the event history (every change
is an event), and the small query helpers figures share: :func:`layer_state` for any layer,
:func:`replay` for any frame of current rows, :func:`token` that moves with every write."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pandas as pd

from geo.access.scope import unwrap
from geo.store import Store
from geo.core.timeutil import end_of_local_day_utc

# ---------------------------------------------------------------------------- small helpers
def pct(part, whole):
    if whole in (None, 0) or part is None:
        return None
    return round(100.0 * part / whole, 1)


def text_or_none(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def scan_hint(store: Store) -> str:
    """Table hint for reading most of the events table: SQLite, without statistics, would walk the
    (layer, feature_id) index row by row, several times slower than scanning the table."""
    return " NOT INDEXED" if store.backend == "gpkg" else ""


FEW_BY_ID = 2000  # up to this many features, history is read by id through the (layer, feature_id) index


def query_frame(store: Store, sql: str, params=()) -> pd.DataFrame:
    with unwrap(store)[0].transaction(write=False) as tx:
        names, rows = tx.columns(sql, list(params))
    return pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)


def in_clause(column: str, values) -> tuple[str, list]:
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
def query_rows(store: Store, sql: str, params=()) -> list[tuple]:
    with unwrap(store)[0].transaction(write=False) as tx:
        return tx.query(sql, list(params))


def replay(store: Store, layer: str, frame: pd.DataFrame, cutoff: str) -> pd.DataFrame:
    """``frame`` (current rows with ``id``) as it stood at ``cutoff`` (exclusive UTC text).

    Rows of features not yet imported by then are dropped; ``status`` is the last status reached
    before the cutoff; every other column an event set is the last value set before the cutoff,
    ``None`` if events set it only later, and the current value if no event ever set it.
    """
    if frame.empty:
        return frame
    hint, few, few_params = "", "", []
    if len(frame) <= FEW_BY_ID:
        few, few_params = in_clause("feature_id", frame["id"].astype("int64").tolist())
        few = " AND " + few
    elif layer == "change":
        hint = scan_hint(store)
    rows = query_rows(store, f"SELECT feature_id, to_status FROM events{hint} WHERE layer = ? AND at < ?"
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
    rows = query_rows(store, f"SELECT feature_id, at, fields FROM events{hint} WHERE layer = ? AND "
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
    frame = replay(store, layer, frame, cutoff)
    if layer in SINCE:
        frame = since(frame, SINCE[layer], as_of, cutoff)
    return frame


def since(frame: pd.DataFrame, column: str, as_of: dt.date | None, cutoff: str | None):
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
