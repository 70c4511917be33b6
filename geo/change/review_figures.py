"""The closure review's figures, per county and in total, now or as they stood on any past date
(``stats --json`` → ``review``, and the leaders' screen).

All of them are read from the history, so "as of" a date is the same computation with a cutoff:

* ``awaiting`` — polygons waiting for review at the end of the day (``awaiting_league``,
  ``awaiting_province`` by level), and ``oldest_days``, how long the oldest of them has waited
  (``oldest_league``, ``oldest_province`` by level). A polygon waits at a level from the step that
  last put it there (申请销号 or 补充材料重新申报 for the league, the league's approval for the
  province): the same definition as the review queue's (geo.change.review.queue, ``age_days``),
  so the review page's header, its table and ``stats --json`` agree;
* ``applied`` — applications made (first submissions and re-submissions), ``resubmitted`` the latter;
* ``approved`` — polygons closed by a reviewer's approval; ``league_approved`` — the league's
  approvals (closing, or passing on to the province);
* ``sent_back`` — send-backs, and ``sent_back_rate`` — their share (%) of all review decisions
  (approvals at any level plus send-backs);
* ``sampled`` / ``checked`` — polygons drawn into spot-check samples, and those of them whose
  check was recorded;
* ``median_days`` — median days from a polygon's application (the first of its cycle, so time
  spent on send-backs counts) to the approval that closed it.

A figure with nothing to count is ``None`` (shown as "无数据"), never 0 — except counts, which are 0.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics

import pandas as pd

from geo.change.review import DRAW_LAYER, LEVEL_OF, levels
from geo.access.scope import unwrap
from geo.core.timeutil import end_of_local_day_utc, local_date, to_utc_text, today_local

KEYS = ("awaiting", "awaiting_league", "awaiting_province", "oldest_days", "oldest_league", "oldest_province",
        "applied", "resubmitted", "approved",
        "league_approved", "sent_back", "sent_back_rate", "sampled", "checked", "median_days")
OLDEST = ("oldest_days", "oldest_league", "oldest_province")
LABELS = {
    "awaiting": ("待审核", "Awaiting review"),
    "oldest_days": ("最久待审（天）", "Oldest waiting (days)"),
    "awaiting_league": ("待盟市审核", "Awaiting league review"),
    "awaiting_province": ("待省级抽查", "Awaiting province spot-check"),
    "oldest_league": ("待盟市审核最久（天）", "Oldest awaiting the league (days)"),
    "oldest_province": ("待省级抽查最久（天）", "Oldest awaiting the province (days)"),
    "applied": ("申请销号（次）", "Applications"),
    "resubmitted": ("重新申报（次）", "Re-submissions"),
    "approved": ("审核销号", "Approved and closed"),
    "sent_back": ("退回（次）", "Sent back"),
    "sent_back_rate": ("退回率", "Send-back rate"),
    "sampled": ("抽中复核", "Sampled"),
    "checked": ("已复核", "Checked"),
    "median_days": ("申请至销号中位天数", "Median days to approval"),
}


def _text(at) -> str:
    return at if isinstance(at, str) else to_utc_text(at)


# the predicate of the store's partial index ix_events_review (geo.store.base.INDEXES): only the
# review's steps are indexed, so reading them does not grow with the rest of the history
REVIEW_STEPS = ("layer = 'change' AND (to_status IN ('applied', 'returned', 'reviewed') OR from_status IN "
                "('applied', 'reviewed'))")


def _hint(raw, tx) -> str:
    if raw.backend != "gpkg":
        return ""
    have = tx.query_one("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'ix_events_review'")
    return " INDEXED BY ix_events_review" if have else " NOT INDEXED"  # (never a walk of the (layer, id) index)


def _events(raw, cutoff: str | None) -> dict[int, list[tuple]]:
    """The review's steps on change polygons (applications, decisions, checks), oldest first:
    ``{polygon id: [(at, action, from, to), …]}``."""
    params: list = []
    cut = ""
    if cutoff is not None:
        cut = " AND at < ?"
        params.append(cutoff)
    with raw.transaction(write=False) as tx:
        sql = (f"SELECT feature_id, at, action, from_status, to_status FROM events{_hint(raw, tx)} "
               f"WHERE {REVIEW_STEPS}{cut} ORDER BY id")
        rows = tx.query(sql, params)
    out: dict[int, list[tuple]] = {}
    for fid, at, action, frm, to in rows:
        if action in ("transition", "check"):
            out.setdefault(int(fid), []).append((_text(at), action, frm, to))
    return out


def _draws(raw, cutoff: str | None) -> list[dict]:
    params: list = [DRAW_LAYER]
    cut = ""
    if cutoff is not None:
        cut = " AND at < ?"
        params.append(cutoff)
    with raw.transaction(write=False) as tx:
        rows = tx.query(f"SELECT feature_id, at, fields FROM events WHERE layer = ?{cut} ORDER BY id", params)
    out = []
    for no, at, fields in rows:
        rec = json.loads(fields) if isinstance(fields, str) else {}
        rec.update(no=int(no), at=_text(at))
        out.append(rec)
    return out


def _empty() -> dict:
    out = {k: 0 for k in KEYS}
    out.update(oldest_days=None, oldest_league=None, oldest_province=None, sent_back_rate=None, median_days=None)
    return out


def _polygon_figures(ev: list[tuple], today: dt.date) -> dict:
    """Figures of one polygon's review events (oldest first) — summed per county afterwards."""
    out = _empty()
    out["_decisions"] = 0
    state = entered = cycle_start = None
    days = []
    for at, action, frm, to in ev:
        if action == "check":
            continue
        if to == "applied":
            out["applied"] += 1
            out["resubmitted"] += int(frm == "returned")
            cycle_start = cycle_start or at  # a re-submission continues the cycle
        if frm in LEVEL_OF and to in ("closed", "reviewed"):
            out["_decisions"] += 1
            out["league_approved"] += int(frm == "applied")
            if to == "closed":
                out["approved"] += 1
                if cycle_start is not None:
                    days.append((_dt(at) - _dt(cycle_start)).total_seconds() / 86400.0)
                cycle_start = None
        if to == "returned" and frm in LEVEL_OF:
            out["sent_back"] += 1
            out["_decisions"] += 1
        if to in LEVEL_OF:
            entered = at
        state = to
    if state in LEVEL_OF:
        out["awaiting"] = 1
        out[f"awaiting_{LEVEL_OF[state]}"] = 1
        out["oldest_days"] = (today - local_date(entered)).days if entered else None
        out[f"oldest_{LEVEL_OF[state]}"] = out["oldest_days"]
    out["_days"] = days
    return out


