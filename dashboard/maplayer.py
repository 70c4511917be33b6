"""``/mapdata/change``: the change polygons of one map view, over plain HTTP.

A pan on the map page used to wait for streamlit-folium to report the new bounds (Leaflet's
inertia, then its 250 ms debounce) and for a rerun of the page's map fragment before the layer of
the new view was sent over the websocket: about 1 s at 500,000 polygons. The map now asks this
route itself when it stops moving (``fmap.ChangeLoader``) and draws the answer; no rerun.

Who may see what is decided here, never by the browser: the user is the one of the HttpOnly
session cookie (no live session: 401), the store is scoped to their counties
(:func:`geo.access.auth.scoped`) and the view is queried with their access (:func:`geo.change.mapview.viewport`
``scope=``), exactly as the page does. The page's filters travel as a *ticket*: the page keeps
them here under an opaque name bound to the user (:func:`ticket`) and sends only the name, so the
filters (including ones a URL cannot carry, such as the NDVI list) are the page's own; a ticket of
another user, or one this process does not know, is refused (403 / 404). Tickets live in the
process, as Streamlit's sessions do (several processes sit behind a sticky proxy, docs/deploy).
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
import threading
from collections import OrderedDict

_SALT = secrets.token_hex(16)
_tickets: OrderedDict[str, tuple[str, object]] = OrderedDict()  # ticket -> (user name, Filters)
_lock = threading.Lock()
MAX_TICKETS = 4096


def ticket(user_name: str, filters) -> str:
    """The name under which ``user_name``'s page keeps ``filters`` for the route (the same
    filters give the same name, so a rerun does not make the map reload)."""
    name = hashlib.sha256(f"{_SALT}|{user_name}|{filters!r}".encode()).hexdigest()[:32]
    with _lock:
        _tickets[name] = (user_name, filters)
        _tickets.move_to_end(name)
        while len(_tickets) > MAX_TICKETS:
            _tickets.popitem(last=False)
    return name


def _parse(params) -> tuple[tuple[float, float, float, float], int] | None:
    try:
        box = tuple(float(v) for v in str(params.get("bbox", "")).split(","))
        zoom = int(params.get("zoom", ""))
    except ValueError:
        return None
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or not 0 <= zoom <= 22:
        return None
    w, s, e, n = box
    w, e = max(w, -180.0), min(e, 180.0)
    s, n = max(s, -90.0), min(n, 90.0)
    if w >= e or s >= n:
        return None
    return (w, s, e, n), zoom


def answer(user: dict, params) -> tuple[int, str]:
    """``(HTTP status, JSON body)`` for ``user`` asking with ``params`` (``t``, ``bbox``, ``zoom``)."""
    from dashboard import web
    from dashboard.components import fmap
    from geo.change import mapview as mv
    from geo.engine.asof import token
    from geo.core.timeutil import today_local

    with _lock:
        kept = _tickets.get(str(params.get("t", "")))
    if kept is None:
        return 404, '{"error": "unknown ticket"}'
    if kept[0] != user.get("name"):
        return 403, '{"error": "not your ticket"}'
    parsed = _parse(params)
    if parsed is None:
        return 400, '{"error": "bbox=w,s,e,n and zoom=0..22"}'
    box, zoom = parsed
    store = web.shared_store()
    cap = web.app_settings().map_max_features
    mode, n, data, bounds = _layer(store.url, token(store), fmap.snap_bbox(box, zoom), zoom, kept[1], cap,
                                   _Who(user), today_local())
    # the layer is read for the snapped box (shared by nearby views); the note counts the map's own
    n = mv.count_in_view(bounds, n, box)
    return 200, f'{{"mode": "{mode}", "n": {int(n)}, "data": {data}}}'


class _Who:
    """The signed-in user as a cache key: their access (name, role, counties), so a change of an
    account's counties gives a fresh answer at once."""

    def __init__(self, user: dict):
        from geo.access import auth

        self.user = user
        self.access = auth.access_for(user)

    def __hash__(self):
        return hash(self.access.key)

    def __eq__(self, other):
        return isinstance(other, _Who) and other.access.key == self.access.key


@functools.lru_cache(maxsize=64)
def _layer(url: str, tok: str, bbox, zoom: int, filters, cap: int, who: _Who, today):
    """One view's layer for one user (cached by the store's change token, as the page's own):
    ``(mode, count, serialised layer, the drawn polygons' bounding boxes or None)``."""
    from dashboard import web
    from dashboard.components import fmap
    from geo.change import mapview as mv
    from geo.access.auth import scoped

    view = mv.viewport(scoped(web.shared_store(), who.user), bbox, zoom, filters, cap=cap, today=today, scope=who.access)
    return (*fmap.view_payload(view, zoom), view.bounds())
