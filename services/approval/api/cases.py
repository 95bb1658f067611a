"""Reading cases: one case, the case of a proposal, and the caller's inbox."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from services.approval.api.dependencies import Approval
from services.approval.api.views import CaseView, InboxEntry, case_view
from shared.platform.web import CurrentActor

router = APIRouter(tags=["cases"])


@router.get("/cases/{case_id}", summary="One case, in full")
def get_case(case_id: UUID, actor: CurrentActor, approval: Approval) -> CaseView:
    case = approval.case_for(actor, case_id)
    return case_view(approval, case)


@router.get("/proposals/{proposal_id}/case", summary="The case opened for a proposal")
def case_of_proposal(proposal_id: UUID, actor: CurrentActor, approval: Approval) -> CaseView:
    case = approval.case_of_proposal(actor, proposal_id)
    return case_view(approval, case)


@router.get(
    "/inbox",
    summary="Cases waiting for me, oldest due date first",
    description=(
        "Hồ sơ chờ xử lý: open cases where the caller must act — as head, deputy (a vote), "
        "office delegate, implementer or proposer — with the next due date. Sở Nội vụ "
        "(role `home_affairs`) also sees every case with a deadline past due."
    ),
    responses={
        200: {
            "headers": {
                "X-Total-Count": {
                    "description": "How many entries the inbox holds in all",
                    "schema": {"type": "integer", "minimum": 0},
                }
            }
        }
    },
)
def inbox(
    actor: CurrentActor,
    approval: Approval,
    response: Response,
    limit: Annotated[
        int | None, Query(ge=1, le=500, description="At most this many entries (all if absent)")
    ] = None,
    offset: Annotated[
        int, Query(ge=0, le=2**31, description="Entries skipped, in the same order")
    ] = 0,
) -> list[InboxEntry]:
    """One page of the inbox when asked (the portal shows twenty of a director's thousands);
    `X-Total-Count` says how many there are in all."""
    items = approval.inbox(actor)
    response.headers["X-Total-Count"] = str(len(items))
    end = None if limit is None else offset + limit
    return [InboxEntry.of(item) for item in items[offset:end]]
