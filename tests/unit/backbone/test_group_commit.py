"""Group commit (issue #19 point 1), on SQLite and PostgreSQL: commands that arrive together
share one transaction, and each keeps its own outcome.

To make a group without timing anything, a test holds the store's write lock from another
connection: the first command waits for it, the others queue behind that command, and when the
lock is let go the queue commits as one group.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from shared.platform.eventstore import (
    events_table,
)
from shared.platform.idempotency import Idempotency
from shared.platform.settings import Persistence, Settings
from tests.support.infra import (
    wait_until,
)
from tests.unit.backbone.notes import Note, NoteApp, notes_store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[NoteApp, Settings]]:
    with notes_store(request, tmp_path, NoteApp) as opened:
        yield opened


@contextmanager
def writes_held(app: NoteApp, settings: Settings) -> Iterator[None]:
    """The store's write lock, held by another connection until the block ends."""
    table = events_table(app).name
    if settings.persistence is Persistence.POSTGRES:
        import psycopg

        with psycopg.connect(
            host=settings.postgres_host,
            port=settings.postgres_port,
            user=settings.postgres_user,
            dbname=f"{settings.postgres_db_prefix}notes",
        ) as conn:
            conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                conn.rollback()
    else:
        lite = sqlite3.connect(settings.data_dir / "notes.sqlite", isolation_level=None)
        lite.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lite.rollback()
            lite.close()


def in_one_group(
    app: NoteApp, settings: Settings, commands: list[Callable[[], Any]]
) -> list[Future[Any]]:
    """Run `commands` at once, all but the first queued behind it while the store's write lock
    is held elsewhere: the rest commit as one group."""
    pool = ThreadPoolExecutor(len(commands))
    started = app.group_commit.transactions
    with writes_held(app, settings):
        first = pool.submit(commands[0])
        wait_until(lambda: app.group_commit.transactions > started)  # it waits for the lock
        futures = [first, *(pool.submit(command) for command in commands[1:])]
        wait_until(lambda: app.group_commit.waiting == len(commands) - 1)
    for future in futures:
        future.exception(timeout=30)
    pool.shutdown()
    return futures


def stored_count(app: NoteApp) -> int:
    """Events in the store (PostgreSQL's ids can skip: a refused insert still takes one)."""
    recorder: Any = app.recorder
    return len(recorder.select_notifications(start=None, limit=10_000))


def test_concurrent_commands_commit_in_one_transaction_each_with_its_own_outcome(
    store: tuple[NoteApp, Settings],
) -> None:
    app, settings = store
    kept = Note("kept", date(2026, 1, 5))
    app.record(kept)
    stale: Note = app.repository.get(kept.id)
    fresh: Note = app.repository.get(kept.id)
    fresh.amend("amended first")
    app.record(fresh)
    stale.amend("amended from a stale copy")  # version 2 again: an optimistic conflict
    before = app.group_commit.transactions

    def new_note(text: str) -> Callable[[], Note]:
        def command() -> Note:
            note = Note(text, date(2026, 1, 6))
            app.record(note)
            return note

        return command

    def conflicting() -> None:
        app.record(stale)

    futures = in_one_group(
        app, settings, [new_note("first"), new_note("a"), conflicting, new_note("b")]
    )

    assert app.group_commit.transactions - before == 2, "the first alone, then one group"
    assert isinstance(futures[2].exception(), IntegrityError), "the conflict is its own"
    for future in (futures[0], futures[1], futures[3]):
        note = future.result()
        assert app.repository.get(note.id).text == note.text
    assert app.repository.get(kept.id).text == "amended first"
    assert stored_count(app) == 2 + 3, "three new notes, nothing of the conflicting command"


def test_an_idempotency_key_answers_once_when_its_retries_share_a_group(
    store: tuple[NoteApp, Settings],
) -> None:
    app, settings = store
    key = Idempotency("key-1", "digest-of-the-request")

    def keyed(text: str) -> Callable[[], Note]:
        def command() -> Note:
            note = Note(text, date(2026, 2, 2))
            app.record(note)
            return note

        return lambda: app.keyed("u-1", key, command)

    def unrelated() -> Note:
        note = Note("unrelated", date(2026, 2, 3))
        app.record(note)
        return note

    futures = in_one_group(app, settings, [unrelated, keyed("x"), keyed("y"), keyed("z")])

    answers = {future.result().id for future in futures[1:]}
    assert len(answers) == 1, "every copy of the request gets the first one's answer"
    assert stored_count(app) == 1 + 2, "the unrelated note, one keyed note and its receipt"


