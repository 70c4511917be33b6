"""Once and only once: what the store already holds of a batch.

* the same file (``batches.file_sha256``);
* the same polygon: the same source and polygon number (one indexed join on
  ``(source, polygon_no)``), or the same shape (``geom_hash``, the fingerprint the store keeps for
  every change polygon);
* within the file itself: a number or a shape that appears twice;
* repeats (重复图斑): a new polygon that substantially overlaps a stored one of an earlier batch.

No stored geometry is decoded except the neighbours': the pairs of (new polygon, stored polygon)
whose bounding boxes meet come from the store's spatial index (GeoPackage R-tree / PostGIS GiST)
in one query, and only those stored polygons are read — their fingerprints settle "same shape"
(identical shapes have identical boxes) and their geometries the overlaps. Memory therefore
follows the file, not the store.

The joins are written per backend (a temporary table joined to the R-tree in SQLite, ``unnest``
joined with ``&&`` in PostGIS), with a generic fallback through :meth:`Store.read_layer`.
"""

from __future__ import annotations

import json
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.declare import registry as S
from geo.store import rtree_bulk

CHUNK = 20000
REPEAT_OVERLAP = 0.5  # intersection / smaller area


def same_file(store, sha: str, layer: str) -> dict | None:
    found = store.table("batches", where={"file_sha256": sha, "layer": layer}, order="id")
    return None if found.empty else found.iloc[0].to_dict()


_MULTI_ONE = b"\x01\x06\x00\x00\x00\x01\x00\x00\x00"  # WKB header of a one-part multipolygon


def hash_variants(geoms: np.ndarray, decimals: int = 7, both: np.ndarray | None = None) -> tuple[list, list]:
    """Fingerprints of each geometry as :func:`geo.core.geometry.geom_hashes` computes them, in both
    forms the store may hold a one-part shape in: as a polygon and as a multipolygon (the second
    only where ``both`` is true, when given). Computed from one WKB per geometry (the two forms
    differ only in a 9-byte header)."""
    import hashlib

    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    h1: list = [None] * n
    h2: list = [None] * n
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not ok.any():
        return h1, h2
    g = shapely.normalize(shapely.transform(geoms[ok], lambda c: np.round(c, decimals)))
    types = shapely.get_type_id(g)
    parts = shapely.get_num_geometries(g)
    wkb = shapely.to_wkb(g, output_dimension=2, byte_order=1)
    sha1 = hashlib.sha1
    want = np.ones(n, dtype=bool) if both is None else np.asarray(both, dtype=bool)
    for i, w, t, p in zip(np.flatnonzero(ok), wkb, types, parts):
        h1[i] = sha1(w).hexdigest()
        if not want[i]:
            continue
        if t == 3:
            h2[i] = sha1(_MULTI_ONE + w).hexdigest()
        elif t == 6 and p == 1:
            h2[i] = sha1(w[9:]).hexdigest()
    return h1, h2


def _first(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["i", "id", "batch_id"])
    if frame.empty:
        return frame
    return frame.sort_values(["i", "id"]).drop_duplicates("i").reset_index(drop=True)


