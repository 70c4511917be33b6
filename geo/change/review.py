"""The closure review (销号审核): a county applies, the league reviews (and, when configured, the
province spot-checks), a sample is checked, the rest approved, anything wrong sent back.

The road of a polygon (statuses in :mod:`geo.declare.registry`, steps in :data:`geo.engine.workflow.CHANGE_MACHINE`)::

    verified / accepted ──申请销号──▶ applied 待审核 ──盟市审核通过──▶ closed 已销号            (levels = league)
                                         │            └──────────────▶ reviewed 待省级抽查 ──▶ closed (+ province)
                                         └──退回──▶ returned 已退回 ──补充材料重新申报──▶ applied (申报次数 + 1)

* **Applying** needs what the polygon's cause needs (:mod:`geo.change.closure`); the application stamps
  ``applied_at`` and the submission number ``review_round`` (2, 3 … for re-submissions).
* **Sampling** (:func:`draw`): per county and level, the polygons waiting that no earlier draw
  covered; a configurable share, at least N, stratified by closure rule (the cause), chosen by a
  documented procedure from a recorded seed (:func:`sample_of`), so an auditor can redraw it
  (:func:`verify_draw`). A draw is an append-only event (layer ``review_draw``) holding the whole
  population, the seed and the sample.
* **Checking** (:func:`record_check`): field visit or imagery, pass or fail, with a note or photo —
  a ``check`` event on the polygon.
* **Approving** (:func:`approve`, :func:`approve_many`) is refused for a polygon no draw has
  covered, for a sampled polygon without a recorded check, and for any failed check.
* **Sending back** (:func:`send_back`) needs a reason; the county sees it (:func:`return_notice`).

Every step is an event with actor, time and comment; each polygon step is a workflow transition
or edit with optimistic locking, so a county applying and a league approving at the same moment
never lose either change.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import secrets

import pandas as pd

from geo.change import closure
from geo.declare import registry as S
from geo.core.errors import NotFoundError, PermissionDenied, TransitionError, ValidationError
from geo.access.scope import unwrap
from geo.core.timeutil import local_date, now_utc, to_utc_text, today_local
from geo.access.auth import ROLE_LABELS
from geo.engine import workflow
from geo.engine.write import check_version
from geo.core.errors import GeoError
from geo.core.timeutil import fmt_local

LEVELS = ("league", "province")
PENDING = {"league": "applied", "province": "reviewed"}
LEVEL_OF = {"applied": "league", "reviewed": "province"}
ROLE = {"league": "league_reviewer", "province": "province_checker"}
LEVEL_LABEL = {"league": ("盟市审核", "League review"), "province": ("省级抽查", "Province spot-check")}
MANAGED = frozenset({"applied_at", "review_round", "returned_reason", "check_method", "check_result", "check_note"})
CHECK_FIELDS = ("check_method", "check_result", "check_note")
METHODS = ("field", "imagery")
RESULTS = ("pass", "fail")
DRAW_LAYER = "review_draw"
ALGORITHM = "random-keys-v1"


# ------------------------------------------------------------------------------ levels and roles
def levels(settings=None) -> tuple[str, ...]:
    return tuple(closure.review_settings(settings).levels)


def approval_target(level: str, settings=None) -> str:
    """Where approving at ``level`` takes a polygon: the next level's queue, or closed."""
    lv = levels(settings)
    return "reviewed" if level == "league" and "province" in lv else "closed"


def levels_for(access, settings=None) -> list[str]:
    """The levels ``access`` reviews (administrators: every configured level)."""
    lv = list(levels(settings))
    if access is None or access.is_admin:
        return lv
    return [x for x in lv if ROLE[x] == access.role]


def _reviewer(access, level: str) -> None:
    if access is None or access.is_admin:
        return
    if access.role != ROLE[level]:
        zh, en = LEVEL_LABEL[level]

        raise PermissionDenied(f"role '{access.role}' may not do the {en.lower()}",
                               f"当前角色不能办理{zh}（需{ROLE_LABELS[ROLE[level]][0]}）")


def offered(t, status: str, settings=None) -> bool:
    """Whether step ``t`` from ``status`` is offered under the configured review levels."""
    if status == "applied" and t.dst == "closed":
        return "province" not in levels(settings)
    if status == "applied" and t.dst == "reviewed":
        return "province" in levels(settings)
    return True


