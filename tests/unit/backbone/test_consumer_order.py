"""A consumer records its upstream in stream order whatever order JetStream delivers in: after
nats-server restarts it can hand out newer messages before it redelivers one lost with the
connection (tests/e2e/test_backbone.py's restart test lost one so, ~1 run in 4), and the tracking
high-water mark would then count that one a duplicate. What was not delivered is read from the
stream; waiting for JetStream instead lost 34 messages in a chaos run on a loaded machine."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from nats.js.errors import NotFoundError

from shared.platform.consumer import TrackedConsumer
from tests.unit.backbone.notes import notes_store
from tests.unit.backbone.test_store_batch import NoteApp, consumer_of, message, tracked

pytestmark = pytest.mark.anyio


class Delivered:
    """A message as the pull loop hands it over, remembering how it was settled."""

    def __init__(self, position: int, reason: str) -> None:
        self._msg = message(position, reason)
        self.settled: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._msg, name)

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append(f"nak {delay}")

    async def in_progress(self) -> None:
        pass


@pytest.fixture(params=["sqlite"])  # the order is the consumer's, whatever the store
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NoteApp]:
    with notes_store(request, tmp_path, NoteApp) as (application, _):
        yield application


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def delivered(*positions: int) -> list[Delivered]:
    return [Delivered(p, f"n{p}:opened") for p in positions]


class Stream:
    """The upstream stream as `js.get_msg` reads it: the messages it holds, by sequence."""

    def __init__(self, *positions: int) -> None:
        self.held = {p: message(p, f"n{p}:opened") for p in positions}
        self.read: list[int] = []

    async def get_msg(self, stream: str, seq: int) -> Any:
        self.read.append(seq)
        if seq not in self.held:
            raise NotFoundError
        msg = self.held[seq]
        return SimpleNamespace(
            subject=msg.subject, seq=seq, data=msg.data, headers=msg.headers, time=None
        )


class Unreadable:
    """A stream the consumer cannot read now (NATS away, or no permission)."""

    async def get_msg(self, stream: str, seq: int) -> Any:
        raise TimeoutError


async def settle(consumer: TrackedConsumer, msgs: Sequence[Delivered], stream: Any = None) -> None:
    js: Any = stream or Unreadable()
    await consumer.handle_batch(msgs, js)  # type: ignore[arg-type]


async def test_a_batch_past_a_message_not_yet_settled_reads_it_from_the_stream(
    app: NoteApp,
) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    stream = Stream(*range(1, 9))
    await settle(consumer, delivered(1, 2, 3), stream)
    early = delivered(5, 8)  # 4, 6 and 7 were handed out before a reconnect: not here yet
    await settle(consumer, early, stream)
    assert stream.read == [4, 6, 7]
    assert [m.settled for m in early] == [["ack"], ["ack"]]
    assert tracked(app) == 8
    assert sorted(notes) == [f"n{p}" for p in range(1, 9)], "none counted a duplicate"
    late = delivered(4, 6, 7)  # JetStream's own copies
    await settle(consumer, late, stream)
    assert [m.settled for m in late] == [["ack"], ["ack"], ["ack"]]
    assert consumer.stats.duplicates == 3
    assert consumer.acked_through == 8, "a duplicate acked does not move it back"


async def test_when_the_stream_cannot_be_read_a_batch_waits_for_the_redelivery(
    app: NoteApp,
) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    consumer.ack_wait = 30.0
    await settle(consumer, delivered(1, 2, 3))
    early = delivered(5, 6)
    await settle(consumer, early, Unreadable())
    assert [m.settled for m in early] == [["nak 30.0"], ["nak 30.0"]]
    assert tracked(app) == 3, "nothing recorded past the missing message"
    await settle(consumer, delivered(4))
    await settle(consumer, delivered(5, 6))
    assert tracked(app) == 6
    assert sorted(notes) == [f"n{p}" for p in range(1, 7)], "none counted a duplicate"
    assert consumer.stats.duplicates == 0


async def test_a_batch_delivered_out_of_order_is_recorded_in_stream_order(app: NoteApp) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    await settle(consumer, delivered(1))
    batch = delivered(3, 2, 4)
    await settle(consumer, batch)
    assert [m.settled for m in batch] == [["ack"], ["ack"], ["ack"]]
    assert tracked(app) == 4
    assert consumer.stats.duplicates == 0
    assert len(notes) == 4


async def test_duplicates_are_not_held_and_a_message_deleted_from_the_stream_is_passed_over(
    app: NoteApp,
) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    await settle(consumer, delivered(1, 2))
    again = delivered(2)
    await settle(consumer, again)
    assert again[0].settled == ["ack"]
    assert consumer.stats.duplicates == 1
    after_a_deleted_one = delivered(4)  # 3 was deleted from the stream: it never comes
    await settle(consumer, after_a_deleted_one, Stream(1, 2, 4))
    assert after_a_deleted_one[0].settled == ["ack"]
    assert tracked(app) == 4


async def test_a_message_that_never_comes_is_not_waited_for_ever(app: NoteApp) -> None:
    consumer = consumer_of(app, {})
    consumer.ack_wait = 0.05
    await settle(consumer, delivered(1, 2))
    after_a_lost_one = delivered(4)
    await settle(consumer, after_a_lost_one, Unreadable())
    assert after_a_lost_one[0].settled == ["nak 0.05"]
    await asyncio.sleep(2 * consumer.ack_wait)
    await settle(consumer, after_a_lost_one, Unreadable())
    assert after_a_lost_one[0].settled == ["nak 0.05", "ack"]
    assert tracked(app) == 4


@pytest.mark.parametrize(
    ("ack_floor", "first_allowed"),
    [(0, 4), (2, 4), (4, 5)],  # floor behind the store, none, or ahead (4 dead-lettered)
)
async def test_a_process_just_started_holds_its_first_batch_to_what_is_settled(
    app: NoteApp, ack_floor: int, first_allowed: int
) -> None:
    notes: dict[str, uuid.UUID] = {}
    await settle(consumer_of(app, notes), delivered(1, 2, 3))  # an earlier run of the process
    restarted = consumer_of(app, notes)
    restarted.ack_wait = 30.0
    await restarted.resume_from(ack_floor)
    early = delivered(first_allowed + 1)  # the one before it was in flight when it stopped
    await settle(restarted, early)
    assert early[0].settled == ["nak 30.0"]
    on_time = delivered(first_allowed)
    await settle(restarted, on_time)
    assert on_time[0].settled == ["ack"]


async def test_a_fresh_durable_holds_nothing(app: NoteApp) -> None:
    consumer = consumer_of(app, {})
    await consumer.resume_from(0)
    assert consumer.acked_through is None
    batch = delivered(1, 2)
    await settle(consumer, batch)
    assert [m.settled for m in batch] == [["ack"], ["ack"]]


class StreamWithDeadLetters(Stream):
    """The stream, and the dead letters published beside it."""

    def __init__(self, *positions: int) -> None:
        super().__init__(*positions)
        self.dead_letters: list[str] = []

    async def publish(self, subject: str, data: bytes, **_: Any) -> None:
        self.dead_letters.append(subject)


async def test_a_poison_message_read_from_the_stream_is_dead_lettered_once(app: NoteApp) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    stream = StreamWithDeadLetters(1, 2, 3)
    stream.held[2].data = b"{ not an event"
    await settle(consumer, delivered(1), stream)
    await settle(consumer, delivered(3), stream)  # 2 was handed out before a reconnect
    assert stream.read == [2]
    assert len(stream.dead_letters) == 1
    assert tracked(app) == 3
    copy = delivered(2)  # JetStream's own delivery of 2, at last
    copy[0]._msg.data = b"{ not an event"
    await settle(consumer, copy, stream)
    assert copy[0].settled == ["ack"]
    assert len(stream.dead_letters) == 1, "not dead-lettered a second time"
    assert consumer.stats.dead_lettered == 1
