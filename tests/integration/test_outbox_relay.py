"""The outbox relay against a real nats-server: order, positions, restarts, no duplicates."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, DomainEventProtocol, event
from nats.js import JetStreamContext

from shared.contracts.registration import ProposalWithdrawn
from shared.platform.envelope import MSG_ID, POSITION
from shared.platform.eventstore import ServiceApplication, store_env
from shared.platform.outbox import OutboxRelay, event_id
from shared.platform.settings import Settings
from shared.platform.subjects import REGISTRATION_STREAM
from tests.support.relay import running

pytestmark = pytest.mark.anyio


class Memo(Aggregate):
    @event("Filed")
    def __init__(self, reason: str) -> None:
        self.reason = reason

    @event("Scribbled")
    def scribble(self, text: str) -> None:
        """A private change: never published."""
        self.text = text


class MemoApp(ServiceApplication):
    name = "registration"


def translate(domain_event: DomainEventProtocol[UUID], position: int) -> ProposalWithdrawn | None:
    if not isinstance(domain_event, Memo.Filed):  # type: ignore[attr-defined]
        return None
    return ProposalWithdrawn(
        id=event_id("registration", domain_event),
        proposal_id=domain_event.originator_id,
        occurred_at=domain_event.timestamp,
        position=position,
        reason=domain_event.reason,
    )


async def stream_messages(js: JetStreamContext) -> list[dict[str, str]]:
    info = await js.stream_info(REGISTRATION_STREAM.name)
    headers = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(REGISTRATION_STREAM.name, seq=seq)
        headers.append(dict(msg.headers or {}))
    return headers if info.state.messages else []


async def eventually_count(js: JetStreamContext, count: int, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while (await js.stream_info(REGISTRATION_STREAM.name)).state.messages < count:
        assert asyncio.get_running_loop().time() < deadline, f"stream never reached {count}"
        await asyncio.sleep(0.02)


async def test_relay_publishes_public_events_in_store_order(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = MemoApp(store_env("registration", Settings(data_dir=tmp_path)))
    relay = OutboxRelay(app, "registration", REGISTRATION_STREAM, translate, poll_seconds=5)
    memos = [Memo(f"m{i}") for i in range(3)]
    app.record(memos[0])
    memos[0].scribble("private")
    app.record(memos[0])
    async with running(relay, js):
        for memo in memos[1:]:
            app.record(memo)
        await eventually_count(js, 3)
        await asyncio.sleep(0.2)
    headers = await stream_messages(js)
    assert [h[POSITION] for h in headers] == ["1", "3", "4"], "private event 2 skipped"
    filed = [next(iter(app.repository.event_store.get(m.id))) for m in memos]
    assert [h[MSG_ID] for h in headers] == [str(event_id("registration", e)) for e in filed]


async def test_relay_is_woken_by_commit_without_waiting_for_the_poll(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = MemoApp(store_env("registration", Settings(data_dir=tmp_path)))
    relay = OutboxRelay(app, "registration", REGISTRATION_STREAM, translate, poll_seconds=30)
    async with running(relay, js):
        await asyncio.sleep(0.3)
        started = asyncio.get_running_loop().time()
        await asyncio.to_thread(app.record, Memo("now"))
        await eventually_count(js, 1, within=5)
        assert asyncio.get_running_loop().time() - started < 5


async def test_restarted_relay_resumes_from_the_stream_without_duplicates(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = MemoApp(store_env("registration", Settings(data_dir=tmp_path)))
    relay = OutboxRelay(app, "registration", REGISTRATION_STREAM, translate, poll_seconds=0.2)
    async with running(relay, js):
        for i in range(5):
            app.record(Memo(f"a{i}"))
        await eventually_count(js, 5)
    # Committed while no relay ran (a crash after commit, before publish).
    for i in range(3):
        app.record(Memo(f"b{i}"))
    again = OutboxRelay(app, "registration", REGISTRATION_STREAM, translate, poll_seconds=0.2)
    async with running(again, js):
        await eventually_count(js, 8)
        await asyncio.sleep(0.5)
    headers = await stream_messages(js)
    assert [int(h[POSITION]) for h in headers] == list(range(1, 9))
    assert again.published == 3, "only what the stream was missing"


async def test_republished_event_is_dropped_by_the_server(
    js: JetStreamContext, tmp_path: Path
) -> None:
    """A crash after the PubAck but before any bookkeeping republishes: the msg id saves us."""
    app = MemoApp(store_env("registration", Settings(data_dir=tmp_path)))
    memo = Memo("once")
    app.record(memo)
    stored = app.repository.event_store.get(memo.id)
    relay = OutboxRelay(app, "registration", REGISTRATION_STREAM, translate)
    notification = app.recorder.select_notifications(start=1, limit=1)[0]
    await relay._relay(js, [(notification, None, None)])
    await relay._relay(js, [(notification, None, None)])
    headers = await stream_messages(js)
    assert len(headers) == 1
    assert headers[0][MSG_ID] == str(event_id("registration", next(iter(stored))))
