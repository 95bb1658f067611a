"""From one case event to the notifications it causes, recorded with the event's tracking.

Everything one event causes — the case file's update, every person's notification and its
pending e-mail — is one command (`NoteCaseEvent`) that `NotificationsApplication.handle` commits
in one transaction with the upstream position (design.md §3): a crash before it leaves nothing
and the event comes again; after it, a redelivery finds the tracking record and records nothing.
A notification already there (the same event replayed from another position) is not made twice
either: its id is the event's and the person's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from eventsourcing.persistence import Tracking

from services.reporting.commands import CaseOpening, NewNotification, NoteCaseEvent
from services.reporting.notifications.domain import CaseFile, Delivery
from services.reporting.notifications.kinds import Kind, Mode
from services.reporting.notifications.recipients import CaseParties, Recipient, Recipients
from services.reporting.notifications.rules import Audience, Waiting, notices_for, waiting_after
from services.reporting.notifications.store import NotificationsApplication
from services.reporting.notifications.texts import Letter, lines_for, subject_for
from shared.contracts import approval as c
from shared.contracts.base import IntegrationEvent
from shared.kernel.actor import SYSTEM
from shared.kernel.calendar import local_date
from shared.kernel.directory import DirectoryLookupError

log = logging.getLogger("d73.notifications")

DaysLeft = Callable[[str, date, date], int]
"""Working days from the first date to the second in a rule-set version's calendar."""


@dataclass(frozen=True)
class Channels:
    """What reaches people besides the portal."""

    portal_url: str
    email: bool
    """An SMTP relay is configured (off unless it is)."""


def parties_of(case: CaseFile | CaseOpening) -> CaseParties:
    return CaseParties(
        proposer_id=case.proposer_id,
        recipient_unit_id=case.recipient_unit_id,
        intake_unit_id=case.intake_unit_id,
        directory_version=case.directory_version,
        delegate_ids=tuple(case.delegate_ids),
    )


def case_link(portal_url: str, audience: Audience, case_id: str, proposal_id: str) -> str:
    """The proposer follows their proposal's page; everyone else the case page."""
    base = portal_url.rstrip("/")
    if audience in (Audience.PROPOSER, Audience.NAMED) and proposal_id:
        return f"{base}/proposals/{proposal_id}"
    return f"{base}/cases/{case_id}"


class Notifier:
    def __init__(
        self,
        app: NotificationsApplication,
        recipients: Recipients,
        channels: Channels,
        days_left: DaysLeft,
    ) -> None:
        self.app = app
        self.recipients = recipients
        self.channels = channels
        self.days_left = days_left

    def handle(self, event: IntegrationEvent, tracking: Tracking) -> None:
        """Record what `event` causes, with `tracking`, in one transaction."""
        self.app.handle(self.command_for(event), SYSTEM, tracking)

    def command_for(self, event: IntegrationEvent) -> NoteCaseEvent:
        """Who is told of `event`, and what the case file learns from it."""
        case_id = getattr(event, "case_id", None)
        if case_id is None:
            return NoteCaseEvent()
        case: CaseFile | CaseOpening | None = self.app.case_file(case_id)
        opening = None
        if case is None and isinstance(event, c.CaseOpened):
            routing = event.routing
            case = opening = CaseOpening(
                case_id=case_id,
                proposal_id=str(event.proposal_id),
                title=event.title or "",
                proposer_id=event.proposer.user_id if event.proposer else "",
                recipient_unit_id=event.recipient_unit_id,
                intake_unit_id=event.intake_unit_id,
                directory_version=routing.directory_version if routing else "",
                delegate_ids=tuple(event.authority.delegate_ids) if event.authority else (),
                rule_set_version=event.rule_set_version or "",
            )
        if case is None:
            log.warning("no case file for %s (its opening never arrived): nobody told", case_id)
            return NoteCaseEvent()
        before = (
            None
            if case.waiting is None
            else Waiting(
                str(case.waiting["state"]),
                Audience(str(case.waiting["audience"])),
                None if case.waiting["due"] is None else date.fromisoformat(case.waiting["due"]),
            )
        )
        after = waiting_after(event, before)
        return NoteCaseEvent(
            case_id=case_id,
            opening=opening,
            waiting=None
            if after is None
            else {
                "state": after.state,
                "audience": after.audience.value,
                "due": None if after.due is None else after.due.isoformat(),
            },
            notifications=self._notifications(event, case),
        )

    def _notifications(
        self, event: IntegrationEvent, case: CaseFile | CaseOpening
    ) -> tuple[NewNotification, ...]:
        on = local_date(event.occurred_at)
        parties = parties_of(case)
        made: dict[str, NewNotification] = {}
        for notice in notices_for(event):
            try:
                people = self.recipients.resolve(notice, event, parties, on)
            except DirectoryLookupError as error:
                log.warning("recipients of %s on case %s: %s", notice, case.case_id, error)
                continue
            # One letter for everyone a notice reaches: only the greeting names the person.
            letter: Letter | None = None
            for person in people:
                if person.person_id in made:  # one notification per person and event
                    continue
                if letter is None:
                    letter = self._letter(event, case, notice.kind, notice.audience, on)
                made[person.person_id] = self._notification(
                    event, case, notice.kind, letter, person
                )
        return tuple(made.values())

    def _letter(
        self,
        event: IntegrationEvent,
        case: CaseFile | CaseOpening,
        kind: Kind,
        audience: Audience,
        on: date,
    ) -> Letter:
        due = getattr(event, "due", None)
        days_left = (
            self.days_left(case.rule_set_version, on, due) if isinstance(due, date) else None
        )
        escalated = event.escalated_to if isinstance(event, c.DeadlineBreached) else None
        return Letter(
            subject=subject_for(kind, case.title),
            lines=lines_for(
                kind,
                event,
                title=case.title,
                unit_name=self._unit_name(case.recipient_unit_id),
                escalated_to_name="" if escalated is None else self._unit_name(escalated.unit_id),
                days_left=days_left,
            ),
            link=case_link(self.channels.portal_url, audience, str(case.case_id), case.proposal_id),
        )

    def _notification(
        self,
        event: IntegrationEvent,
        case: CaseFile | CaseOpening,
        kind: Kind,
        letter: Letter,
        person: Recipient,
    ) -> NewNotification:
        delivery, note = self._delivery(event, kind, person)
        return NewNotification(
            source_id=event.id,
            person_id=person.person_id,
            kind=kind.value,
            case_id=str(case.case_id),
            proposal_id=case.proposal_id,
            event_type=event.type,
            happened_at=event.occurred_at.isoformat(),
            subject=letter.subject,
            text=letter.text(person.name),
            html=letter.html(person.name),
            link=letter.link,
            email=person.email,
            delivery=delivery,
            note=note,
        )

    def _delivery(self, event: IntegrationEvent, kind: Kind, person: Recipient) -> tuple[str, str]:
        if not self.channels.email:
            return Delivery.NONE, "e-mail is not configured (D73_SMTP_HOST)"
        if not person.email:
            return Delivery.NONE, "no e-mail address in the directory"
        if event.occurred_at < self.app.origin:
            return Delivery.NONE, "history: it happened before this notification store began"
        mode = self.app.mode_of(person.person_id, kind)
        if mode is Mode.OFF:
            return Delivery.NONE, "the person turned this kind off"
        if mode is Mode.DIGEST:
            return Delivery.DIGEST, ""
        return Delivery.PENDING, ""

    def _unit_name(self, unit_id: str) -> str:
        try:
            return self.recipients.directory.unit_name(unit_id)
        except DirectoryLookupError:
            return unit_id
