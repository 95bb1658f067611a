"""The messaging side of a service: broker, streams, outbox relay and tracked consumers.

A FastAPI lifespan starts and stops it (option 1 of stack-notes §2.4: plain lifespan). faststream
holds the connection; the relay publishes through it with nats-py so that it can await each
PubAck and read the stream's last message, and each consumer pulls its batches through it
(`shared.platform.pulling`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import anyio.to_thread
from eventsourcing.domain import DomainEventProtocol
from faststream.nats import NatsBroker
from faststream.security import SASLPlaintext
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from shared.contracts import IntegrationEvent
from shared.contracts.audit import LogHeartbeat, ServiceAlarm
from shared.contracts.base import Published
from shared.contracts.public import to_public
from shared.contracts.witness import WitnessMessage
from shared.platform.asyncapi import asyncapi_document
from shared.platform.consumer import TrackedConsumer
from shared.platform.envelope import encode_message
from shared.platform.eventstore import ServiceApplication
from shared.platform.halt import (
    ALARMING,
    HaltKind,
    HaltReason,
    Notice,
    ServiceHalt,
    ServiceNotices,
)
from shared.platform.jobs import Finished, Job, every
from shared.platform.metrics import (
    CONSUMER_ACK_PENDING,
    CONSUMER_PENDING,
    RELAY_LAG,
    RELAY_POSITION,
    STORE_POSITION,
)
from shared.platform.outbox import ByEventType, OutboxRelay, Translate
from shared.platform.pipeline import frame_headers_faster
from shared.platform.ports import LogTampered, Records, VerifiableLog
from shared.platform.pulling import PullLoop
from shared.platform.settings import Settings
from shared.platform.subjects import (
    AUDIT_STREAM,
    DEADLETTER_STREAM,
    JOURNAL_OF_SERVICE,
    PUBLIC_STREAM_OF_SERVICE,
    STREAM_OF_SERVICE,
    STREAMS,
    StreamSpec,
    inbox_prefix,
)

log = logging.getLogger("d73.runtime")


def public_view(translate: Translate) -> Translate:
    """The translation of a stored event to its public contract (None when not public)."""

    if isinstance(translate, ByEventType):  # nothing else has a public view either
        return translate.with_view(_public_of)

    def to_public_contract(event: DomainEventProtocol[UUID], position: int) -> Published | None:
        full = translate(event, position)
        return None if full is None else _public_of(full)

    return to_public_contract


def _public_of(full: Published) -> Published | None:
    return to_public(full) if isinstance(full, IntegrationEvent) else None


STREAM_WAIT_LOG_SECONDS = 10.0


def _drift(current: StreamConfig, spec: StreamSpec, replicas: int) -> list[str]:
    """What of a stream's configuration differs from its spec (empty: nothing)."""
    wanted = spec.config(replicas=replicas)

    def limit(value: object) -> object:
        return None if value in (None, -1, 0) else value  # the server says -1 for "no limit"

    fields = ("duplicate_window", "max_age", "num_replicas", "max_msgs", "max_bytes")
    drift = [f for f in fields if limit(getattr(current, f)) != limit(getattr(wanted, f))]
    if list(current.subjects or []) != list(spec.subjects):
        drift.insert(0, "subjects")
    return drift


async def _stream_config(js: JetStreamContext, name: str) -> StreamConfig | None:
    try:
        return (await js.stream_info(name)).config
    except NotFoundError:
        return None


