"""The notification store: its own event store (never reporting's) and the index kept from it.

`NotificationsApplication` records notifications, their e-mails (the outbox), preferences and
case files as events in `notifications.sqlite` (or schema `notifications` of reporting's
PostgreSQL database). The `NotificationIndex` is folded from those events alone, into tables
of the same datastore (`services.reporting.notifications.index`): the portal's list, the unread
count, the outbox's due sends and what waits on whom. Rebuilding it reads the store again and
changes nothing in it, so it can never re-send anything.

What stays in memory is bounded whatever the store holds (issue #19): the texts of the newest
and the recently read notifications, up to a budget of bytes (`KeptWithin`; the others are read
again from their records), the case files last used, and the modes of the people asked about.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording, Tracking

from services.reporting.commands import (
    BeginStore,
    ChoosePreferences,
    MarkRead,
    NoteCaseEvent,
    NotificationCommand,
    RetryFailed,
)
from services.reporting.kept import KeptRecords, KeptWithin, replay
from services.reporting.notifications.domain import (
    CaseFile,
    Notification,
    Preferences,
)
from services.reporting.notifications.index import CaseView, NotificationIndex, NotificationView
from services.reporting.notifications.kinds import DEFAULT_MODE, Kind, Mode
from shared.kernel.actor import SYSTEM, Actor
from shared.platform.eventstore import ServiceApplication

KEPT_TEXT_BYTES = 4 * 2**20
"""The notification texts kept in memory: some 5,000 (a Vietnamese text takes two bytes a
character), the last hundred of fifty people's lists."""
KEPT_CASE_FILES = 500
"""Case files kept loaded: as for reporting's archives (`KEPT_ARCHIVES`), a case's events come
close together, and 500 lose no load against 2,000 (issue #19)."""
FOLDED_PER_TRANSACTION = 500
"""Stored events read and folded into the index per transaction when it catches up."""
STORE = "notifications"
"""The store's name: `<data dir>/notifications.sqlite`, or schema `notifications` in reporting's
PostgreSQL database."""


