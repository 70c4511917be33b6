"""Command-line verbs every register gets from its declaration:

``list``, ``add``, ``edit``, ``op`` (a register operation such as ``appoint`` or ``payment``) and
``import-table`` (an Excel/CSV list with a field mapping), beside the verbs every layer already
had (``ingest``, ``transition``, ``history``, ``export``). Changes name an account (``--actor``) or
``--system``; reads may name an account to see only its counties.
"""

from __future__ import annotations

import json

from geo.declare import registry as S
from geo.cli.common import emit as _print
from geo.cli.common import pairs as _pairs
from geo.core.errors import ValidationError
from geo.engine import operations, records
from geo.core import evidence
from geo.engine import workflow
from geo.ingest import tables


def _geometry(args):

    if getattr(args, "lon", None) is not None or getattr(args, "lat", None) is not None:
        return records.point(args.lon, args.lat)
    if getattr(args, "wkt", None):
        import shapely

        try:
            return shapely.from_wkt(args.wkt)
        except Exception:  # noqa: BLE001 - shapely raises several kinds
            raise ValidationError("--wkt is not valid WKT", "--wkt 不是有效的 WKT 图形") from None
    return None


def add_parsers(sub, common, writer, reader) -> None:
    layers = list(S.LAYERS)
    p = sub.add_parser("list", help="records of a register (as the account may see them)")
    common(p)
    reader(p)
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE")

    p = sub.add_parser("add", help="add one record to a register")
    common(p)
    writer(p)
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--lon", type=float)
    p.add_argument("--lat", type=float)
    p.add_argument("--wkt", help="the record's geometry as WKT (EPSG:4490)")
    p.add_argument("--attach", action="append", default=[], metavar="FILE")
    p.add_argument("--comment")
    p.add_argument("--outside", action="store_true",
                   help="confirm a place outside every county of the jurisdiction (data staff, administrators); "
                        "the record is flagged as out of area")

    p = sub.add_parser("edit", help="change fields of one record (not its status)")
    common(p)
    writer(p)
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--version", type=int)
    p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--lon", type=float)
    p.add_argument("--lat", type=float)
    p.add_argument("--wkt")
    p.add_argument("--attach", action="append", default=[], metavar="FILE")
    p.add_argument("--comment")

    p = sub.add_parser("op", help="a register's operation on one record (e.g. appoint, payment, inspect)")
    common(p)
    writer(p)
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--id", type=int, required=True)
    p.add_argument("operation")
    p.add_argument("--version", type=int, help="the record's version you saw (refused if it has changed since)")
    p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--lon", type=float)
    p.add_argument("--lat", type=float)
    p.add_argument("--attach", action="append", default=[], metavar="FILE")
    p.add_argument("--comment")

    p = sub.add_parser("import-table", help="import an Excel/CSV list into a register (field mapping as the upload)")
    common(p)
    writer(p)
    p.add_argument("path")
    p.add_argument("--layer", required=True, choices=layers)
    p.add_argument("--sheet", action="append", help="only this sheet (repeatable; default: every sheet)")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD")
    p.add_argument("--dry-run", action="store_true")


COMMANDS = ("list", "add", "edit", "op", "import-table")


def run(args, settings, store, access, actor) -> int:

    cmd = args.command
    if cmd == "list":
        frame = records.listing(store, args.layer, where=_pairs(args.where, "--where") or None)
        _print(json.loads(frame.to_json(orient="records", force_ascii=False)) if args.json
               else frame.to_string(index=False), args.json)
        return 0
    if cmd == "add":
        fid = records.add(store, args.layer, _pairs(args.field, "--field"), geometry=_geometry(args), actor=actor,
                          access=access, comment=args.comment, attachments=evidence.read_files(args.attach),
                          outside_ok=args.outside)
        _print({"layer": args.layer, "id": fid, "version": 1}, args.json)
        return 0
    if cmd == "edit":
        v = workflow.edit(store, args.layer, args.id, actor=actor, fields=_pairs(args.field, "--field"),
                          version=args.version, comment=args.comment, access=access, geometry=_geometry(args),
                          attachments=evidence.read_files(args.attach))
        _print({"layer": args.layer, "id": args.id, "version": v}, args.json)
        return 0
    if cmd == "op":
        result = operations.operate(store, args.layer, args.id, args.operation, _pairs(args.field, "--field"), actor=actor,
                         access=access, comment=args.comment, attachments=evidence.read_files(args.attach),
                         geometry=_geometry(args), version=args.version)
        _print({"layer": args.layer, "id": args.id, "operation": args.operation, "result": result}, args.json)
        return 0
    if cmd == "import-table":

        report = tables.import_file(store, args.layer, args.path, actor=actor, access=access,
                                    sheets=args.sheet, overrides=_pairs(args.map, "--map"), dry_run=args.dry_run)
        _print(report, args.json)
        return 0
    raise AssertionError(cmd)
