#!/usr/bin/env bash
# What the browser tests need that pip does not bring: Debian's Chromium (apt) and, from npm,
# axe-core and oidc-provider (`npm ci` from the committed package-lock.json). Idempotent and
# quick when everything is there; `make test` runs it first, so a clean CI machine gets it too.
# Playwright's own browser download is never used: the tests drive /usr/bin/chromium.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chromium="${D73_CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$chromium" ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "no Chromium at $chromium and no apt-get: install Chromium, or set D73_CHROMIUM" >&2
        exit 2
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "installing Debian's chromium for the browser tests (apt-get)"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js 20 or newer for the browser tests" >&2
    exit 2
fi
if [ ! -f "$here/node_modules/.package-lock.json" ] \
    || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
