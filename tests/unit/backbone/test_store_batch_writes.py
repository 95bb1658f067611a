"""A consumer batch's writes (issue #19), on SQLite and PostgreSQL: an insert refused in a step
undoes only its own writes and the step goes on, savepoints nested in a step roll back alone,
notification ids come back in order; on PostgreSQL, a message costs a bounded number of round
trips to the server (`shared.platform.pgbatch`, the step's savepoint in `storebatch`), and one
that times out waiting for the events table fails alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, Tracking

from shared.platform.eventstore import database_name, ensure_postgres_database, store_env
from shared.platform.settings import Settings
from shared.platform.storebatch import StoreBatches
from tests.support.infra import throwaway_postgres
from tests.unit.backbone.notes import Note, NoteApp, notes_store

UPSTREAM = "D73_UPSTREAM"


@pytest.fixture(params=["sqlite", "postgres"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NoteApp]:
    opened: tuple[NoteApp, Settings]
    with notes_store(request, tmp_path, NoteApp) as opened:
        yield opened[0]


def batches(app: NoteApp) -> StoreBatches:
    assert app.batches is not None
    return app.batches


def committed(app: NoteApp) -> list[Any]:
    recorder: Any = app.recorder
    return list(recorder.select_notifications(start=None, limit=1000))


def tracked(app: NoteApp) -> int | None:
    recorder: Any = app.recorder
    position: int | None = recorder.max_tracking_id(UPSTREAM)
    return position


def test_a_conflicting_insert_in_a_step_undoes_only_itself_and_the_step_goes_on(
    app: NoteApp,
) -> None:
    """An optimistic-concurrency conflict in the middle of a batch: its tracking goes with it,
    what the step wrote before stays, the step records again, and its neighbours commit."""
    first = Note("first", date(2026, 1, 5))
    with batches(app).batch() as batch:
        with batch.step():
            app.record(first, tracking=Tracking(UPSTREAM, 1))
        with batch.step():
            other = Note("other", date(2026, 1, 6))
            app.record(other)
            mine: Note = app.repository.get(first.id)
            stale: Note = app.repository.get(first.id)
            mine.amend("mine")
            app.record(mine)
            stale.amend("stale")
            with pytest.raises(IntegrityError):
                app.record(stale, tracking=Tracking(UPSTREAM, 2))
            assert not app.has_processed(UPSTREAM, 2)  # the store is usable, and says so
            app.record(Note("instead", date(2026, 1, 7)), tracking=Tracking(UPSTREAM, 2))
        with batch.step():
            app.record(Note("after", date(2026, 1, 8)), tracking=Tracking(UPSTREAM, 3))
    assert tracked(app) == 3
    assert app.repository.get(first.id).text == "mine"
    assert app.repository.get(other.id).text == "other"
    assert [n.originator_version for n in committed(app) if n.originator_id == first.id] == [1, 2]
    assert len(committed(app)) == 5


def test_a_refused_tracking_alone_writes_nothing_and_the_step_goes_on(app: NoteApp) -> None:
    with batches(app).batch() as batch:
        with batch.step():
            app.record(Note("one", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 4))
        with batch.step():
            with pytest.raises(IntegrityError):
                app.record(tracking=Tracking(UPSTREAM, 4))
            with pytest.raises(IntegrityError):
                app.record(Note("again", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 3))
            app.record(Note("two", date(2026, 1, 6)), tracking=Tracking(UPSTREAM, 5))
    assert tracked(app) == 5
    assert [n.originator_version for n in committed(app)] == [1, 1]


def test_a_savepoint_nested_in_a_step_rolls_back_alone(app: NoteApp) -> None:
    """A transaction inside a step (a side table's write) that fails takes back only what it
    wrote, the events it recorded too; the step's writes before and after it commit."""
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    before, inside, after = (Note(t, date(2026, 1, 5)) for t in ("before", "inside", "after"))

    def refused_inside(note: Note) -> None:
        with datastore.transaction(commit=True):
            app.record(note)
            raise RuntimeError("the side table refused")

    with batches(app).batch() as batch:
        for round_ in (1, 2):  # the second time after a nested one that ended well
            with batch.step():
                app.record(before if round_ == 1 else Note("more", date(2026, 1, 5)))
                with pytest.raises(RuntimeError, match="refused"):
                    refused_inside(inside if round_ == 1 else Note("in", date(2026, 1, 5)))
                with datastore.transaction(commit=True):
                    pass
                app.record(after if round_ == 1 else Note("later", date(2026, 1, 5)))
        with batch.step():
            app.record(tracking=Tracking(UPSTREAM, 1))
    assert {n.originator_id for n in committed(app)} >= {before.id, after.id}
    assert inside.id not in app.repository
    assert len(committed(app)) == 4
    assert tracked(app) == 1


def test_notification_ids_come_back_in_order_and_match_the_store(app: NoteApp) -> None:
    notes = [Note(f"note {n}", date(2026, 1, 5)) for n in range(3)]
    for n, note in enumerate(notes):  # messages of 1, 2 and 3 events
        for _ in range(n):
            note.amend("amended")
    with batches(app).batch() as batch:
        recordings = []
        for position, note in enumerate(notes, start=1):
            with batch.step():
                recordings += app.record(note, tracking=Tracking(UPSTREAM, position))
    ids = [r.notification.id for r in recordings]
    assert ids == sorted(ids)
    assert len(set(ids)) == 6
    stored = {(n.originator_id, n.originator_version): n.id for n in committed(app)}
    events = [r.domain_event for r in recordings]
    assert [stored[(e.originator_id, e.originator_version)] for e in events] == ids


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_a_message_costs_a_bounded_number_of_round_trips_on_postgres(
    app: NoteApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message that records an aggregate and its position, in a batch: three round trips (its
    step's savepoint, released with the next one's, the savepoint with the table's lock, the
    tracking with the events), where eventsourcing's own insert inside psycopg's savepoint for
    the step took seventeen."""
    import psycopg

    waits = 0
    real_wait = psycopg.Connection.wait

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal waits
        waits += 1  # every blocking exchange with the server goes through it
        return real_wait(self, *args, **kwargs)

    messages = 20
    batches(app).max_seconds = 60.0  # no commit in between, however slow the machine
    with batches(app).batch() as batch:
        with batch.step():  # the first: the statements are prepared
            app.record(Note("first", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 1))
        monkeypatch.setattr(psycopg.Connection, "wait", counted)
        for position in range(2, messages + 2):
            with batch.step():
                app.record(Note("note", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, position))
        monkeypatch.setattr(psycopg.Connection, "wait", real_wait)
    assert waits <= 3 * messages, f"{waits / messages:.1f} round trips per message"
    assert tracked(app) == messages + 1


def test_a_lock_timeout_in_a_postgres_batch_fails_only_its_message(postgres_ready: None) -> None:
    """The events table held elsewhere past the lock timeout: the message that waited for it
    fails at once (no retry inside the batch's transaction, which would hold the consumer for
    ten timeouts), its writes rolled back; the messages before and after it commit."""
    import psycopg

    with throwaway_postgres() as settings:
        ensure_postgres_database(settings, "notes")
        app = NoteApp({**store_env("notes", settings), "POSTGRES_LOCK_TIMEOUT": "1"})
        try:
            batches(app).max_seconds = 60.0
            kept = Note("kept", date(2026, 1, 5))
            with (
                psycopg.connect(
                    host=settings.postgres_host,
                    port=settings.postgres_port,
                    user=settings.postgres_user,
                    dbname=database_name(settings, "notes"),
                ) as elsewhere,
                batches(app).batch() as batch,
            ):
                elsewhere.execute("LOCK TABLE notes_events IN EXCLUSIVE MODE")
                with batch.step():
                    app.record(tracking=Tracking(UPSTREAM, 1))  # no events: no lock needed

                def waits_for_the_lock() -> None:
                    with batch.step():
                        app.record(Note("lost", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 2))

                started = time.monotonic()
                with pytest.raises(OperationalError):
                    waits_for_the_lock()
                assert time.monotonic() - started < 5
                elsewhere.rollback()
                with batch.step():
                    assert not app.has_processed(UPSTREAM, 2)
                    app.record(kept, tracking=Tracking(UPSTREAM, 3))
            assert tracked(app) == 3
            assert [n.originator_id for n in committed(app)] == [kept.id]
        finally:
            app.close()
