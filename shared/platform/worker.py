"""A thread of its own for one task's blocking calls (a consumer's passes, a relay's reads), and a
pool of them for blocking calls made at once (the HTTP commands).

`anyio.to_thread.run_sync` took ~160 µs of CPU per call on a loaded 2-core VM, ~80 more than
handing the call to a thread that waits for nothing else (`WorkerThread`): no capacity limiter
to take, no checkpoint before it, one `SimpleQueue` put to wake it. At a steady feed every
message a consumer settles and every event a relay publishes is such a call (issue #19).

What the caller sees is what `run_sync` gives: the call runs in a copy of the caller's context
(its trace, its log fields), its result or exception comes back, and it is not abandoned when
the caller is cancelled — the cancellation is raised once the call has ended, so nothing the
call still does (a consumer's commit) races what the caller does next (giving the messages
back). One call at a time per thread, in the order they were asked for.

`WorkerPool` is the same for calls that must run at once: every command an HTTP request starts
(draft, submit, decide) blocks in its thread until its group commit is written, and the group
grows with the commands waiting (`shared.platform.groupcommit`). Starlette's
`run_in_threadpool` took ~45-65 µs of CPU per request for the hop; the pool ~20 (issue #19).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Call = tuple[
    asyncio.AbstractEventLoop,
    "asyncio.Future[Any]",
    Callable[..., Any],
    tuple[Any, ...],
    contextvars.Context,
]


class WorkerThread:
    """One daemon thread, started on first use, running the calls handed to it in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        # Its owner gone (a test's consumer, a relay replaced), the idle thread ends too.
        weakref.finalize(self, self._calls.put, None)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on this thread; awaited to its end even if cancelled meanwhile."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._ensure_started()
        self._calls.put((loop, future, function, args, contextvars.copy_context()))
        return await _awaited(future)

    def stop(self) -> None:
        """Let the thread end once the calls already handed to it are done."""
        with self._lock:
            if self._thread is not None:
                self._calls.put(None)
                self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=_serve, args=(self._calls,), name=self.name, daemon=True
                )
                self._thread.start()


class WorkerPool:
    """Up to `size` daemon threads taking calls from one queue, each call on whichever thread is
    free; a thread is started only when none is (past `size`, calls wait in the queue). What
    the caller sees is what `WorkerThread.run` gives, but calls asked at once run at once."""

    def __init__(self, name: str, size: int) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one thread")
        self.name = name
        self._state = _PoolState(size)
        # Its owner gone, each idle thread ends (a test's app, a pool replaced).
        weakref.finalize(self, self._state.stop)

    @property
    def threads(self) -> int:
        """Threads started so far (they stay, idle, for the next calls)."""
        return self._state.threads

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on a thread of the pool; awaited to its end even if cancelled."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        state = self._state
        if state.asked():
            number = state.threads
            threading.Thread(
                target=_serve,
                args=(state.calls, state.done),
                name=f"{self.name}-{number}",
                daemon=True,
            ).start()
        state.calls.put((loop, future, function, args, contextvars.copy_context()))
        return await _awaited(future)


class _PoolState:
    """What a pool's threads share with it (not the pool itself, so that it can be collected)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self.threads = 0
        self._free = 0
        """Threads idle or busy with nothing queued for them, minus calls waiting: below zero,
        calls wait for a thread."""
        self._lock = threading.Lock()

    def asked(self) -> bool:
        """One more call: True if a thread is to be started for it."""
        with self._lock:
            self._free -= 1
            if self._free >= 0 or self.threads >= self.size:
                return False
            self.threads += 1
            self._free += 1
            return True

    def done(self) -> None:
        """A call ended: its thread is free again."""
        with self._lock:
            self._free += 1

    def stop(self) -> None:
        with self._lock:
            for _ in range(self.threads):
                self.calls.put(None)


async def _awaited(future: asyncio.Future[T]) -> T:
    """The call's outcome; if cancelled meanwhile, once the call has ended (not abandoned)."""
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():  # the call goes on: wait for its end, then be cancelled
            try:
                await asyncio.shield(future)
            except asyncio.CancelledError:
                continue
            except BaseException:
                break
        raise


def _serve(calls: queue.SimpleQueue[_Call | None], done: Callable[[], None] | None = None) -> None:
    """The thread's loop (it holds the queue only, so that its owner can be collected); a
    pool's thread says `done` after each call (it is free again)."""
    while True:
        call = calls.get()
        if call is None:
            return
        _run_call(call)
        del call  # nothing of a call held until the next
        if done is not None:
            done()


def _run_call(call: _Call) -> None:
    loop, future, function, args, context = call
    try:
        result = context.run(function, *args)
    except BaseException as error:  # handed to the caller, as run_sync does
        _settle(loop, future, _failed, error)
    else:
        _settle(loop, future, _succeeded, result)


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    how: Callable[[asyncio.Future[Any], Any], None],
    outcome: Any,
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits now
        loop.call_soon_threadsafe(how, future, outcome)


def _succeeded(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _failed(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
