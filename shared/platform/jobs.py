"""The one background loop of the platform: a step every few seconds, in a worker thread, that a
failure never stops.

Every service runs such loops beside its requests (approval's deadline scan, the read models
that follow a store, reporting's archive): each round may fail for a while (a store being
restarted, a lock held) and must simply come again, and a loop that must save on shutdown does
so when the runtime cancels it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from contextlib import nullcontext
from typing import Any

import anyio.to_thread

from shared.platform.tracing import tracer

Job = Callable[[], Coroutine[Any, Any, None]]
"""What `ServiceRuntime(background=...)` runs: started with the service, cancelled at its stop."""


def every(
    seconds: float,
    step: Callable[[], object],
    *,
    log: logging.Logger,
    what: str,
    on_stop: Callable[[], object] | None = None,
    span: str | None = None,
) -> Job:
    """A job that calls `step` in a worker thread, then waits `seconds`, until cancelled.

    A failed round is logged (`what` names it) and the next one comes as planned; `on_stop`
    runs when the job is cancelled; `span` gives each round its own trace, so that its log
    lines share one id."""

    async def job() -> None:
        try:
            while True:
                with tracer().start_as_current_span(span) if span else nullcontext():
                    try:
                        await anyio.to_thread.run_sync(step)
                    except Exception:
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
