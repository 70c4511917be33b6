"""The change polygon's rules, as the engine calls them (hooks: :class:`geo.declare.hooks.Rules`):
which review steps are offered (the configured review levels), what a step needs for this polygon
(the closure requirements of its cause), the review's checks and stamps inside a step, the finding
a refused closure records, and the review fields only the review itself writes."""

from __future__ import annotations

from geo.change import closure, review
from geo.declare.base import Requirements, Transition


def offered(transition: Transition, status: str) -> bool:
    return review.offered(transition, status)


def requirements(record: dict, transition: Transition) -> Requirements:
    return closure.requirements(record, transition)


def on_transition(store, tx, current: dict, merged: dict, transition: Transition, fields: dict, files: list,
                  comment, at: str, access) -> dict:
    return review.on_transition(store, tx, current, merged, transition, fields, files, comment, at, access)


def on_refused(store, layer: str, fid: int, error: Exception, actor: str) -> None:
    if isinstance(error, closure.FindingError):  # the check found a problem with the polygon: record it
        closure.record_finding(store, layer, fid, error, actor)


def not_by(transition: Transition) -> tuple[str, ...]:
    return review.not_by(transition)


def protected_fields() -> frozenset[str]:
    return review.MANAGED