def _dt(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def figures(store, *, as_of: dt.date | None = None, counties=None, batch_ids=None,
            today: dt.date | None = None) -> dict:
    """``{"levels", "total": {...}, "by_county": [{county_code, county, ...}]}`` — see the module
    docstring for each figure."""
    raw, access = unwrap(store)
    if access is not None and access.counties is not None:
        counties = sorted(set(counties or access.counties) & set(access.counties)) or ["\u2205"]
    today = as_of or today or today_local()
    cutoff = end_of_local_day_utc(as_of) if as_of is not None else None
    ev = _events(raw, cutoff)
    draws = _draws(raw, cutoff)
    ids = set(ev)
    for d in draws:
        ids |= {int(i) for i in d.get("sample", [])}
    where: dict = {}
    if counties:
        where["county_code"] = list(counties)
    if batch_ids:
        where["batch_id"] = list(batch_ids)
    if not ids:
        polys = pd.DataFrame(columns=["id", "county_code", "county"])
    elif len(ids) <= 900:  # a few: by id; many: one narrow read of the layer (no parameter limits)
        polys = raw.read_layer("change", ids=sorted(ids), where=where or None, columns=["county_code", "county"],
                               geometry=False)
    else:
        polys = raw.read_layer("change", where=where or None, columns=["county_code", "county"], geometry=False)
        polys = polys[polys["id"].isin(list(ids))]
    county_of = dict(zip(polys["id"].astype("int64"), polys["county_code"]))
    names = {c: n for c, n in zip(polys["county_code"], polys["county"]) if c}
    per: dict[str, dict] = {}

    def bucket(code) -> dict:
        return per.setdefault(code, {**_empty(), "_days": [], "_decisions": 0})

    check_at: dict[int, list[str]] = {}
    for fid, part in ev.items():
        if fid not in county_of:
            continue
        check_at[fid] = [at for at, action, _, _ in part if action == "check"]
        fig = _polygon_figures(part, today)
        b = bucket(county_of[fid])
        for k in ("awaiting", "awaiting_league", "awaiting_province", "applied", "resubmitted", "approved",
                  "league_approved", "sent_back", "_decisions"):
            b[k] += fig[k]
        for k in OLDEST:
            if fig[k] is not None:
                b[k] = max(b[k] or 0, fig[k])
        b["_days"].extend(fig["_days"])
    for d in draws:
        for fid in d.get("sample", []):
            fid = int(fid)
            if fid not in county_of:
                continue
            b = bucket(county_of[fid])
            b["sampled"] += 1
            if any(a >= d["at"] for a in check_at.get(fid, [])):
                b["checked"] += 1
    total = {**_empty(), "_days": [], "_decisions": 0}
    rows = []
    for code in sorted(per, key=str):
        b = per[code]
        for k in KEYS:
            if k in OLDEST:
                if b[k] is not None:
                    total[k] = max(total[k] or 0, b[k])
            elif k not in ("sent_back_rate", "median_days"):
                total[k] += b[k]
        total["_days"].extend(b["_days"])
        total["_decisions"] += b["_decisions"]
        rows.append({"county_code": code, "county": names.get(code, code), **_finish(b)})
    return {"levels": list(levels()), "as_of": (as_of or today).isoformat(), "total": _finish(total),
            "by_county": rows}


def _finish(b: dict) -> dict:
    out = {k: b[k] for k in KEYS if k not in ("sent_back_rate", "median_days")}
    decisions = b["_decisions"]
    out["sent_back_rate"] = round(100.0 * b["sent_back"] / decisions, 1) if decisions else None
    out["median_days"] = round(statistics.median(b["_days"]), 1) if b["_days"] else None
    return out


def labels(lang: str = "zh") -> dict[str, str]:
    return {k: (v[0] if lang == "zh" else v[1]) for k, v in LABELS.items()}


