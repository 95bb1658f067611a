"""Consumer batches (issue #19 point 1): the messages a consumer settles in one pass share one
transaction, so one commit (one fsync) for the pass instead of one per message.

While a batch is open on a thread, every use of the store's datastore on that thread — reads,
the events and tracking a message records, the side tables written beside them — runs on the
batch's one connection, inside its own savepoint:

- reads see what earlier messages of the batch wrote (a case opened three messages ago, the
  position tracked by the last one), exactly as they would have once it was committed;
- a message runs in a savepoint of its own (`Batch.step`): when it fails, what it wrote is rolled
  back and the messages before it stay, to be committed; the consumer then retries or
  dead-letters it as before, and nothing after it is touched;
- the transaction is committed when the pass ends; after the message under way when a
  command of the service waits for the store (`writer_waits`: its group commit is busy), with
  the writer connection given back in between so that the command goes first; and whenever it
  has been open for `max_seconds`, so that the service's other writers (its relay, its read
  models), which wait for the store's one writer connection meanwhile, never wait long (nor
  the reads queued behind a waiting writer: eventsourcing's pool hands out connections in
  the order they were asked for);
- what must follow a commit (waking the outbox relay) is run once the commit is done.

Other threads are untouched: they take the store's own connections and see only what was
committed. On SQLite the batch holds the pool's writer connection under `BEGIN IMMEDIATE`; on
PostgreSQL one pooled connection in one transaction, whose nested transactions are savepoints:
a step's and a write's are made by the batch, in one round trip each (`_postgres_savepoint`;
psycopg's took two, three for a read).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
)
from eventsourcing.sqlite import SQLiteDatastore

log = logging.getLogger("d73.storebatch")

MAX_SECONDS = 0.05
"""How long a batch's transaction stays open at most before it commits and begins again: the
service's other writers wait for it that long at worst."""

Errors = tuple[tuple[type[Exception], type[Exception]], ...]
"""A driver's errors and eventsourcing's, in the order they are tried."""

_SQLITE_ERRORS: Errors = (
    (sqlite3.IntegrityError, IntegrityError),
    (sqlite3.InterfaceError, InterfaceError),
    (sqlite3.DataError, DataError),
    (sqlite3.OperationalError, OperationalError),
    (sqlite3.InternalError, InternalError),
    (sqlite3.Error, OperationalError),
)


class CommitFailed(Exception):
    """The batch's transaction did not commit: what it held since its last commit is lost."""


class StoreNotRegained(CommitFailed):
    """The batch committed and made way, then could not take the store's connection back (the
    pool's timeout): nothing is lost, what it committed is counted, and it ends there."""


