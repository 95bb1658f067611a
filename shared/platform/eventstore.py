"""The event store of a service: eventsourcing on SQLite (default) or PostgreSQL, by configuration.

Every service records through a process recorder, so the events a message causes and the
tracking record of that message commit in one transaction (design.md §3).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, BaseAggregate, DomainEventProtocol
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Notification,
    ProcessRecorder,
    Recording,
    StoredEvent,
    Tracking,
    Transcoder,
    Transcoding,
)

from shared.platform.dialect import dialect_of
from shared.platform.groupcommit import GroupCommit
from shared.platform.idempotency import (
    Idempotency,
    KeyedCommand,
    Receipt,
    current_keyed_command,
    keyed_scope,
)
from shared.platform.pgbatch import PostgresBatchInserter
from shared.platform.settings import Persistence, Settings
from shared.platform.sqlitecache import install as keep_compiled_statements
from shared.platform.storebatch import Batch, StoreBatches
from shared.platform.tracing import REMEMBERED, CommitTraces, tracer
from shared.platform.transcoder import OrjsonTranscoder

keep_compiled_statements()  # every store of a service: see shared/platform/sqlitecache.py

A = TypeVar("A")

log = logging.getLogger("d73.eventstore")


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


LOCK_TIMEOUT_SECONDS = 10
"""Longest a statement waits for a lock (SQLite's busy timeout, PostgreSQL's lock_timeout)."""
READINESS_TIMEOUT_MS = 2000
"""Longest /readyz waits for the store to take a write."""


def database_name(settings: Settings, service: str) -> str:
    return f"{settings.postgres_db_prefix}{service}"


def store_env(service: str, settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for one service's own store."""
    if settings.persistence is Persistence.SQLITE:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / f"{service}.sqlite"),
            "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECONDS),  # the busy timeout
        }
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": database_name(settings, service),
        "POSTGRES_HOST": settings.postgres_host,
        "POSTGRES_PORT": str(settings.postgres_port),
        "POSTGRES_USER": settings.postgres_user,
        "POSTGRES_PASSWORD": settings.postgres_password,
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": "4",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECONDS),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "60",
        "POSTGRES_PRE_PING": "y",
    }


def ensure_postgres_database(settings: Settings, service: str) -> None:
    """Create the service's database when missing (one database per service)."""
    import psycopg
    from psycopg import sql

    name = database_name(settings, service)
    with psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # Every session of the service's database carries timeouts (issue #11 §2): a statement
        # that runs or waits too long fails, instead of holding the events table for minutes.
        timeouts = {
            "statement_timeout": f"{int(settings.postgres_statement_timeout_seconds * 1000)}ms",
            "lock_timeout": f"{LOCK_TIMEOUT_SECONDS}s",
            "idle_in_transaction_session_timeout": "60s",
        }
        for parameter, value in timeouts.items():
            try:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        sql.Identifier(name), sql.Identifier(parameter), sql.Literal(value)
                    )
                )
            except psycopg.Error as error:  # not the database's owner: the operator sets them
                log.warning("could not set %s on %s: %s", parameter, name, error)


CommitObserver = Callable[[Sequence[int], Sequence[DomainEventProtocol[UUID]]], None]
"""Told the positions and events of a commit (`ServiceApplication.observe_commits`)."""


