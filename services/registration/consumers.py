"""Approval's case events, mapped to registration's command (`commands.NoteCaseEvent`):
registration consumes approval's decisions to lock or reopen editing and to show status
(design.md §1).

Every case event carries `state`, the case state after it (`shared.contracts.vocabulary`);
the command notes what that state decides for the proposal, so a new case event type needs no
change here. An event about a proposal this service never had, or one the proposal cannot take
(a decision after withdrawal…), is `Rejected`, so the consumer dead-letters it with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date
from functools import partial
from typing import Any

from eventsourcing.persistence import Tracking

from services.registration.application import ProposalNotFound, RegistrationApplication
from services.registration.commands import NoteCaseEvent, NotNoted
from shared.contracts import IntegrationEvent
from shared.contracts.approval import APPROVAL_EVENTS
from shared.kernel.actor import SYSTEM
from shared.platform.consumer import Rejected

_COMMON_FIELDS = frozenset(IntegrationEvent.model_fields) | {"case_id", "state"}


def note_of(event: IntegrationEvent) -> NoteCaseEvent:
    """The case event as the command that notes it for the proposer."""
    at = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    specific: dict[str, Any] = event.model_dump(mode="json", exclude=set(_COMMON_FIELDS))
    details = {
        **specific,
        "event_id": str(event.id),
        "event_type": event.type,
        "case_id": str(getattr(event, "case_id", "")),
        "case_state": str(getattr(event, "state", "")),
        "legal_basis": event.legal_basis,
    }
    supplement = None
    if getattr(event, "items", None) is not None:
        due = getattr(event, "due", None)
        supplement = {
            "request_id": str(event.id),
            "items": list(getattr(event, "items", None) or []),
            "due_date": due.isoformat() if isinstance(due, date) else due,
            "reason": getattr(event, "reason", ""),
        }
    return NoteCaseEvent(
        proposal_id=event.proposal_id,
        event_id=str(event.id),
        state=str(getattr(event, "state", "")),
        at=at,
        details=details,
        supplement=supplement,
    )


def on_case_event(
    app: RegistrationApplication, event: IntegrationEvent, tracking: Tracking
) -> None:
    """Approval's decision noted for the proposer, with the upstream position, in one commit."""
    try:
        app.handle(note_of(event), SYSTEM, tracking=tracking)
    except ProposalNotFound:
        raise Rejected(
            f"{event.type} {event.id}: registration has no proposal {event.proposal_id}"
        ) from None
    except NotNoted as refusal:
        raise Rejected(
            f"{event.type} {event.id}: proposal {event.proposal_id} {refusal}"
        ) from refusal


def upstream_handlers(
    app: RegistrationApplication,
) -> dict[str, Callable[[IntegrationEvent, Tracking], None]]:
    """What the consumer of D73_APPROVAL does with each contract it accepts: every case event
    is noted the same way, so a contract approval adds later is handled without a change here."""
    return {contract.TYPE: partial(on_case_event, app) for contract in APPROVAL_EVENTS}
