"""The log's chunk roots, kept beside its checkpoints so that a restart takes the same time
whatever the history (issue #19 §2; performance.md: a service is ready in < 1 s at 1 M events).

`ChunkedMerkleTree` holds, of a log, only the roots of its complete chunks (2**bits leaves each)
and the nodes above them, plus the last incomplete chunk: the chunk roots — the log's frontier
at chunk granularity, which folds to the root of every size that ends on a chunk boundary — are
its whole durable state. `audit_log_chunks` keeps each complete chunk's root with the
notification ids of its first and last event (the position in the store it covers). The relay
writes the chunks completed since the last checkpoint in the same transaction as that checkpoint,
so what is kept never runs ahead of what was signed, and a restored backup brings back both.

On start the log takes the chunks the latest checkpoint covers, re-reads only the events after
them up to that checkpoint (fewer than one chunk), and checks that the root it gets is the signed
root. Only when it is not — the rows were damaged, or the store changed under them — or when an
operator asks (`d73 rebuild-log`) is the log rebuilt from the whole store, checking every
checkpoint signed before, after which the chunks are kept again. A store written before this
table existed is rebuilt once, the same way.

The rows are not evidence: an edited row only costs a full rebuild, since the chunk roots must
fold to a root the service's key signed. The events inside kept chunks are no longer read on
start; a proof that needs them reloads the chunk and checks it against its kept root (so an edit
shows up there), and `d73 verify` reads them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.platform.dialect import table_exists
from shared.platform.sidetables import StoreTables
from shared.records.merkle.tree import HASH_SIZE

TABLE = "audit_log_chunks"

_SQLITE_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (chunk_bits INTEGER NOT NULL, chunk INTEGER NOT NULL, "
    "first_notification INTEGER NOT NULL, last_notification INTEGER NOT NULL, "
    "root BLOB NOT NULL, PRIMARY KEY (chunk_bits, chunk))"
)
_POSTGRES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {table} (chunk_bits integer NOT NULL, chunk bigint NOT NULL, "
    "first_notification bigint NOT NULL, last_notification bigint NOT NULL, "
    "root bytea NOT NULL, PRIMARY KEY (chunk_bits, chunk))"
)


@dataclass(frozen=True, slots=True)
class KeptChunk:
    """One complete chunk of the log: its root and the stored events it covers."""

    chunk: int
    first_notification: int
    last_notification: int
    root: bytes


Statement = tuple[str, tuple[object, ...]]


class ChunkTable:
    """`audit_log_chunks` in the database of an eventsourcing recorder (SQLite or PostgreSQL)."""

    def __init__(self, recorder: Any) -> None:
        self._tables = StoreTables(recorder.datastore)
        self._sqlite = not self._tables.dialect.postgres
        self._table = self._tables.dialect.table(TABLE)

    def create(self) -> None:
        """Create the table when missing (the log does on open; `d73 migrate` step 2)."""
        statement = _SQLITE_SCHEMA if self._sqlite else _POSTGRES_SCHEMA.format(table=self._table)
        with self._tables.transaction(write=True) as sql:
            sql.execute(statement)

    def load(self, chunk_bits: int, chunks: int) -> list[KeptChunk]:
        """The kept chunks 0..chunks-1 of a tree of `chunk_bits` (fewer if some are missing)."""
        rows = self._tables.query(
            "SELECT chunk, first_notification, last_notification, root "
            f"FROM {self._table} WHERE chunk_bits = ? AND chunk < ? ORDER BY chunk",
            (chunk_bits, chunks),
        )
        return [
            KeptChunk(
                int(row["chunk"]),
                int(row["first_notification"]),
                int(row["last_notification"]),
                bytes(row["root"]),
            )
            for row in rows
        ]

    def upserts(self, chunk_bits: int, chunks: Sequence[KeptChunk]) -> list[Statement]:
        """The statements that keep `chunks` (`?` marks), to run in the transaction of a
        checkpoint."""
        sql = (
            f"INSERT INTO {self._table} (chunk_bits, chunk, first_notification, "
            "last_notification, root) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (chunk_bits, chunk) DO UPDATE SET "
            "first_notification = excluded.first_notification, "
            "last_notification = excluded.last_notification, root = excluded.root"
        )
        for kept in chunks:
            if len(kept.root) != HASH_SIZE:
                raise ValueError(f"a chunk root has {HASH_SIZE} bytes, not {len(kept.root)}")
        return [
            (sql, (chunk_bits, c.chunk, c.first_notification, c.last_notification, c.root))
            for c in chunks
        ]

    def keep(self, chunk_bits: int, chunks: Sequence[KeptChunk]) -> None:
        """Keep `chunks` in a transaction of their own (after a rebuild: no checkpoint)."""
        if not chunks:
            return
        with self._tables.transaction(write=True) as sql:
            for statement, parameters in self.upserts(chunk_bits, chunks):
                sql.execute(statement, parameters)

    def forget(self) -> int:
        """Drop every kept chunk: the next start rebuilds the log from the whole store."""
        if not self.exists():
            return 0
        with self._tables.transaction(write=True) as sql:
            rows = sql.query(f"SELECT COUNT(*) AS n FROM {self._table}")
            sql.execute(f"DELETE FROM {self._table}")
        return int(rows[0]["n"]) if rows else 0

    def exists(self) -> bool:
        """False for a store from before the table (or one someone dropped)."""
        return table_exists(self._tables.datastore, TABLE)
