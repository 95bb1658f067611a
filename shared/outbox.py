"""Transactional outbox relay: the event store's notification log → JetStream, in order.

Commands only commit to the store. The relay publishes each public event with `Nats-Msg-Id` =
event id and waits for the PubAck before moving on. Its position is not kept locally: on start
and after any failure it asks the stream for the `d73-position` of the last message there and
republishes whatever the stream is missing, so a crash between commit and publish loses nothing,
a crash between publish and bookkeeping duplicates nothing downstream (the server drops the copy),
and a broker that lost acknowledged writes is healed from the store (design.md §3).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import anyio.to_thread
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.contracts import IntegrationEvent
from shared.envelope import POSITION, encode
from shared.eventstore import ServiceApplication
from shared.subjects import StreamSpec

log = logging.getLogger("d73.outbox")

Translate = Callable[[DomainEventProtocol[UUID], int], IntegrationEvent | None]
"""Maps a stored domain event at a log position to its public contract, or None if private."""


def event_id(service: str, domain_event: DomainEventProtocol[UUID]) -> UUID:
    """A stable id for a stored event: the same event always gets the same id (and Nats-Msg-Id)."""
    return uuid5(
        NAMESPACE_URL,
        f"/d73/{service}/{domain_event.originator_id}/{domain_event.originator_version}",
    )


class StreamAheadOfStore(RuntimeError):
    """The stream holds positions this store never wrote: wrong store or wrong stream."""


class OutboxRelay:
    def __init__(
        self,
        app: ServiceApplication,
        service: str,
        stream: StreamSpec,
        translate: Translate,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
        publish_timeout: float = 5.0,
    ) -> None:
        self.app = app
        self.service = service
        self.stream = stream
        self.translate = translate
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.publish_timeout = publish_timeout
        self.position = 0
        self.published = 0
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Called from the committing thread right after a commit."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def last_published_position(self, js: JetStreamContext) -> int:
        """The store position carried by the newest message the stream still holds."""
        try:
            msg = await js.get_last_msg(self.stream.name, self.stream.subjects[0])
        except NotFoundError:
            return 0
        return int((msg.headers or {}).get(POSITION, "0"))

    async def run(self, js: JetStreamContext) -> None:
        """Relay until cancelled; after any error, resynchronise with the stream and go on."""
        self._loop = asyncio.get_running_loop()
        self.app.add_commit_listener(self.wake)
        backoff = 0.2
        while True:
            try:
                self.position = await self.last_published_position(js)
                max_id = await anyio.to_thread.run_sync(self.app.recorder.max_notification_id)
                if self.position > (max_id or 0):
                    raise StreamAheadOfStore(
                        f"{self.stream.name} holds position {self.position}, store ends at {max_id}"
                    )
                log.info("relay %s resumes after position %d", self.service, self.position)
                backoff = 0.2
                await self._follow(js)
            except asyncio.CancelledError:
                raise
            except StreamAheadOfStore as error:
                log.error("relay stopped: %s", error)
                await asyncio.sleep(30)
            except Exception as error:
                log.warning("relay %s: %s; retrying in %.1fs", self.service, error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _follow(self, js: JetStreamContext) -> None:
        while True:
            self._wake.clear()
            notifications: Sequence[Notification] = await anyio.to_thread.run_sync(
                self._select, self.position
            )
            for notification in notifications:
                await self._publish(js, notification)
                self.position = notification.id
            if len(notifications) < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    def _select(self, after: int) -> Sequence[Notification]:
        recorder: Any = self.app.recorder
        return recorder.select_notifications(  # type: ignore[no-any-return]
            start=after, limit=self.batch_size, inclusive_of_start=False
        )

    async def _publish(self, js: JetStreamContext, notification: Notification) -> None:
        domain_event = self.app.mapper.to_domain_event(notification)
        event = self.translate(domain_event, notification.id)
        if event is None:
            return
        body, headers = encode(event, self.service)
        await js.publish(
            event.subject(),
            body,
            timeout=self.publish_timeout,
            stream=self.stream.name,
            headers=headers,
        )
        self.published += 1
