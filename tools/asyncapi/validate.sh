#!/usr/bin/env bash
# Validate D73's AsyncAPI documents with the pinned AsyncAPI CLI (@asyncapi/cli, locked in
# package-lock.json and installed here by setup.sh on first use). Any diagnostic — error,
# warning or information — fails the run. Needs node/npm on PATH and .venv (make creates it).
# Usage: tools/asyncapi/validate.sh [FILE...]   (default: `d73 asyncapi` of every service)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv}"

"$here/setup.sh"
cli="$here/node_modules/.bin/asyncapi"
# The CLI reports usage to a remote service unless its settings file says no.
export ASYNCAPI_METRICS_CONFIG_PATH="$here/node_modules/.d73-asyncapi-analytics.json"
if [ ! -f "$ASYNCAPI_METRICS_CONFIG_PATH" ]; then
    echo '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"d73"}' \
        >"$ASYNCAPI_METRICS_CONFIG_PATH"
fi

files=("$@")
if [ "${#files[@]}" -eq 0 ]; then
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    for service in registration approval reporting; do
        "$venv/bin/d73" asyncapi "$service" --out "$scratch/$service.json"
        files+=("$scratch/$service.json")
    done
fi

status=0
for file in "${files[@]}"; do
    "$cli" validate "$file" --fail-severity=info || status=1
done
if [ "$status" -eq 0 ]; then
    echo "AsyncAPI documents: valid, no diagnostics"
fi
exit "$status"
