"""The witness says when a log stops growing while its service takes commands (issue #12 §3).

The service's heartbeats (`d73.audit.heartbeat.<service>`, on D73_AUDIT with its checkpoints)
say whether it takes commands and how many stored events its log must cover. The clock is the
heartbeats' own: each test sets the time each heartbeat was sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from services.reporting.application import ReportingApplication, WitnessKeys
from services.reporting.domain.witness import WitnessedLeaves, WitnessedLog
from shared.contracts.audit import LogHeartbeat
from shared.records.merkle.keys import save_public_key
from shared.records.servicelog.keys import ServiceKeys, TrustedKeys
from tests.unit.reporting.conftest import new_app
from tests.unit.reporting.test_witness import AT, ServiceUnderWatch, witness

AUDIT = "D73_AUDIT"
START = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
INTERVAL = 60.0
GRACE = 60.0


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def beat(
    clock: Clock,
    log_due: int,
    *,
    accepting: bool = True,
    service: str = "approval",
    connected_since: datetime | None = None,
) -> dict[str, Any]:
    return LogHeartbeat(
        id=uuid4(),
        occurred_at=clock.now,
        service=service,
        accepting=accepting,
        log_due=log_due,
        signed_size=0,
        checkpoint_every_seconds=INTERVAL,
        connected_since=connected_since,
    ).model_dump(mode="json")


def hear(log: WitnessedLog, body: dict[str, Any]) -> None:
    log.heartbeat(body, grace_seconds=GRACE, at=AT)


def kinds(log: WitnessedLog) -> list[str]:
    return [alarm["kind"] for alarm in log.alarms]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def records() -> tuple[WitnessedLeaves, WitnessedLog]:
    return WitnessedLeaves("approval"), WitnessedLog("approval")


def test_a_log_that_owes_a_checkpoint_past_its_interval_and_the_grace_stalled(
    clock: Clock, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    service, (leaves, log) = ServiceUnderWatch(), records
    service.store(3)
    witness(records, service, service.checkpoint())
    service.store(2)  # two commands taken; the relay signs nothing more
    hear(log, beat(clock, log_due=5))
    for _ in range(4):
        clock.advance(30)
        hear(log, beat(clock, log_due=5))
    assert kinds(log) == [], "120 s: within 60 s + 60 s"
    clock.advance(30)
    hear(log, beat(clock, log_due=5))
    [alarm] = log.alarms
    assert alarm["kind"] == "log-stalled"
    assert alarm["tree_size"] == 3
    assert alarm["log_due"] == 5
    assert alarm["since"] == START.isoformat()
    assert "150 s" in alarm["detail"]
    clock.advance(30)
    hear(log, beat(clock, log_due=6))
    assert kinds(log) == ["log-stalled"], "raised once for one stall"
    assert leaves.alarms == []


def test_a_log_that_keeps_growing_never_stalls_however_far_behind_it_is(
    clock: Clock, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    service, (_, log) = ServiceUnderWatch(), records
    for _ in range(10):
        service.store(5)
        witness(records, service, service.checkpoint())
        hear(log, beat(clock, log_due=service.tree.size + 100))  # a backlog the relay works on
        clock.advance(100)
    assert kinds(log) == []


def test_a_wait_counts_from_when_the_service_reached_nats_again(
    clock: Clock, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    """NATS away for five minutes: the owed checkpoint could not leave, so no stall then."""
    _, log = records
    hear(log, beat(clock, log_due=2, connected_since=START))
    back = clock.advance(300)
    hear(log, beat(clock, log_due=2, connected_since=back))
    clock.advance(100)
    hear(log, beat(clock, log_due=2, connected_since=back))
    assert kinds(log) == [], "100 s since NATS came back"
    clock.advance(30)
    hear(log, beat(clock, log_due=2, connected_since=back))
    assert kinds(log) == ["log-stalled"]


def test_a_checkpoint_that_catches_up_settles_the_debt(
    clock: Clock, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    service, (_, log) = ServiceUnderWatch(), records
    service.store(2)
    hear(log, beat(clock, log_due=2))
    assert log.owed is not None
    clock.advance(90)
    witness(records, service, service.checkpoint())
    hear(log, beat(clock, log_due=2))
    assert log.owed is None
    clock.advance(3600)
    hear(log, beat(clock, log_due=2))
    assert kinds(log) == [], "an idle service with everything signed"


def test_a_halted_service_takes_no_commands_so_its_log_cannot_stall(
    clock: Clock, records: tuple[WitnessedLeaves, WitnessedLog]
) -> None:
    _, log = records
    for _ in range(10):
        hear(log, beat(clock, log_due=7, accepting=False))
        clock.advance(60)
    assert kinds(log) == []
    assert log.owed is None


def test_a_record_stored_before_the_largest_size_was_kept_works_it_out(
    records: tuple[WitnessedLeaves, WitnessedLog],
) -> None:
    service, (_, log) = ServiceUnderWatch(), records
    service.store(4)
    witness(records, service, service.checkpoint())
    del log.__dict__["largest"]  # as a snapshot taken before this release restores it
    assert log.signed_size == 4


def test_reporting_shows_the_stall_on_its_alarms_and_ignores_its_own_heartbeats(
    tmp_path: Path, clock: Clock
) -> None:
    service = ServiceUnderWatch()
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    save_public_key(service.key.public_key(), trusted / "approval.ed25519.pub.pem")
    own = ServiceKeys.load_or_create("reporting", tmp_path / "keys")
    keys = WitnessKeys(own=lambda: own, trusted=TrustedKeys(trusted))
    app: ReportingApplication = new_app(tmp_path / "store", witness_keys=keys)
    try:
        service.store(3)
        assert app.witness_checkpoint(service.checkpoint(), Tracking(AUDIT, 1))
        seq = 1
        for _ in range(6):
            seq += 1
            app.witness_heartbeat(beat(clock, log_due=4), Tracking(AUDIT, seq))
            clock.advance(30)
        assert not app.witness_heartbeat(
            beat(clock, log_due=9, service="reporting"), Tracking(AUDIT, seq + 1)
        )
        assert [a["kind"] for a in app.log_alarms(("approval", "reporting"))] == ["log-stalled"]
        assert app.alarms()[2]["gaps"] == [], "every heartbeat's place is recorded"
    finally:
        app.close()
    again: ReportingApplication = new_app(tmp_path / "store", witness_keys=keys)
    try:
        log: WitnessedLog = again.repository.get(WitnessedLog.create_id("approval"))
        assert log.owed is not None, "kept across a restart"
        assert log.owed["alarmed"]
    finally:
        again.close()