def stored_by_number(store, layer: str, sources: pd.Series, numbers: pd.Series) -> pd.DataFrame:
    """Stored features with the same (source, polygon number): columns ``i`` (position in the
    input), ``id``, ``batch_id`` (the earliest stored feature per input row). One indexed join."""
    lyr = S.layer(layer)
    src = sources.to_numpy(dtype=object)
    nos = numbers.to_numpy(dtype=object)
    sel = np.flatnonzero(pd.notna(nos))
    if not len(sel):
        return _first([])
    has_src = pd.notna(src[sel])
    if store.backend == "gpkg":
        # per source, the numbers go in as one JSON array (json_each, in C) and meet the
        # (source, polygon_no) index: no Python call per number
        rows = []
        frame = pd.DataFrame({"s": src[sel], "no": [str(v) for v in nos[sel]], "i": sel})
        with store.transaction(write=False) as tx:
            for value, grp in frame.groupby(frame["s"].fillna("\0"), sort=False):
                match = "c.source IS NULL" if value == "\0" else "c.source = ?"
                params = [json.dumps(grp["no"].tolist(), ensure_ascii=False)] + ([] if value == "\0" else [value])
                hits = tx.query(f"SELECT j.key, c.id, c.batch_id FROM json_each(?) j CROSS JOIN {lyr.table} c "
                                f"ON {match} AND c.polygon_no = j.value", params)
                at = grp["i"].to_numpy()
                rows += [(int(at[k]), fid, bid) for k, fid, bid in hits]
        return _first(rows)
    if store.backend == "postgis":
        with store.transaction(write=False) as tx:
            rows = tx.query(
                f"SELECT b.i, c.id, c.batch_id FROM unnest(?::bigint[], ?::text[], ?::text[]) AS b(i, s, no) "
                f"JOIN {lyr.table} c ON c.source = b.s AND c.polygon_no = b.no",
                [sel[has_src].tolist(), src[sel][has_src].tolist(), [str(v) for v in nos[sel][has_src]]])
            if not has_src.all():
                rows += tx.query(
                    f"SELECT b.i, c.id, c.batch_id FROM unnest(?::bigint[], ?::text[]) AS b(i, no) "
                    f"JOIN {lyr.table} c ON c.source IS NULL AND c.polygon_no = b.no",
                    [sel[~has_src].tolist(), [str(v) for v in nos[sel][~has_src]]])
        return _first(rows)
    rows = []
    frame = pd.DataFrame({"source": src, "no": nos}).iloc[sel]
    for value, grp in frame.groupby(frame["source"].fillna("\0"), sort=False):
        src_value = None if value == "\0" else value
        uniq = pd.unique(grp["no"])
        for k in range(0, len(uniq), CHUNK):
            part = store.read_layer(layer, where={"source": src_value, "polygon_no": list(uniq[k:k + CHUNK])},
                                    columns=["polygon_no", "batch_id"], geometry=False)
            first = part.sort_values("id").drop_duplicates("polygon_no").set_index("polygon_no")
            hit = grp["no"].map(first["id"])
            for i, no in zip(grp.index[hit.notna()], grp["no"][hit.notna()]):
                rows.append((int(i), int(first.at[no, "id"]), first.at[no, "batch_id"]))
    return _first(rows)


# ------------------------------------------------------------------------------ overlaps
TILE_DEG = 0.5  # the new boxes are matched against the stored ones tile by tile
MARGIN = 0.05  # stored boxes are read for a tile widened by this (new boxes reach over its edge)
WIDE = 0.02  # stored boxes wider than this are matched through a tree, the rest by a sweep


def _tiles(bounds: np.ndarray):
    """Groups of new boxes by the ``TILE_DEG`` cell of their centre, with the cell's key."""
    cx = np.floor((bounds[:, 0] + bounds[:, 2]) / 2 / TILE_DEG).astype("int64")
    cy = np.floor((bounds[:, 1] + bounds[:, 3]) / 2 / TILE_DEG).astype("int64")
    keys = cx * 1_000_000 + cy
    order = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.diff(keys[order])) + 1
    for sel in np.split(order, cuts):
        yield sel, (int(cx[sel[0]]), int(cy[sel[0]]))


