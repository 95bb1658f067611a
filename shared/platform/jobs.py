"""The one background loop of the platform: a step every few seconds that a failure never
stops.

Every service runs such loops beside its requests (approval's deadline scan, the read models
that follow a store, reporting's archive), and the runtime its own (alarms, lag gauges): each
round may fail for a while (a store being restarted, a lock held, the broker away) and must
simply come again, and a loop that must save on shutdown does so when the runtime cancels it.
A plain step runs in a worker thread (it may block on the store); a coroutine function's step,
which talks to the broker, runs on the event loop. A loop that finds it has nothing left to do
(the heartbeat of a service whose log is not witnessed) ends by raising `Finished`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine
from contextlib import nullcontext
from typing import Any

import anyio.to_thread

from shared.platform.tracing import tracer

Job = Callable[[], Coroutine[Any, Any, None]]
"""What `ServiceRuntime(background=...)` runs: started with the service, cancelled at its stop."""


class Finished(Exception):
    """Raised by a step when the loop has nothing more to do: the job ends quietly."""


def every(
    seconds: float,
    step: Callable[[], object],
    *,
    log: logging.Logger,
    what: str,
    on_stop: Callable[[], object] | None = None,
    span: str | None = None,
    expected_failures: bool = False,
    wait_first: bool = False,
) -> Job:
    """A job that calls `step`, then waits `seconds`, until cancelled.

    A failed round is logged (`what` names it) and the next one comes as planned; with
    `expected_failures` (a broker away for a moment) it is one debug line, not an error with
    its traceback. `on_stop` runs when the job is cancelled; `span` gives each round its own
    trace, so that its log lines share one id. With `wait_first` the job waits `seconds` before
    its first round too (the heartbeat says nothing the moment the service starts); a step that
    raises `Finished` ends the job."""
    on_the_loop = inspect.iscoroutinefunction(step)

    async def job() -> None:
        try:
            if wait_first:
                await asyncio.sleep(seconds)
            while True:
                with tracer().start_as_current_span(span) if span else nullcontext():
                    try:
                        if on_the_loop:
                            await step()  # type: ignore[misc]
                        else:
                            await anyio.to_thread.run_sync(step)
                    except Finished:
                        return
                    except Exception as error:
                        if expected_failures:
                            log.debug("%s: %s", what, error)
                        else:
                            log.exception("%s failed; trying again in %ss", what, seconds)
                await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            if on_stop is not None:
                on_stop()
            raise

    return job


def once(step: Callable[[], object]) -> Job:
    """A job that calls `step` once in a worker thread as the service starts."""

    async def job() -> None:
        await anyio.to_thread.run_sync(step)

    return job
