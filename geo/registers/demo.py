"""Demo records of the declared registers, on the real 兴安盟 counties, labelled as demo.

Each register module may define ``demo(store, tx, ctx) -> int`` (records added). ``ctx`` holds what
the demo builder made before: ``rng`` (numpy Generator), ``today``, ``log``, ``counties`` (real
county polygons: ``district_adcode``, ``district_name``), ``admin`` (league, counties), ``townships``
(derived: ``code``, ``name``, ``county_code``, ``county``), ``zones`` (with their store ids:
``level``, ``name``, ``county_code``, ``chief_name``, ``chief_post``, ``supervisor``, ``rangers``),
``change`` (the change polygons, with ``change_ids`` their store ids). They run in the demo's
transaction, in the order of :data:`geo.registers.MODULES`.
"""

from __future__ import annotations

import importlib


def build(store, tx, ctx: dict) -> dict:
    from geo.registers import MODULES

    out = {}
    for name in MODULES:
        mod = importlib.import_module(f"geo.registers.{name}")
        if hasattr(mod, "demo"):
            out[name] = mod.demo(store, tx, ctx)
    return out
