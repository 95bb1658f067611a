#!/usr/bin/env bash
# Install the pinned AsyncAPI CLI (package-lock.json) with `npm ci`; quick when it is there.
# `make test` runs it before the tests, so no test waits for npm (issue #19: under load the
# install took longer than a test's time limit, and a second install raced the first).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js 20 or newer to validate the AsyncAPI documents" >&2
    exit 2
fi
if [ ! -x "$here/node_modules/.bin/asyncapi" ] \
    || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
