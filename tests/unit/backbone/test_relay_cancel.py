"""A relay honours a cancellation some await swallowed (`shared.platform.outbox._cancel_if_asked`).

On Python 3.11 a relay cancelled at the wrong instant went on relaying for ever: the request was
lost inside an await, and whoever awaited the relay's end (a service stopping) hung with it.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from shared.platform.outbox import _cancel_if_asked


async def _swallowing_loop(rounds: list[int]) -> None:
    """A loop like the relay's, one of whose awaits swallows a cancellation (it gives up by
    itself after 300 rounds, so that a failing test ends)."""
    while len(rounds) < 300:
        _cancel_if_asked()
        rounds.append(1)
        with contextlib.suppress(asyncio.CancelledError):  # lost here, as in a library
            await asyncio.sleep(0.01)


def test_a_swallowed_cancellation_still_ends_the_loop() -> None:
    async def scenario() -> int:
        rounds: list[int] = []
        task = asyncio.create_task(_swallowing_loop(rounds))
        await asyncio.sleep(0.03)
        task.cancel()
        await asyncio.wait({task}, timeout=2)
        assert task.done(), "the loop went on after it was cancelled"
        assert task.cancelled()
        return len(rounds)

    assert 1 <= asyncio.run(scenario()) < 300


def test_our_own_timeouts_do_not_count_as_a_cancellation() -> None:
    async def scenario() -> None:
        for _ in range(3):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.001):
                    await asyncio.sleep(1)
            _cancel_if_asked()  # nothing asked: no error

    asyncio.run(scenario())
