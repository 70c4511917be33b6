#!/usr/bin/env bash
# The full test suite, from a fresh machine: Debian packages (chromium, postgresql, postgis)
# when absent, the Python virtual environment, a PostGIS test database, then pytest — unit,
# store (GeoPackage and PostGIS), Streamlit app and real-browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
scripts/setup.sh
# the architecture contracts of pyproject.toml first: a broken one fails fast with its own report
PYTHONPATH=. .venv/bin/lint-imports --no-cache
export FOREST_TEST_PG="$(scripts/test-postgres.sh | tail -n 1)"
export FOREST_REQUIRE_PG=1 FOREST_REQUIRE_BROWSER=1
# two workers on 2 cores (FOREST_TEST_WORKERS=0: one process); the 40 slowest tests are listed at the end
exec .venv/bin/python -m pytest -n "${FOREST_TEST_WORKERS:-2}" "$@"
