"""Consumer batches (issue #19 point 1), on SQLite and PostgreSQL: the messages a consumer settles
in one pass share one transaction; reads inside it see its writes, a failing message leaves
nothing and the ones before it are committed, other threads see only what was committed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from shared.contracts import IntegrationEvent
from shared.contracts.registration import ProposalWithdrawn
from shared.platform.consumer import TrackedConsumer
from shared.platform.envelope import encode
from shared.platform.eventstore import store_env
from shared.platform.settings import Settings
from shared.platform.storebatch import CommitFailed, StoreBatches, StoreNotRegained
from shared.platform.subjects import REGISTRATION_STREAM
from tests.support.infra import (
    wait_until,
)
from tests.unit.backbone import notes
from tests.unit.backbone.notes import Note, notes_store

UPSTREAM = REGISTRATION_STREAM.name


class NoteApp(notes.NoteApp):
    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self.forgotten = 0

    def forget_uncommitted(self) -> None:
        self.forgotten += 1


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[NoteApp, Settings]]:
    with notes_store(request, tmp_path, NoteApp) as opened:
        yield opened


@pytest.fixture
def app(store: tuple[NoteApp, Settings]) -> NoteApp:
    return store[0]


def batches(app: NoteApp) -> StoreBatches:
    assert app.batches is not None
    return app.batches


def seen_elsewhere(app: NoteApp) -> int:
    """Events another thread sees committed."""
    recorder: Any = app.recorder
    with ThreadPoolExecutor(1) as pool:
        found = pool.submit(lambda: recorder.select_notifications(start=None, limit=1000))
        return len(found.result(timeout=30))


def tracked(app: NoteApp) -> int | None:
    recorder: Any = app.recorder
    position: int | None = recorder.max_tracking_id(UPSTREAM)
    return position


def test_a_batch_commits_once_at_its_end_and_sees_its_own_writes(app: NoteApp) -> None:
    batches(app).max_seconds = 60.0  # never committed for its age, however slow the machine
    first = Note("first", date(2026, 1, 5))
    with batches(app).batch() as batch:
        with batch.step():
            app.record(first, tracking=Tracking(UPSTREAM, 1))
        with batch.step():
            loaded: Note = app.repository.get(first.id)  # written above, not yet committed
            loaded.amend("amended in the same batch")
            app.record(loaded, tracking=Tracking(UPSTREAM, 2))
            assert app.has_processed(UPSTREAM, 2)
        assert seen_elsewhere(app) == 0
    assert seen_elsewhere(app) == 2
    assert app.repository.get(first.id).text == "amended in the same batch"
    assert tracked(app) == 2


def test_a_position_alone_is_tracked_in_a_batch(app: NoteApp) -> None:
    """A message that changes nothing (a repeat the domain ignores) records its position."""
    with batches(app).batch() as batch, batch.step():
        assert app.record(tracking=Tracking(UPSTREAM, 7)) == []
    assert tracked(app) == 7
    assert seen_elsewhere(app) == 0


def test_a_failing_step_leaves_nothing_and_the_steps_before_it_commit(app: NoteApp) -> None:
    kept, dropped = Note("kept", date(2026, 1, 5)), Note("dropped", date(2026, 1, 6))
    with batches(app).batch() as batch:
        with batch.step():
            app.record(kept, tracking=Tracking(UPSTREAM, 1))

        def refused_after_writing() -> None:
            with batch.step():
                app.record(dropped, tracking=Tracking(UPSTREAM, 2))
                raise RuntimeError("refused after writing")

        with pytest.raises(RuntimeError, match="refused"):
            refused_after_writing()
    assert seen_elsewhere(app) == 1
    assert tracked(app) == 1
    assert app.repository.get(kept.id).text == "kept"
    assert dropped.id not in app.repository


def test_a_batch_open_for_long_commits_and_goes_on(app: NoteApp) -> None:
    batches(app).max_seconds = 0.0
    with batches(app).batch() as batch:
        with batch.step():
            app.record(Note("one", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 1))
        assert batch.committed == 1
        assert seen_elsewhere(app) == 1  # committed, with the batch still open
        with batch.step():
            app.record(Note("two", date(2026, 1, 6)), tracking=Tracking(UPSTREAM, 2))
    assert seen_elsewhere(app) == 2


def test_the_relay_is_woken_once_the_batch_has_committed(app: NoteApp) -> None:
    batches(app).max_seconds = 60.0  # never committed for its age, however slow the machine
    seen_when_woken: list[int] = []
    app.add_commit_listener(lambda: seen_when_woken.append(seen_elsewhere(app)))
    with batches(app).batch() as batch:
        for position in (1, 2):
            with batch.step():
                app.record(Note("n", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, position))
        assert seen_when_woken == []
    assert seen_when_woken == [2]  # once, and what it was woken for is there


def test_a_batch_makes_way_for_a_command_after_the_message_under_way(app: NoteApp) -> None:
    """A person's command waits one message at most, not the whole pass."""
    with ThreadPoolExecutor(1) as pool, batches(app).batch() as batch:
        with batch.step():
            app.record(Note("first", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 1))
            other = pool.submit(lambda: app.record(Note("command", date(2026, 1, 6))))
            wait_until(lambda: app.group_commit.busy)
        other.result(timeout=30)  # in before the pass goes on
        assert batch.committed == 1
        with batch.step():
            app.record(Note("second", date(2026, 1, 7)), tracking=Tracking(UPSTREAM, 2))
        assert seen_elsewhere(app) == 2
    assert seen_elsewhere(app) == 3