async def ensure_streams(
    js: JetStreamContext,
    service: str,
    needed: list[StreamSpec],
    replicas: int = 1,
    *,
    secured: bool = False,
) -> None:
    """Make sure the streams a service uses exist; a service never updates a stream.

    The owner creates its stream when it is missing. On a server with accounts (`secured`) a
    service may create nothing else (services/cli/natsconfig.py): it waits for the owner, or the
    operator's `d73 streams`, to create the others. On a bare development server it creates any
    missing one, as the owner would. A stream that differs from its spec is reported, not
    changed: an update could shrink its limits and erase history, so only the NATS admin
    applies one (issue #11.3); without accounts the owner still applies it.
    """
    for spec in needed:
        current = await _stream_config(js, spec.name)
        if current is None and (spec.owner == service or not secured):
            await js.add_stream(spec.config(replicas=replicas))
            log.info("created stream %s", spec.name)
            continue
        waited = 0.0
        while current is None:
            if waited % STREAM_WAIT_LOG_SECONDS == 0:
                log.warning("waiting for stream %s (created by %s)", spec.name, spec.owner)
            await asyncio.sleep(0.5)
            waited += 0.5
            current = await _stream_config(js, spec.name)
        drift = _drift(current, spec, replicas) if spec.owner == service else []
        if drift and secured:
            log.error(
                "stream %s differs from its spec (%s); the NATS admin applies it: d73 streams",
                spec.name,
                ", ".join(drift),
            )
        elif drift:
            await js.update_stream(spec.config(replicas=replicas))
            log.info("updated stream %s to its spec", spec.name)


async def provision_streams(js: JetStreamContext, replicas: int = 1) -> list[str]:
    """The operator's step (NATS admin): every stream created or brought to its spec.

    Returns what it did, one line per stream."""
    done = []
    for spec in STREAMS:
        current = await _stream_config(js, spec.name)
        if current is None:
            await js.add_stream(spec.config(replicas=replicas))
            done.append(f"created {spec.name}")
        elif drift := _drift(current, spec, replicas):
            await js.update_stream(spec.config(replicas=replicas))
            done.append(f"updated {spec.name} ({', '.join(drift)})")
        else:
            done.append(f"{spec.name} as specified")
    return done


