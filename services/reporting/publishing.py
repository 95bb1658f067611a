"""What reporting publishes (D73_REPORTING): the witness's cosignatures and alarms, translated
from its own stored events by its outbox relay, so agencies learn them as they happen."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from services.reporting.domain.witness import WitnessedLeaves, WitnessedLog
from shared.contracts.audit import Cosignature
from shared.contracts.witness import CheckpointCosigned, LogAlarm, SignedCheckpoint, WitnessMessage
from shared.platform.outbox import ByEventType, event_id

SERVICE = "reporting"
COSIGNED: type = getattr(WitnessedLog, "CheckpointCosigned")  # noqa: B009 — made by @event
ALARMS: tuple[type, ...] = (
    getattr(WitnessedLog, "AlarmRaised"),  # noqa: B009
    getattr(WitnessedLeaves, "AlarmRaised"),  # noqa: B009
)
WITNESS_TOPICS = tuple(get_topic(kind) for kind in (COSIGNED, *ALARMS))
"""The only stored events the relay reads: the archive itself is not republished."""
_ALARM_FIELDS = {
    "kind",
    "service",
    "detail",
    "detected_at",
    "tree_size",
    "event_id",
    "upstream_seq",
}


def translate(domain_event: DomainEventProtocol[UUID], position: int) -> WitnessMessage | None:
    """The message of one of reporting's stored events, or None for those not published."""
    common: dict[str, Any] = {
        "id": event_id(SERVICE, domain_event),
        "occurred_at": domain_event.timestamp,  # type: ignore[attr-defined]
        "position": position,
    }
    if isinstance(domain_event, COSIGNED):
        checkpoint = domain_event.checkpoint  # type: ignore[attr-defined]
        return CheckpointCosigned(
            **common,
            service=checkpoint["service"],
            checkpoint=SignedCheckpoint(**checkpoint),
            cosignature=Cosignature(**domain_event.cosignature),  # type: ignore[attr-defined]
        )
    if isinstance(domain_event, ALARMS):
        alarm: dict[str, Any] = domain_event.alarm  # type: ignore[attr-defined]
        return LogAlarm(
            **common,
            service=alarm["service"],
            kind=alarm["kind"],
            detail=alarm["detail"],
            detected_at=alarm["detected_at"],
            tree_size=alarm.get("tree_size"),
            event_id=alarm.get("event_id"),
            upstream_seq=alarm.get("upstream_seq"),
            facts={k: v for k, v in alarm.items() if k not in _ALARM_FIELDS},
        )
    return None


PUBLISHED = ByEventType(translate, (COSIGNED, *ALARMS))
"""`translate` for the relay: it reads every stored event, for reporting's verifiable log, and
decodes only those that may be published (issue #19: decoding each archived entry, ~5 KB of
JSON, to learn it was not was most of the relay's CPU)."""
