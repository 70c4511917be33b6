"""The hooks a register's rules module may define, as a typed :class:`Protocol`.

A declaration names its rules module (``Layer.rules = "geo.fire.hazards"``); the engine finds it
with :func:`geo.declare.registry.rules_of` and calls only the hooks the module defines, so each is
optional. This is how the engine (below the domain packages) runs a domain's rules without
importing it: the dependency points from the domain to the engine, the call goes by name.

A type checker can verify a rules module against :class:`Rules` (``rules: Rules = module``);
``tests/test_registers_hooks.py`` checks that every declared rules module's hooks have these
parameter names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from geo.declare.base import Layer, Requirements, Transition


class Rules(Protocol):
    """Every hook a register's rules module may define (all optional)."""

    def validate(self, store, values: dict, current: dict | None) -> dict:
        """Normalise and check a record whenever it changes: ``values`` are the changes (every
        value of a new record; the fields and ``status`` of a transition; the fields of an edit or
        operation), ``current`` the record as it is (None for a new one). Return the changes to
        store, possibly completed; raise :class:`geo.core.errors.ValidationError` to refuse."""

    def record_counties(self, store, frame: pd.DataFrame) -> list:
        """For a register whose records have no ``county_code`` but concern several counties (an
        order addressed to zones): the set of county codes of each row of ``frame``. The county
        gate, the ledger and the figures scope its records by these."""

    def figures(self, store, frame: pd.DataFrame, ctx: dict) -> dict:
        """The register's ``custom`` figures: ``{figure key: {"total": v, "by_county": {code: v}}}``
        (``frame``: its records as of ``ctx["as_of"]``)."""

    def bulletin(self, figures: dict, ctx: dict) -> str | None:
        """Its paragraph in the bulletin."""

    def details(self, store, record: dict, lang: str) -> list:
        """``[(caption, DataFrame)]``: tables under a record's details."""

    def overview(self, store, frame: pd.DataFrame, lang: str) -> list:
        """``[(caption, DataFrame)]``: tables at the top of its page."""

    def shown_status(self, store, frame: pd.DataFrame) -> pd.Series:
        """Each record's status as the register's page counts it, where a rule derives it beyond
        the recorded one (a board whose post changed hands is stale)."""

    def map_layers(self, store, frame: pd.DataFrame, lang: str) -> list[dict]:
        """Layers of its own drawn beneath its records on the page's map
        (``{"name", "geojson", "color", "fill_opacity", "legend"}``)."""

    def placed(self, store, tx, lyr: Layer, geom, values: dict) -> dict:
        """Values that follow from where a record lies (beside county, township and zones)."""

    def placed_many(self, store, tx, lyr: Layer, geoms: list, values_list: list[dict]) -> list[dict]:
        """:meth:`placed` for a whole import at once."""

    def locate(self, store, tx, lyr: Layer, values: dict) -> tuple[Any, dict]:
        """``(geometry or None, values)``: a place for a record that arrives without one."""

    def panels(self, store, ctx: dict) -> list:
        """What the register's page shows above its list (:mod:`geo.engine.overview`)."""

    def prepare_rows(self, store, layer: str, values: list[dict], *, actor: str, access=None, dry_run: bool,
                     tx=None) -> tuple[list[dict], list[dict]]:
        """Rows of a list import (:mod:`geo.ingest.tables`) completed before they are stored, and
        the problems found (e.g. people matched to posts)."""

    def after_import(self, store, tx, layer: str, ids: list[int], values: list[dict], *, actor: str, at: str) -> None:
        """What follows a list import, in its transaction (e.g. posts filled by the people imported)."""

    def assess_track(self, coords, times, *, area=None) -> dict:
        """An uploaded track's plausibility (``{"plausible": bool, "reasons": [..]}``): top speed
        between points, gaps, points outside the jurisdiction ``area``."""

    # ---- steps of the workflow (the change polygons' closure review uses these)
    def offered(self, transition: Transition, status: str) -> bool:
        """Whether a declared step is offered now (e.g. only the configured review levels)."""

    def requirements(self, record: dict, transition: Transition) -> Requirements:
        """What a step needs for this record, beyond its declaration (e.g. by the record's cause)."""

    def on_transition(self, store, tx, current: dict, merged: dict, transition: Transition, fields: dict,
                      files: list, comment: str | None, at: str, access) -> dict:
        """Checks and stamps inside the step's transaction; returns fields to set with it."""

    def on_refused(self, store, layer: str, fid: int, error: Exception, actor: str) -> None:
        """After a step was refused: record what the refusal found (its own transaction)."""

    def not_by(self, transition: Transition) -> tuple[str, ...]:
        """Separation of duties as configured: the statuses whose recorder may not make this step
        (default: the declaration's ``Transition.not_by``; a bureau may allow one person both)."""

    def protected_fields(self) -> frozenset[str]:
        """Fields only the rules write: an edit may not set them."""


HOOKS: tuple[str, ...] = tuple(name for name in Rules.__dict__ if not name.startswith("_"))
