"""Idempotent JetStream consumers with dead letters (design.md §3).

One durable pull consumer per (service, upstream stream), explicit acks, one message in flight
so upstream positions arrive in order. The events a message causes and its tracking record
commit in one transaction; a redelivered message is recognised by its tracking record and only
acked. A message that can never succeed goes to `d73.deadletter.<service>` with its reason and is
acked, so the consumer never stops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from eventsourcing.persistence import IntegrityError, Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared.contracts import IntegrationEvent
from shared.platform import tracing
from shared.platform.envelope import CE_ID, CE_TYPE, MSG_ID, PoisonMessage, decode
from shared.platform.eventstore import ServiceApplication
from shared.platform.halt import NoticeKind, ServiceNotices
from shared.platform.metrics import CONSUMED, DEAD_LETTERS, REDELIVERIES
from shared.platform.subjects import StreamSpec, consumer_name, deadletter_subject

log = logging.getLogger("d73.consumer")

Handler = Callable[[IntegrationEvent, Tracking], None]
"""Synchronous: records the consequences of one event with the given tracking, or raises."""


class Rejected(PoisonMessage):
    """A well-formed event the domain refuses for good (dead-lettered, never retried)."""


@dataclass
class ConsumerStats:
    processed: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    retried: int = 0
    last_error: str | None = None
    dead_letter_reasons: list[str] = field(default_factory=list)


class TrackedConsumer:
    """Consumes one upstream stream into one service application."""

    def __init__(
        self,
        *,
        service: str,
        app: ServiceApplication,
        upstream: StreamSpec,
        handlers: dict[str, Handler],
        archive_all: Handler | None = None,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
    ) -> None:
        self.service = service
        self.app = app
        self.upstream = upstream
        self.handlers = handlers
        self.archive_all = archive_all
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.stats = ConsumerStats()
        self.notices: ServiceNotices | None = None
        """Set by the runtime: a dead letter raises an alarm there (issue #11 §2)."""

    @property
    def durable(self) -> str:
        return consumer_name(self.service, self.upstream)

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            description=f"{self.service} reads {self.upstream.name}",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
            max_ack_pending=1,
            filter_subject=self.upstream.subjects[0] if len(self.upstream.subjects) == 1 else None,
        )

    async def consume(self, msg: Msg, tracking: Tracking) -> str:
        """Decode and record one message: "processed", "duplicate" or "ignored".

        Raise PoisonMessage for a message that can never succeed, anything else to retry. A
        consumer of another kind of message (reporting's checkpoint witness) overrides this and
        keeps the settling in `handle`.
        """
        event = decode(msg.headers, msg.data)
        handler = self._handler_for(event)
        if handler is None:
            return "ignored"
        outcome: str = await anyio.to_thread.run_sync(self._process, handler, event, tracking)
        return outcome

    async def handle(self, msg: Msg, js: JetStreamContext) -> None:
        """Settle one message: process, recognise a duplicate, retry, or dead-letter; in the
        trace the message carries (`traceparent`), so its consequences join that trace."""
        headers = msg.headers or {}
        with tracing.consuming(
            headers,
            f"consume {msg.subject}",
            **{"messaging.system": "nats", "messaging.destination.name": msg.subject},
            **{"messaging.consumer.group.name": self.durable},
        ):
            await self._settle(msg, js, headers)

    async def _settle(self, msg: Msg, js: JetStreamContext, headers: dict[str, str]) -> None:
        meta = msg.metadata
        position = meta.sequence.stream
        delivered = meta.num_delivered
        if delivered > 1:
            REDELIVERIES.labels(self.service, self.durable).inc()
        try:
            outcome = await self.consume(msg, Tracking(self.upstream.name, position))
        except PoisonMessage as poison:
            await self.dead_letter(js, msg, poison.reason)
            await msg.ack()
            return
        except Exception as error:
            self.stats.last_error = f"{type(error).__name__}: {error}"
            if delivered >= self.max_deliver:
                await self.dead_letter(
                    js, msg, f"gave up after {delivered} deliveries: {self.stats.last_error}"
                )
                await msg.ack()
                return
            self.stats.retried += 1
            delay = min(0.25 * 2 ** (delivered - 1), 10.0)
            log.warning(
                "retrying %s seq %d in %.2fs: %s",
                self.upstream.name,
                position,
                delay,
                self.stats.last_error,
            )
            await msg.nak(delay=delay)
            return
        CONSUMED.labels(self.service, self.durable, outcome).inc()
        log.info(
            "consumed %s %s",
            headers.get(CE_TYPE, msg.subject),
            outcome,
            extra={
                "message_type": headers.get(CE_TYPE),
                "event_id": headers.get(CE_ID),
                "consumer": self.durable,
                "upstream_stream": meta.stream,
                "upstream_seq": position,
                "deliveries": delivered,
                "outcome": outcome,
            },
        )
        if outcome == "ignored":
            self.stats.ignored += 1
        elif outcome == "duplicate":
            self.stats.duplicates += 1
        else:
            self.stats.processed += 1
        await msg.ack()

    def _handler_for(self, event: IntegrationEvent) -> Handler | None:
        return self.handlers.get(event.type, self.archive_all)

    def _process(self, handler: Handler, event: IntegrationEvent, tracking: Tracking) -> str:
        with self.app.consumer_lock:
            if self.app.has_processed(tracking.application_name, tracking.notification_id):
                return "duplicate"
            try:
                handler(event, tracking)
            except IntegrityError:
                if self.app.has_processed(tracking.application_name, tracking.notification_id):
                    return "duplicate"
                raise
        return "processed"

    async def dead_letter(self, js: JetStreamContext, msg: Msg, reason: str) -> None:
        meta = msg.metadata
        headers: dict[str, Any] = {
            k: v for k, v in (msg.headers or {}).items() if k.lower().startswith("ce-")
        }
        headers.update(
            {
                MSG_ID: f"{self.service}-{meta.stream}-{meta.sequence.stream}",
                "d73-reason": reason[:4000],
                "d73-origin-subject": msg.subject,
                "d73-origin-stream": meta.stream,
                "d73-origin-seq": str(meta.sequence.stream),
                "d73-deliveries": str(meta.num_delivered),
                "d73-consumer": self.durable,
                "d73-dead-lettered-at": datetime.now(UTC).isoformat(),
            }
        )
        await js.publish(deadletter_subject(self.service), msg.data, headers=headers, timeout=5.0)
        self.stats.dead_lettered += 1
        DEAD_LETTERS.labels(self.service, self.durable).inc()
        CONSUMED.labels(self.service, self.durable, "dead-lettered").inc()
        self.stats.dead_letter_reasons.append(reason)
        log.error("dead-lettered %s seq %d: %s", meta.stream, meta.sequence.stream, reason)
        if self.notices is not None:
            self.notices.notice(
                NoticeKind.DEAD_LETTERED,
                self.durable,
                f"{meta.stream} seq {meta.sequence.stream}: {reason[:1000]}",
            )
