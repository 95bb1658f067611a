"""Retries are bounded: a failing message is retried, then dead-lettered; the next one flows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from eventsourcing.persistence import Tracking

from services.cli.natsserver import NatsServer
from shared.contracts import IntegrationEvent
from shared.contracts.registration import ProposalWithdrawn
from shared.platform.consumer import TrackedConsumer
from shared.platform.envelope import encode
from shared.platform.eventstore import ServiceApplication, store_env
from shared.platform.runtime import ensure_streams
from shared.platform.settings import Settings
from shared.platform.subjects import DEADLETTER_STREAM, REGISTRATION_STREAM

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

    consumer = TrackedConsumer(
        service="approval",
        app=app,
        upstream=REGISTRATION_STREAM,
        handlers={ProposalWithdrawn.TYPE: handle},
        max_deliver=3,
        ack_wait=5,
    )
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
