"""The organisation directory: units, who heads them, positions and who manages which position.

Decree 73 routes a proposal by the proposer's place in the organisation (Art 7 §3–4) and, in
Cần Thơ, by which level manages the proposer's position (Plan 88/KH-UBND II.3.a–b). Those facts
are data, loaded from a versioned file per jurisdiction (`shared.directory.loader`); this module
only answers questions about them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType


class UnitKind(StrEnum):
    """Loại đơn vị."""

    CITY_PC = "city_pc"
    DEPARTMENT = "department"
    DISTRICT_PC = "district_pc"
    COMMUNE_PC = "commune_pc"
    PUBLIC_SERVICE_UNIT = "public_service_unit"
    ENTERPRISE = "enterprise"
    DIVISION = "division"

    @property
    def is_employing_agency(self) -> bool:
        """Cơ quan sử dụng cán bộ — Art 7 §3: a division (phòng, ban, khoa) is part of an agency."""
        return self is not UnitKind.DIVISION


class ManagerLevel(StrEnum):
    """Which level manages (has cadre-management authority over) a position."""

    CITY_PC = "city_pc"
    """Thuộc thẩm quyền quản lý của UBND thành phố — Plan 88 II.3.a."""
    AGENCY = "agency"
    """Thuộc thẩm quyền quản lý của cơ quan, đơn vị, địa phương — Plan 88 II.3.b."""
    CENTRAL = "central"
    """Managed above the city (e.g. the city PC's own chairman and vice-chairmen)."""


WILDCARD_KIND = "*"


@dataclass(frozen=True)
class Position:
    """Chức vụ: a code and whether it makes its holder a leader/manager (Art 2)."""

    code: str
    name_vi: str
    name_en: str
    leader_manager: bool


@dataclass(frozen=True)
class Member:
    """A person holding a post in a unit."""

    person_id: str
    name: str
    position: str


@dataclass(frozen=True)
class Unit:
    """Cơ quan, đơn vị, địa phương or one of their divisions."""

    id: str
    name_vi: str
    name_en: str
    kind: UnitKind
    superior_id: str | None
    head: Member
    deputies: tuple[Member, ...]


@dataclass(frozen=True)
class ManagementRule:
    """Who manages `positions` in units of `unit_kind` (optionally only under `superior_kind`)."""

    unit_kind: str
    positions: frozenset[str]
    managed_by: ManagerLevel
    superior_kind: str | None = None

    @property
    def specificity(self) -> int:
        if self.unit_kind == WILDCARD_KIND:
            return 0
        return 2 if self.superior_kind is not None else 1

    def matches(self, unit_kind: str, superior_kind: str | None, position: str) -> bool:
        return (
            position in self.positions
            and self.unit_kind in (WILDCARD_KIND, unit_kind)
            and (self.superior_kind is None or self.superior_kind == superior_kind)
        )


@dataclass(frozen=True)
class CityRoute:
    """Plan 88 II.3.a: the city PC decides, and its Department of Home Affairs takes the file in."""

    recipient_unit_id: str
    intake_unit_id: str


class DirectoryLookupError(LookupError):
    """The directory has no such unit, position or management rule."""


class UnknownUnit(DirectoryLookupError):
    pass


class UnknownPosition(DirectoryLookupError):
    pass


class NoManagementRule(DirectoryLookupError):
    pass


class OrganisationDirectory:
    """One validated version of a jurisdiction's directory; immutable once built."""

    def __init__(
        self,
        *,
        jurisdiction: str,
        version: str,
        effective_from: date,
        local_plan_ref: str,
        units: Mapping[str, Unit],
        positions: Mapping[str, Position],
        management_rules: tuple[ManagementRule, ...],
        city_route: CityRoute,
    ) -> None:
        self.jurisdiction = jurisdiction
        self.version = version
        self.effective_from = effective_from
        self.local_plan_ref = local_plan_ref
        self.city_route = city_route
        self.management_rules = management_rules
        self._units = MappingProxyType(dict(units))
        self._positions = MappingProxyType(dict(positions))

    def __repr__(self) -> str:
        return f"OrganisationDirectory({self.jurisdiction!r}, version={self.version!r})"

    @property
    def units(self) -> Mapping[str, Unit]:
        return self._units

    @property
    def positions(self) -> Mapping[str, Position]:
        return self._positions

    def unit(self, unit_id: str) -> Unit:
        try:
            return self._units[unit_id]
        except KeyError:
            raise UnknownUnit(f"no unit {unit_id!r} in directory {self.version}") from None

    def position(self, code: str) -> Position:
        try:
            return self._positions[code]
        except KeyError:
            raise UnknownPosition(f"no position {code!r} in directory {self.version}") from None

    def superior_of(self, unit_id: str) -> Unit | None:
        superior_id = self.unit(unit_id).superior_id
        return None if superior_id is None else self.unit(superior_id)

    def head_of(self, unit_id: str) -> Member:
        return self.unit(unit_id).head

    def deputies_of(self, unit_id: str) -> tuple[Member, ...]:
        return self.unit(unit_id).deputies

    def leadership_collective(self, unit_id: str) -> tuple[Member, ...]:
        """Tập thể lãnh đạo — the head and the deputies (Art 8 §1)."""
        unit = self.unit(unit_id)
        return (unit.head, *unit.deputies)

    def members(self) -> tuple[tuple[Unit, Member], ...]:
        """Every (unit, member) pair, heads first: for demo data and development tokens."""
        return tuple(
            (unit, member)
            for unit in self._units.values()
            for member in (unit.head, *unit.deputies)
        )

    def units_headed_by(self, person_id: str) -> tuple[Unit, ...]:
        return tuple(unit for unit in self._units.values() if unit.head.person_id == person_id)

    def subordinates_of(self, unit_id: str) -> tuple[Unit, ...]:
        self.unit(unit_id)
        return tuple(unit for unit in self._units.values() if unit.superior_id == unit_id)

    def employing_agency_of(self, unit_id: str) -> Unit:
        """The unit itself, or for a division the agency it belongs to (Art 7 §3)."""
        unit = self.unit(unit_id)
        while not unit.kind.is_employing_agency:
            superior = self.superior_of(unit.id)
            if superior is None:  # the loader guarantees a root agency; keep mypy honest
                raise UnknownUnit(f"division {unit.id!r} belongs to no agency")
            unit = superior
        return unit

    def superior_agency_of(self, unit_id: str) -> Unit | None:
        """The agency above `unit_id`'s employing agency (Art 7 §4), or None at the top."""
        superior = self.superior_of(self.employing_agency_of(unit_id).id)
        return None if superior is None else self.employing_agency_of(superior.id)

    def manager_level(self, unit_id: str, position_code: str) -> ManagerLevel:
        """Which level manages `position_code` in `unit_id`: the most specific rule of the data."""
        unit = self.unit(unit_id)
        self.position(position_code)
        superior = self.superior_of(unit_id)
        rule = best_rule(
            self.management_rules,
            unit.kind,
            None if superior is None else superior.kind,
            position_code,
        )
        if rule is None:
            raise NoManagementRule(
                f"directory {self.version} says nobody manages {position_code!r} "
                f"in {unit.kind} {unit_id!r}"
            )
        return rule.managed_by

    @property
    def city_pc(self) -> Unit:
        return self.unit(self.city_route.recipient_unit_id)

    @property
    def home_affairs(self) -> Unit:
        return self.unit(self.city_route.intake_unit_id)


def best_rule(
    rules: tuple[ManagementRule, ...], unit_kind: str, superior_kind: str | None, position: str
) -> ManagementRule | None:
    matching = [rule for rule in rules if rule.matches(unit_kind, superior_kind, position)]
    return max(matching, key=lambda rule: rule.specificity, default=None)
