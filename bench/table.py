"""Issue #19's table in one run: every bench that gives one of its rows, one after the other on
the same machine, each next to the ceiling it measures in its own run, then the table.

    .venv/bin/python -m bench.table                      # 1 M events where the table says so
    .venv/bin/python -m bench.table --events 200000 --only http_submit,submissions
    .venv/bin/python -m bench.table --postgres           # the store-bound rows on PostgreSQL

Each bench runs as its own process (its own services, stores and nats-server) and prints one
JSON line last; that line is kept in `--out` (one file per bench) and the table is built from
them, so a row can be checked against the bench's own output. A bench that fails or prints no
JSON gives "not measured" in its rows, never a guess. Run it on a quiet machine: it takes the
two cores for as long as the benches take (at 1 M events, tens of minutes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Figures = dict[str, Any]


@dataclass(frozen=True)
class Bench:
    name: str
    argv: Callable[[argparse.Namespace], list[str]]


BENCHES: tuple[Bench, ...] = (
    Bench("http_submit", lambda a: ["--seconds", "15", *(["--postgres"] if a.postgres else [])]),
    Bench(
        "submissions",
        lambda a: ["--seconds", "10", "--rate", "200", *(["--postgres"] if a.postgres else [])],
    ),
    Bench(
        "verify_store",
        lambda a: ["--events", str(a.events), *(["--postgres"] if a.postgres else [])],
    ),
    Bench("reporting_rebuild", lambda a: ["--sizes", f"{min(100_000, a.events)},{a.events}"]),
    Bench(
        "portal_pages",
        lambda a: ["--postgres"] if a.postgres else ["--archive", str(a.events)],
    ),
)


def run(bench: Bench, args: argparse.Namespace, out: Path) -> Figures | None:
    """Run one bench; its last JSON line, or None (and why, on stderr)."""
    argv = [sys.executable, "-m", f"bench.{bench.name}", *bench.argv(args)]
    print(f"== {' '.join(argv[1:])}", file=sys.stderr, flush=True)
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    (out / f"{bench.name}.out").write_text(done.stdout)
    (out / f"{bench.name}.err").write_text(done.stderr)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            try:
                figures: Figures = json.loads(line)
            except ValueError:
                break
            figures["_seconds"] = round(seconds, 1)
            print(f"   done in {seconds:.0f} s", file=sys.stderr, flush=True)
            return figures
    tail = done.stderr.strip().splitlines()[-3:]
    print(f"   no figures (exit {done.returncode}): {' | '.join(tail)}", file=sys.stderr)
    return None


def dig(figures: Figures | None, *path: str | int) -> Any:
    """`figures[path[0]][path[1]]…`, or None where any step is missing."""
    value: Any = figures
    for key in path:
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def per_s(value: Any) -> str:
    return "not measured" if value is None else f"{float(value):,.1f}/s"


def ms(value: Any) -> str:
    return "not measured" if value is None else f"{float(value):,.1f} ms"


def ratio(value: Any) -> str:
    return "–" if value is None else f"**{float(value):.2f}×**"


def rows(f: dict[str, Figures | None], events: int) -> list[tuple[str, str, str, str, str]]:
    http, sub, ver = f.get("http_submit"), f.get("submissions"), f.get("verify_store")
    reb, portal = f.get("reporting_rebuild"), f.get("portal_pages")
    n = f"{events:,}"
    table: list[tuple[str, str, str, str, str]] = [
        (
            f"HTTP submission (draft+submit, {dig(http, 'connections')} conns, "
            f"{dig(http, 'store')}) vs POST saving to SQLite",
            per_s(dig(http, "ceiling_http_save_per_s")),
            f"{per_s(dig(http, 'submissions_per_s'))}, p99 {ms(dig(http, 'p99_ms'))}",
            ratio(dig(http, "ratio")),
            "≥ 0.8×",
        ),
        (
            "three-service pipeline, burst (one POST each) vs the same ceiling",
            per_s(dig(sub, "ceiling_http_save_per_s")),
            per_s(dig(sub, "submissions_per_s")),
            ratio(dig(sub, "ratio")),
            "—",
        ),
        (
            f"three-service pipeline, steady feed asked {dig(sub, 'feed_asked_per_s')}/s",
            f"disk: one fsync'd SQLite commit {ms(dig(sub, 'fsync_commit_ms'))}",
            f"achieved {per_s(dig(sub, 'feed_achieved_per_s'))}, e2e p50 "
            f"{ms(dig(sub, 'e2e_ms_p50'))} / p99 {ms(dig(sub, 'e2e_ms_p99'))} (p50 to "
            f"JetStream {ms(dig(sub, 'e2e_to_stream_ms_p50'))}, from it "
            f"{ms(dig(sub, 'e2e_from_stream_ms_p50'))})",
            "—",
            "200/s, p50 < 10 ms, p99 < 50 ms",
        ),
    ]
    cpu = dig(sub, "burst_cpu_ms_per_submission") or {}
    if cpu:
        total = sum(v for v in cpu.values() if v is not None)
        table.append(
            (
                "CPU per submission, all processes (burst + drain)",
                "—",
                ", ".join(f"{k} {v:.1f}" for k, v in cpu.items() if v is not None)
                + f" = {total:.1f} ms",
                "—",
                "≤ 10 ms (200/s on 2 cores)",
            )
        )
    verify_rates = dig(ver, "rates_per_s") or {}
    table += [
        (
            f"`d73 verify` at {dig(ver, 'events') or n} events vs the canonical-JSON chain",
            per_s(verify_rates.get("ceiling_canonical_json_chain")),
            per_s(verify_rates.get("d73_verify_cli")),
            ratio(dig(ver, "verify_ratio_to", "ceiling_canonical_json_chain")),
            "≥ 0.5×",
        ),
        (
            f"relay start-up at {dig(ver, 'events') or n} events (resuming from the frontier)",
            "—",
            "not measured"
            if dig(ver, "relay_resume", "seconds") is None
            else f"{dig(ver, 'relay_resume', 'seconds'):.3f} s",
            "—",
            "< 1 s at 1 M",
        ),
        (
            f"reporting rebuild at {dig(reb, 'runs', -1, 'size') or n} events vs read+decode",
            per_s(dig(reb, "runs", -1, "ceiling", "read_decode")),
            per_s(dig(reb, "runs", -1, "rebuild_events_per_s")),
            ratio(dig(reb, "runs", -1, "ratio_to_read_decode")),
            "≥ 0.5×",
        ),
    ]
    small, big = dig(reb, "runs", 0), dig(reb, "runs", -1)
    for query, big_q in (dig(big, "queries") or {}).items():
        table.append(
            (
                f"query `{query}` p99 at {dig(small, 'size'):,} → {dig(big, 'size'):,} events",
                "—",
                f"{ms(dig(small, 'queries', query, 'p99_ms'))} → {ms(big_q.get('p99_ms'))}"
                f" (CPU {ms(dig(small, 'queries', query, 'cpu_p99_ms'))}"
                f" → {ms(big_q.get('cpu_p99_ms'))})",
                "—",
                "flat",
            )
        )
    rss = dig(sub, "peak_rss_mb") or {}
    table.append(
        (
            "peak RSS during the pipeline bench (small data)",
            "—",
            ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()) or "not measured",
            "—",
            "< 150 MB per service",
        )
    )
    table.append(
        (
            f"peak RSS of reporting opening + rebuilding {dig(big, 'size') or n} events",
            "—",
            "not measured" if dig(big, "peak_rss_mb") is None else f"{dig(big, 'peak_rss_mb')} MB",
            "—",
            "< 150 MB at 1 M",
        )
    )
    portal_rss = dig(portal, "peak_rss_mb") or {}
    if portal_rss:
        table.append(
            (
                f"peak RSS, services and portal under the pages bench "
                f"({dig(portal, 'reporting_events') or '?'} events in reporting)",
                "—",
                ", ".join(f"{k} {v:.0f} MB" for k, v in portal_rss.items()),
                "—",
                "< 150 MB per service at 1 M",
            )
        )
    for page, figures in (dig(portal, "pages") or {}).items():
        table.append(
            (
                f"portal `{page}` p99, {dig(portal, 'connections')} users, "
                f"{dig(portal, 'reporting_events') or '?'} archived events",
                "—",
                ms(dig(figures, "p99_ms")),
                "—",
                "< 300 ms at 1 M",
            )
        )
    return table


def print_table(table: Sequence[tuple[str, str, str, str, str]]) -> None:
    print("| what | ceiling (same run) | D73 | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for row in table:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="the large store's size")
    parser.add_argument("--postgres", action="store_true", help="store-bound rows on PostgreSQL")
    parser.add_argument("--only", default="", help="comma-separated benches (default: all)")
    parser.add_argument("--out", type=Path, help="keep each bench's output here")
    args = parser.parse_args()
    wanted = {name for name in args.only.split(",") if name}
    out = args.out or Path(tempfile.mkdtemp(prefix="d73-table-"))
    out.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Figures | None] = {}
    for bench in BENCHES:
        if not wanted or bench.name in wanted:
            figures[bench.name] = run(bench, args, out)
    (out / "figures.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    print(f"\n## Issue #19's table ({'PostgreSQL' if args.postgres else 'SQLite'})\n")
    print_table(rows(figures, args.events))
    print(f"\nEach bench's own output: {out}")


if __name__ == "__main__":
    main()
