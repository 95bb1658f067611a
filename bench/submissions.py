"""Submissions through registration's HTTP API, end to end into reporting.

Starts nats-server and the three services as processes (SQLite, or PostgreSQL with --postgres);
the load generator is wrk (C, pinned with taskset to its own CPU, one thread), never a Python
client competing with the services for the cores. In one run:

0. the ceiling it compares with: the bare stack's POST saving to SQLite (`bench.ceilings`), same
   connections and pinning;
1. throughput: wrk with C connections, each request one POST that drafts and submits a plan;
2. a steady feed: wrk's connections each pausing between requests so that together they ask for
   `--rate` per second (closed loop: a slow answer delays that connection's next request, so the
   rate achieved is printed next to the rate asked); for each submission, registration's commit
   time (`submitted_at`) to reporting's archive time (`archived_at`), both on this machine's clock.
   Submissions reporting has not archived within `--drain` seconds are counted, not guessed.
   The latency is split at JetStream's write of the event (its stored time): what the commit,
   the relay and nats-server's writes take, and what delivery and reporting's pass take, next to
   the time one SQLite commit takes to reach this machine's disk, measured before the services
   start (the floor under every write the path waits for);
3. peak RSS of each service process during the run;
4. CPU per submission of each process (user + system time over the burst and its drain, divided
   by the submissions registration committed): the figure that says where the cores go, and
   the one that is steady when the machine is shared. The drain lasts until the whole pipeline
   is idle (`settle`: every durable has settled its stream, no stream grows), so all the work
   the burst caused is counted to it and the steady feed starts on an idle pipeline. The same
   over the steady feed and its drain: consumers then settle one message a fetch, so the
   per-message costs show there, which the burst's batches hide.

wrk counts only the answers it read: requests still in flight when it stops are committed all
the same (up to one per connection), so the burst is counted from registration's own list.

It never stops on overload: what it could not measure is printed as such.

    .venv/bin/python -m bench.submissions --seconds 10 --connections 16 --rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import psutil

from bench import ceilings
from shared.platform.subjects import REGISTRATION_STREAM
from tests.support.flows import AUDITOR, proposer_headers
from tests.support.infra import Suite, native_nats
from tests.support.samples import sample_plan

HERE = Path(__file__).parent
SUBMITTED = "d73.proposal.submitted.v1"
REGISTRATION = REGISTRATION_STREAM.name


class PeakRss:
    """The peak RSS of each process, sampled every 0.1 s between `start()` and `stop()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak = dict.fromkeys(pids, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, proc in self.procs.items():
                with contextlib.suppress(psutil.Error):
                    self.peak[name] = max(self.peak[name], proc.memory_info().rss)
            time.sleep(0.1)

    def start(self) -> PeakRss:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> PeakRss:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class CpuTime:
    """User + system CPU seconds each process has used since `start()`, and the system part
    alone (the kernel's share: socket writes to nats-server, fsyncs)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.base: dict[str, tuple[float, float]] = {}

    @staticmethod
    def _times(proc: psutil.Process) -> tuple[float, float]:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            return float(times.user), float(times.system)
        return 0.0, 0.0

    def start(self) -> None:
        self.base = {name: self._times(proc) for name, proc in self.procs.items()}

    def used(self) -> tuple[dict[str, float], dict[str, float]]:
        """(user + system, system) seconds of each process since `start()`."""
        now = {name: self._times(proc) for name, proc in self.procs.items()}
        spent = {n: (u - self.base[n][0], s - self.base[n][1]) for n, (u, s) in now.items()}
        return {n: u + s for n, (u, s) in spent.items()}, {n: s for n, (_, s) in spent.items()}


def committed_count(registration_url: str, token: str) -> int | None:
    """How many proposals registration holds for the bench's proposer (None if it cannot say)."""
    try:
        answer = httpx.get(
            f"{registration_url}/proposals",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        answer.raise_for_status()
        return len(answer.json())
    except (httpx.HTTPError, ValueError):
        return None


def archived_in_intake(reporting_url: str) -> int:
    """How many proposals reporting shows in intake (0 while it cannot answer)."""
    try:
        answer = httpx.get(f"{reporting_url}/stats/states", headers=AUDITOR, timeout=10)
        return int(answer.json().get("counts", {}).get("IN_INTAKE", 0))
    except (httpx.HTTPError, ValueError, AttributeError):
        return 0


def drain(reporting_url: str, expected: int, seconds: float) -> int:
    """Wait up to `seconds` for reporting to show `expected` proposals; how many it shows."""
    deadline = time.monotonic() + seconds
    seen = archived_in_intake(reporting_url)
    while seen < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        seen = archived_in_intake(reporting_url)
    return seen


async def _backlog(nats_url: str) -> tuple[int, dict[str, int]]:
    """(messages every durable of every stream has yet to settle, each stream's last sequence)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        left, last = 0, {}
        for stream in await js.streams_info():
            name = str(stream.config.name)
            last[name] = int(stream.state.last_seq)
            for consumer in await js.consumers_info(name):
                left += int(consumer.num_pending or 0) + int(consumer.num_ack_pending or 0)
        return left, last
    finally:
        await nc.close()


def settle(nats_url: str, seconds: float) -> float | None:
    """Wait up to `seconds` for the whole pipeline to be idle: every durable has settled all its
    stream holds and no stream grew for 0.5 s (the relays have published everything, the cases
    opened, each person notified, the checkpoints witnessed). Seconds waited, or None if it was
    still busy. Without it the next phase would run beside the previous one's backlog, and
    its CPU would be counted to the wrong phase."""
    began = time.monotonic()
    before: dict[str, int] | None = None
    while time.monotonic() - began < seconds:
        left, last = asyncio.run(_backlog(nats_url))
        if left == 0 and last == before:
            return round(time.monotonic() - began, 1)
        before = None if left else last
        time.sleep(0.5)
    return None


def latency_times(
    client: httpx.Client, reporting_url: str, pid: str
) -> tuple[datetime, datetime] | None:
    """(registration's commit, reporting's archive) of one submission, or None if reporting
    does not hold it (yet)."""
    answer = client.get(f"{reporting_url}/proposals/{pid}/history", headers=AUDITOR)
    if answer.status_code != 200:
        return None
    events = answer.json().get("events") or []
    submitted = next((e for e in events if e.get("type") == SUBMITTED), None)
    if submitted is None or not submitted.get("archived_at"):
        return None
    committed = datetime.fromisoformat(submitted["body"]["submitted_at"])
    archived = datetime.fromisoformat(submitted["archived_at"])
    return committed, archived


def stream_times(nats_url: str, after_seq: int) -> dict[str, datetime]:
    """When JetStream stored each submission published after stream sequence `after_seq`
    (D73_REGISTRATION's own clock, this machine's): by proposal id."""

    async def read() -> dict[str, datetime]:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            last = (await js.stream_info(REGISTRATION)).state.last_seq
            found: dict[str, datetime] = {}
            for seq in range(after_seq + 1, last + 1):
                msg = await js.get_msg(REGISTRATION, seq)
                if msg.time is None or not msg.data:
                    continue
                body = json.loads(msg.data)
                if body.get("type") == SUBMITTED:
                    found[str(body.get("proposal_id"))] = msg.time
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def stream_last_seq(nats_url: str) -> int:
    async def read() -> int:
        nc = await nats.connect(nats_url)
        try:
            return int((await nc.jetstream().stream_info(REGISTRATION)).state.last_seq)
        finally:
            await nc.close()

    return asyncio.run(read())


def fsync_commit_ms(folder: Path, commits: int = 200) -> float:
    """The median wall time of one SQLite commit of a 2 KB row with the services' settings (WAL,
    synchronous FULL: it waits for the disk): the floor under every commit a message crosses."""
    path = folder / "fsync-probe.db"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
        times = []
        for _ in range(commits):
            began = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t (v) VALUES (?)", (b"x" * 2048,))
            connection.execute("COMMIT")
            times.append((time.perf_counter() - began) * 1000)
    finally:
        connection.close()
        path.unlink(missing_ok=True)
    return round(statistics.median(times), 2)


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))], 2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="each measured phase")
    parser.add_argument("--rate", type=float, default=200.0, help="steady feed asked, per s")
    parser.add_argument("--drain", type=float, default=120.0, help="wait for reporting, s")
    ceilings.add_run_options(parser)
    args = parser.parse_args()
    log = sys.stderr
    ceiling = ceilings.same_run_ceiling(args, args.connections)
    token = proposer_headers()["Authorization"].removeprefix("Bearer ")
    body = json.dumps({"title": "Đề xuất", "plan": sample_plan(), "submit": True})
    with native_nats() as server, tempfile.TemporaryDirectory(prefix="d73-bench-") as data:
        suite = Suite(
            nats_url=server.url,
            data_dir=Path(data),
            persistence="postgres" if args.postgres else "sqlite",
            extra_env={"D73_LOG_LEVEL": "WARNING"},
        )
        body_file = Path(data) / "body.json"
        body_file.write_text(body)
        fsync_ms = fsync_commit_ms(Path(data))  # before anything runs beside it
        env = {"BODY_FILE": str(body_file), "TOKEN": token}
        try:
            suite.start()
            pids = {n: s.proc.pid for n, s in suite.services.items() if s.proc}
            assert server.proc is not None
            pids["nats-server"] = server.proc.pid
            reg, rep = suite["registration"].url, suite["reporting"].url
            url = f"{reg}/proposals"
            cpu = CpuTime(pids)
            with PeakRss(pids) as rss:
                print("1. throughput under wrk ...", file=log, flush=True)
                cpu.start()
                burst = ceilings.run_wrk(
                    url,
                    HERE / "wrk_paced.lua",
                    connections=args.connections,
                    seconds=args.seconds,
                    cpus=args.wrk_cpus,
                    env={**env, "DELAY_MS": "0"},
                )
                burst_committed = committed_count(reg, token)
                burst_expected = burst_committed or len(burst.ids)
                burst_archived = drain(rep, burst_expected, args.drain)
                burst_settled = settle(server.url, args.drain)
                burst_cpu, burst_system = cpu.used()
                print(f"2. steady feed asked {args.rate:.0f}/s ...", file=log, flush=True)
                feed_after_seq = stream_last_seq(server.url)
                cpu.start()
                pause_ms = max(1, round(args.connections * 1000 / args.rate))
                feed = ceilings.run_wrk(
                    url,
                    HERE / "wrk_paced.lua",
                    connections=args.connections,
                    seconds=args.seconds,
                    cpus=args.wrk_cpus,
                    env={**env, "DELAY_MS": str(pause_ms), "CONNECTIONS": str(args.connections)},
                )
                feed_committed = committed_count(reg, token)
                drain(rep, feed_committed or burst_expected + len(feed.ids), args.drain)
                settle(server.url, args.drain)
                feed_cpu, _ = cpu.used()
            with httpx.Client(timeout=30) as client:
                measured = [latency_times(client, rep, pid) for pid in feed.ids]
            stored_at = stream_times(server.url, feed_after_seq)
        finally:
            suite.stop()
            if args.postgres:
                from tests.support.infra import drop_postgres_databases

                drop_postgres_databases(suite.db_prefix)
    lat = [(t[1] - t[0]).total_seconds() * 1000 for t in measured if t is not None]
    # Where the time goes: up to JetStream's write of the event, and from it to the archive.
    split = [
        ((stored - t[0]).total_seconds() * 1000, (t[1] - stored).total_seconds() * 1000)
        for pid, t in zip(feed.ids, measured, strict=True)
        if t is not None and (stored := stored_at.get(pid)) is not None
    ]
    to_stream, from_stream = [a for a, _ in split], [b for _, b in split]
    fed = (feed_committed - burst_expected) if feed_committed else len(feed.ids)
    result: dict[str, Any] = {
        "bench": "submissions",
        "store": "postgres" if args.postgres else "sqlite",
        "connections": args.connections,
        "submissions_per_s": round(burst.ok_per_s, 1),
        "submit_p50_ms": burst.p50_ms,
        "submit_p99_ms": burst.p99_ms,
        "errors": burst.errors + feed.errors,
        "burst_archived": burst_archived,
        "burst_answered": len(burst.ids),
        "burst_committed": burst_committed,
        "burst_settled_s": burst_settled,
        "burst_cpu_ms_per_submission": {
            name: round(seconds * 1000 / burst_expected, 2) if burst_expected else None
            for name, seconds in burst_cpu.items()
        },
        "burst_system_ms_per_submission": {
            name: round(seconds * 1000 / burst_expected, 2) if burst_expected else None
            for name, seconds in burst_system.items()
        },
        "feed_committed": (feed_committed - burst_expected) if feed_committed else None,
        "feed_cpu_ms_per_submission": {
            name: round(seconds * 1000 / fed, 2) if fed else None
            for name, seconds in feed_cpu.items()
        },
        "ceiling_http_save_per_s": round(ceiling.ok_per_s, 1) if ceiling else None,
        "ratio": round(burst.ok_per_s / ceiling.ok_per_s, 3) if ceiling else None,
        "feed_asked_per_s": args.rate,
        "feed_achieved_per_s": round(feed.ok_per_s, 1),
        "feed_submitted": len(feed.ids),
        "e2e_measured": len(lat),
        "e2e_not_archived": len(feed.ids) - len(lat),
        "e2e_ms_p50": pct(lat, 50),
        "e2e_ms_p99": pct(lat, 99),
        "e2e_ms_mean": round(statistics.fmean(lat), 2) if lat else None,
        "e2e_to_stream_ms_p50": pct(to_stream, 50),
        "e2e_to_stream_ms_p99": pct(to_stream, 99),
        "e2e_from_stream_ms_p50": pct(from_stream, 50),
        "e2e_from_stream_ms_p99": pct(from_stream, 99),
        "fsync_commit_ms": fsync_ms,
        "peak_rss_mb": {n: round(v / 2**20, 1) for n, v in rss.peak.items()},
        "generator": f"wrk -t1 -c{args.connections}, taskset -c {args.wrk_cpus}",
    }
    print_table(result, ceiling)
    print(json.dumps(result))


def _ms(value: float | None) -> str:
    return "not measured" if value is None else f"{value:.1f} ms"


def print_table(r: dict[str, Any], ceiling: ceilings.WrkResult | None) -> None:
    print(f"\n## submissions ({r['store']}, {r['generator']})\n")
    print("| figure | D73 | ceiling (same run) | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    ceiling_text = f"{ceiling.ok_per_s:,.1f}/s" if ceiling else "skipped"
    ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else "–"
    print(
        f"| submissions/s (one POST: draft+submit), {r['connections']} conns | "
        f"{r['submissions_per_s']:,.1f}/s | {ceiling_text} | {ratio} | ≥ 0.8× |"
    )
    print(
        f"| steady feed asked {r['feed_asked_per_s']:.0f}/s | achieved "
        f"{r['feed_achieved_per_s']:.1f}/s | – | – | {r['feed_asked_per_s']:.0f}/s |"
    )
    print(
        f"| e2e commit → reporting p50 / p99 | {_ms(r['e2e_ms_p50'])} / {_ms(r['e2e_ms_p99'])} "
        f"| – | – | < 10 ms / < 50 ms |"
    )
    print(
        f"\ne2e split, p50 / p99: registration's commit → JetStream's write of the event "
        f"{_ms(r['e2e_to_stream_ms_p50'])} / {_ms(r['e2e_to_stream_ms_p99'])} (the commit, "
        "the relay, nats-server's writes of the journal and the event, each to disk before its "
        f"ack); JetStream → reporting's archive {_ms(r['e2e_from_stream_ms_p50'])} / "
        f"{_ms(r['e2e_from_stream_ms_p99'])} (delivery, reporting's pass). One SQLite commit "
        f"written to this machine's disk (WAL, synchronous=FULL) takes {r['fsync_commit_ms']} ms "
        "(median of 200, before the services start): the path waits for three writes to disk in "
        "a row (registration's commit, then nats-server's journal message and event)."
    )
    print(
        f"measured {r['e2e_measured']} of {r['feed_submitted']} fed submissions; "
        f"{r['e2e_not_archived']} not archived by reporting within the drain time (not measured)"
    )
    committed = r["burst_committed"]
    in_flight = (
        f"; registration committed {committed}, {committed - r['burst_answered']} of them in "
        "flight when wrk stopped"
        if committed is not None
        else "; registration's own count not read"
    )
    settled = r["burst_settled_s"]
    print(
        f"burst: wrk read {r['burst_answered']} answers{in_flight}; reporting archived "
        f"{r['burst_archived']} of {committed if committed is not None else r['burst_answered']}; "
        + (
            "the pipeline was still busy when the drain time ran out (the steady feed ran "
            "beside the rest)"
            if settled is None
            else f"the whole pipeline idle {settled} s after that"
        )
    )
    cpu = r["burst_cpu_ms_per_submission"]
    total = sum(v for v in cpu.values() if v is not None)
    print(
        "CPU per submission over the burst and its drain (user+system): "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items() if ms is not None)
        + f"; {total:.2f} ms in all (2 cores give {2000 / total:.0f} submissions/s at most)"
        if total
        else "CPU per submission: not measured"
    )
    fed = {name: ms for name, ms in r["feed_cpu_ms_per_submission"].items() if ms is not None}
    if fed:
        print(
            "CPU per submission over the steady feed and its drain (one message a fetch): "
            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in fed.items())
            + f"; {sum(fed.values()):.2f} ms in all"
        )
    system = r.get("burst_system_ms_per_submission") or {}
    if total and system:
        print(
            "  of which the kernel's (system time): "
            + ", ".join(f"{name} {ms:.2f} ms" for name, ms in system.items() if ms is not None)
        )
    for name, mb in r["peak_rss_mb"].items():
        print(f"peak RSS {name:<20} {mb} MB")


if __name__ == "__main__":
    main()
