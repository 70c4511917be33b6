"""``python -m geo``: everything the dashboard can do, from a shell or a script.

Exit codes: 0 done; 2 refused (bad input, a guard, a wrong status — with the reason); 3 conflict
(someone else changed the feature since ``--version``). ``--json`` prints one JSON object.
Messages follow ``FOREST_LANG`` (``zh`` by default, ``en``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import sys
from pathlib import Path

from geo.cli import enterprise as enterprise_cli
from geo.cli import patrols as patrols_cli
from geo.cli import registers as rcli
from geo.cli import review as review_cli
from geo.cli import zones as zones_cli
from geo.cli.common import add_common as _common
from geo.cli.common import add_reader as _actor
from geo.cli.common import add_writer as _writer
from geo.cli.common import emit as _print
from geo.cli.common import errors_to_log, log_unexpected
from geo.cli.common import pairs as _pairs
from geo.core.config import Settings, load_settings
from geo.core.errors import GeoError, PermissionDenied, ValidationError
from geo.declare import registry as S
from geo.cli.imagery import add_parsers as imagery_parsers
from geo.store import open_store
from geo.cli.ingest import run_cli
from geo.cli.imagery import run as imagery_run
from geo.engine.backup import restore
from geo.access.actors import resolve
from geo.stats.summary import summary
from geo.report.export import scope_label, selection, write
from geo.core import evidence
from geo.engine import workflow
from geo.report import write_report
from geo.engine.backup import backup
from geo.cli import users as users_cli
from geo.items import items as gitems
from geo.engine import official
from geo.demo import build as demo

# the verbs of the parts of the system, each ``(add_parsers, run)``: ``run`` answers None for a
# command that is not its own (in this order on ``--help``, after the registers' generic verbs)
VERBS = (
    (zones_cli.add_parsers, zones_cli.run),
    (patrols_cli.add_parsers, patrols_cli.run),
    (enterprise_cli.add_enterprise_parsers, enterprise_cli.run_enterprise),
    (enterprise_cli.add_sample_parsers, enterprise_cli.run_sample),
    (review_cli.add_parsers, review_cli.run),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="林长制整改一张图 — forest-chief rectification store and workflow",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create an empty store (schema only)")
    _common(p)

    p = sub.add_parser("demo", help="build the demo store (real 兴安盟 boundaries, realistic layers)")
    _common(p)
    p.add_argument("--size", type=int, help="number of change polygons (default: the bulletin's ~1,675)")
    p.add_argument("--seed", type=int, default=20231209)
    p.add_argument("--force", action="store_true", help="replace a store that is not a demo store")
    p.add_argument("--accounts-file", help="also write the demo accounts and passwords to this file")

    p = sub.add_parser("stats", help="the summary screen's figures")
    _common(p)
    _actor(p)
    p.add_argument("--as-of", help="figures as they stood at the end of this date (YYYY-MM-DD)")
    p.add_argument("--batch", type=int, action="append", help="only this batch id (repeatable)")
    p.add_argument("--county", action="append", help="only this county code (repeatable)")

    p = sub.add_parser("export", help="export a layer to gpkg / shp / geojson / kml / xlsx")
    _common(p)
    _actor(p)
    p.add_argument("--layer", required=True, choices=list(S.LAYERS))
    p.add_argument("--format", required=True, choices=["gpkg", "shp", "geojson", "kml", "xlsx"])
    p.add_argument("--out", required=True,
                   help="a file, or a folder: the file is then named for what it holds (变化图斑_突泉县_2026-12-07.gpkg)")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                   help="only features with this value (repeatable)")
    p.add_argument("--id", type=int, action="append", dest="ids", help="only this feature (repeatable)")

    p = sub.add_parser("transition", help="move a feature to another status")
    _common(p)
    p.add_argument("--layer", required=True)
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--to", required=True, help="target status key, e.g. verified")
    _writer(p)
    p.add_argument("--version", type=int, help="the version you saw; refused with exit 3 if it changed")
    p.add_argument("--comment")
    p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE",
                   help="field set with the change, e.g. verdict=illegal (repeatable)")
    p.add_argument("--attach", action="append", default=[], metavar="FILE",
                   help="evidence file (photo or PDF), repeatable")

    p = sub.add_parser("history", help="every event of one feature, oldest first")
    _common(p)
    _actor(p)
    p.add_argument("--layer", required=True)
    p.add_argument("--id", type=int, required=True)

    p = sub.add_parser("ingest", help="check and store a batch file (zip/shp/gpkg/geojson/kml/kmz/gpx)")
    _common(p)
    p.add_argument("path")
    p.add_argument("--layer", required=True,
                   choices=[k for k, lyr in S.LAYERS.items() if lyr.spatial and k != "admin"])
    p.add_argument("--batch", required=True, help="batch name, e.g. 2023年第1期")
    p.add_argument("--source", help="source (国家森林督查 / 自治区 / …); field mappings are remembered per source")
    p.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    p.add_argument("--encoding", help="text encoding of the attribute table (e.g. GBK, UTF-8)")
    p.add_argument("--crs", help="source CRS when the file has none (e.g. EPSG:4526)")
    p.add_argument("--gcj02", action="store_true", help="the source coordinates are GCJ-02 (Gaode/AMap)")
    p.add_argument("--source-layer", help="layer to read when the file holds several")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="map a file column to a layer field (repeatable)")
    p.add_argument("--kind", choices=["forest", "grassland"], help="change polygons: forest or grassland")
    p.add_argument("--issued-on", help="batch issue date")
    p.add_argument("--verify-deadline", help="batch verification deadline")
    p.add_argument("--rectify-deadline", help="batch rectification deadline")
    p.add_argument("--accept-outside", type=int, metavar="N",
                   help="an official batch with N features outside every county of the jurisdiction is stored only "
                        "with this confirmation (N: their number, as the check reports); they are not counted")
    _writer(p, "; without --actor the change is recorded as the system operator")
    purpose = p.add_mutually_exclusive_group()
    purpose.add_argument("--purpose", choices=["official", "candidate", "test", "demo"],
                         help="what the batch counts as (default: candidate for 自动检测 sources, else official); "
                              "only official batches count in the figures and reports")
    purpose.add_argument("--unofficial", action="store_true",
                         help="not official: a test upload (a candidate for 自动检测 sources)")

    p = sub.add_parser("batches", help="list batches, or change what one counts as (promote a candidate)")
    _common(p)
    p.add_argument("action", nargs="?", default="list", choices=["list", "promote", "set"],
                   help="list (default); promote --id N (to official); set --id N --purpose P")
    p.add_argument("--id", type=int, help="batch id")
    p.add_argument("--purpose", choices=["official", "candidate", "test", "demo"])
    p.add_argument("--comment", help="why (recorded with the change)")
    _writer(p, "; who reviews: an administrator or data staff")

    p = sub.add_parser("report", help="the bulletin (docx), the ledger (xlsx) or the rectification plan (plan-docx)")
    _common(p)
    _actor(p)
    p.add_argument("--format", required=True, choices=["docx", "xlsx", "plan-docx"],
                   help="docx: the progress bulletin; xlsx: the ledger; plan-docx: the plan with its problem list")
    p.add_argument("--out", required=True)
    p.add_argument("--as-of", help="as the figures stood at the end of this date")
    p.add_argument("--batch", type=int, action="append", help="only this batch id (repeatable; official batches)")
    p.add_argument("--county", action="append", help="only this county, by code or name (repeatable)")
    p.add_argument("--all-columns", action="store_true",
                   help="ledger: keep the store's own columns too (版本, 更新人, 面积计算坐标系 …)")

    p = sub.add_parser("backup", help="a consistent copy of the live store (recorded in its history)")
    _common(p)
    p.add_argument("--out", required=True)
    _writer(p, "; must be an administrator")

    p = sub.add_parser("restore", help="bring a backup back as the store (recorded: which backup replaced what)")
    _common(p)
    p.add_argument("backup")
    p.add_argument("--force", action="store_true", help="replace an existing store")
    _writer(p, "; must be an administrator of the store being replaced (with no store yet: --system)")

    p = sub.add_parser("users", help="list, add, reset or disable accounts")
    _common(p)
    p.add_argument("action", choices=["list", "add", "reset", "disable", "enable", "lang"])
    p.add_argument("--name")
    p.add_argument("--display-name")
    p.add_argument("--role", choices=["admin", "staff", "inspector", "leader", "league_reviewer", "province_checker"])
    p.add_argument("--county", action="append", default=[])
    p.add_argument("--password", help="the password to set (add/reset; checked against the password rule); "
                   "without it a random one is made and printed")
    p.add_argument("--lang", choices=["zh", "en"], help="lang: the language the account's dashboard opens in")
    _writer(p, "; must be an administrator (lang: or the account itself)")

    p = sub.add_parser("items", help="rectification items: import a problem list, link features by a saved query")
    p.add_argument("action", choices=["list", "import", "link", "reapply"])
    _common(p)
    _writer(p)
    p.add_argument("path", nargs="?", help="import: the Excel/CSV list")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD")
    p.add_argument("--id", type=int, help="link: the item")
    p.add_argument("--layer", default="change", help="link: the layer of the features")
    p.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE", help="link: a condition (repeatable)")
    p.add_argument("--dry-run", action="store_true")

    rcli.add_parsers(sub, _common, _writer, _actor)  # every register's verbs (list/add/edit/op/import-table, …)
    for add, _ in VERBS:
        add(sub, _common, _writer, _actor)

    imagery_parsers(sub, _common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except GeoError as err:  # a settings file that cannot be used: its message, no traceback
        lang = "en" if os.environ.get("FOREST_LANG") == "en" else "zh"
        print(err.message(lang), file=sys.stderr)
        return err.exit_code
    if args.db:
        settings = dataclasses.replace(settings, db=args.db)
    with errors_to_log(settings) as log_path:  # (tracebacks go to the log, never to the terminal)
        try:
            return _run(args, settings)
        except GeoError as err:
            if getattr(args, "json", False):
                print(json.dumps(err.as_dict(settings.lang), ensure_ascii=False, default=str))
            else:
                print(err.message(settings.lang), file=sys.stderr)
            return err.exit_code
        except KeyboardInterrupt:
            print("已中断" if settings.lang == "zh" else "interrupted", file=sys.stderr)
            return 130
        except Exception as ex:  # noqa: BLE001 - the CLI promises a message, never a traceback
            if os.environ.get("FOREST_DEBUG"):
                raise
            log_unexpected(ex, argv)
            where_en = f"; the details are in {log_path}" if log_path else ""
            where_zh = f"（详细记录见 {log_path}）" if log_path else ""
            err = GeoError(f"the command failed unexpectedly ({type(ex).__name__}); nothing was changed — please "
                           f"report this with the command you ran{where_en}",
                           f"命令执行时发生意外错误，未作任何修改。请将所执行的命令报告给系统管理员{where_zh}")
            print(err.message(settings.lang), file=sys.stderr)
            return 1


def _run(args, settings: Settings) -> int:

    cmd = args.command
    if cmd == "init":
        store = open_store(settings.db, create=True)
        _print({"store": settings.db, "backend": store.backend, "created": True}, args.json)
        return 0
    if cmd == "demo":
        return _demo(args, settings)
    if cmd == "ingest":

        return run_cli(args, settings)
    if cmd in ("imagery", "basemap"):

        return imagery_run(args, settings)
    if cmd == "restore":
        actor = _restore_actor(args, settings)
        facts = restore(args.backup, settings.db, force=args.force, actor=actor)
        _print({"restored": settings.db, "from": args.backup, "actor": actor, "sha256": facts["sha256"],
                "replaced": facts["replaced"]}, args.json)
        return 0

    store = open_store(settings.db)
    access = None
    if cmd in ("stats", "export", "history", "transition", "users", "report"):

        writes = cmd == "transition" or (cmd == "users" and args.action != "list")
        store, access, actor = resolve(store, getattr(args, "actor", None), getattr(args, "system", False),
                                       write=writes)
        args.actor = actor
    if cmd == "stats":

        _official_batches(store, args.batch)
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
        counties = args.county
        if access is not None and access.counties is not None:
            counties = [c for c in (counties or sorted(access.counties)) if c in access.counties] or ["-"]
        _print(summary(store, as_of=as_of, batch_ids=args.batch, counties=counties), True)
        return 0
    if cmd == "export":

        where = _pairs(args.where, "--where")
        lyr, frame = selection(store, args.layer, ids=args.ids, where=where or None)
        path = write(frame, lyr, args.format, args.out, settings.lang, scope=scope_label(store, frame, settings.lang))
        _print({"layer": args.layer, "format": args.format, "out": str(path), "features": len(frame)}, args.json)
        return 0
    if cmd == "transition":

        new_version = workflow.transition(
            store, args.layer, args.id, args.to, actor=args.actor, version=args.version,
            comment=args.comment, fields=_pairs(args.field, "--field"),
            attachments=evidence.read_files(args.attach),
        )
        if args.json:
            _print({"layer": args.layer, "id": args.id, "status": args.to, "version": new_version}, True)
        else:
            print(new_version)
        return 0
    if cmd == "history":
        events = store.history(args.layer, args.id)
        if args.json:
            _print(events, True)
        else:
            lang = settings.lang
            for e in events:
                arrow = f"{S.label('status', e['from_status'], lang) or '—'} → {S.label('status', e['to_status'], lang)}"
                print(f"{e['at']}  v{e['version']}  {e['actor']}  {e['action']}  {arrow}  {e['comment'] or ''}")
        return 0
    if cmd == "report":

        _official_batches(store, args.batch)
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
        counties = _county_codes(store, args.county)
        path = write_report(store, args.format, args.out, settings=settings, as_of=as_of, batch_ids=args.batch,
                            counties=counties, internal=args.all_columns)
        _print({"format": args.format, "out": str(path), "counties": counties or [], "batches": args.batch or []},
               args.json)
        return 0
    if cmd == "backup":
        store, access, actor = resolve(store, args.actor, args.system)
        if not access.is_admin:
            raise PermissionDenied("only administrators make backups", "只有系统管理员可以备份数据库")
        out = backup(store, args.out, actor=actor)
        _print({"backup": str(out), "store": settings.db, "actor": actor}, args.json)
        return 0
    if cmd == "users":

        return users_cli.run(store, args, access)
    if cmd == "items":

        store, access, actor = resolve(store, args.actor, args.system, write=args.action != "list")
        if args.action == "list":
            frame = gitems.progress(store)
            _print(json.loads(frame.to_json(orient="records", force_ascii=False)), True)
        elif args.action == "import":
            if not args.path:
                raise ValidationError("import needs the list file", "请指定问题清单文件")
            overrides = {k: (v or None) for k, v in _pairs(args.map, "--map").items()}
            _print(gitems.import_list(store, args.path, actor=actor, access=access, overrides=overrides,
                                      dry_run=args.dry_run), args.json)
        elif args.action == "link":
            where = {}
            for k, v in _pairs(args.where, "--where").items():
                where[k] = [x for x in v.split(",")] if "," in v else v
            n = gitems.link_query(store, args.id, args.layer, where, actor=actor, access=access)
            _print({"item": args.id, "linked": n}, args.json)
        else:
            _print(gitems.reapply_queries(store, actor=actor, access=access), True)
        return 0
    if cmd == "batches":
        return _batches(store, args, settings)
    return _register_command(args, settings, store)


def _restore_actor(args, settings: Settings) -> str:
    """Who restores: an administrator of the store the backup replaces (``--actor``), or the
    system operator (``--system``; the only way when there is no store yet)."""
    if not args.actor:
        return resolve(None, None, args.system)[2]  # (refuses when neither is given)
    try:
        store = open_store(settings.db)
    except GeoError:
        store = None
    if store is None or not store.exists():
        raise ValidationError(
            f"there is no store at {settings.db} to check the account '{args.actor}' against; restore with --system",
            f"{settings.db} 处还没有数据库，无法核对账号“{args.actor}”，请以管理员身份使用 --system 恢复",
            option="actor")
    _, access, actor = resolve(store, args.actor, args.system)
    if not access.is_admin:
        raise PermissionDenied("only administrators restore backups", "只有系统管理员可以恢复数据库备份")
    return actor


def _official_batches(store, batch_ids) -> None:
    """Refuse batches that do not count (not official), saying how to make them count."""
    if not batch_ids:
        return

    purpose = official.purposes(store)
    for b in batch_ids:
        if b not in purpose:
            raise ValidationError(f"batch #{b} does not exist", f"批次 #{b} 不存在")
        if purpose[b] != "official":
            raise ValidationError(
                f"batch #{b} is a {purpose[b]} batch and does not count in the figures; a reviewer can "
                f"promote it: python -m geo batches promote --id {b}",
                f"批次 #{b} 为{official.label(purpose[b])}批次，不计入统计；如经审核应计入，请先转为正式批次"
                f"（python -m geo batches promote --id {b}）")


def _county_codes(store, wanted) -> list[str] | None:
    """County codes from codes or names (``--county 152224`` or ``--county 突泉县``)."""
    if not wanted:
        return None
    admin = store.read_layer("admin", where={"level": "county"}, columns=["code", "name"], geometry=False)
    by_name = dict(zip(admin["name"], admin["code"]))
    codes = set(admin["code"])
    out = []
    for w in wanted:
        code = w if w in codes else by_name.get(w)
        if code is None:
            raise ValidationError(f"unknown county '{w}'; known: {', '.join(sorted(by_name))}",
                                  f"未知旗县“{w}”，可选：{'、'.join(sorted(by_name))}")
        out.append(code)
    return out


def _batches(store, args, settings: Settings) -> int:
    import pandas as pd

    if args.action in ("promote", "set"):
        if args.id is None:
            raise ValidationError("give the batch with --id", "请用 --id 指定批次编号")
        if args.action == "set" and not args.purpose:
            raise ValidationError("give the new purpose with --purpose", "请用 --purpose 指定批次性质")

        store, access, actor = resolve(store, args.actor, getattr(args, "system", False))
        purpose = "official" if args.action == "promote" else args.purpose
        was = official.set_purpose(store, args.id, purpose, actor=actor, access=access,
                                   comment=args.comment)
        _print({"batch_id": args.id, "purpose": purpose, "was": was}, args.json)
        return 0
    b = store.batches()
    rows = [{"id": int(r["id"]), "name": r["name"], "layer": r["layer"], "source": r["source"],
             "purpose": r.get("purpose") or official.default_purpose(r["source"]),
             "features": None if pd.isna(r["feature_count"]) else int(r["feature_count"]),
             "uploaded_at": r["uploaded_at"]} for _, r in b.iterrows()]
    if args.json:
        _print({"batches": rows}, True)
    else:
        for r in rows:
            print(f"#{r['id']:<4} {official.label(r['purpose'], settings.lang):<10} {r['layer']:<11} "
                  f"{r['features'] if r['features'] is not None else '—':>7}  {r['name']}")
    return 0


def _register_command(args, settings: Settings, store) -> int:
    """Verbs from geo.declare.registry: the generic ones and each register's own."""

    verb = next((getattr(args, k) for k in ("action", "verb", "sample_command") if getattr(args, k, None)), None)
    writes = args.command != "list" and verb not in (
        "check", "list", "verify", "coverage", "people", "show")  # (reads: an account only narrows them)
    if getattr(args, "reads", False):  # a register's own verbs may say they only read (geo.cli.review)
        writes = False
    store, access, actor = resolve(store, getattr(args, "actor", None), getattr(args, "system", False),
                                   write=writes)
    if args.command in rcli.COMMANDS:
        return rcli.run(args, settings, store, access, actor)
    for _, run in VERBS:
        done = run(args, settings, store, access, actor)
        if done is not None:
            return done
    raise AssertionError(args.command)


