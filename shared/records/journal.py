"""The journal: every stored event of a publishing service, as stored, in JetStream (issue #12 §2).

A service's public stream holds what the world may see; its private events (drafts, receipts)
travel there only as leaf hashes. A store restored from a backup has lost whatever was
committed after the backup — acknowledged commands, private ones included — and the signed log
covers them. So the relay also publishes each stored event, before the public event it may
make, on `d73.journal.<service>` in its stream D73_<SERVICE>_JOURNAL (never shared with
agencies): its notification id, originator, version, topic and stored state.

One journal message carries a run of stored events in notification order (issue #19 §1): the
events a relay batch sends, up to `JOURNAL_EVENTS` of them and `JOURNAL_STATE_BYTES` of stored
state, an event larger than that alone. nats-server writes each message to disk before it acks
(`sync_interval: always`), so a message per event cost a disk write per event; a run costs one.
Its `d73-position` header is the last event's notification id and `d73-first-position` the
first's, so the journal stays searchable by position; `Nats-Msg-Id` names the run, so a copy
republished after a lost ack is dropped. A message of an earlier release holds one event (its
body the event itself) and is read as such.

On start, before anything else and before commands are taken, the relay recovers: when the
journal goes further than the store, and the journal's event at the store's last notification id
is the store's own (same originator and version), the journal's later events are written back
into the store with their own notification ids, in order. The store is then what it was before
the restore; the log is rebuilt from it and checked against every checkpoint signed and the
stream's last event (`shared.platform.outbox`), so a journal that does not hold the signed history
is found there, not trusted. A store that does not match the journal is not touched: the relay
halts the service (`relay-diverged`) instead.
"""

from __future__ import annotations

import base64
import logging
from binascii import b2a_base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import orjson
from eventsourcing.application import Application
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

from shared.platform.envelope import MSG_ID, POSITION
from shared.platform.eventstore import events_table
from shared.platform.pipeline import PipelinedPublisher, newest_positioned, position_in
from shared.platform.subjects import JOURNAL_OF_SERVICE
from shared.records.servicelog.entries import event_id_text

log = logging.getLogger("d73.journal")


def journal_subject(service: str) -> str:
    return f"d73.journal.{service}"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One stored event as the journal carries it."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


JOURNAL_EVENTS = 256
"""Stored events in one journal message at most."""
JOURNAL_STATE_BYTES = 384 * 1024
"""Stored state in one journal message at most (base64 makes it 4/3 larger, far below
`NATS_MAX_PAYLOAD`); a single event larger than this goes alone, as it always could."""
FIRST_POSITION = "d73-first-position"


def journal_runs(records: Sequence[Any]) -> list[Sequence[Any]]:
    """`records` (stored events in notification order) cut into the runs of one message each."""
    runs: list[Sequence[Any]] = []
    start, size = 0, 0
    for index, record in enumerate(records):
        state = len(record.state)
        if index > start and (
            index - start >= JOURNAL_EVENTS or size + state > JOURNAL_STATE_BYTES
        ):
            runs.append(records[start:index])
            start, size = index, 0
        size += state
    if start < len(records):
        runs.append(records[start:])
    return runs


def journal_message(service: str, records: Sequence[Any]) -> tuple[str, bytes, dict[str, str]]:
    """Subject, body and headers of the journal message of a run of stored events
    (Notifications, in notification order)."""
    first, last = records[0], records[-1]
    body = orjson.dumps(
        {
            "events": [
                {
                    "position": record.id,
                    "originator_id": str(record.originator_id),
                    "originator_version": record.originator_version,
                    "topic": record.topic,
                    "state": b2a_base64(record.state, newline=False).decode("ascii"),
                }
                for record in records
            ]
        }
    )
    originator = first.originator_id
    if type(originator) is not UUID:  # a store's own spelling: the id as `UUID` writes it
        originator = UUID(str(originator))
    first_id = event_id_text(service, originator, first.originator_version)
    headers = {
        MSG_ID: f"journal-{first_id}-{first.id}-{last.id}",
        POSITION: str(last.id),
        FIRST_POSITION: str(first.id),
    }
    return journal_subject(service), body, headers


class StreamMessage(Protocol):
    """A message read from the journal's stream (nats-py's kinds of them, a test's copy)."""

    @property
    def headers(self) -> Mapping[str, str] | None: ...

    @property
    def data(self) -> bytes | None: ...


def read_journal_message(msg: StreamMessage) -> list[JournalEntry]:
    """The stored events of one journal message, in notification order."""
    data = orjson.loads(msg.data or b"{}")
    if "events" not in data:  # an earlier release's message: one event, at its position
        data = {"events": [{**data, "position": int((msg.headers or {})[POSITION])}]}
    return [
        JournalEntry(
            notification_id=int(event["position"]),
            originator_id=UUID(event["originator_id"]),
            originator_version=int(event["originator_version"]),
            topic=str(event["topic"]),
            state=base64.b64decode(event["state"]),
        )
        for event in data["events"]
    ]


