"""Reporting's consumers: every message of an upstream stream ends up in the archive.

A well-formed event is archived; a message no contract accepts is dead-lettered like everywhere
else and, here, also quarantined in the archive at its stream sequence — so reporting accounts
for every sequence number, and a jump in them is a real loss (an alarm), not a poison message.
As it archives, reporting witnesses the publishing service's log through each event's log head.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
from eventsourcing.persistence import Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from services.reporting.application import ReportingApplication
from services.reporting.commands import (
    Archive,
    ArchiveCommand,
    LogObservation,
    WitnessCheckpoint,
    WitnessHeartbeat,
    WitnessServiceAlarm,
)
from shared.contracts import IntegrationEvent
from shared.contracts.audit import LogHeartbeat, ServiceAlarm
from shared.contracts.base import Message
from shared.platform.consumer import TrackedConsumer
from shared.platform.envelope import CE_TYPE, PoisonMessage
from shared.platform.subjects import AUDIT_STREAM, StreamSpec
from shared.records.servicelog.heads import MalformedLogHead, read_log_headers
from shared.records.servicelog.publishing import read_checkpoint_message

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

    def consume(self, msg: Msg, tracking: Tracking) -> str:
        event = self.decode(msg)
        observed = self._observation(msg)

        def archive(event: IntegrationEvent, tracking: Tracking) -> None:
            self.reporting.handle(Archive(event.model_dump(mode="json"), observed), tracking)

        return self._process(archive, event, tracking)

    def _observation(self, msg: Msg) -> LogObservation | None:
        if self.witnessed_service is None:
            return None
        try:
            head = read_log_headers(msg.headers)
        except MalformedLogHead as error:
            return LogObservation(self.witnessed_service, None, str(error))
        return LogObservation(self.witnessed_service, head)

    async def dead_letter(
        self, js: JetStreamContext, msg: Msg, reason: str, *, deliveries: int | None = None
    ) -> None:
        await super().dead_letter(js, msg, reason, deliveries=deliveries)
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
                    deliveries=deliveries or meta.num_delivered,
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

    def consume(self, msg: Msg, tracking: Tracking) -> str:
        return "processed" if self._once(witnessing(msg), tracking) else "duplicate"

    def _once(self, command: ArchiveCommand, tracking: Tracking) -> bool:
        with self.app.consumer_lock:
            if self.app.has_processed(tracking.application_name, tracking.notification_id):
                return False
            return self.reporting.handle(command, tracking)


def witnessing(msg: Msg) -> ArchiveCommand:
    """A D73_AUDIT message as the witness's command: a service's alarm, its heartbeat, or else
    its signed checkpoint (`PoisonMessage` if it is none of them)."""
    kind = (msg.headers or {}).get(CE_TYPE)
    if kind == ServiceAlarm.TYPE:
        return WitnessServiceAlarm(read_audit_message(ServiceAlarm, msg.data))
    if kind == LogHeartbeat.TYPE:
        return WitnessHeartbeat(read_audit_message(LogHeartbeat, msg.data))
    checkpoint = read_checkpoint_message(msg.headers, msg.data)
    return WitnessCheckpoint(checkpoint.model_dump(mode="json"))


def read_audit_message(contract: type[Message], data: bytes | None) -> dict[str, Any]:
    """A service's alarm or heartbeat as a dict, or `PoisonMessage` saying why not."""
    try:
        return contract.model_validate_json(data or b"").model_dump(mode="json")
    except ValidationError as error:
        raise PoisonMessage(f"invalid {contract.TYPE}: {error.errors()[0]['msg']}") from None
