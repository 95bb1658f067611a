"""Which entry format a service's log is in, kept beside it (issue #19 §3).

A log's leaves are fixed once a checkpoint over them is signed: a witness holds that root, and a
certificate proves entries against it. So a log keeps the entry format it was begun in:

1. `CANONICAL_STATE` (releases up to schema version 2): the canonical JSON of the event with its
   state decoded (`shared.records.merkle.canonical.encode_canonical_entry`). Reading a store to
   verify it means parsing and re-encoding every event.
2. `STORED_STATE` (every log begun since): a header line and the state as stored
   (`encode_entry`); a verifier hashes what it reads.

`audit_log_format` holds the format in one row, written by schema step 3: 1 if the service had
signed a checkpoint by then, else 2 (nothing signed commits anyone to a format yet). A store
without the table was written before format 2 existed: format 1.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from shared.platform.dialect import table_exists
from shared.platform.sidetables import StoreTables
from shared.records.servicelog.table import TABLE as CHECKPOINTS

TABLE = "audit_log_format"


class EntryFormat(IntEnum):
    CANONICAL_STATE = 1
    STORED_STATE = 2


class FormatTable:
    """`audit_log_format` in the database of an eventsourcing recorder (SQLite or PostgreSQL)."""

    def __init__(self, recorder: Any) -> None:
        self._tables = StoreTables(recorder.datastore)
        self._table = self._tables.dialect.table(TABLE)
        self._checkpoints = self._tables.dialect.table(CHECKPOINTS)

    def create(self) -> EntryFormat:
        """Create the table and choose the format if it is not chosen yet (schema step 3);
        the chosen format."""
        kept = table_exists(self._tables.datastore, CHECKPOINTS)
        with self._tables.transaction(write=True) as sql:
            sql.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} "
                "(one INTEGER PRIMARY KEY CHECK (one = 1), entry_format INTEGER NOT NULL)"
            )
            signed = kept and bool(
                sql.query(f"SELECT 1 AS signed FROM {self._checkpoints} LIMIT 1")
            )
            chosen = EntryFormat.CANONICAL_STATE if signed else EntryFormat.STORED_STATE
            sql.execute(
                f"INSERT INTO {self._table} (one, entry_format) VALUES (1, ?) "
                "ON CONFLICT (one) DO NOTHING",
                (int(chosen),),
            )
            rows = sql.query(f"SELECT entry_format FROM {self._table}")
        return EntryFormat(int(rows[0]["entry_format"]))

    def read(self) -> EntryFormat:
        """The log's format (`CANONICAL_STATE` for a store from before the table)."""
        if not table_exists(self._tables.datastore, TABLE):
            return EntryFormat.CANONICAL_STATE
        rows = self._tables.query(f"SELECT entry_format FROM {self._table}")
        return EntryFormat(int(rows[0]["entry_format"])) if rows else EntryFormat.CANONICAL_STATE
