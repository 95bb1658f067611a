"""Auditor-facing queries on one proposal: its history, its merged timeline, its state back then."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from services.reporting.api.access import Reporting, may_read_history, not_allowed
from services.reporting.application import ReportingApplication
from services.reporting.domain.archive import ProposalArchive
from services.reporting.timeline import timeline_of
from shared.contracts.bounds import MAX_NAME_CHARS
from shared.platform.web import CurrentActor, Problem
from shared.records.servicelog.api import bundle_refusals
from shared.records.servicelog.log import ServiceLog

router = APIRouter(tags=["audit"])


def readable_history(
    proposal_id: UUID, actor: CurrentActor, reporting: Reporting
) -> list[dict[str, Any]]:
    """The proposal's archived events, if the acting person may read them (404, 403)."""
    entries = reporting.history(proposal_id)
    if entries is None:
        raise Problem(404, "Unknown proposal", f"No event about proposal {proposal_id} arrived")
    if not may_read_history(actor, entries):
        raise not_allowed("Only auditors and administrators read other people's histories.")
    return entries


History = Annotated[list[dict[str, Any]], Depends(readable_history)]


WithProof = Annotated[
    bool,
    Query(
        description=(
            "Also `proof`: an audit bundle proving each archived event in reporting's signed "
            "log (its stored form, with an inclusion proof to the latest checkpoint); save it "
            "and check it offline with `d73 verify-bundle`"
        )
    ),
]


@dataclass(frozen=True)
class ReadProposal:
    """A proposal the acting person may read, and whether its answer carries the proof."""

    request: Request
    reporting: ReportingApplication
    proposal_id: UUID
    history: list[dict[str, Any]]
    proof: bool

    def answer(self, **fields: Any) -> dict[str, Any]:
        """The answer about the proposal, with the bundle of its archive in reporting's own
        log when `proof` was asked (issue #12 §6)."""
        body: dict[str, Any] = {"proposal_id": str(self.proposal_id), **fields}
        if self.proof:
            archive_id = ProposalArchive.create_id(self.proposal_id)
            version: int = self.reporting.repository.get(archive_id).version
            body["proof"] = archive_proof(self.request, {archive_id: range(1, version + 1)})
        return body


async def read_proposal(
    request: Request,
    proposal_id: UUID,
    history: History,
    reporting: Reporting,
    proof: WithProof = False,
) -> ReadProposal:
    return ReadProposal(request, reporting, proposal_id, history, proof)


Proposal = Annotated[ReadProposal, Depends(read_proposal)]


def archive_proof(request: Request, wanted: Mapping[UUID, Iterable[int]]) -> dict[str, Any]:
    """An audit bundle proving the given versions of archive records in reporting's own log,
    each against its latest checkpoint (what is not under one yet is left out)."""
    audit: ServiceLog | None = request.app.state.runtime.audit_log
    if audit is None:
        raise Problem(404, "No log", "This reporting keeps no verifiable log")
    with bundle_refusals():
        positions = [
            position
            for archive_id, versions in wanted.items()
            for position in audit.positions_of(archive_id, list(versions)).values()
        ]
        return audit.bundle_of(positions)


@router.get(
    "/proposals/{proposal_id}/history",
    summary="The merged history of one proposal across services, in arrival order",
)
def proposal_history(proposal: Proposal) -> dict[str, Any]:
    return proposal.answer(events=proposal.history)


@router.get(
    "/proposals/{proposal_id}/timeline",
    summary="Diễn biến hồ sơ: who did what, when, on which legal basis, with which documents",
)
def proposal_timeline(proposal: Proposal) -> dict[str, Any]:
    # The history the access check read, merged: the archive is read once, not twice.
    timeline = timeline_of(proposal.history)
    withdrawn_note = proposal.reporting.working_days.withdrawn_note
    return proposal.answer(
        timeline=timeline,
        # The case's rule set was withdrawn: why, and which adopted one its deadlines follow.
        rule_set_note=next(
            (
                note
                for entry in timeline or ()
                if (note := withdrawn_note(entry.get("rule_set_version")))
            ),
            None,
        ),
    )


@router.get(
    "/proposals/{proposal_id}/state",
    summary="The state of the proposal as of a past instant or event (archive replayed to it)",
)
def proposal_state(
    proposal_id: UUID,
    history: History,
    reporting: Reporting,
    at: Annotated[datetime | None, Query(description="An instant with its time zone")] = None,
    event_id: Annotated[
        str | None,
        Query(max_length=MAX_NAME_CHARS, description="Replay up to and including this event"),
    ] = None,
) -> dict[str, Any]:
    if at is not None and at.tzinfo is None:
        raise Problem(422, "Instant without a time zone", "Give `at` with an offset, e.g. +07:00")
    try:
        state = reporting.state_as_of(proposal_id, at=at, event_id=event_id)
    except LookupError as error:
        raise Problem(404, "Unknown event", str(error)) from None
    assert state is not None
    return state