def sent_back(store, access=None, counties=None) -> int:
    """How many polygons the league or the province sent back (已退回) wait in the counties
    ``access`` may see (or ``counties``): the notice an inspector gets on landing."""
    raw, access = unwrap(store, access)
    where: dict = {"status": "returned"}
    mine = access.counties if access is not None and access.counties is not None else None
    if counties:
        mine = sorted(set(counties) & set(mine)) if mine is not None else list(counties)
    if mine is not None:
        if not mine:
            return 0
        where["county_code"] = list(mine)
    return int(raw.count("change", where=where))


def not_by(t, settings=None) -> tuple[str, ...]:
    """The statuses whose recorder may not make step ``t`` (its declaration), unless ``[review]
    same_person`` lets one account make this step after the one before."""
    if t.dst in closure.review_settings(settings).same_person:
        return ()
    return tuple(t.not_by)


# ------------------------------------------------------------------------------ the workflow hook
def on_transition(store, tx, current: dict, merged: dict, t, fields: dict, files: list, comment, at: str,
                  access=None) -> dict:
    """Called by :func:`geo.engine.workflow.transition` for change polygons, inside its transaction:
    the closure requirements, the approval rules, and the review fields each step stamps.
    Returns the fields to set with the step."""
    managed = sorted(set(fields) & MANAGED)
    if managed:
        names = "、".join(S.layer("change").field(n).zh for n in managed)
        raise ValidationError(f"{', '.join(managed)} are kept by the review itself",
                              f"{names}由销号审核流程记录，不能直接填写")
    out = closure.guard(current, merged, t, fields, files)
    src, dst = current["status"], t.dst
    if src in LEVEL_OF and dst in ("closed", "reviewed"):
        _approval_guard(tx, current, LEVEL_OF[src], dst)
    if dst == "applied":  # a polygon sent back in this cycle comes back as a re-submission
        out.update({k: None for k in CHECK_FIELDS})
        out["applied_at"] = at
        again = src == "returned" or bool(current.get("returned_reason"))
        out["review_round"] = int(current.get("review_round") or 0) + 1 if again else 1
    elif dst == "closed":
        out["returned_reason"] = None  # the cycle is over (the reasons stay in the history)
    elif dst == "returned":
        out.update({k: None for k in CHECK_FIELDS})
        out["returned_reason"] = comment
    elif dst == "reviewed":
        out.update({k: None for k in CHECK_FIELDS})
    return out


def _approval_guard(tx, current: dict, level: str, dst: str) -> None:
    lv = levels()
    if level == "league" and dst == "closed" and "province" in lv:
        raise TransitionError("the province spot-check comes after the league review",
                              "按现行配置，盟市审核通过后须报省级抽查，不能直接销号")
    if level == "league" and dst == "reviewed" and "province" not in lv:
        raise TransitionError("no province spot-check is configured", "未配置省级抽查：盟市审核通过即销号")
    fid = int(current["id"])
    entered = _entered(tx, [fid], PENDING[level]).get(fid)
    draw = None
    if entered is not None:
        for rec in _draws(tx, level, current.get("county_code")):
            if any(int(p[0]) == fid and int(p[1]) == entered[0] for p in rec["population"]):
                draw = rec
                break
    county = current.get("county") or current.get("county_code") or ""
    if draw is None:
        raise TransitionError(
            f"no spot-check sample covers polygon #{fid} yet: draw one for its county first",
            f"{county}尚未对该图斑所在的待审核图斑抽取复核样本，请先在审核队列中抽样，再审核通过")
    result = current.get("check_result")
    if fid in {int(i) for i in draw["sample"]} and result in (None, ""):
        raise TransitionError(
            f"polygon #{fid} is in spot-check sample no. {draw['no']}: record its check (field or imagery) first",
            f"该图斑已被抽中复核（第 {draw['no']} 号抽样），需先登记复核结果（实地或影像，附说明或照片），才能审核通过")
    if result == "fail":
        raise TransitionError("the recorded check found it does not meet the conditions: send it back",
                              "复核结果为“不符合销号条件”，请退回旗县补充整改，不能审核通过")


# ------------------------------------------------------------------------------ history lookups
def _utc(value) -> str | None:
    return None if value is None else to_utc_text(value) if not isinstance(value, str) else value


def _entered(tx, ids: list[int], status: str) -> dict[int, tuple[int, str]]:
    """Per polygon: ``(event id, at)`` of its latest step into ``status``."""
    out: dict[int, tuple[int, str]] = {}
    ids = [int(i) for i in ids]
    for k in range(0, len(ids), 900):
        part = ids[k:k + 900]
        rows = tx.query(
            f"SELECT feature_id, id, at FROM events WHERE layer = 'change' AND action = 'transition' "
            f"AND to_status = ? AND feature_id IN ({', '.join('?' * len(part))})", [status, *part])
        for fid, eid, at in rows:
            if int(fid) not in out or int(eid) > out[int(fid)][0]:
                out[int(fid)] = (int(eid), _utc(at))
    return out


