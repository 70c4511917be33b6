"""Python values in the form both backends accept (one value, or a whole column at once)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from geo.declare import registry as S
from geo.core.timeutil import to_utc_text


def dumps_json(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def to_db_value(value, ftype: str):
    """One Python value in the form both backends accept for a field of type ``ftype``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if ftype == S.JSON:
        return dumps_json(value)
    if isinstance(value, np.generic):
        value = value.item()
    if ftype == S.INT:
        return int(value)
    if ftype == S.REAL:
        return float(value)
    if ftype == S.BOOL:
        return bool(value)
    if ftype == S.DATE:
        if hasattr(value, "date") and not isinstance(value, str):
            value = value.date() if callable(value.date) else value
        return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]
    if ftype == S.DATETIME:

        return to_utc_text(value)
    return str(value)


def column_to_db(series: pd.Series, ftype: str) -> list:
    """A whole column converted for the database, vectorised where pandas allows (a batch of
    100,000 features has over a million values: per-value Python here costs seconds)."""
    mask = series.isna().to_numpy()
    if ftype == S.REAL and pd.api.types.is_numeric_dtype(series.dtype):
        out = series.astype("float64").tolist()
    elif ftype == S.INT and pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        out = series.astype("float64").fillna(0).astype("int64").tolist()
    elif ftype in (S.TEXT, S.DATE, S.JSON) and (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        values = series.astype(object).tolist()
        if series.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            out = values  # a string dtype holds only strings; an object column is checked in C
        else:
            out = [v if (m or isinstance(v, str)) else to_db_value(v, ftype) for v, m in zip(values, mask)]
    elif ftype == S.DATE and pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series.dt.strftime("%Y-%m-%d").tolist()
    else:
        return [to_db_value(v, ftype) for v in series.tolist()]
    if mask.any():
        for i in np.flatnonzero(mask):
            out[i] = None
    return out
