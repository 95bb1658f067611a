"""The tables a service keeps beside its events, behind one adapter (issue #13 point 5).

Read models, reporting's projections and registration's attachment blobs are written once, with
`?` placeholders, and run on SQLite or PostgreSQL through `shared.platform.dialect`. Where they
live differs on purpose, so `SideTables` has one shape over two kinds of database:

- `StoreTables`: the event store's own datastore (reporting's projections), so a projection's
  rows and the archive position they reflect share the store's transactions and timeouts;
- `SqliteFileTables` / `PostgresTables`: a database of the service's own beside the store
  (registration's read models and blobs). On SQLite that is `<data dir>/<service>-views.sqlite`,
  a file of its own so read-model writes never wait on (or hold up) the event store's single
  writer; on PostgreSQL it is the service's database, through a small pool of its own.

Every caller sees the same `Statements` in a transaction: `execute`, `executemany`, `query`.
Rows are whatever the database's cursor gives: mappings from the event store's datastore,
tuples from a database of the service's own.
"""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from shared.platform.dialect import POSTGRES, SQLITE, Dialect, dialect_of
from shared.platform.eventstore import database_name
from shared.platform.settings import Persistence, Settings


class Cursor(Protocol):
    def execute(self, statement: Any, params: Any = ...) -> Any: ...
    def executemany(self, statement: Any, params: Any) -> Any: ...
    def fetchall(self) -> Any: ...


class Statements:
    """One transaction's statements, written with `?` marks and run in the database's dialect."""

    def __init__(self, cursor: Cursor, dialect: Dialect) -> None:
        self.cursor = cursor
        self.dialect = dialect
        self.postgres = dialect.postgres
        self._sql = dialect.sql

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self._sql(statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """`statement` once per row. One row on PostgreSQL is one `execute`: psycopg runs
        `executemany` in a pipeline, whose entering and leaving cost a round trip of their own
        (a notifier's message inserts one notification into its index more often than not)."""
        if self.postgres and len(rows) == 1:
            self.cursor.execute(self._sql(statement), tuple(rows[0]))
        elif rows:
            self.cursor.executemany(self._sql(statement), [tuple(r) for r in rows])

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of a statement (a SELECT, or a write with RETURNING)."""
        self.cursor.execute(self._sql(statement), tuple(params))
        return list(self.cursor.fetchall())


class SideTables(ABC):
    """A service's side tables: one transaction at a time per caller, in one dialect."""

    dialect: Dialect

    @abstractmethod
    def transaction(self, *, write: bool) -> AbstractContextManager[Statements]:
        """Statements committed together (`write`), or reads that commit nothing."""

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one read, in a transaction of its own."""
        with self.transaction(write=False) as sql:
            return sql.query(statement, params)

    @abstractmethod
    def close(self) -> None:
        """Let go of the database's connections."""


class StoreTables(SideTables):
    """Side tables in the event store's own datastore: its transactions, locks and timeouts."""

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore
        self.dialect = dialect_of(datastore)

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Statements]:
        with self.datastore.transaction(commit=write) as cursor:
            yield Statements(cursor, self.dialect)

    def close(self) -> None:
        """Nothing to let go: the event store's application closes its datastore."""


class SqliteFileTables(SideTables):
    """Side tables in a SQLite file of their own (WAL), written under `BEGIN IMMEDIATE`."""

    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=10
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Statements]:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                if not write:  # autocommit reads: no transaction to hold
                    yield Statements(cursor, self.dialect)
                    return
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    yield Statements(cursor, self.dialect)
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class PostgresTables(SideTables):
    """Side tables in the service's PostgreSQL database, through a pool of their own."""

    dialect = POSTGRES

    def __init__(self, settings: Settings, service: str) -> None:
        from psycopg_pool import ConnectionPool

        self._pool = ConnectionPool(
            conninfo="",
            kwargs={
                "host": settings.postgres_host,
                "port": settings.postgres_port,
                "user": settings.postgres_user,
                "password": settings.postgres_password,
                "dbname": database_name(settings, service),
                "connect_timeout": 5,
            },
            min_size=1,
            max_size=max(1, settings.postgres_pool_size),
            open=True,
            name=f"{service}-tables",
        )

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Statements]:
        with self._pool.connection() as connection:
            if not write:
                with connection.cursor() as cursor:
                    yield Statements(cursor, self.dialect)
                return
            with connection.transaction(), connection.cursor() as cursor:
                yield Statements(cursor, self.dialect)

    def close(self) -> None:
        self._pool.close()


def own_tables(settings: Settings, service: str) -> SideTables:
    """A database of the service's own beside its event store: `<service>-views.sqlite` in the
    data directory, or the service's PostgreSQL database."""
    if settings.persistence is Persistence.POSTGRES:
        return PostgresTables(settings, service)
    return SqliteFileTables(settings.data_dir / f"{service}-views.sqlite")
