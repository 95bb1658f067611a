"""Reporting's commands as objects (issue #13 point 3), for its two stores.

The archive (`ReportingApplication.handle(command, tracking)`): every command comes from a
consumer with its upstream position — `Archive` one received event, `WitnessCheckpoint`,
`WitnessServiceAlarm` and `WitnessHeartbeat` from D73_AUDIT, `Quarantine` a message no contract
accepts. `handle` notes a gap in the stream's sequence first, has the command apply itself to
the records it names, and commits them with the position; `consumers.py` builds the commands.

The notifications (`NotificationsApplication.handle(command, actor, tracking)`), every write to
their store: what a person does on `/notifications` — `ChoosePreferences`, `MarkRead`, and, for
operators, `RetryFailed` (`notifications/api.py` builds them and maps the two refusals to their
problems); on the system's behalf, `NoteCaseEvent` from the notifier with the case event's
upstream position, `RecordEmailSent` and `RecordEmailFailed` from the outbox, `RecordDigest` from
the daily digest, and `BeginStore` once, when the store is new.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.reporting.domain.archive import AlreadyArchived, ProposalArchive, UpstreamWatch
from services.reporting.domain.witness import WitnessedLeaves, WitnessedLog
from services.reporting.notifications.domain import (
    CaseFile,
    Delivery,
    Notification,
    Preferences,
    StoreOrigin,
)
from services.reporting.notifications.kinds import Kind, Mode
from shared.kernel.actor import Actor
from shared.platform.metrics import CHECKPOINTS_WITNESSED
from shared.records.merkle.checkpoint import Checkpoint
from shared.records.servicelog.heads import PublishedHead


def utc_now() -> str:
    return datetime.now(UTC).isoformat()


# ---------------------------------------------------------------- the archive


@dataclass(frozen=True, slots=True)
class LogObservation:
    """What a received event showed of its service's log: its head, or why there is none."""

    service: str
    head: PublishedHead | None
    malformed: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command changed, in the order it is committed, and whether it kept anything new
    (False: a redelivery or reporting's own message, acked all the same)."""

    changed: Sequence[Aggregate | None]
    kept: bool


class ArchiveContext(Protocol):
    """What an archive command reads besides its input (`ReportingApplication.handle`)."""

    @property
    def upstream_stream(self) -> str: ...

    @property
    def upstream_seq(self) -> int: ...

    @property
    def gap(self) -> UpstreamWatch | None:
        """The stream's watch with the gap this message revealed, if it revealed one."""
        ...

    @property
    def service(self) -> str:
        """Reporting's own name: a witness does not witness itself."""
        ...

    @property
    def stall_grace_seconds(self) -> float: ...

    def watch(self, stream: str) -> UpstreamWatch: ...

    def archive_of(self, proposal_id: UUID) -> ProposalArchive: ...

    def witnessed_log(self, service: str) -> WitnessedLog: ...

    def witnessed_leaves(self, service: str) -> WitnessedLeaves: ...

    def trusted_keys(self, service: str, key_id: str) -> Mapping[str, Any]:
        """The public keys this witness trusts for `service`'s checkpoints."""
        ...

    def cosign(self, verified: Checkpoint) -> Mapping[str, Any] | None:
        """This witness's cosignature of a verified checkpoint, if it holds a key."""
        ...


class ArchiveCommand:
    """One message an upstream stream delivered to reporting."""

    @property
    def event_id(self) -> str | None:
        """The message's id, named by the gap alarm it may reveal."""
        raise NotImplementedError

    def apply(self, ctx: ArchiveContext) -> Outcome:
        raise NotImplementedError


@dataclass(frozen=True)
class Archive(ArchiveCommand):
    """Keep one received event with where it came from; with `observed`, the witness also
    follows the service's log through the event. A redelivered event keeps only the position."""

    body: Mapping[str, Any]
    observed: LogObservation | None = None

    @property
    def event_id(self) -> str:
        return str(self.body["id"])

    def apply(self, ctx: ArchiveContext) -> Outcome:
        body = self.body
        witnessing = self._follow_leaves(ctx)
        archive = ctx.archive_of(UUID(str(body["proposal_id"])))
        entry = {
            "event_id": str(body["id"]),
            "type": str(body["type"]),
            "upstream_stream": ctx.upstream_stream,
            "upstream_seq": ctx.upstream_seq,
            "upstream_position": body.get("position"),
            "occurred_at": body["occurred_at"],
            "actor": body.get("actor"),
            "legal_basis": body.get("legal_basis"),
            "rule_set_version": body.get("rule_set_version"),
            "archived_at": utc_now(),
            "body": dict(body),
        }
        observed = self.observed
        if observed is not None and observed.head is not None:
            entry["log"] = {
                "service": observed.service,
                "position": observed.head.tree_size,
                "root_hash": observed.head.root.hex(),
                "leaf_index": observed.head.leaf_index,
                "leaf_hash": observed.head.leaves[-1].hex(),
            }
        try:
            archive.archive(entry)
        except AlreadyArchived:
            # The same event re-published under a new stream sequence: keep the position only.
            return Outcome((ctx.gap, *witnessing), kept=False)
        return Outcome((archive, ctx.gap, *witnessing), kept=True)

    def _follow_leaves(self, ctx: ArchiveContext) -> tuple[Aggregate, ...]:
        """The witness's records changed by the event's log head (checked, not yet saved)."""
        observed = self.observed
        if observed is None:
            return ()
        leaves = ctx.witnessed_leaves(observed.service)
        where: dict[str, Any] = {
            "event_id": self.event_id,
            "upstream_seq": ctx.upstream_seq,
            "at": utc_now(),
        }
        if observed.malformed is not None:
            leaves.malformed(observed.malformed, **where)
            return (leaves,)
        roots = leaves.observe(observed.head, **where)
        log = ctx.witnessed_log(observed.service)
        if roots and log.pending:
            log.leaves_reached(roots, where["at"])
        return leaves, log


@dataclass(frozen=True)
class WitnessCheckpoint(ArchiveCommand):
    """Check and keep a service's signed checkpoint, and cosign it if it verifies; not kept if
    that exact checkpoint is already held, nor if it is reporting's own."""

    body: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.body.get("id"))

    def apply(self, ctx: ArchiveContext) -> Outcome:
        body = self.body
        service = str(body["service"])
        if service == ctx.service:
            # Its own archive's checkpoints: a witness does not witness itself; they stay on
            # D73_AUDIT for `d73 verify reporting --witnessed` and other witnesses.
            return Outcome((ctx.gap,), kept=False)
        log = ctx.witnessed_log(service)
        leaves = ctx.witnessed_leaves(service)
        entry = {
            **dict(body),
            "upstream_stream": ctx.upstream_stream,
            "upstream_seq": ctx.upstream_seq,
            "witnessed_at": utc_now(),
        }
        at = entry["witnessed_at"]
        trusted = ctx.trusted_keys(service, str(body.get("key_id")))
        verified = log.witness(entry, keys=trusted, leaves=leaves, at=at)
        result = "verified" if verified is not None else "alarm"
        CHECKPOINTS_WITNESSED.labels(ctx.service, service, result).inc()
        if verified is not None:
            cosignature = ctx.cosign(verified)
            if cosignature is not None:
                log.cosign(verified, cosignature)
        if verified is not None and body.get("frontier"):
            frontier = [str(node) for node in body["frontier"]]
            roots = leaves.offer_anchor(verified.tree_size, frontier, verified.root_hash, at)
            if roots:
                log.leaves_reached(roots, at)
        return Outcome((log, leaves, ctx.gap), kept=bool(log.pending_events))


