"""Case events are JSON-friendly: a stored case replays, and snapshots, to the same state."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding

from services.approval.domain.case import Case
from services.approval.domain.case_values import CASE_TRANSCODINGS
from shared.contracts.vocabulary import CaseState
from tests.unit.approval_domain.journey import drive_to


class DateAsISO(Transcoding):
    """Stands in for the transcoding the application registers for `datetime.date`."""

    type = date
    name = "date_iso"

    def encode(self, obj: Any) -> str:
        assert isinstance(obj, date)
        return obj.isoformat()

    def decode(self, data: Any) -> date:
        assert isinstance(data, str)
        return date.fromisoformat(data)


class Cases(Application[UUID]):
    is_snapshotting_enabled = True

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        for transcoding in CASE_TRANSCODINGS:
            transcoder.register(transcoding)


def test_stored_case_replays_and_snapshots_to_the_same_state() -> None:
    app = Cases()
    case = drive_to(CaseState.CLOSED, outcome="PARTIAL", damage=True)
    app.save(case)
    replayed: Case = app.repository.get(case.id)
    assert isinstance(replayed, Case)
    assert replayed == case
    app.take_snapshot(case.id)
    restored: Case = app.repository.get(case.id)
    assert restored == case
    assert restored.state is CaseState.CLOSED
    assert restored.vote_records() == case.vote_records()


def test_a_case_with_running_clocks_snapshots_its_typed_deadlines() -> None:
    app = Cases()
    case = drive_to(CaseState.IN_CONSULTATION)
    assert case.open_deadlines()
    app.save(case)
    app.take_snapshot(case.id)
    restored: Case = app.repository.get(case.id)
    assert restored.open_deadlines() == case.open_deadlines()
    assert restored == case
