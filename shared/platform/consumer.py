"""Idempotent JetStream consumers with dead letters (design.md §3, issue #19 §1).

One durable pull consumer per (service, upstream stream), explicit acks. A consumer takes a batch
of up to `batch_size` messages (its `max_ack_pending`) and settles them in stream order in one
worker-thread pass, in one transaction (`shared.platform.storebatch`): the events a message
causes and its tracking record are written in a savepoint of their own (a pass of one, a
steady feed's, needs none: its transaction stands for it), and the pass commits once, before
any of its messages is acked; a redelivered message is recognised by its tracking record and
only acked. The passes run on a thread of the consumer's own (`WorkerThread`).

Order is strict because the store's tracking is a high-water mark: a position at or below the
last one recorded counts as processed (`has_tracking_id`), so a message recorded before an
earlier one would make the earlier one a "duplicate", silently dropped. Hence, within a batch,
nothing after a failing message is processed or acked before it: the failing message is retried
in place (after a back-off, the batch held with in-progress acks) and the rest wait. A nak would
not do: JetStream would count a redelivery against every waiting message's `max_deliver`, and
could hand newer messages to the next fetch meanwhile. A message that can never succeed (or
still fails at its `max_deliver`-th delivery to the handler) goes to `d73.deadletter.<service>`
with its reason and is acked, so the consumer never stops.

Nor does the order of JetStream's deliveries decide it. After nats-server restarts, a message it
had handed out (and that was lost with the connection) can come back only after its ack wait,
while newer ones are delivered at once, `max_ack_pending` notwithstanding (seen: stream seq 15
delivered anew, then 14 again; 14 then counted a duplicate and never recorded). So a consumer
remembers the highest stream sequence it settled; a batch that starts past the next one first
reads the messages in between from the stream by sequence and settles them, in order, exactly
as if JetStream had delivered them (`StoredMessage`); JetStream's own copies, when they come,
are duplicates. Waiting for them instead was a guess: under load a redelivery took longer than
the wait, and a consumer that went on without it lost it (a chaos run on a loaded CI machine
lost 34 messages so). A sequence the stream no longer holds (deleted) is passed over, and
logged; if the stream cannot be read, the batch is given back (a nak delayed by the ack wait)
and the consumer waits for the redelivery, as before. A process that has just started has
settled nothing yet: it begins from what is settled already (`resume_from`), the durable's
ack floor or the store's tracking, whichever is further, so its first batch is held to the
same rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio.to_thread
from eventsourcing.persistence import IntegrityError, Tracking
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RawStreamMsg
from nats.js.errors import NotFoundError

from shared.contracts import IntegrationEvent
from shared.platform import tracing
from shared.platform.envelope import CE_ID, CE_TYPE, MSG_ID, PoisonMessage, decode
from shared.platform.eventstore import ServiceApplication
from shared.platform.halt import NoticeKind, ServiceNotices
from shared.platform.metrics import CONSUMED, DEAD_LETTERS, REDELIVERIES
from shared.platform.storebatch import Batch, CommitFailed, StoreBatches
from shared.platform.subjects import StreamSpec, consumer_name, deadletter_subject
from shared.platform.worker import WorkerThread

log = logging.getLogger("d73.consumer")

Handler = Callable[[IntegrationEvent, Tracking], None]
"""Synchronous: records the consequences of one event with the given tracking, or raises."""

DEFAULT_BATCH_SIZE = 64
"""`Settings.consumer_batch_size`'s default, for consumers built outside a service."""


class Rejected(PoisonMessage):
    """A well-formed event the domain refuses for good (dead-lettered, never retried)."""


