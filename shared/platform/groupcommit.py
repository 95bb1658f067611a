"""Group commit (issue #19 point 1): the commands a service runs at once share one transaction,
so one fsync, while each keeps its own outcome.

Each committing thread hands its stored events (and the upstream position it tracks, if any) to
the service's `GroupCommit` and waits. The first to find no commit under way leads: it takes
what is waiting, writes each command inside a savepoint of one transaction, and commits once.

- A command whose writes fail (an optimistic-concurrency conflict, an Idempotency-Key whose
  receipt another request just took, a message already tracked) is rolled back to its savepoint
  and gets its own error; its neighbours commit.
- If the transaction as a whole fails (its commit, the connection), nothing of it is kept and
  each of its commands is written again alone, so no command's outcome depends on another's.
- Outcomes are given only once the transaction is committed: a command that lost an
  Idempotency-Key race finds the winner's receipt when it looks (`ServiceApplication.keyed`).

Alone, a command takes eventsourcing's own path (`insert_events`), as it did before grouping.
On SQLite one writer at a time holds the database; on PostgreSQL every transaction that
inserts events takes the events table's lock (eventsourcing's rule, so that notification ids
are committed in order): a group takes it once.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError, Recorder, StoredEvent, Tracking

from shared.platform.dialect import is_postgres_recorder

log = logging.getLogger("d73.eventstore")

MAX_GROUP = 128
"""Commands written in one transaction at most: a larger queue commits in several."""
SAVEPOINT = "d73_command"


@dataclass
class Pending:
    """One command's writes, waiting for a transaction, and then its outcome."""

    events: Sequence[StoredEvent]
    tracking: Tracking | None
    ids: Sequence[int] | None = None
    error: BaseException | None = None
    settled: bool = False
    """It has an outcome (`ids` or `error`)."""
    done: bool = False
    """Its outcome is final: the transaction that gave it is over."""

    def succeeded(self, ids: Sequence[int] | None) -> None:
        self.ids, self.error, self.settled = ids, None, True

    def failed(self, error: BaseException) -> None:
        self.ids, self.error, self.settled = None, error, True


Writer = Callable[[Recorder, Sequence[Pending]], None]
"""Writes a group in one transaction: sets each command's outcome, raises if it did not commit."""


class GroupCommit:
    """The one door to a service's event store for writes (see the module's docstring)."""

    def __init__(self, recorder: Recorder, *, max_group: int = MAX_GROUP) -> None:
        self.recorder = recorder
        self.max_group = max_group
        self._write_group = writer_for(recorder)
        self._state = threading.Condition()
        self._waiting: list[Pending] = []
        self._leading = False
        self.transactions = 0
        """Transactions committed or tried (a failed group and its commands retried alone
        count as one each)."""
        self.commands = 0
        """Commands given an outcome."""

    @property
    def busy(self) -> bool:
        """A group is being written, or waits for the store (a consumer batch makes way)."""
        return self._leading

    @property
    def waiting(self) -> int:
        """Commands waiting for a transaction (not the ones being written)."""
        with self._state:
            return len(self._waiting)

    def insert(self, events: Sequence[StoredEvent], tracking: Tracking | None) -> Sequence[int]:
        """Commit `events` and `tracking` together, grouped with whatever is waiting; the
        events' notification ids, or this command's own error."""
        pending = Pending(events, tracking)
        with self._state:
            self._waiting.append(pending)
        while True:
            with self._state:
                while self._leading and not pending.done:
                    self._state.wait()
                if pending.done:
                    break
                self._leading = True  # this thread leads: the oldest waiting, itself included
                group = self._waiting[: self.max_group]
                del self._waiting[: self.max_group]
            try:
                self._commit(group)
            finally:
                with self._state:
                    for each in group:
                        if not each.settled:
                            each.failed(RuntimeError("the group commit was interrupted"))
                        each.done = True
                    self.commands += len(group)
                    self._leading = False
                    self._state.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.ids or []

    def _commit(self, group: Sequence[Pending]) -> None:
        if len(group) > 1 and self._write_group is not None:
            self.transactions += 1
            try:
                self._write_group(self.recorder, group)
                return
            except Exception as error:  # nothing of the group was kept: each command alone
                log.warning(
                    "a group of %d commands did not commit (%s: %s); each is tried alone",
                    len(group),
                    type(error).__name__,
                    error,
                )
        for pending in group:
            self.transactions += 1
            try:
                ids = self.recorder.insert_events(  # type: ignore[attr-defined]
                    pending.events, tracking=pending.tracking
                )
                pending.succeeded(ids)
            except Exception as error:
                pending.failed(error)


def writer_for(recorder: Recorder) -> Writer | None:
    """How `recorder`'s store writes a group, or None where commands are written alone."""
    from eventsourcing.sqlite import SQLiteProcessRecorder

    if isinstance(recorder, SQLiteProcessRecorder):
        return write_sqlite_group
    if is_postgres_recorder(recorder):
        return write_postgres_group
    return None


def write_sqlite_group(recorder: Recorder, group: Sequence[Pending]) -> None:
    rec: Any = recorder
    outcomes: list[tuple[Pending, Sequence[int] | None, BaseException | None]] = []
    with rec.datastore.get_connection(commit=True) as connection:
        cursor = connection.cursor()
        with cursor:
            try:
                cursor.execute("BEGIN")
                for pending in group:
                    cursor.execute(f"SAVEPOINT {SAVEPOINT}")
                    try:
                        ids = rec._insert_events(cursor, pending.events, tracking=pending.tracking)
                        outcomes.append((pending, ids, None))
                    except (sqlite3.IntegrityError, IntegrityError) as error:
                        cursor.execute(f"ROLLBACK TO {SAVEPOINT}")
                        outcomes.append((pending, None, _integrity(error)))
                    cursor.execute(f"RELEASE {SAVEPOINT}")
                connection.commit()
            except BaseException:
                with contextlib.suppress(Exception):  # nothing of the group is kept
                    connection.rollback()
                raise
    _settle(outcomes)


def write_postgres_group(recorder: Recorder, group: Sequence[Pending]) -> None:
    import psycopg
    from eventsourcing.postgres import PostgresApplicationRecorder

    rec: Any = recorder
    insert_rows = super(PostgresApplicationRecorder, rec)._insert_stored_events
    outcomes: list[tuple[Pending, Sequence[int] | None, BaseException | None]] = []
    with rec.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cursor:
        if any(pending.events for pending in group):
            rec._lock_table(cursor)
            rec._notify_channel(cursor)
        for pending in group:
            try:
                with conn.transaction():  # a savepoint
                    if pending.tracking is not None:
                        rec._insert_tracking(cursor, pending.tracking)
                    ids: Sequence[int] = []
                    if pending.events:
                        insert_rows(cursor, pending.events)
                        ids = rec._fetch_ids_after_insert_events(cursor, pending.events)
                outcomes.append((pending, ids, None))
            except (psycopg.IntegrityError, IntegrityError) as error:
                outcomes.append((pending, None, _integrity(error)))
    _settle(outcomes)


def _settle(outcomes: Sequence[tuple[Pending, Sequence[int] | None, BaseException | None]]) -> None:
    """Give each command its outcome, once its transaction has committed."""
    for pending, ids, error in outcomes:
        if error is None:
            pending.succeeded(ids)
        else:
            pending.failed(error)


def _integrity(error: BaseException) -> IntegrityError:
    return error if isinstance(error, IntegrityError) else IntegrityError(str(error))
