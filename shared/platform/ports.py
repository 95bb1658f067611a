"""The verifiable records as the platform sees them: small protocols that `shared.records`
implements, so the runtime and the outbox relay keep a service's signed log and journal without
importing them (issue #13 point 4: the platform sits below the records).

Each service's `main` hands its runtime the records (`shared.records.keeping.RECORDS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import Notification
from nats.js import JetStreamContext

from shared.platform.eventstore import ServiceApplication
from shared.platform.settings import Settings

BEFORE_FIRST = -(2**63)
"""Below every notification id: the log reads a store from there, not from 1, so that a row
slipped in with id 0 or below — invisible to `select_notifications(start=0)` but not to the
aggregate it belongs to — is part of what is checked."""


class LogTampered(RuntimeError):
    """The store no longer holds what the service signed: nothing more is signed or published."""


class LogEntryHead(Protocol):
    """Where one stored event landed in the log: the headers its published message carries."""

    @property
    def leaf(self) -> bytes: ...

    def headers(self, unpublished: Sequence[bytes] = ()) -> dict[str, str]: ...


class LogCheckpoint(Protocol):
    """A signed checkpoint ready to be published on `d73.audit.checkpoint.<service>`."""

    @property
    def tree_size(self) -> int: ...

    def message(self) -> tuple[str, bytes, dict[str, str]]:
        """Subject, body and headers of its message."""
        ...


class VerifiableLog(Protocol):
    """The service's signed log as its relay keeps it (`shared.records.servicelog.ServiceLog`).

    The relay appends every stored event it reads, stamps each published event with its head,
    and publishes the checkpoints the log signs; at start it has the log take back what the
    audit stream and the witness hold, then rebuilds it to the relay's position."""

    @property
    def tampered(self) -> str | None: ...

    @property
    def tree_size(self) -> int: ...

    @property
    def last_notification_id(self) -> int | None: ...

    def open(self) -> None: ...

    def append(self, record: Notification) -> LogEntryHead: ...

    def leaf_hash(self, position: int) -> bytes: ...

    def published_head(self, headers: Mapping[str, str] | None) -> tuple[int, bytes] | None:
        """The tree size and last leaf hash a published event's headers carry (None: it
        carries no head); `ValueError` for a malformed one."""
        ...

    def checkpoint_due(self, *, by_time: bool = True) -> bool: ...

    def sign(self, *, when_due: bool = True) -> LogCheckpoint | None:
        """A checkpoint of the log as it is, if one is due (with `when_due=False`: whenever
        the log grew since the last one)."""
        ...

    def sync_to(self, notification_id: int) -> None: ...

    def adopt_published(self, headers: Mapping[str, str] | None, body: bytes) -> int:
        """Keep again the checkpoint of a message on the audit stream if the store lost it;
        its tree size. `PoisonMessage` when the message is not a readable checkpoint."""
        ...

    def adopt_cosigned(self, checkpoint: Mapping[str, Any]) -> None:
        """The same for a checkpoint the witness cosigned; `ValueError` when unreadable."""
        ...

    def unpublished_checkpoints(self, after: int) -> Sequence[LogCheckpoint]:
        """The kept checkpoints larger than `after` that the log reaches, each with its
        consistency proof from the one before it."""
        ...

    def signed_size(self) -> int:
        """The tree size of the latest checkpoint kept (0: none), known in memory: whether
        `unpublished_checkpoints(after)` can find any is asked without a worker thread."""
        ...


class StoreJournal(Protocol):
    """Where every stored event is also published as stored, and what a restored store takes
    back from (`shared.records.journal.Journal`)."""

    @property
    def stream(self) -> str: ...

    async def publish(self, js: JetStreamContext, records: Sequence[Any], wait: float) -> None: ...

    async def missing(self, js: JetStreamContext, store_ends_at: int) -> list[Any]: ...

    async def last_position(self, js: JetStreamContext) -> int: ...

    def restore(self, entries: list[Any]) -> None: ...


class Records(Protocol):
    """The verifiable records a service keeps beside its store (`shared.records.keeping`)."""

    def log(self, service: str, app: ServiceApplication, settings: Settings) -> VerifiableLog:
        """The service's signed log (not opened yet)."""
        ...

    def journal(self, service: str, app: ServiceApplication) -> StoreJournal: ...

    def migrate(self, service: str, app: ServiceApplication) -> object:
        """Apply the schema steps the store lacks (`shared.platform.migrations.migrate`)."""
        ...
