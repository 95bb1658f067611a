"""The event store of a service: eventsourcing on SQLite (default) or PostgreSQL, by configuration.

Every service records through a process recorder, so the events a message causes and the
tracking record of that message commit in one transaction (design.md §3).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate, BaseAggregate
from eventsourcing.persistence import (
    JSONTranscoder,
    ProcessRecorder,
    Recording,
    Tracking,
    Transcoding,
)

from shared.idempotency import (
    Idempotency,
    KeyedCommand,
    Receipt,
    current_keyed_command,
    keyed_scope,
)
from shared.settings import Persistence, Settings
from shared.tracing import CommitTraces, tracer

A = TypeVar("A")


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def database_name(settings: Settings, service: str) -> str:
    return f"{settings.postgres_db_prefix}{service}"


def store_env(service: str, settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for one service's own store."""
    if settings.persistence is Persistence.SQLITE:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(settings.data_dir / f"{service}.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "10",
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
        "POSTGRES_LOCK_TIMEOUT": "10",
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


class ServiceApplication(Application[UUID]):
    """An eventsourcing application that records with tracking and wakes its outbox relay."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._commit_listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()
        self.commit_traces = CommitTraces()
        """The trace each recent position was committed in, continued by the relay."""
        self.consumer_lock = threading.Lock()
        """Consumers of several upstreams write one at a time, so that two events about the same
        aggregate never race into an optimistic-concurrency conflict."""

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

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
        processing.collect_events(*aggregates)
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
        left it and records nothing (`shared.idempotency`)."""
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
        recorder: Any = self.recorder
        return bool(recorder.has_tracking_id(upstream, position))

    def add_commit_listener(self, listener: Callable[[], None]) -> None:
        with self._listeners_lock:
            self._commit_listeners.append(listener)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        if recordings:
            for listener in list(self._commit_listeners):
                listener()


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
    if recorder.datastore.__class__.__name__.startswith("SQLite"):
        return EventsTable(recorder.events_table_name, "rowid", "?", ids_as_hex=True)
    from psycopg import sql

    name = sql.Identifier(recorder.datastore.schema, recorder.events_table_name).as_string()
    return EventsTable(name, "notification_id", "%s", ids_as_hex=False)