def _record(no, at, actor, fields, comment) -> dict:
    rec = json.loads(fields) if isinstance(fields, str) else dict(fields or {})
    rec.update({"no": int(no), "at": _utc(at), "actor": actor, "comment": comment})
    return rec


def _draws(tx, level: str | None = None, county_code: str | None = None) -> list[dict]:
    """Recorded draws (newest first), optionally of one level and county."""
    params, where = [DRAW_LAYER], ""
    if county_code is not None:
        where = " AND fields LIKE ?"
        params.append(f'%"county_code": {json.dumps(str(county_code))}%')
    rows = tx.query(f"SELECT feature_id, at, actor, fields, comment FROM events WHERE layer = ?{where} "
                    "ORDER BY id DESC", params)
    out = []
    for no, at, actor, fields, comment in rows:
        rec = _record(no, at, actor, fields, comment)
        if level is not None and rec.get("level") != level:
            continue
        if county_code is not None and str(rec.get("county_code")) != str(county_code):
            continue
        out.append(rec)
    return out


def draws(store, *, level: str | None = None, county_code: str | None = None, access=None) -> list[dict]:
    """Draws recorded so far, newest first, within the user's counties."""
    raw, access = unwrap(store, access)
    with raw.transaction(write=False) as tx:
        out = _draws(tx, level, county_code)
    if access is not None and access.counties is not None:
        out = [d for d in out if d.get("county_code") in access.counties]
    return out


# ------------------------------------------------------------------------------ sampling
def sample_size(population: int, share: float, minimum: int) -> int:
    """``max(minimum, ⌈share · population⌉)``, never more than the population."""
    if population <= 0:
        return 0
    return min(population, max(int(minimum), math.ceil(share * population - 1e-9)))


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """``n`` split over the strata in proportion to their sizes (largest remainder), with at least
    one from every stratum when ``n`` allows it and never more than a stratum holds."""
    total = sum(sizes.values())
    keys = sorted(sizes)
    if total == 0 or n <= 0:
        return {k: 0 for k in keys}
    if n >= total:
        return dict(sizes)
    quota = {k: n * sizes[k] / total for k in keys}
    alloc = {k: int(math.floor(quota[k])) for k in keys}
    for k in sorted(keys, key=lambda k: (-(quota[k] - alloc[k]), k))[: n - sum(alloc.values())]:
        alloc[k] += 1
    if n >= len(keys):  # every cause is looked at
        for k in keys:
            if alloc[k] == 0:
                donor = max((d for d in keys if alloc[d] > 1), key=lambda d: (alloc[d], d), default=None)
                if donor is None:
                    break
                alloc[donor] -= 1
                alloc[k] = 1
    return alloc


def sample_of(population: list[tuple[int, str]], share: float, minimum: int, seed: int) -> list[int]:
    """The spot-check sample of ``population`` (``(polygon id, stratum)`` pairs) — the documented
    procedure an auditor can repeat with any Python:

    1. ``n = max(minimum, ⌈share · N⌉)`` (at most N); split over the strata by :func:`allocate`;
    2. ``rng = random.Random(seed)``; for each stratum in name order, for each polygon id in
       ascending order, draw ``key = rng.random()``;
    3. in each stratum the polygons with the smallest keys are the sample.

    (``random.Random(seed).random()`` gives the same sequence on every Python version.)
    """
    strata: dict[str, list[int]] = {}
    for fid, stratum in population:
        strata.setdefault(str(stratum), []).append(int(fid))
    n = sample_size(len(population), share, minimum)
    alloc = allocate({k: len(v) for k, v in strata.items()}, n)
    rng = random.Random(int(seed))
    chosen = []
    for k in sorted(strata):
        keyed = [(rng.random(), fid) for fid in sorted(strata[k])]
        chosen.extend(fid for _, fid in sorted(keyed)[: alloc[k]])
    return sorted(chosen)


def redraw(record: dict) -> list[int]:
    """The sample a recorded draw gives when drawn again from its population and seed."""
    pop = [(int(p[0]), str(p[2])) for p in record["population"]]
    return sample_of(pop, float(record["share"]), int(record["min_n"]), int(record["seed"]))


