"""The registers the bureau keeps, each declared once in its own module (see :mod:`.base`).

The first layers (change polygons, occupation plots, signboards, zones, restoration areas,
patrols, admin units) are declared in :mod:`geo.declare.schema`; the modules listed in :data:`MODULES`
add the rest. Each module holds ``REGISTERS`` (its declarations) and, when the register has
domain rules, the functions :func:`rules_of` finds there.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES: tuple[str, ...] = (
    "geo.chief.people",
    # carbon sink (小班 first: the enterprises' forest border is computed from it), wood-processing
    # enterprises, 12345 complaints
    "geo.carbon.layers", "geo.enterprise.layers", "geo.complaint.layers",
    # fire prevention, pine-wilt disease
    "geo.fire.layers", "geo.pest.layers",
    # 林长令 (chiefs' orders and the responses to them)
    "geo.chief.orders_layers",
)

# menu sections of the registers' pages: key -> (zh, en)
GROUPS: dict[str, tuple[str, str]] = {
    "chief": ("林长制", "Forest-chief system"),
    "field": ("整改与修复", "Rectification and restoration"),
    "fire": ("森林草原防火", "Fire prevention"),
    "pest": ("松材线虫病防控", "Pine-wilt disease"),
    "enterprise": ("木材经营加工", "Wood processing"),
    "complaint": ("接诉即办", "Hotline complaints"),
    "carbon": ("碳汇", "Carbon sink"),
    "review": ("销号审核", "Closure review"),
}


def declared() -> list:
    out = []
    for name in MODULES:
        mod = importlib.import_module(name)
        out.extend(mod.REGISTERS)
    return out


def rules_of(lyr) -> ModuleType | None:
    """The module with ``lyr``'s domain rules, or None. Hooks it may define (all optional):

    * ``validate(store, values, current) -> values`` — normalise and check a record whenever it
      changes: ``values`` are the changes (every value of a new record; the fields and ``status``
      of a transition; the fields of an edit or operation) and ``current`` the record as it is
      (None for a new one, added or imported). Return the changes to store, possibly completed
      (a default, a flag); raise :class:`geo.core.errors.ValidationError` (both languages) to refuse;
    * ``figures(store, frame, ctx) -> {figure key: {"total": v, "by_county": {code: v}}}`` — the
      register's ``custom`` figures (``frame``: its records, as of ``ctx["as_of"]``);
    * ``bulletin(figures, ctx) -> str | None`` — its paragraph in the bulletin;
    * ``details(store, record, lang) -> [(caption, DataFrame)]`` — tables under a record's details;
    * ``overview(store, frame, lang) -> [(caption, DataFrame)]`` — tables at the top of its page
      (``frame``: the records the page lists);
    * ``map_layers(store, frame, lang) -> [{"name", "geojson", "color", "fill_opacity", "legend"}]``
      — layers of its own drawn beneath its records on the page's map (not clickable);
    * ``placed(store, tx, lyr, geom, values) -> dict`` — values that follow from where a record lies
      (beside county, township and zones), computed whenever it is placed or moved
      (``placed_many(store, tx, lyr, geoms, values_list) -> [dict]`` does it for a whole import);
    * ``locate(store, tx, lyr, values) -> (geometry | None, values)`` — a place for a record that
      arrives without one (``place_optional`` registers), e.g. from an address;
    * ``panels(store, ctx) -> [panel, …]`` — what the register's page shows above its list
      (:mod:`geo.engine.overview`);
    * ``add_parsers(subparsers)`` / ``run(args, settings) -> int | None`` — its own CLI verbs.
    """
    if not getattr(lyr, "rules", None):
        return None
    return importlib.import_module(lyr.rules)
