"""Which stored Proposal events the world sees, and as which contract (design.md §2).

Drafts and edits stay private; submission, supplements and withdrawal are published, each
self-contained so that a subscriber can act without calling back.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.registration.domain import Proposal
from shared.contracts import ActorRef, IntegrationEvent
from shared.contracts.registration import (
    Attachment,
    Official,
    ProposalSubmitted,
    ProposalSupplemented,
    ProposalWithdrawn,
    Routing,
)
from shared.platform.outbox import ByEventType, event_id

SERVICE = "registration"
SUBMITTED: type = getattr(Proposal, "Submitted")  # noqa: B009 — classes made by @event
SUPPLEMENTED: type = getattr(Proposal, "Supplemented")  # noqa: B009
WITHDRAWN: type = getattr(Proposal, "Withdrawn")  # noqa: B009


def to_contract(domain_event: DomainEventProtocol[UUID], position: int) -> IntegrationEvent | None:
    data: Any = domain_event
    common: dict[str, Any] = {
        "id": event_id(SERVICE, domain_event),
        "proposal_id": domain_event.originator_id,
        "position": position,
    }
    if isinstance(domain_event, SUBMITTED):
        proposer = Official.model_validate(data.proposer)
        return ProposalSubmitted(
            **common,
            occurred_at=data.submitted_at,
            actor=ActorRef(
                user_id=proposer.user_id,
                name=proposer.name,
                unit_id=proposer.unit_id,
                position=proposer.position,
                roles=["proposer"],
            ),
            legal_basis=data.routing.get("legal_basis"),
            title=data.title,
            proposer=proposer,
            protection_eligible=data.protection_eligible,
            routing=Routing.model_validate(data.routing),
            plan=data.plan,
            completeness_rules=data.completeness_rules,
            submitted_at=data.submitted_at,
        )
    if isinstance(domain_event, SUPPLEMENTED):
        return ProposalSupplemented(
            **common,
            occurred_at=data.supplemented_at,
            actor=_actor(data, data.supplemented_by),
            legal_basis="ND73 Art 7",
            request_id=data.request_id,
            changes=data.changes,
            changed_fields=sorted(data.changes),
            plan=getattr(data, "plan", None),
            attachments_added=[
                Attachment.model_validate(item)
                for item in getattr(data, "attachments_added", None) or []
            ],
        )
    if isinstance(domain_event, WITHDRAWN):
        return ProposalWithdrawn(
            **common,
            occurred_at=data.withdrawn_at,
            actor=_actor(data, data.withdrawn_by),
            legal_basis="ND73 Art 7",
            reason=data.reason,
            recipient_unit_id=data.recipient_unit_id,
        )
    return None


def _actor(data: Any, user_id: str) -> ActorRef:
    """The actor as the event recorded them (name, unit, position); older events hold the id."""
    recorded = getattr(data, "actor", None)
    if isinstance(recorded, dict):
        return ActorRef.model_validate(recorded)
    return ActorRef(user_id=user_id, roles=["proposer"])


PUBLISHED = ByEventType(to_contract, (SUBMITTED, SUPPLEMENTED, WITHDRAWN))
"""`to_contract`, knowing which stored events it makes public: the relays decode no other."""
