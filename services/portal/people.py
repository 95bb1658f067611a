"""Who signs in: a person of the organisation directory, and the roles the directory gives them.

A token names the person (`sub`) and carries their roles; name, unit and position are the
directory's, and so are the roles (`shared.identity.granted_roles`): the services refuse a role
the directory does not give, so the portal never asks for one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from shared.kernel.directory import OrganisationDirectory
from shared.platform.identity import directory_people


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


def people(directory: OrganisationDirectory) -> list[Person]:
    """Everyone the directory names, in its order (heads first within each unit), then its
    auditors and administrators."""
    return [
        Person(
            person_id=actor.user_id,
            name=actor.name,
            unit_id=actor.unit_id,
            unit_name=directory.unit(actor.unit_id).name_vi,
            position=actor.position,
            position_name=directory.position(actor.position).name_vi,
            roles=tuple(sorted(actor.roles)),
        )
        for actor in directory_people(directory).values()
    ]


def person(directory: OrganisationDirectory, person_id: str) -> Person:
    for candidate in people(directory):
        if candidate.person_id == person_id:
            return candidate
    raise UnknownPerson(person_id)


def names_of(directory: OrganisationDirectory) -> Mapping[str, str]:
    """Person code → name, to show people by name where the services give codes: over every
    directory version, the newest winning, so a case routed before a reorganisation still names
    the people of its own version (a district's deputies after 1/7/2025), never their codes.
    Worked out once per set of versions (they are immutable), not on every case page."""
    return _names_over(directory.versions)


@functools.lru_cache(maxsize=4)
def _names_over(versions: tuple[OrganisationDirectory, ...]) -> Mapping[str, str]:
    names: dict[str, str] = {}
    for version in versions:
        names.update((member.person_id, member.name) for _, member in version.members())
    return MappingProxyType(names)
