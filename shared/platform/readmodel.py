"""Read models that follow a service's own notification log and can be rebuilt from it.

A read model catches up lazily before each query (so a user reads their own writes) and can be
reset and replayed from position 0 (`d73 rebuild`); its digest shows that a rebuild gives the
same result.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol

from shared.platform.eventstore import ServiceApplication
from shared.platform.rebuild import Progress
from shared.platform.sidetables import SideTables, Statements


class CatchUpReadModel(ABC):
    section = 1000
    name: ClassVar[str]
    """What the model's digest is called in the rebuild report (`d73 rebuild`)."""

    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        self.position = 0
        self._lock = threading.RLock()

    @abstractmethod
    def reset(self) -> None:
        """Forget everything (called before a rebuild)."""

    @abstractmethod
    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        """Fold one stored event into the model."""

    @abstractmethod
    def snapshot(self) -> Any:
        """A JSON-able, deterministic view of the whole model, for digests."""

    def catch_up(self, progress: Progress | None = None) -> int:
        recorder: Any = self.app.recorder
        total = (recorder.max_notification_id() or 0) if progress else 0
        with self._lock:
            while True:
                notifications = recorder.select_notifications(
                    start=self.position, limit=self.section, inclusive_of_start=False
                )
                for notification in notifications:
                    self.apply(self.app.mapper.to_domain_event(notification), notification.id)
                    self.position = notification.id
                if progress:
                    progress(self.position, max(total, self.position))
                if len(notifications) < self.section:
                    return self.position

    def rebuild(self, progress: Progress | None = None) -> int:
        with self._lock:
            self.reset()
            self.position = 0
            return self.catch_up(progress)

    def digest(self) -> str:
        with self._lock:
            data = orjson.dumps(self.snapshot(), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(data).hexdigest()

    def digests(self) -> dict[str, str]:
        """The model is one part: its digest under its name (`rebuild.RebuildableReadModel`)."""
        return {self.name: self.digest()}


Row = dict[str, Any]


class SideTableReadModel(CatchUpReadModel):
    """A read model kept in a service's side tables (`shared.platform.sidetables`), its log
    position in the row `name` of `positions`, written in the same transaction as the rows it
    reflects: a restart resumes where the model stopped, and rows folded from another store (a
    position past this store's end) are dropped and folded again.

    A subclass folds one section of events at a time (`_fold_section`), each way it guards
    against a second process folding the same tables (`_position_for_update` in the
    transaction that writes them), and pages its rows by key for the digest (`_rows_after`)."""

    positions: ClassVar[str]
    """The table of the service's models' positions (`<service>_read_models`)."""
    ddl: ClassVar[tuple[str, ...]]
    """The model's own tables and indexes."""
    tables_of_rows: ClassVar[tuple[str, ...]]
    """Its tables, emptied by `reset`."""
    PAGE = 1000

    def __init__(self, app: ServiceApplication, tables: SideTables) -> None:
        super().__init__(app)
        self.tables = tables
        with tables.transaction(write=True) as tx:
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {self.positions} "
                "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            for statement in self.ddl:
                tx.execute(statement)
            tx.execute(
                f"INSERT INTO {self.positions} (name, position) VALUES (?, 0)"
                " ON CONFLICT (name) DO NOTHING",
                (self.name,),
            )
        self._forget()
        self.position = self._stored_position()
        if self.position > self._store_end():
            self.reset()  # the rows were folded from another store: start again

    @abstractmethod
    def _fold_section(self) -> int:
        """Fold the events after `position`, up to a section of them, into the tables with the
        position they reach; the number of events read."""

    @abstractmethod
    def _forget(self) -> None:
        """Drop what the model holds in memory between sections."""

    @abstractmethod
    def _rows_after(self, key: str, limit: int) -> list[tuple[str, Row | None]]:
        """Up to `limit` rows by key after `key`, in key order (None: a key without a row)."""

    def reset(self) -> None:
        with self._lock, self.tables.transaction(write=True) as tx:
            for table in self.tables_of_rows:
                tx.execute(f"DELETE FROM {table}")
            tx.execute(f"UPDATE {self.positions} SET position = 0 WHERE name = ?", (self.name,))
            self.position = 0
            self._forget()

    def catch_up(self, progress: Progress | None = None) -> int:
        with self._lock:
            total = self._store_end() if progress else 0
            while True:
                folded = self._fold_section()
                if progress is not None:
                    progress(self.position, max(total, self.position))
                if folded < self.section:
                    return self.position

    def rebuild(self, progress: Progress | None = None) -> int:
        with self._lock:
            self.reset()
            return self.catch_up(progress)

    def digest(self) -> str:
        with self._lock:
            digest = hashlib.sha256()
            for key, row in self._rows():
                digest.update(orjson.dumps([key, row], option=orjson.OPT_SORT_KEYS))
            return digest.hexdigest()

    def snapshot(self) -> Any:
        with self._lock:
            return dict(self._rows())

    def _rows(self) -> Iterator[tuple[str, Row]]:
        last = ""
        while True:
            page = self._rows_after(last, self.PAGE)
            for key, row in page:
                if row is not None:
                    yield key, row
            if len(page) < self.PAGE:
                return
            last = page[-1][0]

    def _events_after(self, position: int) -> Sequence[Any]:
        recorder: Any = self.app.recorder
        notifications: Sequence[Any] = recorder.select_notifications(
            start=position, limit=self.section, inclusive_of_start=False
        )
        return notifications

    def _position_for_update(self, tx: Statements) -> int:
        """The stored position, its row held until `tx` ends (on PostgreSQL; SQLite's writer
        holds the whole database already)."""
        lock = " FOR UPDATE" if self.tables.dialect.postgres else ""
        stored = tx.query(
            f"SELECT position FROM {self.positions} WHERE name = ?{lock}", (self.name,)
        )
        return int(stored[0][0])

    def _set_position(self, tx: Statements, position: int) -> None:
        tx.execute(
            f"UPDATE {self.positions} SET position = ? WHERE name = ?", (position, self.name)
        )

    def _stored_position(self) -> int:
        rows = self.tables.query(
            f"SELECT position FROM {self.positions} WHERE name = ?", (self.name,)
        )
        return int(rows[0][0]) if rows else 0

    def _store_end(self) -> int:
        recorder: Any = self.app.recorder
        return int(recorder.max_notification_id() or 0)
