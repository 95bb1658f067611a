"""Where the read models are kept between runs: tables in reporting's own database.

The projections' state is written as one snapshot — every changed row and the archive position it
reflects — in one transaction, so after a restart they load it and catch up from that position
instead of re-reading the whole archive. The tables are side tables in the event store's own
datastore (`shared.platform.sidetables.StoreTables`): the same SQL runs on SQLite and PostgreSQL
(the store the service is configured with); only the parameter style differs.
"""

from __future__ import annotations

from typing import Any

from services.reporting.domain.words import indexed_title
from shared.platform.sidetables import Statements, StoreTables

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS reporting_proj_checkpoint (
        projection TEXT PRIMARY KEY, position BIGINT NOT NULL, events BIGINT NOT NULL,
        state TEXT NOT NULL, updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS reporting_proj_proposals (
        proposal_id TEXT PRIMARY KEY, proposer_id TEXT NOT NULL, unit_id TEXT NOT NULL,
        level TEXT NOT NULL, state TEXT NOT NULL, submitted_on TEXT NOT NULL,
        title TEXT NOT NULL, facts TEXT NOT NULL, title_words TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX IF NOT EXISTS reporting_proj_proposals_by_proposer "
    "ON reporting_proj_proposals (proposer_id, submitted_on, proposal_id)",
    "CREATE INDEX IF NOT EXISTS reporting_proj_proposals_by_unit "
    "ON reporting_proj_proposals (unit_id, submitted_on, proposal_id)",
    "CREATE INDEX IF NOT EXISTS reporting_proj_proposals_by_unit_state "
    "ON reporting_proj_proposals (unit_id, state, submitted_on, proposal_id)",
    "CREATE INDEX IF NOT EXISTS reporting_proj_proposals_by_state "
    "ON reporting_proj_proposals (state, submitted_on, proposal_id)",
    "CREATE INDEX IF NOT EXISTS reporting_proj_proposals_by_day "
    "ON reporting_proj_proposals (submitted_on, proposal_id)",
    """CREATE TABLE IF NOT EXISTS reporting_proj_buckets (
        kind TEXT NOT NULL, year INTEGER NOT NULL, quarter INTEGER NOT NULL,
        unit_id TEXT NOT NULL, level TEXT NOT NULL, leader INTEGER NOT NULL,
        metrics TEXT NOT NULL, PRIMARY KEY (kind, year, quarter, unit_id, level, leader))""",
    """CREATE TABLE IF NOT EXISTS reporting_proj_overdue (
        proposal_id TEXT PRIMARY KEY, rows TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS reporting_proj_days (
        day TEXT NOT NULL, stream TEXT NOT NULL, first_position BIGINT NOT NULL,
        last_position BIGINT NOT NULL, events BIGINT NOT NULL, PRIMARY KEY (day, stream))""",
    """CREATE TABLE IF NOT EXISTS reporting_proj_dead_letters (
        projection TEXT NOT NULL, position BIGINT NOT NULL, event_id TEXT NOT NULL,
        type TEXT NOT NULL, reason TEXT NOT NULL, recorded_at TEXT NOT NULL,
        PRIMARY KEY (projection, position))""",
)
TABLES = (
    "reporting_proj_checkpoint",
    "reporting_proj_proposals",
    "reporting_proj_buckets",
    "reporting_proj_overdue",
    "reporting_proj_days",
    "reporting_proj_dead_letters",
)


class ProjectionDatabase(StoreTables):
    """The projections' tables, in the datastore of the service's own event store."""

    def __init__(self, recorder: Any) -> None:
        super().__init__(recorder.datastore)
        self.postgres = self.dialect.postgres
        with self.transaction(write=True) as sql:
            for statement in SCHEMA:
                sql.execute(statement)
            self._add_title_words(sql)

    def _add_title_words(self, sql: Statements) -> None:
        """Read models saved before the title search have no `title_words`: the column is added
        and filled from the titles, once, in the transaction that creates the schema."""
        if self.postgres:
            columns = sql.query(
                "SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ?",
                ("reporting_proj_proposals",),
            )
        else:
            columns = sql.query(
                "SELECT name FROM pragma_table_info(?)", ("reporting_proj_proposals",)
            )
        if "title_words" in {row["name"] for row in columns}:
            return
        sql.execute(
            "ALTER TABLE reporting_proj_proposals ADD COLUMN title_words TEXT NOT NULL DEFAULT ''"
        )
        rows = sql.query("SELECT proposal_id, title FROM reporting_proj_proposals")
        sql.executemany(
            "UPDATE reporting_proj_proposals SET title_words = ? WHERE proposal_id = ?",
            [(indexed_title(row["title"]), row["proposal_id"]) for row in rows],
        )

    def archived_after(
        self, table: str, topic: str, after: int, limit: int, stop: int | None = None
    ) -> list[tuple[int, bytes, int]]:
        """(position, stored state, version in its proposal's archive) of archived events after
        `after`: the raw notification log, without building a UUID and a Notification per row
        (the rebuild's hot path)."""
        column = "notification_id" if self.postgres else "rowid"
        bound = "" if stop is None else f" AND {column} <= ?"
        params: tuple[Any, ...] = (after, topic) if stop is None else (after, topic, stop)
        with self.transaction(write=False) as sql:
            raw = getattr(sql.cursor, "sqlite_cursor", None)
            if raw is not None:
                raw.row_factory = None
            rows = sql.query(
                f"SELECT {column}, state, originator_version FROM {table} "
                f"WHERE {column} > ? AND topic = ?{bound} "
                f"ORDER BY {column} LIMIT {int(limit)}",
                params,
            )
        if self.postgres:
            return [(int(r[column]), bytes(r["state"]), int(r["originator_version"])) for r in rows]
        return [(int(r[0]), r[1], int(r[2])) for r in rows]

    def reset(self) -> None:
        """Forget every projection (before a rebuild from position 0)."""
        with self.transaction(write=True) as sql:
            for table in TABLES:
                sql.execute(f"DELETE FROM {table}")