class StoredBoxes:
    """The stored boxes of a GeoPackage layer near a file's polygons, read from the R-tree one
    tile at a time (five numbers each, no geometry) and kept for the file's later chunks — the
    store does not change while a file is checked, and reading a tile once instead of once per
    chunk is what keeps a chunked check of a national batch linear. About 40 bytes per box."""

    ALL_AT_ONCE = 2_000_000  # a layer of at most this many boxes is read whole, from the leaves

    def __init__(self):
        self.tiles: dict = {}
        self.every: np.ndarray | None = None  # (a small layer's boxes, all of them, n × 5)
        self.every_read = False  # (asked once: a layer of too many boxes keeps ``every`` None)
        self.lock = threading.Lock()  # (two chunks' checks may ask at once: read each tile once)

    def tile(self, tx, rtree: str, key: tuple[int, int]) -> dict:
        with self.lock:
            return self._tile(tx, rtree, key)

    def _tile(self, tx, rtree: str, key: tuple[int, int]) -> dict:
        if key not in self.tiles:
            x0, y0 = key[0] * TILE_DEG - MARGIN, key[1] * TILE_DEG - MARGIN
            x1, y1 = x0 + TILE_DEG + 2 * MARGIN, y0 + TILE_DEG + 2 * MARGIN
            every = self._every(tx, rtree)
            if every is not None:
                arr = every[(every[:, 1] <= x1) & (every[:, 2] >= x0) & (every[:, 3] <= y1) & (every[:, 4] >= y0)]
            else:
                rows = tx.query(f"SELECT id, minx, maxx, miny, maxy FROM {rtree} WHERE minx <= ? AND maxx >= ? "
                                "AND miny <= ? AND maxy >= ?", [x1, x0, y1, y0])
                arr = np.asarray(rows, dtype="float64").reshape(-1, 5)
            self.tiles[key] = _sorted_boxes(arr)
        return self.tiles[key]

    def _every(self, tx, rtree: str) -> np.ndarray | None:
        """The layer's boxes read once from the R-tree's leaves (the same 32-bit boxes a query
        returns, without walking the tree once per tile), when there are not too many."""
        if not self.every_read:

            self.every_read = True
            if int(tx.query_one(f"SELECT COUNT(*) FROM {rtree}_rowid")[0]) <= self.ALL_AT_ONCE:
                cells = rtree_bulk.leaf_cells(tx, rtree)
                self.every = np.column_stack([cells["id"].astype("float64"), cells["minx"], cells["maxx"],
                                              cells["miny"], cells["maxy"]]).astype("float64")
        return self.every


def _sorted_boxes(arr: np.ndarray) -> dict:
    """A tile's stored boxes ``(id, minx, maxx, miny, maxy)`` for :func:`_sweep`: the small ones
    in bands of ``BAND`` degrees by their lower edge and, within a band, by their left edge (one
    sorted key); the few wider or taller than ``WIDE`` in an STRtree."""
    width, height = arr[:, 2] - arr[:, 1], arr[:, 4] - arr[:, 3]
    wide = (width > WIDE) | (height > WIDE)
    narrow = arr[~wide]
    key = _band_key(np.floor(narrow[:, 3] / BAND), narrow[:, 1])
    order = np.argsort(key, kind="stable")
    narrow = narrow[order]
    out = {"id": narrow[:, 0].astype("int64"), "key": key[order], "x0": narrow[:, 1].copy(),
           "x1": narrow[:, 2].copy(), "y0": narrow[:, 3].copy(), "y1": narrow[:, 4].copy(),
           "wmax": float(width[~wide].max()) if len(narrow) else 0.0,
           "hmax": float(height[~wide].max()) if len(narrow) else 0.0, "wide": None}
    if wide.any():
        w = arr[wide]
        out["wide"] = (w[:, 0].astype("int64"), shapely.STRtree(shapely.box(w[:, 1], w[:, 3], w[:, 2], w[:, 4])))
    return out


BAND = 0.005  # degrees: the height of the bands a tile's small stored boxes are sorted in


def _band_key(band: np.ndarray, x: np.ndarray) -> np.ndarray:
    # band number and longitude in one sortable float (longitudes are within 0..360 after the
    # shift; a band number times 512 keeps bands apart, and doubles resolve 1e-9 degree here)
    return band * 512.0 + (x + 180.0)