class StoredMessage:
    """A message read from its stream by sequence, settled as if JetStream had delivered it:
    what the consumer reads of a `Msg` (subject, data, headers, metadata). It was delivered to
    no one, so there is nothing to ack or nak: JetStream's own copy, when it comes, is settled
    as a duplicate."""

    def __init__(self, raw: RawStreamMsg, stream: str, consumer: str) -> None:
        self.subject = raw.subject or ""
        self.data = raw.data or b""
        self.headers: dict[str, str] | None = raw.headers
        self.metadata = Msg.Metadata(
            sequence=Msg.Metadata.SequencePair(consumer=0, stream=int(raw.seq or 0)),
            num_pending=0,
            num_delivered=1,
            timestamp=raw.time or datetime.now(UTC),
            stream=stream,
            consumer=consumer,
        )

    async def ack(self) -> None:
        pass

    async def nak(self, delay: float | None = None) -> None:
        pass

    async def in_progress(self) -> None:
        pass


class SharedDecodes:
    """Events one consumer decoded, for the other consumer of the same stream in this process.

    Reporting reads D73_APPROVAL twice, through its archive's durable and its notifier's: both
    get each message, at about the same time, and validating a case's opening (the plan in it)
    against its contract was ~5 % of reporting's CPU, twice (issue #19). The second reader takes
    the first one's event, once, if the message is the same (stream, sequence, type, body);
    otherwise, or once it has been passed over for `size` newer ones, it decodes its own. The
    events are frozen contracts, read by both and changed by neither."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._events: OrderedDict[tuple[str, int], tuple[str | None, bytes, IntegrationEvent]]
        self._events = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._events)

    def decode(self, msg: Msg) -> IntegrationEvent:
        """`envelope.decode` of `msg`, or the same message's event the other reader decoded."""
        headers, data = msg.headers, msg.data
        kind = (headers or {}).get(CE_TYPE)
        key = (msg.metadata.stream, msg.metadata.sequence.stream)
        with self._lock:
            shared = self._events.pop(key, None)
        if shared is not None and shared[0] == kind and shared[1] == data:
            return shared[2]
        event = decode(headers, data)
        with self._lock:
            self._events[key] = (kind, data, event)
            if len(self._events) > self.size:
                self._events.popitem(last=False)
        return event


def share_decodes(consumers: Sequence[TrackedConsumer]) -> None:
    """Have the consumers that read the same stream share what they decode (`SharedDecodes`)."""
    by_stream: dict[str, list[TrackedConsumer]] = {}
    for consumer in consumers:
        by_stream.setdefault(consumer.upstream.name, []).append(consumer)
    for readers in by_stream.values():
        if len(readers) > 1:
            shared = SharedDecodes()
            for consumer in readers:
                consumer.decodes = shared


MAX_READ_FROM_STREAM = 1024
"""Sequences one gap reads from the stream at most before it waits for JetStream instead."""


@dataclass
class ConsumerStats:
    processed: int = 0
    duplicates: int = 0
    ignored: int = 0
    dead_lettered: int = 0
    retried: int = 0
    last_error: str | None = None
    dead_letter_reasons: list[str] = field(default_factory=list)


