"""Registration's proposal events, mapped to the case's commands (`commands.py`): approval
consumes the proposals submitted, supplemented and withdrawn (design.md §1).

A message the case refuses (no open request to answer, a withdrawal after the decision) is
`Rejected`, so the consumer dead-letters it with the reason; a repeat is only recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from eventsourcing.persistence import Tracking

from services.approval.application import ApprovalApplication, CaseNotFound
from services.approval.commands import ProvideSupplement, Withdraw
from services.approval.domain.case import Case
from services.approval.domain.errors import DomainError
from shared.contracts import IntegrationEvent
from shared.contracts.registration import (
    ProposalSubmitted,
    ProposalSupplemented,
    ProposalWithdrawn,
)
from shared.kernel.actor import SYSTEM, Actor
from shared.platform.consumer import Rejected

TITLE = "title"


def on_submitted(app: ApprovalApplication, event: IntegrationEvent, tracking: Tracking) -> None:
    """Registration's `submitted` opens the case; a repeat of it only records the position."""
    assert isinstance(event, ProposalSubmitted)
    app.open_case(
        proposal_id=event.proposal_id,
        proposer=event.proposer.model_dump(),
        title=event.title,
        protection_eligible=event.protection_eligible,
        routing=event.routing.model_dump(),
        plan=event.plan,
        submitted_at=event.submitted_at,
        tracking=tracking,
    )


def on_supplemented(app: ApprovalApplication, event: IntegrationEvent, tracking: Tracking) -> None:
    """The proposer's answer to the open supplement request; the intake clock restarts."""
    assert isinstance(event, ProposalSupplemented)
    case_id = Case.create_id(event.proposal_id)
    try:
        case = app.get_case(case_id)
        open_request = app.open_supplement_request_id(case)
        if open_request is None or event.request_id != str(open_request):
            raise Rejected(
                f"supplement {event.request_id!r} answers no open request of case {case_id} "
                f"(state {case.state}, open request {open_request})"
            )
        answer = ProvideSupplement(
            case_id=case_id,
            changed_fields=event.changed_fields or sorted(event.changes),
            attachments=[a.sha256 for a in event.attachments_added]
            or _added_attachments(case.plan, event.changes),
            # The answer carries the resulting plan; only an answer recorded before it did
            # (a redelivered old message) has its changes applied here.
            plan=event.plan if event.plan is not None else _applied(case.plan, event.changes),
            supplemented_at=event.occurred_at,
        )
        app.handle(answer, upstream_actor(event), tracking)
    except (DomainError, CaseNotFound) as refusal:
        raise Rejected(f"supplement refused: {type(refusal).__name__}: {refusal}") from None


def on_withdrawn(app: ApprovalApplication, event: IntegrationEvent, tracking: Tracking) -> None:
    """Rút đề xuất — refused by the domain once the head has decided."""
    assert isinstance(event, ProposalWithdrawn)
    try:
        withdrawal = Withdraw(
            case_id=Case.create_id(event.proposal_id),
            reason=event.reason,
            withdrawn_at=event.occurred_at,
        )
        app.handle(withdrawal, upstream_actor(event), tracking)
    except (DomainError, CaseNotFound) as refusal:
        raise Rejected(f"withdrawal refused: {type(refusal).__name__}: {refusal}") from None


def upstream_handlers(
    app: ApprovalApplication,
) -> dict[str, Callable[[IntegrationEvent, Tracking], None]]:
    """What the consumer of D73_REGISTRATION does with each contract it accepts."""
    return {
        ProposalSubmitted.TYPE: partial(on_submitted, app),
        ProposalSupplemented.TYPE: partial(on_supplemented, app),
        ProposalWithdrawn.TYPE: partial(on_withdrawn, app),
    }


def upstream_actor(event: IntegrationEvent) -> Actor:
    """The proposer who acted in registration, as registration's event names them."""
    if event.actor is None:
        return SYSTEM
    return Actor(
        user_id=event.actor.user_id,
        name=event.actor.name,
        unit_id=event.actor.unit_id,
        position=event.actor.position,
        roles=frozenset(event.actor.roles),
    )


def _applied(plan: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The plan with a supplement's changes: a `None` clears a field (as in registration).

    The title is registration's to keep: the case keeps the title it was opened with.
    """
    merged = dict(plan)
    for name, value in changes.items():
        if name == TITLE:
            continue
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _attachment_refs(attachments: Any) -> list[str]:
    refs = []
    for item in attachments if isinstance(attachments, list) else []:
        if isinstance(item, Mapping):
            refs.append(str(item.get("sha256") or item.get("name") or ""))
        else:
            refs.append(str(item))
    return [ref for ref in refs if ref]


def _added_attachments(plan: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """Attachments the supplement adds, by content hash (or name when there is no hash)."""
    if "attachments" not in changes:
        return []
    before = set(_attachment_refs(plan.get("attachments")))
    return [ref for ref in _attachment_refs(changes["attachments"]) if ref not in before]