class ServiceRuntime:
    def __init__(
        self,
        *,
        service: str,
        version: str,
        settings: Settings,
        app: ServiceApplication,
        translate: Translate | None,
        published: tuple[type[IntegrationEvent] | type[WitnessMessage], ...],
        consumers: list[TrackedConsumer],
        background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
        stream: StreamSpec | None = None,
        relay_topics: Sequence[str] = (),
        audited: bool = False,
        records: Records,
    ) -> None:
        """`stream`: the stream the relay publishes to, for a service not of
        `STREAM_OF_SERVICE` (reporting). A service of `STREAM_OF_SERVICE` publishes to its own
        and keeps a verifiable log; another keeps one when `audited` (reporting's archive:
        issue #12 §6), its relay then reading every stored event instead of `relay_topics`.
        `records`: the signed log, the journal and the schema steps (`shared.records.keeping`),
        which the platform knows only by their protocols (`shared.platform.ports`)."""
        self.service = service
        self.settings = settings
        self.app = app
        security = (
            SASLPlaintext(username=settings.nats_user, password=settings.nats_password or "")
            if settings.nats_user
            else None
        )
        self.broker = NatsBroker(
            settings.nats_servers,
            name=f"d73-{service}",
            security=security,
            inbox_prefix=inbox_prefix(service),
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
            logger=logging.getLogger("d73.broker"),
            log_level=logging.DEBUG,
        )
        self.consumers = consumers
        self.halt = ServiceHalt(service)
        """Why the service refuses commands, if it does (`shared.platform.halt`)."""
        self.notices = ServiceNotices(service)
        """What the service set aside and went on past (dead letters): alarms that do not halt."""
        self._announced: set[tuple[str, str]] = set()
        self._connected_since: datetime | None = None
        """Since when the heartbeat has found NATS reachable without a break."""
        self._said: tuple[int, bool, bool] | None = None
        """What the last heartbeat sent said: (log due, accepting, owing)."""
        own = stream or STREAM_OF_SERVICE.get(service)
        publishing = service in STREAM_OF_SERVICE
        audited = (publishing or audited) and translate is not None
        self.records = records
        self.audit_log: VerifiableLog | None = (
            records.log(service, app, settings) if audited else None
        )
        """The service's verifiable log (issue #6): every service publishing proposal events
        keeps one."""
        self.own_stream = own
        public = PUBLIC_STREAM_OF_SERVICE.get(service)
        if own is not None and public is not None and isinstance(translate, ByEventType):
            # The two relays below publish the same events: each is decoded and translated once.
            translate = translate.remembering()
        self.relay = (
            OutboxRelay(
                app,
                service,
                own,
                translate,
                audit=self.audit_log,
                topics=() if audited else relay_topics,
                poll_seconds=settings.relay_poll_seconds,
                halt=self.halt,
                journal=records.journal(service, app) if service in JOURNAL_OF_SERVICE else None,
                log_heads=publishing,
            )
            if own is not None and translate is not None
            else None
        )
        self.public_relay = (
            OutboxRelay(
                app,
                service,
                public,
                public_view(translate),
                poll_seconds=settings.relay_poll_seconds,
                gate=self.halt,
            )
            if public is not None and translate is not None and self.relay is not None
            else None
        )
        """Publishes the public view of the same events (`shared.contracts.public`) to the
        service's public stream, which ordinary agencies read; it resumes from that stream, and
        stops while the service is halted (its `gate`)."""
        self._tasks: list[asyncio.Task[None]] = []
        self.background = list(background)
        """Long-running jobs of the service (a deadline scheduler…), started after the broker."""
        self._js: JetStreamContext | None = None
        for consumer in consumers:
            consumer.notices = self.notices
            consumer.batch_size = settings.consumer_batch_size
        self.version = version
        self.published = published

    def needed_streams(self) -> list[StreamSpec]:
        own = self.own_stream
        names = {own.name} if own else set()
        names |= {c.upstream.name for c in self.consumers}
        names.add(DEADLETTER_STREAM.name)
        names.add(AUDIT_STREAM.name)  # alarms, and checkpoints with a log
        if self.relay is not None and self.relay.journal is not None:
            names.add(self.relay.journal.stream)
        return [s for s in STREAMS if s.name in names or s.owner == self.service]

    async def start(self) -> None:
        # The schema steps this store lacks, first; a store from a newer release stops the start.
        await anyio.to_thread.run_sync(self.records.migrate, self.service, self.app)
        if self.audit_log is not None:
            try:
                # The key (generated on first run) and the checkpoint table, before anything.
                await anyio.to_thread.run_sync(self.audit_log.open)
            except LogTampered as error:
                log.critical("the audit log of %s cannot be trusted: %s", self.service, error)
        await self.broker.connect()
        frame_headers_faster(self.broker.connection)
        self._js = self.broker.connection.jetstream()
        await ensure_streams(
            self._js,
            self.service,
            self.needed_streams(),
            self.settings.stream_replicas,
            secured=self.settings.nats_user is not None,
        )
        if self.relay is not None and self.relay.journal is not None:
            # Before any consumer writes: a restored store takes back what it lost first.
            try:
                await self.relay.recover(self._js)
            except Exception as error:  # the relay tries again, and halts if it must
                log.error("%s could not recover from its journal yet: %s", self.service, error)
        await self.broker.start()
        for consumer in self.consumers:
            loop = PullLoop(
                consumer,
                self.broker.connection,
                self._js,
                # Fetches are answered on the service's private inbox (services/cli/natsconfig.py).
                inbox_prefix=f"{inbox_prefix(self.service)}.".encode(),
            )
            self._tasks.append(asyncio.create_task(loop.run()))
        if self.relay is not None:
            self.halt.halt(HaltKind.STARTING, "the relay has not checked the store yet")
            self._tasks.append(asyncio.create_task(self.relay.run(self._js)))
            await self._checked_at_start()
        if self.public_relay is not None:
            self._tasks.append(asyncio.create_task(self.public_relay.run(self._js)))
        announce = every(1.0, partial(self._announce_halts, self._js), log=log, what="alarms")
        self._tasks.append(asyncio.create_task(announce()))
        if self.heartbeat() is not None:
            self._tasks.append(asyncio.create_task(self.heartbeat_job(self._js)()))
        for job in self.background:
            self._tasks.append(asyncio.create_task(job()))
        watch = every(2.0, self._measure_lag, log=log, what="measuring lag", expected_failures=True)
        self._tasks.append(asyncio.create_task(watch()))

    async def _checked_at_start(self, within: float = 10.0) -> None:
        """Wait (a while) for the relay's first check of the store, so that the first request
        meets a service that knows whether it may take commands; a long rebuild goes on
        behind a 503."""
        deadline = asyncio.get_running_loop().time() + within
        while self.halt.holds(HaltKind.STARTING) and not any(
            reason.kind in ALARMING for reason in self.halt.reasons
        ):
            if asyncio.get_running_loop().time() > deadline:
                log.warning("%s still checking its store: commands wait", self.service)
                return
            await asyncio.sleep(0.05)

    async def _announce_halts(self, js: JetStreamContext) -> None:
        """One round, every second: publish an alarm for each halt when it is found (again
        after a failed try), and for what was set aside (`notices`, at most one per kind and
        source a minute)."""
        for notice in self.notices.due(asyncio.get_running_loop().time()):
            try:
                await self.publish_notice(js, notice)
            except Exception as error:  # NATS away: keep it for the next round
                self.notices.put_back(notice)
                log.warning("the alarm of %s is not published yet: %s", self.service, error)
        for reason in self.halt.reasons:
            key = (str(reason.kind), reason.since)
            if key in self._announced or reason.kind not in ALARMING:
                continue
            try:
                await self.publish_alarm(js, reason)
                self._announced.add(key)
            except Exception as error:  # NATS away: the halt stands, try again
                log.warning("the alarm of %s is not published yet: %s", self.service, error)

    async def publish_alarm(self, js: JetStreamContext, reason: HaltReason) -> None:
        await self._publish(
            js,
            f"halt/{reason.kind}/{reason.since}",
            kind=str(reason.kind),
            title=reason.title,
            action=reason.action,
            detail=reason.detail,
            since=reason.since,
        )
        log.critical("%s halted (%s): alarm published", self.service, reason.kind)

    async def publish_notice(self, js: JetStreamContext, notice: Notice) -> None:
        """An alarm that does not halt (issue #11 §2): a dead letter, a projection that set an
        event aside. Reporting's witness keeps it and shows it on `/audit/alarms`."""
        await self._publish(
            js,
            f"notice/{notice.kind}/{notice.source}/{notice.since}",
            kind=str(notice.kind),
            title=notice.title,
            action=notice.action,
            detail=f"{notice.source}: {notice.detail}",
            since=notice.since,
        )
        log.error("%s %s (%d): alarm published", self.service, notice.kind, notice.count)

    async def _publish(self, js: JetStreamContext, key: str, **fields: str) -> None:
        """One `ServiceAlarm` on `d73.audit.alarm.<service>`; its id (and so its Nats-Msg-Id)
        follows from `key`, so a retry is not a second alarm."""
        alarm = ServiceAlarm(
            id=uuid5(NAMESPACE_URL, f"/d73/{self.service}/{key}"),
            occurred_at=datetime.fromisoformat(fields["since"]),
            service=self.service,
            **fields,
        )
        body, headers = encode_message(alarm, self.service, subject=self.service)
        await js.publish(
            alarm.subject(), body, timeout=5.0, stream=AUDIT_STREAM.name, headers=headers
        )

    def heartbeat(self) -> LogHeartbeat | None:
        """What the witness needs to tell a stalled log (issue #12 §3): whether the service
        takes commands and how many entries its log must reach; None for a service whose log
        is not witnessed (reporting's own)."""
        relay = self.relay
        if relay is None or relay.audit is None or self.service not in STREAM_OF_SERVICE:
            return None
        return LogHeartbeat(
            id=uuid4(),
            occurred_at=datetime.now(UTC),
            service=self.service,
            accepting=not self.halt.halted,
            log_due=relay.log_due(),
            signed_size=relay.checkpoint_size,
            checkpoint_every_seconds=self.settings.checkpoint_every_seconds,
            connected_since=self._connected_since,
        )

    def heartbeat_job(self, js: JetStreamContext) -> Job:
        """The heartbeat loop: the first beat one period after the start, then one a period;
        a beat not sent (NATS away, the store busy) is one debug line, the next says it."""
        return every(
            self.settings.heartbeat_seconds,
            partial(self._beat, js),
            log=log,
            what=f"{self.service} heartbeat not sent",
            expected_failures=True,
            wait_first=True,
        )

    async def _beat(self, js: JetStreamContext) -> None:
        """One heartbeat round, every `heartbeat_seconds` after the first wait: send the
        heartbeat while the log owes a checkpoint, and once whenever what it says changes (so
        the witness also hears that the debt was paid); an idle service whose log is all signed
        sends nothing. `_said` remembers the last beat sent; a service with no witnessed log
        (no heartbeat) ends the loop."""
        if not self.nats_connected:
            self._connected_since = None  # nothing could leave meanwhile: no stall to judge
            return
        if self._connected_since is None:
            self._connected_since = datetime.now(UTC)
        try:
            beat = await anyio.to_thread.run_sync(self.heartbeat)
            if beat is None:
                raise Finished
            owing = beat.log_due > beat.signed_size
            now = (beat.log_due, beat.accepting, owing)
            if now == self._said and not owing:
                return
            body, headers = encode_message(beat, self.service, subject=self.service)
            await js.publish(
                beat.subject(), body, timeout=5.0, stream=AUDIT_STREAM.name, headers=headers
            )
            self._said = now
        except Finished:
            raise
        except Exception:  # NATS away, or the store busy: the next beat says it
            self._connected_since = None
            raise

    async def _measure_lag(self) -> None:
        """One round, every two seconds (a broker away for a moment: the next one measures):
        keep the lag gauges of /metrics current, the relay's (store − published) and each
        consumer's (what JetStream has not delivered yet, or has not had acknowledged)."""
        stored = await anyio.to_thread.run_sync(self.app.recorder.max_notification_id) or 0
        STORE_POSITION.labels(self.service).set(stored)
        relay = self.relay
        if relay is not None:
            RELAY_POSITION.labels(self.service).set(relay.position)
            RELAY_LAG.labels(self.service).set(await anyio.to_thread.run_sync(relay.unpublished))
        if self._js is None:
            return
        for consumer in self.consumers:
            info = await self._js.consumer_info(consumer.upstream.name, consumer.durable)
            CONSUMER_PENDING.labels(self.service, consumer.durable).set(info.num_pending or 0)
            CONSUMER_ACK_PENDING.labels(self.service, consumer.durable).set(
                info.num_ack_pending or 0
            )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._sign_what_was_logged()
        try:
            await self.broker.stop()
        except Exception as error:  # the broker may already be gone; nothing is lost
            log.warning("closing the NATS connection: %s", error)

    async def _sign_what_was_logged(self) -> None:
        """A checkpoint over the entries logged since the last one, kept in the store, when the
        service stops: without it a short run left its events unsigned until the next start
        had run a minute or a thousand events, and `d73 verify` proved none of them. The next
        start publishes it, as it publishes any checkpoint kept and not yet on the stream."""
        audit = self.audit_log
        if audit is None:
            return
        try:
            signed = await anyio.to_thread.run_sync(partial(audit.sign, when_due=False))
        except Exception as error:  # a log not open, a store gone: nothing more to sign
            log.warning("no checkpoint signed on stopping %s: %s", self.service, error)
            return
        if signed is not None:
            log.info("signed checkpoint %d on stopping %s", signed.tree_size, self.service)

    @property
    def nats_connected(self) -> bool:
        try:
            return bool(self.broker.connection.is_connected)
        except Exception:
            return False

    def asyncapi(self) -> dict[str, Any]:
        """The service's AsyncAPI 3 document (`shared.platform.asyncapi`), the same wherever it
        runs."""
        return asyncapi_document(
            service=self.service,
            version=self.version,
            published=self.published,
            stream=self.own_stream,
            audited=self.audit_log is not None,
            consumed=[consumer.upstream for consumer in self.consumers],
        )