@dataclass(frozen=True)
class WitnessServiceAlarm(ArchiveCommand):
    """Keep a service's own alarm (it halted: `shared.platform.halt`) with its log's record, so
    that `/audit/alarms` shows it with the witness's and the relay publishes it on."""

    body: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.body.get("id"))

    def apply(self, ctx: ArchiveContext) -> Outcome:
        log = ctx.witnessed_log(str(self.body["service"]))
        log.service_halted(self.body, ctx.upstream_seq, utc_now())
        return Outcome((log, ctx.gap), kept=True)


@dataclass(frozen=True)
class WitnessHeartbeat(ArchiveCommand):
    """Hear a service's heartbeat: its log stalled if it takes commands and owes a checkpoint
    none came for (`WitnessedLog.heartbeat`). Reporting's own is not witnessed."""

    body: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return str(self.body.get("id"))

    def apply(self, ctx: ArchiveContext) -> Outcome:
        service = str(self.body["service"])
        if service == ctx.service:
            return Outcome((ctx.gap,), kept=False)
        log = ctx.witnessed_log(service)
        log.heartbeat(self.body, grace_seconds=ctx.stall_grace_seconds, at=utc_now())
        return Outcome((log, ctx.gap), kept=True)


@dataclass(frozen=True)
class Quarantine(ArchiveCommand):
    """Keep a message that no contract accepts, with its reason, at its stream position — so
    the archive still accounts for every sequence number."""

    subject: str
    headers: Mapping[str, str]
    data: bytes
    reason: str
    deliveries: int

    @property
    def event_id(self) -> str | None:
        return self.headers.get("ce-id")

    def apply(self, ctx: ArchiveContext) -> Outcome:
        watch = ctx.gap or ctx.watch(ctx.upstream_stream)
        try:
            text: str | None = self.data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        watch.quarantine(
            {
                "seq": ctx.upstream_seq,
                "subject": self.subject,
                "reason": self.reason,
                "deliveries": self.deliveries,
                "headers": dict(self.headers),
                "body_text": text,
                "body_hex": None if text is not None else self.data.hex(),
                "quarantined_at": utc_now(),
            }
        )
        return Outcome((watch,), kept=True)


