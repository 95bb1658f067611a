"""Registration's HTTP submissions under wrk: validate, save and publish through the outbox.

The shape of performance.md's "FastAPI + uvicorn, POST saving to SQLite" ceiling: wrk with 16
connections pinned to CPU 1, the service pinned to CPU 0 (nats-server unpinned). Each request
drafts and submits a complete Cần Thơ plan in one commit; the relay publishes it to JetStream.
Afterwards it checks that every committed submission reached the stream. First, in the same
run, it measures the ceiling it compares with (`bench.ceilings.http_save`: the bare stack's POST
saving to SQLite, same connections, same pinning) and prints the ratio (target >= 0.8).

    .venv/bin/python -m bench.http_submit --seconds 15 --connections 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nats
import psutil

from bench import ceilings
from bench.ceilings import need_wrk
from tests.support.flows import proposer_headers
from tests.support.infra import Suite, native_nats
from tests.support.samples import sample_plan

HERE = Path(__file__).parent


async def stream_count(url: str) -> int:
    nc = await nats.connect(url)
    try:
        return int((await nc.jetstream().stream_info("D73_REGISTRATION")).state.messages)
    finally:
        await nc.close()


def _cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU of the process and its threads (the relay runs in it too)."""
    times = process.cpu_times()
    return float(times.user + times.system)


def profiler(pid: int, seconds: int, out: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the service's GIL holder for the measured run (None without `out`)."""
    if out is None:
        return None
    spy = shutil.which("py-spy") or "/work/toolsvenv/bin/py-spy"
    argv = [spy, "record", "-p", str(pid), "--gil", "-r", "100", "-d", str(seconds)]
    argv += ["-f", "raw", "-o", str(out), "--nonblocking"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--service-cpus", default="0", help="taskset list for the service")
    parser.add_argument("--wrk-cpus", default="1", help="taskset list for wrk")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the same-run ceiling")
    parser.add_argument(
        "--profile", type=Path, help="py-spy (--gil, raw) the service during the run into this file"
    )
    args = parser.parse_args()
    need_wrk()
    body = json.dumps({"title": "Đề xuất", "plan": sample_plan(), "submit": True})
    token = proposer_headers()["Authorization"].removeprefix("Bearer ")
    print("ceiling: bare FastAPI + uvicorn POST saving to SQLite ...", file=sys.stderr, flush=True)
    ceiling = (
        ceilings.WrkResult(0, 0.0, 0, float("nan"), float("nan"), {})
        if args.no_ceiling
        else ceilings.http_save(
            connections=args.connections,
            seconds=args.seconds,
            server_cpus=args.service_cpus,
            wrk_cpus=args.wrk_cpus,
        )
    )
    with native_nats() as server, tempfile.TemporaryDirectory(prefix="d73-bench-") as data:
        suite = Suite(
            nats_url=server.url,
            data_dir=Path(data),
            persistence="postgres" if args.postgres else "sqlite",
            extra_env={"D73_LOG_LEVEL": "WARNING"},
        )
        body_file = Path(data) / "body.json"
        body_file.write_text(body)
        try:
            suite.start("registration")
            registration = suite["registration"]
            assert registration.proc is not None
            os.sched_setaffinity(
                registration.proc.pid, {int(cpu) for cpu in args.service_cpus.split(",")}
            )
            env = {"BODY_FILE": str(body_file), "TOKEN": token}
            url = f"{registration.url}/proposals"
            script = HERE / "wrk_submit.lua"
            print("D73: registration POST /proposals ...", file=sys.stderr, flush=True)
            warm = ceilings.run_wrk(
                url, script, connections=args.connections, seconds=3, cpus=args.wrk_cpus, env=env
            )
            process = psutil.Process(registration.proc.pid)
            spy = profiler(registration.proc.pid, args.seconds, args.profile)
            cpu_before = _cpu_seconds(process)
            result = ceilings.run_wrk(
                url,
                script,
                connections=args.connections,
                seconds=args.seconds,
                cpus=args.wrk_cpus,
                env=env,
            )
            accepted = result.requests - result.errors
            expected = accepted + warm.requests - warm.errors
            deadline = time.monotonic() + 60
            published = 0
            while time.monotonic() < deadline:
                published = asyncio.run(stream_count(server.url))
                if published >= expected:
                    break
                time.sleep(0.5)
            cpu = _cpu_seconds(process) - cpu_before
            if spy is not None:
                spy.wait(60)
        finally:
            suite.stop()
            if args.postgres:
                from tests.support.infra import drop_postgres_databases

                drop_postgres_databases(suite.db_prefix)
    rate = result.ok_per_s
    summary = {
        "bench": "http_submit",
        "store": "postgres" if args.postgres else "sqlite",
        "connections": args.connections,
        "submissions_per_s": round(rate, 1),
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "errors": result.errors,
        "published_to_jetstream": published,
        "committed": int(expected),
        "service_cpu_us_per_request": (
            round(1e6 * cpu / result.requests) if result.requests else None
        ),
        "ceiling_http_save_per_s": round(ceiling.ok_per_s, 1),
        "ceiling_p50_ms": ceiling.p50_ms,
        "ceiling_p99_ms": ceiling.p99_ms,
        "ratio": round(rate / ceiling.ok_per_s, 3) if ceiling.ok_per_s else None,
        "target_ratio": 0.8,
        "pinning": f"service/ceiling server on CPU {args.service_cpus}, wrk on {args.wrk_cpus}",
    }
    print(f"\n## http_submit ({summary['store']}, {args.connections} connections, wrk pinned)\n")
    print("| what | per s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| ceiling: bare POST saving to SQLite | {ceiling.ok_per_s:,.1f} | "
        f"{ceiling.p50_ms} | {ceiling.p99_ms} | {ceiling.errors} |"
    )
    print(
        f"| D73 registration POST /proposals (draft+submit, outbox) | {rate:,.1f} | "
        f"{result.p50_ms} | {result.p99_ms} | {result.errors} |"
    )
    ratio = summary["ratio"]
    print(f"\nratio {ratio if ratio is not None else 'n/a'} (target >= 0.8)")
    print(
        f"published {published} submissions for {int(expected)} answered 201 (the stream may "
        "hold more: requests in flight when wrk stopped were committed but never read)"
    )
    print(
        f"registration process CPU {cpu:.2f} s for {result.requests} requests (relay included, "
        f"until all published): {summary['service_cpu_us_per_request']} us per request"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
