"""Nothing a user sees changes unless it is meant to: the demo's summary, ``stats --json``, and the
text of the bulletin and ledger, each compared with saved files (tests/data/golden, made by
tests/golden_outputs.py under faketime at the same instant — the CLI it calls included). First
saved before geo/ was reorganised; a change that alters what users see on purpose (a new figure, a
ledger column) regenerates them in the same commit, whose diff then shows exactly that:
``TZ=UTC faketime -f "@2026-12-08 10:17:23" python tests/golden_outputs.py OUT`` and copy (the
ledger gzipped with ``gzip -9n``)."""

from __future__ import annotations

import difflib
import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden"
# not on the hour: the demo dates events whole hours and days before "now", and a week boundary
# must not fall within the seconds the build takes
INSTANT = "@2026-12-08 10:17:23"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    faketime = shutil.which("faketime")
    if faketime is None:
        if os.environ.get("FOREST_REQUIRE_BROWSER"):
            pytest.fail("faketime is required by the test command but not installed")
        pytest.skip("faketime not installed (run the suite with `make test`)")
    out = tmp_path_factory.mktemp("golden")
    # faketime reads the instant in the process's time zone: UTC, as when the files were made (a
    # machine set to another zone would otherwise build the demo hours earlier or later)
    env = {**os.environ, "TZ": "UTC"}
    subprocess.run([faketime, "-f", INSTANT, sys.executable, str(ROOT / "tests" / "golden_outputs.py"), str(out)],
                   check=True, cwd=ROOT, timeout=900, env=env)
    return out


def _read(path: Path) -> str:
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes()).decode("utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["demo.json", "stats.json", "bulletin.txt", "ledger.txt"])
def test_same_as_before_the_move(outputs, name):
    saved = GOLDEN / name if (GOLDEN / name).exists() else GOLDEN / (name + ".gz")
    want, got = _read(saved), (outputs / name).read_text(encoding="utf-8")
    if want != got:
        diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), "before", "now", lineterm="", n=1))
        pytest.fail(f"{name} differs from the saved file ({len(diff)} diff lines):\n" + "\n".join(diff[:60]))
