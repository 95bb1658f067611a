"""Auditor-facing queries on one proposal: its history, its merged timeline, its state back then."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from services.reporting.api.access import Reporting, may_read_history, not_allowed
from shared.contracts.bounds import MAX_NAME_CHARS
from shared.identity import Actor
from shared.web import CurrentActor, Problem

router = APIRouter(tags=["audit"])


def _entries(reporting: Reporting, proposal_id: UUID, actor: Actor) -> list[dict[str, Any]]:
    entries = reporting.history(proposal_id)
    if entries is None:
        raise Problem(404, "Unknown proposal", f"No event about proposal {proposal_id} arrived")
    if not may_read_history(actor, entries):
        raise not_allowed("Only auditors and administrators read other people's histories.")
    return entries


@router.get(
    "/proposals/{proposal_id}/history",
    summary="The merged history of one proposal across services, in arrival order",
)
def proposal_history(
    proposal_id: UUID, actor: CurrentActor, reporting: Reporting
) -> dict[str, Any]:
    return {"proposal_id": str(proposal_id), "events": _entries(reporting, proposal_id, actor)}


@router.get(
    "/proposals/{proposal_id}/timeline",
    summary="Diễn biến hồ sơ: who did what, when, on which legal basis, with which documents",
)
def proposal_timeline(
    proposal_id: UUID, actor: CurrentActor, reporting: Reporting
) -> dict[str, Any]:
    _entries(reporting, proposal_id, actor)
    return {"proposal_id": str(proposal_id), "timeline": reporting.timeline(proposal_id)}


@router.get(
    "/proposals/{proposal_id}/state",
    summary="The state of the proposal as of a past instant or event (archive replayed to it)",
)
def proposal_state(
    proposal_id: UUID,
    actor: CurrentActor,
    reporting: Reporting,
    at: Annotated[datetime | None, Query(description="An instant with its time zone")] = None,
    event_id: Annotated[
        str | None,
        Query(max_length=MAX_NAME_CHARS, description="Replay up to and including this event"),
    ] = None,
) -> dict[str, Any]:
    _entries(reporting, proposal_id, actor)
    if at is not None and at.tzinfo is None:
        raise Problem(422, "Instant without a time zone", "Give `at` with an offset, e.g. +07:00")
    try:
        state = reporting.state_as_of(proposal_id, at=at, event_id=event_id)
    except LookupError as error:
        raise Problem(404, "Unknown event", str(error)) from None
    assert state is not None
    return state
