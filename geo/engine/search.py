"""A register's keyword search: the records any of whose values — as stored, or as people read
them (the label of a status or of a value list) — contain the words typed. Empty values, numbers,
dates and JSON are text like any other; a missing value matches nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.declare import registry as S


def matches(lyr: S.Layer, frame: pd.DataFrame, text: str, lang: str = "zh") -> np.ndarray:
    """A boolean mask of ``frame``'s rows that contain ``text`` (case-insensitive; every word of
    ``text``, separated by spaces, somewhere in the row)."""
    words = [w.casefold() for w in str(text or "").split()]
    n = len(frame)
    if not words or not n:
        return np.ones(n, dtype=bool)
    columns = []
    for name in frame.columns:
        if name == "geometry" or name.startswith("_"):
            continue
        col = frame[name]
        values = col.astype(object).where(col.notna(), "").astype(str)
        if name == "status" or (lyr.has(name) and lyr.field(name).options) or name in S.LABELS:
            kind = "status" if name == "status" else name
            labels = col.astype(object).map(lambda v, k=kind: "" if _missing(v) else S.label(k, v, lang, layer=lyr.key))
            values = values + " " + labels.astype(str)
        columns.append(values.str.casefold().to_numpy(dtype=object))
    rows = [" ".join(parts) for parts in zip(*columns)] if columns else [""] * n
    hay = pd.Series(rows, dtype=object)
    mask = np.ones(n, dtype=bool)
    for w in words:
        mask &= hay.str.contains(w, regex=False).to_numpy(dtype=bool)
    return mask


def _missing(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
