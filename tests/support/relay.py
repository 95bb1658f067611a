"""Running an outbox relay inside a test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nats.js import JetStreamContext

from shared.platform.outbox import OutboxRelay


@contextlib.asynccontextmanager
async def running(relay: OutboxRelay, js: JetStreamContext) -> AsyncIterator[None]:
    """The relay follows its store while the block runs, and is cancelled after it."""
    task = asyncio.create_task(relay.run(js))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
