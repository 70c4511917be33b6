"""Command-line verbs of the closure review, escalation and the weekly brief (hooked into
``python -m geo`` through the register engine's CLI extension, see :mod:`geo.chief.orders`).

Applying for closure is the ordinary ``transition --to applied`` (it refuses what the cause needs
and names it, exit 2). Then::

    python -m geo review rules                                  # the closure requirements table
    python -m geo review queue --level league [--county 152224] [--cause illegal] [--min-age 7] --actor lg
    python -m geo review draw --county 152224 [--seed 42] --actor league_reviewer
    python -m geo review verify-draw --no 3                     # redraw from the recorded seed
    python -m geo review check --id 42 --method field --result pass --note "实地核查属实" --actor …
    python -m geo review approve --id 42 [--id 43 …] --actor …  # sampled ones need their check
    python -m geo review send-back --id 42 --reason "缺少审核同意书扫描件" --actor …
    python -m geo review figures [--as-of 2024-06-30]
    python -m geo escalation list | notices --out 督办单/
    python -m geo brief [--week 2024-06-03] [--format docx --out 周报.docx]

Exit codes as everywhere: 0 done, 2 refused (with the reason), 3 conflict.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from geo.core.errors import ValidationError
from geo.change import review
from geo.cli.common import emit as _print
from geo.change import closure
from geo.core import evidence
from geo.change.review_figures import figures
from geo.change import escalation as E
from geo.core.timeutil import today_local
from geo.report import brief as B

READS = {"rules", "queue", "verify-draw", "figures", "list", "notices"}


class _Action(argparse.Action):
    """The positional action; also says whether the command only reads (no --actor needed)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        namespace.reads = values in READS


def add_parsers(sub, common, writer, reader) -> None:
    p = sub.add_parser("review", help="closure review: rules, queue, sample draw, check, approve, send back, figures")
    common(p)
    writer(p)
    p.add_argument("action", action=_Action,
                   choices=["rules", "queue", "draw", "verify-draw", "check", "approve", "send-back", "figures"])
    p.add_argument("--level", choices=["league", "province"], help="review level (default: the actor's)")
    p.add_argument("--county", action="append", help="county code (repeatable for queue/figures)")
    p.add_argument("--cause", action="append", help="queue: closure rule key (logging, approved_use, …)")
    p.add_argument("--min-age", type=int, help="queue: waiting at least this many days")
    p.add_argument("--seed", type=int, help="draw: the random seed (default: a new one, recorded)")
    p.add_argument("--no", type=int, help="verify-draw: the draw number")
    p.add_argument("--id", type=int, action="append", dest="ids", help="polygon id (repeatable for approve)")
    p.add_argument("--version", type=int, help="the version you saw (one polygon)")
    p.add_argument("--method", choices=["field", "imagery"], help="check: 实地 or 影像")
    p.add_argument("--result", choices=["pass", "fail"], help="check: 符合 or 不符合")
    p.add_argument("--note", help="check: what was found")
    p.add_argument("--reason", help="send-back: why (required)")
    p.add_argument("--comment")
    p.add_argument("--attach", action="append", default=[], metavar="FILE")
    p.add_argument("--as-of", help="figures: as of the end of this date")
    p.set_defaults(reads=False)

    p = sub.add_parser("escalation", help="overdue work escalated to chiefs; their 提示单/督办单 (docx)")
    common(p)
    reader(p)
    p.add_argument("action", choices=["list", "notices"])
    p.add_argument("--out", help="notices: folder for one .docx per chief")
    p.add_argument("--today", help="judge overdue against this date (default: today)")
    p.set_defaults(reads=True)

    p = sub.add_parser("brief", help="the weekly one-page brief (json, or docx with --out)")
    common(p)
    reader(p)
    p.add_argument("--week", help="any date in the week (default: last week)")
    p.add_argument("--format", choices=["json", "docx"], default="json")
    p.add_argument("--out")
    p.set_defaults(reads=True)


def _date(text):

    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"'{text}' is not a date (YYYY-MM-DD)", f"“{text}”不是有效日期（年-月-日）") from None


def _level(args, access) -> str:

    if args.level:
        return args.level
    mine = review.levels_for(access) if access is not None else list(review.levels())
    return mine[0] if mine else "league"


def run(args, settings, store, access, actor):

    if args.command == "review":
        return _review(args, settings, store, access, actor, _print)
    if args.command == "escalation":
        return _escalation(args, settings, store, _print)
    if args.command == "brief":
        return _brief(args, settings, store, _print)
    return None