class RecentEvents:
    """The domain events this process committed lately, by position, until a relay takes them:
    the relay then translates the event itself instead of decoding its stored copy (~50 us of a
    submission's CPU, issue #19). Only for a service whose events share nothing mutable with
    its aggregates' state (so nothing changes one after its commit), and only positions a commit
    returned (a consumer batch's may still roll back and be given again). The oldest are
    forgotten past `size`; whatever is not kept is decoded as before."""

    def __init__(self, size: int) -> None:
        self._events: dict[int, DomainEventProtocol[UUID]] = {}
        self._lock = threading.Lock()
        self._size = size

    def __len__(self) -> int:
        return len(self._events)

    def remember(
        self, positions: Sequence[int], events: Sequence[DomainEventProtocol[UUID]]
    ) -> None:
        if not self._size:
            return
        with self._lock:
            kept = self._events
            kept.update(zip(positions, events, strict=True))
            while len(kept) > self._size:
                del kept[next(iter(kept))]

    def take(self, notification: Notification) -> DomainEventProtocol[UUID] | None:
        """The event committed at the notification's position (now forgotten), if kept."""
        with self._lock:
            event = self._events.pop(notification.id, None)
        if (
            event is None
            or event.originator_id != notification.originator_id
            or event.originator_version != notification.originator_version
        ):
            return None
        return event


