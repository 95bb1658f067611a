"""Retries are bounded: a failing message is retried, then dead-lettered; the next one flows.

Consumers take batches (issue #19 §1); the order stays strict, within a batch and across a
restart with messages in flight, because the store's tracking is a high-water mark.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
import pytest
from eventsourcing.persistence import Tracking
from nats.js import JetStreamContext

from services.cli.natsserver import NatsServer
from shared.contracts import IntegrationEvent
from shared.contracts.registration import ProposalWithdrawn
from shared.platform.consumer import Handler, TrackedConsumer
from shared.platform.envelope import encode
from shared.platform.eventstore import ServiceApplication, store_env
from shared.platform.pulling import PullLoop
from shared.platform.runtime import ensure_streams
from shared.platform.settings import Settings
from shared.platform.subjects import DEADLETTER_STREAM, REGISTRATION_STREAM, inbox_prefix
from tests.deploy.natsauth import SERVICE_PASSWORDS

pytestmark = pytest.mark.anyio


class Sink(ServiceApplication):
    name = "approval"


def withdrawn(reason: str) -> ProposalWithdrawn:
    return ProposalWithdrawn(
        id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        position=1,
        reason=reason,
    )


async def test_transient_failure_is_retried_and_a_permanent_one_dead_lettered(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    app = Sink(store_env("approval", Settings(data_dir=tmp_path)))
    attempts: dict[str, int] = {}
    handled: list[str] = []

    def handle(event: IntegrationEvent, tracking: Tracking) -> None:
        assert isinstance(event, ProposalWithdrawn)
        attempts[event.reason] = attempts.get(event.reason, 0) + 1
        if event.reason == "always fails" or (
            event.reason == "fails twice" and attempts[event.reason] <= 2
        ):
            raise RuntimeError(f"boom {attempts[event.reason]}")
        app.record(tracking=tracking)
        handled.append(event.reason)

    consumer = withdrawals_into(app, handle, max_deliver=3, ack_wait=5)
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, "approval", [REGISTRATION_STREAM, DEADLETTER_STREAM])
    for reason in ("fails twice", "always fails", "fine"):
        body, headers = encode(withdrawn(reason), "registration")
        await js.publish(ProposalWithdrawn.subject(), body, headers=headers)
    sub = await js.pull_subscribe(
        REGISTRATION_STREAM.subjects[0],
        durable=consumer.durable,
        stream=REGISTRATION_STREAM.name,
        config=consumer.consumer_config(),
    )
    deadline = asyncio.get_running_loop().time() + 30
    while len(handled) < 2 or consumer.stats.dead_lettered < 1:
        assert asyncio.get_running_loop().time() < deadline, (handled, consumer.stats)
        try:
            for msg in await sub.fetch(1, timeout=1):
                await consumer.handle(msg, js)
        except TimeoutError:  # nats-py raises its own subclass or the plain one
            pass
    assert handled == ["fails twice", "fine"], "order kept; each handled once"
    assert attempts == {"fails twice": 3, "always fails": 3, "fine": 1}
    letter = await js.get_last_msg(DEADLETTER_STREAM.name, "d73.deadletter.approval")
    assert letter.headers is not None
    assert letter.headers["d73-reason"] == "gave up after 3 deliveries: RuntimeError: boom 3"
    assert letter.headers["d73-origin-seq"] == "2"
    await nc.close()


class Recorder:
    """A handler that records each withdrawal's reason with its tracking, failing on demand."""

    def __init__(self, app: ServiceApplication, failures: dict[str, int]) -> None:
        self.app = app
        self.failures = failures
        """How many times each reason fails before it succeeds (a large number: always)."""
        self.calls: list[str] = []
        self.handled: list[str] = []

    def __call__(self, event: IntegrationEvent, tracking: Tracking) -> None:
        assert isinstance(event, ProposalWithdrawn)
        self.calls.append(event.reason)
        if self.calls.count(event.reason) <= self.failures.get(event.reason, 0):
            raise RuntimeError(f"boom {self.calls.count(event.reason)}")
        self.app.record(tracking=tracking)
        self.handled.append(event.reason)


def withdrawals_into(app: ServiceApplication, handler: Handler, **settings: Any) -> TrackedConsumer:
    """Approval's consumer of registration's stream, handling withdrawals with `handler`."""
    return TrackedConsumer(
        service="approval",
        app=app,
        upstream=REGISTRATION_STREAM,
        handlers={ProposalWithdrawn.TYPE: handler},
        **settings,
    )


async def publish(js: JetStreamContext, *reasons: str) -> None:
    for reason in reasons:
        body, headers = encode(withdrawn(reason), "registration")
        await js.publish(ProposalWithdrawn.subject(), body, headers=headers)


