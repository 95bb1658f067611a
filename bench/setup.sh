#!/usr/bin/env bash
# What the benchmarks need that pip does not bring: Debian's wrk (the HTTP load generator, a C
# program that takes a fraction of a core where a Python client would compete with the services
# it measures) and taskset (util-linux, to pin it). Idempotent and quick when present;
# `make bench-deps` runs it, and every `make bench-*` target depends on that.
set -euo pipefail
if command -v wrk >/dev/null 2>&1 && command -v taskset >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "no wrk and no apt-get: install wrk and util-linux for the benchmarks" >&2
    exit 2
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing Debian's wrk for the benchmarks (apt-get)"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends wrk util-linux
