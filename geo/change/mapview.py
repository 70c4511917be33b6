"""What the review map and list show: filtered change polygons, sized to the viewport.

The page never ships a whole batch to the browser. :func:`viewport` asks the store's spatial index
for the polygons in the view (with the filters), and returns them for drawing when there are at
most ``cap``; beyond that it returns counts on a grid of about ``cell_px`` screen pixels, computed
from the index's bounding boxes without decoding a single geometry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.declare import registry as S
from geo.store import Store
from geo.store import cells as cells_mod
from geo.core.timeutil import today_local
from geo.core.types import BBox
from geo.change.deadlines import change_deadlines, overdue
from geo.change.layers import VERDICTS
from geo.access.scope import unwrap

LIST_COLS = ["polygon_no", "batch_id", "county_code", "county", "township", "status", "verdict",
             "area_ha", "area_mu", "deadline", "assigned_to", "fine_yuan", "version", "repeat_of"]


@dataclass(frozen=True)
class Filters:
    batch_ids: tuple[int, ...] = ()
    counties: tuple[str, ...] = ()
    townships: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    overdue_only: bool = False
    assigned_to: str | None = None
    reached: bool = False  # statuses = "at least the first of these" along the workflow
    ids: tuple[int, ...] | None = None  # only these polygons (e.g. NDVI fell by more than 0.2)

    @classmethod
    def from_query(cls, params) -> "Filters":
        """Filters from URL query parameters, as the summary screen's links write them:
        ``?batch=1,2&county=152224&township=突泉镇&status=closed&verdict=illegal&overdue=1&stage=reached``.
        Unknown values are dropped rather than failing the page."""

        def items(key):
            raw = params.get(key) or ""
            return [v.strip() for v in str(raw).split(",") if v.strip()]

        statuses = tuple(s for s in items("status") if s in S.layer("change").statuses)
        return cls(
            batch_ids=tuple(int(b) for b in items("batch") if b.isdigit()),
            counties=tuple(items("county")),
            townships=tuple(items("township")),
            statuses=statuses,
            verdicts=tuple(v for v in items("verdict") if v in VERDICTS),
            overdue_only=str(params.get("overdue") or "") in ("1", "true", "yes"),
            reached=str(params.get("stage") or "") == "reached" and bool(statuses),
        )

    def effective_statuses(self) -> list[str]:
        if not self.statuses:
            return []
        if not self.reached:
            return list(self.statuses)
        order = list(S.layer("change").statuses)
        first = min(order.index(s) for s in self.statuses)
        return order[first:]

    def where(self) -> dict:
        w: dict = {}
        if self.ids is not None:
            w["id"] = list(self.ids)
        if self.batch_ids:
            w["batch_id"] = list(self.batch_ids)
        if self.counties:
            w["county_code"] = list(self.counties)
        if self.townships:
            w["township"] = list(self.townships)
        if self.statuses:
            w["status"] = self.effective_statuses()
        if self.verdicts:
            w["verdict"] = list(self.verdicts)
        if self.assigned_to:
            w["assigned_to"] = self.assigned_to
        return w


ORDER_COLS = ["status", "batch_id", "deadline", "version"]  # enough to order a list and step through it


def candidates(store: Store, filters: Filters, *, bbox: BBox | None = None,
               today: dt.date | None = None, centers: bool = False, scope=None,
               columns: list[str] | None = None) -> pd.DataFrame:
    """Attributes (no geometry) of the change polygons matching ``filters`` in ``bbox``, with
    their derived deadline (``due``) and ``overdue`` flag, ordered by id. ``columns``: read only
    these (at least :data:`ORDER_COLS`); all of :data:`LIST_COLS` by default."""
    cols = LIST_COLS if columns is None else list(dict.fromkeys([*ORDER_COLS, *columns]))
    today = today or today_local()
    where = filters.where()
    if scope is not None:
        where = scope.restrict_where(where)
        if where is None:
            return pd.DataFrame(columns=["id", *cols, "due", "overdue"])
    frame = store.read_layer("change", bbox=bbox, where=where, columns=cols, geometry=False,
                             centers=centers)
    batches = store.batches("change")
    frame["due"] = change_deadlines(frame, batches)
    frame["overdue"] = overdue(frame["due"], today)
    if filters.overdue_only:
        frame = frame[frame["overdue"]]
    return frame.reset_index(drop=True)


@dataclass
class View:
    mode: str  # "features" | "aggregate" | "empty"
    count: int
    features: gpd.GeoDataFrame | None = None
    cells: list[dict] = field(default_factory=list)


def viewport(store: Store, bbox: BBox, zoom: int, filters: Filters, *, cap: int = 3000,
             cell_px: int = 48, today: dt.date | None = None, scope=None) -> View:
    """The change polygons to draw for one map view. The database counts what the view holds;
    up to ``cap`` are read (geometry included) and drawn, beyond that the database counts them on
    a grid of about ``cell_px`` pixels and only the cells travel. The work therefore follows what
    the view shows, not the size of the store."""
    if filters.overdue_only:  # derived in Python from the batch deadlines: filter, then draw
        return _viewport_filtered(store, bbox, zoom, filters, cap=cap, cell_px=cell_px, today=today,
                                  scope=scope)
    where = filters.where()
    if scope is not None:
        where = scope.restrict_where(where)
        if where is None:
            return View("empty", 0)
    w, h = cell_size(bbox, zoom, cell_px)
    counted = None
    if cells_mod.answerable(where, zoom) and cell_px == cells_mod.CELL_PX:
        # far out, the pre-counted cells answer without touching the polygons
        counted = store.grid_counts("change", bbox, w, h, where, zoom)
        n = sum(k for _, _, k in counted)
    else:
        top = max(cells_mod.ZOOMS)
        if zoom > top and cells_mod.answerable(where, top):
            # the coarsest pre-counted cells meeting the view bound its count from above: nothing
            # there means an empty view; far more than the cap means counting on the grid at once
            # (one pass over the index instead of a count and then a grid)
            upper = sum(k for _, _, k in store.grid_counts("change", bbox, cells_mod.cell_w(top),
                                                          cells_mod.cell_h(top), where, top))
            if upper == 0:
                return View("empty", 0)
            if upper > 4 * cap:
                counted = store.grid_counts("change", bbox, w, h, where)
        n = sum(k for _, _, k in counted) if counted is not None else store.count("change", where, bbox)
    if n == 0:
        return View("empty", 0)
    if n > cap:
        if counted is None:
            counted = store.grid_counts("change", bbox, w, h, where)
        cells = [{"bbox": (gx * w, gy * h, (gx + 1) * w, (gy + 1) * h), "count": k} for gx, gy, k in counted]
        return View("aggregate", n, cells=cells)
    frame = store.read_layer("change", bbox=bbox, where=where, columns=LIST_COLS, geometry=True)
    frame["due"] = change_deadlines(frame, store.batches("change"))
    frame["overdue"] = overdue(frame["due"], today or today_local())
    return View("features", len(frame), features=frame)


def _viewport_filtered(store, bbox, zoom, filters, *, cap, cell_px, today, scope) -> View:
    frame = candidates(store, filters, bbox=bbox, today=today, centers=True, scope=scope)
    n = len(frame)
    if n == 0:
        return View("empty", 0)
    if n <= cap:
        geo = store.read_layer("change", ids=frame["id"].tolist(), columns=["id"], geometry=True)
        geo = geo.merge(frame, on="id", how="left")
        return View("features", n, features=gpd.GeoDataFrame(geo, geometry="geometry", crs=4490))
    return View("aggregate", n, cells=grid_counts(frame["cx"].to_numpy(float), frame["cy"].to_numpy(float),
                                                    bbox, zoom, cell_px))


def cell_size(bbox: BBox, zoom: int, cell_px: int = 48) -> tuple[float, float]:
    """Width and height in degrees of a grid cell of about ``cell_px`` screen pixels (the same
    grid the store pre-counts: see :mod:`geo.store.cells`)."""
    return cells_mod.cell_w(zoom, cell_px), cells_mod.cell_h(zoom, cell_px)


def grid_counts(x: np.ndarray, y: np.ndarray, bbox: BBox, zoom: int, cell_px: int = 48) -> list[dict]:
    """Counts of points on a grid of ``cell_px`` screen pixels at ``zoom`` (square in degrees of
    longitude; rows follow the latitude scale of the view's centre)."""
    deg, dy = cell_size(bbox, zoom, cell_px)
    ix = np.floor(x / deg).astype(np.int64)
    iy = np.floor(y / dy).astype(np.int64)
    keys, counts = np.unique(np.stack([ix, iy], axis=1), axis=0, return_counts=True)
    return [
        {"bbox": (float(kx * deg), float(ky * dy), float((kx + 1) * deg), float((ky + 1) * dy)),
         "count": int(c)}
        for (kx, ky), c in zip(keys, counts)
    ]


def deadline_of(store: Store, feature: dict, today: dt.date | None = None) -> tuple[str | None, bool]:
    """The derived deadline (ISO date) of one change polygon, and whether it has passed."""
    today = today or today_local()
    frame = pd.DataFrame([{k: feature.get(k) for k in ("status", "batch_id", "deadline")}])
    due = change_deadlines(frame, store.batches("change")).iloc[0]
    return due, bool(due is not None and due < today.isoformat())


def review_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The order an inspector works through a list: open polygons past their deadline first
    (the longest overdue first), then every other polygon by id. ``frame`` has ``id``, ``due``
    and ``overdue`` (from :func:`candidates`); the list on the page and "next" both follow it."""
    if frame.empty:
        return frame
    late = frame["overdue"].fillna(False).astype(bool)
    if "status" in frame:
        late &= frame["status"] != "closed"
    key = pd.DataFrame({
        "late": ~late,
        "due": frame["due"].where(late, "").fillna("").astype(str),
        "id": frame["id"].astype("int64"),
    })
    order = key.sort_values(["late", "due", "id"], kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def matches(filters: Filters, row: dict) -> bool:
    """Whether one change polygon (its attributes, with ``overdue``) meets ``filters``."""
    if filters.batch_ids and row.get("batch_id") not in filters.batch_ids:
        return False
    if filters.counties and row.get("county_code") not in filters.counties:
        return False
    if filters.townships and row.get("township") not in filters.townships:
        return False
    if filters.statuses and row.get("status") not in filters.effective_statuses():
        return False
    if filters.verdicts and row.get("verdict") not in filters.verdicts:
        return False
    if filters.assigned_to and row.get("assigned_to") != filters.assigned_to:
        return False
    return not filters.overdue_only or bool(row.get("overdue"))


def patch_listing(frame: pd.DataFrame, feature: dict, filters: Filters, batches: pd.DataFrame,
                  today: dt.date | None = None) -> pd.DataFrame:
    """``frame`` (from :func:`candidates`, in working order) after one polygon changed: its row
    updated in place (the list keeps its order under the user), or dropped when it no longer meets
    the filters — instead of reading the whole list again after every action."""
    row = {k: feature.get(k) for k in set(frame.columns) | {"status", "batch_id", "deadline", "version"} if k in feature}
    one = pd.DataFrame([{k: feature.get(k) for k in ("status", "batch_id", "deadline")}])
    due = change_deadlines(one, batches).iloc[0]
    row["due"] = due
    row["overdue"] = bool(overdue(pd.Series([due]), today or today_local()).iloc[0])
    fid = int(feature["id"])
    at = frame.index[frame["id"] == fid]
    if not matches(filters, {**feature, "overdue": row["overdue"]}):
        return frame.drop(index=at).reset_index(drop=True) if len(at) else frame
    if not len(at):
        return frame  # newly matching: it joins the list when the list is next read in full
    out = frame.copy()
    for k, v in row.items():
        if k in out.columns:
            out.at[at[0], k] = v
    return out


def layer_token(store: Store, layer: str) -> str:
    """Changes whenever a feature of ``layer`` is added or changed (every change is an event): a
    cache key for the map's other layers, which an action on a change polygon leaves as they were."""

    store, _ = unwrap(store)
    with store.transaction(write=False) as tx:
        last, n = tx.query_one("SELECT MAX(id), COUNT(*) FROM events WHERE layer = ?", [layer])
    return f"{store.url}|{layer}|{last}|{n}"


def results_extent(store: Store, filters: Filters, *, scope=None, today: dt.date | None = None,
                   exact_below: int = 5000) -> BBox | None:
    """The box holding every change polygon that matches ``filters`` (what the map fits to when a
    filter, a link or a batch is chosen), or None when nothing matches. Up to ``exact_below``
    polygons their bounding-box centres are read; beyond that the pre-counted grid cells of zoom 9
    (about 0.07°) give the box without reading the polygons."""
    where = filters.where()
    if scope is not None:
        where = scope.restrict_where(where)
        if where is None:
            return None
    if filters.overdue_only:
        frame = candidates(store, filters, today=today, centers=True, scope=scope)
    else:
        n = store.count("change", where)
        if n == 0:
            return None
        if n > exact_below:
            zoom = 9
            world = (-180.0, -85.0, 180.0, 85.0)
            w, h = cell_size(world, zoom)
            cells = store.grid_counts("change", world, w, h, where, zoom if cells_mod.answerable(where, zoom) else None)
            if not cells:
                return None
            gx = np.array([c[0] for c in cells], dtype=float)
            gy = np.array([c[1] for c in cells], dtype=float)
            return (float(gx.min() * w), float(gy.min() * h), float((gx.max() + 1) * w), float((gy.max() + 1) * h))
        frame = store.read_layer("change", where=where, columns=["status"], geometry=False, centers=True)
    if frame.empty:
        return None
    x, y = frame["cx"].to_numpy(float), frame["cy"].to_numpy(float)
    return (float(np.nanmin(x)), float(np.nanmin(y)), float(np.nanmax(x)), float(np.nanmax(y)))


def area_extent(store: Store, counties=None) -> BBox | None:
    """The box of the user's area: the named counties, or the whole jurisdiction (the league and
    its counties in the admin layer; the change polygons when there are no boundaries)."""
    if counties is not None:
        frame = store.read_layer("admin", where={"level": "county", "code": sorted(counties)}, columns=["code"])
    else:
        frame = store.read_layer("admin", where={"level": ["league", "county"]}, columns=["level"])
    if len(frame):
        return tuple(float(v) for v in frame.total_bounds)
    return store.extent("change")


def step(ids: list[int], current: int | None, direction: int = 1) -> int | None:
    """The next (or previous) id in a filtered list, wrapping around."""
    if not ids:
        return None
    if current not in ids:
        return ids[0]
    i = ids.index(current)
    return ids[(i + direction) % len(ids)]
