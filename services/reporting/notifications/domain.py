"""The notification store's aggregates: what was told to whom, how it went out, and what each
person chose (issue #16 §2–3). Plain eventsourcing aggregates, no transport.

A notification's id is derived from the event it tells of and the person told, so that the
same event can never make a second notification for the same person, whatever redelivers it.
The e-mail it causes is part of its creation (the outbox entry): `delivery` is `pending` until
`EmailSent` or, after the last try, `failed`.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.reporting.domain.ids import record_id
from services.reporting.notifications.kinds import DEFAULT_MODE, Kind, Mode


class Delivery:
    """Where a notification's e-mail stands (one spelling for the store, the API and the pages)."""

    PENDING = "pending"
    """In the outbox: to be sent (again, after a failure, at `retry_at`)."""
    SENT = "sent"
    FAILED = "failed"
    """Gave up after the last try: shown to operators."""
    DIGEST = "digest"
    """Waits for the person's daily digest."""
    DIGESTED = "digested"
    NONE = "none"
    """No e-mail: the person chose none, has no address, mail is not configured, or the event
    happened before this store existed (a rebuild replays history without mailing it)."""


class Notification(Aggregate):
    @staticmethod
    def create_id(source_id: UUID, person_id: str) -> UUID:
        return record_id(f"/d73/notifications/{source_id}/{person_id}")

    @event("Created")
    def __init__(
        self,
        *,
        source_id: UUID,
        person_id: str,
        kind: str,
        case_id: str,
        proposal_id: str,
        event_type: str,
        happened_at: str,
        subject: str,
        text: str,
        html: str,
        link: str,
        email: str,
        delivery: str,
        note: str,
    ) -> None:
        self.source_id = source_id
        self.person_id = person_id
        self.kind = kind
        self.case_id = case_id
        self.proposal_id = proposal_id
        self.subject = subject
        self.text = text
        self.html = html
        self.link = link
        self.email = email
        self.delivery = delivery
        self.read_at: str | None = None
        self.attempts = 0
        self.retry_at: str | None = None

    def mark_read(self, at: str) -> bool:
        """Read once: marking it again changes nothing (and records nothing)."""
        if self.read_at is not None:
            return False
        self._read(at)
        return True

    @event("Read")
    def _read(self, at: str) -> None:
        self.read_at = at

    @event("EmailSent")
    def email_sent(self, at: str, message_id: str, attempt: int) -> None:
        self.delivery = Delivery.SENT
        self.attempts = attempt

    @event("EmailFailed")
    def email_failed(self, at: str, attempt: int, error: str, retry_at: str | None) -> None:
        """A try that failed; `retry_at` None: the last one (shown to operators)."""
        self.attempts = attempt
        self.retry_at = retry_at
        self.delivery = Delivery.PENDING if retry_at is not None else Delivery.FAILED

    @event("Retried")
    def retry(self, at: str, by: str) -> None:
        """An operator puts a failed e-mail back in the outbox."""
        self.delivery = Delivery.PENDING
        self.retry_at = at

    @event("Digested")
    def digested(self, digest_id: UUID) -> None:
        self.delivery = Delivery.DIGESTED


def digest_source_id(person_id: str, day: str) -> UUID:
    """The one digest of `person_id` on `day` (a second run that day finds it)."""
    return uuid5(NAMESPACE_URL, f"/d73/notifications/digest/{person_id}/{day}")


class Preferences(Aggregate):
    """Tùy chọn nhận thông báo — per kind: immediate, digest or off; kept as events."""

    @staticmethod
    def create_id(person_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/notifications/preferences/{person_id}")

    @event("Started")
    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        self.modes: dict[str, str] = {}

    def mode(self, kind: Kind) -> Mode:
        return Mode(self.modes.get(kind.value, DEFAULT_MODE.value))

    @event("Chosen")
    def choose(self, kind: str, mode: str) -> None:
        self.modes[kind] = mode


class CaseFile(Aggregate):
    """What the notifier keeps of a case: who proposed it, who decides, what it waits for."""

    @staticmethod
    def create_id(case_id: UUID) -> UUID:
        return record_id(f"/d73/notifications/cases/{case_id}")

    @event("Opened")
    def __init__(
        self,
        *,
        case_id: UUID,
        proposal_id: str,
        title: str,
        proposer_id: str,
        recipient_unit_id: str,
        intake_unit_id: str,
        directory_version: str,
        delegate_ids: list[str],
        rule_set_version: str,
    ) -> None:
        self.case_id = case_id
        self.proposal_id = proposal_id
        self.title = title
        self.proposer_id = proposer_id
        self.recipient_unit_id = recipient_unit_id
        self.intake_unit_id = intake_unit_id
        self.directory_version = directory_version
        self.delegate_ids = delegate_ids
        self.rule_set_version = rule_set_version
        self.waiting: dict[str, str | None] | None = None

    @event("Waiting")
    def wait(self, state: str | None, audience: str | None, due: str | None) -> None:
        """The step the case waits on now (state None: nothing waits)."""
        self.waiting = None if state is None else {"state": state, "audience": audience, "due": due}


class StoreOrigin(Aggregate):
    """When this notification store began: events older than that are history, listed but never
    mailed, so that rebuilding the store from the events re-sends nothing (issue #16 §3)."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "/d73/notifications/origin")

    @event("Began")
    def __init__(self, at: str) -> None:
        self.at = at