class ServiceApplication(Application[UUID]):
    """An eventsourcing application that records with tracking and wakes its outbox relay."""

    remembered_traces: ClassVar[int] = REMEMBERED
    """Positions whose commit's trace is kept for the relay; 0 for a store no relay reads."""
    remembered_events: ClassVar[int] = 0
    """Committed events kept for the relay to translate (`RecentEvents`); 0: it decodes each."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._commit_listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()
        self.commit_traces = CommitTraces(self.remembered_traces)
        """The trace each recent position was committed in, continued by the relay."""
        self.recent_events = RecentEvents(self.remembered_events)
        self._commit_observers: list[CommitObserver] = []
        self.consumer_lock = threading.RLock()
        """Consumers of several upstreams write one at a time, so that two events about the same
        aggregate never race into an optimistic-concurrency conflict. Re-entrant: a handler that
        takes it (a notification command) may run under a consumer that holds it already."""

    def construct_recorder(self) -> ProcessRecorder:
        recorder = self.factory.process_recorder()
        self.group_commit = GroupCommit(recorder)
        """Every commit of this service goes through it (`shared.platform.groupcommit`), but
        a consumer batch's (`shared.platform.storebatch`)."""
        datastore = getattr(recorder, "datastore", None)
        self.batches: StoreBatches | None = (
            StoreBatches(datastore, writer_waits=lambda: self.group_commit.busy)
            if datastore is not None
            else None
        )
        """A consumer's messages of one pass in one transaction (None: a store in memory)."""
        self._batch_inserter = (
            PostgresBatchInserter(recorder) if PostgresBatchInserter.fits(recorder) else None
        )
        """How a PostgreSQL batch writes a message's events and tracking (`shared.platform.
        pgbatch`); None: through the recorder's `insert_events`."""
        return recorder

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """eventsourcing's `_record`, through the service's group commit: the events and the
        tracking of concurrent commands share one transaction, each with its own outcome."""
        events = processing_event.events
        if not events and processing_event.tracking is None:
            return []
        stored = [self.mapper.to_stored_event(event) for event in events]
        batch = self.batch_in_progress
        if batch is not None:
            ids = self._record_in_batch(batch, stored, processing_event.tracking)
        else:
            ids = self.group_commit.insert(stored, processing_event.tracking)
            self.recent_events.remember(ids, events)
            for observer in self._commit_observers:
                observer(ids, events)
        recordings = [
            Recording(
                event,
                Notification(
                    id=notification_id,
                    originator_id=record.originator_id,
                    originator_version=record.originator_version,
                    topic=record.topic,
                    state=record.state,
                ),
            )
            for event, record, notification_id in zip(events, stored, ids, strict=True)
        ]
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in processing_event.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return recordings

    def _record_in_batch(
        self, batch: Batch, stored: list[StoredEvent], tracking: Tracking | None
    ) -> Sequence[int]:
        """Insert in the batch's transaction, in a savepoint of its own; the position the
        batch knows follows the tracking recorded (or is read again if it was refused)."""
        recorder: Any = self.recorder
        try:
            connection = self.batches.postgres_connection() if self.batches is not None else None
            if self._batch_inserter is not None and connection is not None:
                ids: Sequence[int] = self._batch_inserter.insert(connection, stored, tracking)
            else:  # PostgreSQL's recorder gives None, not [], for a position alone.
                ids = recorder.insert_events(stored, tracking=tracking) or []
        except IntegrityError:
            if tracking is not None:
                batch.positions.pop(tracking.application_name, None)
            raise
        if tracking is not None and tracking.application_name in batch.positions:
            known = batch.positions[tracking.application_name]
            if known is None or known < tracking.notification_id:
                batch.positions[tracking.application_name] = tracking.notification_id
        return ids

    def construct_transcoder(self) -> Transcoder:
        """eventsourcing's JSON transcoder, its bytes written by orjson (the same bytes)."""
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def record(
        self, *aggregates: BaseAggregate[UUID] | None, tracking: Tracking | None = None
    ) -> list[Recording[UUID]]:
        """Commit the aggregates' pending events, and the upstream position if given, at once;
        under an Idempotency-Key, the command's receipt with its first commit."""
        processing: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
        keyed = current_keyed_command()
        first = next((a for a in aggregates if a is not None), None)
        if keyed is not None and not keyed.issued and isinstance(first, Aggregate):
            aggregates = (*aggregates, keyed.receipt(first))
        collect_events(processing, aggregates)
        with tracer().start_as_current_span("store commit") as span:
            recordings = self._record(processing)
            positions = [r.notification.id for r in recordings]
            span.set_attribute("d73.events", len(positions))
            if positions:
                span.set_attribute("d73.positions", positions)
            self.commit_traces.remember(positions)
        self._take_snapshots(processing)
        self._notify(recordings)
        return recordings

    def keyed(self, user_id: str, idempotency: Idempotency | None, command: Callable[[], A]) -> A:
        """Run `command` (which loads, changes and records one aggregate, and returns it) under
        an Idempotency-Key: a key already answered returns the aggregate as the first request
        left it and records nothing (`shared.platform.idempotency`)."""
        if idempotency is None:
            return command()
        keyed = KeyedCommand(self.name, user_id, idempotency)
        replayed: A | None = self._answered(keyed)
        if replayed is not None:
            return replayed
        try:
            with keyed_scope(keyed):
                return command()
        except Exception:
            # Refused or in conflict because the first copy already succeeded: its answer.
            replayed = self._answered(keyed)
            if replayed is None:
                raise
            return replayed

    def _answered(self, keyed: KeyedCommand) -> Any:
        try:
            receipt: Receipt = self.repository.get(keyed.receipt_id)
        except AggregateNotFoundError:
            return None
        receipt.answers(keyed.idempotency.digest)
        return self.repository.get(receipt.aggregate_id, version=receipt.aggregate_version)

    def has_processed(self, upstream: str, position: int) -> bool:
        """Whether `position` of `upstream` is recorded: tracking is a high-water mark."""
        recorded = self.recorded_position(upstream)
        return recorded is not None and recorded >= position

    def recorded_position(self, upstream: str) -> int | None:
        """The last position of `upstream` recorded (None: none yet). In a consumer batch, as
        its transaction holds it, read from the store once and then kept by the batch as its
        steps record: a read per message was ~4 % of a consumer's CPU."""
        recorder: Any = self.recorder
        batch = self.batch_in_progress
        if batch is None:
            position: int | None = recorder.max_tracking_id(upstream)
            return position
        if upstream not in batch.positions:
            batch.positions[upstream] = recorder.max_tracking_id(upstream)
        return batch.positions[upstream]

    def stored_event(self, notification: Notification) -> DomainEventProtocol[UUID]:
        """The domain event stored at `notification`: as this process committed it, if it kept
        it (`remembered_events`), else decoded."""
        event = self.recent_events.take(notification)
        return self.mapper.to_domain_event(notification) if event is None else event

    def observe_commits(self, observer: CommitObserver) -> None:
        """Give `observer` the positions and domain events of each command's commit, once
        committed (not a consumer batch's, whose positions may still roll back): what this
        process committed, for a reader that would otherwise decode it again."""
        self._commit_observers.append(observer)

    def add_commit_listener(self, listener: Callable[[], None]) -> None:
        with self._listeners_lock:
            self._commit_listeners.append(listener)

    @property
    def batch_in_progress(self) -> Batch | None:
        """The consumer batch open on this thread, if any: its writes skip the group commit."""
        return self.batches.current if self.batches is not None else None

    def forget_uncommitted(self) -> None:
        """Forget what is kept in memory beside the store: a command or the consumer batch
        around it did not commit (services that keep records loaded say what)."""

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if not recordings:
            return
        batch = self.batch_in_progress
        if batch is not None:  # the relay finds them once the batch has committed them
            batch.after_commit(self._wake_listeners)
        else:
            self._wake_listeners()

    def _wake_listeners(self) -> None:
        for listener in list(self._commit_listeners):
            listener()