def verify_draw(store, no: int, access=None) -> dict:
    """Redraw recorded draw ``no`` and compare: ``{"no", "seed", "recorded", "redrawn", "ok"}``."""
    found = [d for d in draws(store, access=access) if int(d["no"]) == int(no)]
    if not found:
        raise NotFoundError(f"draw no. {no} does not exist", f"第 {no} 号抽样记录不存在", no=no)
    rec = found[0]
    again = redraw(rec)
    recorded = sorted(int(i) for i in rec["sample"])
    return {"no": int(no), "seed": int(rec["seed"]), "recorded": recorded, "redrawn": again, "ok": again == recorded}


def stratum_of(row: dict) -> str:
    rule = closure.rule_for(row)
    return rule.key if rule is not None else "other"


def draw(store, county_code: str, level: str = "league", *, actor: str, access=None, seed: int | None = None,
         settings=None, at: str | None = None, comment: str | None = None) -> dict:
    """Draw the spot-check sample of one county at ``level`` from the polygons waiting there that
    no earlier draw covered; record it (an append-only event) and return the record."""
    raw, access = unwrap(store, access)
    if level not in levels(settings):
        raise ValidationError(f"level '{level}' is not configured", f"未配置审核层级“{level}”")
    _reviewer(access, level)
    if access is not None and access.counties is not None and county_code not in access.counties:
        raise PermissionDenied(f"{access.user} may not sample county {county_code}", "您无权对该旗县抽样")
    share, minimum = closure.review_settings(settings).share(level)
    seed = int(seed) if seed is not None else secrets.randbelow(2**31 - 1)
    at = at or now_utc()
    pending = PENDING[level]
    with raw.transaction() as tx:
        if raw.backend == "postgis":  # one draw at a time (SQLite's write lock already serialises)
            tx.execute("SELECT pg_advisory_xact_lock(?)", [742001])
        cols = ["id", "county", "kind", "verdict", "verified_cause", "change_cause"]
        rows = tx.query(f"SELECT {', '.join(cols)} FROM {S.layer('change').table} WHERE status = ? AND county_code = ? "
                        "ORDER BY id", [pending, str(county_code)])
        recs = [dict(zip(cols, r)) for r in rows]
        entered = _entered(tx, [r["id"] for r in recs], pending)
        covered = {(int(p[0]), int(p[1])) for d in _draws(tx, level, county_code) for p in d["population"]}
        population = [[int(r["id"]), entered[int(r["id"])][0], stratum_of(r)] for r in recs
                      if int(r["id"]) in entered and (int(r["id"]), entered[int(r["id"])][0]) not in covered]
        county = next((r["county"] for r in recs if r["county"]), county_code)
        if not population:
            raise ValidationError(f"nothing in {county} waits for a draw at this level",
                                  f"{county}目前没有需要抽样的待审核图斑（均已抽样或无待审核图斑）")
        sample = sample_of([(p[0], p[2]) for p in population], share, minimum, seed)
        strata: dict[str, list[int]] = {}
        for fid, _, stratum in population:
            strata.setdefault(stratum, [0, 0])[0] += 1
            if fid in sample:
                strata[stratum][1] += 1
        last = tx.query_one("SELECT MAX(feature_id) FROM events WHERE layer = ?", [DRAW_LAYER])
        no = int(last[0] or 0) + 1
        rec = {"level": level, "county_code": str(county_code), "county": county, "seed": seed, "share": share,
               "min_n": minimum, "algorithm": ALGORITHM, "population": population, "sample": sample,
               "strata": strata}
        text = comment or (f"{LEVEL_LABEL[level][0]}抽样：{county}待审核{len(population)}个，抽取{len(sample)}个"
                           f"（比例{share:.0%}，至少{minimum}个，按变化原因分层；随机种子{seed}）")
        raw.add_events(tx, [(DRAW_LAYER, no, at, actor, "draw", None, None,
                             json.dumps(rec, ensure_ascii=False, sort_keys=True), text, None, 1)])
    return {**rec, "no": no, "at": at, "actor": actor, "comment": text}


# ------------------------------------------------------------------------------ the queue
QUEUE_COLUMNS = ["version", "polygon_no", "county_code", "county", "township", "kind", "verdict", "verified_cause",
                 "change_cause", "area_ha", "review_round", "returned_reason", "check_method", "check_result",
                 "check_note", "applied_at", "batch_id"]


