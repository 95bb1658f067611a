"""The runtime's heartbeat loop (issue #12 §3) on the platform's one background loop: it says
nothing the moment the service starts, sends while the log owes a checkpoint and once whenever
what it says changes, forgets since when NATS was reachable when a beat cannot leave, and ends
for a service whose log no witness hears."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast
from uuid import uuid4

import pytest

from shared.contracts.audit import LogHeartbeat
from shared.platform.runtime import ServiceRuntime


class Broker:
    """What the heartbeat sees of JetStream: published subjects, or a failure."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, float]] = []
        self.failing = False

    async def publish(self, subject: str, body: bytes, **_: Any) -> None:
        if self.failing:
            raise ConnectionError("broker away")
        self.sent.append((subject, asyncio.get_running_loop().time()))


def runtime(beats: Sequence[LogHeartbeat | None], *, seconds: float = 0.02) -> ServiceRuntime:
    """A runtime with only what the heartbeat reads: its settings, NATS up, and `heartbeat()`
    giving `beats` in turn (the last one from then on)."""
    rt = ServiceRuntime.__new__(ServiceRuntime)
    rt.service = "approval"
    rt.settings = cast(Any, SimpleNamespace(heartbeat_seconds=seconds))
    rt.broker = cast(Any, SimpleNamespace(connection=SimpleNamespace(is_connected=True)))
    rt._connected_since = None
    rt._said = None
    queue = list(beats)
    rt.heartbeat = lambda: queue.pop(0) if len(queue) > 1 else queue[0]  # type: ignore[method-assign]
    return rt


def beat(log_due: int, signed: int, accepting: bool = True) -> LogHeartbeat:
    return LogHeartbeat(
        id=uuid4(),
        occurred_at=datetime.now(UTC),
        service="approval",
        accepting=accepting,
        log_due=log_due,
        signed_size=signed,
        checkpoint_every_seconds=60,
    )


def run(rt: ServiceRuntime, js: Broker, seconds: float) -> tuple[float, bool]:
    """Run the heartbeat job for `seconds` (or until it ends): when it started, whether it
    ended by itself."""

    async def main() -> tuple[float, bool]:
        started = asyncio.get_running_loop().time()
        task = asyncio.create_task(rt.heartbeat_job(cast(Any, js))())
        done, _ = await asyncio.wait({task}, timeout=seconds)
        if not done:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        return started, bool(done)

    return asyncio.run(main())


def test_the_first_beat_waits_a_period_and_an_owing_log_beats_every_period() -> None:
    js = Broker()
    started, ended = run(runtime([beat(10, 4)]), js, 2.0)  # 100 periods: room for a slow machine
    assert not ended
    assert len(js.sent) >= 3
    assert js.sent[0][0] == "d73.audit.heartbeat.approval"
    assert js.sent[0][1] - started >= 0.02


def test_a_signed_log_beats_once_per_change_of_what_it_says() -> None:
    js = Broker()
    says = [beat(10, 10), beat(10, 10), beat(10, 10), beat(12, 12), beat(12, 12, accepting=False)]
    rt = runtime(says)

    async def rounds() -> None:
        for _ in range(len(says) + 2):  # the last one twice more: nothing new to say
            await rt._beat(cast(Any, js))

    asyncio.run(rounds())
    assert len(js.sent) == 3, "(10, accepting), (12, accepting), (12, not accepting)"
    assert rt._said == (12, False, False)


def test_a_beat_that_cannot_leave_forgets_since_when_nats_was_reachable() -> None:
    """One round at a time: a loop cancelled at a chosen moment may stop inside a round (after
    it noted the connection, before its beat failed), which says nothing about a failed beat."""
    js = Broker()
    js.failing = True
    rt = runtime([beat(10, 4)])
    with pytest.raises(ConnectionError):
        asyncio.run(rt._beat(cast(Any, js)))
    assert js.sent == []
    assert rt._connected_since is None
    assert rt._said is None
    js.failing = False
    asyncio.run(rt._beat(cast(Any, js)))
    assert [subject for subject, _ in js.sent] == ["d73.audit.heartbeat.approval"]
    assert rt._connected_since is not None


def test_nats_away_sends_nothing_and_a_service_with_no_witnessed_log_ends_the_loop() -> None:
    js = Broker()
    rt = runtime([beat(10, 4)])
    rt._connected_since = datetime.now(UTC)
    rt.broker = cast(Any, SimpleNamespace(connection=SimpleNamespace(is_connected=False)))
    _, ended = run(rt, js, 0.1)
    assert not ended
    assert js.sent == []
    assert rt._connected_since is None
    _, ended = run(runtime([None]), js, 2.0)
    assert ended
    assert js.sent == []
