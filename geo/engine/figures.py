"""The figures every register contributes — per county and in total, now or as of a date — read
from their declarations (:class:`geo.declare.base.Figure`), plus each register's ``custom``
figures from its rules. These go into ``stats --json`` (``registers``), the leaders' screen, the
ledger and the bulletin, so all of them show the same numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geo.declare import registry as S
from geo.declare.registry import rules_of
from geo.core.timeutil import today_local
from geo.core.config import current
from geo.engine.asof import layer_state
from geo.access.scope import in_counties
from geo.core.config import load_settings

NO_COUNTY = "∅"


def registers_with_figures() -> list[S.Layer]:
    return [lyr for lyr in S.LAYERS.values() if lyr.figures]


def status_counts(store, lyr: S.Layer, frame: pd.DataFrame) -> pd.Series:
    """How many of ``frame``'s records are in each status, as the register's page counts them: the
    recorded status, or where the register's rules define ``shown_status`` (a board whose post
    changed hands is 信息过期 though recorded 正常) the status they show."""
    if frame.empty or "status" not in frame:
        return pd.Series(dtype="int64")
    rules = rules_of(lyr)
    shown = getattr(rules, "shown_status", None) if rules is not None else None
    status = shown(store, frame) if shown is not None else frame["status"]
    return pd.Series(status).value_counts()


def due(lyr: S.Layer, frame: pd.DataFrame, settings=None) -> pd.Series:
    """Each record's deadline (ISO date text or None) by the register's :class:`Deadline`."""
    rule = lyr.deadline
    if rule is None or frame.empty:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    out = pd.Series(None, index=frame.index, dtype=object)
    if rule.field and rule.field in frame:
        out = frame[rule.field].astype(object).where(frame[rule.field].notna(), None)
    days = deadline_days(rule, settings)
    if rule.start and rule.start in frame and days is not None:  # the record's own date, else start + days
        start = pd.to_datetime(frame[rule.start].astype(object), errors="coerce")
        derived = (start + pd.to_timedelta(int(days), unit="D")).dt.strftime("%Y-%m-%d")
        out = out.where(out.notna(), derived.where(start.notna(), None))
    open_ = rule.open_statuses or tuple(s for s in lyr.statuses if s not in lyr.final_statuses)
    out = out.where(frame["status"].isin(open_) & out.notna(), None) if "status" in frame else out
    return out.astype(object).where(out.notna(), None)


def deadline_days(rule, settings=None) -> int | None:
    """The days of a :class:`Deadline` counted from its start: the named setting (from
    ``settings``, else those the edge loaded) or the declared default."""
    if rule is None:
        return None
    if rule.days_setting:

        value = getattr(settings if settings is not None else current(), rule.days_setting, None)
        if value is not None:
            return int(value)
    return rule.days


def overdue(lyr: S.Layer, frame: pd.DataFrame, today: dt.date, settings=None) -> pd.Series:
    d = due(lyr, frame, settings)
    text = today.isoformat()
    return d.map(lambda v: isinstance(v, str) and v[:10] < text).astype(bool)


def _mask(frame: pd.DataFrame, where: dict) -> pd.Series:
    m = pd.Series(True, index=frame.index)
    for key, value in where.items():
        if key not in frame:
            return pd.Series(False, index=frame.index)
        values = value if isinstance(value, (list, tuple, set)) else [value]
        m &= frame[key].isin(values)
    return m


def _columns(lyr: S.Layer) -> list[str]:
    cols = {"status", "county_code"}
    for f in lyr.figures:
        cols |= set(f.where)
        if f.field:
            cols.add(f.field)
    rule = lyr.deadline
    if rule is not None:
        cols |= {c for c in (rule.field, rule.start) if c}
    return [c for c in lyr.names if c in cols]


def register_frame(store, lyr: S.Layer, as_of: dt.date | None, counties=None) -> pd.DataFrame:

    where = {"county_code": list(counties)} if counties and lyr.has("county_code") else None
    cols = _columns(lyr)
    extra = getattr(rules_of(lyr), "FIGURE_COLUMNS", ()) if rules_of(lyr) else ()
    cols = list(dict.fromkeys(cols + [c for c in extra if lyr.has(c)]))
    frame = layer_state(store, lyr.key, as_of, columns=cols, where=where)
    if counties and not lyr.has("county_code"):  # records of several counties (orders): by their rules
        frame = frame[in_counties(store, lyr.key, frame, counties).to_numpy()]
    return frame


def figures_of(store, lyr: S.Layer, *, as_of: dt.date | None = None, counties=None, today: dt.date | None = None,
               settings=None, frame: pd.DataFrame | None = None) -> dict:
    """``{figure key: {"total": v, "by_county": {code: v}}}`` for one register."""
    today = as_of or today or today_local()
    if settings is None:  # (stats --json passes none: the registers' rules read the configured ones)

        settings = load_settings()
    frame = register_frame(store, lyr, as_of, counties) if frame is None else frame
    codes = frame["county_code"].astype(object).where(frame["county_code"].notna(), NO_COUNTY) \
        if "county_code" in frame else pd.Series(NO_COUNTY, index=frame.index)
    out: dict = {}
    for fig in lyr.figures:
        if fig.kind == "custom":
            continue
        m = _mask(frame, fig.where)
        if fig.kind == "overdue":
            m &= overdue(lyr, frame, today, settings)
        if fig.kind == "sum":
            values = pd.to_numeric(frame[fig.field], errors="coerce").fillna(0.0).where(m, 0.0)
        else:
            values = m.astype(int)
        by = values.groupby(codes).sum() if len(values) else pd.Series(dtype=float)
        total = float(values.sum()) if fig.kind == "sum" else int(values.sum())
        out[fig.key] = {"total": round(total, fig.digits or 6) if fig.kind == "sum" else total,
                        "by_county": {str(k): (round(float(v), fig.digits or 6) if fig.kind == "sum" else int(v))
                                      for k, v in by.items() if v}}
    rules = rules_of(lyr)
    if rules is not None and hasattr(rules, "figures"):
        ctx = {"as_of": as_of, "today": today, "counties": counties, "settings": settings, "layer": lyr.key}
        out.update(rules.figures(store, frame, ctx))
    return out


def all_figures(store, *, as_of: dt.date | None = None, counties=None, today: dt.date | None = None,
                settings=None) -> dict:
    """Every register's figures: ``{register key: {figure key: {...}}}``."""
    return {lyr.key: figures_of(store, lyr, as_of=as_of, counties=counties, today=today, settings=settings)
            for lyr in registers_with_figures()}


