"""HTTP commands and queries on proposal plans (kế hoạch đề xuất): each POST builds one command
(`commands.py`, where its body is too) and hands it to `RegistrationApplication.handle`; the
routes of the commands to a proposal are derived from `PROPOSER_COMMANDS`, as approval derives
its case routes from its `COMMANDS`.

Every POST accepts an `Idempotency-Key` (design.md §5): a retry with the same key and body gets
the first answer and records nothing; the same key with another body is a 422 problem.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, Field

from services.registration.application import RegistrationApplication
from services.registration.commands import PROPOSER_COMMANDS, Draft, DraftRequest, OnProposal
from services.registration.domain import Proposal
from shared.contracts.plan import PlanDocument
from shared.platform.idempotency import Idempotency
from shared.platform.web import (
    CurrentActor,
    IdempotencyKey,
    OrjsonRoute,
    direct_command,
)

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token"},
    403: {"description": "Only the proposer may do this"},
    404: {"description": "No such proposal"},
    409: {
        "description": "Not in this state (e.g. editing after submission, withdrawing after a "
        "decision)"
    },
    422: {
        "description": "Invalid input, an incomplete plan (every missing field is listed in "
        "`errors`), or an Idempotency-Key reused for another request"
    },
}

router = APIRouter(
    prefix="/proposals", tags=["proposals"], responses=PROBLEMS, route_class=OrjsonRoute
)


def registration_of(request: Request) -> RegistrationApplication:
    app: RegistrationApplication = request.app.state.runtime.app
    return app


async def registration_app(request: Request) -> RegistrationApplication:
    """The service's application (a coroutine: FastAPI would hand a plain function dependency
    to a worker thread and back, on every request)."""
    return registration_of(request)


Registration = Annotated[RegistrationApplication, Depends(registration_app)]


class ProposalView(BaseModel):
    id: UUID
    version: int
    status: str
    title: str
    proposer: dict[str, Any]
    plan: PlanDocument
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
    pending_attachments: list[dict[str, Any]] = Field(
        description="Files uploaded for the open supplement request, sent with the answer"
    )

    @classmethod
    def of(cls, proposal: Proposal) -> ProposalView:
        """The proposal's attributes of the same names; its status as the plain string, and
        the dates of the open request as ISO text (as the proposal's history shows them)."""
        return cls.model_validate(_view_fields(proposal))

    @classmethod
    def json_of(cls, proposal: Proposal) -> bytes:
        """`of(proposal).model_dump_json(by_alias=True)`, the same bytes, written by orjson: the
        view holds the proposal's own values (its plan as written), and pydantic validating
        them again and inferring each plan value's type to write it was ~60 us of a
        submission's answer (issue #19). orjson writes datetimes (UTC as `Z`), UUIDs, dates,
        strings, whole numbers and floats as pydantic does; a value it does not take (a
        Decimal, a set, an integer beyond 64 bits, a key that is not text) goes through
        the model as before."""
        try:
            return orjson.dumps(_view_fields(proposal), option=orjson.OPT_UTC_Z)
        except TypeError:
            return cls.of(proposal).model_dump_json(by_alias=True).encode()


def _view_fields(proposal: Proposal) -> dict[str, Any]:
    """The view's fields in its order, from the proposal."""
    fields = {name: getattr(proposal, name) for name in ProposalView.model_fields}
    fields["status"] = str(proposal.status)
    fields["supplement_request"] = _jsonable(proposal.supplement_request)
    return fields


class SupplementRequestView(BaseModel):
    request_id: str
    items: list[str]
    reason: str = ""
    due_date: date = Field(description="Set by approval from its rule set (working days)")
    requested_at: datetime


class DecisionRef(BaseModel):
    kind: str
    at: datetime


class ProposalSummary(BaseModel):
    """Where a proposal stands for its proposer, approval's decisions included."""

    id: UUID
    title: str
    status: str = Field(description="DRAFT, SUBMITTED, UNDER_REVIEW, NEEDS_SUPPLEMENT, DECIDED…")
    decision: str | None = Field(description="approved | rejected, once decided")
    implementation: str | None = Field(
        description="active | suspended | stopped | completed (report received) | closed "
        "(file archived)"
    )
    drafted_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    version: int
    protection_eligible: bool | None = Field(description="Art 2, as of submission")
    recipient_unit_id: str | None
    routing_target: str | None
    supplement_request: SupplementRequestView | None
    last_decision: DecisionRef | None
    evaluation_outcome: str | None
    protection_tier: str | None
    withdrawn_at: datetime | None
    attachments: int
    pending_attachments: int


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in value.items()}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ProposalView,
    summary="Start a private draft (or, with `submit`, draft and submit at once)",
)
@direct_command("registration", registration_of)
def draft(
    body: DraftRequest, actor: CurrentActor, registration: Registration, key: IdempotencyKey = None
) -> Response:
    # The answer is written here, once (`ProposalView.json_of`): a model returned would be
    # validated again against `response_model`, named above for the OpenAPI schema.
    # The fingerprint's body only under a key: most requests carry none.
    sent = None if key is None else body.model_dump(mode="json")
    idempotency = Idempotency.of(key, "draft", "", sent)
    command = Draft(title=body.title, plan=body.plan, submit=body.submit)
    view = ProposalView.json_of(registration.handle(command, actor, idempotency=idempotency))
    return Response(view, status_code=status.HTTP_201_CREATED, media_type="application/json")


