from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from shared.platform.eventstore import store_env
from shared.platform.settings import Persistence, Settings
from tests.unit.backbone.notes import Note, NoteApp


def test_sqlite_is_the_default_one_file_per_service(tmp_path: Path) -> None:
    env = store_env("approval", Settings(data_dir=tmp_path))
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "approval.sqlite")


def test_postgres_by_configuration_one_database_per_service() -> None:
    env = store_env("reporting", Settings(persistence=Persistence.POSTGRES, postgres_port=6543))
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["POSTGRES_DBNAME"] == "d73_reporting"
    assert env["POSTGRES_PORT"] == "6543"


def test_events_and_upstream_position_commit_together(tmp_path: Path) -> None:
    app = NoteApp(store_env("notes", Settings(data_dir=tmp_path)))
    note = Note("a", date(2025, 1, 28))
    app.record(note, tracking=Tracking("D73_REGISTRATION", 4))
    assert app.has_processed("D73_REGISTRATION", 4)
    assert app.repository.get(note.id).due == date(2025, 1, 28)
    again = Note("b", date(2025, 1, 29))
    with pytest.raises(IntegrityError):
        app.record(again, tracking=Tracking("D73_REGISTRATION", 4))
    assert app.recorder.max_notification_id() == 1, "the redelivered message wrote nothing"


def test_commit_wakes_listeners_only_when_something_was_written(tmp_path: Path) -> None:
    app = NoteApp(store_env("notes", Settings(data_dir=tmp_path)))
    calls: list[int] = []
    app.add_commit_listener(lambda: calls.append(1))
    app.record(tracking=Tracking("up", 1))
    assert calls == []
    app.record(Note("x", date(2025, 2, 3)))
    assert calls == [1]


def test_record_commits_the_pending_events_of_each_aggregate_given_in_order(
    tmp_path: Path,
) -> None:
    app = NoteApp(store_env("notes", Settings(data_dir=tmp_path)))
    first, second = Note("a", date(2025, 3, 3)), Note("b", date(2025, 3, 4))
    second.amend("c")
    recordings = app.record(first, None, second)
    assert [
        (r.domain_event.originator_id, r.domain_event.originator_version) for r in recordings
    ] == [
        (first.id, 1),
        (second.id, 1),
        (second.id, 2),
    ]
    assert not first.pending_events
    assert not second.pending_events
    assert app.repository.get(second.id).text == "c"