class Batch:
    """One open batch: its steps, and what waits for its commit."""

    def __init__(self, batches: StoreBatches) -> None:
        self._batches = batches
        self.committed = 0
        """Steps committed so far."""
        self._steps = 0
        self._opened = time.monotonic()
        self._after_commit: dict[Callable[[], None], None] = {}
        self.positions: dict[str, int | None] = {}
        """The last position of each upstream recorded, as the batch's transaction holds it
        (`ServiceApplication.recorded_position` keeps it): a step that fails puts back what it
        was before the step, a commit that fails forgets it all (the store is read again)."""

    @contextmanager
    def step(self) -> Iterator[None]:
        """One message: what it writes is kept only if it ends without an exception."""
        positions = self.positions.copy()
        try:
            with self._batches._savepoint():
                yield
        except BaseException:
            self.positions = positions
            raise
        self._steps += 1
        if self._batches.writer_waits():  # a command waits for the store: let it in now
            self.commit(make_way=True)
        elif time.monotonic() - self._opened >= self._batches.max_seconds:
            self.commit()

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once the transaction commits (each action once per commit)."""
        self._after_commit[action] = None

    def commit(self, *, last: bool = False, make_way: bool = False) -> None:
        """Commit what the steps wrote and, unless `last`, begin again (`CommitFailed` if it
        did not commit: what it held is rolled back); `make_way`: give the store's writer
        connection back in between, so that a command waiting for it goes first
        (`StoreNotRegained` if it cannot be taken back: what was committed stays counted)."""
        try:
            self._batches._commit(again=not last and not make_way)
        except CommitFailed:
            self.positions.clear()
            raise
        self.committed = self._steps
        self._opened = time.monotonic()
        actions, self._after_commit = list(self._after_commit), {}
        for action in actions:
            action()
        if make_way:
            self._batches._make_way(again=not last)


class StoreBatches:
    """Opens batches on one store's datastore (see the module's docstring)."""

    def __init__(
        self,
        datastore: Any,
        *,
        max_seconds: float = MAX_SECONDS,
        writer_waits: Callable[[], bool] = lambda: False,
    ) -> None:
        self.max_seconds = max_seconds
        self.writer_waits = writer_waits
        """Whether another writer of the service (its group commit) waits for the store: the
        batch then commits after the message under way and makes way for it."""
        self.sqlite = isinstance(datastore, SQLiteDatastore)
        self._local = threading.local()
        self._transaction = datastore.transaction
        self._get_connection = datastore.get_connection
        # The datastore's own methods, routed to this thread's batch when one is open.
        datastore.transaction = self._pinned_transaction
        datastore.get_connection = self._pinned_get_connection

    @property
    def current(self) -> Batch | None:
        """This thread's open batch, if any."""
        batch: Batch | None = getattr(self._local, "batch", None)
        return batch

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Open a batch on this thread; commit it when the block ends without an exception,
        else roll back what it holds since its last commit. Not re-entrant."""
        if self.current is not None:
            raise RuntimeError("a batch is already open on this thread")
        self._acquire()
        try:
            self._local.depth = 0
            self._begin()
            batch = Batch(self)
            self._local.batch = batch
            try:
                yield batch
            except BaseException:
                self._rollback()
                raise
            batch.commit(last=True)
        finally:
            self._local.batch = None
            self._rollback()  # nothing left open on a connection given back (a no-op if none)
            self._release()

    # ---------------------------------------------------------------- the transaction

    def _acquire(self) -> None:
        """Take the store's writer connection (SQLite) or a pooled one (PostgreSQL)."""
        opening = self._get_connection(commit=True) if self.sqlite else self._get_connection()
        self._local.connection = opening.__enter__()
        self._local.opening = opening

    def _release(self) -> None:
        opening, self._local.opening, self._local.connection = self._local.opening, None, None
        if opening is not None:
            opening.__exit__(None, None, None)

    def _begin(self) -> None:
        connection = self._local.connection
        if self.sqlite:
            connection.cursor().execute("BEGIN IMMEDIATE")
        else:
            self._local.unreleased = None
            self._local.transaction = connection.transaction()
            self._local.transaction.__enter__()

    def _commit(self, *, again: bool) -> None:
        connection = self._local.connection
        try:
            if self.sqlite:
                connection.commit()
            else:
                transaction, self._local.transaction = self._local.transaction, None
                transaction.__exit__(None, None, None)
        except Exception as error:
            self._rollback()
            if again:
                self._begin()
            raise CommitFailed(f"{type(error).__name__}: {error}") from error
        if again:
            self._begin()

    def _make_way(self, *, again: bool) -> None:
        """Between two transactions: let the waiting writer in (SQLite: give the writer
        connection back and queue for it again; PostgreSQL: the commit let go of the table's
        lock already), then begin the next transaction unless `again` is False."""
        if self.sqlite:
            self._release()
            try:
                self._acquire()  # after the waiting writer: the pool serves in order
            except Exception as error:
                raise StoreNotRegained(f"{type(error).__name__}: {error}") from error
        if again:
            self._begin()

    def _rollback(self) -> None:
        """Roll back the open transaction, if any (a connection gone keeps nothing anyway)."""
        connection = self._local.connection
        with contextlib.suppress(Exception):
            if self.sqlite:
                connection.rollback()
                return
            self._local.unreleased = None
            transaction, self._local.transaction = self._local.transaction, None
            if transaction is not None:
                transaction.__exit__(_RolledBack, _RolledBack(), None)

    @contextmanager
    def _savepoint(self) -> Iterator[Any]:
        """A savepoint on this thread's batch connection, rolled back on an exception; the
        database's errors raised as eventsourcing's, as the datastore's own methods do."""
        connection = self._local.connection
        self._local.depth = depth = self._local.depth + 1
        name = f"d73_batch_{depth}"
        if not self.sqlite:
            try:
                with _translated(_psycopg_errors()):
                    yield from self._postgres_savepoint(connection, name)
            finally:
                self._local.depth = depth - 1
            return
        cursor = connection.cursor().sqlite_cursor
        try:
            with _translated(_SQLITE_ERRORS):
                cursor.execute(f"SAVEPOINT {name}")
                try:
                    yield cursor
                except BaseException:
                    cursor.execute(f"ROLLBACK TO {name}")
                    cursor.execute(f"RELEASE {name}")
                    raise
                cursor.execute(f"RELEASE {name}")
        finally:
            self._local.depth = depth - 1
            cursor.close()

    def _postgres_savepoint(self, connection: Any, name: str) -> Iterator[Any]:
        """A savepoint in one round trip, not psycopg's two: one that ended well is left open
        (`unreleased`, by name, one per depth) and released in the same round trip as the next
        one of its depth is made, or by the commit, which ends it as well; on an exception,
        rolled back and released in one round trip. Left open, it holds the savepoints made
        inside it (a release or a rollback ends them with it) and nothing after it: the next
        savepoint of its depth is made only once it is released."""
        cursor = connection.cursor()
        try:
            if self._local.unreleased == name:  # the one before, at this depth
                cursor.execute(f"RELEASE SAVEPOINT {name}; SAVEPOINT {name}".encode())
            else:
                cursor.execute(f"SAVEPOINT {name}".encode())
            self._local.unreleased = None
            try:
                yield cursor
            except BaseException:
                self._local.unreleased = None
                try:
                    cursor.execute(
                        f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}".encode()
                    )
                except Exception as error:  # the connection gone: the commit fails, and says so
                    log.warning("could not roll back %s: %s", name, error)
                raise
            # Releasing it would also release any left open inside it: it stands for them.
            self._local.unreleased = name
        finally:
            cursor.close()

    # ------------------------------------------------- the datastore, as seen in a batch

    def postgres_connection(self) -> Any:
        """This thread's batch connection on PostgreSQL, in the batch's transaction (None: no
        batch open on this thread, or SQLite)."""
        if self.sqlite or self.current is None:
            return None
        return self._local.connection

    def _pinned_transaction(
        self, *, commit: bool = False
    ) -> contextlib.AbstractContextManager[Any]:
        """The datastore's `transaction`: in this thread's batch, a savepoint of it if `commit`;
        a read runs in the batch's transaction as it is, with nothing to roll back (a savepoint
        was three statements more per read: ~5 % of a consumer's CPU), and fails if it wrote
        (`_BatchRead`)."""
        if self.current is None or not (self.sqlite or commit):
            # PostgreSQL's reads nest through get_connection, as its driver's savepoints (they
            # may write: a savepoint rolled back is what keeps the batch from what they wrote).
            transaction: contextlib.AbstractContextManager[Any] = self._transaction(commit=commit)
            return transaction
        if commit:
            return self._savepoint()
        return _BatchRead(self._local.connection.cursor().sqlite_cursor)

    @contextmanager
    def _pinned_get_connection(self, **kwargs: Any) -> Iterator[Any]:
        """The datastore's `get_connection`: in this thread's batch, the batch's connection
        (PostgreSQL: its transactions nest as savepoints)."""
        if self.current is None:
            with self._get_connection(**kwargs) as connection:
                yield connection
            return
        if self.sqlite:
            raise RuntimeError("inside a batch, SQLite is reached through `transaction`")
        with _translated(_psycopg_errors()):
            yield self._local.connection


