"""The portal's pages under many people at once, on an archive of many proposals.

Starts nats-server, the three services and the portal as processes (SQLite, or PostgreSQL with
--postgres), as `d73 run` does. In one run:

0. the ceiling it compares with: the bare stack's POST saving to SQLite (`bench.ceilings`), same
   connections and pinning (no bare-stack ceiling exists for a rendered page; this one says what
   FastAPI + uvicorn under the same wrk can answer at all on this machine today);
1. an archive: wrk posts complete plans for `--seed-seconds` (each a draft submitted in one
   request; approval opens a case, reporting archives every event), then waits for reporting;
2. each page, signed in through the portal's own development sign-in as the person who uses it,
   checked to answer 200 with its content, then under wrk for `--seconds`: `--connections`
   people, each reading a page and thinking about `--think-ms` (uniformly 0–2×) before the next,
   so together they ask for about connections × 1000 / think-ms pages a second (the rate achieved
   is printed beside it); then the same connections with no pause, the page's saturated
   throughput. Pages: the Sở Nội vụ director's inbox, one case, the auditor's timeline of one
   file, the city's dashboard. wrk counts any answer ≥ 400 as an error.

The issue's target is p99 < 300 ms with 50 people at 1 M archived events; `--seed-seconds` sets how
many proposals the live pipeline adds, and `--archive N` first writes N archived events straight
into reporting's store (bench.reporting_rebuild's archive: cloned journeys, ~17 events a
proposal), so that the dashboard and the timeline read an archive of that size (figures printed:
proposals and the events reporting stores). Approval's inbox and case hold only what the live
pipeline added. Such an archive was never published: reporting's relay publishes it once when
the services start (its verifiable log and checkpoints with it), and the pages are measured
only after it caught up (`relay_wait_s`), since that one-off work is no page's cost.

Each process's peak RSS (the services and the portal) is sampled from their start to the last
page: with `--archive 1000000` that is reporting holding, publishing and answering over a million
events (the issue's < 150 MB per service at 1 M events).

    .venv/bin/python -m bench.portal_pages --seed-seconds 20 --connections 50 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import ceilings
from bench.reporting_rebuild import build_archive
from bench.submissions import PeakRss, drain
from tests.browser.portal import AUDITOR_ID, PortalSuite
from tests.support.flows import DOHA, proposer_headers
from tests.support.infra import native_nats
from tests.support.samples import sample_plan

HERE = Path(__file__).parent


def signed_in(portal: str, person_id: str) -> httpx.Client:
    """A client holding the portal's session cookie of `person_id` (development sign-in)."""
    client = httpx.Client(base_url=portal, timeout=30)
    page = client.get("/sign-in").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("the sign-in page carries no CSRF token")
    answer = client.post(
        "/sign-in/development",
        data={"csrf_token": found.group(1), "person_id": person_id, "next": "/"},
    )
    if answer.status_code != 303 or "d73_portal" not in client.cookies:
        raise RuntimeError(f"the development sign-in refused {person_id}: {answer.status_code}")
    return client


def stored_events(reporting: str) -> int:
    """The events in reporting's store (its `d73_store_position`)."""
    metrics = httpx.get(f"{reporting}/metrics", timeout=10).text
    found = re.search(r"^d73_store_position\{[^}]*\} (\S+)$", metrics, re.M)
    return int(float(found.group(1))) if found else 0


def relay_lag(reporting: str) -> int:
    """Reporting's stored events its relay has not yet published (`d73_relay_lag_events`)."""
    metrics = httpx.get(f"{reporting}/metrics", timeout=10).text
    found = re.search(r"^d73_relay_lag_events\{[^}]*\} (\S+)$", metrics, re.M)
    return int(float(found.group(1))) if found else 0


