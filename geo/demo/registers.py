"""Demo records of the declared registers, on the real 兴安盟 counties, labelled as demo.

Each register's demo builder is ``build(store, tx, ctx) -> int`` (records added), listed in
:data:`BUILDERS` in the order they run. ``ctx`` holds what the demo builder made before: ``rng``
(numpy Generator), ``today``, ``log``, ``counties`` (real county polygons: ``district_adcode``,
``district_name``), ``admin`` (league, counties), ``townships`` (derived: ``code``, ``name``,
``county_code``, ``county``), ``zones`` (with their store ids: ``level``, ``name``, ``county_code``,
``chief_name``, ``chief_post``, ``supervisor``, ``rangers``), ``change`` (the change polygons, with
``change_ids`` their store ids). They run in the demo's transaction. A new register adds its
builder here.
"""

from __future__ import annotations

from geo.demo import carbon, complaint, enterprise, fire, orders, people, pest

BUILDERS = (
    ("people", people.build),
    ("carbon", carbon.build),
    ("enterprise", enterprise.build),
    ("complaint", complaint.build),
    ("fire", fire.build),
    ("pest", pest.build),
    ("orders", orders.build),
)


def build(store, tx, ctx: dict) -> dict:
    return {key: builder(store, tx, ctx) for key, builder in BUILDERS}
