#!/usr/bin/env bash
# Debian packages the full test suite needs: Chromium (real-browser tests), PostgreSQL with
# PostGIS (the second store backend), LibreOffice Writer (headless) with poppler-utils and the Noto
# CJK fonts (the bulletin rendered to PDF and measured, tests/test_bulletin_pdf.py), GDAL's tools and
# Python bindings (the GeoPackage is edited and validated by GDAL as other tools would), faketime
# (tests/test_golden.py: the demo at a fixed instant) and nginx
# (the deployment test puts it in front of two app processes). Installs only what is missing.
# (scripts/render-docs.sh also renders the ledger: libreoffice-calc-nogui.)
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
dpkg -s python3-gdal >/dev/null 2>&1 || need+=(python3-gdal)
command -v faketime >/dev/null 2>&1 || need+=(faketime)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
V=$(pg_major)
if [ -z "$V" ]; then
    need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
    $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
        $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null
    }
fi
V=$(pg_major)
if ! dpkg -s "postgresql-$V-postgis-3" >/dev/null 2>&1; then
    $SUDO apt-get install -y --no-install-recommends "postgresql-$V-postgis-3" >/dev/null 2>&1 || {
        $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "postgresql-$V-postgis-3" >/dev/null
    }
fi