def published(reporting: str, timeout: float) -> float:
    """Seconds until reporting's relay has published (and logged, and checkpointed) every event
    of its store. A prebuilt `--archive` was never published: the relay does so once on start,
    ~200 s of reporting's CPU for 1 M events, which is not what a page costs (issue #19)."""
    started = time.monotonic()
    while relay_lag(reporting) > 0 and time.monotonic() - started < timeout:
        time.sleep(1.0)
    return round(time.monotonic() - started, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seed-seconds", type=float, default=20.0, help="wrk filling the archive")
    parser.add_argument("--seed-connections", type=int, default=16)
    parser.add_argument("--connections", type=int, default=50, help="people at once, per page")
    parser.add_argument("--seconds", type=float, default=10.0, help="each page under wrk")
    parser.add_argument("--think-ms", type=float, default=1000.0, help="a person's pause, mean")
    parser.add_argument("--drain", type=float, default=300.0, help="wait for reporting, s")
    parser.add_argument(
        "--relay-wait",
        type=float,
        default=1800.0,
        help="wait, s, for reporting's relay to publish a prebuilt archive before the pages",
    )
    parser.add_argument(
        "--archive",
        type=int,
        default=0,
        help="events written into reporting's store before the services start (SQLite)",
    )
    ceilings.add_run_options(parser)
    args = parser.parse_args()
    if args.archive and args.postgres:
        parser.error("--archive writes a SQLite store: use it without --postgres")
    log = sys.stderr
    ceiling = ceilings.same_run_ceiling(args, args.connections)
    token = proposer_headers()["Authorization"].removeprefix("Bearer ")
    body = json.dumps({"title": "Đề xuất", "plan": sample_plan(), "submit": True})
    pages: dict[str, dict[str, Any]] = {}
    with native_nats() as nats, tempfile.TemporaryDirectory(prefix="d73-bench-") as data:
        suite = PortalSuite(
            nats_url=nats.url,
            data_dir=Path(data),
            persistence="postgres" if args.postgres else "sqlite",
            extra_env={"D73_LOG_LEVEL": "WARNING"},
        )
        body_file = Path(data) / "body.json"
        body_file.write_text(body)
        prebuilt: dict[str, Any] = {}
        if args.archive:
            print(f"0. writing {args.archive:,} archived events ...", file=log, flush=True)
            prebuilt = build_archive(Path(data), args.archive, seq_offset=10**9)
            print(f"   {prebuilt}", file=log, flush=True)
        rss: PeakRss | None = None
        try:
            suite.start_all()
            rss = PeakRss({n: s.proc.pid for n, s in suite.services.items() if s.proc}).start()
            reg, rep, portal = suite["registration"].url, suite["reporting"].url, suite.portal_url
            print(f"1. filling the archive for {args.seed_seconds:.0f} s ...", file=log, flush=True)
            seed = ceilings.run_wrk(
                f"{reg}/proposals",
                HERE / "wrk_paced.lua",
                connections=args.seed_connections,
                seconds=args.seed_seconds,
                cpus=args.wrk_cpus,
                env={"BODY_FILE": str(body_file), "TOKEN": token, "DELAY_MS": "0"},
            )
            archived = drain(rep, len(seed.ids), args.drain)
            events = stored_events(rep)
            relay_wait = published(rep, args.relay_wait)
            print(f"   reporting's relay caught up after {relay_wait} s more", file=log, flush=True)
            if not seed.ids:
                raise SystemExit(f"no proposal was created: {seed.extra}")
            director = signed_in(portal, DOHA.head.person_id)
            auditor = signed_in(portal, AUDITOR_ID)
            inbox = director.get("/inbox")
            case_link = re.search(r'href="(/cases/[0-9a-f-]{36})"', inbox.text)
            if case_link is None:
                raise SystemExit("the director's inbox lists no case")
            targets = {
                "inbox (Sở Nội vụ director)": (director, "/inbox"),
                "case": (director, case_link.group(1)),
                "timeline (auditor)": (auditor, f"/audit/proposals/{seed.ids[0]}"),
                "dashboard (city)": (director, "/monitoring"),
            }
            for name, (client, path) in targets.items():
                answer = client.get(path)
                if answer.status_code != 200 or "<main" not in answer.text:
                    raise SystemExit(f"{name} {path} answered {answer.status_code}")
                cookie = f"d73_portal={client.cookies['d73_portal']}"
                print(f"2. {name} under wrk ...", file=log, flush=True)
                people, saturated = (
                    ceilings.run_wrk(
                        f"{portal}{path}",
                        HERE / "wrk_get.lua",
                        connections=args.connections,
                        seconds=args.seconds,
                        cpus=args.wrk_cpus,
                        env={"COOKIE": cookie, "THINK_MS": str(round(think))},
                    )
                    for think in (args.think_ms, 0)
                )
                pages[name] = {
                    "path": path,
                    "asked_per_s": round(args.connections * 1000 / args.think_ms, 1),
                    "per_s": round(people.ok_per_s, 1),
                    "p50_ms": people.p50_ms,
                    "p99_ms": people.p99_ms,
                    "errors": people.errors + saturated.errors,
                    "saturated_per_s": round(saturated.ok_per_s, 1),
                    "saturated_p99_ms": saturated.p99_ms,
                    "bytes": len(answer.content),
                }
            director.close()
            auditor.close()
        finally:
            if rss is not None:
                rss.stop()
            suite.stop()
            if args.postgres:
                from tests.support.infra import drop_postgres_databases

                drop_postgres_databases(suite.db_prefix)
    out: dict[str, Any] = {
        "bench": "portal_pages",
        "store": "postgres" if args.postgres else "sqlite",
        "proposals": len(seed.ids),
        "proposals_archived": archived,
        "reporting_events": events,
        "prebuilt_archive": prebuilt,
        "relay_wait_s": relay_wait,
        "connections": args.connections,
        "think_ms": args.think_ms,
        "pages": pages,
        "peak_rss_mb": {n: round(v / 2**20, 1) for n, v in rss.peak.items()} if rss else {},
        "ceiling_http_save_per_s": round(ceiling.ok_per_s, 1) if ceiling else None,
        "ceiling_p99_ms": ceiling.p99_ms if ceiling else None,
        "target_p99_ms": 300,
        "generator": f"wrk -t1 -c{args.connections}, taskset -c {args.wrk_cpus}",
    }
    print_table(out)
    print(json.dumps(out, ensure_ascii=False))


def print_table(r: dict[str, Any]) -> None:
    print(
        f"\nportal pages, {r['store']}: {r['proposals']} proposals "
        f"({r['proposals_archived']} archived, {r['reporting_events']} events in reporting), "
        f"{r['connections']} people thinking {r['think_ms']:.0f} ms on average"
    )
    print(
        "| page | asked /s | achieved /s | p50 ms | p99 ms | target p99 | errors "
        "| saturated /s | saturated p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, p in r["pages"].items():
        print(
            f"| {name} | {p['asked_per_s']} | {p['per_s']} | {p['p50_ms']:.1f} | "
            f"{p['p99_ms']:.1f} | {r['target_p99_ms']} | {p['errors']} | "
            f"{p['saturated_per_s']} | {p['saturated_p99_ms']:.1f} |"
        )
    if r["ceiling_http_save_per_s"] is not None:
        print(
            f"| ceiling: bare POST saving to SQLite, saturated | | | | | | | "
            f"{r['ceiling_http_save_per_s']} | {r['ceiling_p99_ms']:.1f} |"
        )
    for name, mb in r["peak_rss_mb"].items():
        print(f"peak RSS {name:<13} {mb:6.1f} MB (services' target < 150 MB at 1 M events)")


if __name__ == "__main__":
    main()
