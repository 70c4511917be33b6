#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster and make a throwaway test database with PostGIS.
# Prints the URL to use as FOREST_TEST_PG.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
V=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk -v v="$V" '$1==v && $2=="main"' | grep -q .; then
    $SUDO pg_createcluster "$V" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$V" '$1==v && $2=="main" {print $4}' | grep -q online; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$V" main start >&2
fi
PORT=$(pg_lsclusters -h | awk -v v="$V" '$1==v && $2=="main" {print $3}')
psql_pg() { $SUDO runuser -u postgres -- psql -p "$PORT" -qtAX "$@"; }
if [ "$(id -u)" != 0 ]; then psql_pg() { sudo -u postgres psql -p "$PORT" -qtAX "$@"; }; fi
psql_pg -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'forest_test') THEN CREATE ROLE forest_test LOGIN SUPERUSER PASSWORD 'forest_test'; END IF; END \$\$;"
psql_pg -c "DROP DATABASE IF EXISTS forest_test WITH (FORCE)" >/dev/null
psql_pg -c "CREATE DATABASE forest_test OWNER forest_test" >/dev/null
psql_pg -d forest_test -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
echo "postgresql://forest_test:forest_test@localhost:$PORT/forest_test"
