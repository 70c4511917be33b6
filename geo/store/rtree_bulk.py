"""Bulk loading of a GeoPackage's SQLite R-tree: the whole index packed at once.

SQLite's R*-tree inserts one box at a time (about 10 µs each: choose a leaf, split, adjust the
parents), which is a quarter of a 100,000-polygon batch import. When a batch is large next to what
the layer already holds, it is faster to pack the index anew — the way GDAL builds it when it writes
a GeoPackage: every box (the stored ones and the new ones) sorted along a Hilbert curve, cut into
full leaves, the leaves' boxes cut into parents, up to one root, and the nodes written straight into
the R-tree's tables in the format of SQLite's ``rtree.c``:

* ``<name>_node(nodeno, data)``: node 1 is the root; ``data`` is ``depth`` (2 bytes, root only),
  ``count`` (2 bytes), then ``count`` cells of a 64-bit id (a feature id in a leaf, a child node
  number above) and the box as four 32-bit floats (minx, maxx, miny, maxy), all big-endian, the
  blob zero-padded to the node size the table was created with;
* ``<name>_rowid(rowid, nodeno)``: the leaf holding each feature;
* ``<name>_parent(nodeno, parentnode)``: the parent of each non-root node.

Coordinates are rounded outwards to 32-bit floats as SQLite does, so every box still contains its
feature. The result passes SQLite's own ``rtreecheck()`` (tests) and GDAL reads through it.
"""

from __future__ import annotations

import numpy as np

CELL = np.dtype([("id", ">i8"), ("minx", ">f4"), ("maxx", ">f4"), ("miny", ">f4"), ("maxy", ">f4")])
REBUILD_RATIO = 4  # pack anew when the layer holds at most this many times the new boxes


def hilbert_keys(bounds: np.ndarray, level: int = 16) -> np.ndarray:
    """Hilbert-curve index of each box centre on a 2^level grid over the boxes' extent."""
    n = 1 << level
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    if len(cx) == 0:
        return np.zeros(0, dtype=np.int64)
    span = max(float(cx.max() - cx.min()), float(cy.max() - cy.min())) or 1.0
    x = ((cx - cx.min()) / span * (n - 1)).astype(np.int64)
    y = ((cy - cy.min()) / span * (n - 1)).astype(np.int64)
    d = np.zeros(len(x), dtype=np.int64)
    s = n >> 1
    while s > 0:
        rx = ((x & s) > 0).astype(np.int64)
        ry = ((y & s) > 0).astype(np.int64)
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant
        flip = ry == 0
        swap_x = np.where(flip & (rx == 1), s - 1 - x, x)
        swap_y = np.where(flip & (rx == 1), s - 1 - y, y)
        x = np.where(flip, swap_y, swap_x)
        y = np.where(flip, swap_x, swap_y)
        s >>= 1
    return d


