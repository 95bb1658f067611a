"""Transactional outbox relay: the event store's notification log → JetStream, in order.

Commands only commit to the store. The relay publishes each public event with `Nats-Msg-Id` =
event id, a batch at a time: it sends the batch's events without waiting for each PubAck, then
takes their acks in order, and its position moves only over acknowledged events
(`shared.platform.pipeline` says how a lost message cannot let the ones after it be stored out of
order; issue #19 §1). A checkpoint due after an event waits for the acks of the events before it,
as a witness reads it only after them. Its position is not kept locally: on start
and after any failure it asks the stream for the `d73-position` of the last message there and
republishes whatever the stream is missing, so a crash between commit and publish loses nothing,
a crash between publish and bookkeeping duplicates nothing downstream (the server drops the copy),
and a broker that lost acknowledged writes is healed from the store (design.md §3).

With a verifiable log (every publishing service has one, see `shared.platform.runtime`), the relay
also keeps the service's verifiable log (issue #6): it appends every stored event it reads, private
ones included, stamps each published event with `d73-log-index`, `d73-tree-size` and
`d73-tree-root`, and signs and publishes checkpoints on `d73.audit.checkpoint.<service>`. On
start it rebuilds the log from the store up to the stream's position (checking it against the
checkpoints signed before), takes back a checkpoint the stream has and the store lost, and
republishes the kept checkpoints the stream lacks. The log and the journal are the records'
(`shared.records`); the relay knows them by their protocols (`shared.platform.ports`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import anyio.to_thread
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from eventsourcing.utils import resolve_topic
from nats.errors import MaxPayloadError
from nats.js import JetStreamContext
from nats.js.api import PubAck, RawStreamMsg
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from shared.contracts.audit import Checkpoint as CheckpointMessage
from shared.contracts.base import Published
from shared.contracts.witness import CheckpointCosigned
from shared.platform import tracing
from shared.platform.envelope import CE_TYPE, MSG_ID, PoisonMessage, encode
from shared.platform.eventids import event_name_hash
from shared.platform.eventstore import ServiceApplication
from shared.platform.halt import HaltKind, ServiceHalt
from shared.platform.pipeline import ForeignTail, PipelinedPublisher, newest_positioned, position_in
from shared.platform.ports import (
    BEFORE_FIRST,
    LogCheckpoint,
    LogEntryHead,
    LogTampered,
    StoreJournal,
    VerifiableLog,
)
from shared.platform.subjects import AUDIT_STREAM, REPORTING_STREAM, StreamSpec
from shared.platform.worker import WorkerThread

log = logging.getLogger("d73.outbox")

Translate = Callable[[DomainEventProtocol[UUID], int], Published | None]
"""Maps a stored domain event at a log position to its public contract, or None if private."""


class RecentContracts:
    """The contracts lately translated from one store's events, by position, until the other
    relay of the store takes them: the service's relays (its own stream, the public one)
    publish the same events, and the second decoded and translated each again (~4 % of a
    submission's CPU, issue #19). A position never holds another event in its store, and the
    contracts are frozen, so one kept is true for both. At most `size` wait (the oldest go)."""

    def __init__(self, size: int = 256) -> None:
        self._kept: dict[int, Published | None] = {}
        self._size = size

    def take(self, position: int, translate: Callable[[], Published | None]) -> Published | None:
        """The contract at `position`: the one kept (now forgotten), else `translate`d and kept
        for the other relay."""
        kept = self._kept
        if position in kept:
            return kept.pop(position)
        contract = translate()
        kept[position] = contract
        if len(kept) > self._size:
            del kept[next(iter(kept))]
        return contract


@dataclass(frozen=True)
class ByEventType:
    """A translation that makes public only the stored events of `types` (subclasses included)
    and gives None for every other: the relay does not decode a stored event of another type
    (issue #19: most of a private draft's cost to the relays was decoding it to learn it is
    private). Its topic says its type, as it does to the event store's mapper.

    A `view` gives what one relay publishes of the full contract (the public stream's);
    relays sharing `recent` decode and translate each stored event once between them."""

    translate: Translate
    types: tuple[type, ...]
    view: Callable[[Published], Published | None] | None = None
    recent: RecentContracts | None = None

    def __call__(self, event: DomainEventProtocol[UUID], position: int) -> Published | None:
        return self._viewed(self.translate(event, position))

    def may_publish(self, topic: str) -> bool:
        """Whether a stored event of `topic` may have a public contract (else it has none)."""
        return issubclass(resolve_topic(topic), self.types)

    def of_stored(
        self, notification: Notification, decode: Callable[[Notification], Any]
    ) -> Published | None:
        """The contract of a stored event of a type it may publish (`decode`d if no relay
        sharing `recent` translated it lately)."""
        recent = self.recent
        if recent is None:
            return self._viewed(self.translate(decode(notification), notification.id))
        full = recent.take(
            notification.id, lambda: self.translate(decode(notification), notification.id)
        )
        return self._viewed(full)

    def remembering(self) -> ByEventType:
        """The same translation, keeping its contracts for a relay given its `with_view`."""
        return replace(self, recent=RecentContracts())

    def with_view(self, view: Callable[[Published], Published | None]) -> ByEventType:
        """What `view` makes of this translation's contracts (sharing its `recent`)."""
        return replace(self, view=view)

    def _viewed(self, full: Published | None) -> Published | None:
        return full if self.view is None or full is None else self.view(full)


def event_id(service: str, domain_event: DomainEventProtocol[UUID]) -> UUID:
    """A stable id for a stored event: the same event always gets the same id (and Nats-Msg-Id)."""
    return event_id_of(service, domain_event.originator_id, domain_event.originator_version)


def event_id_of(service: str, originator_id: UUID, originator_version: int) -> UUID:
    """`event_id` from the stored record alone: the audit log names events without decoding them.

    `uuid5(NAMESPACE_URL, f"/d73/{service}/{originator_id}/{originator_version}")`, the same
    UUID (RFC 9562 §5.5), from the name's SHA-1 as the log spells it (`event_name_hash`: the
    namespace and the service's prefix hashed once), the version and variant set on the
    integer: `uuid5` asks OpenSSL for SHA-1 and sets them through `UUID(bytes=…, version=5)`
    at every call (~37 k instructions, a quarter of translating a submission; now ~23 k,
    issue #19)."""
    digest = event_name_hash(service, originator_id, originator_version).digest()
    value = int.from_bytes(digest[:16], "big")
    return UUID(int=value & _NOT_VERSION_NOR_VARIANT | _VERSION_5_RFC_VARIANT)


_NOT_VERSION_NOR_VARIANT = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_5_RFC_VARIANT = (5 << 76) | (0x8000 << 48)


class StreamAheadOfStore(RuntimeError):
    """The stream holds positions this store never wrote: wrong store or wrong stream."""


class StoreDiverged(RuntimeError):
    """The store's event at the stream's last position is not the one the stream holds."""


WITNESS_LOOKBACK = 500
"""Messages of the witness's stream read back at start for this service's cosignatures."""

RELAY_BATCH = 200
"""Stored events a relay reads, journals and publishes at a time. Batches form only while it is
behind; 500 of reporting's archived events (each decoded, translated and encoded while the batch
is under way) held ~6 MB more at its peak than 100 as it published a 300 k-event archive
(151.2 against 144.7 MB), for no rate a service needs when it is not behind (issue #19)."""
HOLD_SECONDS = 0.001
"""Longest a relay sends without letting the service's requests in (a submission takes the
relays ~0.2 ms to send): its messages then leave in one write."""

BLOCKED_AFTER_FAILURES = 5
"""Failures in a row to publish one event, with NATS connected, that halt the service."""

Batch = Sequence[tuple[Notification, LogEntryHead | None, LogCheckpoint | None]]
"""Stored events in order, each with its log head and the checkpoint it makes due (with a log)."""


def _cancel_if_asked() -> None:
    """Raise the cancellation this task was asked for if an await swallowed it.

    A relay cancelled while it waits for a worker thread or a timed wait could lose the
    request on Python 3.11 and go on relaying for ever, so that whoever awaited its end (the
    service stopping) waited for ever too: 2 of 5 runs of `bench.relay_publish` hung so. A
    request a timeout of ours made is withdrawn by it (`uncancel`), so one still counted by
    `cancelling()` is someone else's."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class OutboxRelay:
    def __init__(
        self,
        app: ServiceApplication,
        service: str,
        stream: StreamSpec,
        translate: Translate,
        *,
        audit: VerifiableLog | None = None,
        topics: Sequence[str] = (),
        batch_size: int = RELAY_BATCH,
        poll_seconds: float = 1.0,
        publish_timeout: float = 5.0,
        halt: ServiceHalt | None = None,
        diverged_recheck_seconds: float = 30.0,
        journal: StoreJournal | None = None,
        log_heads: bool = True,
        gate: ServiceHalt | None = None,
    ) -> None:
        self.app = app
        self.service = service
        self.stream = stream
        self.translate = translate
        self.audit = audit
        self.topics = tuple(topics)
        """Only these stored events can be published (all when empty): the rest are not read.
        Not with an audit log, which must read every stored event."""
        if self.topics and audit is not None:
            raise ValueError("a relay that keeps the audit log reads every stored event")
        if gate is not None and audit is not None:
            raise ValueError("the relay that keeps the audit log is the one that halts")
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.publish_timeout = publish_timeout
        self.position = 0
        self.published = 0
        self.checkpoints_published = 0
        self._unpublished_leaves: list[bytes] = []
        """Leaf hashes of the entries read since the last published event (private drafts)."""
        self._checkpoint_size = 0
        """The tree size of the newest checkpoint this relay knows to be on the stream."""
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.halt = halt or ServiceHalt(service)
        """Where the relay stops the service's commands (shared by the whole process)."""
        if audit is not None:
            self.halt.watch(HaltKind.LOG_TAMPERED, lambda: audit.tampered)
        self.diverged_recheck_seconds = diverged_recheck_seconds
        self.journal = journal
        self.log_heads = log_heads
        """Stamp each published event with its log head (`d73-log-*`), for a witness that
        follows the log leaf by leaf; reporting's own log is checked by its checkpoints only."""
        """Where every stored event is also published as stored (`shared.records.journal`)."""
        self._failing: tuple[int, int] = (0, 0)
        """(position, failures in a row) of the event the relay could not publish."""
        self._publisher: PipelinedPublisher | None = None
        self._reader = WorkerThread(f"relay {stream.name}")
        """Where it reads the store for each batch (a hop to it costs a third of anyio's)."""
        self._journaled = 0
        """The position of the journal's last message, as this relay last knew it."""
        self.gate = gate
        """The service's halt this relay obeys without raising or lifting it: the public relay
        publishes nothing while its service refuses commands (a tampered or diverged store, a
        blocked main relay, a start not yet checked), so agencies never receive what the
        service's own stream and witness do not (issue #12 §3)."""

    def wake(self) -> None:
        """Called from the committing thread right after a commit."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def last_published_message(self, js: JetStreamContext) -> RawStreamMsg | None:
        """The newest message of a relay the stream still holds, if any: one put there by hand
        (no position) is passed over, and the consumers set it aside as a dead letter."""
        return await newest_positioned(js, self.stream.name, self.stream.subjects[0])

    async def last_published_position(self, js: JetStreamContext) -> int:
        """The store position carried by the newest message the stream still holds."""
        msg = await self.last_published_message(js)
        return position_of(msg)

    async def run(self, js: JetStreamContext) -> None:
        """Relay until cancelled; after any error, resynchronise with the stream and go on."""
        self._loop = asyncio.get_running_loop()
        self.app.add_commit_listener(self.wake)
        try:
            await self._run(js)
        finally:
            if self._publisher is not None:
                publisher, self._publisher = self._publisher, None
                with contextlib.suppress(Exception):
                    await publisher.close()

    async def _run(self, js: JetStreamContext) -> None:
        backoff = 0.2
        while True:
            try:
                if self.journal is not None:
                    await self.recover(js)
                last = await self.last_published_message(js)
                self.position = position_of(last)
                self._unpublished_leaves.clear()
                max_id = await anyio.to_thread.run_sync(self.app.recorder.max_notification_id)
                if self.position > (max_id or 0):
                    raise StreamAheadOfStore(
                        f"{self.stream.name} holds position {self.position} and this store ends at "
                        f"{max_id}: the store was restored to an earlier point, or is another store"
                    )
                await anyio.to_thread.run_sync(self._check_identity, last)
                if self.audit is not None:
                    await self._resync_audit(js)
                    await anyio.to_thread.run_sync(self._check_log_identity, last)
                if self.journal is not None:
                    await self._backfill_journal(js)
                self.halt.lift(HaltKind.RELAY_DIVERGED)
                self.halt.lift(HaltKind.STARTING)
                log.info("relay %s resumes after position %d", self.service, self.position)
                backoff = 0.2
                await self._follow(js)
            except asyncio.CancelledError:
                raise
            except (StreamAheadOfStore, StoreDiverged, ForeignTail) as error:
                self.halt.halt(HaltKind.RELAY_DIVERGED, str(error))
                log.critical("relay %s stopped: %s", self.service, error)
                await asyncio.sleep(self.diverged_recheck_seconds)
            except LogTampered as error:
                log.critical("relay %s stopped: %s", self.service, error)
                await asyncio.sleep(self.diverged_recheck_seconds)
            except Exception as error:
                self._note_failure(js, error)
                log.warning(
                    "relay %s: %s: %s; retrying in %.1fs",
                    self.service,
                    type(error).__name__,
                    error,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def recover(self, js: JetStreamContext) -> None:
        """A store restored from a backup takes back, from the journal, what it lost (the
        runtime calls it before its consumers start; the relay again before it follows)."""
        journal = self.journal
        assert journal is not None
        max_id = await anyio.to_thread.run_sync(self.app.recorder.max_notification_id)
        missing = await journal.missing(js, max_id or 0)
        if missing:
            await anyio.to_thread.run_sync(journal.restore, missing)

    async def _backfill_journal(self, js: JetStreamContext) -> None:
        """Journal what was published before the journal existed (or before a crash)."""
        journal = self.journal
        assert journal is not None
        after = await journal.last_position(js)
        self._journaled = after
        while after < self.position:
            batch = await anyio.to_thread.run_sync(self._stored_between, after, self.position)
            if not batch:
                return
            await journal.publish(js, batch, self.publish_timeout)
            after = self._journaled = batch[-1].id

    async def _journal(self, js: JetStreamContext, batch: Batch) -> None:
        """Journal a batch's events before they are published, except those the journal
        already holds (it can be ahead of the stream after a failure): a journal run then
        starts after the journal's last message, which its pipeline needs
        (`shared.platform.pipeline`)."""
        journal = self.journal
        assert journal is not None
        unjournaled = [
            notification for notification, _, _ in batch if notification.id > self._journaled
        ]
        if unjournaled:
            await journal.publish(js, unjournaled, self.publish_timeout)
            self._journaled = unjournaled[-1].id

    def _stored_between(self, after: int, through: int) -> Sequence[Notification]:
        recorder: Any = self.app.recorder
        return recorder.select_notifications(  # type: ignore[no-any-return]
            start=after, limit=self.batch_size, stop=through, inclusive_of_start=False
        )

    def _note_failure(self, js: JetStreamContext, error: Exception) -> None:
        """An event that cannot leave while NATS is reachable halts the service: at once when
        it can never fit (`max_payload`), after `BLOCKED_AFTER_FAILURES` tries otherwise."""
        position, failures = self._failing
        if not failures:
            return
        connection = getattr(js, "_nc", None)
        if connection is not None and not connection.is_connected:
            return  # NATS is away: /readyz says so, and the store keeps the events meanwhile
        if isinstance(error, MaxPayloadError) or failures >= BLOCKED_AFTER_FAILURES:
            detail = (
                f"the event at position {position} could not be published "
                f"({failures} tries): {type(error).__name__}: {error}"
            )
            if not self.halt.holds(HaltKind.RELAY_BLOCKED):
                log.critical("relay %s is blocked: %s", self.service, detail)
            self.halt.halt(HaltKind.RELAY_BLOCKED, detail)

    def _check_identity(self, last: RawStreamMsg | None) -> None:
        """The store's event at the stream's last position must be the one the stream holds."""
        if last is None:
            return
        headers = last.headers or {}
        position = position_of(last)
        recorder: Any = self.app.recorder
        found = recorder.select_notifications(start=position, limit=1, inclusive_of_start=True)
        if not found or found[0].id != position:
            raise StoreDiverged(
                f"{self.stream.name} holds an event at position {position} "
                f"({headers.get(MSG_ID)}) that this store does not hold"
            )
        stored = self.translate(self.app.mapper.to_domain_event(found[0]), position)
        stored_id = None if stored is None else str(stored.id)
        if stored_id != headers.get(MSG_ID):
            raise StoreDiverged(
                f"at position {position} {self.stream.name} holds event {headers.get(MSG_ID)} "
                f"and this store holds {stored_id or 'a private event'}: the store was restored "
                "to an earlier point, or is another store"
            )

    def _check_log_identity(self, last: RawStreamMsg | None) -> None:
        """With a log: the stream's last event sits at the same log size with the same leaf."""
        audit = self.audit
        if last is None or audit is None:
            return
        try:
            head = audit.published_head(last.headers)
        except ValueError as error:
            raise StoreDiverged(f"the last message of {self.stream.name}: {error}") from None
        if head is None:
            return  # published before the service kept a log
        tree_size, leaf = head
        if tree_size != audit.tree_size:
            raise StoreDiverged(
                f"{self.stream.name} puts its last event at log size {tree_size}; this "
                f"store's log reaches it at size {audit.tree_size}"
            )
        if audit.leaf_hash(tree_size) != leaf:
            raise StoreDiverged(
                f"the leaf hash of log entry {tree_size} differs between this store and "
                f"{self.stream.name}"
            )

    def _closed(self) -> bool:
        """The gate is shut: the service this relay obeys is halted."""
        return self.gate is not None and self.gate.halted

    async def _follow(self, js: JetStreamContext) -> None:
        while True:
            _cancel_if_asked()
            self._wake.clear()
            if self._closed():
                await asyncio.sleep(self.poll_seconds)
                continue
            batch = await self._reader.run(self._next_batch, self.position)
            if self.journal is not None:
                await self._journal(js, batch)
            await self._relay(js, batch)
            if len(batch) < self.batch_size:
                if self.audit is not None and self.audit.checkpoint_due():
                    checkpoint = await anyio.to_thread.run_sync(self.audit.sign)
                    if checkpoint is not None:
                        await self._publish_checkpoint(js, checkpoint)
                if self.audit is not None:
                    # Signed elsewhere (a certificate asked for one) and not published yet.
                    await self._publish_kept_checkpoints(js, self._checkpoint_size)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_seconds):  # not wait_for: see pipeline
                        await self._wake.wait()

    @property
    def checkpoint_size(self) -> int:
        """The tree size of the newest checkpoint this relay knows to be on the stream."""
        return self._checkpoint_size

    def log_due(self) -> int:
        """At least how many entries the log must cover: those it holds and the stored events
        after them (counted up to one batch). A lower bound, for the heartbeat."""
        audit = self.audit
        if audit is None:
            raise ValueError("a relay without a log owes no entries")
        size, last = audit.tree_size, audit.last_notification_id  # in this order: never more
        return size + len(self._select(BEFORE_FIRST if last is None else last))

    def unpublished(self) -> int:
        """Stored events after the relay's position that it reads (its topics), counted up to
        one batch: the relay's lag that /metrics shows."""
        return len(self._select(self.position))

    def _select(self, after: int) -> Sequence[Notification]:
        recorder: Any = self.app.recorder
        return recorder.select_notifications(  # type: ignore[no-any-return]
            start=after, limit=self.batch_size, inclusive_of_start=False, topics=self.topics
        )

    def _next_batch(
        self, after: int
    ) -> list[tuple[Notification, LogEntryHead | None, LogCheckpoint | None]]:
        """The next notifications, each appended to the log with the checkpoint it makes due."""
        notifications = self._select(after)
        audit = self.audit
        if audit is None:
            return [(notification, None, None) for notification in notifications]
        batch: list[tuple[Notification, LogEntryHead | None, LogCheckpoint | None]] = []
        for notification in notifications:
            head = audit.append(notification)
            due = audit.sign() if audit.checkpoint_due(by_time=False) else None
            batch.append((notification, head, due))
        return batch

    async def _relay(self, js: JetStreamContext, batch: Batch) -> None:
        """Publish a batch's public events in one pipelined run, a checkpoint after the acks of
        the events before it; the position follows the acks (private events with them).

        An event that cannot be sent stops the run: the acks of what went before are taken, then
        its failure is counted and raised. The first ack that fails stops it too, giving up the
        acks after it: the server refused the events after a lost one, or stored them (a lost
        ack) and `run` resumes after the stream's last message either way."""
        if self._publisher is None or self._publisher.js is not js:
            self._publisher = PipelinedPublisher(js, self.stream.name, self.publish_timeout)
        publisher = self._publisher
        await publisher.begin()
        sent: list[tuple[int, asyncio.Future[PubAck] | None]] = []
        loop = asyncio.get_running_loop()
        held_since = loop.time()
        try:
            for notification, head, checkpoint in batch:
                if self._closed():
                    break  # halted meanwhile: what is left waits at the relay's position
                try:
                    sent.append((notification.id, await self._send(publisher, notification, head)))
                except Exception:
                    await self._settle(publisher, sent)
                    self._count_failure(notification.id)
                    raise
                # A send rarely waits, and the relay shares its event loop with the service's
                # HTTP requests: a batch of 500 sent in one go would hold them all meanwhile.
                # Not after every event, though: each turn of the loop let the connection's
                # flusher write the one message sent, a socket write per event (issue #19).
                if loop.time() - held_since >= HOLD_SECONDS:
                    await asyncio.sleep(0)
                    held_since = loop.time()
                if checkpoint is not None:
                    await self._settle(publisher, sent)
                    await self._publish_checkpoint(js, checkpoint)
            await self._settle(publisher, sent)
        finally:
            publisher.abandon()

    async def _send(
        self,
        publisher: PipelinedPublisher,
        notification: Notification,
        head: LogEntryHead | None = None,
    ) -> asyncio.Future[PubAck] | None:
        """Send a stored event's public contract, if it has one, and return its ack to come."""
        translate = self.translate
        if not isinstance(translate, ByEventType):
            event = translate(self.app.stored_event(notification), notification.id)
        elif translate.may_publish(notification.topic):
            event = translate.of_stored(notification, self.app.stored_event)
        else:
            event = None  # private by its type: not decoded
        if event is None:
            if head is not None and self.log_heads:
                self._unpublished_leaves.append(head.leaf)
            return None
        body, headers = encode(event, self.service)
        if head is not None and self.log_heads:
            headers.update(head.headers(self._unpublished_leaves))
        parent = self.app.commit_traces.context_of(notification.id)
        subject = event.subject()
        if tracing.inject_publication(headers, parent):
            ack = await publisher.send(subject, body, headers)
        else:
            with tracing.publishing(
                parent,
                f"publish {subject}",
                **{"messaging.system": "nats", "messaging.destination.name": subject},
                **{"d73.position": notification.id, "d73.event_type": event.type},
            ):
                tracing.inject(headers)
                ack = await publisher.send(subject, body, headers)
        self._unpublished_leaves.clear()  # carried by this event (sent again after a failure)
        return ack

    async def _settle(
        self, publisher: PipelinedPublisher, sent: list[tuple[int, asyncio.Future[PubAck] | None]]
    ) -> None:
        """Take the acks of what was sent, in order, moving the position over each event."""
        for position, ack in sent:
            if ack is not None:
                try:
                    await publisher.acknowledged(ack)
                except Exception:
                    self._count_failure(position)
                    raise
                self.published += 1
                if self._failing[1] and self._failing[0] <= position:
                    self.halt.lift(HaltKind.RELAY_BLOCKED)
                    self._failing = (0, 0)
            self.position = position
        sent.clear()

    def _count_failure(self, position: int) -> None:
        """One more failure to publish the event at `position` (the first of a new event)."""
        failing, failures = self._failing
        self._failing = (position, failures + 1 if failing == position else 1)

    # ------------------------------------------------------------------ audit log

    async def _resync_audit(self, js: JetStreamContext) -> None:
        """Before following: the stream's latest checkpoint back into the store if it was lost,
        the log rebuilt (or taken back) to the relay's position, and kept checkpoints the
        stream lacks published again."""
        audit = self.audit
        assert audit is not None
        await anyio.to_thread.run_sync(audit.open)
        on_stream = 0
        last = await self.last_published_checkpoint(js)
        if last is not None:
            try:
                # Kept again if the store lost it; a different root for a size kept is a fork.
                on_stream = await anyio.to_thread.run_sync(
                    audit.adopt_published, last.headers, last.data or b""
                )
            except PoisonMessage as error:
                log.error(
                    "the last checkpoint message of %s is unreadable: %s", self.service, error
                )
        for seq, cosigned in await self.witnessed_checkpoints(js):
            try:
                # What the witness cosigned must be what this service holds (issue #12 §4).
                await anyio.to_thread.run_sync(audit.adopt_cosigned, cosigned)
            except ValueError as error:
                log.warning(
                    "unreadable cosignature at %s seq %d: %s", REPORTING_STREAM.name, seq, error
                )
        await anyio.to_thread.run_sync(audit.sync_to, self.position)
        self._checkpoint_size = on_stream
        await self._publish_kept_checkpoints(js, self._checkpoint_size)
        if audit.checkpoint_due(by_time=False):
            checkpoint = await anyio.to_thread.run_sync(audit.sign)
            if checkpoint is not None:
                await self._publish_checkpoint(js, checkpoint)

    async def last_published_checkpoint(self, js: JetStreamContext) -> RawStreamMsg | None:
        """The newest checkpoint message of this service in D73_AUDIT (unread)."""
        try:
            return await js.get_last_msg(
                AUDIT_STREAM.name, CheckpointMessage.subject_of(self.service)
            )
        except NotFoundError:
            return None

    async def witnessed_checkpoints(
        self, js: JetStreamContext
    ) -> list[tuple[int, Mapping[str, Any]]]:
        """This service's checkpoints among the witness's latest cosignatures (D73_REPORTING),
        with their stream sequence, oldest first; [] when the witness has published none (or
        is not reachable)."""
        try:
            info = await js.stream_info(REPORTING_STREAM.name)
        except Exception as error:  # no witness yet: nothing to compare with
            log.info("no witness cosignatures to check %s against: %s", self.service, error)
            return []
        found: list[tuple[int, Mapping[str, Any]]] = []
        if not info.state.messages:
            return found
        last = info.state.last_seq
        first = max(info.state.first_seq, last - WITNESS_LOOKBACK + 1, 1)
        for seq in range(last, first - 1, -1):
            try:
                msg = await js.get_msg(REPORTING_STREAM.name, seq=seq)
            except NotFoundError:
                continue  # deleted from a stream with limits
            if (msg.headers or {}).get(CE_TYPE) != CheckpointCosigned.TYPE:
                continue
            try:
                cosigned = CheckpointCosigned.model_validate_json(msg.data or b"")
                if cosigned.service == self.service:
                    found.append((seq, cosigned.checkpoint.model_dump()))
            except ValidationError as error:
                log.warning(
                    "unreadable cosignature at %s seq %d: %s", REPORTING_STREAM.name, seq, error
                )
        return found[::-1]

    async def _publish_kept_checkpoints(self, js: JetStreamContext, after: int) -> None:
        """Publish the kept checkpoints larger than `after`, each with its consistency proof
        from the one before it, so a witness can check every one."""
        audit = self.audit
        assert audit is not None
        if audit.signed_size() <= after:  # in memory, as `checkpoint_due` is asked here
            # Nothing kept beyond it (the steady feed's every pass): no worker-thread hop, which
            # cost ~150 µs of CPU per published event on a 2-core VM (issue #19).
            return
        for kept in await anyio.to_thread.run_sync(audit.unpublished_checkpoints, after):
            await self._publish_checkpoint(js, kept)

    async def _publish_checkpoint(self, js: JetStreamContext, checkpoint: LogCheckpoint) -> None:
        subject, body, headers = checkpoint.message()
        await js.publish(
            subject,
            body,
            timeout=self.publish_timeout,
            stream=AUDIT_STREAM.name,
            headers=headers,
        )
        self.checkpoints_published += 1
        self._checkpoint_size = max(self._checkpoint_size, checkpoint.tree_size)


def position_of(msg: RawStreamMsg | None) -> int:
    """The store position a relayed message carries (0 for none)."""
    return 0 if msg is None else position_in(msg) or 0
