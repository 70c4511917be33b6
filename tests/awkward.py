"""Awkward records (issue 22): for every declared layer, one record with every optional field empty,
two with values at their extremes (zeros and far-past dates; huge numbers and far-future dates;
2,000 characters of text in both), and one at the edge of the jurisdiction — written through the
write path (:func:`geo.engine.records.add`) as the administrator; plus a rectification item with
no deadline and one 长期坚持. What the write path refuses is skipped and listed (a refusal in both
languages is not a crash).

Used by the crawler (``tests/test_crawl_browser.py``); ``python -m tests.awkward STORE`` writes
them into a copy of the demo by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import shapely

from geo.access.auth import Access
from geo.core.errors import GeoError
from geo.declare import registry as S
from geo.engine import records
from geo.items import items as I

ADMIN = Access("admin", "admin")
LONG_TEXT = "长" * 1990 + "宝石镇2网格 end"  # 2,000 characters, with the text the issue searched for
PAST, FUTURE = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
# filled in by the write path from where a record lies, never typed
PLACED = {"county_code", "county", "township", "area_ha", "area_mu", "length_km"}


@dataclass
class Outcome:
    written: list[tuple[str, str, int]] = field(default_factory=list)  # (layer, kind, id)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (layer, kind, why, in English)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (layer, kind): refused as a whole
    items: list[int] = field(default_factory=list)

    def report(self) -> str:
        lines = [f"written: {len(self.written)} records, {len(self.items)} items; "
                 f"not written: {', '.join(f'{layer} ({kind})' for layer, kind in self.skipped) or 'none'}"]
        lines += [f"refused: {layer} ({kind}): {why[:100]}" for layer, kind, why in self.refused]
        return "\n".join(lines)


def _minimal(f: S.Field, store):
    """A value for a required field when every optional one is left empty."""
    if f.ref:
        return _first_id(store, f.ref)
    if f.options:
        return f.options[0]
    return {S.TEXT: "x", S.INT: 2024 if "year" in f.name else 1, S.REAL: 1.0,
            S.DATE: dt.date.today().isoformat(), S.DATETIME: "2024-05-01T08:00:00Z", S.BOOL: False}.get(f.type)


def _extreme(f: S.Field, store, high: bool):
    if f.ref:
        return _first_id(store, f.ref)
    if f.options:
        return f.options[-1 if high else 0]
    if f.type == S.TEXT:
        return LONG_TEXT
    if f.type == S.INT:
        return (2099 if high else 1900) if "year" in f.name else (10**9 if high else 0)
    if f.type == S.REAL:
        return 1e12 if high else 0.0
    if f.type == S.DATE:
        return (FUTURE if high else PAST).isoformat()
    if f.type == S.DATETIME:
        return "2099-12-31T23:59:59Z" if high else "1900-01-01T00:00:00Z"
    if f.type == S.BOOL:
        return high
    return None


def _first_id(store, layer: str):
    frame = store.read_layer(layer, columns=["id"], geometry=False)
    return int(frame["id"].min()) if len(frame) else None


def _fields(lyr: S.Layer):
    return [f for f in lyr.fields if not f.internal and f.name not in PLACED and f.type != S.JSON]


def _county_and_edge(store):
    """A county polygon of the demo, and a vertex of the jurisdiction's outer boundary."""
    counties = store.read_layer("admin", where={"level": "county"}, columns=["code"])
    union = shapely.union_all([g.buffer(0) for g in counties.geometry])
    outer = union if union.geom_type == "Polygon" else max(union.geoms, key=lambda g: g.area)
    edge = shapely.Point(outer.exterior.coords[0])
    inside = min(counties.geometry, key=lambda g: g.distance(edge))
    return counties.geometry.iloc[0], inside, edge


def _shape(lyr: S.Layer, county, where: str, edge, edge_county):
    """A geometry of the layer's kind: in the middle of a county (small, or large for the second
    extreme), or at the jurisdiction's outer edge."""
    if not lyr.spatial:
        return None
    if where == "edge":
        p, size, within = edge, 0.002, edge_county
    else:
        p, size, within = county.representative_point(), (0.05 if where == "large" else 1e-4), county
    if lyr.geometry in ("POINT", "GEOMETRY"):
        return p
    if lyr.geometry == "LINESTRING":
        q = shapely.Point(p.x + size, p.y + size)
        if not within.covers(q):  # from the edge inwards
            c = within.representative_point()
            q = shapely.Point(p.x + (c.x - p.x) * 0.01, p.y + (c.y - p.y) * 0.01)
        return shapely.LineString([(p.x, p.y), (q.x, q.y)])
    box = shapely.box(p.x - size, p.y - size, p.x + size, p.y + size).intersection(within.buffer(0))
    if box.is_empty or box.geom_type not in ("Polygon", "MultiPolygon"):
        box = shapely.box(p.x, p.y, p.x + 1e-4, p.y + 1e-4)
    return shapely.MultiPolygon([box]) if box.geom_type == "Polygon" else box


def _add(store, lyr: S.Layer, values: dict, geom) -> tuple[int | None, list[str]]:
    """Add the record; a value the register's rules refuse (a credit code of 2,000 characters, a
    check dated in the future) is put back to its plain value, or left out, and the record tried
    again. Returns its id (None when refused as a whole) and every refusal met."""
    refusals = []
    for _ in range(8):
        try:
            return int(records.add(store, lyr.key, values, geometry=geom, actor="admin", access=ADMIN)), refusals
        except GeoError as err:
            assert err.zh and err.en, err
            refusals.append(err.en[:160])
            name = err.details.get("field")
            if name not in values:
                return None, refusals
            plain = _minimal(lyr.field(name), store) if lyr.field(name).required else None
            if plain is None or plain == values[name]:
                values = {k: v for k, v in values.items() if k != name}
            else:
                values = {**values, name: plain}
    return None, refusals


def write(store, layers=None) -> Outcome:
    """Write the awkward records into ``store`` (a copy of the demo) as the administrator."""
    out = Outcome()
    county, edge_county, edge = _county_and_edge(store)
    for key in layers or list(S.LAYERS):
        lyr = S.layer(key)
        cases = [
            ("empty", {f.name: _minimal(f, store) for f in _fields(lyr) if f.required}, "small"),
            ("extreme-low", {f.name: _extreme(f, store, False) for f in _fields(lyr)}, "small"),
            ("extreme-high", {f.name: _extreme(f, store, True) for f in _fields(lyr)}, "large"),
        ]
        if lyr.spatial:
            cases.append(("edge", {f.name: _minimal(f, store) for f in _fields(lyr) if f.required}, "edge"))
        for kind, values, where in cases:
            values = {k: v for k, v in values.items() if v is not None}
            geom = None if (lyr.place_optional and kind == "empty") else _shape(lyr, county, where, edge, edge_county)
            fid, refusals = _add(store, lyr, values, geom)
            if fid is not None:
                out.written.append((key, kind, fid))
            else:
                out.skipped.append((key, kind))
            out.refused += [(key, kind, why) for why in refusals]
    out.items.append(I.add(store, actor="admin", access=ADMIN, problem="无期限的整改事项（awkward）", deadline=None))
    out.items.append(I.add(store, actor="admin", access=ADMIN, problem=LONG_TEXT, deadline="长期坚持",
                           measures=LONG_TEXT))
    return out


if __name__ == "__main__":  # pragma: no cover - by hand
    import sys

    from geo.store import open_store

    print(write(open_store(sys.argv[1])).report())
