"""The notification store: its own event store (never reporting's) and the views kept from it.

`NotificationsApplication` records notifications, their e-mails (the outbox), preferences and
case files as events in `notifications.sqlite` (or schema `notifications` of reporting's
PostgreSQL database). The `NotificationIndex` is folded from those events alone, in memory:
the portal's list, the unread count, the outbox's due sends and what waits on whom. Rebuilding
it reads the store again and changes nothing in it, so it can never re-send anything.

The index holds every notification, so each costs as little as it can (issue #19): its text,
most of its weight, is kept for the newest and the recently read only, up to a budget of bytes
(`KeptWithin`), and read again from the notification's record when asked; the ids and names
that many notifications share are held once (`sys.intern`).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Recording, Tracking

from services.reporting.commands import (
    BeginStore,
    ChoosePreferences,
    MarkRead,
    NotificationCommand,
    RetryFailed,
)
from services.reporting.kept import KeptRecords, KeptWithin, replay
from services.reporting.notifications.domain import (
    CaseFile,
    Delivery,
    Notification,
    Preferences,
)
from services.reporting.notifications.kinds import DEFAULT_MODE, LABELS_VI, Kind, Mode
from shared.kernel.actor import SYSTEM, Actor
from shared.platform.eventstore import ServiceApplication

KEPT_TEXT_BYTES = 4 * 2**20
"""The notification texts kept in memory: some 5,000 (a Vietnamese text takes two bytes a
character), the last hundred of fifty people's lists."""
KEPT_CASE_FILES = 500
"""Case files kept loaded: as for reporting's archives (`KEPT_ARCHIVES`), a case's events come
close together, and 500 lose no load against 2,000 (issue #19)."""
STORE = "notifications"
"""The store's name: `<data dir>/notifications.sqlite`, or schema `notifications` in reporting's
PostgreSQL database."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class NotificationView:
    """A notification as the index holds it: all but its text (`NotificationsApplication.text`)."""

    id: UUID
    person_id: str
    kind: str
    case_id: str
    proposal_id: str
    subject: str
    link: str
    email: str
    created_at: str
    delivery: str
    note: str = ""
    read_at: str | None = None
    attempts: int = 0
    retry_at: str | None = None
    last_error: str = ""
    sent_at: str | None = None

    def public(self, text: str) -> dict[str, Any]:
        """What the person sees (the API's `Notification`), with its `text`."""
        return {
            "id": str(self.id),
            "kind": self.kind,
            "kind_label": LABELS_VI[self.kind],  # by value, no Kind(): a list builds a hundred
            "subject": self.subject,
            "text": text,
            "link": self.link,
            "case_id": self.case_id or None,
            "proposal_id": self.proposal_id or None,
            "created_at": self.created_at,
            "read": self.read_at is not None,
            "read_at": self.read_at,
            "email": self.delivery,
        }

    def for_operators(self, text: str) -> dict[str, Any]:
        return {
            **self.public(text),
            "person_id": self.person_id,
            "to": self.email,
            "attempts": self.attempts,
            "retry_at": self.retry_at,
            "last_error": self.last_error,
        }


@dataclass
class CaseView:
    case_id: str
    proposal_id: str
    title: str
    rule_set_version: str
    parties: dict[str, Any]
    waiting: dict[str, str | None] | None = None


@dataclass
class NotificationIndex:
    """Everything the API, the sender and the digest ask, folded from the store's events."""

    position: int = 0
    views: dict[UUID, NotificationView] = field(default_factory=dict)
    by_person: dict[str, list[UUID]] = field(default_factory=dict)
    preferences: dict[str, dict[str, str]] = field(default_factory=dict)
    cases: dict[str, CaseView] = field(default_factory=dict)
    origin: str | None = None
    texts: KeptWithin[UUID, str] = field(
        default_factory=lambda: KeptWithin(KEPT_TEXT_BYTES), compare=False, repr=False
    )
    """The texts of the newest and the recently read notifications (which ones depends on
    what was read, not on the store: no part of what two indexes compare)."""

    def apply(self, event: DomainEventProtocol[UUID]) -> None:
        """Fold one of the store's events, named by its class (`Notification.Created`…)."""
        name, originator_id = type(event).__qualname__, event.originator_id
        e: Any = event  # the attributes each event class was recorded with
        if name == "Notification.Created":
            shared = sys.intern  # a person's, a case's and an event's notifications share these
            view = NotificationView(
                id=originator_id,
                person_id=shared(e.person_id),
                kind=shared(e.kind),
                case_id=shared(e.case_id),
                proposal_id=shared(e.proposal_id),
                subject=shared(e.subject),
                link=shared(e.link),
                email=shared(e.email),
                created_at=e.timestamp.isoformat(),
                delivery=shared(e.delivery),
                note=shared(e.note),
            )
            self.views[originator_id] = view
            self.by_person.setdefault(view.person_id, []).append(originator_id)
            self.texts.keep(originator_id, e.text)
            return
        view_or_none = self.views.get(originator_id)
        if view_or_none is not None:
            self._apply_to(view_or_none, name, e)
        elif name == "Preferences.Chosen":
            self.preferences.setdefault(str(originator_id), {})[e.kind] = e.mode
        elif name == "Preferences.Started":
            self.preferences[str(originator_id)] = self.preferences.get(str(originator_id), {})
        elif name == "CaseFile.Opened":
            self.cases[str(originator_id)] = CaseView(
                case_id=str(e.case_id),
                proposal_id=e.proposal_id,
                title=e.title,
                rule_set_version=e.rule_set_version,
                parties={
                    "proposer_id": e.proposer_id,
                    "recipient_unit_id": e.recipient_unit_id,
                    "intake_unit_id": e.intake_unit_id,
                    "directory_version": e.directory_version,
                    "delegate_ids": tuple(e.delegate_ids),
                },
            )
        elif name == "CaseFile.Waiting":
            case = self.cases.get(str(originator_id))
            if case is not None:
                case.waiting = (
                    None
                    if e.state is None
                    else {"state": e.state, "audience": e.audience, "due": e.due}
                )
        elif name == "StoreOrigin.Began":
            self.origin = e.at

    @staticmethod
    def _apply_to(view: NotificationView, name: str, e: Any) -> None:
        if name == "Notification.Read":
            view.read_at = e.at
        elif name == "Notification.EmailSent":
            view.delivery, view.sent_at, view.attempts = Delivery.SENT, e.at, e.attempt
            view.retry_at = None
        elif name == "Notification.EmailFailed":
            view.attempts, view.last_error, view.retry_at = e.attempt, e.error, e.retry_at
            view.delivery = Delivery.PENDING if e.retry_at is not None else Delivery.FAILED
        elif name == "Notification.Retried":
            view.delivery, view.retry_at = Delivery.PENDING, e.at
        elif name == "Notification.Digested":
            view.delivery = Delivery.DIGESTED


class NotificationsApplication(ServiceApplication):
    """The notification store; its consumer tracks approval's stream in the same transactions."""

    name = "notifications"
    remembered_traces = 0
    """No relay reads this store (e-mails leave through the outbox job): up to 10,000 commits'
    span contexts (~2 MB) kept for nobody otherwise (issue #19)."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        kept_case_files: int = KEPT_CASE_FILES,
        kept_text_bytes: int = KEPT_TEXT_BYTES,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.index = NotificationIndex(texts=KeptWithin(kept_text_bytes))
        self._index_lock = threading.RLock()
        self._case_files = KeptRecords(kept_case_files)
        """Case files kept loaded (`services.reporting.kept`): every event of a case reads its
        file twice (who is told, then what it waits on), and only `handle` writes them."""
        self._unfolded: set[UUID] = set()
        """Notifications `handle` recorded that the index does not hold yet (those of a consumer
        batch, until it commits): `exists` counts them."""
        self._index_current = False
        """The index holds everything stored: every commit since it last caught up was folded
        (this application is the store's only writer; a command that failed may have
        committed without being folded, so after a failure it is not known)."""
        self.catch_up()
        if self.index.origin is None:
            self.handle(BeginStore(), SYSTEM)

    # ------------------------------------------------------------------ the index

    def catch_up(self) -> None:
        """Fold the events stored since the last call into the index."""
        with self._index_lock:
            while True:
                batch = self.recorder.select_notifications(self.index.position + 1, 500)
                if not batch:
                    self._index_current = True
                    return
                for stored in batch:
                    self.index.apply(self.mapper.to_domain_event(stored))
                    self.index.position = stored.id

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """After a commit, fold what it recorded into the index: the events as they were
        recorded, when they follow the index's position without a hole (another commit's
        events first would leave one: then from the store, `catch_up`)."""
        if recordings:
            with self._index_lock:
                ids = [recording.notification.id for recording in recordings]
                if ids[0] == self.index.position + 1 and ids == list(
                    range(ids[0], ids[0] + len(ids))
                ):
                    for recording in recordings:
                        self.index.apply(recording.domain_event)
                    self.index.position = ids[-1]
                elif ids[-1] > self.index.position:
                    self.catch_up()
                if self._unfolded:
                    self._unfolded = {i for i in self._unfolded if i not in self.index.views}
        super()._notify(recordings)

    def rebuild_index(self) -> NotificationIndex:
        """Fold every event of the store again into a fresh index (nothing is written)."""
        with self._index_lock:
            self.index = NotificationIndex(texts=KeptWithin(self.index.texts.budget))
        self.catch_up()
        return self.index

    @property
    def origin(self) -> datetime:
        assert self.index.origin is not None
        return datetime.fromisoformat(self.index.origin)

    # ------------------------------------------------------------------ questions

    def of_person(self, person_id: str) -> list[NotificationView]:
        with self._index_lock:
            ids = list(self.index.by_person.get(person_id, ()))
            return [self.index.views[i] for i in reversed(ids)]

    def view(self, notification_id: UUID) -> NotificationView | None:
        with self._index_lock:
            return self.index.views.get(notification_id)

    def text(self, notification_id: UUID) -> str:
        """A notification's plain text (see `texts`)."""
        return self.texts((notification_id,))[0]

    def texts(self, notification_ids: Sequence[UUID]) -> list[str]:
        """Notifications' plain texts: kept in the index, else read from their records (outside
        the index's lock, which folding a commit needs) and kept as the most recently used."""
        with self._index_lock:
            kept = self.index.texts.get
            found = [kept(i) for i in notification_ids]
        if None in found:
            for n, notification_id in enumerate(notification_ids):
                if found[n] is None:
                    found[n] = text = self.notification(notification_id).text
                    with self._index_lock:
                        self.index.texts.keep(notification_id, text)
        return found  # type: ignore[return-value]  # no None left

    def mode_of(self, person_id: str, kind: Kind) -> Mode:
        prefs_id = str(Preferences.create_id(person_id))
        with self._index_lock:
            chosen = self.index.preferences.get(prefs_id, {}).get(kind.value)
        return Mode(chosen) if chosen else DEFAULT_MODE

    def modes_of(self, person_id: str) -> dict[str, str]:
        return {kind.value: self.mode_of(person_id, kind).value for kind in Kind}

    def due_sends(self, now: datetime) -> list[NotificationView]:
        """E-mails in the outbox whose (next) try is due, oldest first."""
        at = now.isoformat()
        with self._index_lock:
            return sorted(
                (
                    v
                    for v in self.index.views.values()
                    if v.delivery == Delivery.PENDING and (v.retry_at is None or v.retry_at <= at)
                ),
                key=lambda v: v.created_at,
            )

    def in_state(self, delivery: str) -> list[NotificationView]:
        with self._index_lock:
            return [v for v in self.index.views.values() if v.delivery == delivery]

    def waiting_cases(self) -> Iterator[CaseView]:
        with self._index_lock:
            cases = [c for c in self.index.cases.values() if c.waiting is not None]
        yield from cases

    def case_file(self, case_id: UUID) -> CaseFile | None:
        case: CaseFile | None = self._case_files.get(CaseFile.create_id(case_id), self._stored)
        return case

    def _stored(self, record_id: UUID) -> Any:
        try:
            return self.repository.get(record_id, projector_func=replay)
        except AggregateNotFoundError:
            return None

    def notification(self, notification_id: UUID) -> Notification:
        found: Notification = self.repository.get(notification_id, projector_func=replay)
        return found

    def exists(self, notification_id: UUID) -> bool:
        """Whether the store holds the notification: the index holds every notification
        created up to its position, so it answers once caught up with the store."""
        with self._index_lock:
            if notification_id in self.index.views or notification_id in self._unfolded:
                return True
            if not self._index_current:
                self.catch_up()
            return notification_id in self.index.views

    # ------------------------------------------------------------------ commands

    def handle(
        self, command: NotificationCommand, actor: Actor, tracking: Tracking | None = None
    ) -> Sequence[Aggregate]:
        """The one way anything changes the store — a person's command, the notifier on a case
        event (with its upstream position, `tracking`), the outbox and the digest on the
        system's behalf: refusals read from the index first, then, under the consumer lock, the
        command applies itself to the records it names, which commit in one transaction with
        `tracking` (the position alone when nothing changed). Refusals (`UnknownNotification`,
        `NotAFailedEmail`) propagate unchanged. Returns the records that changed."""
        context = _Context(self)
        command.check(actor, context)
        with self.consumer_lock:
            try:
                applied = command.apply(actor, context)
                changed = [record for record in applied if record.pending_events]
                self._unfolded.update(r.id for r in changed if isinstance(r, Notification))
                if changed or tracking is not None:
                    self.record(*changed, tracking=tracking)
            except BaseException:
                self.forget_uncommitted()
                raise
            for record in changed:
                if isinstance(record, CaseFile):
                    self._case_files.keep(record)
        return changed

    def forget_uncommitted(self) -> None:
        """Forget the case files kept loaded and the notifications recorded but not yet in the
        index: a command or the consumer batch around it did not commit, so they may hold
        changes the store lacks (and what did commit, the index may lack)."""
        self._case_files.forget()
        self._unfolded.clear()
        self._index_current = False

    # In-process callers name a command by its method, with the person's id.

    def choose(self, person_id: str, modes: dict[Kind, Mode]) -> dict[str, str]:
        """Record a person's choices (only what changed) and return them all."""
        self.handle(ChoosePreferences(modes), _person(person_id))
        return self.modes_of(person_id)

    def mark_read(self, notification_id: UUID, person_id: str) -> NotificationView | None:
        """Mark the person's own notification read (`UnknownNotification` if not theirs)."""
        self.handle(MarkRead(notification_id), _person(person_id))
        return self.view(notification_id)

    def retry_failed(self, notification_id: UUID, by: str) -> NotificationView | None:
        """Put a failed e-mail back in the outbox (`NotAFailedEmail` if it is not one)."""
        self.handle(RetryFailed(notification_id), _person(by))
        return self.view(notification_id)


def _person(person_id: str) -> Actor:
    """Someone the store knows only by id, as in-process callers name them."""
    return Actor(user_id=person_id, name="", unit_id="", position="", roles=frozenset())


class _Context:
    """`commands.NotificationContext` for one command: its instant is read from the clock when
    the command first asks for it."""

    def __init__(self, app: NotificationsApplication) -> None:
        self._app = app

    @functools.cached_property
    def at(self) -> str:
        return self._app.clock().isoformat()

    def delivery_of(self, notification_id: UUID, person_id: str | None) -> str | None:
        view = self._app.view(notification_id)
        if view is None or (person_id is not None and view.person_id != person_id):
            return None
        return view.delivery

    def notification(self, notification_id: UUID) -> Notification:
        return self._app.notification(notification_id)

    def exists(self, notification_id: UUID) -> bool:
        return self._app.exists(notification_id)

    def case_file(self, case_id: UUID) -> CaseFile | None:
        return self._app.case_file(case_id)

    def preferences(self, person_id: str) -> Preferences:
        try:
            prefs: Preferences = self._app.repository.get(Preferences.create_id(person_id))
        except AggregateNotFoundError:
            prefs = Preferences(person_id)
        return prefs
