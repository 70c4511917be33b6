#!/usr/bin/env bash
# Render .docx/.xlsx reports to PDF with LibreOffice (headless) and each page to PNG, to look at
# the layout as printed: scripts/render-docs.sh OUTDIR FILE... (needs libreoffice-writer,
# libreoffice-calc and poppler-utils; see scripts/system-deps.sh). Fonts missing here (方正小标宋简体,
# 仿宋_GB2312 …) are shown in Noto CJK of the same kind (scripts/fonts.conf).
set -euo pipefail
out="$1"; shift
mkdir -p "$out"
here="$(cd "$(dirname "$0")" && pwd)"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
export FONTCONFIG_FILE="$here/fonts.conf"
for f in "$@"; do
    soffice --headless -env:UserInstallation="file://$profile" --convert-to pdf --outdir "$out" "$f" >/dev/null
    pdf="$out/$(basename "${f%.*}").pdf"
    pdftoppm -r "${DPI:-70}" -png "$pdf" "${pdf%.pdf}"
done
ls "$out"
