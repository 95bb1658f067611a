"""The one place that knows how SQLite and PostgreSQL spell the same SQL (issue #13 point 5).

A service's store is a SQLite file by default and a PostgreSQL schema at scale; the tables a
service keeps beside its events (read models, the signed log's checkpoints and chunks, schema
versions) are written once, with `?` placeholders, and this layer turns them into the store's
dialect: its parameter mark, its integer type and its schema-qualified table names.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore


@dataclass(frozen=True, slots=True)
class Dialect:
    postgres: bool
    schema: str | None = None
    """PostgreSQL only: the schema the service's store lives in (None: the connection's own)."""

    @property
    def mark(self) -> str:
        """The parameter placeholder."""
        return "%s" if self.postgres else "?"

    @property
    def integer(self) -> str:
        """A 64-bit integer column."""
        return "bigint" if self.postgres else "INTEGER"

    def sql(self, statement: str) -> str:
        """A statement written with `?` placeholders, in this dialect."""
        return statement.replace("?", "%s") if self.postgres else statement

    def table(self, name: str) -> str:
        """A table's name as a statement writes it: schema-qualified and quoted on PostgreSQL."""
        if not self.postgres or self.schema is None:
            return name
        from psycopg import sql

        return sql.Identifier(self.schema, name).as_string()


SQLITE = Dialect(postgres=False)
POSTGRES = Dialect(postgres=True)


def dialect_of(datastore: object) -> Dialect:
    """The dialect of an eventsourcing recorder's datastore (SQLite or PostgreSQL)."""
    if isinstance(datastore, SQLiteDatastore):
        return SQLITE
    return Dialect(postgres=True, schema=getattr(datastore, "schema", None))


def is_postgres_recorder(recorder: object) -> bool:
    """Whether `recorder` is eventsourcing's PostgreSQL process recorder, asked without importing
    `eventsourcing.postgres`: such a recorder exists only once that module is loaded, and the
    import would load psycopg and its pool into a SQLite service for nothing (~9.5 MB of its
    memory, issue #19)."""
    postgres = sys.modules.get("eventsourcing.postgres")
    return postgres is not None and isinstance(recorder, postgres.PostgresProcessRecorder)


def table_exists(datastore: Any, name: str) -> bool:
    """Whether the service's store has table `name` (a store from before it, or one dropped)."""
    dialect = dialect_of(datastore)
    if dialect.postgres:
        query = "SELECT to_regclass(%s) IS NOT NULL AS found"
        parameters: tuple[object, ...] = (dialect.table(name),)
    else:
        query = "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?"
        parameters = (name,)
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(query, parameters)
        row = cursor.fetchone()
    return bool(row and row["found"])