def test_tracked_messages_in_a_group_commit_each_position_once(
    store: tuple[NoteApp, Settings],
) -> None:
    app, settings = store
    app.record(Note("seen", date(2026, 3, 1)), tracking=Tracking("upstream", 7))

    def untracked() -> None:
        app.record(Note("from a request", date(2026, 3, 2)))

    def redelivered() -> None:
        app.record(Note("again", date(2026, 3, 3)), tracking=Tracking("upstream", 7))

    def next_message() -> None:
        app.record(Note("next", date(2026, 3, 4)), tracking=Tracking("upstream", 8))

    futures = in_one_group(app, settings, [untracked, redelivered, next_message])

    assert isinstance(futures[1].exception(), IntegrityError), "position 7 was already taken"
    assert futures[2].exception() is None
    assert app.has_processed("upstream", 8)
    assert stored_count(app) == 1 + 2, "the redelivered message wrote nothing"


def test_a_group_whose_commit_fails_keeps_nothing_and_each_command_is_tried_alone(
    store: tuple[NoteApp, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the group's commit fails (a disk error, say). PostgreSQL: a deferred constraint
    refuses one command's event at commit. Either way nothing of the group is kept, and each
    command then commits or fails alone: no neighbour pays for another."""
    app, settings = store
    poison = "refused at commit"
    if settings.persistence is Persistence.POSTGRES:
        refuse_at_commit(settings, events_table(app).name, poison)
    else:
        from eventsourcing.sqlite import SQLiteConnection

        commit = SQLiteConnection.commit
        calls = {"n": 0}

        def failing_second_commit(self: SQLiteConnection) -> None:
            calls["n"] += 1
            if calls["n"] == 2:  # the first command alone, then the group
                self.rollback()  # as SQLite does on an I/O error at commit
                raise sqlite3.OperationalError("disk I/O error")
            commit(self)

        monkeypatch.setattr(SQLiteConnection, "commit", failing_second_commit)

    def note(text: str) -> Callable[[], Note]:
        def command() -> Note:
            made = Note(text, date(2026, 4, 1))
            app.record(made)
            return made

        return command

    texts = ["first", "a", "b", poison if settings.persistence is Persistence.POSTGRES else "c"]
    before = app.group_commit.transactions
    futures = in_one_group(app, settings, [note(text) for text in texts])

    assert app.group_commit.transactions - before == 1 + 1 + 3, "alone, the group, 3 alone"

    committed = [f.result() for f in futures if f.exception() is None]
    if settings.persistence is Persistence.POSTGRES:
        assert futures[3].exception() is not None, "the refused command fails, alone"
        assert [n.text for n in committed] == ["first", "a", "b"]
    else:
        assert [n.text for n in committed] == texts
    for made in committed:
        assert app.repository.get(made.id).text == made.text
    assert stored_count(app) == len(committed), "each kept command once, nothing else"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_nothing_is_written_when_every_commit_fails(
    store: tuple[NoteApp, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's disk fails at every commit after the first: the group and then each of its
    commands alone fail, each with its error, and no row of theirs is left."""
    app, settings = store
    from eventsourcing.sqlite import SQLiteConnection

    app.record(Note("before", date(2026, 5, 1)))
    commit = SQLiteConnection.commit
    calls = {"n": 0}

    def failing_after_the_first(self: SQLiteConnection) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            self.rollback()  # as SQLite does on an I/O error at commit
            raise sqlite3.OperationalError("disk I/O error")
        commit(self)

    monkeypatch.setattr(SQLiteConnection, "commit", failing_after_the_first)

    def note(text: str) -> Callable[[], None]:
        def command() -> None:
            app.record(Note(text, date(2026, 5, 2)))

        return command

    futures = in_one_group(app, settings, [note("first"), note("a"), note("b")])

    assert [f.exception() is None for f in futures] == [True, False, False]
    assert calls["n"] == 1 + 1 + 2, "the first alone, the group, then each of its two alone"
    monkeypatch.setattr(SQLiteConnection, "commit", commit)
    assert stored_count(app) == 2, "the note before and the first: no row of the failed ones"
    app.record(Note("after", date(2026, 5, 3)))
    assert stored_count(app) == 3


def refuse_at_commit(settings: Settings, table: str, text: str) -> None:
    """A deferred constraint trigger on the events table that refuses, at commit, an event
    whose state holds `text`."""
    import psycopg

    with psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        dbname=f"{settings.postgres_db_prefix}notes",
        autocommit=True,
    ) as conn:
        conn.execute(
            "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF position('{text}' in convert_from(NEW.state, 'UTF8')) > 0 THEN "
            "RAISE EXCEPTION 'refused at commit'; END IF; RETURN NULL; END $$"
        )
        conn.execute(
            f"CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
        )
