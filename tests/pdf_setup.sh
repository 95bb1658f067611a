#!/usr/bin/env bash
# What the printed-document tests need that pip does not bring: poppler-utils (pdftoppm,
# pdftotext), to look at every page as an image. Idempotent and quick when present; `make test`
# runs it first, so a clean CI machine gets it too. The fonts are vendored (shared/records/pdf/fonts).
set -euo pipefail
if command -v pdftoppm >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "no pdftoppm and no apt-get: install poppler-utils for the printed-document tests" >&2
    exit 2
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing Debian's poppler-utils for the printed-document tests (apt-get)"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends poppler-utils