def labels(lyr: S.Layer, lang: str = "zh") -> dict[str, str]:
    return {f.key: (f.zh if lang == "zh" else f.en) for f in lyr.figures}


def as_number(v) -> float:
    return float(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else 0.0


def tally(frame: pd.DataFrame, mask, values=None, digits: int | None = None) -> dict:
    """``{"total", "by_county"}`` of the rows in ``mask``: their count, or the sum of ``values``
    (rounded to ``digits``) — the shape of a figure, for registers' ``custom`` figures."""
    mask = pd.Series(mask, index=frame.index).fillna(False).astype(bool) if len(frame) else pd.Series(dtype=bool)
    if values is None:
        v = mask.astype(int)
    else:
        v = pd.to_numeric(pd.Series(values, index=frame.index), errors="coerce").fillna(0.0).where(mask, 0.0)
    codes = frame["county_code"].astype(object).where(frame["county_code"].notna(), NO_COUNTY) \
        if "county_code" in frame else pd.Series(NO_COUNTY, index=frame.index)
    by = v.groupby(codes).sum() if len(v) else pd.Series(dtype=float)

    def num(x):
        return int(x) if values is None else round(float(x), digits if digits is not None else 6)

    return {"total": num(v.sum()) if len(v) else num(0), "by_county": {str(k): num(x) for k, x in by.items() if x}}


def year_of(series: pd.Series) -> pd.Series:
    """The calendar year of each date (ISO text, dates or None) as a float (NaN when empty)."""
    return pd.to_datetime(series.astype(object), errors="coerce").dt.year
