"""Adding and listing records of any register, under the same rules everywhere (app, CLI, demo);
with the placing (:mod:`geo.engine.place`) and value checks (:mod:`geo.engine.values`) they use.

A record added here is checked against its declaration (types, value lists, required fields, the
register's own ``validate`` rule), placed (county and township from where it lies, its zones and
chiefs — :mod:`geo.store.attribution`), checked against the user's access (the register's writers, the
user's counties) and stored with a ``create`` event, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from geo.access.scope import unwrap
from geo.core.errors import ValidationError
from geo.core.timeutil import as_date, local_date, now_utc, today_local
from geo.declare import registry as S
from geo.declare.registry import rules_of
from geo.engine.place import locate, measures, placed, placed_many, point  # noqa: F401  (re-exported)
from geo.engine.values import check_values, coerce, option_key, unfilled  # noqa: F401  (re-exported)
from geo.engine.write import Change, apply


def add(store, layer: str, values: dict, *, geometry=None, actor: str, access=None, comment: str | None = None,
        attachments: list[tuple[str, bytes]] | None = None, at: str | None = None, action: str = "create",
        outside_ok: bool = False) -> int:
    """Add one record; returns its id. ``geometry`` in EPSG:4490 (None for registers without a place).
    A place outside every county of the jurisdiction is refused unless data staff confirm it
    (``outside_ok``), and the record is then flagged as out of area."""
    lyr = S.layer(layer)
    no_place = lyr.spatial and geometry is None and not lyr.place_optional
    given = {k: v for k, v in values.items() if not unfilled(values, [k])}
    if no_place:  # the place and every required field the form left empty, named at once
        refuse_missing(lyr, given, place=True)
    values = check_values(lyr, given)
    at = at or now_utc()
    rules = rules_of(lyr)

    def guard(tx, current, values: dict) -> dict:
        if rules is not None and hasattr(rules, "validate"):
            try:
                values = rules.validate(unwrap(store)[0], values, None)
            except ValidationError:
                refuse_missing(lyr, values)  # the empty fields first, all of them; else the rule's refusal
                raise
        refuse_missing(lyr, values)
        for name, stamp in lyr.stamps.get(values.get("status") or lyr.initial_status, {}).items():
            if values.get(name) in (None, ""):
                values[name] = local_date(at).isoformat() if stamp == "today" else actor
        return values

    return apply(store, Change(layer, None, action, actor, values, geometry, comment=comment,
                               attachments=list(attachments or []), at=at, outside_ok=outside_ok),
                 access=access, guard=guard)


def refuse_missing(lyr: S.Layer, values: dict, place: bool = False) -> None:
    """Refuse a new record of ``lyr`` with every required field ``values`` leaves empty (and its
    place, with ``place``) named in one message; nothing when none is missing."""
    missing = unfilled(values, [f.name for f in lyr.fields if f.required])
    if not missing and not place:
        return
    zh = [lyr.field(n).zh for n in missing] + (["位置（经纬度或图形）"] if place else [])
    en = [lyr.field(n).en for n in missing] + (["location"] if place else [])
    raise ValidationError(f"{lyr.en}: fill in {', '.join(en)}", f"{lyr.zh}缺少必填项：{'、'.join(zh)}，未保存",
                          missing=[*missing, *(["geometry"] if place else [])],
                          field="geometry" if place and not missing else (missing[0] if missing else None))


def listing(store, layer: str, *, where: dict | None = None, columns=None, geometry: bool = False):
    """A register's records (as the user may see them)."""
    lyr = S.layer(layer)
    cols = columns or [f.name for f in lyr.fields if not f.internal] + ["status", "version"]
    cols = list(dict.fromkeys(c for c in cols if lyr.has(c)))
    return store.read_layer(layer, where=where, columns=cols, geometry=geometry and lyr.spatial)


# ------------------------------------------------------------------------------ fields naming several records
# A TEXT field with ``ref`` (林长令's 下达责任区) names several records of that register: their names
# (its label field) or numbers ("#4"), joined by 、 — a form offers them as a multiselect.
_SEVERAL = re.compile(r"[、,，;；\s]+")


def several(value) -> list[str]:
    """The parts of such a field's value: a list as given, or text split at 、,; and spaces."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    items = [str(v) for v in value] if isinstance(value, (list, tuple, set)) else _SEVERAL.split(str(value))
    return [p.strip() for p in items if p.strip()]


def ended(record: dict, today: dt.date | None = None) -> bool:
    """Whether a record of a register with versions (a zone replaced by a newer one) has ended:
    its ``valid_to`` on or before ``today``."""
    v = record.get("valid_to")
    end = as_date(v) if isinstance(v, (str, dt.date)) and v else None
    return end is not None and end <= (today or today_local())


def offered(lyr: S.Layer, record: dict, today: dt.date | None = None) -> bool:
    """Whether ``record`` of ``lyr`` may be chosen in a field pointing to its register: it has not
    ended (:func:`ended`) and is not retired (a person who has left: ``Layer.retired_statuses``)."""
    return not ended(record, today) and record.get("status") not in lyr.retired_statuses


def choices(store, register: str, today: dt.date | None = None) -> dict[int, str]:
    """The records of ``register`` a field may point to, as the account behind ``store`` sees them
    (its counties'), by id: their name; records that have ended or are retired are left out
    (:func:`offered`)."""
    lyr = S.layer(register)
    cols = [c for c in (lyr.label_field, "county_code", "valid_to", "status") if lyr.has(c)]
    frame = store.read_layer(register, columns=cols, geometry=False)
    recs = [r for r in frame.to_dict("records") if offered(lyr, r, today)]
    recs.sort(key=lambda r: (str(r.get("county_code") or ""), str(r.get(lyr.label_field) or "")))
    return {int(r["id"]): str(r.get(lyr.label_field) or f"#{r['id']}") for r in recs}
