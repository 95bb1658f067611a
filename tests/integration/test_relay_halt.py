"""The relay halts its service instead of skipping, colliding or retrying in silence (issue #12 §1,
issue #11 §2), against a real nats-server.

- A store restored to an earlier point (a backup copied back), before and after it took new
  commands, and a store that is another store altogether: the relay publishes nothing past the
  divergence and the service is halted (`relay-diverged`).
- An event larger than the server's `max_payload`: halted at once (`relay-blocked`), nothing
  after it goes out, and the halt lifts by itself once the event is published.
- Messages put into the stream by hand (an operator with the stream's rights; no position
  header): they halt nothing, at start or while the relay follows, and the relay goes on after
  its own last message. Only a flood past the look-back bound halts, with a reason.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.domain import DomainEventProtocol
from nats.js import JetStreamContext

from shared.contracts.registration import ProposalWithdrawn
from shared.platform.envelope import POSITION
from shared.platform.eventstore import store_env
from shared.platform.halt import HaltKind
from shared.platform.outbox import OutboxRelay, event_id
from shared.platform.pipeline import ForeignTail, newest_positioned
from shared.platform.settings import Settings
from shared.platform.subjects import REGISTRATION_STREAM
from tests.integration.test_outbox_relay import (
    Memo,
    MemoApp,
    eventually_count,
    stream_messages,
    translate,
)
from tests.support.relay import running

pytestmark = pytest.mark.anyio


def memo_app(data_dir: Path) -> MemoApp:
    return MemoApp(store_env("registration", Settings(data_dir=data_dir)))


def relay_of(app: MemoApp, translate_with: object = translate) -> OutboxRelay:
    return OutboxRelay(
        app,
        "registration",
        REGISTRATION_STREAM,
        translate_with,  # type: ignore[arg-type]
        poll_seconds=0.1,
        diverged_recheck_seconds=0.2,
    )


async def eventually_halted(relay: OutboxRelay, kind: HaltKind, within: float = 10.0) -> str:
    deadline = asyncio.get_running_loop().time() + within
    while not relay.halt.holds(kind):
        assert asyncio.get_running_loop().time() < deadline, f"never halted ({kind})"
        await asyncio.sleep(0.05)
    return next(r.detail for r in relay.halt.reasons if r.kind is kind)


async def test_a_store_restored_to_an_earlier_point_halts_the_relay(
    js: JetStreamContext, tmp_path: Path
) -> None:
    live, backup = tmp_path / "live", tmp_path / "backup"
    app = memo_app(live)
    async with running(relay_of(app), js):
        app.record(Memo("A"))
        await eventually_count(js, 1)
    app.close()
    shutil.copytree(live, backup)  # the operator's backup, after A
    app = memo_app(live)
    async with running(relay_of(app), js):
        app.record(Memo("B"))
        await eventually_count(js, 2)
    app.close()
    shutil.rmtree(live)
    shutil.copytree(backup, live)  # restored: B is on the stream, not in the store

    restored = memo_app(live)
    relay = relay_of(restored)
    async with running(relay, js):
        detail = await eventually_halted(relay, HaltKind.RELAY_DIVERGED)
        assert "position 2" in detail
        restored.record(Memo("C"))  # taken at position 2, where the stream holds B
        await asyncio.sleep(0.6)
        assert relay.halt.holds(HaltKind.RELAY_DIVERGED)
        detail = next(r.detail for r in relay.halt.reasons)
        assert "at position 2" in detail
        assert "restored" in detail
    assert [h[POSITION] for h in await stream_messages(js)] == ["1", "2"], "C never went out"
    assert relay.published == 0


async def test_another_store_with_as_many_events_halts_the_relay(
    js: JetStreamContext, tmp_path: Path
) -> None:
    first = memo_app(tmp_path / "first")
    async with running(relay_of(first), js):
        for i in range(3):
            first.record(Memo(f"first {i}"))
        await eventually_count(js, 3)
    other = memo_app(tmp_path / "other")
    for i in range(4):
        other.record(Memo(f"other {i}"))
    relay = relay_of(other)
    async with running(relay, js):
        await eventually_halted(relay, HaltKind.RELAY_DIVERGED)
        await asyncio.sleep(0.3)
    assert len(await stream_messages(js)) == 3, "nothing of the other store was published"


async def test_an_event_over_max_payload_halts_until_it_goes_out(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    fits = False

    def oversized(domain_event: DomainEventProtocol[UUID], position: int) -> object:
        event = translate(domain_event, position)
        if event is None or fits or event.reason != "huge":
            return event
        return ProposalWithdrawn.model_construct(  # past any field bound: the server's limit
            id=event_id("registration", domain_event),
            proposal_id=domain_event.originator_id,
            occurred_at=domain_event.timestamp,  # type: ignore[attr-defined]
            position=position,
            reason="x" * (2 * 1024 * 1024),
        )

    relay = relay_of(app, oversized)
    async with running(relay, js):
        app.record(Memo("before"))
        await eventually_count(js, 1)
        app.record(Memo("huge"))
        app.record(Memo("after"))
        detail = await eventually_halted(relay, HaltKind.RELAY_BLOCKED)
        assert "position 2" in detail
        assert "MaxPayloadError" in detail
        await asyncio.sleep(0.5)
        assert len(await stream_messages(js)) == 1, "nothing overtakes the blocked event"

        fits = True  # the operator raised max_payload
        await eventually_count(js, 3)
        assert not relay.halt.holds(HaltKind.RELAY_BLOCKED)


FOREIGN: list[tuple[bytes, dict[str, str] | None]] = [
    (b"\x00" * 10, None),
    (b'{"amount":1e308,"proposal_id":"x"}', {"ce-type": "nonsense"}),
    (b"[" * 5000, {POSITION: "abc"}),
    (b"{}", {POSITION: "0"}),
    (b"{}", {POSITION: "\u0661"}),  # Arabic-Indic one: decimal to str.isdecimal, not to D73
]
SUBJECT = "d73.registration.proposal.submitted"


async def put_by_hand(js: JetStreamContext) -> None:
    for body, headers in FOREIGN:
        await js.publish(SUBJECT, body, headers=headers)


async def test_messages_put_in_the_stream_by_hand_halt_nothing(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    relay = relay_of(app)
    async with running(relay, js):
        app.record(Memo("A"))
        await eventually_count(js, 1)
        await put_by_hand(js)  # while the relay follows: its next run expects an older end
        app.record(Memo("B"))
        await eventually_count(js, 2 + len(FOREIGN))
        assert not relay.halt.reasons
    await put_by_hand(js)  # and at the stream's end when a relay starts
    relay = relay_of(app)
    async with running(relay, js):
        app.record(Memo("C"))
        await eventually_count(js, 3 + 2 * len(FOREIGN))
        await asyncio.sleep(0.3)
        assert not relay.halt.reasons
    positions = [h.get(POSITION) for h in await stream_messages(js)]
    ours = [p for p in positions if type(p) is str and p.isascii() and p.isdigit() and p != "0"]
    assert ours == ["1", "2", "3"], positions
    assert positions[-1] == "3"


async def test_a_flood_past_the_look_back_halts_with_its_reason(
    js: JetStreamContext, tmp_path: Path
) -> None:
    app = memo_app(tmp_path)
    async with running(relay_of(app), js):
        app.record(Memo("A"))
        await eventually_count(js, 1)
    await put_by_hand(js)
    found = await newest_positioned(js, REGISTRATION_STREAM.name, "d73.registration.>")
    assert found is not None
    assert found.headers is not None
    assert found.headers[POSITION] == "1"
    with pytest.raises(ForeignTail, match=f"last {len(FOREIGN) - 1} sequences"):
        await newest_positioned(
            js, REGISTRATION_STREAM.name, "d73.registration.>", lookback=len(FOREIGN) - 1
        )
