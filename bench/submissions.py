"""Submissions through registration's HTTP API, end to end into reporting.

Starts nats-server and the three services as processes (SQLite, or PostgreSQL with --postgres),
then:
1. throughput: N submissions (draft + submit: two POSTs each) with C concurrent clients;
2. latency: submissions paced at a steady rate; for each, registration's commit time (the event's
   `submitted_at`) to reporting's archive time (`archived_at`), both on this machine's clock;
3. peak RSS of each service process during the run.

    .venv/bin/python -m bench.submissions --count 2000 --concurrency 16 --rate 200 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.support.flows import AUDITOR, proposer_headers
from tests.support.infra import Suite, native_nats, wait_until
from tests.support.samples import sample_plan


class PeakRss:
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
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def submit(client: httpx.AsyncClient, url: str, headers: dict[str, str], i: int) -> str:
    r = await client.post(
        f"{url}/proposals", json={"title": f"Đề xuất {i}", "plan": sample_plan()}, headers=headers
    )
    r.raise_for_status()
    pid: str = r.json()["id"]
    r = await client.post(f"{url}/proposals/{pid}/submit", headers=headers)
    r.raise_for_status()
    return pid


async def throughput(url: str, count: int, concurrency: int) -> tuple[float, list[str]]:
    headers = proposer_headers()
    ids: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            while not queue.empty():
                ids.append(await submit(client, url, headers, queue.get_nowait()))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return count / elapsed, ids


async def submit_at_once(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], i: int
) -> str:
    """One POST that drafts and submits a finished plan: one commit, as a steady feed would."""
    r = await client.post(
        f"{url}/proposals",
        json={"title": f"Đề xuất {i}", "plan": sample_plan(), "submit": True},
        headers=headers,
    )
    r.raise_for_status()
    pid: str = r.json()["id"]
    return pid


async def paced(url: str, rate: float, seconds: float) -> tuple[list[str], float]:
    """Submissions started at a steady rate; returns their ids and the rate actually achieved."""
    headers = proposer_headers()
    ids: list[str] = []
    total = int(rate * seconds)
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        start = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(submit_at_once(client, url, headers, i)))
        ids = list(await asyncio.gather(*tasks))
        achieved = total / (time.perf_counter() - start)
    return ids, achieved


def latencies_ms(reporting_url: str, ids: list[str]) -> list[float]:
    out = []
    with httpx.Client(timeout=30) as client:
        for pid in ids:
            events = client.get(f"{reporting_url}/proposals/{pid}/history", headers=AUDITOR).json()[
                "events"
            ]
            submitted = next(e for e in events if e["type"] == "d73.proposal.submitted.v1")
            committed = datetime.fromisoformat(submitted["body"]["submitted_at"])
            archived = datetime.fromisoformat(submitted["archived_at"])
            out.append((archived - committed).total_seconds() * 1000)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with native_nats() as nats, tempfile.TemporaryDirectory(prefix="d73-bench-") as data:
        suite = Suite(
            nats_url=nats.url,
            data_dir=Path(data),
            persistence="postgres" if args.postgres else "sqlite",
            extra_env={"D73_LOG_LEVEL": "WARNING"},
        )
        try:
            suite.start()
            pids = {n: s.proc.pid for n, s in suite.services.items() if s.proc}
            assert nats.proc is not None
            pids["nats-server"] = nats.proc.pid
            reg, rep = suite["registration"].url, suite["reporting"].url
            with PeakRss(pids) as rss:
                rate_achieved, ids = asyncio.run(throughput(reg, args.count, args.concurrency))
                wait_until(
                    lambda: (
                        httpx.get(f"{rep}/stats/states", headers=AUDITOR)
                        .json()["counts"]
                        .get("IN_INTAKE", 0)
                        >= len(ids)
                    ),
                    timeout=300,
                )
                paced_ids, achieved = asyncio.run(paced(reg, args.rate, args.seconds))
                time.sleep(2)
            lat = latencies_ms(rep, paced_ids)
        finally:
            suite.stop()
            if args.postgres:
                from tests.support.infra import drop_postgres_databases

                drop_postgres_databases(suite.db_prefix)
    result: dict[str, Any] = {
        "store": "postgres" if args.postgres else "sqlite",
        "submissions": args.count,
        "concurrency": args.concurrency,
        "submissions_per_s": round(rate_achieved, 1),
        "http_posts_per_s": round(2 * rate_achieved, 1),
        "paced_rate_per_s": args.rate,
        "paced_rate_achieved_per_s": round(achieved, 1),
        "paced_count": len(lat),
        "e2e_ms_p50": round(pct(lat, 50), 2),
        "e2e_ms_p95": round(pct(lat, 95), 2),
        "e2e_ms_p99": round(pct(lat, 99), 2),
        "e2e_ms_mean": round(statistics.fmean(lat), 2),
        "peak_rss_mb": {n: round(v / 2**20, 1) for n, v in rss.peak.items()},
    }
    print(f"store                         {result['store']}")
    print(
        f"throughput (draft+submit)     {result['submissions_per_s']} submissions/s "
        f"= {result['http_posts_per_s']} POST/s, {args.concurrency} clients"
    )
    print(f"steady feed: asked {args.rate:.0f}/s, achieved {achieved:.1f}/s (one POST each)")
    print(
        f"e2e commit→reporting @{args.rate:.0f}/s   p50 {result['e2e_ms_p50']} ms, "
        f"p95 {result['e2e_ms_p95']} ms, p99 {result['e2e_ms_p99']} ms ({len(lat)} samples)"
    )
    for name, mb in result["peak_rss_mb"].items():
        print(f"peak RSS {name:<20} {mb} MB")
    print("Ceiling to compare with: ../shared/bench-ceiling/run.sh --only http,command")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
