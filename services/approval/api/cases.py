"""The competent authority's cases over HTTP."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.approval.application import ApprovalApplication, case_summary
from shared.web import CurrentActor

router = APIRouter(tags=["cases"])


def approval_app(request: Request) -> ApprovalApplication:
    app: ApprovalApplication = request.app.state.runtime.app
    return app


Approval = Annotated[ApprovalApplication, Depends(approval_app)]


@router.get("/cases/{case_id}", summary="One case")
def get_case(case_id: UUID, actor: CurrentActor, approval: Approval) -> dict[str, Any]:
    return case_summary(approval.case_for(actor, case_id))


@router.get("/proposals/{proposal_id}/case", summary="The case opened for a proposal")
def case_of_proposal(proposal_id: UUID, actor: CurrentActor, approval: Approval) -> dict[str, Any]:
    return case_summary(approval.case_of_proposal(actor, proposal_id))
