"""Who signs in: a person of the organisation directory, and the roles the directory gives them.

A token names the person (`sub`) and carries their roles; name, unit and position are the
directory's. The roles follow from the person's posts: everyone may propose (Art 7 §1); a head
of a unit reviews their agency's cases; members of the City People's Committee act for it; staff
of Sở Nội vụ take files in and monitor (Plan 88 II.3.a, IV.2); the auditors are named by setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.directory import OrganisationDirectory, UnitKind
from shared.identity import Role


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    unit_id: str
    unit_name: str
    position: str
    position_name: str
    roles: tuple[str, ...]


class UnknownPerson(LookupError):
    """The identity provider named someone the organisation directory does not hold."""


def _within(directory: OrganisationDirectory, unit_id: str, ancestor_id: str) -> bool:
    current: str | None = unit_id
    while current is not None:
        if current == ancestor_id:
            return True
        current = directory.unit(current).superior_id
    return False


def people(
    directory: OrganisationDirectory, auditors: frozenset[str] = frozenset()
) -> list[Person]:
    """Everyone the directory names, in its order (heads first within each unit)."""
    found: list[Person] = []
    for unit, member in directory.members():
        roles = [Role.PROPOSER.value]
        if unit.head.person_id == member.person_id:
            roles.append(Role.UNIT_HEAD.value)
        if unit.kind is UnitKind.CITY_PC:
            roles.append(Role.CITY_COMMITTEE.value)
        if _within(directory, unit.id, directory.home_affairs.id):
            roles.append(Role.HOME_AFFAIRS.value)
        if member.person_id in auditors:
            roles.append(Role.AUDITOR.value)
        position = directory.position(member.position)
        found.append(
            Person(
                person_id=member.person_id,
                name=member.name,
                unit_id=unit.id,
                unit_name=unit.name_vi,
                position=member.position,
                position_name=position.name_vi,
                roles=tuple(roles),
            )
        )
    return found


def person(
    directory: OrganisationDirectory, person_id: str, auditors: frozenset[str] = frozenset()
) -> Person:
    for candidate in people(directory, auditors):
        if candidate.person_id == person_id:
            return candidate
    raise UnknownPerson(person_id)


def names_of(directory: OrganisationDirectory) -> dict[str, str]:
    """Person code → name, to show people by name where the services give codes."""
    return {member.person_id: member.name for _, member in directory.members()}
