"""The county gate: a store as one user may use it — closed by default.

:class:`ScopedStore` is what pages and account-bound CLI calls get instead of the store. It
exposes only what it has decided about: every public name of :class:`geo.store.Store` is either

* **narrowed** here to the user's counties (reads of features, history, evidence, batches, …),
* **safe** — passed through, with the reason written down in :data:`SAFE`, or
* **refused** — writes and raw transactions. Those go through the domain functions
  (:mod:`geo.engine.workflow`, :mod:`geo.items.items`, :mod:`geo.ingest`, :mod:`geo.access.auth`, …), which take the
  scoped store, check the user's :class:`~geo.access.auth.Access` themselves and only then use the store
  underneath (:func:`unwrap`).

Anything not listed is refused, so a method added to the store later cannot leak: a test
enumerates the store's public names and fails on any that is in none of the tables.

Records of some registers belong to several counties and carry no ``county_code``: a 林长令 is
addressed to zones of several counties. Their rules say which counties each record belongs to
(the ``record_counties`` hook, :func:`shared_counties`); a user bound to counties sees such a record
when it belongs to one of theirs (lists, counts, the record, its history and events).
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from geo.declare import registry as S
from geo.declare.registry import rules_of
from geo.core.errors import NotFoundError, PermissionDenied
from geo.core.types import BBox

# layers whose features belong to a county (``county_code``); the admin boundaries do not
SCOPED_LAYERS = frozenset(k for k, lyr in S.LAYERS.items() if "county_code" in lyr.names and k != "admin")

SAFE: dict[str, str] = {
    "backend": "a constant naming the database engine",
    "url": "where the store is; used as a cache key on the server, never sent to the browser",
    "exists": "whether the store has been created; holds no records",
    "meta": "store-wide settings (schema version, demo flag, report settings); no county records",
    "field_profile": "remembered column mappings per data source; no feature values",
}

NARROWED: dict[str, str] = {
    "read_layer": "features of county layers limited to the user's counties; several-county records "
                  "(orders) to those concerning them",
    "count": "counts only the user's counties (and several-county records concerning them)",
    "grid_counts": "map cell counts only of the user's counties",
    "get_feature": "refuses a feature of another county (a several-county record concerning none of theirs)",
    "extent": "the extent of what the user may see",
    "history": "refuses the history of a feature of another county",
    "events": "only events of features in the user's counties, and of several-county records concerning "
              "them (no account or system events)",
    "get_attachment": "only evidence attached to a feature the user may see",
    "batches": "only batches with features in the user's counties",
    "batch": "refuses a batch with nothing in the user's counties",
    "table": "only the tables listed in SCOPED_TABLES, each narrowed",
    "items": "rectification items are the league's published problem list: all of them",
    "item_links": "only links to features the user may see",
    "users": "administrators: every account; others: accounts sharing one of their counties",
    "user": "administrators: any account; others: their own and those sharing a county",
}

REFUSED: dict[str, str] = {
    **{name: "a write or a raw transaction: use geo.engine.workflow / geo.items.items / geo.ingest / geo.access.auth, which check access"
       for name in (
           "transaction", "init", "migrate", "rebuild_cells", "settle_cells", "set_meta", "insert_features", "add_events",
           "update_feature", "add_batch", "put_attachment", "add_item", "link_item", "update_item",
           "put_user", "update_user", "save_field_profile", "backup", "bulk_load",
       )},
    "attachment_refs": "which features cite a file, across counties: used by get_attachment only",
    "batch_ids_in": "the gate's own lookup behind batches()",
    "conflict": "builds the conflict refusal inside a write transaction (geo.engine.write)",
}

# records every signed-in user may read with their history: the league's published problem list
PUBLIC_LAYERS = frozenset({"item"})

# tables ``table()`` answers for a scoped user, and how
SCOPED_TABLES = ("batches", "items", "item_links", "field_profiles", "users")


def shared_counties(layer: str):
    """The ``record_counties(store, frame) -> [set of county codes]`` hook of a layer whose records
    belong to several counties (and have no ``county_code``), or None."""
    lyr = S.LAYERS.get(layer)
    if lyr is None or "county_code" in lyr.names:
        return None
    return getattr(rules_of(lyr), "record_counties", None) if lyr.rules else None


def in_counties(store, layer: str, frame: pd.DataFrame, counties) -> pd.Series:
    """Which rows of ``frame`` (records of ``layer``) belong to one of ``counties``: by their
    ``county_code``, or by the layer's ``record_counties`` hook. All of them when the layer has
    neither (league-wide records)."""
    wanted = {str(c) for c in counties}
    if "county_code" in S.layer(layer).names and "county_code" in frame:
        return frame["county_code"].astype(object).isin(wanted)
    hook = shared_counties(layer)
    if hook is None or frame.empty:
        return pd.Series(True, index=frame.index)
    return pd.Series([bool(set(c) & wanted) for c in hook(store, frame)], index=frame.index, dtype=bool)


def _json_list(value) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    if not value:
        return []
    import json

    try:
        out = json.loads(value)
    except (TypeError, ValueError):
        return []
    return out if isinstance(out, list) else []


def unwrap(store, access=None):
    """``(store underneath, access or None)``: for domain functions that check ``access``
    themselves before they read with SQL or write. ``access`` given wins over the scoped store's
    own. Pages never call this."""
    if isinstance(store, ScopedStore):
        return store._store, access if access is not None else store.access
    return store, access


class ScopedStore:
    """``store`` as ``access`` may use it. See the module docstring."""

    def __init__(self, store, access):
        object.__setattr__(self, "_store", store)
        object.__setattr__(self, "access", access)

    def __setattr__(self, name, value):
        raise AttributeError("a scoped store is read-only")

    def __getattr__(self, name):
        if name in SAFE:
            return getattr(self._store, name)
        if name in REFUSED:
            raise PermissionDenied(
                f"'{name}' is not available through a user's store ({REFUSED[name]})",
                "该操作须通过系统流程办理（已记录操作人并检查权限）",
            )
        raise PermissionDenied(f"'{name}' is not available through a user's store (not reviewed for county scope)",
                               "该数据未开放给当前账号")

    def __dir__(self):
        return sorted(set(SAFE) | set(NARROWED) | {"access"})

    # ------------------------------------------------------------------ helpers
    @property
    def _counties(self):
        return self.access.counties

    def _where(self, layer: str, where: dict | None):
        if layer not in SCOPED_LAYERS:
            return dict(where or {})
        return self.access.restrict_where(where, layer)

    def _check(self, layer: str, feat: dict) -> dict:
        if layer in SCOPED_LAYERS:
            self.access.check_feature(layer, feat)
        elif self._counties is not None and shared_counties(layer) is not None:
            if not in_counties(self._store, layer, pd.DataFrame([feat]), self._counties).all():
                raise PermissionDenied(
                    f"{self.access.user} may not see {layer} #{feat.get('id')}: it concerns none of "
                    f"{', '.join(sorted(self._counties))}",
                    f"您（{self.access.user}）无权查看该记录：它不涉及您负责的旗县", id=feat.get("id"))
        return feat

    def _shared_ids(self, layer: str) -> set[int] | None:
        """The ids of a several-county layer's records the user may see (None: not such a layer,
        or a user of every county)."""
        if self._counties is None or shared_counties(layer) is None:
            return None
        frame = self._store.read_layer(layer, geometry=False)
        keep = in_counties(self._store, layer, frame, self._counties)
        return set(frame.loc[keep.to_numpy(), "id"].astype("int64").tolist())

    # ------------------------------------------------------------------ narrowed reads
    def read_layer(self, layer: str, *, where: dict | None = None, **kw):
        w = self._where(layer, where)
        if w is None:  # nothing of this layer is visible: an empty frame of the right shape
            w = {"id": []}
        seen = self._shared_ids(layer)
        if seen is not None:
            asked = kw.pop("ids", None)
            kw["ids"] = sorted(seen if asked is None else seen & {int(i) for i in asked})
        return self._store.read_layer(layer, where=w, **kw)

    def count(self, layer: str, where: dict | None = None, bbox: BBox | None = None) -> int:
        w = self._where(layer, where)
        if w is not None and self._shared_ids(layer) is not None:
            return len(self.read_layer(layer, where=w, bbox=bbox, columns=[], geometry=False))
        return 0 if w is None else self._store.count(layer, w, bbox)

    def grid_counts(self, layer: str, bbox, cell_w: float, cell_h: float, where: dict | None = None,
                    zoom: int | None = None):
        w = self._where(layer, where)
        return [] if w is None else self._store.grid_counts(layer, bbox, cell_w, cell_h, w, zoom)

    def get_feature(self, layer: str, fid: int, tx=None) -> dict:
        if tx is not None:
            raise PermissionDenied("no transactions through a user's store", "该操作须通过系统流程办理")
        return self._check(layer, self._store.get_feature(layer, fid))

    def extent(self, layer: str) -> BBox | None:
        if self._counties is None or layer not in SCOPED_LAYERS:
            return self._store.extent(layer)
        frame = self.read_layer(layer, columns=[], geometry=True)
        return None if frame.empty else tuple(float(v) for v in frame.total_bounds)

    def history(self, layer: str, fid: int) -> list[dict]:
        self.get_feature(layer, fid)
        return self._store.history(layer, fid)

    def events(self, layer: str | None = None, feature_id: int | None = None, *, until: str | None = None,
               actions: Iterable[str] | None = None) -> pd.DataFrame:
        if (self._counties is None and self.access.is_admin) or layer in PUBLIC_LAYERS:
            return self._store.events(layer, feature_id, until=until, actions=actions)
        if feature_id is not None and layer is not None:
            self.get_feature(layer, feature_id)
            return self._store.events(layer, feature_id, until=until, actions=actions)
        layers = [layer] if layer is not None else sorted(SCOPED_LAYERS)
        layers = [lyr for lyr in layers if lyr in SCOPED_LAYERS]
        frame = self._store.events(layer, feature_id, until=until, actions=actions,
                                   scope=(layers, self._counties))
        shared = [layer] if layer is not None else sorted(S.LAYERS)
        parts = [frame]
        for key in shared:  # several-county records: the events of those the user may see
            seen = self._shared_ids(key)
            if seen is None:
                continue
            more = self._store.events(key, feature_id, until=until, actions=actions)
            parts.append(more[more["feature_id"].astype("int64").isin(seen)])
        if len(parts) == 1:
            return frame
        parts = [p for p in parts if len(p)]
        if not parts:
            return frame
        return pd.concat(parts, ignore_index=True).sort_values("id", kind="stable").reset_index(drop=True)

    def get_attachment(self, sha: str) -> dict:
        refs = self._store.attachment_refs(sha)
        for layer, fid in refs:
            try:
                self.get_feature(layer, int(fid))
                return self._store.get_attachment(sha)
            except (PermissionDenied, NotFoundError):
                continue
        raise PermissionDenied("this evidence file belongs to features outside your scope",
                               "该证据材料属于您无权查看的要素")

    def batches(self, layer: str | None = None) -> pd.DataFrame:
        frame = self._store.batches(layer)
        if self._counties is None or frame.empty:
            return frame
        seen = self._store.batch_ids_in(sorted(self._counties))
        mine = frame["uploaded_by"].astype(object) == self.access.user
        keep = frame["id"].astype("int64").isin(seen) | mine
        return frame[keep.to_numpy()].reset_index(drop=True)

    def batch(self, bid: int) -> dict:
        rec = self._store.batch(bid)
        if self._counties is not None and int(bid) not in set(self.batches()["id"].astype("int64")):
            raise NotFoundError(f"batch #{bid} does not exist", f"批次 #{bid} 不存在", id=bid)
        return rec

    def items(self) -> pd.DataFrame:
        return self._store.items()

    def item_links(self, item_id: int | None = None) -> pd.DataFrame:
        links = self._store.item_links(item_id)
        if self._counties is None or links.empty:
            return links
        keep = pd.Series(False, index=links.index)
        for layer, part in links.groupby("layer"):
            if layer not in SCOPED_LAYERS:
                continue
            ids = part["feature_id"].astype("int64").tolist()
            seen = set(self.read_layer(layer, ids=ids, columns=[], geometry=False)["id"].astype("int64"))
            keep[part.index] = part["feature_id"].astype("int64").isin(seen)
        return links[keep].reset_index(drop=True)

    def _peers(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.access.is_admin or frame.empty:
            return frame
        mine = self._counties

        def shares(row) -> bool:
            if row["name"] == self.access.user:
                return True
            theirs = _json_list(row.get("counties"))
            if mine is None:
                return True
            return bool(set(theirs) & set(mine))

        return frame[frame.apply(shares, axis=1)].reset_index(drop=True)

    def users(self) -> pd.DataFrame:
        return self._peers(self._store.users())

    def user(self, name: str) -> dict | None:
        rec = self._store.user(name)
        if rec is None or self.access.is_admin or name == self.access.user:
            return rec
        mine = self._counties
        if mine is None or set(rec.get("counties") or []) & set(mine):
            rec = dict(rec)
            rec.pop("password_hash", None)
            return rec
        return None

    def table(self, name: str, where: dict | None = None, order: str | None = None) -> pd.DataFrame:
        if self._counties is None and self.access.is_admin:
            return self._store.table(name, where, order)
        if name not in SCOPED_TABLES:
            raise PermissionDenied(f"table '{name}' is not available through a user's store",
                                   "该数据表未开放给当前账号")
        if name == "batches":
            frame = self._store.table(name, where, order)
            ids = set(self.batches()["id"].astype("int64")) if not frame.empty else set()
            return frame[frame["id"].astype("int64").isin(ids)].reset_index(drop=True) if len(frame) else frame
        if name == "item_links":
            links = self.item_links()
            for key, value in (where or {}).items():
                values = value if isinstance(value, (list, tuple, set)) else [value]
                links = links[links[key].isin(values)]
            return links.reset_index(drop=True)
        if name == "users":
            frame = self._store.table(name, where, order).drop(columns=["password_hash"], errors="ignore")
            return self._peers(frame)
        return self._store.table(name, where, order)
