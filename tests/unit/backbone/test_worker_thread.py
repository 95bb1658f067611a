"""A consumer's or a relay's own thread (`WorkerThread`): what the caller sees is what
`anyio.to_thread.run_sync` gives, for a third of its CPU per call (issue #19)."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading

import pytest

from shared.platform.worker import WorkerThread

ASKED_BY: contextvars.ContextVar[str] = contextvars.ContextVar("asked_by", default="nobody")


@pytest.mark.anyio
async def test_calls_run_in_order_on_one_thread_of_their_own_with_the_callers_context() -> None:
    worker = WorkerThread("test worker")
    ASKED_BY.set("the consumer")
    seen: list[tuple[int, str, str]] = []

    def call(n: int) -> int:
        seen.append((n, threading.current_thread().name, ASKED_BY.get()))
        ASKED_BY.set("the worker")  # in a copy: the caller's context keeps its value
        return n * 2

    assert [await worker.run(call, n) for n in range(3)] == [0, 2, 4]
    assert seen == [(n, "test worker", "the consumer") for n in range(3)]
    assert ASKED_BY.get() == "the consumer"
    worker.stop()


@pytest.mark.anyio
async def test_an_exception_comes_back_to_the_caller() -> None:
    worker = WorkerThread("test worker")

    def fails() -> None:
        raise LookupError("not there")

    with pytest.raises(LookupError, match="not there"):
        await worker.run(fails)
    assert await worker.run(lambda: "still serving") == "still serving"
    worker.stop()


@pytest.mark.anyio
async def test_a_cancelled_caller_waits_for_the_call_to_end_before_it_is_cancelled() -> None:
    worker = WorkerThread("test worker")
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []

    def long_call() -> None:
        started.set()
        release.wait(5)
        ended.append("done")

    task = asyncio.create_task(worker.run(long_call))
    assert await asyncio.to_thread(started.wait, 5)
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # not abandoned: the call still runs
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended == ["done"]
    worker.stop()


@pytest.mark.anyio
async def test_the_thread_ends_when_its_owner_is_gone() -> None:
    worker = WorkerThread("test worker gone")
    assert await worker.run(lambda: 1) == 1
    thread = next(t for t in threading.enumerate() if t.name == "test worker gone")
    del worker
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()
