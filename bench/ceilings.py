"""The bare stack's ceilings, measured inside each bench's own run (performance.md: absolute
figures drift by up to 30 % between runs on a shared machine, so a figure means something only
next to the ceiling measured in the same session, on the same cores).

- `http_save`: FastAPI + uvicorn, POST of a ten-field body saving one eventsourcing aggregate to
  SQLite (`bench.ceiling_app`), under the same wrk (same connections, same pinning) as the bench;
- `canonical_chain`: orjson with sorted keys over ~600-byte decoded events, SHA-256 chained over
  the bytes: what a verifier must at least do per event.

Both are what `shared/bench-ceiling` of the project's design notes measures, written again here so
the repository measures itself.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.ceiling_app import body_of

HERE = Path(__file__).parent


def need_wrk() -> None:
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise SystemExit("wrk and taskset are needed: run bench/setup.sh (or make bench-deps)")


def pinned(cpus: str | None, argv: Sequence[str]) -> list[str]:
    """`argv` under `taskset -c cpus` (as is when `cpus` is empty or None)."""
    return ["taskset", "-c", cpus, *argv] if cpus else list(argv)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    extra: dict[str, Any]
    ids: tuple[str, ...] = ()
    """What the script printed on `WRKID` lines (`wrk_paced.lua`: the proposals created)."""

    @property
    def ok_per_s(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def run_wrk(
    url: str,
    script: Path,
    *,
    connections: int,
    seconds: float,
    cpus: str | None,
    env: dict[str, str] | None = None,
    threads: int = 1,
) -> WrkResult:
    """wrk with a Lua script that prints one `WRKJSON {...}` line; never raises on overload:
    a run that printed no summary comes back with zero requests and the reason in `extra`."""
    argv = pinned(
        cpus,
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
    )
    done = subprocess.run(
        argv,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + 120,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        return WrkResult(0, seconds, 0, float("nan"), float("nan"), {"failed": done.stderr[-500:]})
    data = json.loads(line.removeprefix("WRKJSON "))
    return WrkResult(
        requests=int(data.pop("requests")),
        seconds=int(data.pop("duration_us")) / 1e6,
        errors=int(data.pop("err_status")) + int(data.pop("err_other")),
        p50_ms=int(data.pop("p50_us")) / 1000,
        p99_ms=int(data.pop("p99_us")) / 1000,
        extra=data,
        ids=tuple(x.removeprefix("WRKID ") for x in done.stdout.splitlines() if x[:6] == "WRKID "),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def http_save(
    *, connections: int, seconds: float, server_cpus: str | None, wrk_cpus: str | None
) -> WrkResult:
    """The "POST saving to SQLite" ceiling under wrk, pinned like the bench that compares."""
    need_wrk()
    with tempfile.TemporaryDirectory(prefix="d73-ceiling-") as folder:
        body = Path(folder) / "body.json"
        body.write_bytes(orjson.dumps(body_of(42)))
        port = free_port()
        server = subprocess.Popen(
            pinned(
                server_cpus,
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bench.ceiling_app:app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
            ),
            env={**os.environ, "SQLITE_DBNAME": str(Path(folder) / "ceiling.sqlite")},
            cwd=HERE.parent,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/health")
            url = f"http://127.0.0.1:{port}/save"
            env = {"BODY_FILE": str(body), "TOKEN": "-"}
            script = HERE / "wrk_submit.lua"
            run_wrk(url, script, connections=connections, seconds=3, cpus=wrk_cpus, env=env)
            return run_wrk(
                url, script, connections=connections, seconds=seconds, cpus=wrk_cpus, env=env
            )
        finally:
            server.terminate()
            server.wait(10)


def _event(number: int) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-5000-8000-{number:012d}",
        "type": "ProposalRegistered",
        "aggregate_id": f"00000000-0000-4000-8000-{number:012d}",
        "version": 1,
        "ts": f"2026-11-26T10:{(number // 60) % 60:02d}:{number % 60:02d}.{number:06d}+07:00",
        "data": body_of(number),
    }


def canonical_chain(events: int = 200_000, reps: int = 3) -> float:
    """Events/s of orjson (sorted keys) then a SHA-256 chain over ~600-byte decoded events: the
    "SHA-256 chain over canonical JSON" ceiling. Best of `reps`."""
    objects = [_event(number) for number in range(events)]
    dumps, option, sha256 = orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    best = float("inf")
    for _ in range(reps):
        gc.collect()
        started = time.perf_counter()
        head = bytes(32)
        for item in objects:
            head = sha256(head + dumps(item, option=option)).digest()
        best = min(best, time.perf_counter() - started)
    return events / best


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options every bench of the suite under wrk takes: pinning, the ceiling, the store."""
    parser.add_argument("--service-cpus", default="0", help="taskset list for the ceiling server")
    parser.add_argument("--wrk-cpus", default="1", help="taskset list for wrk")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the same-run ceiling")
    parser.add_argument("--postgres", action="store_true")


def same_run_ceiling(args: argparse.Namespace, connections: int) -> WrkResult | None:
    """`http_save` measured first, with the bench's connections, seconds and pinning (None with
    --no-ceiling); wrk is checked for either way."""
    need_wrk()
    if args.no_ceiling:
        return None
    print("0. ceiling: bare POST saving to SQLite under wrk ...", file=sys.stderr, flush=True)
    return http_save(
        connections=connections,
        seconds=args.seconds,
        server_cpus=args.service_cpus,
        wrk_cpus=args.wrk_cpus,
    )
