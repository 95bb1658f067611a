"""The pull loop of a tracked consumer (issue #19 §1): fetch a batch, settle it, fetch again.

A batch is whatever JetStream has for the consumer, up to its `batch_size`: when idle the loop
asks for one message and gets it as soon as it is published; when the message it got says more
are pending (`num_pending`), it asks for that many at once, which JetStream answers without
waiting. So a steady feed is never held back to fill a batch, and a backlog goes by in batches.

`TrackedConsumer.handle_batch` keeps the order within a batch; across batches the loop keeps it
by settling (acking) a whole batch before it fetches the next. One case remains: messages
JetStream delivered that this process never settled — a previous run killed with a batch in
hand, or deliveries lost with a broken connection. They come back only after the ack wait, and
meanwhile JetStream could hand out newer ones, which would make them "duplicates" (the tracking
is a high-water mark). So whenever that can have happened (start, a reconnect, a failed fetch)
the loop looks at the durable: while messages are pending it lowers `max_ack_pending` to 1, so
that JetStream sends nothing new until they are redelivered and settled, then raises it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError

from shared.platform.consumer import TrackedConsumer

log = logging.getLogger("d73.consumer")

FETCH_WAIT_SECONDS = 2.0
"""How long one idle fetch waits for a message before asking again."""


def _editable(config: ConsumerConfig) -> tuple[Any, ...]:
    """The settings of a durable that an update may change, as the server reports them."""
    return (
        config.description,
        round(config.ack_wait or 0.0, 3),
        config.max_deliver,
        config.max_ack_pending,
        config.filter_subject,
    )


class PullLoop:
    """Feeds one consumer from its durable, in stream order (see the module's docstring)."""

    def __init__(
        self,
        consumer: TrackedConsumer,
        connection: Client,
        js: JetStreamContext,
        *,
        inbox_prefix: bytes,
        fetch_wait: float = FETCH_WAIT_SECONDS,
    ) -> None:
        self.consumer = consumer
        self.connection = connection
        self.js = js
        self.inbox_prefix = inbox_prefix
        self.fetch_wait = fetch_wait
        self.draining = False
        """Messages a previous run (or a broken connection) left in flight are being taken
        back: the durable's max_ack_pending is 1 meanwhile."""

    async def run(self) -> None:
        while True:
            try:
                await self._follow()
            except Exception as error:  # NATS away, the durable gone: look again in a moment
                log.warning("%s stopped fetching (%s); again in 1s", self.consumer.durable, error)
                await asyncio.sleep(1.0)

    async def _follow(self) -> None:
        consumer = self.consumer
        await consumer.resume_from(await self.ensure_durable(check_in_flight=True))
        reconnects = self._reconnects()
        sub = await self.js.pull_subscribe_bind(
            durable=consumer.durable, stream=consumer.upstream.name, inbox_prefix=self.inbox_prefix
        )
        try:
            want = 1
            while True:
                if self._reconnects() != reconnects:
                    reconnects = self._reconnects()
                    await self.ensure_durable(check_in_flight=True)
                try:
                    msgs: list[Msg] = await sub.fetch(want, timeout=self.fetch_wait)
                except TimeoutError:  # nats-py raises its own subclass or the plain one
                    want = 1
                    await self._drained()
                    continue
                if self._reconnects() != reconnects:
                    # Some of what JetStream sent before these may be lost: they go after them.
                    for msg in msgs:
                        await msg.nak(delay=consumer.ack_wait)
                    continue
                await consumer.handle_batch(msgs, self.js)
                want = max(1, min(consumer.batch_size, msgs[-1].metadata.num_pending or 0))
                await self._drained()
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    def _reconnects(self) -> int:
        return int(self.connection.stats["reconnects"])

    async def _drained(self) -> None:
        """While draining, raise max_ack_pending again once nothing is pending."""
        if self.draining:
            await self.ensure_durable(check_in_flight=True)

    async def ensure_durable(self, *, check_in_flight: bool) -> int:
        """Create the durable, or bring what an update may change to the consumer's config (a
        durable of an earlier release has max_ack_pending=1); with `check_in_flight`, keep
        max_ack_pending at 1 while messages are pending (see the module's docstring). Returns
        the durable's ack floor (the stream sequence through which all is acked; 0: none)."""
        consumer = self.consumer
        stream = consumer.upstream.name
        wanted = consumer.consumer_config()
        wanted.name = consumer.durable
        try:
            current = await self.js.consumer_info(stream, consumer.durable)
        except NotFoundError:
            await self.js.add_consumer(stream, wanted)
            self.draining = False
            log.info("created durable %s on %s", consumer.durable, stream)
            return 0
        pending = current.num_ack_pending or 0
        draining = check_in_flight and pending > 0 and (wanted.max_ack_pending or 0) > 1
        if draining:
            wanted.max_ack_pending = 1
        if draining != self.draining:
            log.warning(
                "%s: %d messages in flight from before; %s",
                consumer.durable,
                pending,
                "nothing new is fetched until they are redelivered"
                if draining
                else "taken back, fetching in batches again",
            )
        self.draining = draining
        if _editable(current.config) != _editable(wanted):
            await self.js.add_consumer(stream, wanted)  # an update of the editable settings
            log.info(
                "durable %s updated: max_ack_pending %s -> %s",
                consumer.durable,
                current.config.max_ack_pending,
                wanted.max_ack_pending,
            )
        floor = current.ack_floor
        return int(floor.stream_seq or 0) if floor is not None else 0
