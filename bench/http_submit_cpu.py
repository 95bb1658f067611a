"""Registration's CPU per HTTP submission, in process: what `bench.http_submit` measures under
wrk, without uvicorn, NATS or the relay, so that it can be counted exactly.

N `POST /proposals` (a complete Cần Thơ plan, `"submit": true`, a proposer's bearer token) go
straight into the service's ASGI app one after the other, after a warm-up, and the read model
folds them once at the end (`--no-catch-up` leaves it out), as its job does every 5 s. It prints
the process CPU per request; on a shared machine that drifts, so compare changes by the
instructions they take, under callgrind with instrumentation on only while the requests run:

    CG=1 PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no \\
        --callgrind-out-file=/tmp/cg.%p .venv/bin/python -m bench.http_submit_cpu 100

(`CG=1` has the script switch instrumentation on and off with `callgrind_control`; the
"Collected" line is the count for the N requests and the fold.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import Message

from services.registration.main import create_app
from tests.support.flows import proposer_headers
from tests.support.samples import sample_plan
from tests.unit.registration_service.builders import settings_for

WARM_UP = 20


def instrument(on: bool) -> None:
    """Callgrind's instrumentation on or off for this process (only with `CG` set)."""
    if os.environ.get("CG"):
        state = "on" if on else "off"
        subprocess.run(
            ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
        )


def request_scope(body: bytes, authorization: bytes) -> dict[str, Any]:
    headers = [
        (b"host", b"localhost:8000"),
        (b"content-type", b"application/json"),
        (b"authorization", authorization),
        (b"content-length", str(len(body)).encode()),
        (b"user-agent", b"wrk"),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/proposals",
        "raw_path": b"/proposals",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def submit(app: FastAPI, body: bytes, authorization: bytes) -> None:
    """One submission through the ASGI app; AssertionError unless it is answered 201."""
    sent = False
    status = 0
    answer: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)  # the client never disconnects
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        else:
            answer.append(message.get("body", b""))

    await app(request_scope(body, authorization), receive, send)
    assert status == 201, (status, b"".join(answer)[:500])


async def run(app: FastAPI, requests: int, catch_up: bool) -> float:
    """CPU seconds of `requests` submissions (and of the read model's fold, if asked)."""
    body = json.dumps({"title": "Đề xuất", "plan": sample_plan(), "submit": True}).encode()
    authorization = proposer_headers()["Authorization"].encode()
    summaries = app.state.runtime.app.summaries
    for _ in range(WARM_UP):
        await submit(app, body, authorization)
    summaries.catch_up()
    instrument(True)
    started = time.process_time()
    for _ in range(requests):
        await submit(app, body, authorization)
    if catch_up:
        summaries.catch_up()
    cpu = time.process_time() - started
    instrument(False)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("requests", type=int, nargs="?", default=100)
    parser.add_argument("--no-catch-up", action="store_true", help="leave the read model out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="d73-bench-") as data:
        app = create_app(settings_for(Path(data), log_level="WARNING"))
        logging.getLogger().setLevel(logging.WARNING)
        try:
            cpu = asyncio.run(run(app, args.requests, not args.no_catch_up))
        finally:
            app.state.runtime.app.close()
    per_request = 1e6 * cpu / max(args.requests, 1)
    print(f"{args.requests} submissions: {per_request:.0f} us CPU per request", file=sys.stderr)


if __name__ == "__main__":
    main()
