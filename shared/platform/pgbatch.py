"""A message's events and tracking written in a PostgreSQL consumer batch in two round trips to
the server (issue #19), where eventsourcing's `insert_events`, made to be a transaction of its own,
costs nine inside a batch (a pipeline whose nested transaction syncs on entering and leaving each
of its levels), a third of a consumer's CPU on PostgreSQL.

Inside the batch's transaction (`shared.platform.storebatch`), the same rows are written by:

1. one simple query: a savepoint, the events table's lock and NOTIFY (the lock is eventsourcing's
   rule, so that notification ids commit in order; held already after the batch's first insert,
   taking it again costs the server a lookup in its own lock table);
2. one prepared statement: the tracking record and eventsourcing's INSERT of the events, whose
   RETURNING gives their notification ids in order, the events inserted only if the tracking
   record was (single-row tracking refuses a position at or below the one recorded by giving
   no row back, not an error). The events are rows of VALUES, one per event, rather than the
   array of a composite type eventsourcing sends (dumped by psycopg in Python); the statements
   are rendered to bytes once.

A position alone is one statement, without a savepoint: refused, it writes nothing and leaves
no error behind. The events table is locked before the tracking row, as the group commit does
(`shared.platform.groupcommit`).

- A tracking record refused or an event refused (an optimistic-concurrency conflict) rolls back to
  the savepoint, so only this insert's writes are undone and the transaction goes on, as it must:
  the caller may ask the store again (`TrackedConsumer._process`) or try again differently
  (`NotificationsApplication`'s presumed-new notifications).
- When it succeeds the savepoint is left open rather than released by a round trip of its own:
  the enclosing savepoint's release or rollback (the message's step) or the batch's commit ends it,
  and a later insert's savepoint of the same name is the one a later rollback goes back to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    IntegrityError,
    StoredEvent,
    Tracking,
)

from shared.platform.dialect import is_postgres_recorder

SAVEPOINT = "d73_insert"


class PostgresBatchInserter:
    """Writes one message's events and tracking on a batch's connection (see the module)."""

    def __init__(self, recorder: Any) -> None:
        from psycopg.sql import SQL, Composed, Identifier

        self.recorder = recorder
        self._table = SQL("{schema}.{table}").format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        self._id_type = Identifier(recorder.datastore.originator_id_type)
        self._statements: dict[str | tuple[int, bool], Composed] = {
            "savepoint_locked": Composed(
                [
                    SQL(f"SAVEPOINT {SAVEPOINT}"),
                    *recorder.lock_table_statements,
                    SQL("NOTIFY {0}").format(Identifier(recorder.channel_name)),
                ]
            ).join("; "),
            "undo": Composed(
                [SQL(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}; RELEASE SAVEPOINT {SAVEPOINT}")]
            ),
            "track": recorder.insert_tracking_statement,
        }
        self._rendered: dict[str | tuple[int, bool], bytes] = {}
        """The statements as bytes, rendered once (psycopg renders a `Composed` anew at each
        execution: 18 % of this inserter's CPU)."""

    def _sql(self, connection: Any, name: str | tuple[int, bool]) -> bytes:
        rendered = self._rendered.get(name)
        if rendered is None:
            statement = self._statements.get(name)
            if statement is None:
                assert isinstance(name, tuple)
                statement = self._statements[name] = self._insert(*name)
            rendered = self._rendered[name] = statement.as_bytes(connection)
        return rendered

    def _insert(self, rows: int, tracked: bool) -> Any:
        """eventsourcing's INSERT of `rows` events, as rows of VALUES, not the array of its
        composite type (dumped by psycopg in Python, a quarter of its CPU): each value is
        dumped by psycopg's C dumpers. `tracked`: with the tracking record, in one statement,
        the events inserted only if the tracking record was (else no row comes back), and a
        refused event undoing the tracking record with it (a statement is atomic)."""
        from psycopg.sql import SQL

        values = SQL(", ").join(
            SQL(
                f"(%(id_{n})s::{{id_type}}, %(version_{n})s::bigint, "
                f"%(topic_{n})s::text, %(state_{n})s::bytea)"
            ).format(id_type=self._id_type)
            for n in range(rows)
        )
        statement = SQL(
            "INSERT INTO {table} AS t (originator_id, originator_version, topic, state) "
            "SELECT * FROM (VALUES {values}) AS v"
        ).format(table=self._table, values=values)
        if tracked:
            statement = SQL("WITH tracked AS ({tracking}) {insert} {exists}").format(
                tracking=self.recorder.insert_tracking_statement,
                insert=statement,
                exists=SQL("WHERE EXISTS (SELECT FROM tracked)"),
            )
        return statement + SQL(" RETURNING notification_id")

    @staticmethod
    def fits(recorder: Any) -> bool:
        """Whether `recorder` writes as this inserter does: eventsourcing's PostgreSQL process
        recorder, with single-row tracking and without its database functions."""
        return (
            is_postgres_recorder(recorder)
            and recorder.datastore.single_row_tracking
            and not recorder.datastore.enable_db_functions
        )

    def insert(
        self, connection: Any, stored: Sequence[StoredEvent], tracking: Tracking | None
    ) -> list[int]:
        """Insert on `connection`, in its open transaction; the events' notification ids, in
        order. `IntegrityError` (this insert's writes rolled back) if the tracking or an event
        is refused. Not retried here, as eventsourcing's `insert_events` would be (ten times):
        inside the batch's transaction that would hold the consumer and its locks for up to
        ten lock timeouts, and on main its retry never ran there (the error came out of
        psycopg's nested pipeline as InternalError); the message's step fails and the consumer
        retries the message, as it did."""
        from shared.platform.storebatch import translated_psycopg_errors

        if not stored:
            if tracking is not None:
                with translated_psycopg_errors(), connection.cursor() as cursor:
                    self._track(connection, cursor, tracking)
            return []
        params: dict[str, Any] = {}
        for n, e in enumerate(stored):
            params[f"id_{n}"] = e.originator_id
            params[f"version_{n}"] = e.originator_version
            params[f"topic_{n}"] = e.topic
            params[f"state_{n}"] = e.state
        with translated_psycopg_errors(), connection.cursor() as cursor:
            try:
                cursor.execute(self._sql(connection, "savepoint_locked"))
                if tracking is not None:
                    params.update(_tracked(tracking))
                statement = self._sql(connection, (len(stored), tracking is not None))
                cursor.execute(statement, params, prepare=True)
                ids = [row["notification_id"] for row in cursor.fetchall()]
                if len(ids) != len(stored):  # none: the tracking record was refused
                    raise _refused(tracking)
                return ids
            except BaseException:
                if not connection.closed:  # an error before the savepoint: the step's rollback
                    with contextlib.suppress(Exception):
                        cursor.execute(self._sql(connection, "undo"))
                raise

    def _track(self, connection: Any, cursor: Any, tracking: Tracking) -> None:
        """The tracking record alone, without a savepoint: refused, it writes nothing and
        raises no error in the database (single-row tracking's conflict clause)."""
        cursor.execute(self._sql(connection, "track"), _tracked(tracking), prepare=True)
        if cursor.fetchone() is None:
            raise _refused(tracking)


def _tracked(tracking: Tracking) -> dict[str, Any]:
    return {
        "application_name": tracking.application_name,
        "notification_id": tracking.notification_id,
    }


def _refused(tracking: Tracking | None) -> IntegrityError:
    """eventsourcing's error for a tracking record refused."""
    assert tracking is not None
    return IntegrityError(
        f"Failed to record tracking for {tracking.application_name} {tracking.notification_id}"
    )
