"""``python -m geo patrol import|coverage|people``: ranger and chief patrol tracks.

``import`` takes the same choices as the patrol page's form: who patrolled (``--patroller``), at
what level (``--level``) and over which period (``--from``/``--to``: a track started outside it is
listed as a hint); the batch is named after them unless ``--batch`` names it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from geo.cli.common import emit
from geo.core.errors import IngestError, ValidationError
from geo.core.timeutil import as_date, today_local
from geo.fieldwork.patrols import by_person, coverage, import_files


def add_parsers(sub, common, writer, reader) -> None:
    p = sub.add_parser("patrol", help="patrol tracks: import GPX/KML/CSV (or a zip of them); coverage of zones")
    p.add_argument("action", choices=["import", "coverage", "people"])
    common(p)
    writer(p)
    p.add_argument("files", nargs="*", help="import: GPX, KML, CSV files or zips")
    p.add_argument("--batch", help="import: batch name (default: patroller, level and period)")
    p.add_argument("--patroller", help="import: who patrolled (巡护人); default: the person the file names, else the track's name")
    p.add_argument("--level", help="import: the patroller's level (ranger, village_chief, township_chief, banner_chief, "
                                   "league_chief); coverage: zone level (village, township, banner, grid)")
    p.add_argument("--from", dest="start", help="import: the period's first day; coverage/people: first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", help="import: the period's last day; coverage/people: last day")
    p.add_argument("--county", action="append")
    p.add_argument("--dry-run", action="store_true")


def run(args, settings, store, access, actor):
    if args.command != "patrol":
        return None
    if args.action == "import":
        if not args.files:
            raise ValidationError("import needs GPX, KML or CSV files", "导入轨迹需要 GPX、KML 或 CSV 文件")
        if bool(args.start) != bool(args.end):
            raise ValidationError("give the period with both --from and --to", "巡护期间需要同时给出 --from 和 --to")
        files = []
        for f in args.files:
            try:
                files.append((Path(f).name, Path(f).read_bytes()))
            except OSError:
                raise IngestError(f"cannot read {f}", f"无法读取文件“{Path(f).name}”") from None
        period = (as_date(args.start), as_date(args.end)) if args.start else None
        report = import_files(store, files, batch=args.batch, actor=actor, access=access, actor_level=args.level,
                              patroller=args.patroller, period=period, dry_run=args.dry_run)
        emit(report.summary(settings.lang, dry_run=args.dry_run), True)
        return 0
    end = as_date(args.end) if args.end else today_local()
    start = as_date(args.start) if args.start else end - dt.timedelta(days=365)
    if args.action == "coverage":
        table, _ = coverage(store, start, end, level=args.level or "village", counties=args.county)
        emit(json.loads(table.to_json(orient="records", force_ascii=False)), True)
    else:
        emit(json.loads(by_person(store, start, end, args.county).to_json(orient="records", force_ascii=False)), True)
    return 0
