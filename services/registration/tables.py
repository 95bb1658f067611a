"""Registration's own tables beside its event store: persisted read models and, at scale,
attachment blobs.

On SQLite they live in `<data dir>/registration-views.sqlite`, a file of their own so that
read-model writes never wait on (or hold up) the event store's single writer; on PostgreSQL they
are tables in registration's own database. Both speak the same small SQL: `?` placeholders,
`INSERT … ON CONFLICT`, which the platform's one dialect layer (`shared.platform.dialect`)
turns into PostgreSQL's. Everything here can be dropped and rebuilt from the event store except
the blobs, which are kept by content hash and never change.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from shared.platform.dialect import POSTGRES, SQLITE, Dialect
from shared.platform.eventstore import database_name
from shared.platform.settings import Persistence, Settings

Row = tuple[Any, ...]


class Transaction(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...


class Tables(Protocol):
    """A small SQL database: one transaction at a time per caller."""

    dialect: Dialect

    def transaction(self) -> AbstractContextManager[Transaction]: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def close(self) -> None: ...


class _SqliteTransaction:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, tuple(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self.connection.execute(sql, tuple(params)).fetchall())


class SqliteTables:
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
    def transaction(self) -> Iterator[Transaction]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTransaction(self._connection)
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return list(self._connection.execute(sql, tuple(params)).fetchall())

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class _PostgresTransaction:
    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(POSTGRES.sql(sql), tuple(params))

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(self.connection.execute(POSTGRES.sql(sql), tuple(params)).fetchall())


class PostgresTables:
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
    def transaction(self) -> Iterator[Transaction]:
        with self._pool.connection() as connection, connection.transaction():
            yield _PostgresTransaction(connection)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._pool.connection() as connection:
            return list(connection.execute(self.dialect.sql(sql), tuple(params)).fetchall())

    def close(self) -> None:
        self._pool.close()


def open_tables(settings: Settings, service: str) -> Tables:
    if settings.persistence is Persistence.POSTGRES:
        return PostgresTables(settings, service)
    return SqliteTables(settings.data_dir / f"{service}-views.sqlite")
