"""What the review map and list show: filtered change polygons, sized to the viewport.

The page never ships a whole batch to the browser. :func:`viewport` asks the store's spatial index
for the polygons in the view (with the filters), and returns them for drawing when there are at
most ``cap``; beyond that it returns counts on a grid of about ``cell_px`` screen pixels, computed
from the index's bounding boxes without decoding a single geometry. Which of the polygons drawn
are outlines and which are markers (too small on screen to click as shapes) is decided here too,
per polygon at the view's zoom (:func:`drawn_as_marker`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

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


# ------------------------------------------------------------------------------ marker or outline
# A polygon is drawn as its outline once it is at least MARKER_PX screen pixels across (the larger
# of its bounding box's width and height), and as a round marker of its status colour below that.
# 8 px: a filled outline that size is a target a mouse hits (Leaflet hit-tests the whole fill, not
# only the line), and its shape already says something a dot does not. Decided per polygon, by its
# own size at the view's zoom: a 0.4 ha square at 46°N (about 63 m a side; batches hold many that
# small) is 2.4 px at zoom 12, 4.7 px at 13 and 9.5 px at 14 — the 500 m scale bar, where inspectors
# read polygons and asked to see it as itself, not as a dot; a 1.5 ha one switches at 13, a 10 ha
# one at 12.
MARKER_PX = 8
EARTH_M_PER_PX = 156543.03392  # Web Mercator metres per pixel at the equator at zoom 0 (256 px tiles)
M_PER_DEG = 2 * math.pi * 6378137.0 / 360.0  # metres per degree along the Web Mercator sphere's equator


def metres_per_pixel(lat, zoom) -> np.ndarray:
    """Ground metres per screen pixel of a Web Mercator map at latitude ``lat`` (degrees) and
    ``zoom``: ``156543.03392 · cos(lat) / 2^zoom``."""
    lat = np.clip(np.asarray(lat, dtype=float), -85.0, 85.0)
    return EARTH_M_PER_PX * np.cos(np.radians(lat)) / 2.0 ** zoom


def extent_px(bounds, zoom) -> np.ndarray:
    """How many screen pixels each box of ``bounds`` (n×4 lon/lat: minx, miny, maxx, maxy) spans
    at ``zoom``, the larger of its width and height, each measured at the box's middle latitude."""
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    mid = (b[:, 1] + b[:, 3]) / 2
    width_m = (b[:, 2] - b[:, 0]) * M_PER_DEG * np.cos(np.radians(np.clip(mid, -85.0, 85.0)))
    height_m = (b[:, 3] - b[:, 1]) * M_PER_DEG
    return np.maximum(width_m, height_m) / metres_per_pixel(mid, zoom)


def drawn_as_marker(bounds, zoom, min_px: float = MARKER_PX) -> np.ndarray:
    """The map's one rule for marker or outline: whether each polygon (its bounding box, as in
    :func:`extent_px`) is smaller than ``min_px`` screen pixels at ``zoom``, and so drawn as a
    marker; the others are drawn as their outlines (see :data:`MARKER_PX`)."""
    return extent_px(bounds, zoom) < min_px


def in_view(bounds, bbox: BBox) -> np.ndarray:
    """Whether each polygon (its bounding box, n×4) meets the view ``bbox``: the spatial index's
    own rule for "in the box", so a count of these is the database's count for that box."""
    b = np.asarray(bounds, dtype=float).reshape(-1, 4)
    minx, miny, maxx, maxy = (float(v) for v in bbox)
    return (b[:, 0] <= maxx) & (b[:, 2] >= minx) & (b[:, 1] <= maxy) & (b[:, 3] >= miny)


@dataclass
class View:
    mode: str  # "features" | "aggregate" | "empty"
    count: int
    features: gpd.GeoDataFrame | None = None
    cells: list[dict] = field(default_factory=list)

    def bounds(self) -> np.ndarray | None:
        """The bounding boxes (n×4) of the polygons drawn, or None when none are (grid cells)."""
        if self.mode != "features" or self.features is None:
            return None
        return shapely.bounds(np.asarray(self.features.geometry.values, dtype=object))


def count_in_view(bounds, count: int, bbox: BBox | None) -> int:
    """How many polygons the view ``bbox`` holds. A layer is read for a box a little larger than
    the map's own (snapped to a grid, so that nearby views share one answer): of its polygons
    (``bounds``, from :meth:`View.bounds`) those meeting the map's bounds are counted. For grid
    cells (``bounds`` None) the count of the box read (``count``) stands."""
    if bounds is None or bbox is None:
        return int(count)
    return int(in_view(bounds, bbox).sum())


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
