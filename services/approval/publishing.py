"""Every stored Case event is published, each as its own contract (shared.contracts.approval).

The mapping reads the stored event alone: its `stamp` gives the envelope fields (who, when, legal
basis, rule-set version, the state after it), and its attributes give the contract's fields,
which have the same names.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.approval.domain.case import Case
from shared.contracts import ActorRef, IntegrationEvent
from shared.contracts.approval import CONTRACT_OF_CASE_EVENT, CaseOpened
from shared.platform.outbox import ByEventType, event_id

SERVICE = "approval"

CONTRACTS_BY_CLASS: dict[type, type[IntegrationEvent]] = {
    getattr(Case, name): contract for name, contract in CONTRACT_OF_CASE_EVENT.items()
}
"""Stored event class (made by `@event`) → contract."""

ENVELOPE_FIELDS = frozenset({*IntegrationEvent.model_fields, "case_id", "state"})


def to_contract(domain_event: DomainEventProtocol[UUID], position: int) -> IntegrationEvent | None:
    contract = CONTRACTS_BY_CLASS.get(type(domain_event))
    stamp: dict[str, Any] | None = getattr(domain_event, "stamp", None)
    if contract is None or stamp is None:
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
    if contract is CaseOpened:
        data: Any = domain_event
        common["recipient_unit_id"] = data.routing["recipient_unit_id"]
        common["intake_unit_id"] = data.routing["intake_unit_id"]
    own = {
        name: getattr(domain_event, name)
        for name in contract.model_fields
        if name not in ENVELOPE_FIELDS and name not in common and hasattr(domain_event, name)
    }
    return contract.model_validate({**common, **own})


PUBLISHED = ByEventType(to_contract, tuple(CONTRACTS_BY_CLASS))
"""`to_contract`, knowing which stored events it makes public: with it the service's two relays
(its stream and the public one) decode and translate each stored event once between them, as
registration's do (issue #19: approval's translated every Case event twice, ~9 % of its CPU)."""