def outward32(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """32-bit floats that contain [lo, hi]: lows rounded down, highs rounded up."""
    lo32 = lo.astype(np.float32)
    hi32 = hi.astype(np.float32)
    down = lo32.astype(np.float64) > lo
    up = hi32.astype(np.float64) < hi
    lo32[down] = np.nextafter(lo32[down], np.float32(-np.inf))
    hi32[up] = np.nextafter(hi32[up], np.float32(np.inf))
    return lo32, hi32


def worth_it(tx, rtree: str, n_new: int) -> bool:
    """Packing anew costs in proportion to all boxes; inserting, to the new ones (but ~8× more
    per box): pack when the layer is not much bigger than the batch."""
    n_old = tx.query_one(f"SELECT COUNT(*) FROM {rtree}_rowid")[0]
    return n_new >= 500 and int(n_old) <= REBUILD_RATIO * n_new


def leaf_cells(tx, rtree: str) -> np.ndarray:
    """Every box the R-tree holds (``CELL`` records: id and the 32-bit box), straight from its
    leaves' blobs — one read of a few thousand rows instead of a query per box."""
    leaves = tx.query(f"SELECT data FROM {rtree}_node WHERE nodeno IN (SELECT DISTINCT nodeno FROM {rtree}_rowid)")
    parts = [np.frombuffer(bytes(b), dtype=CELL, count=int.from_bytes(bytes(b[2:4]), "big"), offset=4)
             for (b,) in leaves]
    return np.concatenate(parts) if parts else np.empty(0, dtype=CELL)


def rebuild(tx, rtree: str, ids: np.ndarray, bounds: np.ndarray) -> None:
    """Pack ``rtree`` with the boxes it holds plus ``ids`` with ``bounds`` (shapely order:
    minx, miny, maxx, maxy; float64), inside the open transaction ``tx``."""
    size = tx.query_one(f"SELECT length(data) FROM {rtree}_node WHERE nodeno = 1")
    node_bytes = int(size[0]) if size else 1228
    fanout = (node_bytes - 4) // CELL.itemsize
    old = leaf_cells(tx, rtree)
    cells = np.empty(len(old) + len(ids), dtype=CELL)
    cells[:len(old)] = old
    if len(ids):
        minx, maxx = outward32(bounds[:, 0], bounds[:, 2])
        miny, maxy = outward32(bounds[:, 1], bounds[:, 3])
        new = cells[len(old):]
        new["id"], new["minx"], new["maxx"], new["miny"], new["maxy"] = ids, minx, maxx, miny, maxy
    boxes = np.column_stack([cells["minx"], cells["miny"], cells["maxx"], cells["maxy"]]).astype(np.float64)
    cells = cells[np.argsort(hilbert_keys(boxes), kind="stable")] if len(cells) else cells

    # levels, bottom up: each a list of cell arrays (one per node)
    levels = [[cells[k:k + fanout] for k in range(0, len(cells), fanout)] or [cells[:0]]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        up = np.empty(len(below), dtype=CELL)
        up["id"] = 0  # node numbers, filled in below
        # each node's box over its cells: the level's cells are consecutive, so one reduceat each
        flat = np.concatenate(below)
        starts = np.concatenate([[0], np.cumsum([len(c) for c in below])[:-1]])
        up["minx"] = np.minimum.reduceat(flat["minx"], starts)
        up["maxx"] = np.maximum.reduceat(flat["maxx"], starts)
        up["miny"] = np.minimum.reduceat(flat["miny"], starts)
        up["maxy"] = np.maximum.reduceat(flat["maxy"], starts)
        levels.append([up[k:k + fanout] for k in range(0, len(up), fanout)])
    depth = len(levels) - 1
    # node numbers top down: the root is 1, then each level in order
    numbers, next_no = [], 1
    for level in reversed(levels):
        numbers.append(np.arange(next_no, next_no + len(level)))
        next_no += len(level)
    numbers.reverse()  # numbers[i][j]: node number of node j of level i
    nodes, parents, rowids = [], [], []
    for i, level in enumerate(levels):
        for j, chunk in enumerate(level):
            no = int(numbers[i][j])
            if i == 0:
                rowids.append((chunk["id"].astype(np.int64), no))
            else:
                first = j * fanout  # children of this node: nodes first.. of the level below
                kids = numbers[i - 1][first:first + len(chunk)]
                chunk["id"] = kids
                parents.extend((int(k), no) for k in kids)
            head = np.array([depth if no == 1 else 0, len(chunk)], dtype=">u2").tobytes()
            blob = head + chunk.tobytes()
            nodes.append((no, blob + bytes(node_bytes - len(blob))))
    tx.execute(f"DELETE FROM {rtree}_node")
    tx.execute(f"DELETE FROM {rtree}_rowid")
    tx.execute(f"DELETE FROM {rtree}_parent")
    tx.executemany(f"INSERT INTO {rtree}_node (nodeno, data) VALUES (?, ?)", nodes)
    tx.executemany(f"INSERT INTO {rtree}_parent (nodeno, parentnode) VALUES (?, ?)", parents)
    leaf_ids = np.concatenate([r for r, _ in rowids]) if rowids else np.empty(0, np.int64)
    leaf_nos = np.repeat([no for _, no in rowids], [len(r) for r, _ in rowids]) if rowids else leaf_ids
    # the leaf of each feature, in id order, as one JSON array the database unpacks itself (a
    # million Python rows bound one by one took a second and a half): id and node number packed
    # into one integer each, ``id << 24 | node``
    order = np.argsort(leaf_ids, kind="stable")
    if len(leaf_ids) and (int(leaf_ids.max()) < (1 << 38) and int(leaf_ids.min()) >= 0
                          and int(leaf_nos.max()) < (1 << 24)):
        packed = (leaf_ids[order].astype(np.int64) << 24) | np.asarray(leaf_nos, np.int64)[order]
        tx.execute(f"INSERT INTO {rtree}_rowid (rowid, nodeno) SELECT value >> 24, value & 16777215 "
                   "FROM json_each(?)", ["[" + ",".join(map(str, packed.tolist())) + "]"])
    else:
        tx.executemany(f"INSERT INTO {rtree}_rowid (rowid, nodeno) VALUES (?, ?)",
                       zip(leaf_ids[order].tolist(), np.asarray(leaf_nos)[order].tolist()))
