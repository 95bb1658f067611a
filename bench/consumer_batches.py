"""A tracked consumer alone: messages per second through the pull loop, by batch size.

Publishes `--messages` withdrawals to D73_REGISTRATION on a fresh nats-server, then times a
`TrackedConsumer` fed by its `PullLoop` (the service's path: fetch, one worker-thread pass per
batch, acks) until every message is recorded, each with a new aggregate and its tracking, on
SQLite: a pass is one transaction, each message a savepoint of it (`shared.platform.storebatch`),
so batch size 1 is the old one-message-in-flight consumer with one commit per message. The
sizes run alternately `--rounds` times, since a shared machine drifts.

    .venv/bin/python -m bench.consumer_batches --messages 2000 --sizes 1,64 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from services.cli.natsserver import NatsServer
from shared.contracts import IntegrationEvent
from shared.contracts.registration import ProposalWithdrawn
from shared.platform.consumer import TrackedConsumer
from shared.platform.envelope import encode
from shared.platform.eventstore import ServiceApplication, store_env
from shared.platform.pulling import PullLoop
from shared.platform.runtime import ensure_streams
from shared.platform.settings import Settings
from shared.platform.subjects import DEADLETTER_STREAM, REGISTRATION_STREAM
from tests.support.infra import native_nats


class Sink(ServiceApplication):
    name = "approval"


class Withdrawal(Aggregate):
    """One small aggregate per message: the write a handler makes."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


async def one_round(server: NatsServer, data: Path, messages: int, batch_size: int) -> float:
    app = Sink(store_env("approval", Settings(data_dir=data)))
    recorded = 0
    all_recorded = asyncio.Event()
    event_loop = asyncio.get_running_loop()

    def handle(event: IntegrationEvent, tracking: Tracking) -> None:
        nonlocal recorded
        assert isinstance(event, ProposalWithdrawn)
        app.record(Withdrawal(event.reason), tracking=tracking)
        recorded += 1
        if recorded == messages:
            event_loop.call_soon_threadsafe(all_recorded.set)

    consumer = TrackedConsumer(
        service="approval",
        app=app,
        upstream=REGISTRATION_STREAM,
        handlers={ProposalWithdrawn.TYPE: handle},
        batch_size=batch_size,
    )
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await ensure_streams(js, "approval", [REGISTRATION_STREAM, DEADLETTER_STREAM])
    with contextlib.suppress(Exception):
        await js.delete_consumer(REGISTRATION_STREAM.name, consumer.durable)
    loop = PullLoop(consumer, nc, js, inbox_prefix=b"_INBOX.", fetch_wait=0.5)
    started = time.perf_counter()
    following = asyncio.create_task(loop.run())
    try:
        await all_recorded.wait()
        return messages / (time.perf_counter() - started)
    finally:
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
        await nc.close()
        app.close()


async def fill(server: NatsServer, messages: int) -> None:
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await ensure_streams(js, "registration", [REGISTRATION_STREAM])
    for n in range(messages):
        event = ProposalWithdrawn(
            id=uuid.uuid4(),
            proposal_id=uuid.uuid4(),
            occurred_at=datetime.now(UTC),
            position=n + 1,
            reason=f"withdrawal {n}",
        )
        body, headers = encode(event, "registration")
        await js.publish(ProposalWithdrawn.subject(), body, headers=headers)
    await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sizes", default="1,64", help="batch sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rates: dict[int, list[float]] = {size: [] for size in sizes}
    with native_nats() as server:
        asyncio.run(fill(server, args.messages))
        for _ in range(args.rounds):
            for size in sizes:
                with tempfile.TemporaryDirectory() as data:
                    rate = asyncio.run(one_round(server, Path(data), args.messages, size))
                rates[size].append(rate)
                print(f"batch {size:>4}: {rate:8.1f} messages/s", flush=True)
    print(
        json.dumps(
            {
                "bench": "consumer_batches",
                "messages": args.messages,
                "messages_per_s": {str(size): [round(r, 1) for r in rates[size]] for size in sizes},
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
