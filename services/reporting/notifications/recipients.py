"""People behind an audience, from the organisation directory (issue #16 §1).

A post is looked up in the directory version in force on the day of the event, so the person
who holds it now is told; a unit that version no longer has (a district after 1/7/2025) is
looked up in the version the case was routed with, which still decides it (directory README).
The case's own head is the one exception: he is named by the routed version, since only he
may act on it (issue #14 point 7).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date

from services.reporting.notifications.rules import Audience, Notice
from shared.contracts import approval as c
from shared.contracts.base import IntegrationEvent
from shared.kernel.directory import (
    DirectoryLookupError,
    Member,
    OrganisationDirectory,
    StaffDuty,
    Unit,
)


@dataclass(frozen=True)
class Recipient:
    person_id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class CaseParties:
    """What the notifier keeps of a case from its opening: who proposed, who decides."""

    proposer_id: str
    recipient_unit_id: str
    intake_unit_id: str
    directory_version: str
    delegate_ids: tuple[str, ...] = ()


class Recipients:
    def __init__(self, directory: OrganisationDirectory) -> None:
        self.directory = directory
        self._people: dict[OrganisationDirectory, dict[str, Member]] = {}
        """Per directory version, each person's post (`OrganisationDirectory.person`, which
        scans every member), indexed once: the directory never changes."""

    def _version(self, on: date, case: CaseParties, unit_id: str) -> OrganisationDirectory:
        try:
            current = self.directory.in_force(on)
        except DirectoryLookupError:
            current = self.directory.versions[0]
        if unit_id in current.units:
            return current
        try:
            return self.directory.version_named(case.directory_version)
        except (DirectoryLookupError, KeyError, ValueError):
            return current

    def _unit(self, on: date, case: CaseParties, unit_id: str) -> Unit | None:
        version = self._version(on, case, unit_id)
        return version.units.get(unit_id)

    def person(self, person_id: str, on: date) -> Recipient:
        """The person's name and address in the newest version in force that knows them."""
        versions = [v for v in self.directory.versions if v.effective_from <= on]
        for version in reversed(versions or list(self.directory.versions)):
            member = self._people_of(version).get(person_id)
            if member is not None:
                return Recipient(person_id, member.name, member.email)
        return Recipient(person_id)

    def _people_of(self, version: OrganisationDirectory) -> dict[str, Member]:
        people = self._people.get(version)
        if people is None:
            people = {}
            for _, member in version.members():
                people.setdefault(member.person_id, member)  # the first found, as `person`
            self._people[version] = people
        return people

    def authority(self, on: date, case: CaseParties) -> list[str]:
        """The head of the recipient unit as the case's own directory version names him (he,
        not whoever heads the unit today, decides: `CaseAuthority`), the intake office's
        specialists, and those the case or the directory names as delegates for its intake
        steps."""
        people: list[str] = []
        with contextlib.suppress(DirectoryLookupError):
            routed = self.directory.routed_version(case.directory_version, on)
            people.append(routed.head_of(case.recipient_unit_id).person_id)
        intake = self._unit(on, case, case.intake_unit_id)
        if intake is not None and intake.office is not None:
            people += [m.person_id for m in intake.office.staff if m.duty is StaffDuty.INTAKE]
        version = self._version(on, case, case.recipient_unit_id)
        with contextlib.suppress(DirectoryLookupError):
            people += version.intake_delegates(case.recipient_unit_id, case.intake_unit_id, on)
        people += case.delegate_ids
        return people

    def head_of(self, on: date, case: CaseParties, unit_id: str | None) -> list[str]:
        unit = None if unit_id is None else self._unit(on, case, unit_id)
        return [] if unit is None else [unit.head.person_id]

    def waiting(self, audience: Audience, case: CaseParties, on: date) -> list[str]:
        """Who a case waits on when it waits on `audience` (the proposer, or the authority);
        nobody for the audiences only an event names."""
        if audience is Audience.PROPOSER:
            return [case.proposer_id] if case.proposer_id else []
        if audience is Audience.AUTHORITY:
            return list(dict.fromkeys(self.authority(on, case)))
        return []

    def resolve(
        self, notice: Notice, event: IntegrationEvent, case: CaseParties, on: date
    ) -> list[Recipient]:
        """The people `notice` goes to, once each, never the one whose act the event records."""
        people: list[str] = self.waiting(notice.audience, case, on)
        if notice.audience is Audience.NAMED:
            people = [notice.person_id]
        elif notice.audience is Audience.RESPONSIBLE and isinstance(
            event, c.DeadlineApproaching | c.DeadlineBreached
        ):
            people = (
                [event.responsible_user_id]
                if event.responsible_user_id
                else self.head_of(on, case, event.responsible_unit_id)
            )
        elif (
            notice.audience is Audience.ESCALATION
            and isinstance(event, c.DeadlineBreached)
            and event.escalated_to is not None
        ):
            people = self.head_of(on, case, event.escalated_to.unit_id)
            home_affairs = self._version(on, case, case.intake_unit_id).home_affairs
            people.append(home_affairs.head.person_id)
            if home_affairs.office is not None:
                people += [
                    m.person_id for m in home_affairs.office.staff if m.duty is StaffDuty.INTAKE
                ]
        actor = event.actor.user_id if event.actor is not None else None
        unique = [p for p in dict.fromkeys(people) if p and p != actor]
        return [self.person(person_id, on) for person_id in unique]
