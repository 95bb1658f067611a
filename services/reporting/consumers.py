"""Reporting's consumers: every message of an upstream stream ends up in the archive.

A well-formed event is archived; a message no contract accepts is dead-lettered like everywhere
else and, here, also quarantined in the archive at its stream sequence — so reporting accounts
for every sequence number, and a jump in them is a real loss (an alarm), not a poison message.
As it archives, reporting witnesses the publishing service's log through each event's log head.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from eventsourcing.persistence import Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from services.reporting.application import LogObservation, ReportingApplication
from shared.auditlog.heads import MalformedLogHead, read_log_headers
from shared.auditlog.publishing import read_checkpoint_message
from shared.consumer import TrackedConsumer
from shared.contracts import IntegrationEvent
from shared.contracts.audit import ServiceAlarm
from shared.envelope import CE_TYPE, PoisonMessage, decode
from shared.subjects import AUDIT_STREAM, StreamSpec

log = logging.getLogger("d73.reporting.consumers")


class ArchivingConsumer(TrackedConsumer):
    def __init__(
        self,
        *,
        app: ReportingApplication,
        upstream: StreamSpec,
        witnessed_service: str | None = None,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
    ) -> None:
        super().__init__(
            service="reporting",
            app=app,
            upstream=upstream,
            handlers={},
            archive_all=app.archive,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
        )
        self.reporting = app
        self.witnessed_service = witnessed_service
        """The service whose log the events of `upstream` reveal (None: witness nothing)."""

    async def consume(self, msg: Msg, tracking: Tracking) -> str:
        event = decode(msg.headers, msg.data)
        observed = self._observation(msg)

        def archive(event: IntegrationEvent, tracking: Tracking) -> None:
            self.reporting.archive(event, tracking, observed)

        outcome: str = await anyio.to_thread.run_sync(self._process, archive, event, tracking)
        return outcome

    def _observation(self, msg: Msg) -> LogObservation | None:
        if self.witnessed_service is None:
            return None
        try:
            head = read_log_headers(msg.headers)
        except MalformedLogHead as error:
            return LogObservation(self.witnessed_service, None, str(error))
        return LogObservation(self.witnessed_service, head)

    async def dead_letter(self, js: JetStreamContext, msg: Msg, reason: str) -> None:
        await super().dead_letter(js, msg, reason)
        meta = msg.metadata
        try:
            await anyio.to_thread.run_sync(
                lambda: self.reporting.quarantine(
                    stream=meta.stream,
                    seq=meta.sequence.stream,
                    subject=msg.subject,
                    headers=dict(msg.headers or {}),
                    data=msg.data or b"",
                    reason=reason,
                    deliveries=meta.num_delivered,
                )
            )
        except Exception as error:  # the dead letter holds it; the next sequence shows a gap
            log.error(
                "could not quarantine %s seq %d: %s", meta.stream, meta.sequence.stream, error
            )


class CheckpointWitness(ArchivingConsumer):
    """Reads D73_AUDIT: each service's signed checkpoints, kept as a witness (design.md §4).

    Checkpoints are not proposal events, so this consumer reads them with their own contract;
    anything else on the stream is dead-lettered and quarantined like other poison.
    """

    def __init__(
        self, *, app: ReportingApplication, max_deliver: int = 5, ack_wait: float = 30.0
    ) -> None:
        super().__init__(app=app, upstream=AUDIT_STREAM, max_deliver=max_deliver, ack_wait=ack_wait)

    async def consume(self, msg: Msg, tracking: Tracking) -> str:
        if (msg.headers or {}).get(CE_TYPE) == ServiceAlarm.TYPE:
            alarm = read_service_alarm(msg.data)
            kept = await anyio.to_thread.run_sync(
                self._once, self.reporting.witness_service_alarm, alarm, tracking
            )
            return "processed" if kept else "duplicate"
        checkpoint = read_checkpoint_message(msg.headers, msg.data)
        body = checkpoint.model_dump(mode="json")
        kept = await anyio.to_thread.run_sync(self._witness, body, tracking)
        return "processed" if kept else "duplicate"

    def _witness(self, body: dict[str, Any], tracking: Tracking) -> bool:
        return self._once(self.reporting.witness_checkpoint, body, tracking)

    def _once(
        self,
        keep: Callable[[dict[str, Any], Tracking], bool],
        body: dict[str, Any],
        tracking: Tracking,
    ) -> bool:
        with self.app.consumer_lock:
            if self.app.has_processed(tracking.application_name, tracking.notification_id):
                return False
            return keep(body, tracking)


def read_service_alarm(data: bytes | None) -> dict[str, Any]:
    """A service's alarm as a dict, or `PoisonMessage` saying why not."""
    try:
        return ServiceAlarm.model_validate_json(data or b"").model_dump(mode="json")
    except ValidationError as error:
        raise PoisonMessage(f"invalid {ServiceAlarm.TYPE}: {error.errors()[0]['msg']}") from None
