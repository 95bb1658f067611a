"""A consumer's or a relay's own thread (`WorkerThread`), and the HTTP commands' pool of them
(`WorkerPool`): what the caller sees is what `anyio.to_thread.run_sync` gives, for a third of
its CPU per call (issue #19)."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading

import pytest

from shared.platform.worker import WorkerPool, WorkerThread

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
@pytest.mark.parametrize("kind", ["thread", "pool"])
async def test_a_cancelled_caller_waits_for_the_call_to_end_before_it_is_cancelled(
    kind: str,
) -> None:
    worker = WorkerThread("test worker") if kind == "thread" else WorkerPool("test pool", size=2)
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


@pytest.mark.anyio
async def test_the_thread_ends_when_its_owner_is_gone() -> None:
    worker = WorkerThread("test worker gone")
    assert await worker.run(lambda: 1) == 1
    thread = next(t for t in threading.enumerate() if t.name == "test worker gone")
    del worker
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.anyio
async def test_a_pool_runs_calls_asked_at_once_at_once_with_each_callers_context() -> None:
    pool = WorkerPool("test pool", size=4)
    together = threading.Barrier(4, timeout=5)  # a single thread would wait here for ever

    async def ask(n: int) -> tuple[int, str]:
        ASKED_BY.set(f"request {n}")

        def call() -> tuple[int, str]:
            together.wait()
            return n, ASKED_BY.get()

        return await pool.run(call)

    answers = await asyncio.gather(*(ask(n) for n in range(4)))
    assert answers == [(n, f"request {n}") for n in range(4)]
    assert pool.threads == 4


@pytest.mark.anyio
async def test_a_pool_starts_no_more_threads_than_its_size_and_the_rest_wait() -> None:
    pool = WorkerPool("test pool small", size=2)
    lock = threading.Lock()
    running, most = 0, 0

    def call(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        threading.Event().wait(0.02)
        with lock:
            running -= 1
        return n

    assert await asyncio.gather(*(pool.run(call, n) for n in range(7))) == list(range(7))
    assert most == 2
    assert pool.threads == 2
    # Calls one after the other reuse an idle thread.
    assert [await pool.run(call, n) for n in range(3)] == [0, 1, 2]
    assert pool.threads == 2


@pytest.mark.anyio
async def test_a_pool_gives_back_exceptions() -> None:
    pool = WorkerPool("test pool", size=2)

    def fails() -> None:
        raise LookupError("not there")

    with pytest.raises(LookupError, match="not there"):
        await pool.run(fails)
    assert await pool.run(lambda: "still serving") == "still serving"


@pytest.mark.anyio
async def test_a_pools_threads_end_when_it_is_gone() -> None:
    pool = WorkerPool("test pool gone", size=3)
    together = threading.Barrier(3, timeout=5)
    await asyncio.gather(*(pool.run(together.wait) for _ in range(3)))
    threads = [t for t in threading.enumerate() if t.name.startswith("test pool gone")]
    assert len(threads) == 3
    del pool
    gc.collect()
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()
