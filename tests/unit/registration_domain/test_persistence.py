"""Proposal events are JSON-friendly: they store, reload and snapshot through eventsourcing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding

from services.registration.domain.proposal import Proposal, ProposalStatus
from shared.kernel.directory import OrganisationDirectory
from tests.unit.registration_domain.builders import T0, complete_plan, official


class _DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class _Registration(Application[UUID]):
    env: ClassVar[dict[str, str]] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(_DateAsISO())


_STATE = (
    "proposer",
    "title",
    "plan",
    "status",
    "routing",
    "protection_eligible",
    "supplement_request",
    "answered_supplements",
    "decision",
    "implementation",
    "evaluation",
    "history",
    "submitted_at",
    "received_at",
)


def _state(proposal: Proposal) -> dict[str, Any]:
    return {name: getattr(proposal, name) for name in _STATE}


def _lived(directory: OrganisationDirectory) -> Proposal:
    proposer = official(directory, "ct.ninh-kieu.an-hoa", "vice_chairman")
    at = T0
    proposal = Proposal.draft(proposer=proposer, title="Một cửa số", plan={}, at=at)
    proposal.edit(actor_id=proposer.user_id, changes=complete_plan(), at=at)
    proposal.submit(actor=proposer, at=at, directory=directory)
    proposal.note_decision(kind="received", at=at, details={"received_by": "ct.p0100"})
    proposal.note_supplement_requested(
        request_id="req-1", items=["Bổ sung dự toán"], due_date=date(2024, 6, 20), at=at
    )
    proposal.supplement(
        actor_id=proposer.user_id,
        request_id="req-1",
        changes={"feasibility": "Đã có dự toán chi tiết"},
        at=at + timedelta(hours=2),
    )
    proposal.note_decision(kind="approved", at=at, details={"decision_ref": "15/QĐ-UBND"})
    proposal.note_decision(kind="evaluated", at=at, details={"outcome": "COMPLETED"})
    return proposal


def test_events_round_trip_through_the_event_store(directory: OrganisationDirectory) -> None:
    app = _Registration()
    proposal = _lived(directory)
    app.save(proposal)
    reloaded: Proposal = app.repository.get(proposal.id)
    assert _state(reloaded) == _state(proposal)
    assert reloaded.status == ProposalStatus.DECIDED
    assert reloaded.version == 8  # drafted … evaluated


def test_snapshot_restores_the_same_state(directory: OrganisationDirectory) -> None:
    app = _Registration(env={"IS_SNAPSHOTTING_ENABLED": "y"})
    proposal = _lived(directory)
    app.save(proposal)
    app.take_snapshot(proposal.id)
    restored: Proposal = app.repository.get(proposal.id)
    assert _state(restored) == _state(proposal)
    # status comes back as text from a snapshot; comparisons by value still hold
    assert restored.status == ProposalStatus.DECIDED
    restored.note_decision(kind="protection_decided", at=T0, details={"tier": "NO_LIABILITY"})
    assert restored.protection == {"tier": "NO_LIABILITY"}