def test_another_writer_waits_for_the_batch_and_then_commits(app: NoteApp) -> None:
    with ThreadPoolExecutor(1) as pool:
        with batches(app).batch() as batch:
            with batch.step():
                app.record(Note("batch", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 1))
            other = pool.submit(lambda: app.record(Note("command", date(2026, 1, 6))))
            time.sleep(0.2)
            assert not other.done()  # it waits for the store's one writer connection
        other.result(timeout=30)
    assert seen_elsewhere(app) == 2


def test_a_read_in_a_batch_sees_its_writes_and_may_not_write(app: NoteApp) -> None:
    """SQLite: a read runs in the batch's transaction without a savepoint of its own, so a
    write inside one (which the datastore would roll back) fails its step instead."""
    if not batches(app).sqlite:
        pytest.skip("PostgreSQL's reads nest as its driver's savepoints")
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    with batches(app).batch() as batch:
        with batch.step():
            app.record(Note("one", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 1))
            with datastore.transaction(commit=False) as cursor:
                cursor.execute("SELECT COUNT(*) FROM stored_events")
                assert cursor.fetchone()[0] == 1

        def writes_in_a_read() -> None:
            with batch.step(), datastore.transaction(commit=False) as cursor:
                cursor.execute("CREATE TABLE d73_probe (x INTEGER)")
                cursor.execute("INSERT INTO d73_probe VALUES (1)")

        with pytest.raises(RuntimeError, match="read transaction wrote"):
            writes_in_a_read()
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'd73_probe'")
        assert cursor.fetchone()[0] == 0
    assert tracked(app) == 1


# ------------------------------------------------------------------ through the consumer


def message(position: int, reason: str) -> Any:
    withdrawn = ProposalWithdrawn(
        id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        position=position,
        reason=reason,
    )
    body, headers = encode(withdrawn, "registration")
    return SimpleNamespace(
        subject=ProposalWithdrawn.subject(),
        headers=headers,
        data=body,
        metadata=SimpleNamespace(
            stream=UPSTREAM, sequence=SimpleNamespace(stream=position), num_delivered=1
        ),
    )


def consumer_of(app: NoteApp, notes: dict[str, uuid.UUID]) -> TrackedConsumer:
    """Each message writes or amends the note its reason names; "refuse" fails after writing."""

    def handle(event: IntegrationEvent, tracking: Tracking) -> None:
        assert isinstance(event, ProposalWithdrawn)
        name, _, action = event.reason.partition(":")
        if name in notes:
            note: Note = app.repository.get(notes[name])
            note.amend(action)
        else:
            note = Note(action, date(2026, 1, 5))
            notes[name] = note.id
        app.record(note, tracking=tracking)
        if action == "refuse":
            raise RuntimeError("refused after writing")

    return TrackedConsumer(
        service="notes",
        app=app,
        upstream=REGISTRATION_STREAM,
        handlers={ProposalWithdrawn.TYPE: handle},
    )


def test_a_pass_records_its_messages_in_order_in_one_transaction(app: NoteApp) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    msgs = [message(1, "a:opened"), message(2, "a:amended"), message(3, "b:opened")]
    assert consumer._consume_in_order(msgs, [1, 1, 1]) == (3, None)
    assert app.repository.get(notes["a"]).text == "amended"  # read its own pass's write
    assert tracked(app) == 3
    assert consumer.stats.processed == 3