@router.get("", summary="My proposals, oldest first, with where each stands")
def my_proposals(actor: CurrentActor, registration: Registration) -> list[ProposalSummary]:
    return [ProposalSummary.model_validate(row) for row in registration.proposals_of(actor)]


class PreviewView(BaseModel):
    protection_eligible: bool = Field(
        description="Art 2: only leaders and managers are subjects of the decree's protection; "
        "anyone may still register an initiative"
    )
    routing: dict[str, Any] = Field(
        description="Where a plan submitted now would go (Art 7 §3–4, Plan 88 II.3), and why"
    )


@router.get(
    "/preview",
    summary="Before drafting: am I eligible for protection (Art 2), and where would my plan go?",
    responses={422: {"description": "No competent authority can be named for the caller"}},
)
def preview(actor: CurrentActor, registration: Registration) -> PreviewView:
    return PreviewView.model_validate(registration.preview(actor))


@router.get("/{proposal_id}", summary="One of my proposals")
def get_proposal(
    proposal_id: UUID, actor: CurrentActor, registration: Registration
) -> ProposalView:
    return ProposalView.of(registration.proposal_for(actor, proposal_id))


@router.get(
    "/{proposal_id}/status",
    summary="Where my proposal stands: approval's decisions, an open supplement request",
)
def proposal_status(
    proposal_id: UUID, actor: CurrentActor, registration: Registration
) -> ProposalSummary:
    return ProposalSummary.model_validate(registration.status_for(actor, proposal_id))


def endpoint(kind: type[OnProposal]) -> Callable[..., ProposalView]:
    """`POST /proposals/{proposal_id}<kind.path>`: build the command from the path and the body
    (its shape checked by `kind.body`) and hand it to `handle` with the request's
    Idempotency-Key, whose fingerprint is the body."""
    body_type = kind.body

    if body_type is None:

        def without_body(
            proposal_id: UUID,
            actor: CurrentActor,
            registration: Registration,
            key: IdempotencyKey = None,
        ) -> ProposalView:
            idempotency = Idempotency.of(key, kind.name, str(proposal_id), None)
            command = kind(proposal_id=proposal_id)
            return ProposalView.of(registration.handle(command, actor, idempotency=idempotency))

        handler: Callable[..., ProposalView] = without_body
    else:

        def with_body(
            proposal_id: UUID,
            body: Any,
            actor: CurrentActor,
            registration: Registration,
            key: IdempotencyKey = None,
        ) -> ProposalView:
            sent = None if key is None else body.model_dump(mode="json")
            idempotency = Idempotency.of(key, kind.name, str(proposal_id), sent)
            command = kind(proposal_id=proposal_id, **body.model_dump())
            return ProposalView.of(registration.handle(command, actor, idempotency=idempotency))

        with_body.__annotations__["body"] = body_type
        handler = with_body
    handler.__name__ = kind.name
    handler.__doc__ = None
    return handler


for _kind in PROPOSER_COMMANDS:
    if _kind.path is not None:
        router.post(
            f"/{{proposal_id}}{_kind.path}", summary=_kind.title, responses=dict(_kind.refusals)
        )(endpoint(_kind))
