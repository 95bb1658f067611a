"""The outbox relay's publish rate in isolation (issue #19 §1), next to its same-run ceilings.

    .venv/bin/python -m bench.relay_publish --events 5000 --rounds 3

A store of N stored events (memos, each published) is relayed into a real nats-server's
JetStream, in process, from a cold start to the last acknowledged event: once as a bare relay,
once as registration's (verifiable log with its heads and checkpoints, and the journal). The
ceilings, measured in the same run on the same server with messages of the same size: one
`JetStreamContext.publish` awaited after another (a round trip per message: what a relay that
waits for each ack can reach), and the same messages pipelined (`PipelinedPublisher`: what the
transport allows). Rounds alternate on fresh streams; the best of each counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from uuid import uuid4

import nats
from nats.js import JetStreamContext

from shared.platform.envelope import MSG_ID, POSITION, encode
from shared.platform.outbox import OutboxRelay
from shared.platform.pipeline import PipelinedPublisher
from shared.platform.runtime import ensure_streams
from shared.platform.subjects import AUDIT_STREAM, JOURNAL_OF_SERVICE, REGISTRATION_STREAM
from shared.records.journal import Journal
from shared.records.servicelog.log import ServiceLog
from tests.integration.test_auditlog_relay import translate
from tests.support.infra import native_nats
from tests.unit.records.servicelog.support import SERVICE, MemoApp, file_memos, memo_app

STREAMS = (REGISTRATION_STREAM, AUDIT_STREAM, JOURNAL_OF_SERVICE[SERVICE])


async def fresh_streams(js: JetStreamContext) -> None:
    for spec in STREAMS:
        with contextlib.suppress(Exception):  # not there yet
            await js.delete_stream(spec.name)
    await ensure_streams(js, SERVICE, list(STREAMS))


def sample_message(app: MemoApp) -> tuple[str, bytes, dict[str, str]]:
    """Subject, body and headers of the first stored event, as the relay publishes it."""
    notification = app.recorder.select_notifications(start=1, limit=1)[0]
    event = translate(app.mapper.to_domain_event(notification), notification.id)
    assert event is not None
    body, headers = encode(event, SERVICE)
    return event.subject(), body, headers


async def awaited_one_by_one(js: JetStreamContext, message: Any, count: int) -> float:
    subject, body, headers = message
    started = time.perf_counter()
    for position in range(1, count + 1):
        sent = {**headers, MSG_ID: str(uuid4()), POSITION: str(position)}
        await js.publish(subject, body, stream=REGISTRATION_STREAM.name, headers=sent)
    return count / (time.perf_counter() - started)


async def pipelined(js: JetStreamContext, message: Any, count: int, batch: int) -> float:
    subject, body, headers = message
    publisher = PipelinedPublisher(js, REGISTRATION_STREAM.name, timeout=30)
    started = time.perf_counter()
    for first in range(1, count + 1, batch):
        await publisher.begin()
        acks = []
        for position in range(first, min(first + batch, count + 1)):
            sent = {**headers, MSG_ID: str(uuid4()), POSITION: str(position)}
            acks.append(await publisher.send(subject, body, sent))
        for ack in acks:
            await publisher.acknowledged(ack)
    rate = count / (time.perf_counter() - started)
    await publisher.close()
    return rate


def fresh_store(template: Path) -> MemoApp:
    """A copy of the stored events, with no log kept yet: each relay starts cold."""
    copy = template.parent / str(uuid4())
    shutil.copytree(template, copy)
    return memo_app(copy)


async def relayed(js: JetStreamContext, count: int, relay: OutboxRelay) -> float:
    started = time.perf_counter()
    task = asyncio.create_task(relay.run(js))
    try:
        while relay.position < count:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        return count / (time.perf_counter() - started)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def bare(template: Path) -> OutboxRelay:
    return OutboxRelay(fresh_store(template), SERVICE, REGISTRATION_STREAM, translate)


def as_registration(template: Path) -> OutboxRelay:
    app = fresh_store(template)
    audit = ServiceLog(SERVICE, app, key_dir=template.parent / "keys", every_seconds=3600)
    journal = Journal(SERVICE, app)
    return OutboxRelay(app, SERVICE, REGISTRATION_STREAM, translate, audit=audit, journal=journal)


async def measure(url: str, folder: Path, events: int, rounds: int) -> dict[str, Any]:
    template = folder / "template"
    app = memo_app(template)
    file_memos(app, events, drafts=False)
    message = sample_message(app)
    app.close()
    nc = await nats.connect(url)
    js = nc.jetstream(timeout=30)
    measures: dict[str, Callable[[], Any]] = {
        "awaited one by one (ceiling of waiting for each ack)": lambda: awaited_one_by_one(
            js, message, events
        ),
        "pipelined, batches of 500 (ceiling of the transport)": lambda: pipelined(
            js, message, events, 500
        ),
        "relay, bare": lambda: relayed(js, events, bare(template)),
        "relay as registration's (log heads, checkpoints, journal)": lambda: relayed(
            js, events, as_registration(template)
        ),
    }
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, run in measures.items():
            await fresh_streams(js)
            best[name] = max(best.get(name, 0.0), await run())
    await nc.close()
    return best


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with native_nats() as server, tempfile.TemporaryDirectory(prefix="d73-bench-") as folder:
        rates = asyncio.run(measure(server.url, Path(folder), args.events, args.rounds))
    print(f"| {args.events} events, best of {args.rounds} | events/s |")
    print("|---|---:|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} |")
    figures = {
        "bench": "relay_publish",
        "events": args.events,
        **{k: round(v) for k, v in rates.items()},
    }
    print(json.dumps(figures, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