class Journal:
    """One service's journal: what the relay writes and what a restored store recovers from."""

    def __init__(self, service: str, app: Application[UUID]) -> None:
        self.service = service
        self.app = app
        self.subject = journal_subject(service)
        self.stream = JOURNAL_OF_SERVICE[service].name
        self._publisher: PipelinedPublisher | None = None

    async def publish(self, js: JetStreamContext, records: Sequence[Any], wait: float) -> None:
        """Journal stored events (in notification order), a run per message, all sent at once
        and each acknowledged before this returns. They are one pipelined run
        (`shared.platform.pipeline`): the journal is read in notification order (`_first_after`
        searches it), so a message lost on the way must not let the ones after it be stored;
        the relay journals them again after a failure."""
        publisher = self._publisher
        if publisher is None or publisher.js is not js or publisher.timeout != wait:
            if publisher is not None:
                await publisher.close()
            publisher = self._publisher = PipelinedPublisher(js, self.stream, wait)
        await publisher.begin()
        try:
            acks = []
            for run in journal_runs(records):
                subject, body, headers = journal_message(self.service, run)
                acks.append(await publisher.send(subject, body, headers))
            for ack in acks:
                await publisher.acknowledged(ack)
        finally:
            publisher.abandon()

    async def _next(self, js: JetStreamContext, seq: int) -> RawStreamMsg | None:
        """The first journal message of this service at or after stream sequence `seq`: one
        without a position was not written by the relay (put there by hand) and is passed over."""
        while True:
            try:
                msg = await js.get_msg(self.stream, seq=seq, subject=self.subject, next=True)
            except NotFoundError:
                return None
            if position_in(msg) is not None:
                return msg
            seq = (msg.seq or seq) + 1

    async def _first_after(self, js: JetStreamContext, position: int, last_seq: int) -> int:
        """The stream sequence of the first message of this service holding an event past
        `position` (its last event's is past it; the journal is in notification order: a
        binary search over sequences)."""
        low, high = 1, last_seq + 1
        while low < high:
            middle = (low + high) // 2
            msg = await self._next(js, middle)
            if msg is None or (position_in(msg) or 0) > position:
                high = middle
            else:
                low = middle + 1
        return low

    async def missing(self, js: JetStreamContext, store_ends_at: int) -> list[JournalEntry]:
        """The journal's events past the store's last notification id, if the store is the
        journal's up to there; [] when nothing is missing or the store is another's."""
        last = await newest_positioned(js, self.stream, self.subject)
        if last is None or (position_in(last) or 0) <= store_ends_at:
            return []
        start = await self._first_after(js, store_ends_at, last.seq or 0)
        if store_ends_at and not await self._agrees_at(js, store_ends_at, last.seq or 0):
            return []
        entries: dict[int, JournalEntry] = {}
        seq = start
        while (msg := await self._next(js, seq)) is not None:
            for entry in read_journal_message(msg):
                if entry.notification_id > store_ends_at:
                    entries.setdefault(entry.notification_id, entry)
            seq = (msg.seq or seq) + 1
        return [entries[position] for position in sorted(entries)]

    async def _agrees_at(self, js: JetStreamContext, position: int, last_seq: int) -> bool:
        """The journal's event at `position` is the store's event there."""
        recorder: Any = self.app.recorder
        stored = recorder.select_notifications(start=position, limit=1, inclusive_of_start=True)
        at = await self._next(js, await self._first_after(js, position - 1, last_seq))
        there = read_journal_message(at) if at is not None else []
        journaled = next((e for e in there if e.notification_id == position), None)
        if not stored or journaled is None:
            log.error("%s: the journal and the store do not both hold %d", self.service, position)
            return False
        if (UUID(str(stored[0].originator_id)), stored[0].originator_version) != (
            journaled.originator_id,
            journaled.originator_version,
        ):
            log.error("%s: the store's event at %d is not the journal's", self.service, position)
            return False
        return True

    async def last_position(self, js: JetStreamContext) -> int:
        """The notification id of the newest journaled event (0 for none)."""
        last = await newest_positioned(js, self.stream, self.subject)
        return 0 if last is None else position_in(last) or 0

    def restore(self, entries: list[JournalEntry]) -> None:
        """Write the journal's events back into the store with their own notification ids, in
        one transaction."""
        if not entries:
            return
        table = events_table(self.app)
        mark = table.mark
        recorder: Any = self.app.recorder
        datastore = recorder.datastore
        with datastore.transaction(commit=True) as cursor:
            for entry in entries:
                cursor.execute(
                    f"INSERT INTO {table.name} ({table.id_column}, originator_id, "
                    f"originator_version, topic, state) VALUES ({mark}, {mark}, {mark}, {mark}, "
                    f"{mark})",
                    (
                        entry.notification_id,
                        table.originator(entry.originator_id),
                        entry.originator_version,
                        entry.topic,
                        entry.state,
                    ),
                )
            if not table.ids_as_hex:  # PostgreSQL: later inserts continue after the last id
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                    f"'{table.id_column}'), {mark})",
                    (entries[-1].notification_id,),
                )
        log.warning(
            "%s: recovered %d events from the journal (positions %d..%d) into a restored store",
            self.service,
            len(entries),
            entries[0].notification_id,
            entries[-1].notification_id,
        )
