"""Reading cases: one case, the case of a proposal, and the caller's inbox."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from services.approval.api.dependencies import Approval
from services.approval.api.views import CaseView, InboxEntry
from shared.web import CurrentActor

router = APIRouter(tags=["cases"])


@router.get("/cases/{case_id}", summary="One case, in full")
def get_case(case_id: UUID, actor: CurrentActor, approval: Approval) -> CaseView:
    return CaseView.of(approval.case_for(actor, case_id))


@router.get("/proposals/{proposal_id}/case", summary="The case opened for a proposal")
def case_of_proposal(proposal_id: UUID, actor: CurrentActor, approval: Approval) -> CaseView:
    return CaseView.of(approval.case_of_proposal(actor, proposal_id))


@router.get(
    "/inbox",
    summary="Cases waiting for me, oldest due date first",
    description=(
        "Hồ sơ chờ xử lý: open cases where the caller must act — as head, deputy (a vote), "
        "office delegate, implementer or proposer — with the next due date. Sở Nội vụ "
        "(role `home_affairs`) also sees every case with a deadline past due."
    ),
)
def inbox(actor: CurrentActor, approval: Approval) -> list[InboxEntry]:
    return [InboxEntry.of(item) for item in approval.inbox(actor)]
