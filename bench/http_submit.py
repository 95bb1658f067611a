"""Registration's HTTP submissions under wrk: validate, save and publish through the outbox.

The shape of performance.md's "FastAPI + uvicorn, POST saving to SQLite" ceiling: wrk with 16
connections pinned to CPU 1, the service pinned to CPU 0 (nats-server unpinned). Each request
drafts and submits a complete Cần Thơ plan in one commit; the relay publishes it to JetStream.
Afterwards it checks that every committed submission reached the stream.

    .venv/bin/python -m bench.http_submit --seconds 15 --connections 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import nats

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    body = json.dumps({"title": "Đề xuất", "plan": sample_plan(), "submit": True})
    token = proposer_headers()["Authorization"].removeprefix("Bearer ")
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
            os.sched_setaffinity(registration.proc.pid, {0})
            env = dict(os.environ, BODY_FILE=str(body_file), TOKEN=token)
            url = f"{registration.url}/proposals"

            def wrk(seconds: int) -> dict[str, float]:
                out = subprocess.run(
                    [
                        "taskset",
                        "-c",
                        "1",
                        "wrk",
                        "-t2",
                        f"-c{args.connections}",
                        f"-d{seconds}s",
                        "--timeout",
                        "5s",
                        "-s",
                        str(HERE / "wrk_submit.lua"),
                        url,
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
                return dict(json.loads(line.removeprefix("WRKJSON ")))

            warm = wrk(3)
            result = wrk(args.seconds)
            accepted = result["requests"] - result["err_status"] - result["err_other"]
            expected = accepted + warm["requests"] - warm["err_status"] - warm["err_other"]
            deadline = time.monotonic() + 60
            published = 0
            while time.monotonic() < deadline:
                published = asyncio.run(stream_count(server.url))
                if published >= expected:
                    break
                time.sleep(0.5)
        finally:
            suite.stop()
            if args.postgres:
                from tests.support.infra import drop_postgres_databases

                drop_postgres_databases(suite.db_prefix)
    rate = accepted / (result["duration_us"] / 1e6)
    summary = {
        "store": "postgres" if args.postgres else "sqlite",
        "connections": args.connections,
        "submissions_per_s": round(rate, 1),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "errors": result["err_status"] + result["err_other"],
        "published_to_jetstream": published,
        "committed": int(expected),
    }
    print(
        f"registration POST /proposals (draft+submit, {args.connections} conns): "
        f"{summary['submissions_per_s']}/s, p50 {summary['p50_ms']} ms, "
        f"p99 {summary['p99_ms']} ms, errors {summary['errors']}"
    )
    print(f"published {published} of {int(expected)} committed submissions")
    print("compare: ../shared/bench-ceiling/run.sh --only http ('POST saving to SQLite')")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
