"""Reporting as a witness of the services' signed checkpoints (design.md §4)."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eventsourcing.persistence import Tracking

from services.reporting.application import ReportingApplication
from shared.contracts.audit import Checkpoint

AUDIT = "D73_AUDIT"


def checkpoint(size: int, root: str = "a") -> dict[str, Any]:
    return Checkpoint(
        id=uuid4(),
        occurred_at="2025-03-03T09:00:00+07:00",
        service="approval",
        tree_size=size,
        root_hash=root * 64,
        time="2025-03-03T02:00:00.000000Z",
        key_id="0123456789abcdef",
        signature="c2ln",
    ).model_dump(mode="json")


def test_every_signed_checkpoint_is_kept_once(app: ReportingApplication) -> None:
    assert app.witness_checkpoint(checkpoint(10), Tracking(AUDIT, 1))
    assert app.witness_checkpoint(checkpoint(20, "b"), Tracking(AUDIT, 2))
    assert not app.witness_checkpoint(checkpoint(10), Tracking(AUDIT, 3)), "republished copy"
    held = app.witnessed("approval")
    assert held is not None
    assert [(c["tree_size"], c["upstream_seq"]) for c in held["checkpoints"]] == [(10, 1), (20, 2)]
    assert held["conflicts"] == []
    assert app.witnessed("registration") is None


def test_two_histories_of_the_same_size_are_an_equivocation_alarm(
    app: ReportingApplication,
) -> None:
    app.witness_checkpoint(checkpoint(10, "a"), Tracking(AUDIT, 1))
    assert app.witness_checkpoint(checkpoint(10, "c"), Tracking(AUDIT, 2))
    held = app.witnessed("approval")
    assert held is not None
    assert held["conflicts"] == [{"tree_size": 10, "held_root": "a" * 64, "new_root": "c" * 64}]
    assert len(held["checkpoints"]) == 1, "the first one stays the one held"


def test_a_lost_checkpoint_message_is_a_gap_in_the_audit_stream(app: ReportingApplication) -> None:
    app.witness_checkpoint(checkpoint(10), Tracking(AUDIT, 1))
    app.witness_checkpoint(checkpoint(30), Tracking(AUDIT, 3))
    audit = next(s for s in app.alarms() if s["stream"] == AUDIT)
    assert [(g["first_missing"], g["last_missing"]) for g in audit["gaps"]] == [(2, 2)]


def test_witnessed_checkpoints_do_not_touch_the_proposal_statistics(
    app: ReportingApplication,
) -> None:
    app.witness_checkpoint(checkpoint(10), Tracking(AUDIT, 1))
    app.projections.catch_up()
    assert app.projections.events == 0
    assert app.projections.dead_lettered == 0