# ---------------------------------------------------------------- the notifications


class UnknownNotification(LookupError):
    """No notification with that id is the acting person's."""


class NotAFailedEmail(Exception):
    """The notification has no e-mail that failed every try."""


class NotificationContext(Protocol):
    """What a notification command reads (`NotificationsApplication.handle`)."""

    @property
    def at(self) -> str:
        """The command's instant, ISO 8601."""
        ...

    def delivery_of(self, notification_id: UUID, person_id: str | None) -> str | None:
        """Where the notification's e-mail stands, if it exists (and, with `person_id`, is
        theirs)."""
        ...

    def notification(self, notification_id: UUID) -> Notification: ...

    def held(self, notification_ids: Sequence[UUID]) -> set[UUID]:
        """Which of the notifications the store holds already (one question for a case
        event's few)."""
        ...

    def preferences(self, person_id: str) -> Preferences: ...

    def case_file(self, case_id: UUID) -> CaseFile | None: ...


class NotificationCommand:
    """One write to the notification store: what a person does to their notifications, an
    operator to an e-mail, or the notifier, the outbox and the digest on the system's behalf."""

    def check(self, actor: Actor, ctx: NotificationContext) -> None:
        """Refusals read from the index, before the store is touched."""

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        """The records changed, in commit order (each committed if it recorded something)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ChoosePreferences(NotificationCommand):
    """Per kind: immediate, digest or off; only what changed is recorded."""

    modes: Mapping[Kind, Mode] = field(default_factory=dict)

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        prefs = ctx.preferences(actor.user_id)
        for kind, mode in self.modes.items():
            if prefs.mode(kind) is not mode:
                prefs.choose(kind.value, mode.value)
        return (prefs,)


@dataclass(frozen=True)
class MarkRead(NotificationCommand):
    """Mark one of the person's own notifications read; once read, again records nothing."""

    notification_id: UUID

    def check(self, actor: Actor, ctx: NotificationContext) -> None:
        if ctx.delivery_of(self.notification_id, actor.user_id) is None:
            raise UnknownNotification(str(self.notification_id))

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        notification = ctx.notification(self.notification_id)
        notification.mark_read(ctx.at)
        return (notification,)


@dataclass(frozen=True)
class RetryFailed(NotificationCommand):
    """An operator puts an e-mail that failed every try back in the outbox."""

    notification_id: UUID

    def check(self, actor: Actor, ctx: NotificationContext) -> None:
        if ctx.delivery_of(self.notification_id, None) != Delivery.FAILED:
            raise NotAFailedEmail(str(self.notification_id))

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        notification = ctx.notification(self.notification_id)
        notification.retry(ctx.at, actor.user_id)
        return (notification,)


@dataclass(frozen=True)
class BeginStore(NotificationCommand):
    """Note when the store began (its first start): older events are never mailed."""

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        return (StoreOrigin(at=ctx.at),)