def collect_events(
    processing: ProcessingEvent[UUID], aggregates: tuple[BaseAggregate[UUID] | None, ...]
) -> None:
    """`ProcessingEvent.collect_events` for aggregates only: eventsourcing's asks two runtime
    `Protocol`s of each object whether it is an event or can give its events, and on Python
    3.11 each such `isinstance` walks the protocol's members (~5 % of a consumer's CPU)."""
    for aggregate in aggregates:
        if aggregate is not None:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate


@dataclass(frozen=True, slots=True)
class EventsTable:
    """Where a store keeps its events, for the few reads eventsourcing's API has no call for
    (positions of a stored event, equal cuts of a whole store): SQLite and PostgreSQL differ in
    the id column, the parameter mark and how an originator id is stored."""

    name: str
    id_column: str
    mark: str
    ids_as_hex: bool

    def originator(self, originator_id: UUID) -> object:
        """The query parameter for an originator id."""
        return originator_id.hex if self.ids_as_hex else originator_id


def events_table(app: Application[UUID]) -> EventsTable:
    recorder: Any = app.recorder
    dialect = dialect_of(recorder.datastore)
    name = dialect.table(recorder.events_table_name)
    if dialect.postgres:
        return EventsTable(name, "notification_id", dialect.mark, ids_as_hex=False)
    return EventsTable(name, "rowid", dialect.mark, ids_as_hex=True)


def check_store_writable(app: Application[UUID]) -> None:
    """Raise unless the store takes a write within `READINESS_TIMEOUT_MS` (issue #11 §2).

    /readyz calls it: a store that answers reads while a writer holds its events table (or its
    disk is full, or its file read-only) is not ready. On PostgreSQL the probe takes the events
    table's insert lock for an instant, as every write does; on SQLite the write lock.
    """
    recorder: Any = app.recorder
    table = events_table(app)
    postgres = table.mark == "%s"
    now = datetime.now(UTC).isoformat()
    with recorder.datastore.transaction(commit=True) as cursor:
        if postgres:
            cursor.execute(f"SET LOCAL lock_timeout = '{READINESS_TIMEOUT_MS}ms'")
            cursor.execute(f"SET LOCAL statement_timeout = '{READINESS_TIMEOUT_MS}ms'")
            cursor.execute(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE")
        else:
            cursor.execute(f"PRAGMA busy_timeout = {READINESS_TIMEOUT_MS}")
        try:
            cursor.execute(
                "CREATE TABLE IF NOT EXISTS d73_readiness "
                "(probe TEXT PRIMARY KEY, checked_at TEXT NOT NULL)"
            )
            cursor.execute(
                f"INSERT INTO d73_readiness (probe, checked_at) VALUES ({table.mark}, "
                f"{table.mark}) ON CONFLICT (probe) DO UPDATE SET checked_at = excluded.checked_at",
                ("readyz", now),
            )
        finally:
            if not postgres:
                cursor.execute(f"PRAGMA busy_timeout = {LOCK_TIMEOUT_SECONDS * 1000}")
