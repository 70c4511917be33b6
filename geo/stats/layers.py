"""The summary's figures of the layers other than change polygons: restoration, occupation,
signboards, patrols (and which open polygons a patrol visited), and rectification items.

Part of :mod:`geo.stats.summary`, which re-exports these names.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geo.declare import registry as S
from geo.access.scope import unwrap
from geo.store import Store
from geo.store import visits
from geo.store.visits import VISIT_METRES  # a track passing this close to a polygon's centre visited it
from geo.core.timeutil import end_of_local_day_utc
from geo.chief.signboards import stale as board_stale
from geo.engine.asof import SINCE, pct, replay, since
from geo.stats.state import OPEN_STATUSES, PATROL_LEVELS, SIGNBOARD_LEVELS, UNMARKED_LEVEL, patrol_level
from geo.store import facts
from geo.items.items import overdue as item_overdue


# ---------------------------------------------------------------------------- other layers
def layer_rows(store: Store, layer: str, columns: list[str], cutoff: str | None,
                 counties, geometry: bool = False) -> pd.DataFrame:
    frame = store.read_layer(layer, columns=columns, geometry=geometry,
                             where={"county_code": counties} if counties else None)
    if cutoff is not None:
        frame = replay(store, layer, frame, cutoff)
    return frame


def other_layers(store: Store, as_of, cutoff, batch_ids, counties, today, batches, state,
                  change_counties=None) -> dict:
    per_county: dict[str, dict] = {}

    def put(code, **values):
        if code is None or code != code:
            return
        per_county.setdefault(str(code), {}).update(values)

    out: dict = {}
    # ---- illegal-occupation plots
    occ = layer_rows(store, "occupation", ["status", "fine_yuan", "county_code", "area_ha",
                                             "found_on"], cutoff, counties)
    occ = since(occ, SINCE["occupation"], as_of, cutoff)
    if len(occ):
        fines = pd.to_numeric(occ["fine_yuan"], errors="coerce")
        out["occupation"] = {
            "total": int(len(occ)),
            "by_stage": {s: int((occ["status"] == s).sum()) for s in S.layer("occupation").statuses},
            "delisted": int((occ["status"] == "delisted").sum()),
            "area_ha": round(float(pd.to_numeric(occ["area_ha"], errors="coerce").sum()), 2),
            "fines_yuan": round(float(fines.sum()), 2) if fines.notna().any() else None,
        }
        for code, part in occ.groupby("county_code"):
            put(code, occupation=int(len(part)),
                occupation_delisted=int((part["status"] == "delisted").sum()))
    else:
        out["occupation"] = {"total": 0, "by_stage": {}, "delisted": None, "area_ha": None,
                             "fines_yuan": None}
    # ---- restoration areas
    rest = layer_rows(store, "restoration", ["status", "project", "year", "type", "planned_mu",
                                               "completed_mu", "budget_yuan", "paid_yuan",
                                               "county_code", "county"], cutoff, counties)
    rest = since(rest, SINCE["restoration"], as_of, cutoff)
    out["restoration"] = restoration_figures(rest, (as_of or today).year)
    focal = out["restoration"].get("year")
    for row in out["restoration"].get("year_by_county", []):
        put(row["county_code"], restoration_planned_wanmu=row["planned_wanmu"],
            restoration_completed_wanmu=row["completed_wanmu"],
            restoration_paid_pct=row["paid_pct"], restoration_year=focal)
    # ---- signboards
    boards = layer_rows(store, "signboard", ["status", "level", "chief_name", "zone_id", "post_id", "content_on",
                                               "county_code", "installed_on"], cutoff, counties)
    boards = since(boards, SINCE["signboard"], as_of, cutoff)
    out["signboards"] = signboard_figures(store, boards, cutoff)
    if len(boards):
        stale = board_stale(store, boards, cutoff)
        for code, idx in boards.groupby("county_code").groups.items():
            put(code, signboards=int(len(idx)), signboards_stale=int(stale.loc[idx].sum()))
    # ---- patrols
    out["patrols"], pat_county = patrol_figures(store, as_of, cutoff, batch_ids, counties, batches,
                                                 state, change_counties)
    for code, values in pat_county.items():
        put(code, **values)
    # ---- rectification items
    out["items"] = item_figures(item_state(store, as_of), today)
    out["per_county"] = per_county
    return out


def restoration_figures(rest: pd.DataFrame, year: int) -> dict:
    empty = {"planned_wanmu": None, "completed_wanmu": None, "completed_pct": None,
             "accepted_wanmu": None, "budget_yuan": None, "paid_yuan": None, "paid_pct": None,
             "by_year": [], "by_county": [], "year": None, "year_figures": None,
             "year_by_county": []}
    if rest.empty:
        return empty
    rest = rest.copy()
    for c in ("planned_mu", "completed_mu", "budget_yuan", "paid_yuan"):
        rest[c] = pd.to_numeric(rest[c], errors="coerce").fillna(0.0)
    rest["year"] = pd.to_numeric(rest["year"], errors="coerce")

    def figures(part: pd.DataFrame) -> dict:
        planned = float(part["planned_mu"].sum())
        completed = float(part["completed_mu"].sum())
        budget = float(part["budget_yuan"].sum())
        paid = float(part["paid_yuan"].sum())
        accepted = float(part.loc[part["status"] == "accepted", "completed_mu"].sum())
        return {"planned_wanmu": round(planned / 1e4, 4), "completed_wanmu": round(completed / 1e4, 4),
                "completed_pct": pct(completed, planned), "accepted_wanmu": round(accepted / 1e4, 4),
                "budget_yuan": round(budget, 2), "paid_yuan": round(paid, 2),
                "paid_pct": pct(paid, budget), "projects": int(len(part))}

    out = figures(rest)
    out["by_year"] = [{"year": int(y), **figures(p)} for y, p in rest.groupby("year") if y == y]
    out["by_county"] = [{"county_code": c, "county": n, "year": int(y), **figures(p)}
                        for (c, n, y), p in rest.groupby(["county_code", "county", "year"])]
    years = sorted(int(y) for y in rest["year"].dropna().unique())
    focal = year if year in years else max([y for y in years if y <= year], default=None)
    out["year"] = focal
    out["year_figures"] = None
    out["year_by_county"] = []
    if focal is not None:
        part = rest[rest["year"] == focal]
        out["year_figures"] = figures(part)
        out["year_by_county"] = [{"county_code": c, "county": n, **figures(p)}
                                 for (c, n), p in part.groupby(["county_code", "county"])]
    return out


def zone_chiefs(store: Store, cutoff: str | None) -> dict:
    zones = store.read_layer("zone", columns=["chief_name"], geometry=False)
    if cutoff is not None:
        zones = replay(store, "zone", zones, cutoff)
    return dict(zip(zones["id"].astype("int64"), zones["chief_name"]))


def signboard_figures(store: Store, boards: pd.DataFrame, cutoff: str | None) -> dict:
    if boards.empty:
        return {"total": 0, "by_level": {}, "ok": None, "stale": None, "stale_recorded": None,
                "stale_unrecorded": None, "damaged": None}
    stale = board_stale(store, boards, cutoff)
    recorded = boards["status"] == "stale"
    return {
        "total": int(len(boards)),
        "by_level": {lvl: int((boards["level"] == lvl).sum()) for lvl in SIGNBOARD_LEVELS},
        "ok": int(((boards["status"] == "ok") & ~stale).sum()),
        "stale": int(stale.sum()),
        "stale_recorded": int(recorded.sum()),
        "stale_unrecorded": int((stale & ~recorded).sum()),
        "damaged": int((boards["status"] == "damaged").sum()),
    }


def patrol_figures(store: Store, as_of, cutoff, batch_ids, counties, batches, state,
                    change_counties=None):
    pats = layer_rows(store, "patrol", ["actor_level", "length_km", "duration_h", "started_at",
                                          "county_code"], cutoff, counties, geometry=True)
    pats = since(pats, SINCE["patrol"], as_of, cutoff)
    per_county: dict[str, dict] = {}
    if pats.empty:
        return ({"count": 0, "km": None, "hours": None, "by_level": {}, "open_total": None,
                 "open_visited": None, "open_visited_pct": None,
                 "visit_metres": VISIT_METRES}, per_county)
    km = pd.to_numeric(pats["length_km"], errors="coerce").fillna(0.0)
    hours = pd.to_numeric(pats["duration_h"], errors="coerce").fillna(0.0)
    by_level = {}
    level = patrol_level(pats["actor_level"])
    for lvl in (*PATROL_LEVELS, UNMARKED_LEVEL):
        sel = (level == lvl).to_numpy()
        if lvl == UNMARKED_LEVEL and not sel.any():
            continue  # (a row only when some patrol has no level)
        by_level[lvl] = {"count": int(sel.sum()), "km": round(float(km[sel].sum()), 1),
                         "hours": round(float(hours[sel].sum()), 1)}
    for code, idx in pats.groupby("county_code").groups.items():
        per_county[str(code)] = {"patrols": int(len(idx)), "patrol_km": round(float(km.loc[idx].sum()), 1)}
    open_total, visited = open_visited(store, pats, batch_ids, change_counties or counties, batches, state)
    return ({"count": int(len(pats)), "km": round(float(km.sum()), 1),
             "hours": round(float(hours.sum()), 1), "by_level": by_level,
             "open_total": open_total, "open_visited": visited,
             "open_visited_pct": pct(visited, open_total), "visit_metres": VISIT_METRES},
            per_county)


def open_visited(store: Store, pats, batch_ids, counties, batches, state):
    """How many open (not closed) polygons a patrol track passed within VISIT_METRES of, after
    the polygon's batch was issued: ``(open, visited)``. Now: counted from the pre-aggregated
    facts, where every polygon carries its ``visited`` flag (kept on every write, see
    :mod:`geo.store.visits`), so neither grows with the polygons. ``state``: the polygons
    replayed as of a date; then the visits are recomputed from the tracks of that date."""

    if state is None:
        with unwrap(store)[0].transaction(write=False) as tx:
            g = facts.read_facts(tx, batch_ids, counties)
        if g.empty:
            return 0, None
        n = pd.to_numeric(g["n"]).to_numpy(dtype="int64")
        is_open = g["status"].isin(OPEN_STATUSES).to_numpy()
        seen = pd.to_numeric(g["visited"]).to_numpy(dtype="int64") == 1
        open_total = int(n[is_open].sum())
        return open_total, (int(n[is_open & seen].sum()) if open_total else None)
    where = {}
    if batch_ids:
        where["batch_id"] = batch_ids
    if counties:
        where["county_code"] = counties
    cen = store.read_layer("change", where=where or None, columns=["batch_id"], geometry=False, centers=True)
    cen = cen[cen["id"].isin(state.loc[state["status"] != "closed", "id"])]
    open_total = int(len(cen))
    if cen.empty:
        return open_total, None
    issued = {}
    if len(batches):
        issued = {int(i): str(d)[:10] for i, d in zip(pd.to_numeric(batches["id"]), batches["issued_on"])
                  if d is not None and d == d}
    hit = visits.visited_mask(cen["cx"], cen["cy"], cen["batch_id"].tolist(), pats.geometry.values,
                              pats["started_at"].astype(str).to_numpy(), issued)
    return open_total, int(hit.sum())


# ---------------------------------------------------------------------------- items
def item_state(store: Store, as_of: dt.date | None = None) -> pd.DataFrame:
    """Rectification items (with the count of linked features and of those done), as now or as
    of the end of ``as_of``."""
    items = store.items()
    if len(items):
        items = items.copy()
        items["id"] = items["id"].astype("int64")
    if as_of is not None and len(items):
        items = replay(store, "item", items, end_of_local_day_utc(as_of))
    items["linked"] = 0
    items["linked_done"] = 0
    if as_of is None and len(items):
        # now: counted by the database (a bulletin item may link thousands of polygons)
        agg = link_counts(store)
        items["linked"] = items["id"].map(agg["linked"]).fillna(0).astype(int)
        items["linked_done"] = items["id"].map(agg["linked_done"]).fillna(0).astype(int)
        return items
    links = store.item_links()
    if len(items) and len(links):
        links = links.copy()
        links["item_id"] = links["item_id"].astype("int64")
        links["feature_id"] = links["feature_id"].astype("int64")
        done = LINK_DONE
        links["done"] = False
        links["exists"] = False
        for layer, part in links.groupby("layer"):
            state = store.read_layer(layer, ids=part["feature_id"].unique().tolist(),
                                     columns=["status"], geometry=False)
            if as_of is not None:
                state = replay(store, layer, state, end_of_local_day_utc(as_of))
            status = dict(zip(state["id"].astype("int64"), state["status"]))
            links.loc[part.index, "done"] = part["feature_id"].map(
                lambda f, ok=done.get(layer, ()): status.get(f) in ok)
            links.loc[part.index, "exists"] = part["feature_id"].map(lambda f: f in status)
        links = links[links["exists"].astype(bool)]
        agg = links.groupby("item_id").agg(linked=("feature_id", "size"), linked_done=("done", "sum"))
        items["linked"] = items["id"].map(agg["linked"]).fillna(0).astype(int)
        items["linked_done"] = items["id"].map(agg["linked_done"]).fillna(0).astype(int)
    return items


# a linked feature counts as done for its item in these statuses
LINK_DONE = {"change": ("closed",), "occupation": ("delisted", "accepted"),
             "restoration": ("accepted",), "signboard": ("ok",), "patrol": ("active",)}


def link_counts(store: Store) -> pd.DataFrame:
    """Per item: linked features that exist (``linked``) and those done (``linked_done``)."""
    rows = []
    with unwrap(store)[0].transaction(write=False) as tx:
        for layer in [r[0] for r in tx.query("SELECT DISTINCT layer FROM item_links")]:
            if layer not in S.LAYERS:
                continue
            ok = LINK_DONE.get(layer, ())
            done_sql = (f"SUM(CASE WHEN f.status IN ({', '.join('?' * len(ok))}) THEN 1 ELSE 0 END)"
                        if ok else "0")
            rows += tx.query(
                f"SELECT l.item_id, COUNT(*), {done_sql} FROM item_links l "
                f"JOIN {S.layer(layer).table} f ON f.id = l.feature_id WHERE l.layer = ? GROUP BY l.item_id",
                [*ok, layer])
    frame = pd.DataFrame(rows, columns=["item_id", "linked", "linked_done"])
    frame = frame.astype({"item_id": "int64", "linked": "int64", "linked_done": "int64"})
    return frame.groupby("item_id").sum()


def item_figures(items: pd.DataFrame, today: dt.date) -> dict:
    if items.empty or not (items["status"].astype(object) != "withdrawn").any():
        return {"total": 0, "done": None, "in_progress": None, "long_term": None, "overdue": None}
    items = items[items["status"].astype(object) != "withdrawn"]  # a withdrawn item is no longer on the list
    status = items["status"].astype(object)
    late = item_overdue(items, today)
    return {
        "total": int(len(items)),
        "done": int((status == "done").sum()),
        "in_progress": int((status == "in_progress").sum()),
        "long_term": int((status == "long_term").sum()),
        "overdue": int(late.sum()),
    }
