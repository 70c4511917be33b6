"""Reading features: counts, grid counts, layers as (Geo)DataFrames, one feature, extents.

A mixin of :class:`geo.store.base.Store`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.declare import registry as S
from geo.core.errors import NotFoundError
from geo.store import cells
from geo.core.types import BBox

if TYPE_CHECKING:
    from geo.store.base import Tx


class ReadMixin:
    """What reads the layers' features (the SQL written once; backends supply the geometry
    decoding, bbox clause and centre expressions)."""

    # ---------------------------------------------------------------- reading features
    def count(self, layer: str, where: dict | None = None, bbox: BBox | None = None) -> int:
        lyr = S.layer(layer)
        clause, params = self._where(lyr, where, bbox)
        with self.transaction(write=False) as tx:
            return int(tx.query_one(f"SELECT COUNT(*) FROM {lyr.table}{clause}", params)[0])

    def grid_counts(self, layer: str, bbox: BBox, cell_w: float, cell_h: float,
                    where: dict | None = None, zoom: int | None = None) -> list[tuple[int, int, int]]:
        """How many features (matching ``where``) have their bounding-box centre in each cell of a
        ``cell_w`` × ``cell_h`` degree grid, over ``bbox`` — counted by the database, from the
        spatial index, so no feature leaves it. Returns ``[(gx, gy, n), …]`` with cell
        ``(gx, gy)`` spanning ``[gx·cell_w, (gx+1)·cell_w)`` × ``[gy·cell_h, (gy+1)·cell_h)``."""
        lyr = S.layer(layer)
        if layer == "change" and cells.answerable(where, zoom) and (cell_w, cell_h) == (cells.cell_w(zoom), cells.cell_h(zoom)):
            self.settle_cells()
            with self.transaction(write=False) as tx:
                return cells.query(tx, zoom, bbox, where)
        clause, params = self._where(lyr, where, bbox)
        cx, cy = self._center_selects(lyr)
        sql = (f"SELECT gx, gy, COUNT(*) FROM (SELECT {self._floor('ux')} AS gx, {self._floor('uy')} AS gy "
               f"FROM (SELECT {cx} / ? AS ux, {cy} / ? AS uy FROM {lyr.table}{clause}) AS u) AS cells "
               "GROUP BY gx, gy")
        with self.transaction(write=False) as tx:
            rows = tx.query(sql, [float(cell_w), float(cell_h), *params])
        return [(int(a), int(b), int(n)) for a, b, n in rows]

    @staticmethod
    def _floor(expr: str) -> str:
        return f"floor({expr})"

    def _where(self, lyr: S.Layer, where: dict | None, bbox: BBox | None = None, ids=None):
        parts, params = [], []
        for key, value in (where or {}).items():
            if key != "id":
                lyr.field(key)  # validates the name: no SQL from outside reaches the query
            if isinstance(value, (list, tuple, set, np.ndarray, pd.Index)):
                values = list(value)
                if not values:
                    parts.append("1 = 0")
                    continue
                parts.append(f"{key} IN ({', '.join('?' * len(values))})")
                params.extend(values)
            elif value is None:
                parts.append(f"{key} IS NULL")
            else:
                parts.append(f"{key} = ?")
                params.append(value)
        if ids is not None:
            ids = [int(i) for i in ids]
            if not ids:
                parts.append("1 = 0")
            else:
                parts.append(f"id IN ({', '.join('?' * len(ids))})")
                params.extend(ids)
        if bbox is not None:
            boxes = [bbox] if not isinstance(bbox[0], (list, tuple)) else list(bbox)
            if not boxes:
                parts.append("1 = 0")
            else:
                clauses = []
                for box in boxes:
                    clause, bparams = self._bbox_clause(lyr, box)
                    clauses.append(clause)
                    params.extend(bparams)
                parts.append(clauses[0] if len(clauses) == 1 else "(" + " OR ".join(clauses) + ")")
        return (" WHERE " + " AND ".join(parts) if parts else ""), params

    def read_layer(
        self,
        layer: str,
        *,
        bbox: BBox | None = None,
        where: dict | None = None,
        ids: Iterable[int] | None = None,
        columns: Iterable[str] | None = None,
        geometry: bool = True,
        limit: int | None = None,
        centers: bool = False,
        tx: Tx | None = None,
    ) -> gpd.GeoDataFrame | pd.DataFrame:
        """Features of one layer as a GeoDataFrame in EPSG:4490, indexed by nothing (``id`` column).

        ``bbox`` uses the spatial index (GeoPackage R-tree / PostGIS GiST); a list of boxes reads
        the features meeting any of them in one query. ``where`` maps field
        names to a value or a list of values. ``columns`` limits the attribute columns read.
        ``tx``: read inside an open transaction (sees its own uncommitted writes).
        """
        lyr = S.layer(layer)
        cols = ["id"] + [c for c in (columns if columns is not None else lyr.names) if c != "id"]
        for c in cols[1:]:
            lyr.field(c)
        clause, params = self._where(lyr, where, bbox, ids)
        extra = list(self._center_selects(lyr)) if centers else []
        select = ", ".join(cols + extra + ([self._geom_select()] if geometry else []))
        sql = f"SELECT {select} FROM {lyr.table}{clause} ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._tx(tx, write=False) as t:
            names, rows = t.columns(sql, params)
        if centers:
            k = len(cols)
            xy = [(r[k], r[k + 1]) for r in rows]
            rows = [r[:k] + r[k + 2:] for r in rows]
            frame = self._frame(lyr, cols, rows, geometry)
            frame["cx"] = np.array([p[0] for p in xy], dtype="float64")
            frame["cy"] = np.array([p[1] for p in xy], dtype="float64")
            return frame
        return self._frame(lyr, cols, rows, geometry)

    def _frame(self, lyr: S.Layer, cols: list[str], rows: list, geometry: bool):
        ncol = len(cols)
        if rows:
            data = list(zip(*rows))
            frame = pd.DataFrame({c: pd.Series(data[i], dtype=object) for i, c in enumerate(cols)})
        else:
            data = [()] * (ncol + 1)
            frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        frame = self._normalise_types(lyr, frame)
        if not geometry:
            return frame
        geoms = self._decode_geoms(list(data[ncol]) if rows else [])
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=4490), crs=4490)

    @staticmethod
    def _normalise_types(lyr: S.Layer, frame: pd.DataFrame) -> pd.DataFrame:
        types = {f.name: f.type for f in lyr.fields}
        for col in frame.columns:
            t = "int" if col == "id" else types.get(col)
            if t == S.INT:
                frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
            elif t == S.REAL:
                frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
            elif t == S.BOOL:
                frame[col] = pd.array(
                    [None if v is None else bool(v) for v in frame[col].tolist()], dtype="boolean"
                )
        if "id" in frame.columns and not frame["id"].isna().any():
            frame["id"] = frame["id"].astype("int64")
        return frame

    def get_feature(self, layer: str, fid: int, tx: Tx | None = None) -> dict:
        """One feature as a dict of its fields (JSON fields decoded) plus ``geometry``."""
        lyr = S.layer(layer)
        cols = ["id"] + lyr.names
        sql = f"SELECT {', '.join(cols)}, {self._geom_select()} FROM {lyr.table} WHERE id = ?"
        with self._tx(tx, write=False) as t:
            row = t.query_one(sql, [int(fid)])
        if row is None:
            raise NotFoundError(
                f"{lyr.en} #{fid} does not exist",
                f"{lyr.zh} #{fid} 不存在",
                layer=layer,
                id=int(fid),
            )
        out = dict(zip(cols, row[:-1]))
        for f in lyr.fields:
            if f.type == S.JSON and out.get(f.name):
                out[f.name] = json.loads(out[f.name])
            elif f.type == S.BOOL and out.get(f.name) is not None:
                out[f.name] = bool(out[f.name])
        out["geometry"] = self._decode_geoms([row[-1]])[0]
        return out

    def extent(self, layer: str) -> BBox | None:
        S.layer(layer)  # (an unknown layer is an error)
        frame = self.read_layer(layer, columns=[], geometry=True)
        if frame.empty:
            return None
        return tuple(float(v) for v in frame.total_bounds)
