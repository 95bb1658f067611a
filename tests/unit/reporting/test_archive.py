"""The archive: every received event kept with where it came from; duplicates ignored; a jump in
an upstream stream's sequence is an alarm in the archive, never a silent skip."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from services.reporting.application import ReportingApplication
from services.reporting.domain.archive import ProposalArchive, UpstreamWatch
from tests.support.reporting_data import APPROVAL, REGISTRATION, Message
from tests.unit.reporting.conftest import can_tho_2025


def _stream(stream: str) -> list[Message]:
    return [m for m in can_tho_2025() if m.stream == stream]


def _topics(app: ReportingApplication) -> list[str]:
    recorder: Any = app.recorder
    return [n.topic.rsplit(".", 1)[-1] for n in recorder.select_notifications(start=1, limit=1000)]


def test_every_event_is_archived_with_upstream_stream_sequence_and_position(
    app: ReportingApplication,
) -> None:
    submitted = _stream(REGISTRATION)[0]
    opened = next(
        m for m in _stream(APPROVAL) if m.body["proposal_id"] == submitted.body["proposal_id"]
    )
    assert app.archive_body(submitted.body, Tracking(REGISTRATION, 1))
    assert app.archive_body(opened.body, Tracking(APPROVAL, 1))
    history = app.history(submitted.body["proposal_id"])
    assert history is not None
    assert [(e["type"], e["upstream_stream"], e["upstream_seq"]) for e in history] == [
        ("d73.proposal.submitted.v1", REGISTRATION, 1),
        ("d73.case.opened.v1", APPROVAL, 1),
    ]
    assert history[0]["upstream_position"] == submitted.body["position"]
    assert history[1]["body"] == opened.body, "the contract is kept as received"
    assert history[1]["legal_basis"] == opened.body["legal_basis"]
    assert history[1]["rule_set_version"] == "2024.1"
    assert app.has_processed(REGISTRATION, 1)
    assert app.has_processed(APPROVAL, 1)


def test_same_event_republished_under_a_new_sequence_is_archived_once(
    app: ReportingApplication,
) -> None:
    first = _stream(REGISTRATION)[0]
    app.archive_body(first.body, Tracking(REGISTRATION, 1))
    assert not app.archive_body(first.body, Tracking(REGISTRATION, 2))
    history = app.history(first.body["proposal_id"])
    assert history is not None
    assert len(history) == 1
    assert app.has_processed(REGISTRATION, 2), "the duplicate's position is recorded all the same"
    assert app.alarms()[0]["gaps"] == []


def test_redelivered_stream_sequence_is_refused_and_writes_nothing(
    app: ReportingApplication,
) -> None:
    one, two = _stream(REGISTRATION)[:2]
    app.archive_body(one.body, Tracking(REGISTRATION, 1))
    before = app.recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        app.archive_body(two.body, Tracking(REGISTRATION, 1))
    assert app.recorder.max_notification_id() == before
    assert app.history(two.body["proposal_id"]) is None


def test_a_jump_in_the_upstream_sequence_raises_a_gap_alarm_in_the_archive(
    app: ReportingApplication,
) -> None:
    messages = _stream(APPROVAL)[:5]
    for seq in (1, 2, 5):
        app.archive_body(messages[seq - 1].body, Tracking(APPROVAL, seq))
    streams = {s["stream"]: s for s in app.alarms()}
    assert streams[REGISTRATION]["gaps"] == []
    (gap,) = streams[APPROVAL]["gaps"]
    assert (gap["first_missing"], gap["last_missing"], gap["missing"]) == (3, 4, 2)
    assert gap["revealed_by_seq"] == 5
    assert gap["revealed_by_event_id"] == messages[4].body["id"]
    assert "GapDetected" in _topics(app), "the alarm is an event of the archive itself"
    watch: UpstreamWatch = app.repository.get(UpstreamWatch.create_id(APPROVAL))
    assert watch.gaps == [gap]


def test_messages_lost_before_the_first_one_received_are_a_gap_too(
    app: ReportingApplication,
) -> None:
    app.archive_body(_stream(REGISTRATION)[0].body, Tracking(REGISTRATION, 4))
    (gap,) = {s["stream"]: s for s in app.alarms()}[REGISTRATION]["gaps"]
    assert (gap["first_missing"], gap["last_missing"]) == (1, 3)


def test_a_quarantined_poison_message_holds_its_sequence_so_no_false_gap(
    app: ReportingApplication,
) -> None:
    one, three = _stream(REGISTRATION)[0], _stream(REGISTRATION)[1]
    app.archive_body(one.body, Tracking(REGISTRATION, 1))
    assert app.quarantine(
        stream=REGISTRATION,
        seq=2,
        subject="d73.registration.proposal.teleported",
        headers={"ce-type": "d73.proposal.teleported.v1"},
        data=b"\xff not json",
        reason="unknown event type 'd73.proposal.teleported.v1'",
        deliveries=1,
    )
    app.archive_body(three.body, Tracking(REGISTRATION, 3))
    stream = {s["stream"]: s for s in app.alarms()}[REGISTRATION]
    assert stream["gaps"] == []
    (poison,) = stream["quarantined"]
    assert poison["seq"] == 2
    assert poison["reason"].startswith("unknown event type")
    assert poison["body_hex"] == b"\xff not json".hex(), "kept byte for byte"
    assert not app.quarantine(
        stream=REGISTRATION,
        seq=2,
        subject="x",
        headers={},
        data=b"",
        reason="again",
        deliveries=2,
    ), "a redelivered poison message is recorded once"


def test_the_archive_remembers_event_ids_through_its_snapshots(
    app: ReportingApplication,
) -> None:
    sizes = Counter(m.body["proposal_id"] for m in can_tho_2025())
    proposal = max(sizes, key=lambda p: sizes[p])
    mine = [m for m in can_tho_2025() if m.body["proposal_id"] == proposal]
    assert len(mine) > 10, "long enough to be snapshotted"
    per_stream: dict[str, int] = {}
    for message in mine:
        per_stream[message.stream] = per_stream.get(message.stream, 0) + 1
        app.archive_body(message.body, Tracking(message.stream, per_stream[message.stream]))
    assert app.snapshots is not None
    snapshot = list(app.snapshots.get(ProposalArchive.create_id(proposal)))
    assert snapshot, "snapshotted every 10 events"
    archive: ProposalArchive = app.repository.get(ProposalArchive.create_id(proposal))
    assert archive.event_ids == {m.body["id"] for m in mine}
    assert not app.archive_body(mine[3].body, Tracking(APPROVAL, per_stream[APPROVAL] + 1))
