"""No record a bureau can enter breaks a figure or a document (Hypothesis).

For every layer, records are generated from its declaration: every optional field present or
missing, values at their edges (zero and huge numbers, far-past and far-future dates, 2,000
characters of text, Markdown and formula-like text, every value of a value list), places inside
a county, on its edge, tiny and large; and rectification items with no deadline, a dated one or
长期坚持. They are added through the same write path as the pages (records refused by a register's
own rule are skipped: a refusal is not a crash). On the store holding them, the leaders' screen's
figures now and as of a past day, every register's figures, the bulletin, the ledger, the plan
and the weekly brief never raise.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.access.auth import Access
from geo.core.config import load_settings
from geo.core.errors import GeoError
from geo.declare import registry as S
from geo.engine import records
from geo.items import items as I
from geo.report import write_report
from geo.report.brief import brief, brief_docx
from geo.stats.summary import summary
from geo.store import open_store

ADMIN = Access("admin", "admin")
# layers whose records arrive by batch upload, not one by one
BATCH_ONLY = {"change", "admin", "patrol", "zone"}
LAYERS = [k for k in S.LAYERS if k not in BATCH_ONLY]

TEXTS = st.one_of(
    st.text(max_size=30),
    st.just("x" * 2000),
    st.sampled_from(["![x](/signin?x=1)", ":red[红]", "=HYPERLINK(\"http://x/\",\"点\")", "<b>粗</b>", "{{ 7*7 }}",
                     "宝石镇2网格", "长期坚持", "", " ", "None", "nan"]),
)
NUMBERS = st.one_of(st.just(0), st.just(0.0), st.floats(min_value=0, max_value=1e12, allow_nan=False),
                    st.integers(min_value=0, max_value=10**9))
DATES = st.one_of(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
                  st.sampled_from([dt.date(1970, 1, 1), dt.date(2099, 12, 31)]))


def value_of(f):
    """A strategy for one field's value as a form would give it."""
    if f.options:
        return st.sampled_from(list(f.options))
    if f.type == S.TEXT:
        return TEXTS
    if f.type == S.INT:
        return st.integers(min_value=0, max_value=10**9) if f.name != "year" else st.integers(1990, 2100)
    if f.type == S.REAL:
        return NUMBERS
    if f.type == S.DATE:
        return DATES.map(lambda d: d.isoformat())
    if f.type == S.DATETIME:
        return st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2100, 1, 1)).map(
            lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if f.type == S.BOOL:
        return st.booleans()
    return st.none()


def fields_of(layer: str):
    lyr = S.layer(layer)
    editable = [f for f in lyr.fields if not f.internal and not f.ref and f.name not in (
        "county_code", "county", "township", "area_ha", "area_mu", "length_km")]
    required = {f.name: value_of(f) for f in editable if f.required}
    optional = {f.name: value_of(f) for f in editable if not f.required}
    return st.fixed_dictionaries(required, optional=optional)


@st.composite
def places(draw, layer: str, counties):
    """A geometry of the layer's kind somewhere in a county: its middle, its edge, tiny or large."""
    lyr = S.layer(layer)
    if not lyr.spatial:
        return None
    county = counties[draw(st.integers(0, len(counties) - 1))]
    where = draw(st.sampled_from(["inside", "edge"]))
    p = county.representative_point() if where == "inside" else shapely.Point(county.exterior.coords[0]) \
        if county.geom_type == "Polygon" else shapely.Point(county.geoms[0].exterior.coords[0])
    size = draw(st.sampled_from([1e-6, 1e-3, 0.05]))
    if lyr.geometry == "LINESTRING":
        return shapely.LineString([(p.x, p.y), (p.x + size, p.y + size)])
    if lyr.geometry == "MULTIPOLYGON":
        box = shapely.box(p.x - size, p.y - size, p.x + size, p.y + size).intersection(county)
        if box.is_empty or box.geom_type not in ("Polygon", "MultiPolygon"):
            box = shapely.box(p.x, p.y, p.x + 1e-5, p.y + 1e-5)
        return shapely.MultiPolygon([box]) if box.geom_type == "Polygon" else box
    return p


@pytest.fixture(scope="module")
def base(demo_master, tmp_path_factory):
    store = open_store(str(demo_master))
    admin = store.read_layer("admin", where={"level": "county"}, columns=["code"])
    return demo_master, [g.buffer(0) for g in admin.geometry], tmp_path_factory.mktemp("props")


@st.composite
def scenario(draw, counties):
    out = []
    for layer in LAYERS:
        for _ in range(draw(st.integers(0, 2))):
            out.append((layer, draw(fields_of(layer)), draw(places(layer, counties))))
    items = draw(st.lists(st.tuples(TEXTS.filter(lambda t: t.strip()), st.one_of(
        st.none(), DATES.map(lambda d: d.isoformat()), st.just("长期坚持"))), max_size=3))
    as_of = draw(DATES.filter(lambda d: dt.date(2000, 1, 1) <= d <= dt.date(2030, 1, 1)))
    return out, items, as_of


def test_generated_records_break_no_figure_and_no_document(base):
    master, counties, folder = base
    runs = {"n": 0}

    @settings(max_examples=int(__import__("os").environ.get("FOREST_PROPERTY_EXAMPLES", "6")), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None)
    @given(scenario(counties))
    def check(case):
        rows, items, as_of = case
        runs["n"] += 1
        path = folder / f"run{runs['n']}.gpkg"
        open_store(str(master)).backup(path)
        store = open_store(str(path))
        stored = 0
        for layer, values, geom in rows:
            try:
                records.add(store, layer, values, geometry=geom, actor="admin", access=ADMIN)
                stored += 1
            except GeoError as err:  # refused by a rule, in both languages: fine, and nothing half-written
                assert err.zh and err.en
        for problem, deadline in items:
            I.add(store, actor="admin", access=ADMIN, problem=problem, deadline=deadline)
        cfg = load_settings()
        now = summary(store, use_cache=False)
        json.dumps(now, default=str)  # the figures are plain data
        past = summary(store, as_of=as_of, use_cache=False)
        assert set(past) == set(now)
        for fmt in ("docx", "xlsx", "plan-docx"):
            write_report(store, fmt, folder / f"run{runs['n']}.{fmt}", settings=cfg)
        write_report(store, "docx", folder / f"run{runs['n']}-past.docx", settings=cfg, as_of=as_of)
        assert brief_docx(brief(store, settings=cfg), cfg)
        path.unlink()

    check()
    assert runs["n"] >= 1
