"""Which stored Case events are published, and as which contract."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.approval.domain.case import Case
from shared.contracts import ActorRef, IntegrationEvent
from shared.contracts.approval import CaseOpened
from shared.outbox import event_id

SERVICE = "approval"
OPENED: type = getattr(Case, "Opened")  # noqa: B009 — made by @event


def to_contract(domain_event: DomainEventProtocol[UUID], position: int) -> IntegrationEvent | None:
    data: Any = domain_event
    stamp: dict[str, Any] | None = getattr(domain_event, "stamp", None)
    if stamp is None:
        return None
    common: dict[str, Any] = {
        "id": event_id(SERVICE, domain_event),
        "proposal_id": stamp["proposal_id"],
        "case_id": domain_event.originator_id,
        "position": position,
        "occurred_at": stamp["at"],
        "actor": ActorRef.model_validate(stamp["actor"]),
        "legal_basis": stamp["legal_basis"],
        "rule_set_version": stamp["rule_set_version"],
        "state": stamp["state"],
    }
    if isinstance(domain_event, OPENED):
        return CaseOpened(
            **common,
            recipient_unit_id=data.routing["recipient_unit_id"],
            intake_unit_id=data.routing["intake_unit_id"],
            protection_eligible=data.protection_eligible,
            intake_due=data.intake_due,
        )
    return None