def _sweep(t: dict, b: np.ndarray, block: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """``(new index, stored id)`` of the boxes ``b`` (shapely order) meeting a tile's stored
    boxes. A new box's candidates lie in the bands its lower edge reach can touch, each band's
    one slice by left edge (``searchsorted``), then four compares: a few candidates per box
    instead of a strip the tile's height."""
    ia_out, id_out = [], []
    eps = 1e-9
    for k in range(0, len(b), block):
        bb = b[k:k + block]
        first = np.floor((bb[:, 1] - t["hmax"]) / BAND)
        nband = (np.floor(bb[:, 3] / BAND) - first).astype("int64") + 1
        row = np.repeat(np.arange(len(bb)), nband)
        band = np.repeat(first, nband) + (np.arange(len(row)) - np.repeat(np.cumsum(nband) - nband, nband))
        lo = np.searchsorted(t["key"], _band_key(band, bb[row, 0] - t["wmax"] - eps), "left")
        hi = np.searchsorted(t["key"], _band_key(band, bb[row, 2] + eps), "right")
        cnt = hi - lo
        total = int(cnt.sum())
        if total:
            ia = np.repeat(row, cnt)
            jb = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(total)
            ok = (t["x1"][jb] >= bb[ia, 0]) & (t["x0"][jb] <= bb[ia, 2]) & \
                (t["y0"][jb] <= bb[ia, 3]) & (t["y1"][jb] >= bb[ia, 1])
            ia_out.append(ia[ok] + k)
            id_out.append(t["id"][jb[ok]])
        if t["wide"] is not None:
            ids, tree = t["wide"]
            src, dst = tree.query(shapely.box(bb[:, 0], bb[:, 1], bb[:, 2], bb[:, 3]))
            ia_out.append(src + k)
            id_out.append(ids[dst])
    if not ia_out:
        return np.zeros(0, "int64"), np.zeros(0, "int64")
    return np.concatenate(ia_out), np.concatenate(id_out)


def _pairs_gpkg(store, lyr: S.Layer, bounds: np.ndarray, boxes: StoredBoxes | None = None) -> np.ndarray:
    # Per tile, one range query on the R-tree returns the stored boxes near the new ones (kept in
    # ``boxes`` for a file's later chunks); they are matched in memory. Faster than joining 100k
    # boxes against the R-tree one by one, and bounded by the batch's area.
    rt = f"rtree_{lyr.table}_geom"
    boxes = boxes if boxes is not None else StoredBoxes()
    out = []
    with store.transaction(write=False) as tx:
        for sel, key in _tiles(bounds):
            b = bounds[sel]
            ia, ids = _sweep(boxes.tile(tx, rt, key), b)
            out.append(np.column_stack([sel[ia], ids]))
            # a new box reaching beyond the tile's margin: asked of the R-tree on its own
            x0, y0 = key[0] * TILE_DEG - MARGIN, key[1] * TILE_DEG - MARGIN
            big = (b[:, 0] < x0) | (b[:, 1] < y0) | (b[:, 2] > x0 + TILE_DEG + 2 * MARGIN) | \
                (b[:, 3] > y0 + TILE_DEG + 2 * MARGIN)
            for i in np.flatnonzero(big):
                rows = tx.query(f"SELECT id FROM {rt} WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?",
                                [b[i, 2], b[i, 0], b[i, 3], b[i, 1]])
                if rows:
                    out.append(np.column_stack([np.full(len(rows), sel[i]), np.asarray(rows, "int64")[:, 0]]))
    pairs = np.concatenate(out) if out else np.zeros((0, 2), dtype="int64")
    if not len(pairs):
        return pairs.reshape(0, 2).astype("int64")
    # distinct pairs, sorted as np.unique(axis=0) sorts them, through one int64 key each (the
    # row-wise unique sorts structured views: ten times slower)
    pairs = pairs.astype("int64")
    span = int(pairs[:, 1].max()) + 1
    if int(pairs[:, 0].max()) < (1 << 62) // span:
        key = np.unique(pairs[:, 0] * span + pairs[:, 1])
        return np.column_stack([key // span, key % span])
    return np.unique(pairs, axis=0)


def _pairs_postgis(store, lyr: S.Layer, bounds: np.ndarray) -> np.ndarray:
    with store.transaction(write=False) as tx:
        rows = tx.query(
            f"SELECT b.i, c.id FROM unnest(?::bigint[], ?::float8[], ?::float8[], ?::float8[], ?::float8[]) "
            f"AS b(i, minx, miny, maxx, maxy) JOIN {lyr.table} c ON c.geom && "
            "ST_MakeEnvelope(b.minx, b.miny, b.maxx, b.maxy, 4490)",
            [list(range(len(bounds))), bounds[:, 0].tolist(), bounds[:, 1].tolist(),
             bounds[:, 2].tolist(), bounds[:, 3].tolist()])
    return np.asarray(rows, dtype="int64").reshape(-1, 2)


def _pairs_generic(store, layer: str, geoms: np.ndarray) -> np.ndarray:
    """Any backend: one bbox query per cell of a coarse grid over the new polygons."""
    b = shapely.bounds(geoms)
    cell = 0.25
    keys = np.floor(((b[:, 0] + b[:, 2]) / 2) / cell).astype(int) * 100000 + np.floor(((b[:, 1] + b[:, 3]) / 2) / cell).astype(int)
    out = []
    for key in np.unique(keys):
        sel = np.flatnonzero(keys == key)
        box = (b[sel, 0].min(), b[sel, 1].min(), b[sel, 2].max(), b[sel, 3].max())
        stored = store.read_layer(layer, bbox=box, columns=[], geometry=True)
        if stored.empty:
            continue
        tree = shapely.STRtree(stored.geometry.values)
        src, dst = tree.query(shapely.box(b[sel, 0], b[sel, 1], b[sel, 2], b[sel, 3]))
        out.append(np.column_stack([sel[src], stored["id"].to_numpy()[dst]]))
    return np.concatenate(out) if out else np.zeros((0, 2), dtype="int64")


def candidate_pairs(store, layer: str, geoms: np.ndarray, boxes: StoredBoxes | None = None) -> np.ndarray:
    """``(i, stored id)`` pairs whose bounding boxes meet, from the store's spatial index
    (``boxes``: the GeoPackage's stored boxes already read for this file)."""
    lyr = S.layer(layer)
    if len(geoms) == 0:
        return np.zeros((0, 2), dtype="int64")
    bounds = shapely.bounds(geoms)
    if store.backend == "gpkg":
        return _pairs_gpkg(store, lyr, bounds, boxes)
    if store.backend == "postgis":
        return _pairs_postgis(store, lyr, bounds)
    return _pairs_generic(store, layer, geoms)


def neighbours(store, layer: str, geoms: np.ndarray, boxes: StoredBoxes | None = None
               ) -> tuple[np.ndarray, gpd.GeoDataFrame]:
    """Candidate pairs ``(i, stored id)`` whose boxes meet, and those stored features
    (``id``, ``batch_id``, ``geom_hash``, geometry) — only those are read from the store."""
    pairs = candidate_pairs(store, layer, geoms, boxes)
    cols = ["batch_id", "geom_hash"] if "geom_hash" in S.layer(layer).names else ["batch_id"]
    if len(pairs) == 0:
        return pairs, gpd.GeoDataFrame({"id": [], **{c: [] for c in cols}}, geometry=[], crs=4490)
    ids = np.unique(pairs[:, 1])
    parts = [store.read_layer(layer, ids=ids[k:k + CHUNK].tolist(), columns=cols)
             for k in range(0, len(ids), CHUNK)]
    return pairs, pd.concat(parts, ignore_index=True)


def same_geometry(pairs: np.ndarray, stored: gpd.GeoDataFrame, h1: list, h2: list) -> pd.DataFrame:
    """Rows whose fingerprint equals a neighbour's: ``i``, ``id``, ``batch_id``."""
    if len(pairs) == 0 or "geom_hash" not in stored:
        return _first([])
    by_id = stored.set_index("id")
    sh = by_id.loc[pairs[:, 1], "geom_hash"].to_numpy(dtype=object)
    a = np.asarray(h1, dtype=object)[pairs[:, 0]]
    b = np.asarray(h2, dtype=object)[pairs[:, 0]]
    hit = (sh == a) | (sh == b)
    hit &= pd.notna(sh)
    rows = [(int(i), int(fid), by_id.at[int(fid), "batch_id"]) for i, fid in pairs[hit]]
    return _first(rows)


def _overlap_areas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Areas of the pairwise intersections. A pair GEOS cannot intersect (an invalid stored
    polygon: side location conflict) is measured on repaired copies — only the invalid ones are
    repaired, not the whole list."""
    a, b = a.copy(), b.copy()
    for g in (a, b):  # (checking costs far less than an intersection GEOS gives up on midway)
        bad = ~shapely.is_valid(g)
        if bad.any():
            g[bad] = shapely.make_valid(g[bad])
    try:
        return shapely.area(shapely.intersection(a, b))
    except shapely.errors.GEOSException:  # (robustness failures of valid input: one pair at a time)
        out = np.zeros(len(a))
        for k, (x, y) in enumerate(zip(a, b)):
            try:
                out[k] = shapely.area(shapely.intersection(x, y))
            except shapely.errors.GEOSException:
                out[k] = shapely.area(shapely.intersection(shapely.make_valid(x), shapely.make_valid(y)))
        return out


def repeats(pairs: np.ndarray, stored: gpd.GeoDataFrame, geoms: np.ndarray) -> pd.DataFrame:
    """New polygons that substantially overlap a stored neighbour: ``i``, ``id``, ``batch_id``,
    ``overlap`` (intersection over the smaller area), the best match per new polygon."""
    empty = pd.DataFrame(columns=["i", "id", "batch_id", "overlap"])
    if len(pairs) == 0:
        return empty
    pos = pd.Series(np.arange(len(stored)), index=stored["id"].to_numpy())
    sg = np.asarray(stored.geometry.values, dtype=object)
    a = np.asarray(geoms, dtype=object)[pairs[:, 0]]
    b = sg[pos.loc[pairs[:, 1]].to_numpy()]
    # the overlap cannot exceed the overlap of the boxes: drop pairs that cannot reach the bar
    ba, bb = shapely.bounds(a), shapely.bounds(b)
    w = np.minimum(ba[:, 2], bb[:, 2]) - np.maximum(ba[:, 0], bb[:, 0])
    h = np.minimum(ba[:, 3], bb[:, 3]) - np.maximum(ba[:, 1], bb[:, 1])
    area_a, area_b = shapely.area(a), shapely.area(b)
    smaller = np.minimum(area_a, area_b)
    possible = np.clip(w, 0, None) * np.clip(h, 0, None) >= REPEAT_OVERLAP * smaller
    pairs, a, b, smaller = pairs[possible], a[possible], b[possible], smaller[possible]
    if len(pairs) == 0:
        return empty
    inter = _overlap_areas(a, b)
    ratio = np.where(smaller > 0, inter / np.where(smaller > 0, smaller, 1), 0.0)
    res = pd.DataFrame({"i": pairs[:, 0], "id": pairs[:, 1], "overlap": ratio})
    res = res[res["overlap"] >= REPEAT_OVERLAP]
    if res.empty:
        return empty
    res = res.sort_values(["i", "overlap", "id"], ascending=[True, False, True]).drop_duplicates("i")
    res["batch_id"] = stored.set_index("id").loc[res["id"].to_numpy(), "batch_id"].to_numpy()
    return res.reset_index(drop=True)
