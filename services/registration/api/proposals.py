"""HTTP commands and queries on proposal plans (kế hoạch đề xuất)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from services.registration.application import RegistrationApplication
from services.registration.domain import Proposal
from shared.web import CurrentActor

router = APIRouter(prefix="/proposals", tags=["proposals"])


def registration_app(request: Request) -> RegistrationApplication:
    app: RegistrationApplication = request.app.state.runtime.app
    return app


Registration = Annotated[RegistrationApplication, Depends(registration_app)]


class DraftRequest(BaseModel):
    title: str = Field(description="Tên đề xuất — the proposal's title")
    plan: dict[str, Any] | None = Field(
        None, description="Any part of the plan (Art 7 §2); completeness is checked on submit"
    )
    submit: bool = Field(
        False,
        description="Submit at once (a finished plan prepared elsewhere): one commit, or nothing",
    )


class EditRequest(BaseModel):
    changes: dict[str, Any] = Field(
        description="Top-level plan fields and/or `title` to replace; null clears a field"
    )


class SupplementRequest(BaseModel):
    request_id: str = Field(min_length=1, description="The supplement request being answered")
    changes: dict[str, Any] = Field(description="Only the fields that change")


class WithdrawRequest(BaseModel):
    reason: str = Field(min_length=1, description="Lý do rút đề xuất")


class ProposalView(BaseModel):
    id: UUID
    version: int
    status: str
    title: str
    proposer: dict[str, Any]
    plan: dict[str, Any]
    drafted_at: datetime
    submitted_at: datetime | None
    protection_eligible: bool | None
    routing: dict[str, Any] | None
    supplement_request: dict[str, Any] | None
    decision: str | None
    implementation: str | None
    evaluation: dict[str, Any] | None
    protection: dict[str, Any] | None
    withdrawal: dict[str, Any] | None
    history: list[dict[str, Any]]

    @classmethod
    def of(cls, proposal: Proposal) -> ProposalView:
        return cls(
            id=proposal.id,
            version=proposal.version,
            status=str(proposal.status),
            title=proposal.title,
            proposer=proposal.proposer,
            plan=proposal.plan,
            drafted_at=proposal.drafted_at,
            submitted_at=proposal.submitted_at,
            protection_eligible=proposal.protection_eligible,
            routing=proposal.routing,
            supplement_request=_jsonable(proposal.supplement_request),
            decision=proposal.decision,
            implementation=proposal.implementation,
            evaluation=proposal.evaluation,
            protection=proposal.protection,
            withdrawal=proposal.withdrawal,
            history=proposal.history,
        )


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in value.items()}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Start a private draft (or, with `submit`, draft and submit at once)",
)
def draft(body: DraftRequest, actor: CurrentActor, registration: Registration) -> ProposalView:
    return ProposalView.of(registration.draft(actor, body.title, body.plan, submit=body.submit))


@router.get("", summary="My proposals")
def my_proposals(actor: CurrentActor, registration: Registration) -> list[ProposalView]:
    return [ProposalView.of(p) for p in registration.proposals_of(actor)]


@router.get("/{proposal_id}", summary="One of my proposals")
def get_proposal(
    proposal_id: UUID, actor: CurrentActor, registration: Registration
) -> ProposalView:
    return ProposalView.of(registration.proposal_for(actor, proposal_id))


@router.post("/{proposal_id}/edit", summary="Change parts of a draft")
def edit(
    proposal_id: UUID, body: EditRequest, actor: CurrentActor, registration: Registration
) -> ProposalView:
    return ProposalView.of(registration.edit(actor, proposal_id, body.changes))


@router.post(
    "/{proposal_id}/submit",
    summary="Submit to the competent authority (Art 7 §3–4, Plan 88 II.3)",
    responses={422: {"description": "The plan is incomplete: every missing field is listed"}},
)
def submit(proposal_id: UUID, actor: CurrentActor, registration: Registration) -> ProposalView:
    return ProposalView.of(registration.submit(actor, proposal_id))


@router.post("/{proposal_id}/supplement", summary="Answer a supplement request")
def supplement(
    proposal_id: UUID, body: SupplementRequest, actor: CurrentActor, registration: Registration
) -> ProposalView:
    return ProposalView.of(
        registration.supplement(actor, proposal_id, body.request_id, body.changes)
    )


@router.post("/{proposal_id}/withdraw", summary="Withdraw before a decision")
def withdraw(
    proposal_id: UUID, body: WithdrawRequest, actor: CurrentActor, registration: Registration
) -> ProposalView:
    return ProposalView.of(registration.withdraw(actor, proposal_id, body.reason))
