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
   no row back, not an error).

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
    InterfaceError,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.utils import retry

SAVEPOINT = "d73_insert"


class PostgresBatchInserter:
    """Writes one message's events and tracking on a batch's connection (see the module)."""

    def __init__(self, recorder: Any) -> None:
        from psycopg.sql import SQL, Composed, Identifier

        self.recorder = recorder
        self._savepoint = f"SAVEPOINT {SAVEPOINT}".encode()
        locked: list[Any] = [
            SQL(f"SAVEPOINT {SAVEPOINT}"),
            *recorder.lock_table_statements,
            SQL("NOTIFY {0}").format(Identifier(recorder.channel_name)),
        ]
        self._savepoint_locked = Composed(locked).join("; ")
        """Composed: rendered by psycopg once per connection's encoding, at its first use."""
        schema = Identifier(recorder.datastore.schema)
        self._tracked_insert = SQL(
            "WITH tracked AS ({tracking}) "
            "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
            "SELECT originator_id, originator_version, topic, state "
            "FROM unnest(%(events)s::{schema}.{stored_event_type}[]) "
            "WHERE EXISTS (SELECT FROM tracked) "
            "RETURNING notification_id"
        ).format(
            tracking=recorder.insert_tracking_statement,
            schema=schema,
            table=Identifier(recorder.events_table_name),
            stored_event_type=Identifier(recorder.stored_event_type_name),
        )
        """The tracking record and eventsourcing's insert of the events, in one statement: the
        events are inserted only if the tracking record was (else no row comes back), and a
        refused event undoes the tracking record with it (a statement is atomic)."""
        self._undo = f"ROLLBACK TO SAVEPOINT {SAVEPOINT}; RELEASE SAVEPOINT {SAVEPOINT}".encode()

    @staticmethod
    def fits(recorder: Any) -> bool:
        """Whether `recorder` writes as this inserter does: eventsourcing's PostgreSQL process
        recorder, with single-row tracking and without its database functions."""
        try:
            from eventsourcing.postgres import PostgresProcessRecorder
        except ImportError:  # pragma: no cover - psycopg is a dependency of the project
            return False
        return (
            isinstance(recorder, PostgresProcessRecorder)
            and recorder.datastore.single_row_tracking
            and not recorder.datastore.enable_db_functions
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert(
        self, connection: Any, stored: Sequence[StoredEvent], tracking: Tracking | None
    ) -> list[int]:
        """Insert on `connection`, in its open transaction; the events' notification ids, in
        order. `IntegrityError` (this insert's writes rolled back) if the tracking or an event
        is refused; retried as eventsourcing's `insert_events` is."""
        from shared.platform.storebatch import translated_psycopg_errors

        rec = self.recorder
        rows = [
            rec.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored
        ]
        with translated_psycopg_errors(), connection.cursor() as cursor:
            if not rows:
                if tracking is not None:
                    self._track(cursor, tracking)
                return []
            try:
                cursor.execute(self._savepoint_locked)
                if tracking is None:
                    cursor.execute(rec.insert_events_statement, (rows,), prepare=True)
                else:
                    cursor.execute(
                        self._tracked_insert, {**_tracked(tracking), "events": rows}, prepare=True
                    )
                ids = [row["notification_id"] for row in cursor.fetchall()]
                if len(ids) != len(rows):  # none: the tracking record was refused
                    raise _refused(tracking)
                return ids
            except BaseException:
                if not connection.closed:  # an error before the savepoint: the step's rollback
                    with contextlib.suppress(Exception):
                        cursor.execute(self._undo)
                raise

    def _track(self, cursor: Any, tracking: Tracking) -> None:
        """The tracking record alone, without a savepoint: refused, it writes nothing and
        raises no error in the database (single-row tracking's conflict clause)."""
        cursor.execute(self.recorder.insert_tracking_statement, _tracked(tracking), prepare=True)
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
