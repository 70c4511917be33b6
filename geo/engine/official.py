"""Which change polygons count in the official figures (bulletin, ledger, leaders' screen,
``stats --json``), and the batch attribute that decides it.

Every batch has a ``purpose``:

* ``official`` (正式) — issued or accepted data; its polygons count;
* ``candidate`` (候选) — found by automatic detection (source "自动检测…"), waiting for a reviewer
  to :func:`promote` it;
* ``test`` (测试) and ``demo`` (演示) — never count.

The upload sets it (default by source: automatic detection is a candidate, anything else
official); a reviewer can change it, and each change is an event (``layer = 'batch'``), so a
bulletin regenerated for a past day uses the purposes of that day.

A polygon counts when its batch is official **and** it lies inside the jurisdiction: its county
is one of the store's counties (the ``admin`` layer; without one, any polygon placed in a county).
:func:`scope` turns a request (batches, counties) into the filters the pre-aggregated tables are
read with, so nothing is recounted, and says what was left out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pandas as pd

from geo.core.errors import NotFoundError, PermissionDenied
from geo.access.scope import unwrap
from geo.engine.asof import in_clause
from geo.store.purpose import AUTO_SOURCE, LABELS, PURPOSES, check_purpose, default_purpose, label  # noqa: F401
from geo.core.timeutil import end_of_local_day_utc
from geo.core.timeutil import now_utc

REVIEW_ROLES = {"admin", "staff"}
NO_BATCH = -2  # a batch id no batch has: the filter when no batch is official
NO_COUNTY = "\u2205"  # a county code no polygon has


def purposes(store, as_of: dt.date | None = None, batches: pd.DataFrame | None = None) -> dict[int, str]:
    """Batch id → purpose, now or as it was at the end of ``as_of`` (Beijing time)."""

    batches = store.batches() if batches is None else batches
    out: dict[int, str] = {}
    for bid, purpose, source in zip(batches["id"], batches.get("purpose", [None] * len(batches)),
                                    batches["source"]):
        out[int(bid)] = purpose if isinstance(purpose, str) and purpose else default_purpose(source)
    if as_of is None or not out:
        return out
    cutoff = end_of_local_day_utc(as_of)
    with store.transaction(write=False) as tx:
        rows = tx.query("SELECT feature_id, at, fields FROM events WHERE layer = 'batch' AND action = 'purpose' "
                        "ORDER BY at, id")
    before: dict[int, str] = {}
    first_after: dict[int, str] = {}
    for fid, at, text in rows:
        data = json.loads(text) if isinstance(text, str) else {}
        at = at if isinstance(at, str) else at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if at < cutoff:
            before[int(fid)] = data.get("purpose")
        else:
            first_after.setdefault(int(fid), data.get("was"))
    for bid in out:
        if bid in before:
            out[bid] = before[bid]
        elif bid in first_after and first_after[bid]:
            out[bid] = first_after[bid]
    return out


def set_purpose(store, batch_id: int, purpose: str, *, actor: str, access=None,
                comment: str | None = None) -> str:
    """Change a batch's purpose (a reviewer: administrators and data staff); returns the old one.
    The change is recorded as an event, so past figures keep the purpose of their day."""

    check_purpose(purpose)
    access = unwrap(store, access)[1]
    if access is not None and access.role not in REVIEW_ROLES:
        raise PermissionDenied(f"role '{access.role}' may not change what a batch counts as",
                               "只有系统管理员和数据管理员可以审核批次（转为正式或调整性质）")
    raw = unwrap(store)[0]
    with raw.transaction() as tx:
        row = tx.query_one("SELECT purpose, source, name FROM batches WHERE id = ?", [int(batch_id)])
        if row is None:
            raise NotFoundError(f"batch #{batch_id} does not exist", f"批次 #{batch_id} 不存在", id=batch_id)
        was = row[0] or default_purpose(row[1])
        if was == purpose:
            return was
        tx.execute("UPDATE batches SET purpose = ? WHERE id = ?", [purpose, int(batch_id)])
        raw.add_events(tx, [("batch", int(batch_id), now_utc(), actor, "purpose", None, None,
                             json.dumps({"purpose": purpose, "was": was}), comment, None, None)])
    return was


def promote(store, batch_id: int, *, actor: str, access=None, comment: str | None = None) -> str:
    """A reviewer accepts a candidate (or test) batch as official; returns its former purpose."""
    return set_purpose(store, batch_id, "official", actor=actor, access=access,
                       comment=comment or "审核通过，转为正式批次")


# ------------------------------------------------------------------------------ the scope
def jurisdiction(store) -> list[str]:
    """The county codes of the jurisdiction: the admin layer's counties, or, in a store without
    them, every county a polygon was placed in."""
    raw = unwrap(store)[0]
    admin = raw.read_layer("admin", where={"level": "county"}, columns=["code"], geometry=False)
    codes = sorted({str(c) for c in admin["code"] if isinstance(c, str) and c})
    if codes:
        return codes
    with raw.transaction(write=False) as tx:
        rows = tx.query("SELECT DISTINCT county_code FROM change_facts WHERE n <> 0 AND county_code <> ''")
    return sorted(str(r[0]) for r in rows)


@dataclass
class Scope:
    """What the figures count: ``batch_ids`` (official, within the request) and ``counties``
    (the jurisdiction, within the request); ``excluded`` — batches left out, with their polygons;
    ``outside`` — polygons of counted batches outside the jurisdiction; ``dropped`` — requested
    batches that are not official."""

    batch_ids: list[int]
    counties: list[str]
    excluded: list[dict] = field(default_factory=list)
    outside: int = 0
    dropped: list[int] = field(default_factory=list)
    excluded_sql: tuple[str, list] | None = None  # change polygons not counted (None: none)

    def as_dict(self) -> dict:
        return {"batch_ids": self.batch_ids, "counties": self.counties, "excluded": self.excluded,
                "outside_jurisdiction": self.outside, "dropped_batch_ids": self.dropped}


def scope(store, batches: pd.DataFrame, as_of: dt.date | None, batch_ids=(), counties=()) -> Scope:
    """The filters of the official figures for a request (``batch_ids`` / ``counties`` empty: all)."""

    purpose = purposes(store, as_of, batches)
    names = dict(zip((int(b) for b in batches["id"]), batches["name"])) if len(batches) else {}
    if as_of is not None and len(batches):  # batches uploaded after that day did not exist yet
        cutoff = end_of_local_day_utc(as_of)
        existed = {int(b) for b, at in zip(batches["id"], batches["uploaded_at"])
                   if at is None or str(at) < cutoff}
    else:
        existed = set(names)
    official = sorted(b for b, p in purpose.items() if p == "official" and b in names)
    requested = sorted({int(b) for b in batch_ids or ()})
    counted = [b for b in official if b in requested] if requested else official
    dropped = [b for b in requested if b not in official]
    jur = jurisdiction(store)
    wanted = sorted({str(c) for c in counties or ()})
    within = [c for c in jur if c in wanted] if wanted else jur
    sc = Scope(batch_ids=counted or [NO_BATCH], counties=within or [NO_COUNTY], dropped=dropped)
    # what is left out, from the pre-aggregated counts (polygons are never deleted)
    raw = unwrap(store)[0]
    with raw.transaction(write=False) as tx:
        rows = tx.query("SELECT batch_id, county_code, SUM(n) FROM change_facts WHERE n <> 0 "
                        "GROUP BY batch_id, county_code")
    per_batch: dict[int, int] = {}
    outside = 0
    for bid, code, n in rows:
        bid, code, n = int(bid), str(code or ""), int(n)
        if wanted and code not in wanted:
            continue
        if bid in counted:
            if code not in jur:
                outside += n
        elif bid in existed and (not requested or bid in requested):
            per_batch[bid] = per_batch.get(bid, 0) + n
    sc.excluded = [{"batch_id": b, "name": names.get(b, f"#{b}"), "purpose": purpose.get(b), "n": n}
                   for b, n in sorted(per_batch.items())]
    sc.outside = outside if not wanted else 0
    clauses, params = [], []
    if per_batch:
        c, p = in_clause("batch_id", sorted(per_batch))
        clauses.append(c)
        params += p
    if outside:
        c1, p1 = in_clause("batch_id", counted)
        c2, p2 = in_clause("county_code", jur)
        clauses.append(f"({c1} AND (county_code IS NULL OR NOT {c2}))")
        params += p1 + p2
    if clauses:
        sc.excluded_sql = (" OR ".join(clauses), params)
    return sc


def link_filters(fig: dict) -> dict:
    """The ``batch_ids`` / ``counties`` that make :func:`geo.stats.summary.link` list exactly what a
    summary's figures count: the requested filters, narrowed to the official batches when some
    batch is left out and to the jurisdiction when some polygon lies outside it."""
    req, sc = fig["filters"], fig.get("scope") or {}
    batch_ids = list(req.get("batch_ids") or [])
    if sc and (batch_ids or sc.get("excluded") or sc.get("dropped_batch_ids")):
        batch_ids = list(sc["batch_ids"])
    counties = list(req.get("counties") or [])
    if sc and sc.get("outside_jurisdiction"):
        counties = list(sc["counties"])
    return {"batch_ids": batch_ids, "counties": counties}


__all__ = ["link_filters", "PURPOSES", "LABELS", "label", "default_purpose", "check_purpose", "purposes", "set_purpose",
           "promote", "jurisdiction", "scope", "Scope"]