async def test_in_a_batch_the_messages_after_a_failing_one_wait_for_it(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    app = Sink(store_env("approval", Settings(data_dir=tmp_path)))
    handler = Recorder(app, {"second fails twice": 2, "fourth always fails": 99})
    consumer = withdrawals_into(app, handler, max_deliver=3, ack_wait=5, batch_size=8)
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, "approval", [REGISTRATION_STREAM, DEADLETTER_STREAM])
    reasons = ("first", "second fails twice", "third", "fourth always fails", "fifth")
    await publish(js, *reasons)
    sub = await js.pull_subscribe(
        REGISTRATION_STREAM.subjects[0],
        durable=consumer.durable,
        stream=REGISTRATION_STREAM.name,
        config=consumer.consumer_config(),
    )
    batch = await sub.fetch(8, timeout=2)
    assert len(batch) == 5, "one fetch takes the whole backlog"
    await consumer.handle_batch(batch, js)
    assert handler.calls == [
        "first",
        *["second fails twice"] * 3,
        "third",
        *["fourth always fails"] * 3,
        "fifth",
    ], "nothing after a failing message is tried before it succeeds or is set aside"
    assert handler.handled == ["first", "second fails twice", "third", "fifth"]
    assert consumer.stats.dead_lettered == 1
    letter = await js.get_last_msg(DEADLETTER_STREAM.name, "d73.deadletter.approval")
    assert letter.headers is not None
    assert letter.headers["d73-origin-seq"] == "4"
    assert letter.headers["d73-deliveries"] == "3"
    info = await js.consumer_info(REGISTRATION_STREAM.name, consumer.durable)
    assert info.num_ack_pending == 0, "every message of the batch is acked"
    assert info.num_redelivered == 0, "the waiting messages were never redelivered"
    await nc.close()


async def test_an_old_durable_is_updated_and_what_a_killed_run_left_in_flight_goes_first(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """A durable of the previous release (max_ack_pending=1) is brought to the batch size; a
    batch a killed run had fetched is redelivered before anything newer is handed out, so no
    message is taken for a duplicate of a later one."""
    app = Sink(store_env("approval", Settings(data_dir=tmp_path)))
    handler = Recorder(app, {})
    consumer = withdrawals_into(app, handler, ack_wait=1, batch_size=16)
    killed = await nats.connect(nats_server.url)
    old_js = killed.jetstream()
    await ensure_streams(old_js, "approval", [REGISTRATION_STREAM, DEADLETTER_STREAM])
    old = consumer.consumer_config()
    old.max_ack_pending = 1
    sub = await old_js.pull_subscribe(
        REGISTRATION_STREAM.subjects[0],
        durable=consumer.durable,
        stream=REGISTRATION_STREAM.name,
        config=old,
    )
    await publish(old_js, "in flight 1")
    assert len(await sub.fetch(1, timeout=2)) == 1  # never acked: the run is killed
    await killed.close()

    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await publish(js, "new 1", "new 2")
    loop = PullLoop(consumer, nc, js, inbox_prefix=b"_INBOX.", fetch_wait=0.5)
    await loop.ensure_durable(check_in_flight=True)
    assert loop.draining
    info = await js.consumer_info(REGISTRATION_STREAM.name, consumer.durable)
    assert info.config.max_ack_pending == 1, "nothing new until the one in flight is back"
    following = asyncio.create_task(loop.run())
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while len(handler.handled) < 3 or loop.draining:
            assert asyncio.get_running_loop().time() < deadline, (handler.handled, loop.draining)
            await asyncio.sleep(0.1)
        await publish(js, *(f"batch {n}" for n in range(20)))
        while len(handler.handled) < 23:
            assert asyncio.get_running_loop().time() < deadline, handler.handled
            await asyncio.sleep(0.1)
        info = await js.consumer_info(REGISTRATION_STREAM.name, consumer.durable)
        assert info.config.max_ack_pending == 16, "batches again once it is back"
    finally:
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
        await nc.close()
    assert handler.handled == [
        "in flight 1",
        "new 1",
        "new 2",
        *(f"batch {n}" for n in range(20)),
    ]
    assert consumer.stats.duplicates == 0


async def test_messages_handed_out_to_a_dead_run_are_read_from_the_stream_at_once(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """JetStream hands the newer message first and would redeliver the two lost with the dead
    run only after the ack wait (30 s here): the consumer reads them from the stream, with the
    permissions of the service's own NATS user, and records all four in order."""
    app = Sink(store_env("approval", Settings(data_dir=tmp_path)))
    handler = Recorder(app, {})
    consumer = withdrawals_into(app, handler, ack_wait=30)
    admin = await nats.connect(nats_server.url)
    admin_js = admin.jetstream()
    await ensure_streams(admin_js, "approval", [REGISTRATION_STREAM, DEADLETTER_STREAM])
    sub = await admin_js.pull_subscribe(
        REGISTRATION_STREAM.subjects[0],
        durable=consumer.durable,
        stream=REGISTRATION_STREAM.name,
        config=consumer.consumer_config(),
    )
    port = nats_server.url.rsplit(":", 1)[1]
    service = await nats.connect(
        f"nats://approval:{SERVICE_PASSWORDS['approval']}@127.0.0.1:{port}",
        inbox_prefix=inbox_prefix("approval"),
    )
    js = service.jetstream()
    try:
        await publish(admin_js, "first")
        await consumer.handle_batch(await sub.fetch(1, timeout=2), js)
        await publish(admin_js, "lost 1", "lost 2")
        assert len(await sub.fetch(2, timeout=2)) == 2  # handed to a run that dies: never acked
        await publish(admin_js, "after")
        newer = await sub.fetch(1, timeout=2)
        assert [m.metadata.sequence.stream for m in newer] == [4]
        started = asyncio.get_running_loop().time()
        await consumer.handle_batch(newer, js)
        assert asyncio.get_running_loop().time() - started < 10, "read, not waited for"
    finally:
        await service.close()
        await admin.close()
    assert handler.handled == ["first", "lost 1", "lost 2", "after"]
    assert consumer.stats.duplicates == 0
    assert consumer.acked_through == 4