def _demo(args, settings: Settings) -> int:

    if not settings.is_postgis and Path(settings.db).exists() and not args.force:
        store = open_store(settings.db)
        if store.meta("demo") is None:
            raise ValidationError(
                f"{settings.db} holds real data (it is not a demo store); pass --force to replace it",
                f"{settings.db} 不是示例库（含真实数据），如确需覆盖请加 --force",
            )
    log = (lambda *a: None) if args.json else (lambda msg: print(msg, file=sys.stderr))
    summary = demo.build(settings.db, size=args.size, seed=args.seed, log=log)
    accounts = summary["accounts"]
    if args.accounts_file:
        lines = [f"{n}\t{a['role']}\t{a['password']}\t{','.join(a['counties'])}" for n, a in accounts.items()]
        Path(args.accounts_file).write_text("用户名\t角色\t密码\t旗县\n" + "\n".join(lines) + "\n", encoding="utf-8")
    if args.json:
        _print(summary, True)
    else:
        print(f"示例数据库已生成：{settings.db}")
        print(f"  变化图斑 {summary['change_polygons']} 个，批次 {len(summary['batches']) + (1 if summary.get('detected') else 0)} 个，"
              f"公示牌 {summary['signboards']} 个，巡护轨迹 {summary['patrols']} 条")
        print("  示例账号（仅本次显示，请妥善保存）：")
        for name, a in accounts.items():
            print(f"    {name:<24} {a['role']:<10} 密码 {a['password']}")
    return 0
