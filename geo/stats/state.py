"""The change polygons' rows the summary counts: now (from the kept ``change_facts``) or as they stood
on a past day (replayed), grouped by the keys the change figures depend on; and the constants of
the figures (status funnel, ageing buckets, levels)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.access.scope import unwrap
from geo.change.deadlines import RECTIFY_STAGE, VERIFY_STAGE
from geo.change.layers import CHANGE_STATUSES
from geo.core.timeutil import end_of_local_day_utc
from geo.engine.asof import replay
from geo.fieldwork.patrols import LEVEL_ZH
from geo.store import Store, facts

# How far along the rectification road a polygon is (its current status's place in the machine).
RANK = {s: i for i, s in enumerate(CHANGE_STATUSES)}
VERIFIED_OR_LATER = tuple(CHANGE_STATUSES[2:])
OPEN_STATUSES = tuple(CHANGE_STATUSES[:-1])
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
PATROL_LEVELS = tuple(reversed(LEVEL_ZH))  # the patrol register's levels, league first
UNMARKED_LEVEL = "unmarked"  # a patrol whose level is missing or none of PATROL_LEVELS: a row of its own


def patrol_level(values) -> pd.Series:
    """Each patrol's level for the figures by level: one of :data:`PATROL_LEVELS`, else
    :data:`UNMARKED_LEVEL` — so the rows by level add up to the total."""
    s = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values.astype(object)
    return s.where(s.isin(PATROL_LEVELS), UNMARKED_LEVEL)



def change_state(store: Store, as_of: dt.date | None = None, columns=CHANGE_COLS,
                 where: dict | None = None) -> pd.DataFrame:
    """Change polygons (one row each) with ``columns``, as now or as of the end of ``as_of``."""
    frame = store.read_layer("change", columns=columns, geometry=False, where=where)
    if as_of is None or frame.empty:
        return frame
    frame = replay(store, "change", frame, end_of_local_day_utc(as_of))
    for c in ("fine_yuan", "area_ha", "area_mu"):
        if c in frame.columns:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame



NONE_KEY = "\u2205none\u2205"  # stands for None in group keys (pandas drops None keys)


def groups_of(frame: pd.DataFrame) -> pd.DataFrame:
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
    keys = {f"_{k}": f[k].where(f[k].notna(), NONE_KEY) for k in GROUP_KEYS}  # None is a key too
    g = f.assign(**keys).groupby(list(keys), sort=False)
    out = g[cols].sum().reset_index()
    out = out.rename(columns={f"_{k}": k for k in GROUP_KEYS})
    for k in GROUP_KEYS:
        col = out[k].astype(object)
        out[k] = col.where(col != NONE_KEY, None)
    return out


def groups_now(store: Store, batch_ids, counties) -> pd.DataFrame:
    """The current change polygons grouped by :data:`GROUP_KEYS`, read from the store's
    pre-aggregated ``change_facts`` (kept exact on every write, see :mod:`geo.store.facts`), so
    the cost does not grow with the number of polygons."""
    with unwrap(store)[0].transaction(write=False) as tx:
        g = facts.read_facts(tx, batch_ids, counties)
    for c in ("n", "fine_n"):
        g[c] = pd.to_numeric(g[c]).astype("int64")
    for c in ("fine_sum", "ha", "mu"):
        g[c] = pd.to_numeric(g[c]).astype("float64")
    for k in GROUP_KEYS:
        g[k] = g[k].astype(object)
    return g