class _BatchRead:
    """A read on SQLite in this thread's batch: its cursor on the batch's connection, the
    driver's errors raised as eventsourcing's, and a RuntimeError if it wrote (the datastore
    would have rolled it back; the step's savepoint does). A class, not a generator: a message
    reads ~7 times in a pass, and contextlib's two generators cost ~4 µs a read (issue #19)."""

    __slots__ = ("_changes", "_cursor")

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self._changes = cursor.connection.total_changes

    def __enter__(self) -> sqlite3.Cursor:
        return self._cursor

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: object
    ) -> None:
        cursor = self._cursor
        cursor.close()
        if isinstance(error, Exception):
            translated = _translation(error, _SQLITE_ERRORS)
            if translated is not None:
                raise translated from error
            return  # anything else as it is
        if error is None and cursor.connection.total_changes != self._changes:
            raise RuntimeError("a read transaction wrote in a consumer batch")


class _RolledBack(Exception):
    """Ends a PostgreSQL transaction as rolled back."""


@contextmanager
def _translated(errors: Errors) -> Iterator[None]:
    """The database driver's errors raised as eventsourcing's, as the datastore's own methods
    raise them (the first match of `errors`); anything else as it is."""
    try:
        yield
    except Exception as error:
        translated = _translation(error, errors)
        if translated is None:
            raise
        raise translated from error


def _translation(error: Exception, errors: Errors) -> Exception | None:
    """eventsourcing's error for the driver's `error` (the first match of `errors`), or None."""
    for raised, ours in errors:
        if isinstance(error, raised):
            return ours(str(error))
    return None


def translated_psycopg_errors() -> contextlib.AbstractContextManager[None]:
    """psycopg's errors raised as eventsourcing's, as `PostgresDatastore.get_connection` does."""
    return _translated(_psycopg_errors())


@functools.cache
def _psycopg_errors() -> Errors:
    """As `PostgresDatastore.get_connection` translates them (psycopg imported only here)."""
    import psycopg

    return (
        (psycopg.IntegrityError, IntegrityError),
        (psycopg.OperationalError, OperationalError),
        (psycopg.InterfaceError, InterfaceError),
        (psycopg.DataError, DataError),
        (psycopg.InternalError, InternalError),
    )