def _one(args):

    if not args.ids or len(args.ids) != 1:
        raise ValidationError("give one polygon with --id", "请用 --id 指定一个图斑")
    return args.ids[0]


def _review(args, settings, store, access, actor, out) -> int:

    act = args.action
    if act == "rules":
        out(closure.describe(settings, settings.lang), args.json)
        return 0
    if act == "queue":
        q = review.queue(store, _level(args, access), access=access, counties=args.county, causes=args.cause,
                         min_age_days=args.min_age)
        cols = ["id", "version", "polygon_no", "county", "rule", "review_round", "resubmitted", "age_days", "draw_no",
                "sampled", "check_method", "check_result"]
        out(json.loads(q[[c for c in cols if c in q]].to_json(orient="records", force_ascii=False)), args.json)
        return 0
    if act == "draw":
        if not args.county or len(args.county) != 1:
            raise ValidationError("give one county with --county", "请用 --county 指定一个旗县代码")
        rec = review.draw(store, args.county[0], _level(args, access), actor=actor, access=access, seed=args.seed,
                          settings=settings, comment=args.comment)
        out({k: rec[k] for k in ("no", "level", "county", "seed", "share", "min_n", "sample", "strata", "comment")}
            | {"population": len(rec["population"])}, args.json)
        return 0
    if act == "verify-draw":
        if args.no is None:
            raise ValidationError("give the draw number with --no", "请用 --no 指定抽样编号")
        res = review.verify_draw(store, args.no, access=access)
        out(res, args.json)
        return 0 if res["ok"] else 1
    if act == "check":
        if not args.method or not args.result:
            raise ValidationError("a check needs --method and --result", "登记复核需要 --method（field/imagery）和 --result（pass/fail）")
        v = review.record_check(store, _one(args), method=args.method, result=args.result, note=args.note,
                                attachments=evidence.read_files(args.attach), actor=actor, access=access,
                                version=args.version)
        out({"id": _one(args), "version": v}, args.json)
        return 0
    if act == "approve":
        if not args.ids:
            raise ValidationError("give the polygons with --id", "请用 --id 指定图斑")
        if len(args.ids) == 1:
            v = review.approve(store, args.ids[0], actor=actor, version=args.version, comment=args.comment, access=access)
            out({"id": args.ids[0], "version": v}, args.json)
            return 0
        res = review.approve_many(store, [(i, None) for i in args.ids], actor=actor, access=access, comment=args.comment)
        out(res, args.json)
        return 0 if not res["refused"] else 2
    if act == "send-back":
        v = review.send_back(store, _one(args), args.reason or "", actor=actor, version=args.version, access=access,
                             attachments=evidence.read_files(args.attach))
        out({"id": _one(args), "version": v}, args.json)
        return 0
    if act == "figures":
        out(figures(store, as_of=_date(args.as_of), counties=args.county), True)
        return 0
    raise AssertionError(act)


def _escalation(args, settings, store, out) -> int:

    today = _date(args.today) or today_local()
    frame = E.escalations(store, today=today, settings=settings)
    items = E.overdue_items(store, today, settings)
    groups = E.by_chief(frame, items)
    if args.action == "list":
        out([{"level": g["level"], "notice": g["notice"], "chief_title": g["chief_title"], "chief_name": g["chief_name"],
              "zone": g["zone"], "polygons": g["polygons"]["id"].astype(int).tolist(),
              "items": g["items"]["id"].astype(int).tolist() if len(g["items"]) else []} for g in groups], args.json)
        return 0
    folder = Path(args.out or ".")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for k, g in enumerate(groups, start=1):
        path = folder / E.notice_name(g, today)
        path.write_bytes(E.notice_docx(g, settings, today, k))
        written.append(str(path))
    out({"written": written}, args.json)
    return 0


def _brief(args, settings, store, out) -> int:

    b = B.brief(store, _date(args.week), settings=settings)
    if args.format == "docx":
        path = Path(args.out or B.file_name(b))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(B.brief_docx(b, settings))
        out({"out": str(path), "week": [b["start"].isoformat(), b["end"].isoformat()]}, args.json)
        return 0
    late = b["became_overdue"]
    out({"week": [b["start"].isoformat(), b["end"].isoformat()], "counts": b["counts"],
         "became_overdue": json.loads(late[[c for c in ("id", "polygon_no", "county", "due", "days_overdue", "link")
                                            if c in late]].to_json(orient="records", force_ascii=False)),
         "behind": b["behind"]}, True)
    return 0
