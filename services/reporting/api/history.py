"""Auditor-facing queries on the archive."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.reporting.application import ReportingApplication
from shared.identity import Actor, Role
from shared.web import CurrentActor, Problem

router = APIRouter(tags=["audit"])


def reporting_app(request: Request) -> ReportingApplication:
    app: ReportingApplication = request.app.state.runtime.app
    return app


Reporting = Annotated[ReportingApplication, Depends(reporting_app)]


def _may_read(actor: Actor, entries: list[dict[str, Any]]) -> bool:
    if actor.has_role(Role.AUDITOR, Role.ADMIN):
        return True
    for entry in entries:
        proposer = entry["body"].get("proposer")
        if proposer and proposer.get("user_id") == actor.user_id:
            return True
    return False


@router.get(
    "/proposals/{proposal_id}/history",
    summary="The merged history of one proposal across services, in arrival order",
)
def proposal_history(
    proposal_id: UUID, actor: CurrentActor, reporting: Reporting
) -> dict[str, Any]:
    entries = reporting.history(proposal_id)
    if entries is None:
        raise Problem(404, "Unknown proposal", f"No event about proposal {proposal_id} arrived")
    if not _may_read(actor, entries):
        raise Problem(
            403,
            "Not your proposal",
            "Only auditors and administrators read other people's histories.",
            type_="/problems/not-allowed",
        )
    return {"proposal_id": str(proposal_id), "events": entries}


@router.get("/stats/states", summary="How many proposals stand in each state")
def state_counts(actor: CurrentActor, reporting: Reporting) -> dict[str, Any]:
    return {"counts": reporting.counts(), "position": reporting.state_counts.position}
