#!/usr/bin/env bash
# Make .venv/ with the pinned Python packages (idempotent: reinstalls only when
# requirements.txt changed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "需要 Python 3.11 或更高版本 / Python 3.11+ is required" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    echo "$want" > "$stamp"
fi
# GDAL's GeoPackage validator of the current gdal-utils (Debian 12's predates GeoPackage 1.4's
# R-tree triggers). Pure Python scripts; installed without their `gdal` requirement, which is
# Debian's python3-gdal (scripts/system-deps.sh), so it sits beside the venv, not inside it.
GDAL_UTILS=gdal-utils==3.13.3.0
if [ "$(cat .venv/gdal-utils/.pin 2>/dev/null)" != "$GDAL_UTILS" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
        --target .venv/gdal-utils "$GDAL_UTILS"
    echo "$GDAL_UTILS" > .venv/gdal-utils/.pin
fi
