"""``python -m geo zones check|replace``: the responsibility zones' gaps and overlaps, and a
county's zones replaced by a new version."""

from __future__ import annotations

from geo.chief.zones import check, read_file, replace, summary
from geo.cli.common import emit
from geo.core.errors import ValidationError


def add_parsers(sub, common, writer, reader) -> None:
    p = sub.add_parser("zones", help="responsibility zones: check them, or replace a county's zones by a new version")
    p.add_argument("action", choices=["check", "replace"])
    common(p)
    writer(p)
    p.add_argument("path", nargs="?", help="replace: the new zones file (shp/zip/gpkg/geojson)")
    p.add_argument("--county", help="county code (adcode), e.g. 152224")
    p.add_argument("--from", dest="valid_from", help="replace: the date the new zones start (default today)")
    p.add_argument("--encoding")
    p.add_argument("--crs")
    p.add_argument("--source-layer")


def run(args, settings, store, access, actor):
    if args.command != "zones":
        return None
    if args.action == "check":
        problems = check(store, args.county)
        out = {k: [{kk: vv for kk, vv in p.items() if kk != "geometry"} for p in v] for k, v in problems.items()}
        emit({"summary": summary(problems), **out}, True)
        return 0
    if not args.path or not args.county:
        raise ValidationError("replace needs the zones file and --county", "替换责任区需要新的责任区文件和 --county 旗县代码")
    frame = read_file(store, args.path, encoding=args.encoding, crs=args.crs, source_layer=args.source_layer)
    result = replace(store, args.county, frame, valid_from=args.valid_from, actor=actor, access=access)
    emit(result, args.json)
    return 0