def queue(store, level: str = "league", *, access=None, counties=None, causes=None, min_age_days: int | None = None,
          today: dt.date | None = None, geometry: bool = False) -> pd.DataFrame:
    """The polygons waiting for review at ``level`` as the user may see them, with their closure
    rule (``rule``), time waiting (``entered_at``, ``age_days``), submission number (``review_round``:
    2 or more is a re-submission), and the draw that covers them (``draw_no``, ``sampled``)."""
    raw, acc = unwrap(store, access)
    where: dict = {"status": PENDING[level]}
    if counties:
        where["county_code"] = list(counties)
    if acc is not None and acc.counties is not None:
        where = acc.restrict_where(where) or {"id": []}
    frame = raw.read_layer("change", where=where, columns=QUEUE_COLUMNS, geometry=geometry)
    today = today or today_local()
    cols = ["rule", "rule_zh", "entered_event", "entered_at", "age_days", "draw_no", "sampled", "resubmitted"]
    if frame.empty:
        for c in cols:
            frame[c] = pd.Series(dtype=object)
        return frame
    rules = [closure.rule_for(r) for r in frame.to_dict("records")]
    frame["rule"] = [r.key if r else "other" for r in rules]
    frame["rule_zh"] = [r.zh if r else "其他" for r in rules]
    with raw.transaction(write=False) as tx:
        entered = _entered(tx, frame["id"].astype("int64").tolist(), PENDING[level])
        by_county: dict[str, list[dict]] = {}
        for code in frame["county_code"].dropna().unique().tolist():
            by_county[str(code)] = _draws(tx, level, str(code))
    frame["entered_event"] = [entered.get(int(i), (None, None))[0] for i in frame["id"]]
    frame["entered_at"] = [entered.get(int(i), (None, None))[1] for i in frame["id"]]
    frame["age_days"] = [(today - local_date(a)).days if a else None for a in frame["entered_at"]]
    draw_no, sampled = [], []
    for fid, code, ev in zip(frame["id"], frame["county_code"], frame["entered_event"]):
        hit = None
        for d in by_county.get(str(code), []):
            if any(int(p[0]) == int(fid) and int(p[1]) == ev for p in d["population"]):
                hit = d
                break
        draw_no.append(hit["no"] if hit else None)
        sampled.append(bool(hit) and int(fid) in {int(i) for i in hit["sample"]})
    frame["draw_no"] = pd.Series(draw_no, index=frame.index, dtype=object)
    frame["sampled"] = pd.Series(sampled, index=frame.index, dtype=bool)
    frame["resubmitted"] = pd.to_numeric(frame["review_round"], errors="coerce").fillna(1) > 1
    if causes:
        frame = frame[frame["rule"].isin(list(causes))]
    if min_age_days:
        frame = frame[pd.to_numeric(frame["age_days"], errors="coerce").fillna(0) >= int(min_age_days)]
    return frame.reset_index(drop=True)


# ------------------------------------------------------------------------------ steps
def record_check(store, fid: int, *, method: str, result: str, note: str | None = None,
                 attachments: list[tuple[str, bytes]] | None = None, actor: str, access=None,
                 version: int | None = None, at: str | None = None) -> int:
    """Record the check of a polygon waiting for review (实地 or 影像 核查; 符合 or 不符合), with a
    note or a photo. Returns the polygon's new version."""

    raw, access = unwrap(store, access)
    feat = raw.get_feature("change", fid)
    if access is not None:
        access.check_feature("change", feat)
    check_version(raw, "change", fid, version)  # changed since the reviewer opened it: who and when
    level = LEVEL_OF.get(feat["status"])
    if level is None:
        raise TransitionError(f"polygon #{fid} is not waiting for review",
                              f"该图斑当前状态为“{S.label('status', feat['status'])}”，不在审核中，无需登记复核")
    _reviewer(access, level)
    if method not in METHODS:
        raise ValidationError(f"method must be one of {METHODS}", "复核方式只能是：实地核查、影像核查")
    if result not in RESULTS:
        raise ValidationError(f"result must be one of {RESULTS}", "复核结果只能是：符合销号条件、不符合")
    note = (note or "").strip() or None
    if note is None and not attachments:
        raise ValidationError("a check needs a note or a photo", "登记复核需要填写复核意见或上传照片")
    return workflow.edit(raw, "change", int(fid), actor=actor, version=version, action="check", at=at,
                         fields={"check_method": method, "check_result": result, "check_note": note},
                         comment=note or f"{S.label('check_method', method)}：{S.label('check_result', result)}",
                         attachments=attachments, by_rules=True)