@dataclass(frozen=True)
class NewNotification:
    """One notification to record, with its pending e-mail or why there is none
    (`Notification.Created`). Its id is its source's and its person's."""

    source_id: UUID
    person_id: str
    kind: str
    case_id: str
    proposal_id: str
    event_type: str
    happened_at: str
    subject: str
    text: str
    html: str
    link: str
    email: str
    delivery: str
    note: str

    @functools.cached_property
    def id(self) -> UUID:
        return Notification.create_id(self.source_id, self.person_id)

    def record(self, ctx: NotificationContext) -> Notification | None:
        """The notification, unless the store has it already (the same source replayed)."""
        if ctx.held((self.id,)):
            return None
        return self.new()

    def new(self) -> Notification:
        return Notification(**{name: getattr(self, name) for name in _NEW_NOTIFICATION_FIELDS})


_NEW_NOTIFICATION_FIELDS = tuple(f.name for f in dataclasses.fields(NewNotification))
"""`Notification.Created`'s arguments (`dataclasses.asdict` would deep-copy each string)."""


@dataclass(frozen=True)
class CaseOpening:
    """What the notifier keeps of a case from its opening (`CaseFile.Opened`)."""

    case_id: UUID
    proposal_id: str
    title: str
    proposer_id: str
    recipient_unit_id: str
    intake_unit_id: str
    directory_version: str
    delegate_ids: tuple[str, ...]
    rule_set_version: str
    waiting: None = None
    """A case just opened waits on nothing yet (as `CaseFile.waiting`)."""


_CASE_OPENING_FIELDS = tuple(f.name for f in dataclasses.fields(CaseOpening) if f.name != "waiting")
"""`CaseFile.Opened`'s arguments."""


@dataclass(frozen=True)
class NoteCaseEvent(NotificationCommand):
    """What one case event causes, committed with its upstream position: the case file opened
    or its waiting step moved, and each person's notification (one per person, from the
    notifier; none the store has already, from a replay of the event)."""

    case_id: UUID | None = None
    """None: the event names no case, or its opening never arrived (only the position)."""
    opening: CaseOpening | None = None
    waiting: Mapping[str, str | None] | None = None
    """The step the case waits on after the event (`CaseFile.wait`); None: nothing waits."""
    notifications: tuple[NewNotification, ...] = ()

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        if self.case_id is None:
            return ()
        case = ctx.case_file(self.case_id)
        if case is None:
            if self.opening is None:
                return ()
            opening = self.opening
            opened = {name: getattr(opening, name) for name in _CASE_OPENING_FIELDS}
            case = CaseFile(**{**opened, "delegate_ids": list(opening.delegate_ids)})
        if case.waiting != self.waiting:
            after = self.waiting or {}
            case.wait(after.get("state"), after.get("audience"), after.get("due"))
        held = ctx.held([n.id for n in self.notifications]) if self.notifications else set()
        return (case, *(n.new() for n in self.notifications if n.id not in held))


@dataclass(frozen=True)
class RecordEmailSent(NotificationCommand):
    """The relay accepted a notification's e-mail (its `attempt`-th try)."""

    notification_id: UUID
    at: str
    message_id: str
    attempt: int

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        notification = ctx.notification(self.notification_id)
        notification.email_sent(self.at, self.message_id, self.attempt)
        return (notification,)


@dataclass(frozen=True)
class RecordEmailFailed(NotificationCommand):
    """A try of a notification's e-mail failed; `retry_at` None: it was the last."""

    notification_id: UUID
    at: str
    attempt: int
    error: str
    retry_at: str | None

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        notification = ctx.notification(self.notification_id)
        notification.email_failed(self.at, self.attempt, self.error, self.retry_at)
        return (notification,)


@dataclass(frozen=True)
class RecordDigest(NotificationCommand):
    """A person's daily digest, as a notification with its pending e-mail, and the
    notifications it gathers (each then `digested`, so never mailed alone)."""

    digest: NewNotification
    gathered: tuple[UUID, ...] = ()

    def apply(self, actor: Actor, ctx: NotificationContext) -> Sequence[Aggregate]:
        digest = self.digest.record(ctx)
        if digest is None:  # a second round, restart or process found today's digest made
            return ()
        included = [ctx.notification(notification_id) for notification_id in self.gathered]
        for notification in included:
            notification.digested(digest.id)
        return (digest, *included)
