"""GDAL's GeoPackage validator (``validate_gpkg.py`` of the ``gdal-utils`` scripts), run on a file.

The validator of the current GDAL knows the GeoPackage 1.4 R-tree triggers; Debian 12's
``python3-gdal`` (GDAL 3.6) ships one from before them, which would ask for the 1.3 set instead.
``scripts/setup.sh`` therefore places the pinned ``gdal-utils`` scripts (pure Python, installed
without their ``gdal`` dependency) in ``.venv/gdal-utils``; they run under Debian's Python so that
Debian's GDAL bindings (``python3-gdal``) are there for the geometry checks the script makes with
OGR.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / ".venv" / "gdal-utils"


def validator_command() -> list[str]:
    if not (SCRIPTS / "osgeo_utils" / "samples" / "validate_gpkg.py").exists():
        raise RuntimeError(f"GDAL's validate_gpkg.py is missing from {SCRIPTS}: run scripts/setup.sh")
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else (shutil.which("python3") or sys.executable)
    return [python, "-m", "osgeo_utils.samples.validate_gpkg", "-k", "--extra", "-q"]


def failures(path: str | os.PathLike) -> list[str]:
    """The requirement failures GDAL's validator reports for ``path`` (``-k --extra``; ``-q``
    leaves out its warnings, such as date-times written without milliseconds)."""
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    out = subprocess.run([*validator_command(), str(path)], capture_output=True, text=True, env=env,
                         timeout=300)
    failed = [ln for ln in out.stdout.splitlines() if ln.strip()]
    if out.returncode != 0 and not failed:  # the script itself failed: show why
        failed = out.stderr.splitlines()[-5:] or [f"validator exited {out.returncode}"]
    return failed