def approve(store, fid: int, *, actor: str, version: int | None = None, comment: str | None = None,
            access=None, at: str | None = None) -> int:
    """Approve a polygon at the level it waits at: closed, or on to the next level."""

    raw, scope = unwrap(store, access)
    feat = raw.get_feature("change", fid)
    if scope is not None:  # (another county's polygon: refused as such, its history not shown)
        scope.check_feature("change", feat)
    check_version(raw, "change", fid, version)  # changed since the reviewer opened it: who and when
    level = LEVEL_OF.get(feat["status"])
    if level is None:
        raise TransitionError(f"polygon #{fid} is not waiting for review",
                              f"该图斑当前状态为“{S.label('status', feat['status'])}”，不在审核中")
    return workflow.transition(store, "change", int(fid), approval_target(level), actor=actor, version=version,
                               comment=comment or "审核通过", access=access, at=at)


def approve_many(store, targets: list[tuple[int, int | None]], *, actor: str, access=None,
                 comment: str | None = None) -> dict:
    """Approve many at once; each polygon under the same rules as one by one (sampled ones need
    their check). ``{"done": [ids], "refused": [{id, message_zh, message_en}]}``."""

    done, refused = [], []
    for fid, version in targets:
        try:
            approve(store, int(fid), actor=actor, version=version, comment=comment or "批量审核通过", access=access)
            done.append(int(fid))
        except GeoError as err:
            refused.append({"id": int(fid), "message_zh": err.zh, "message_en": err.en, "error": type(err).__name__})
    return {"done": done, "refused": refused}


def send_back(store, fid: int, reason: str, *, actor: str, version: int | None = None, access=None,
              attachments: list[tuple[str, bytes]] | None = None, at: str | None = None) -> int:
    """Send a polygon back to its county with ``reason`` (required)."""

    if not (reason or "").strip():
        raise TransitionError("sending back needs a reason", "退回需要填写退回原因")
    return workflow.transition(store, "change", int(fid), "returned", actor=actor, version=version,
                               comment=reason.strip(), access=access, attachments=attachments, at=at)


def return_notice(store, feature: dict) -> dict | None:
    """What the county must see on a polygon sent back: the reason, who sent it back and when,
    and the submission it answered (None unless the polygon is sent back now)."""
    if feature.get("status") != "returned":
        return None
    raw, _ = unwrap(store)
    ev = raw.events("change", int(feature["id"]), actions=["transition"])
    back = ev[ev["to_status"] == "returned"]
    last = back.iloc[-1] if len(back) else None
    return {
        "reason": feature.get("returned_reason") or (last["comment"] if last is not None else None),
        "by": last["actor"] if last is not None else None,
        "at": _utc(last["at"]) if last is not None else None,
        "level": LEVEL_OF.get(last["from_status"]) if last is not None else None,
        "round": int(feature.get("review_round") or 1),
        "times": int(len(back)),
    }


def banner(store, feature: dict, lang: str = "zh") -> tuple[str, str] | None:
    """What the top of a polygon's details must say about its review: ``("error", …)`` when it is
    sent back (the reason, prominently), ``("info", …)`` when it is a re-submission waiting for
    review; None otherwise."""
    text = return_banner(store, feature, lang)
    if text:
        return "error", text
    round_ = int(feature.get("review_round") or 1)
    if feature.get("status") in LEVEL_OF and round_ > 1:
        reason = feature.get("returned_reason")
        if lang == "zh":
            return "info", f"重新申报（第 {round_} 次申报）" + (f"，上次退回原因：{reason}" if reason else "")
        return "info", f"Re-submission (submission {round_})" + (f"; last sent back because: {reason}" if reason else "")
    return None


def return_banner(store, feature: dict, lang: str = "zh") -> str | None:
    """The sent-back notice as one sentence for the top of a polygon's details."""

    n = return_notice(store, feature)
    if n is None:
        return None
    level = LEVEL_LABEL.get(n["level"], ("审核", "review"))
    if lang == "zh":
        return (f"已被{level[0]}退回（第 {n['round']} 次申报，累计退回 {n['times']} 次）：{n['reason'] or '未说明原因'}"
                f" —— {n['by'] or ''}，{fmt_local(n['at'])}。请按退回原因补充材料后“补充材料重新申报”。")
    return (f"Sent back by the {level[1].lower()} (submission {n['round']}, {n['times']} time(s) in all): "
            f"{n['reason'] or 'no reason given'} — {n['by'] or ''}, {fmt_local(n['at'])}. "
            "Supply what is asked and re-submit.")
