"""The summary figures, checked against counts made independently from the stored tables.

The oracle below reads the tables with plain SQL (sqlite3 / psycopg) or an exported file and
counts with pandas; it never calls geo.stats.summary. It re-states the rules the figures follow: a
verified polygon is one at "verified" or any later status; case filed / penalized / rectified /
accepted count illegal polygons that reached at least that status; a polygon's deadline is its
batch's verification deadline while issued or verifying, its own rectification deadline (or the
batch's) from verified to rectified; "as of" a day replays the events up to the end of that day.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.store import open_store
from geo.core.timeutil import today_local

ROOT = Path(__file__).resolve().parent.parent
CH = ["issued", "verifying", "verified", "case_filed", "penalized", "rectifying", "rectified",
      "accepted", "applied", "returned", "reviewed", "closed"]
TODAY = today_local()
BULLETIN_DAY = dt.date(2023, 12, 9)


# ------------------------------------------------------------------------------ the oracle
def _iso(v, date_only=False):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)[:10] if date_only else str(v)


TABLES = {
    "change": ("change_polygons", "id, batch_id, county_code, county, status, verdict, deadline, "
                                  "fine_yuan, area_ha, area_mu"),
    "batches": ("batches", "id, name, layer, issued_on, verify_deadline, rectify_deadline, uploaded_at, purpose"),
    "events": ("events", "id, layer, feature_id, at, action, to_status, fields"),
    "signboard": ("signboards", "id, status, level, chief_name, zone_id, county_code, installed_on, post_id, "
                                "content_on"),
    "zone": ("zones", "id, chief_name"),
    "occupation": ("occupation_plots", "id, name, status, county_code, found_on, fine_yuan"),
    "restoration": ("restoration_areas", "id, status, year, county_code, county, planned_mu, "
                                         "completed_mu, budget_yuan, paid_yuan"),
    "patrol": ("patrols", "id, actor_level, length_km, duration_h, started_at, county_code"),
    "items": ("items", "id, code, problem, category, measures, leader, unit, deadline, status"),
    "admin": ("admin_units", "id, code, name, level"),
}
DATES = {"deadline", "issued_on", "verify_deadline", "rectify_deadline", "installed_on", "found_on", "content_on"}
STAMPS = {"at", "uploaded_at", "started_at"}


def load(url: str) -> dict[str, pd.DataFrame]:
    """Every table the figures come from, read with plain SQL."""
    out = {}
    if str(url).startswith("postgres"):
        import psycopg

        con = psycopg.connect(url)
    else:
        con = sqlite3.connect(str(url))
    try:
        for key, (table, cols) in TABLES.items():
            cur = con.cursor()
            cur.execute(f"SELECT {cols} FROM {table} ORDER BY id")
            names = [d[0] for d in cur.description]
            frame = pd.DataFrame(cur.fetchall(), columns=names, dtype=object)
            for c in frame.columns:
                if c in DATES:
                    frame[c] = frame[c].map(lambda v: _iso(v, True))
                elif c in STAMPS:
                    frame[c] = frame[c].map(_iso)
            out[key] = frame
    finally:
        con.close()
    for key in ("change", "signboard", "zone", "occupation", "restoration", "patrol", "items", "batches"):
        out[key]["id"] = out[key]["id"].astype(int)
    out["events"]["feature_id"] = out["events"]["feature_id"].astype(int)
    out["events"]["id"] = out["events"]["id"].astype(int)
    return out


def _cutoff(day: dt.date) -> str:
    """UTC text of midnight after ``day`` in Beijing (UTC+8, no daylight saving)."""
    return (dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)) - dt.timedelta(hours=8)
            ).strftime("%Y-%m-%dT%H:%M:%SZ")


def replay(frame: pd.DataFrame, events: pd.DataFrame, layer: str, day: dt.date,
           fields=("verdict", "fine_yuan", "deadline")) -> pd.DataFrame:
    """``frame`` as it stood at the end of ``day``: existing features, status and fields replayed."""
    cut = _cutoff(day)
    ev = events[events["layer"] == layer].sort_values(["at", "id"])
    before = ev[ev["at"] < cut]
    last = before.groupby("feature_id")["to_status"].last()
    out = frame[frame["id"].isin(last.index)].copy()
    if "status" in out:
        out["status"] = out["id"].map(last)
    set_before: dict = {f: {} for f in fields}
    set_later: dict = {f: set() for f in fields}
    for fid, at, text, action in zip(ev["feature_id"], ev["at"], ev["fields"], ev["action"]):
        if not text or action == "import":
            continue
        data = json.loads(text)
        for f in fields:
            if f in data:
                if at < cut:
                    set_before[f][fid] = data[f]
                elif fid not in set_before[f]:
                    set_later[f].add(fid)
    for f in fields:
        if f not in out:
            continue
        out[f] = [set_before[f][i] if i in set_before[f] else (None if i in set_later[f] else v)
                  for i, v in zip(out["id"], out[f])]
    return out


def deadlines(ch: pd.DataFrame, batches: pd.DataFrame) -> pd.Series:
    b = batches.set_index("id")
    verify = ch["batch_id"].map(lambda x: b["verify_deadline"].get(int(x)) if x == x and x is not None else None)
    rectify = ch["batch_id"].map(lambda x: b["rectify_deadline"].get(int(x)) if x == x and x is not None else None)
    due = []
    for st, own, v, r in zip(ch["status"], ch["deadline"], verify, rectify):
        if st in ("issued", "verifying"):
            due.append(v)
        elif st in ("verified", "case_filed", "penalized", "rectifying", "rectified", "returned"):
            due.append(own if isinstance(own, str) and own else r)
        else:
            due.append(None)
    return pd.Series(due, index=ch.index, dtype=object)


def change_figures(ch: pd.DataFrame, batches: pd.DataFrame, today: dt.date) -> dict:
    rank = ch["status"].map(CH.index)
    illegal = ch["verdict"] == "illegal"
    fines = pd.to_numeric(ch["fine_yuan"], errors="coerce")
    due = deadlines(ch, batches)
    late = due.map(lambda d: isinstance(d, str) and d < today.isoformat())
    total = len(ch)
    closed = int((ch["status"] == "closed").sum())
    return {
        "total": total,
        "verified": int((rank >= 2).sum()),
        "illegal": int(illegal.sum()),
        "case_filed": int((illegal & (rank >= 3)).sum()),
        "penalized": int((illegal & (rank >= 4)).sum()),
        "rectified": int((illegal & (rank >= 6)).sum()),
        "accepted": int((illegal & (rank >= 7)).sum()),
        "closed": closed,
        "closed_pct": round(100 * closed / total, 1) if total else None,
        "illegal_closed": int((illegal & (ch["status"] == "closed")).sum()),
        "overdue": int(late.sum()),
        "fines_yuan": round(float(fines.sum()), 2),
        "illegal_area_ha": round(float(pd.to_numeric(ch.loc[illegal, "area_ha"]).sum()), 4),
        # 亩 from the 公顷 total (1 公顷 = 15 亩), not summed from each polygon's rounded 亩
        "illegal_area_mu": round(round(float(pd.to_numeric(ch.loc[illegal, "area_ha"]).sum()), 4) * 15, 2),
    }


def expected(data: dict, today: dt.date, as_of: dt.date | None = None, batch_ids=None,
             counties=None) -> dict:
    """Change figures for the whole selection, per batch and per county: only polygons of official
    batches inside the jurisdiction (the store's counties) count."""
    ch = official_polygons(data)
    if as_of is not None:
        ch = replay(ch, data["events"], "change", as_of)
    if batch_ids:
        ch = ch[ch["batch_id"].astype(int).isin(batch_ids)]
    if counties:
        ch = ch[ch["county_code"].isin(counties)]
    out = {"all": change_figures(ch, data["batches"], today), "batch": {}, "county": {}}
    for b, part in ch.groupby(ch["batch_id"].astype(int)):
        out["batch"][int(b)] = change_figures(part, data["batches"], today)
    for c, part in ch.groupby("county_code"):
        out["county"][c] = change_figures(part, data["batches"], today)
    return out


def official_polygons(data: dict) -> pd.DataFrame:
    """The change polygons that count: in a batch whose purpose is official, in one of the counties
    of the admin layer."""
    ch, b = data["change"], data["batches"]
    official = set(b.loc[b["purpose"] == "official", "id"].astype(int))
    counties = set(data["admin"].loc[data["admin"]["level"] == "county", "code"])
    keep = ch["batch_id"].map(lambda x: x is not None and x == x and int(x) in official)
    keep &= ch["county_code"].isin(counties) if counties else ch["county_code"].notna()
    return ch[keep.astype(bool)]


def pick(fig: dict, keys) -> dict:
    return {k: fig[k] for k in keys}


KEYS = ["total", "verified", "illegal", "case_filed", "penalized", "rectified", "accepted", "closed",
        "closed_pct", "illegal_closed", "overdue", "fines_yuan", "illegal_area_ha", "illegal_area_mu"]


# ------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def demo(demo_master):
    return open_store(str(demo_master))


@pytest.fixture(scope="module")
def tables(demo_master):
    return load(str(demo_master))


# ------------------------------------------------------------------------------ change figures
def test_change_figures_match_an_independent_count(demo, tables):
    from geo.stats.summary import summary

    fig = summary(demo, today=TODAY, use_cache=False)
    exp = expected(tables, TODAY)
    assert pick(fig["change"], KEYS) == exp["all"]
    assert fig["change"]["verified_pct"] == round(100 * exp["all"]["verified"] / exp["all"]["total"], 1)
    assert fig["change"]["fines_wan"] == round(exp["all"]["fines_yuan"] / 1e4, 6)
    assert {b["batch_id"]: pick(b, KEYS) for b in fig["by_batch"]} == exp["batch"]
    assert {r["county_code"]: pick(r, KEYS) for r in fig["by_county"] if r["total"]} == exp["county"]
    # the ranking is by closure rate, best first
    rates = [r["closed_pct"] for r in fig["by_county"]]
    assert rates == sorted(rates, reverse=True) and [r["rank"] for r in fig["by_county"]] == list(range(1, 7))
    # the funnel and the status breakdown add up
    assert sum(fig["change"]["by_status"].values()) == exp["all"]["total"]
    assert fig["change"]["funnel"]["illegal_closed"] == exp["all"]["illegal_closed"]
    assert sum(fig["change"]["ageing"].values()) == exp["all"]["overdue"]


def test_filters_by_batch_and_county(demo, tables):
    from geo.stats.summary import summary

    batches = tables["batches"].set_index("name")["id"]
    picked = [int(batches["2022年第2期草原变化图斑"]), int(batches["2023年第1期草原变化图斑"])]
    fig = summary(demo, batch_ids=picked, counties=["152224", "152223"], today=TODAY, use_cache=False)
    exp = expected(tables, TODAY, batch_ids=picked, counties=["152224", "152223"])
    assert pick(fig["change"], KEYS) == exp["all"]
    assert [r["county_code"] for r in fig["by_county"]] == sorted(exp["county"], key=lambda c: -exp["county"][c]["closed_pct"])
    assert {b["batch_id"] for b in fig["by_batch"]} == set(picked)
    # other layers follow the county filter
    boards = tables["signboard"]
    assert fig["signboards"]["total"] == int(boards["county_code"].isin(["152224", "152223"]).sum())


def test_figures_equal_counts_from_an_export(demo_path, tmp_path):
    """The same figures from `python -m geo export` read back with pyogrio."""
    import pyogrio

    out = tmp_path / "change.gpkg"
    subprocess.run([sys.executable, "-m", "geo", "export", "--layer", "change", "--format", "gpkg",
                    "--out", str(out), "--db", str(demo_path)], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    frame = pyogrio.read_dataframe(out, read_geometry=False)
    stored = load(str(demo_path))
    data = {"change": frame[["id", "batch_id", "county_code", "county", "status", "verdict", "deadline",
                             "fine_yuan", "area_ha", "area_mu"]].astype(object).where(frame.notna(), None),
            "batches": stored["batches"], "admin": stored["admin"]}
    data["change"]["deadline"] = data["change"]["deadline"].map(lambda v: _iso(v, True))
    from geo.stats.summary import summary

    fig = summary(open_store(str(demo_path)), today=TODAY, use_cache=False)
    assert pick(fig["change"], KEYS) == change_figures(official_polygons(data), data["batches"], TODAY)


def test_stats_cli_prints_the_same_json(demo_path):
    proc = subprocess.run([sys.executable, "-m", "geo", "stats", "--json", "--as-of", "2023-12-09",
                           "--db", str(demo_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=True)
    data = json.loads(proc.stdout)
    exp = expected(load(str(demo_path)), BULLETIN_DAY, as_of=BULLETIN_DAY)
    assert pick(data["change"], KEYS) == exp["all"]
    assert data["as_of"] == "2023-12-09" and data["historic"] is True


# ------------------------------------------------------------------------------ other layers
def test_other_layers_match_an_independent_count(demo, tables):
    from geo.stats.summary import summary

    fig = summary(demo, today=TODAY, use_cache=False)
    boards = tables["signboard"]
    # a board is stale when recorded so, or when its post changed hands (an appointment event)
    # after the board's content was last updated
    ev = tables["events"]
    moves = ev[(ev["layer"] == "post") & ev["action"].isin(["appoint", "vacate"])]
    changed = {}
    for fid, fields in zip(moves["feature_id"], moves["fields"]):
        since = json.loads(fields).get("holder_since") or ""
        changed[int(fid)] = max(changed.get(int(fid), ""), since)
    shown = boards["content_on"].where(boards["content_on"].notna(), boards["installed_on"]).astype(str)
    moved = [p is not None and p == p and changed.get(int(p), "") > d for p, d in zip(boards["post_id"], shown)]
    stale = (boards["status"] == "stale") | pd.Series(moved, index=boards.index)
    s = fig["signboards"]
    assert s["total"] == 942
    assert s["by_level"] == boards["level"].value_counts().to_dict()
    assert (s["stale"], s["stale_recorded"], s["damaged"]) == (
        int(stale.sum()), int((boards["status"] == "stale").sum()), int((boards["status"] == "damaged").sum()))

    occ = tables["occupation"]
    assert fig["occupation"]["total"] == len(occ)
    assert fig["occupation"]["delisted"] == int((occ["status"] == "delisted").sum())
    assert {k: v for k, v in fig["occupation"]["by_stage"].items() if v} == occ["status"].value_counts().to_dict()

    rest = tables["restoration"].copy()
    year = TODAY.year
    part = rest[rest["year"].astype(int) == year]
    y = fig["restoration"]["year_figures"]
    assert fig["restoration"]["year"] == year
    assert y["planned_wanmu"] == round(part["planned_mu"].astype(float).sum() / 1e4, 4)
    assert y["completed_wanmu"] == round(part["completed_mu"].astype(float).sum() / 1e4, 4)
    assert y["paid_pct"] == round(100 * part["paid_yuan"].astype(float).sum() / part["budget_yuan"].astype(float).sum(), 1)

    pats = tables["patrol"]
    p = fig["patrols"]
    assert p["count"] == len(pats)
    assert p["km"] == pytest.approx(pats["length_km"].astype(float).sum(), abs=0.051)
    for lvl, part in pats.groupby("actor_level"):
        got = p["by_level"][lvl]  # sums rounded to 0.1: summation order may move the last digit
        assert got["count"] == len(part)
        assert got["km"] == pytest.approx(part["length_km"].astype(float).sum(), abs=0.051)
        assert got["hours"] == pytest.approx(part["duration_h"].astype(float).sum(), abs=0.051)

    items = tables["items"]
    it = fig["items"]
    assert (it["done"], it["in_progress"], it["long_term"]) == tuple(
        int((items["status"] == s_).sum()) for s_ in ("done", "in_progress", "long_term"))
    assert it["overdue"] == int(((items["status"] == "in_progress") & (items["deadline"] < TODAY.isoformat())).sum())


def test_share_of_open_polygons_visited_by_patrols(demo, demo_master):
    """Open polygons whose bounding-box centre a patrol track passed within 200 m of, after
    the batch was issued — measured here in UTM metres on the real geometries."""
    import pyproj
    import shapely

    from geo.stats.summary import summary

    change = demo.read_layer("change", columns=["status", "batch_id"])
    pats = demo.read_layer("patrol", columns=["started_at"])
    counted = official_polygons(load(str(demo_master)))["id"]  # official batches, inside the jurisdiction
    batches = load(str(demo_master))["batches"].set_index("id")
    open_ = change[(change["status"] != "closed") & change["id"].isin(counted)]
    b = shapely.bounds(open_.geometry.values)
    to_utm = pyproj.Transformer.from_crs(4490, 32651, always_xy=True)
    cx, cy = to_utm.transform((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2)
    pts = shapely.points(cx, cy)
    lines = shapely.transform(pats.geometry.values, lambda c: np.column_stack(to_utm.transform(c[:, 0], c[:, 1])))
    issued = open_["batch_id"].map(lambda x: batches["issued_on"].get(int(x))).to_numpy()
    visited = 0
    for i, pt in enumerate(pts):
        near = shapely.dwithin(lines, pt, 200.0)
        if near.any() and (pats["started_at"].str.slice(0, 10).to_numpy()[near] >= issued[i]).any():
            visited += 1
    fig = summary(demo, today=TODAY, use_cache=False)["patrols"]
    assert fig["open_total"] == len(open_)
    assert abs(fig["open_visited"] - visited) <= 1, (fig["open_visited"], visited)
    assert visited > 0


# ------------------------------------------------------------------------------ as of a date
@pytest.mark.parametrize("day", [dt.date(2022, 12, 31), BULLETIN_DAY, dt.date(2024, 6, 30)])
def test_as_of_a_date_replays_the_history(demo, tables, day):
    from geo.stats.summary import summary

    fig = summary(demo, as_of=day, use_cache=False)
    exp = expected(tables, day, as_of=day)
    assert pick(fig["change"], KEYS) == exp["all"]
    assert {b["batch_id"]: pick(b, KEYS) for b in fig["by_batch"]} == exp["batch"]
    assert fig["as_of"] == day.isoformat() and fig["historic"]
    items = replay(tables["items"], tables["events"], "item", day, fields=())
    assert fig["items"]["total"] == len(items)
    assert fig["items"]["done"] == (int((items["status"] == "done").sum()) if len(items) else None)
    # the trend stops at the day
    assert fig["trend"] and fig["trend"][-1]["week"] <= day.isoformat()


def test_past_figures_stay_the_same_when_work_goes_on(demo_store):
    """A bulletin dated 2023-12-09 regenerated later says the same thing; today's figures move."""
    from geo.engine import workflow as W
    from geo.stats.summary import summary

    before_past = summary(demo_store, as_of=BULLETIN_DAY)
    before_now = summary(demo_store)
    t0 = time.perf_counter()
    assert summary(demo_store) is before_now  # nothing changed: served from the cache
    assert time.perf_counter() - t0 < 0.1
    fid = int(demo_store.read_layer("change", where={"status": "issued"}, columns=[], geometry=False)["id"].iloc[0])
    W.transition(demo_store, "change", fid, "verifying", actor="核查员")
    after_past = summary(demo_store, as_of=BULLETIN_DAY)
    after_now = summary(demo_store)
    assert after_past == before_past
    assert after_now["change"]["by_status"]["verifying"] == before_now["change"]["by_status"]["verifying"] + 1


@pytest.mark.parametrize("scope", [{}, {"counties": ["152224"]}, {"as_of": BULLETIN_DAY}])
def test_headline_figures_first_then_the_extras(demo_store, scope):
    """The summary screen asks for the figures without the trend, registers and closure review
    first; the full figures asked for next are those of one fresh count, and the headline part is
    not counted again."""
    from geo.stats import summary as stats

    fresh = stats.summary(demo_store, use_cache=False, **scope)
    core = stats.summary(demo_store, extras=False, **scope)
    assert not {"trend", "registers", "review"} & set(core)
    assert {k: v for k, v in fresh.items() if k not in ("trend", "registers", "review")} == core
    full = stats.summary(demo_store, **scope)
    assert full == fresh and full["trend"] and full["registers"] and full["review"]
    assert all(full[k] is core[k] for k in core)  # the headline part reused, not recounted
    assert stats.summary(demo_store, extras=False, **scope) is full  # the full figures serve both
    # a write makes both counts fresh
    fid = int(demo_store.read_layer("change", where={"status": "issued"}, columns=[], geometry=False)["id"].iloc[0])
    from geo.engine import workflow as W

    W.transition(demo_store, "change", fid, "verifying", actor="核查员")
    assert stats.summary(demo_store, extras=False, **scope) is not full


# ------------------------------------------------------------------------------ links
CHANGE_LINKS = ["total", "verified", "illegal", "case_filed", "penalized", "rectified", "accepted",
                "closed", "illegal_closed", "overdue", "open"]


@pytest.mark.parametrize("filters", [{}, {"batch_ids": "pick", "counties": ["152224", "152221"]}])
def test_every_figure_links_to_exactly_the_polygons_it_counts(demo, filters):
    """The map page's own filter (geo.change.mapview) applied to each link finds as many polygons as
    the figure says."""
    from geo.change import mapview as mv
    from geo.stats.summary import link, summary

    if filters.get("batch_ids") == "pick":  # the batch with most polygons in those counties
        frame = demo.read_layer("change", where={"county_code": filters["counties"]}, columns=["batch_id"],
                                geometry=False)
        filters = {**filters, "batch_ids": [int(frame["batch_id"].value_counts().index[0])]}
    from geo.engine.official import link_filters

    fig = summary(demo, today=TODAY, use_cache=False, **filters)
    c = fig["change"]
    filters = link_filters(fig)  # narrowed to what counts (official batches, the jurisdiction)
    for key in CHANGE_LINKS:
        page, query = link(f"change.{key}", **filters)
        assert page == "map"
        found = mv.candidates(demo, mv.Filters.from_query(query), today=TODAY)
        assert len(found) == c[key], (key, query)
    for status, n in c["by_status"].items():
        page, query = link(f"change.status.{status}", **filters)
        assert len(mv.candidates(demo, mv.Filters.from_query(query), today=TODAY)) == n
    # fines and illegal area are summed over exactly the linked polygons
    found = mv.candidates(demo, mv.Filters.from_query(link("change.fines", **filters)[1]), today=TODAY)
    assert round(float(found["fine_yuan"].fillna(0).sum()), 2) == c["fines_yuan"]
    found = mv.candidates(demo, mv.Filters.from_query(link("change.illegal_area", **filters)[1]), today=TODAY)
    assert round(float(found["area_ha"].sum()), 4) == c["illegal_area_ha"]


def test_links_of_the_other_layers():
    from geo.stats.summary import link, url

    assert link("signboards.stale") == ("field", {"layer": "signboard", "status": "stale"})
    assert link("occupation.delisted") == ("field", {"layer": "occupation", "status": "delisted"})
    assert link("restoration.total") == ("field", {"layer": "restoration"})
    assert link("patrols.level.ranger") == ("field", {"layer": "patrol", "level": "ranger"})
    assert link("items.done") == ("items", {"status": "done"})
    assert url(*link("change.penalized", batch_ids=[1, 2], counties=["152224"])) == \
        "/?batch=1,2&county=152224&verdict=illegal&status=penalized&stage=reached"
    with pytest.raises(KeyError):
        link("change.nonsense")


# ------------------------------------------------------------------------------ missing data
def test_missing_data_is_none_not_zero(tmp_path):
    from geo.stats.summary import summary
    from tests.helpers import add_batch, insert, polygons

    store = open_store(str(tmp_path / "empty.gpkg"), create=True)
    fig = summary(store, use_cache=False)
    c = fig["change"]
    assert c["total"] == 0
    assert all(c[k] is None for k in ("verified", "verified_pct", "illegal", "closed_pct", "overdue",
                                       "fines_wan", "illegal_area_ha"))
    assert fig["patrols"]["km"] is None and fig["patrols"]["open_visited_pct"] is None
    assert fig["signboards"]["stale"] is None and fig["items"]["done"] is None
    assert fig["restoration"]["paid_pct"] is None and fig["trend"] == []
    # polygons in a batch without deadlines: counts are known, overdue is not
    bid = add_batch(store, verify=None, rectify=None)
    insert(store, polygons(3), batch_id=bid)
    c = summary(store, use_cache=False)["change"]
    assert (c["total"], c["verified"], c["closed"], c["closed_pct"]) == (3, 0, 0, 0.0)
    assert c["overdue"] is None and c["overdue_unknown"] == 3
    assert c["fines_yuan"] == 0.0  # nothing penalized: no fines is a true zero


# ------------------------------------------------------------------------------ PostGIS
@pytest.fixture
def small_demo(pg_url):
    """A small demo store on PostGIS (the GeoPackage backend is what every other test uses)."""
    from geo.demo import build as D

    D.build(pg_url, size=160, log=lambda *a: None)
    return pg_url


def test_postgis_gives_the_independent_figures(small_demo):
    from geo.stats.summary import summary

    store = open_store(small_demo)
    data = load(small_demo)
    fig = summary(store, today=TODAY, use_cache=False)
    assert pick(fig["change"], KEYS) == expected(data, TODAY)["all"]
    past = summary(store, as_of=BULLETIN_DAY, use_cache=False)
    assert pick(past["change"], KEYS) == expected(data, BULLETIN_DAY, as_of=BULLETIN_DAY)["all"]
    ev = data["events"]
    done = ev[(ev["layer"] == "change") & (ev["action"] == "transition")]
    assert sum(w["verified"] for w in fig["trend"]) == int((done["to_status"] == "verified").sum())
    assert sum(w["closed"] for w in fig["trend"]) == int((done["to_status"] == "closed").sum())
    assert fig["signboards"]["total"] == len(data["signboard"])


def test_a_scoped_store_never_counts_beyond_its_counties(demo, tables):
    from geo.access.auth import scoped
    from geo.stats.summary import summary

    inspector = {"name": "tuquan_inspector", "role": "inspector", "counties": ["152224"], "disabled": False}
    store = scoped(demo, inspector)
    exp = expected(tables, TODAY, counties=["152224"])["all"]
    for counties in (None, ["152224", "152223"]):
        fig = summary(store, counties=counties, today=TODAY, use_cache=False)
        assert pick(fig["change"], KEYS) == exp
        assert [r["county_code"] for r in fig["by_county"]] == ["152224"]
    fig = summary(store, counties=["152223"], today=TODAY, use_cache=False)
    assert fig["change"]["total"] == 0 and fig["by_county"] == []


def test_item_link_counts_now_agree_with_the_replayed_history(demo):
    """The items' linked / done counts come from the database now and from the replayed
    history as of a date; on the day after today both must say the same."""
    import datetime as dt

    from geo.stats.summary import item_state

    now = item_state(demo).set_index("id")[["linked", "linked_done"]]
    replayed = item_state(demo, as_of=dt.date.today() + dt.timedelta(days=1)).set_index("id")[["linked", "linked_done"]]
    assert now.to_dict() == replayed.to_dict()
    links = demo.item_links()
    assert int(now["linked"].sum()) == len(links) > 0  # every demo link points at a feature that exists
    assert 0 < int(now["linked_done"].sum()) < len(links)
