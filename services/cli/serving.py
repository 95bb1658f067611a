"""The HTTP server of `d73 serve` (what the containers and `d73 run` start): uvicorn's, made
to stop while it is still starting.

uvicorn reads SIGTERM and Ctrl-C during its start-up but acts on them only once the start-up
is over. A service whose start waits (NATS out of reach: the broker retries for ever) thus
ignored `docker compose stop` and `d73 run`'s Ctrl-C until it was killed. Once started, it
settles the heap (`shared.platform.memory.settle_started_heap`).
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn

from shared.platform.memory import settle_started_heap

log = logging.getLogger("uvicorn.error")


class StoppableServer(uvicorn.Server):
    """`uvicorn.Server` that gives up a start-up still under way when asked to stop."""

    CHECK_SECONDS = 0.25

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        starting = asyncio.ensure_future(super().startup(sockets))
        while not starting.done():
            await asyncio.wait({starting}, timeout=self.CHECK_SECONDS)
            if self.should_exit and not starting.done():
                # The app's own start (its lifespan task) is cancelled with the loop.
                starting.cancel()
                log.warning("stopped while starting")
                return
        starting.result()
        if self.started:
            settle_started_heap()
