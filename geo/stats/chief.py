"""What a forest chief (or one zone) has open, across every register: the zones, change polygons
by status and overdue, boards needing an update, overdue rectification items, orders awaiting the
zones' response, other registers' open records, and the patrols of a period — the chief's page.
Open work (待办) is kept apart from stock (台账: the records of registers declared ``stock``, such
as 小班 and enterprises, which are what exists, not work to do)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from geo.change.deadlines import change_deadlines, overdue
from geo.change.mapview import LIST_COLS
from geo.chief.chiefs import zones_of_person
from geo.chief.orders import status_of_zones
from geo.chief.signboards import stale as stale_mask
from geo.core.errors import ValidationError
from geo.core.timeutil import today_local
from geo.declare import registry as S
from geo.items.items import progress


def in_zone(frame: pd.DataFrame, zone_id: int, level: str) -> pd.Series:
    def hit(z):
        if z is None or (isinstance(z, float) and pd.isna(z)):
            return False
        d = json.loads(z) if isinstance(z, str) else z
        return d.get(level) == zone_id or zone_id in (d.get("others") or {}).get(level, [])
    return frame["zones"].map(hit).astype(bool) if "zones" in frame else pd.Series(False, index=frame.index)


def view(store, *, person_id: int | None = None, zone_id: int | None = None, start=None, end=None) -> dict:
    """What a chief (or a zone) has open: the zones (outlines), change polygons by status and
    overdue, occupation plots, signboards needing an update, overdue items, every other register's
    open records, and the patrols of the period. Scoped like everything else (``store`` is the
    user's). ``start``/``end``: the patrol period (dates)."""
    if person_id is not None:
        person = store.get_feature("person", int(person_id))  # NotFound / PermissionDenied as any record
        zone_ids = zones_of_person(store, int(person_id))
    elif zone_id is not None:
        person = None
        zone_ids = [int(zone_id)]
    else:
        raise ValidationError("pick a chief or a zone", "请选择林长或责任区")
    zones = store.read_layer("zone", ids=zone_ids, columns=["name", "level", "county_code", "county"]) if zone_ids else None
    out = {"person": person, "zones": zones, "open": {}, "stock": {}, "features": {}, "boards": None, "items": None,
           "orders": None, "patrols": None}
    stock_features = {}
    if zones is None or zones.empty:
        return out
    end = end or today_local()
    start = start or (end - dt.timedelta(days=90))
    bbox = tuple(zones.total_bounds)
    for key, lyr in S.LAYERS.items():
        if not (lyr.attributed and lyr.has("zones") and lyr.spatial) or key == "patrol":
            continue
        cols = [c for c in ("zones", "status", lyr.label_field, "county") if lyr.has(c)]
        frame = store.read_layer(key, bbox=bbox, columns=cols, geometry=True)
        if frame.empty:
            continue
        mask = pd.Series(False, index=frame.index)
        for zid, level in zip(zones["id"].astype(int), zones["level"]):
            mask |= in_zone(frame, zid, level)
        frame = frame[mask]
        final = set(lyr.final_statuses)
        open_ = frame[~frame["status"].isin(final)] if "status" in frame else frame
        if key == "signboard":
            full = store.read_layer("signboard", ids=open_["id"].astype(int).tolist(), geometry=True) if len(open_) else open_
            out["boards"] = full[stale_mask(store, full).to_numpy()] if len(full) else full
            out["open"]["signboard"] = {"needs_update": int(len(out["boards"]))}
            continue
        counts = open_["status"].value_counts().to_dict() if "status" in open_ else {}
        entry = {"total": int(len(open_)), "by_status": {k: int(v) for k, v in counts.items()}}
        if lyr.stock:  # what exists in the zones (在用, 在营): 台账, not 待办
            out["stock"][key] = entry
            stock_features[key] = open_
            continue
        out["open"][key] = entry
        out["features"][key] = open_
    if "change" in out["features"] and len(out["features"]["change"]):
        ch = out["features"]["change"]
        meta = store.read_layer("change", ids=ch["id"].astype(int).tolist(), columns=LIST_COLS, geometry=False)
        late = overdue(change_deadlines(meta, store.batches("change")), today_local())
        out["open"]["change"]["overdue"] = int(late.sum())
    # items linked to what lies in the zones, and overdue
    items = progress(store)
    if len(items):
        links = store.item_links()
        mine = set()
        for key, frame in {**out["features"], **stock_features}.items():
            ids = set(frame["id"].astype(int))
            part = links[(links["layer"] == key) & links["feature_id"].astype(int).isin(ids)]
            mine |= set(part["item_id"].astype(int))
        out["items"] = items[items["id"].astype(int).isin(mine) & items["overdue"]]
    out["orders"] = orders_awaiting(store, zones, today_local())
    pats = store.read_layer("patrol", bbox=bbox, columns=["actor", "actor_level", "started_at", "length_km",
                                                           "duration_h", "zones", "plausible"])
    if len(pats):
        when = pats["started_at"].astype(str)
        pats = pats[(when >= start.isoformat()) & (when < (end + dt.timedelta(days=1)).isoformat())]
        mask = pd.Series(False, index=pats.index)
        for zid, level in zip(zones["id"].astype(int), zones["level"]):
            mask |= in_zone(pats, zid, level)
        pats = pats[mask]
    out["patrols"] = pats
    out["period"] = (start, end)
    return out


def orders_awaiting(store, zones: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """The open orders (林长令) addressed to ``zones`` that a zone has not answered yet: one row per
    order and zone, with the order's deadline and whether it is past (``overdue``)."""
    cols = ["order_no", "subject", "deadline", "zone", "overdue"]
    orders = store.read_layer("order", where={"status": "open"}, geometry=False)
    mine = set(zones["id"].astype(int))
    rows = []
    for order in orders.to_dict("records"):
        for z in status_of_zones(store, order, today):
            if int(z["zone_id"]) in mine and not z.get("responded_on"):
                rows.append({"order_no": order.get("order_no"), "subject": order.get("subject"),
                             "deadline": order.get("deadline"), "zone": z.get("zone"), "overdue": bool(z["overdue"])})
    return pd.DataFrame(rows, columns=cols)
