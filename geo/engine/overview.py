"""What a register's page shows above its list, as data.

A register's rules may define ``panels(store, ctx) -> [panel, …]`` (``store``: as the user may
see it; ``ctx``: ``lang``, ``today``, ``settings``, ``access``). The generic page renders the
panels in order — a notice, a row of figures, a table, a choropleth — so a register says what is
worth seeing first (this year's sample and its completion, the complaints waiting to be placed,
carbon per county) without a page of its own, and :mod:`geo` never imports streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Notice:
    text: str
    level: str = "info"  # info | warning | success


@dataclass(frozen=True)
class Note:
    """Small print under the panels before it (e.g. where a figure's rule is configured, for an
    administrator: the rules module decides who is told)."""

    text: str


@dataclass(frozen=True)
class Metrics:
    items: tuple[tuple[str, str], ...]  # (label, value as text)
    title: str = ""


@dataclass(frozen=True)
class Table:
    title: str
    frame: pd.DataFrame  # columns already labelled for people; an "ID" column selects a record


@dataclass(frozen=True)
class Choropleth:
    """Polygons shaded by ``value`` (numeric column), labelled by ``label``; ``columns`` are shown
    in the tooltip (text, never HTML)."""

    title: str
    frame: object  # GeoDataFrame in EPSG:4490
    value: str
    label: str
    legend: str
    columns: tuple[str, ...] = ()


PALETTE = ("#edf8e9", "#c7e9c0", "#a1d99b", "#74c476", "#31a354", "#006d2c")


def classes(values, n: int = len(PALETTE)) -> list[str | None]:
    """A colour per value: equal-count classes over the positive values, grey for none."""
    s = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    out: list[str | None] = [None] * len(s)
    ok = s.notna() & (s > 0)
    if not ok.any():
        return out
    m = int(ok.sum())
    ranks = s[ok].rank(method="first")
    for i, cls in zip(s[ok].index, ((ranks - 1) * n // m).astype(int)):
        out[i] = PALETTE[min(n - 1, int(cls))]
    return out
