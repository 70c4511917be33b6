"""The store's pre-counted tables kept in step with the polygons: map cells
(:mod:`geo.store.cells`), summary facts and hourly transitions (:mod:`geo.store.facts`).

A mixin of :class:`geo.store.base.Store`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geo.declare import registry as S
from geo.store import cells, facts, visits

if TYPE_CHECKING:
    from geo.store.base import Tx


class PrecountMixin:
    """Recounting and catching up the pre-counted tables (``change_cells``, ``change_facts``,
    ``event_hours``)."""

    # ---------------------------------------------------------------- pre-counted map cells
    def _cell_frame(self, tx: Tx, where_sql: str = "", params=()) -> pd.DataFrame:
        lyr = S.layer("change")
        cx, cy = self._center_selects(lyr)
        names, rows = tx.columns(
            f"SELECT batch_id, county_code, status, verdict, {cx}, {cy} FROM {lyr.table}{where_sql}",
            list(params))
        return pd.DataFrame(rows, columns=["batch_id", "county_code", "status", "verdict", "cx", "cy"], dtype=object)

    def settle_cells(self) -> int:
        """Bring the map cells up to date with edits another tool made to the polygons (recorded by
        the backend's triggers in ``change_cells_moved``); the number of polygons recounted."""
        with self.transaction(write=False) as tx:
            if tx.query_one("SELECT 1 FROM change_cells_moved LIMIT 1") is None:
                return 0
        with self.transaction() as tx:
            return self._settle_cells(tx)

    def _settle_cells(self, tx: Tx) -> int:
        rows = tx.query("SELECT seq, id, batch_id, county_code, status, verdict, cx, cy FROM change_cells_moved "
                        "ORDER BY seq")
        if not rows:
            return 0
        first: dict[int, tuple] = {}
        for row in rows:  # the state before the first edit is what the cells still count
            first.setdefault(int(row[1]), row)
        old = pd.DataFrame([r[2:] for r in first.values() if r[6] is not None and r[7] is not None],
                           columns=["batch_id", "county_code", "status", "verdict", "cx", "cy"], dtype=object)
        cells.apply(tx, old, -1)
        ids = list(first)
        for k in range(0, len(ids), 500):
            part = ids[k:k + 500]
            now = self._cell_frame(tx, f" WHERE id IN ({', '.join('?' * len(part))})", part)
            cells.apply(tx, now.dropna(subset=["cx", "cy"]), +1)
        tx.execute("DELETE FROM change_cells_moved WHERE seq <= ?", [int(rows[-1][0])])
        return len(first)

    def rebuild_cells(self, tx: Tx | None = None) -> None:
        """Recount the pre-aggregated tables — map cells (:mod:`geo.store.cells`), summary facts
        and hourly transitions (:mod:`geo.store.facts`) — from the polygons and events."""
        with self._tx(tx) as t:
            t.execute("DELETE FROM change_cells")
            t.execute("DELETE FROM change_cells_moved")
            cells.apply(t, self._cell_frame(t))
            visits.recompute(self, t)
            facts.rebuild(self, t)

    def _fact_frame(self, tx: Tx, fid: int) -> pd.DataFrame:
        names, rows = tx.columns(
            f"SELECT {', '.join(facts.KEYS)}, {', '.join(facts.VALUES)} FROM change_polygons WHERE id = ?", [int(fid)])
        return pd.DataFrame(rows, columns=names, dtype=object)