def utc_now() -> datetime:
    return datetime.now(UTC)


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
        recorder: Any = self.recorder  # SQLite's or PostgreSQL's: both have a datastore
        self.index = NotificationIndex(recorder.datastore)
        self.kept_texts: KeptWithin[UUID, str] = KeptWithin(kept_text_bytes)
        """The texts of the newest and the recently read notifications."""
        self._kept_lock = threading.Lock()
        """Around `kept_texts` and `_modes`: readers of the portal's lists take it, never the
        consumer lock that a consumer's whole pass holds."""
        self._case_files = KeptRecords(kept_case_files)
        """Case files kept loaded (`services.reporting.kept`): every event of a case reads its
        file twice (who is told, then what it waits on), and only `handle` writes them."""
        self._position: int | None = None
        """The store position the index's tables reflect, as this application last folded
        (None: read it from the tables, after a command or batch that did not commit)."""
        self._origin: str | None = None
        self._modes: dict[str, dict[str, str]] = {}
        """Each asked-about person's chosen modes, by their `Preferences` id: the notifier asks
        once per notification, and people, unlike proposals, are few."""
        self._modes_changed = 0
        """Folds that changed someone's modes: a read of the tables that one overtook is not
        kept."""
        self._index_current = False
        """The index holds everything stored: every commit since it last caught up was folded
        (this application is the store's only writer; a command that failed may have
        committed without being folded, so after a failure it is not known)."""
        self.catch_up()
        if self._origin is None:
            self.handle(BeginStore(), SYSTEM)

    # ------------------------------------------------------------------ the index
    # Folding writes the index's tables: always under the consumer lock, which a consumer
    # batch holds while it has the store's writer, so that no fold waits for it holding a lock.

    def _folded_position(self) -> int:
        if self._position is None:
            self._position, origin = self.index.state()
            self._origin = self._origin or origin
        return self._position

    def _fold(self, events: Iterable[tuple[int, Any]], last: int) -> None:
        self._position = None  # unknown until the tables have it
        folded = self.index.fold(events)
        self._position = last
        if folded.origin is not None:
            self._origin = folded.origin
        with self._kept_lock:
            for preferences_id, _, _ in folded.modes:
                self._modes.pop(preferences_id, None)
                self._modes_changed += 1
            for notification_id, text in folded.texts:
                self.kept_texts.keep(notification_id, text)

    def catch_up(self) -> None:
        """Fold the events stored since the index's position into it."""
        with self.consumer_lock:
            position = self._folded_position()
            while True:
                batch = self.recorder.select_notifications(position + 1, FOLDED_PER_TRANSACTION)
                if not batch:
                    self._index_current = True
                    return
                position = batch[-1].id
                self._fold(((s.id, self.mapper.to_domain_event(s)) for s in batch), position)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """After a commit (or a consumer batch's step), fold what it recorded into the index:
        the events as they were recorded, when they follow the index's position without a
        hole (another commit's events first would leave one: then from the store, `catch_up`)."""
        if recordings:
            with self.consumer_lock:
                ids = [recording.notification.id for recording in recordings]
                position = self._folded_position()
                if ids[0] == position + 1 and ids == list(range(ids[0], ids[0] + len(ids))):
                    self._fold(((r.notification.id, r.domain_event) for r in recordings), ids[-1])
                elif ids[-1] > position:
                    self.catch_up()
        super()._notify(recordings)

    def rebuild_index(self) -> None:
        """Fold every event of the store again into emptied tables (no event is written)."""
        with self.consumer_lock:
            self.index.reset()
            self._position, self._origin = 0, None
            with self._kept_lock:
                self._modes.clear()
                self._modes_changed += 1
            self.catch_up()

    @property
    def origin(self) -> datetime:
        assert self._origin is not None
        return datetime.fromisoformat(self._origin)

    # ------------------------------------------------------------------ questions

    def of_person(
        self, person_id: str, *, unread_only: bool = False, limit: int | None = None
    ) -> list[NotificationView]:
        """The person's notifications, newest first (only the unread, the first `limit`)."""
        return self.index.of_person(person_id, unread_only=unread_only, limit=limit)

    def counts_of(self, person_id: str) -> tuple[int, int]:
        """How many notifications the person has, and how many they have not read."""
        return self.index.counts_of(person_id)

    def view(self, notification_id: UUID) -> NotificationView | None:
        return self.index.view(notification_id)

    def text(self, notification_id: UUID) -> str:
        """A notification's plain text (see `texts`)."""
        return self.texts((notification_id,))[0]

    def texts(self, notification_ids: Sequence[UUID]) -> list[str]:
        """Notifications' plain texts: kept in memory, else read from their records and kept
        as the most recently used."""
        with self._kept_lock:
            found = [self.kept_texts.get(i) for i in notification_ids]
        if None in found:
            for n, notification_id in enumerate(notification_ids):
                if found[n] is None:
                    found[n] = text = self.notification(notification_id).text
                    with self._kept_lock:
                        self.kept_texts.keep(notification_id, text)
        return found  # type: ignore[return-value]  # no None left

    def mode_of(self, person_id: str, kind: Kind) -> Mode:
        prefs_id = str(Preferences.create_id(person_id))
        with self._kept_lock:
            modes, changed = self._modes.get(prefs_id), self._modes_changed
        if modes is None:
            modes = self.index.modes(prefs_id)
            with self._kept_lock:
                if changed == self._modes_changed:
                    self._modes[prefs_id] = modes
        chosen = modes.get(kind.value)
        return Mode(chosen) if chosen else DEFAULT_MODE

    def modes_of(self, person_id: str) -> dict[str, str]:
        return {kind.value: self.mode_of(person_id, kind).value for kind in Kind}

    def due_sends(self, now: datetime) -> list[NotificationView]:
        """E-mails in the outbox whose (next) try is due, oldest first."""
        return self.index.due_sends(now.isoformat())

    def in_state(self, delivery: str) -> list[NotificationView]:
        """The notifications whose e-mail stands at `delivery`, oldest first."""
        return self.index.in_state(delivery)

    def count_in_state(self, delivery: str) -> int:
        return self.index.count_in_state(delivery)

    def waiting_cases(self) -> Iterator[CaseView]:
        yield from self.index.waiting_cases()

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
        """Whether the store holds the notification."""
        return bool(self.held((notification_id,)))

    def held(self, notification_ids: Sequence[UUID]) -> set[UUID]:
        """Which of the notifications the store holds: the index holds every notification
        created up to its position, so it answers once caught up with the store (inside a
        consumer batch, with what the batch wrote)."""
        if not self._index_current:
            self.catch_up()
        return self.index.held(notification_ids)

    # ------------------------------------------------------------------ commands

    def handle(
        self, command: NotificationCommand, actor: Actor, tracking: Tracking | None = None
    ) -> Sequence[Aggregate]:
        """The one way anything changes the store — a person's command, the notifier on a case
        event (with its upstream position, `tracking`), the outbox and the digest on the
        system's behalf: refusals read from the index first, then, under the consumer lock, the
        command applies itself to the records it names, which commit in one transaction with
        `tracking` (the position alone when nothing changed). Refusals (`UnknownNotification`,
        `NotAFailedEmail`) propagate unchanged. Returns the records that changed.

        A case event's notifications are taken for new without asking the index (a question
        to its table per event, ~15 % of the notifier's CPU, issue #19): the store refuses one
        it holds already (the event replayed from another position), and the command is then
        applied again, asking."""
        context = _Context(self, presume_new=isinstance(command, NoteCaseEvent))
        command.check(actor, context)
        with self.consumer_lock:
            try:
                try:
                    changed = self._apply(command, actor, context, tracking)
                except IntegrityError:
                    if not context.presume_new:
                        raise
                    self.forget_uncommitted()  # what the refused try changed in memory
                    changed = self._apply(command, actor, _Context(self), tracking)
            except BaseException:
                self.forget_uncommitted()
                raise
            for record in changed:
                if isinstance(record, CaseFile):
                    self._case_files.keep(record)
        return changed

    def _apply(
        self,
        command: NotificationCommand,
        actor: Actor,
        context: _Context,
        tracking: Tracking | None,
    ) -> list[Aggregate]:
        applied = command.apply(actor, context)
        changed = [record for record in applied if record.pending_events]
        if changed or tracking is not None:
            self.record(*changed, tracking=tracking)
        return changed

    def forget_uncommitted(self) -> None:
        """Forget the case files kept loaded and the index's position: a command or the
        consumer batch around it did not commit, so they may hold changes the store lacks (and
        what did commit, the index may lack)."""
        self._case_files.forget()
        self._position = None
        with self._kept_lock:
            self._modes.clear()
            self._modes_changed += 1
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

    def __init__(self, app: NotificationsApplication, *, presume_new: bool = False) -> None:
        self._app = app
        self.presume_new = presume_new
        """Answer that the store holds none of the notifications asked about (see `handle`)."""

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

    def held(self, notification_ids: Sequence[UUID]) -> set[UUID]:
        return set() if self.presume_new else self._app.held(notification_ids)

    def case_file(self, case_id: UUID) -> CaseFile | None:
        return self._app.case_file(case_id)

    def preferences(self, person_id: str) -> Preferences:
        try:
            prefs: Preferences = self._app.repository.get(Preferences.create_id(person_id))
        except AggregateNotFoundError:
            prefs = Preferences(person_id)
        return prefs