def test_a_failing_message_keeps_the_ones_before_and_touches_none_after(app: NoteApp) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    msgs = [message(1, "a:opened"), message(2, "a:refuse"), message(3, "b:opened")]
    done, failure = consumer._consume_in_order(msgs, [1, 1, 1])
    assert done == 1
    assert isinstance(failure, RuntimeError)
    assert tracked(app) == 1
    assert app.repository.get(notes["a"]).text == "opened"  # the refused amendment is gone
    assert "b" not in notes
    assert app.forgotten == 1
    # The retry of the failing message, alone, then the rest: as before batches.
    assert consumer._consume_in_order([message(2, "a:amended"), msgs[2]], [2, 1]) == (2, None)
    assert tracked(app) == 3


def test_a_pass_of_one_message_is_its_transaction_without_a_savepoint_of_its_own(
    app: NoteApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A steady feed's fetch brings one message: the pass's transaction stands for the
    message's savepoint (its write keeps its own); failing, it leaves nothing, as before."""
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    store = batches(app)
    real_savepoint = store._savepoint
    savepoints = 0

    def counted() -> Any:
        nonlocal savepoints
        savepoints += 1
        return real_savepoint()

    monkeypatch.setattr(store, "_savepoint", counted)
    assert consumer._consume_in_order([message(1, "a:opened")], [1]) == (1, None)
    assert (tracked(app), seen_elsewhere(app), consumer.stats.processed) == (1, 1, 1)
    assert savepoints == (1 if store.sqlite else 0)  # the note's write, none for the message
    done, failure = consumer._consume_in_order([message(2, "a:refuse")], [1])
    assert done == 0
    assert isinstance(failure, RuntimeError)
    assert app.forgotten == 1
    assert (tracked(app), seen_elsewhere(app)) == (1, 1)  # the refused amendment is gone
    assert app.repository.get(notes["a"]).text == "opened"
    assert consumer._consume_in_order([message(2, "a:amended")], [2]) == (1, None)
    assert tracked(app) == 2
    assert app.repository.get(notes["a"]).text == "amended"
    assert consumer._consume_in_order([message(2, "a:amended")], [3]) == (1, None)
    assert consumer.stats.duplicates == 1


def test_a_pass_whose_commit_fails_counts_none_of_it(
    app: NoteApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    store = batches(app)
    real_commit = store._commit

    def disk_full(**_: bool) -> None:
        store._rollback()
        raise CommitFailed("OperationalError: database or disk is full")

    monkeypatch.setattr(store, "_commit", disk_full)
    done, failure = consumer._consume_in_order([message(1, "a:opened")], [1])
    assert (done, type(failure)) == (0, CommitFailed)
    assert app.forgotten == 1
    assert seen_elsewhere(app) == 0
    assert tracked(app) is None
    monkeypatch.setattr(store, "_commit", real_commit)
    notes.clear()  # the handler's own memory of what it wrote, as `forget_uncommitted` would
    assert consumer._consume_in_order([message(1, "a:opened")], [2]) == (1, None)
    assert tracked(app) == 1


def test_a_pass_that_cannot_take_the_store_back_after_making_way_counts_what_it_committed(
    app: NoteApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's timeout while the batch queues for the writer connection again: the message
    committed before it made way is counted (acked, not redelivered as a duplicate); the pass
    ends there, and the next message is retried. PostgreSQL keeps its connection: its commit
    alone lets the waiting command in."""
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    store = batches(app)
    real_acquire = store._acquire
    takes = 0

    def pool_timeout() -> None:
        nonlocal takes
        takes += 1
        if takes > 1:
            raise TimeoutError("timed out waiting for a connection from the pool")
        real_acquire()

    monkeypatch.setattr(store, "_acquire", pool_timeout)
    monkeypatch.setattr(store, "writer_waits", lambda: True)
    msgs = [message(1, "a:opened"), message(2, "b:opened")]
    done, failure = consumer._consume_in_order(msgs, [1, 1])
    if not store.sqlite:
        assert (done, failure, takes, tracked(app)) == (2, None, 1, 2)
        return
    assert done == 1
    assert isinstance(failure, StoreNotRegained)
    assert tracked(app) == 1
    assert seen_elsewhere(app) == 1
    assert "b" not in notes
    monkeypatch.setattr(store, "_acquire", real_acquire)
    monkeypatch.setattr(store, "writer_waits", lambda: False)
    assert consumer._consume_in_order(msgs[1:], [2]) == (1, None)
    assert tracked(app) == 2


# ------------------------------------------- the positions a batch knows (`has_processed`)


def test_a_redelivered_message_within_one_pass_is_a_duplicate(app: NoteApp) -> None:
    notes: dict[str, uuid.UUID] = {}
    consumer = consumer_of(app, notes)
    msgs = [
        message(1, "a:opened"),
        message(2, "a:amended"),
        message(2, "a:again"),
        message(3, "b:opened"),
    ]
    assert consumer._consume_in_order(msgs, [1, 1, 2, 1]) == (4, None)
    assert (consumer.stats.processed, consumer.stats.duplicates) == (3, 1)
    assert app.repository.get(notes["a"]).text == "amended"
    assert seen_elsewhere(app) == 3


def test_a_position_whose_step_was_rolled_back_is_not_processed(app: NoteApp) -> None:
    """What the batch knows of its positions goes back with a failed step: the message's
    redelivery in the same batch is recorded, not taken for a duplicate."""
    with batches(app).batch() as batch:
        with batch.step():
            assert not app.has_processed(UPSTREAM, 1)
            app.record(Note("one", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 1))

        def refused_after_writing() -> None:
            with batch.step():
                app.record(Note("two", date(2026, 1, 6)), tracking=Tracking(UPSTREAM, 2))
                assert app.has_processed(UPSTREAM, 2)
                raise RuntimeError("refused after writing")

        with pytest.raises(RuntimeError, match="refused"):
            refused_after_writing()
        with batch.step():
            assert app.has_processed(UPSTREAM, 1)
            assert not app.has_processed(UPSTREAM, 2)
            app.record(Note("two again", date(2026, 1, 6)), tracking=Tracking(UPSTREAM, 2))
            assert app.has_processed(UPSTREAM, 2)
    assert tracked(app) == 2
    assert seen_elsewhere(app) == 2


def test_positions_lost_with_a_failed_commit_are_read_again(
    app: NoteApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = batches(app)
    store.max_seconds = 0.0  # commit after each step
    real_commit = store._commit

    def disk_full(*, again: bool, make_way: bool = False) -> None:
        store._rollback()
        store._begin()
        raise CommitFailed("OperationalError: database or disk is full")

    with store.batch() as batch:
        with batch.step():
            app.record(Note("one", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 1))
        monkeypatch.setattr(store, "_commit", disk_full)

        def not_committed() -> None:
            with batch.step():
                app.record(Note("two", date(2026, 1, 6)), tracking=Tracking(UPSTREAM, 2))
                assert app.has_processed(UPSTREAM, 2)

        with pytest.raises(CommitFailed):
            not_committed()
        monkeypatch.setattr(store, "_commit", real_commit)
        assert app.has_processed(UPSTREAM, 1)
        assert not app.has_processed(UPSTREAM, 2), "position 2 was never committed"
        with batch.step():
            app.record(Note("two again", date(2026, 1, 6)), tracking=Tracking(UPSTREAM, 2))
    assert tracked(app) == 2
    assert seen_elsewhere(app) == 2


def test_a_position_recorded_behind_the_batch_is_found_when_its_tracking_is_refused(
    app: NoteApp,
) -> None:
    """A tracking refused as already recorded makes the batch read the store again, so the
    consumer counts the message a duplicate instead of failing it."""
    recorder: Any = app.recorder
    with batches(app).batch() as batch, batch.step():
        assert not app.has_processed(UPSTREAM, 3)
        recorder.insert_events([], tracking=Tracking(UPSTREAM, 5))  # not through the app
        assert not app.has_processed(UPSTREAM, 3), "the batch does not read it again"
        with pytest.raises(IntegrityError):
            app.record(Note("three", date(2026, 1, 5)), tracking=Tracking(UPSTREAM, 3))
        assert app.has_processed(UPSTREAM, 3)
    assert tracked(app) == 5


def test_a_restarted_consumer_finds_what_it_recorded_before(
    store: tuple[NoteApp, Settings],
) -> None:
    app, settings = store
    notes: dict[str, uuid.UUID] = {}
    assert consumer_of(app, notes)._consume_in_order(
        [message(1, "a:opened"), message(2, "a:amended")], [1, 1]
    ) == (2, None)
    app.close()
    restarted = NoteApp(store_env("notes", settings))
    try:
        consumer = consumer_of(restarted, notes)
        redelivered = [message(2, "a:again"), message(3, "a:last")]
        assert consumer._consume_in_order(redelivered, [2, 1]) == (2, None)
        assert (consumer.stats.processed, consumer.stats.duplicates) == (1, 1)
        assert restarted.repository.get(notes["a"]).text == "last"
        assert seen_elsewhere(restarted) == 3
    finally:
        restarted.close()