class TrackedConsumer:
    """Consumes one upstream stream into one service application."""

    def __init__(
        self,
        *,
        service: str,
        app: ServiceApplication,
        upstream: StreamSpec,
        handlers: dict[str, Handler],
        archive_all: Handler | None = None,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.service = service
        self.app = app
        self.upstream = upstream
        self.handlers = handlers
        self.archive_all = archive_all
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.batch_size = batch_size
        """Messages fetched and settled at once (set by the runtime from the settings)."""
        self.stats = ConsumerStats()
        self.notices: ServiceNotices | None = None
        """Set by the runtime: a dead letter raises an alarm there (issue #11 §2)."""
        self.acked_through: int | None = None
        """The stream sequence of the last message this process acked (None: none yet)."""
        self._waiting_since: tuple[int, float] | None = None
        """The sequence a batch was given back for, and when that began."""
        self._read_and_settled: set[int] = set()
        """Sequences settled from the stream (`StoredMessage`) whose delivery by JetStream
        has not come yet: that copy is only acked (a dead letter is not sent twice)."""
        self._consumed: dict[str, Any] = {}
        """`CONSUMED`'s counter of each outcome (its `labels` took a lock and built the key
        for each message)."""
        self.decodes: SharedDecodes | None = None
        """Shared with the other consumers of the stream in this process (`share_decodes`)."""
        self.worker = WorkerThread(f"consumer {self.durable}")
        """Where its passes run, one at a time (a hop to it costs a third of anyio's)."""

    @property
    def durable(self) -> str:
        return consumer_name(self.service, self.upstream)

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            description=f"{self.service} reads {self.upstream.name}",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
            max_ack_pending=self.batch_size,
            filter_subject=self.upstream.subjects[0] if len(self.upstream.subjects) == 1 else None,
        )

    def consume(self, msg: Msg, tracking: Tracking) -> str:
        """Decode and record one message: "processed", "duplicate" or "ignored".

        Runs in the worker thread, in stream order. Raise PoisonMessage for a message that can
        never succeed, anything else to retry. A consumer of another kind of message
        (reporting's checkpoint witness) overrides this.
        """
        event = self.decode(msg)
        handler = self._handler_for(event)
        if handler is None:
            return "ignored"
        return self._process(handler, event, tracking)

    def decode(self, msg: Msg) -> IntegrationEvent:
        """The contract in `msg` (`envelope.decode`), decoded once for the consumers that share
        its stream."""
        if self.decodes is None:
            return decode(msg.headers, msg.data)
        return self.decodes.decode(msg)

    async def handle(self, msg: Msg, js: JetStreamContext) -> None:
        """Settle one message (a batch of one)."""
        await self.handle_batch([msg], js)

    async def handle_batch(self, msgs: Sequence[Msg], js: JetStreamContext) -> None:
        """Settle fetched messages in stream order: record them in one worker-thread pass and
        ack them; a failing one is retried in place or dead-lettered before any later one is
        touched (see the module's docstring). Returns once every message is acked. Interrupted
        (cancelled, or NATS gone while holding), it naks what it has not settled, in order, so
        that JetStream redelivers them first."""
        # In stream order whatever order they came in (a redelivery may follow newer messages).
        msgs = sorted(msgs, key=lambda msg: msg.metadata.sequence.stream)
        complete = await self._with_what_is_missing(msgs, js)
        if complete is None:
            return
        msgs = await self._ack_copies_of_what_was_read(complete)
        # Deliveries of each message to the handler: JetStream's, then the retries here.
        deliveries = [msg.metadata.num_delivered for msg in msgs]
        for delivered in deliveries:
            if delivered > 1:
                REDELIVERIES.labels(self.service, self.durable).inc()
        settled = 0
        try:
            while settled < len(msgs):
                done, failure = await self.worker.run(
                    self._consume_in_order, msgs[settled:], deliveries[settled:]
                )
                for msg in msgs[settled : settled + done]:
                    await self._ack(msg)
                settled += done
                if failure is None:
                    return
                if await self._retry_or_set_aside(js, msgs[settled:], deliveries, settled, failure):
                    settled += 1
        except BaseException:
            await self._give_back(msgs[settled:])
            raise

    def _consume_in_order(
        self, msgs: Sequence[Msg], deliveries: Sequence[int]
    ) -> tuple[int, Exception | None]:
        """How many of `msgs` were recorded, from the first, and what stopped the next one.

        In one transaction where the store allows (`shared.platform.storebatch`), each message
        in a savepoint of its own: a failing message leaves nothing, the ones before it are
        committed (and only they are counted), and a commit that fails counts none of what
        it held."""
        batches = self.app.batches
        if batches is None:
            for index, (msg, delivered) in enumerate(zip(msgs, deliveries, strict=True)):
                try:
                    self._consume_one(msg, delivered)
                except Exception as error:
                    return index, error
            return len(msgs), None
        batch: Batch | None = None
        if len(msgs) == 1:
            return self._consume_alone(msgs[0], deliveries[0], batches)
        try:
            with self.app.consumer_lock, batches.batch() as batch:
                for index, (msg, delivered) in enumerate(zip(msgs, deliveries, strict=True)):
                    try:
                        with batch.step():
                            self._consume_one(msg, delivered)
                    except CommitFailed:
                        raise
                    except Exception as error:
                        self.app.forget_uncommitted()
                        return index, error  # leaving the batch commits the ones before
            return len(msgs), None
        except CommitFailed as error:  # StoreNotRegained too: the pass ends at what it counted
            self.app.forget_uncommitted()
            log.warning("a batch of %s ended: %s", self.upstream.name, error)
            return (batch.committed if batch is not None else 0), error

    def _consume_alone(
        self, msg: Msg, delivered: int, batches: StoreBatches
    ) -> tuple[int, Exception | None]:
        """`_consume_in_order` of a pass of one message (a steady feed's every fetch): the
        batch's transaction is the message's savepoint, since nothing before it is to be kept
        when it fails; what the message wrote is rolled back with it all the same."""
        try:
            with self.app.consumer_lock, batches.batch():
                self._consume_one(msg, delivered)
        except Exception as error:  # CommitFailed too: nothing of it was committed
            self.app.forget_uncommitted()
            if isinstance(error, CommitFailed):
                log.warning("a batch of %s ended: %s", self.upstream.name, error)
            return 0, error
        return 1, None

    def _consume_one(self, msg: Msg, delivered: int) -> None:
        """Record one message in the trace it carries (`traceparent`), so that its
        consequences join that trace; count and log its outcome."""
        headers = msg.headers or {}
        meta = msg.metadata
        position = meta.sequence.stream
        with tracing.consuming(
            headers,
            f"consume {msg.subject}",
            **{"messaging.system": "nats", "messaging.destination.name": msg.subject},
            **{"messaging.consumer.group.name": self.durable},
        ):
            outcome = self.consume(msg, Tracking(self.upstream.name, position))
            self._count(outcome)
            log.info(
                "consumed %s %s",
                headers.get(CE_TYPE, msg.subject),
                outcome,
                extra={
                    "message_type": headers.get(CE_TYPE),
                    "event_id": headers.get(CE_ID),
                    "consumer": self.durable,
                    "upstream_stream": meta.stream,
                    "upstream_seq": position,
                    "deliveries": delivered,
                    "outcome": outcome,
                },
            )

    def _count(self, outcome: str) -> None:
        """One settled message in the metrics and the stats, by its outcome."""
        counter = self._consumed.get(outcome)
        if counter is None:
            counter = self._consumed[outcome] = CONSUMED.labels(self.service, self.durable, outcome)
        counter.inc()
        if outcome == "ignored":
            self.stats.ignored += 1
        elif outcome == "duplicate":
            self.stats.duplicates += 1
        else:
            self.stats.processed += 1

    async def _retry_or_set_aside(
        self,
        js: JetStreamContext,
        held: Sequence[Msg],
        deliveries: list[int],
        index: int,
        failure: Exception,
    ) -> bool:
        """Deal with `held[0]` (at `index` of the batch), which failed: True once it is
        dead-lettered and acked, False after waiting to deliver it to the handler again."""
        msg = held[0]
        position = msg.metadata.sequence.stream
        if isinstance(failure, PoisonMessage):
            await self._set_aside(js, held, failure.reason, deliveries[index])
            return True
        self.stats.last_error = f"{type(failure).__name__}: {failure}"
        delivered = deliveries[index]
        if delivered >= self.max_deliver:
            reason = f"gave up after {delivered} deliveries: {self.stats.last_error}"
            await self._set_aside(js, held, reason, delivered)
            return True
        self.stats.retried += 1
        delay = min(0.25 * 2 ** (delivered - 1), 10.0)
        log.warning(
            "retrying %s seq %d in %.2fs (%d later messages wait): %s",
            self.upstream.name,
            position,
            delay,
            len(held) - 1,
            self.stats.last_error,
        )
        await self._hold(held, delay)
        deliveries[index] += 1
        REDELIVERIES.labels(self.service, self.durable).inc()
        return False

    async def _set_aside(
        self, js: JetStreamContext, held: Sequence[Msg], reason: str, deliveries: int
    ) -> None:
        """Dead-letter and ack `held[0]`; while the dead letter cannot be published (NATS
        away), hold the batch and try again, so that nothing after it moves first."""
        msg = held[0]
        attempt = 0
        while True:
            try:
                await self.dead_letter(js, msg, reason, deliveries=deliveries)
                break
            except Exception as error:
                attempt += 1
                log.warning("dead letter of %s not published yet: %s", msg.subject, error)
                await self._hold(held, min(0.5 * attempt, 5.0))
        await self._ack(msg)

    async def resume_from(self, ack_floor: int) -> None:
        """Before the first batch of this process: everything up to the durable's `ack_floor`
        was acked, and everything up to the store's tracking was recorded (a message acked
        without a record, ignored or dead-lettered, can put the floor ahead of the store)."""
        if self.acked_through is not None:
            return
        recorded = await anyio.to_thread.run_sync(self.app.recorded_position, self.upstream.name)
        settled = max(ack_floor, recorded or 0)
        self.acked_through = settled or None  # a fresh durable: nothing to hold a batch to

    async def _ack_copies_of_what_was_read(self, msgs: Sequence[Msg]) -> Sequence[Msg]:
        """Ack, as duplicates, JetStream's deliveries of messages already settled from the
        stream; the rest of the batch, in order."""
        rest: list[Msg] = []
        for msg in msgs:
            seq = msg.metadata.sequence.stream
            if isinstance(msg, StoredMessage) or seq not in self._read_and_settled:
                rest.append(msg)
                continue
            self._read_and_settled.discard(seq)
            await msg.ack()
            self._count("duplicate")
        return rest

    async def _ack(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        if isinstance(msg, StoredMessage):
            if len(self._read_and_settled) >= MAX_READ_FROM_STREAM:  # copies that never came
                self._read_and_settled.discard(min(self._read_and_settled))
            self._read_and_settled.add(seq)
        await msg.ack()
        if self.acked_through is None or seq > self.acked_through:  # a duplicate is behind
            self.acked_through = seq

    async def _with_what_is_missing(
        self, msgs: Sequence[Msg], js: JetStreamContext
    ) -> Sequence[Msg] | None:
        """The batch with every sequence between the last one settled and its last message,
        those JetStream has not delivered read from the stream; None when they could not be
        read and the batch was given back to wait for them (see the module's docstring)."""
        have = {msg.metadata.sequence.stream for msg in msgs}
        last = msgs[-1].metadata.sequence.stream
        start = (
            msgs[0].metadata.sequence.stream
            if self.acked_through is None
            else (self.acked_through + 1)
        )
        missing = [seq for seq in range(start, last) if seq not in have]
        if not missing:
            self._waiting_since = None
            return msgs
        log.warning(
            "%s: stream seq %d..%d delivered without %d of the sequences before them, handed "
            "out and not settled; reading those from %s",
            self.durable,
            msgs[0].metadata.sequence.stream,
            last,
            len(missing),
            self.upstream.name,
        )
        if len(missing) <= MAX_READ_FROM_STREAM:
            try:
                stored = await self._read_from_stream(js, missing)
            except Exception as error:  # the stream unreadable now: JetStream will redeliver
                log.warning("%s: %s not read (%s)", self.durable, self.upstream.name, error)
            else:
                self._waiting_since = None
                both: list[Any] = [*msgs, *stored]
                return sorted(both, key=lambda msg: msg.metadata.sequence.stream)
        return None if await self._wait_for_redelivery(msgs, missing[0]) else msgs

    async def _read_from_stream(
        self, js: JetStreamContext, seqs: Sequence[int]
    ) -> list[StoredMessage]:
        """The messages at `seqs` that the stream still holds, in order; a deleted one is
        passed over, and logged."""
        stored: list[StoredMessage] = []
        for seq in seqs:
            try:
                raw = await js.get_msg(self.upstream.name, seq=seq)
            except NotFoundError:
                log.error(
                    "%s: stream seq %d is not in %s (deleted); going on without it",
                    self.durable,
                    seq,
                    self.upstream.name,
                )
                continue
            stored.append(StoredMessage(raw, self.upstream.name, self.durable))
        return stored

    async def _wait_for_redelivery(self, msgs: Sequence[Msg], missing: int) -> bool:
        """Give the batch back until `missing` has come; after twice the ack wait, go on
        without it (the stream could not be read to tell whether it was deleted)."""
        first = msgs[0].metadata.sequence.stream
        now = asyncio.get_running_loop().time()
        if self._waiting_since is None or self._waiting_since[0] != missing:
            self._waiting_since = (missing, now)
        if now - self._waiting_since[1] >= 2 * self.ack_wait:
            log.error(
                "%s: stream seq %d never came back after %.0fs (deleted from %s?); going on "
                "from %d without it",
                self.durable,
                missing,
                now - self._waiting_since[1],
                self.upstream.name,
                first,
            )
            self._waiting_since = None
            return False
        await self._give_back(msgs, delay=self.ack_wait)
        return True

    async def _hold(self, held: Sequence[Msg], seconds: float) -> None:
        """Wait `seconds` holding `held`: JetStream is told they are in progress often enough
        that none of them is redelivered meanwhile."""
        remaining = seconds
        while True:
            for msg in held:
                await msg.in_progress()
            if remaining <= 0:
                return
            nap = min(remaining, max(self.ack_wait / 3, 0.01))
            await asyncio.sleep(nap)
            remaining -= nap

    async def _give_back(self, msgs: Sequence[Msg], delay: float | None = None) -> None:
        """Nak what was not settled, in order, to be redelivered after `delay` seconds (at once
        without); best effort: what is not naked comes back after the ack wait."""
        for msg in msgs:
            with contextlib.suppress(Exception):
                await msg.nak(delay=delay)

    def _handler_for(self, event: IntegrationEvent) -> Handler | None:
        return self.handlers.get(event.type, self.archive_all)

    def _process(self, handler: Handler, event: IntegrationEvent, tracking: Tracking) -> str:
        with self.app.consumer_lock:
            if self.app.has_processed(tracking.application_name, tracking.notification_id):
                return "duplicate"
            try:
                handler(event, tracking)
            except IntegrityError:
                if self.app.has_processed(tracking.application_name, tracking.notification_id):
                    return "duplicate"
                raise
        return "processed"

    async def dead_letter(
        self, js: JetStreamContext, msg: Msg, reason: str, *, deliveries: int | None = None
    ) -> None:
        """Publish `msg` to the service's dead letters with why, and raise the alarm;
        `deliveries`: to the handler, if more than JetStream's (retries in place)."""
        meta = msg.metadata
        headers: dict[str, Any] = {
            k: v for k, v in (msg.headers or {}).items() if k.lower().startswith("ce-")
        }
        headers.update(
            {
                MSG_ID: f"{self.service}-{meta.stream}-{meta.sequence.stream}",
                "d73-reason": reason[:4000],
                "d73-origin-subject": msg.subject,
                "d73-origin-stream": meta.stream,
                "d73-origin-seq": str(meta.sequence.stream),
                "d73-deliveries": str(deliveries or meta.num_delivered),
                "d73-consumer": self.durable,
                "d73-dead-lettered-at": datetime.now(UTC).isoformat(),
            }
        )
        await js.publish(deadletter_subject(self.service), msg.data, headers=headers, timeout=5.0)
        self.stats.dead_lettered += 1
        DEAD_LETTERS.labels(self.service, self.durable).inc()
        CONSUMED.labels(self.service, self.durable, "dead-lettered").inc()
        self.stats.dead_letter_reasons.append(reason)
        log.error("dead-lettered %s seq %d: %s", meta.stream, meta.sequence.stream, reason)
        if self.notices is not None:
            self.notices.notice(
                NoticeKind.DEAD_LETTERED,
                self.durable,
                f"{meta.stream} seq {meta.sequence.stream}: {reason[:1000]}",
            )
