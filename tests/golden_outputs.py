"""What a user sees of the demo, as text, for the before/after comparison of a code move
(tests/test_golden.py): ``python -m geo demo --json``, ``python -m geo stats --json``, and the text
of the bulletin (docx) and the ledger (xlsx). Run under ``faketime`` at a fixed instant so the
demo's dates and the figures' "today" are the same on every machine and day.

``python tests/golden_outputs.py OUT_DIR`` writes demo.json, stats.json, bulletin.txt, ledger.txt.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _geo(db: Path, *args: str) -> str:
    env = {"FOREST_DB": str(db), "PATH": "/usr/bin:/bin", "FOREST_LANG": "zh", "HOME": str(db.parent),
           "PYTHONPATH": str(ROOT)}
    # the fixed instant reaches the CLI too (faketime's library and its setting: without them the
    # demo would be built at the real hour and day, and differ from one run to the next)
    env.update({k: v for k, v in os.environ.items() if k.startswith("FAKETIME") or k in ("LD_PRELOAD", "TZ")})
    out = subprocess.run([sys.executable, "-m", "geo", *args], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"geo {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out.stdout


def docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    lines = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            lines.append(" | ".join(c.text for c in row.cells))
    return "\n".join(lines)


def xlsx_text(path: Path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(str(path), read_only=True)
    lines = []
    for ws in wb.worksheets:
        lines.append(f"## {ws.title}")
        for row in ws.iter_rows(values_only=True):
            lines.append(" | ".join("" if v is None else str(v) for v in row))
    return "\n".join(lines)


# a clock that advances while the demo builds: seconds differ between runs, days do not
_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")


def write_all(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.gpkg"
    if db.exists():
        db.unlink()
    demo = json.loads(_geo(db, "demo", "--json"))
    demo.pop("store", None)
    for acc in demo.get("accounts", {}).values():
        acc.pop("password", None)
    (out / "demo.json").write_text(json.dumps(demo, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    stats = json.loads(_geo(db, "stats", "--json"))
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    _geo(db, "report", "--format", "docx", "--out", str(out / "bulletin.docx"))
    (out / "bulletin.txt").write_text(_CLOCK.sub("hh:mm", docx_text(out / "bulletin.docx")), encoding="utf-8")
    _geo(db, "report", "--format", "xlsx", "--out", str(out / "ledger.xlsx"))
    (out / "ledger.txt").write_text(_CLOCK.sub("hh:mm", xlsx_text(out / "ledger.xlsx")), encoding="utf-8")


if __name__ == "__main__":
    write_all(Path(sys.argv[1]))
