"""A tracked consumer alone: messages per second through the pull loop, by batch size.

Publishes `--messages` withdrawals to D73_REGISTRATION on a fresh nats-server, then times a
`TrackedConsumer` fed by its `PullLoop` (the service's path: fetch, one worker-thread pass per
batch, acks) until every message is recorded, each with a new aggregate and its tracking, on
SQLite: a pass is one transaction, each message a savepoint of it (`shared.platform.storebatch`),
so batch size 1 is the old one-message-in-flight consumer with one commit per message. The
sizes run alternately `--rounds` times, since a shared machine drifts. `--postgres`: the store
in a throwaway database on the local PostgreSQL server (127.0.0.1:5432), dropped afterwards.

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
from collections.abc import Iterator
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
from shared.platform.eventstore import ServiceApplication, ensure_postgres_database, store_env
from shared.platform.pulling import PullLoop
from shared.platform.runtime import ensure_streams
from shared.platform.settings import Persistence, Settings
from shared.platform.subjects import DEADLETTER_STREAM, REGISTRATION_STREAM
from tests.support.infra import native_nats, throwaway_postgres


class Sink(ServiceApplication):
    name = "approval"


class Withdrawal(Aggregate):
    """One small aggregate per message: the write a handler makes."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


async def one_round(
    server: NatsServer, settings: Settings, messages: int, batch_size: int
) -> tuple[float, float]:
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, "approval")
    app = Sink(store_env("approval", settings))
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
    started, cpu = time.perf_counter(), time.process_time()
    following = asyncio.create_task(loop.run())
    try:
        await all_recorded.wait()
        rate = messages / (time.perf_counter() - started)
        return rate, (time.process_time() - cpu) / messages * 1e6
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


@contextlib.contextmanager
def _settings(data: Path, args: argparse.Namespace) -> Iterator[Settings]:
    """A fresh store: a SQLite file in `data`, or a throwaway database on the local PostgreSQL
    server (tests.support.infra), dropped afterwards."""
    if not args.postgres:
        yield Settings(data_dir=data)
        return
    with throwaway_postgres(data_dir=data) as settings:
        yield settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--sizes", default="1,64", help="batch sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--postgres", action="store_true", help="the store on the local PostgreSQL server"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rates: dict[int, list[float]] = {size: [] for size in sizes}
    cpus: dict[int, list[float]] = {size: [] for size in sizes}
    with native_nats() as server:
        asyncio.run(fill(server, args.messages))
        for _ in range(args.rounds):
            for size in sizes:
                with tempfile.TemporaryDirectory() as data, _settings(Path(data), args) as settings:
                    rate, cpu = asyncio.run(one_round(server, settings, args.messages, size))
                rates[size].append(rate)
                cpus[size].append(cpu)
                print(
                    f"batch {size:>4}: {rate:8.1f} messages/s, {cpu:7.1f} µs CPU per message",
                    flush=True,
                )
    print(
        json.dumps(
            {
                "bench": "consumer_batches",
                "messages": args.messages,
                "store": "postgres" if args.postgres else "sqlite",
                "messages_per_s": {str(size): [round(r, 1) for r in rates[size]] for size in sizes},
                "cpu_us_per_message": {
                    str(size): [round(c, 1) for c in cpus[size]] for size in sizes
                },
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
