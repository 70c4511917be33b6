"""``python -m geo ingest``: the same :func:`prepare` / :func:`commit` as the upload page.

Exit 0: stored (or, with ``--dry-run``, it would be). Exit 2: refused, nothing written, with a
message a person can act on — never a traceback. ``--json`` prints one object (the report's
summary; on refusal also ``error`` and ``message``).
"""

from __future__ import annotations

import json
import os
import sys

from geo.core.errors import GeoError, IngestError
from geo.ingest.archive import Limits, Upload
from geo.ingest.batch import Options, Report, commit, prepare
from geo.ingest.fieldmap import parse_overrides
from geo.ingest.refusal import named, unexpected
from geo.engine.official import default_purpose
from geo.store import open_store
from geo.access.actors import resolve

EMPTY_COUNTS = {"read": 0, "stored": 0, "to_store": 0, "repaired": 0, "rejected": 0, "duplicates": 0,
                "flagged": 0, "repeats": 0}


def options_from_args(args) -> Options:
    return Options(
        layer=args.layer, batch=args.batch, source=args.source, kind=args.kind or ("forest" if args.layer == "change" else None),
        issued_on=args.issued_on, verify_deadline=args.verify_deadline, rectify_deadline=args.rectify_deadline,
        encoding=args.encoding, crs=args.crs, gcj02=bool(args.gcj02), source_layer=args.source_layer,
        mapping=parse_overrides(args.map),
        purpose=getattr(args, "purpose", None)
        or (default_purpose(args.source, official=False) if getattr(args, "unofficial", False) else None),
    )


def _text(report: Report, summary: dict, lang: str) -> str:
    zh = lang == "zh"
    c = summary
    lines = []
    if zh:
        head = "检查通过（未写入，--dry-run）" if c["dry_run"] else f"已导入批次 #{c['batch_id']}"
        lines.append(f"{head}：读取 {c['read']} 个，{'可导入' if c['dry_run'] else '导入'} {c['to_store']} 个，"
                     f"修复 {c['repaired']} 个，拒收 {c['rejected']} 个，重复 {c['duplicates']} 个，"
                     f"提示 {c['flagged']} 个（其中重复图斑 {c['repeats']} 个）")
        lines.append(f"  图层：{c['source_layer']}；编码：{c['encoding'] or '—'}；坐标系：{c['crs']}")
    else:
        head = "Checked (nothing written, --dry-run)" if c["dry_run"] else f"Stored batch #{c['batch_id']}"
        lines.append(f"{head}: read {c['read']}, {'would store' if c['dry_run'] else 'stored'} {c['to_store']}, "
                     f"repaired {c['repaired']}, rejected {c['rejected']}, duplicates {c['duplicates']}, "
                     f"flagged {c['flagged']} (repeats {c['repeats']})")
        lines.append(f"  layer: {c['source_layer']}; encoding: {c['encoding'] or '-'}; CRS: {c['crs']}")
    for note in c["notes"]:
        lines.append(f"  · {note}")
    errs = c["errors"]
    for e in errs[:30]:
        lines.append(f"  [{e['level']}] #{e['feature']} {e.get('label') or ''} {e['field']}: {e['message']}")
    if len(errs) > 30:
        lines.append(f"  … {len(errs) - 30} {'条问题未列出（用 --json 查看全部）' if zh else 'more (see --json)'}")
    return "\n".join(lines)


def run_cli(args, settings) -> int:
    """Run ``ingest`` for parsed ``args``; return the exit code."""

    lang = settings.lang
    report: Report | None = None
    name = os.path.basename(os.path.normpath(str(args.path)))  # the person's file, in every refusal
    try:
        store = open_store(settings.db)
        options = options_from_args(args)
        upload = Upload.from_path(args.path)
        report = prepare(upload, options, store, limits=Limits.from_settings(settings))
        refusal = report.refusal()
        if refusal is not None:
            raise refusal
        if not args.dry_run:
            if not (args.batch or "").strip():
                raise IngestError("give the batch a name with --batch", "请用 --batch 指定批次名称", option="batch")
            # who stores it: an account allowed to upload (staff, administrators), or --system for
            # an administrator on the server (geo.access.actors); a check (--dry-run) needs neither
            store, access, actor = resolve(store, args.actor, args.system)
            commit(report, store, actor=actor, access=access, accept_outside=args.accept_outside)
        summary = report.summary(lang, dry_run=bool(args.dry_run))
        if args.json:
            print(json.dumps(summary, ensure_ascii=False, default=str))
        else:
            print(_text(report, summary, lang))
        return 0
    except GeoError as err:
        return _refused(named(err, name), report, args, lang)
    except Exception as ex:  # noqa: BLE001 - the CLI promises a message, never a traceback
        if os.environ.get("FOREST_DEBUG"):
            raise
        return _refused(unexpected(ex, name), report, args, lang)


def _refused(err: GeoError, report: Report | None, args, lang: str) -> int:
    if report is not None:
        out = report.summary(lang)
        out["stored"] = 0
        out["batch_id"] = None
    else:
        out = {"batch_id": None, "dry_run": bool(getattr(args, "dry_run", False)), **EMPTY_COUNTS, "errors": []}
    out.update({"error": type(err).__name__, "message": err.message(lang),
                **{k: v for k, v in err.details.items() if k not in out}})
    if getattr(args, "json", False):
        print(json.dumps(out, ensure_ascii=False, default=str))
    else:
        if report is not None:
            errs = out["errors"]
            for e in errs[:30]:
                print(f"  [{e['level']}] #{e['feature']} {e.get('label') or ''} {e['field']}: {e['message']}",
                      file=sys.stderr)
        print(err.message(lang), file=sys.stderr)
    return err.exit_code
