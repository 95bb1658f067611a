"""Approval's case events, read as what they mean to the proposer (design.md §1: registration
consumes approval's decisions to lock or reopen editing and to show status).

Every case event carries `state`, the case state after it (services/approval/domain/states.py).
Only that and the proposal's own status decide what is noted, so a new case event type needs
no change here: it is either one of the decisions below or only advances the tracked position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.registration.domain import DecisionKind, Proposal, ProposalStatus
from shared.contracts import IntegrationEvent

_COMMON_FIELDS = frozenset(IntegrationEvent.model_fields) | {"case_id", "state"}


@dataclass(frozen=True)
class NotedDecision:
    kind: DecisionKind
    at: datetime
    details: dict[str, Any]


def decision_from(event: IntegrationEvent, proposal: Proposal) -> NotedDecision | None:
    """What `event` decides for `proposal`, or None if it only moves the case along.

    Case state (after the event) → decision noted:
    UNDER_REVIEW, while the proposal awaits receipt → received;
    NEEDS_SUPPLEMENT → supplement_requested (request id = the event's id; items, due);
    APPROVED → approved; REJECTED → rejected; SUSPENDED → suspended;
    IN_IMPLEMENTATION after SUSPENDED → resumed; STOPPED → stopped;
    EVALUATED or CONCLUDED → evaluated; PROTECTION_DETERMINED → protection_decided;
    COMPLETION_REPORTED while active → completion_reported; CLOSED → closed.
    A state the proposal already reflects (a consultation closing back into UNDER_REVIEW,
    progress reported while suspended…) notes nothing.
    """
    state = str(getattr(event, "state", ""))
    kind = _kind(state, proposal)
    if kind is DecisionKind.SUPPLEMENT_REQUESTED and (
        getattr(event, "items", None) is None or str(event.id) in proposal.answered_supplements
    ):
        # A deadline notice on the supplement clock, or a request already answered here while
        # approval had not yet heard the answer: nothing new is asked.
        return None
    if kind is None:
        return None
    at = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    return NotedDecision(kind, at, _details(kind, event))


def _kind(state: str, proposal: Proposal) -> DecisionKind | None:
    status = proposal.status
    implementation = proposal.implementation
    if state == "UNDER_REVIEW":
        return DecisionKind.RECEIVED if status == ProposalStatus.SUBMITTED else None
    if state == "NEEDS_SUPPLEMENT":
        # A request crossing the proposer's withdrawal is moot: approval closes the case.
        moot = (ProposalStatus.NEEDS_SUPPLEMENT, ProposalStatus.WITHDRAWN)
        return None if status in moot else DecisionKind.SUPPLEMENT_REQUESTED
    # After the decision, later facts keep the case APPROVED. A decision crossing a withdrawal
    # is a real conflict (approval refuses to withdraw a decided case): the domain refuses it
    # and the event is dead-lettered for someone to look at.
    if state == "APPROVED":
        return None if status == ProposalStatus.DECIDED else DecisionKind.APPROVED
    if state == "REJECTED":
        return None if status == ProposalStatus.DECIDED else DecisionKind.REJECTED
    if state == "SUSPENDED":
        return DecisionKind.SUSPENDED if implementation == "active" else None
    if state == "IN_IMPLEMENTATION":
        return DecisionKind.RESUMED if implementation == "suspended" else None
    if state == "STOPPED":
        return DecisionKind.STOPPED if implementation in ("active", "suspended") else None
    if state in ("EVALUATED", "CONCLUDED"):
        evaluation = proposal.evaluation or {}
        return None if evaluation.get("case_state") == state else DecisionKind.EVALUATED
    if state == "PROTECTION_DETERMINED":
        return DecisionKind.PROTECTION_DECIDED if proposal.protection is None else None
    if state == "COMPLETION_REPORTED":
        return DecisionKind.COMPLETION_REPORTED if implementation == "active" else None
    if state == "CLOSED":
        return DecisionKind.CLOSED if implementation != "closed" else None
    return None


def _details(kind: DecisionKind, event: IntegrationEvent) -> dict[str, Any]:
    """The event's own fields (JSON-ready), plus where it came from."""
    specific: dict[str, Any] = event.model_dump(mode="json", exclude=set(_COMMON_FIELDS))
    if kind is DecisionKind.SUPPLEMENT_REQUESTED:
        due = getattr(event, "due", None)
        return {
            "request_id": str(event.id),
            "items": list(getattr(event, "items", None) or []),
            "due_date": due.isoformat() if isinstance(due, date) else due,
            "reason": getattr(event, "reason", ""),
        }
    details = {
        **specific,
        "event_id": str(event.id),
        "event_type": event.type,
        "case_id": str(getattr(event, "case_id", "")),
        "case_state": str(getattr(event, "state", "")),
        "legal_basis": event.legal_basis,
    }
    if kind is DecisionKind.EVALUATED and "assessed_outcome" in specific:
        details.setdefault("outcome", specific["assessed_outcome"])
    if kind is DecisionKind.PROTECTION_DECIDED:
        details.setdefault("basis", event.legal_basis)
    return details
