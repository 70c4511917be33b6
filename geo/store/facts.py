"""Pre-aggregated figures of the change polygons and their history, kept exact on every write.

The summary screen counts change polygons by batch, county, status, verdict and deadline, and sums
their fines and areas; it also counts, per hour, how many were verified and closed. Counting those
at view time means scanning the whole layer and the whole history — ten times the polygons, ten
times the wait. These two tables hold the counts ready:

* ``change_facts``: one row per (batch, county, status, verdict, own deadline, visited by a patrol
  — see :mod:`geo.store.visits`) with the number of polygons and the sums of fines and areas;
* ``event_hours``: transitions per UTC hour, layer and target status.

They are updated in the same transaction as the change they count (inserts add, updates move a
polygon from one row to another, events add), so they are never stale; :func:`rebuild` recounts
them from the features and events (new tables in an existing store, bulk repairs).
"""

from __future__ import annotations

import pandas as pd

KEYS = ("batch_id", "county_code", "county", "status", "verdict", "deadline", "visited")
VALUES = ("fine_yuan", "area_ha", "area_mu")
WATCHED = set(KEYS) | set(VALUES)  # a change to any of these moves a polygon between rows
NULL_INT, NULL_TEXT = -1, ""

UPSERT_FACTS = (
    "INSERT INTO change_facts (batch_id, county_code, county, status, verdict, deadline, visited, n, fine_sum, "
    "fine_n, ha, mu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id, county_code, county, "
    "status, verdict, deadline, visited) DO UPDATE SET n = change_facts.n + excluded.n, "
    "fine_sum = change_facts.fine_sum + excluded.fine_sum, fine_n = change_facts.fine_n + excluded.fine_n, "
    "ha = change_facts.ha + excluded.ha, mu = change_facts.mu + excluded.mu"
)
UPSERT_HOURS = (
    "INSERT INTO event_hours (h, layer, to_status, n) VALUES (?, ?, ?, ?) ON CONFLICT (h, layer, to_status) "
    "DO UPDATE SET n = event_hours.n + excluded.n"
)


def _key_frame(frame: pd.DataFrame) -> pd.DataFrame:
    def text(col):
        s = frame[col].astype(object) if col in frame else pd.Series([None] * len(frame), index=frame.index)
        return s.where(s.notna(), NULL_TEXT).map(str)

    def num(col):
        return pd.to_numeric(frame[col], errors="coerce") if col in frame else pd.Series(float("nan"), index=frame.index)

    batch = num("batch_id").fillna(NULL_INT).astype("int64")
    fine = num("fine_yuan")
    return pd.DataFrame({
        "batch_id": batch, "county_code": text("county_code"), "county": text("county"),
        "status": text("status"), "verdict": text("verdict"), "deadline": text("deadline").str.slice(0, 10),
        "visited": num("visited").fillna(0).astype("int64").clip(0, 1), "n": 1, "fine_sum": fine.fillna(0.0), "fine_n": fine.notna().astype("int64"),
        "ha": num("area_ha").fillna(0.0), "mu": num("area_mu").fillna(0.0),
    })


def fact_rows(frame: pd.DataFrame, sign: int = 1) -> list[tuple]:
    if frame.empty:
        return []
    g = _key_frame(frame).groupby(list(KEYS), sort=False).sum()
    return [(int(k[0]), k[1], k[2], k[3], k[4], k[5], int(k[6]), sign * int(r.n), sign * float(r.fine_sum),
             sign * int(r.fine_n), sign * float(r.ha), sign * float(r.mu)) for k, r in g.iterrows()]


def apply_facts(tx, frame: pd.DataFrame, sign: int = 1) -> None:
    rows = fact_rows(frame, sign)
    if rows:
        tx.executemany(UPSERT_FACTS, rows)


def apply_hours(tx, events: list[tuple]) -> None:
    """Count transition events (rows in ``EVENT_COLS`` order) into ``event_hours``."""
    counts: dict[tuple, int] = {}
    for layer, _fid, at, _actor, action, _frm, to, *_ in events:
        if action == "transition" and to:
            key = (str(at)[:13], layer, to)
            counts[key] = counts.get(key, 0) + 1
    if counts:
        tx.executemany(UPSERT_HOURS, [(*k, n) for k, n in counts.items()])


def read_facts(tx, batch_ids=None, counties=None) -> pd.DataFrame:
    """The facts, filtered, in the shape of a GROUP BY over the change polygons (NULLs restored)."""
    parts, params = ["n <> 0"], []
    if batch_ids:
        parts.append(f"batch_id IN ({', '.join('?' * len(batch_ids))})")
        params += [int(b) for b in batch_ids]
    if counties:
        parts.append(f"county_code IN ({', '.join('?' * len(counties))})")
        params += [str(c) for c in counties]
    names, rows = tx.columns(
        f"SELECT {', '.join(KEYS)}, n, fine_sum, fine_n, ha, mu FROM change_facts WHERE {' AND '.join(parts)}",
        params)
    g = pd.DataFrame(rows, columns=names, dtype=object)
    for k in KEYS:
        if k == "visited":
            continue
        null = NULL_INT if k == "batch_id" else NULL_TEXT
        g[k] = pd.Series([None if v == null else v for v in g[k].tolist()], index=g.index, dtype=object)
    return g


def rebuild(store, tx) -> None:
    """Recount ``change_facts`` and ``event_hours`` from the polygons and the events."""
    tx.execute("DELETE FROM change_facts")
    names, rows = tx.columns(f"SELECT {', '.join(KEYS)}, {', '.join(VALUES)} FROM change_polygons")
    apply_facts(tx, pd.DataFrame(rows, columns=names, dtype=object))
    tx.execute("DELETE FROM event_hours")
    rows = tx.query("SELECT layer, feature_id, at, actor, action, from_status, to_status FROM events "
                    "WHERE action = 'transition'")
    apply_hours(tx, [tuple(r) for r in rows])
