"""The checkpoints a service signed, kept in its own store so it can always prove what it signed.

One append-only table, `audit_checkpoints`, in the service's database (SQLite file or PostgreSQL
database) beside the events: the tree size and the checkpoint as canonical JSON. Triggers refuse
UPDATE and DELETE (and TRUNCATE on PostgreSQL): not a defence against whoever owns the database
— witnesses are — but no script or hand can change a signed checkpoint by mistake.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from shared.platform.dialect import table_exists
from shared.platform.sidetables import StoreTables
from shared.records.merkle.canonical import canonical_json
from shared.records.merkle.checkpoint import Checkpoint
from shared.records.merkle.errors import MalformedCheckpoint

TABLE = "audit_checkpoints"

_SQLITE_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (tree_size INTEGER PRIMARY KEY, checkpoint TEXT NOT NULL)",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
)
_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {table} (tree_size bigint PRIMARY KEY, checkpoint text NOT NULL)",
    "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN RAISE EXCEPTION 'audit checkpoints are append-only'; END$$",
    "CREATE OR REPLACE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION {function}()",
    "CREATE OR REPLACE TRIGGER {name_truncate} BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
)


class CheckpointTable:
    """`audit_checkpoints` in the database of an eventsourcing recorder (SQLite or PostgreSQL)."""

    def __init__(self, recorder: Any) -> None:
        self._tables = StoreTables(recorder.datastore)
        dialect = self._tables.dialect
        self._sqlite = not dialect.postgres
        self._table = dialect.table(TABLE)
        self._function = dialect.table(f"{TABLE}_append_only")

    def create(self) -> None:
        """Create the table and its triggers when missing (the service does, on start)."""
        if self._sqlite:
            statements = list(_SQLITE_SCHEMA)
        else:
            names = {
                "table": self._table,
                "function": self._function,
                "name": f"{TABLE}_append_only",
                "name_truncate": f"{TABLE}_no_truncate",
            }
            statements = [statement.format(**names) for statement in _POSTGRES_SCHEMA]
        with self._tables.transaction(write=True) as sql:
            for statement in statements:
                sql.execute(statement)

    def exists(self) -> bool:
        """False for a store whose service never signed (or a table someone dropped)."""
        return table_exists(self._tables.datastore, TABLE)

    def insert(
        self, checkpoint: Checkpoint, also: Sequence[tuple[str, tuple[object, ...]]] = ()
    ) -> bool:
        """Keep a signed checkpoint; False if one of that size is already kept. `also`: more
        statements to run in the same transaction (the log's chunk roots up to this size)."""
        body = canonical_json(checkpoint.to_dict()).decode()
        with self._tables.transaction(write=True) as sql:
            for statement, parameters in also:
                sql.execute(statement, parameters)
            inserted = sql.query(
                f"INSERT INTO {self._table} (tree_size, checkpoint) VALUES (?, ?) "
                "ON CONFLICT (tree_size) DO NOTHING RETURNING tree_size",
                (checkpoint.tree_size, body),
            )
            return bool(inserted)

    def latest(self) -> Checkpoint | None:
        rows = self._select("ORDER BY tree_size DESC LIMIT ?", (1,))
        return rows[0] if rows else None

    def at(self, tree_size: int) -> Checkpoint | None:
        rows = self._select("WHERE tree_size = ?", (tree_size,))
        return rows[0] if rows else None

    def after(self, tree_size: int, limit: int = 1000) -> list[Checkpoint]:
        """Kept checkpoints larger than `tree_size`, smallest first."""
        return self._select("WHERE tree_size > ? ORDER BY tree_size LIMIT ?", (tree_size, limit))

    def rows(self, batch: int = 1000) -> Iterator[tuple[int, str]]:
        """Every kept row as stored (tree size, JSON text), smallest first, unparsed: what
        `d73 verify` reads, to report a damaged row rather than stop at it."""
        if not self.exists():
            return
        size = -1
        while True:
            kept = self._tables.query(
                f"SELECT tree_size, checkpoint FROM {self._table} "
                "WHERE tree_size > ? ORDER BY tree_size LIMIT ?",
                (size, batch),
            )
            rows = [(int(row["tree_size"]), str(row["checkpoint"])) for row in kept]
            yield from rows
            if len(rows) < batch:
                return
            size = rows[-1][0]

    def _select(self, clause: str, parameters: tuple[object, ...]) -> list[Checkpoint]:
        """Parsed rows; `MalformedCheckpoint` (or a JSON error) for a damaged one."""
        rows = self._tables.query(f"SELECT checkpoint FROM {self._table} {clause}", parameters)
        return [parse_row(row["checkpoint"]) for row in rows]


def parse_row(text: str) -> Checkpoint:
    """A kept checkpoint; `MalformedCheckpoint` if the row is not one."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise MalformedCheckpoint(f"the kept row is not JSON: {error}") from None
    return Checkpoint.from_dict(data)
