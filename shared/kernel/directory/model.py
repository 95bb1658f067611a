"""The organisation directory: units, who heads them, positions and who manages which position.

Decree 73 routes a proposal by the proposer's place in the organisation (Art 7 §3–4) and, in
Cần Thơ, by which level manages the proposer's position (Plan 88/KH-UBND II.3.a–b). Those facts
are data, loaded from a versioned file per jurisdiction (`shared.kernel.directory.loader`); this
module only answers questions about them.
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
    email: str = ""
    """Where the suite's notifications reach the person (empty: only in the portal)."""


class StaffDuty(StrEnum):
    """What a staff member of an agency's office does for proposals."""

    CLERK = "clerk"
    """Văn thư: receives and dispatches documents; records nothing on a case by itself."""
    INTAKE = "intake"
    """Chuyên viên tiếp nhận: may take intake steps when the head delegates them."""


@dataclass(frozen=True)
class StaffMember(Member):
    """A member of an agency's office (not of its leadership collective)."""

    duty: StaffDuty = StaffDuty.CLERK


class SystemDuty(StrEnum):
    """What a person outside the case work does for the system itself."""

    AUDIT = "audit"
    """Kiểm tra, thanh tra: reads every record and verifies histories; changes nothing."""
    ADMINISTRATION = "administration"
    """Quản trị hệ thống: operates the suite (dead letters, rebuilds); takes no case step."""


@dataclass(frozen=True)
class SystemStaff(Member):
    """A person the directory names for a system duty (auditor, administrator), placed in a
    unit for their name and title but taking no part in its cases: no proposal, no vote."""

    unit_id: str = ""
    duty: SystemDuty = SystemDuty.AUDIT


@dataclass(frozen=True)
class Office:
    """Văn phòng (or bộ phận một cửa) of an agency: where plans are received."""

    name_vi: str
    name_en: str
    staff: tuple[StaffMember, ...]

    def intake_specialists(self) -> tuple[StaffMember, ...]:
        return tuple(m for m in self.staff if m.duty is StaffDuty.INTAKE)


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
    office: Office | None = None
    abbreviation: str = ""
    """Chữ viết tắt tên cơ quan (e.g. "SNV"): the "Số: …/BC-SNV" line of its documents."""


class DelegatedStep(StrEnum):
    """Steps a head may hand to office staff; decisions (Art 8 §1) are never delegable."""

    INTAKE = "intake"
    """Tiếp nhận, kiểm tra hồ sơ, yêu cầu bổ sung: the office steps of a case."""


@dataclass(frozen=True)
class Delegation:
    """Ủy quyền / giao nhiệm vụ: the head of `unit_id` lets `delegate_id` take `steps`,
    from `valid_from` to `valid_until` (inclusive; None = until revoked), by `decision_ref`."""

    unit_id: str
    delegator_id: str
    delegate_id: str
    steps: frozenset[DelegatedStep]
    valid_from: date
    valid_until: date | None
    decision_ref: str

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    def as_dict(self) -> dict[str, str | list[str] | None]:
        return {
            "unit_id": self.unit_id,
            "delegator_id": self.delegator_id,
            "delegate_id": self.delegate_id,
            "steps": sorted(self.steps),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": None if self.valid_until is None else self.valid_until.isoformat(),
            "decision_ref": self.decision_ref,
        }


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


@dataclass(frozen=True)
class CaseAuthority:
    """The competent authority of one case (Art 7 §3–4, Art 8 §1) as the directory version it
    was routed with names it: the head of the recipient unit, its deputies, and who may take
    its intake steps. People are held by person id, so a later version that moves them, or
    gives their unit another head, changes nothing on the case: the case keeps the version
    it was routed with (issue #14 point 7; `OrganisationDirectory.case_authority`)."""

    recipient_unit_id: str
    intake_unit_id: str
    head_id: str
    deputy_ids: tuple[str, ...]
    delegate_ids: tuple[str, ...]

    @property
    def people(self) -> frozenset[str]:
        """Everyone who holds a post on the case: the head, the deputies, the delegates."""
        return frozenset((self.head_id, *self.deputy_ids, *self.delegate_ids))


class DirectoryLookupError(LookupError):
    """The directory has no such unit, position or management rule."""


class UnknownUnit(DirectoryLookupError):
    pass


class UnknownPosition(DirectoryLookupError):
    pass


class UnknownPerson(DirectoryLookupError):
    """This version of the directory names nobody with that id."""


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
        effective_from_basis: str = "",
        delegations: tuple[Delegation, ...] = (),
        system_staff: tuple[SystemStaff, ...] = (),
    ) -> None:
        self.jurisdiction = jurisdiction
        self.version = version
        self.effective_from = effective_from
        self.effective_from_basis = effective_from_basis
        self.local_plan_ref = local_plan_ref
        self.city_route = city_route
        self.management_rules = management_rules
        self.delegations = delegations
        self.system_staff = system_staff
        """Auditors and administrators: the only people the system's own roles go to."""
        self._units = MappingProxyType(dict(units))
        self._positions = MappingProxyType(dict(positions))
        self._posts: dict[str, tuple[Unit, Member]] | None = None
        self._versions: tuple[OrganisationDirectory, ...] = (self,)

    # ------------------------------------------------------------ versions

    def join(self, versions: tuple[OrganisationDirectory, ...]) -> None:
        """Set by the loader: every version of this jurisdiction, oldest first (self among them)."""
        if self not in versions:
            raise ValueError(f"{self!r} is not among the versions it joins")
        self._versions = versions

    @property
    def versions(self) -> tuple[OrganisationDirectory, ...]:
        """Every version of this jurisdiction's directory, oldest first."""
        return self._versions

    def in_force(self, on: date) -> OrganisationDirectory:
        """The version in force on `on`: routing uses the one of the submission day, and a case
        keeps the version it was routed with (`version_named`)."""
        in_force = [d for d in self._versions if d.effective_from <= on]
        if not in_force:
            first = self._versions[0].effective_from.isoformat()
            raise DirectoryLookupError(
                f"no directory of {self.jurisdiction} is in force on {on.isoformat()} "
                f"(the first takes effect on {first})"
            )
        return in_force[-1]

    def routed_version(self, version: str | None, submitted_on: date) -> OrganisationDirectory:
        """The version a case was routed with (`routing.directory_version`): it keeps deciding
        who the case's authority is after a reorganisation. The one in force on the
        submission day when the routing names none, or one this jurisdiction does not have."""
        if version:
            try:
                return self.version_named(version)
            except DirectoryLookupError:
                pass
        return self.in_force(submitted_on)

    def case_authority(
        self, recipient_unit_id: str, intake_unit_id: str, submitted_on: date
    ) -> CaseAuthority:
        """Who holds a post on a case routed with this version to `recipient_unit_id` through
        `intake_unit_id` and submitted on `submitted_on`: the one rule registration and
        approval both read (a head of the routed unit decides, and only he, whatever post a
        later version gives him or whoever it puts at the head of that unit)."""
        return CaseAuthority(
            recipient_unit_id=recipient_unit_id,
            intake_unit_id=intake_unit_id,
            head_id=self.head_of(recipient_unit_id).person_id,
            deputy_ids=tuple(m.person_id for m in self.deputies_of(recipient_unit_id)),
            delegate_ids=tuple(
                self.intake_delegates(recipient_unit_id, intake_unit_id, submitted_on)
            ),
        )

    def unit_name(self, unit_id: str) -> str:
        """The Vietnamese name of `unit_id` in the newest version that knows it: paper names
        units, never their ids (a district of 2024 keeps its name on its old cases)."""
        for directory in reversed(self._versions):
            if unit_id in directory.units:
                return directory.units[unit_id].name_vi
        return ""

    def version_named(self, version: str) -> OrganisationDirectory:
        for directory in self._versions:
            if directory.version == version:
                return directory
        raise DirectoryLookupError(f"no directory version {version!r} of {self.jurisdiction}")

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
        """Every (unit, member) pair, heads first, then office staff: for demo data and
        development tokens."""
        return tuple(
            (unit, member)
            for unit in self._units.values()
            for member in (unit.head, *unit.deputies, *self.staff_of(unit.id))
        )

    def person(self, person_id: str) -> Member | None:
        """The post `person_id` holds in this version (the first found), or None."""
        return next((m for _, m in self.members() if m.person_id == person_id), None)

    def post_of(self, person_id: str) -> tuple[Unit, Member]:
        """Where this version places `person_id`: their unit and post (a member of a unit, or
        one of its `system_staff`); identity comes from here, never from a token's claims."""
        if self._posts is None:
            posts = {member.person_id: (unit, member) for unit, member in self.members()}
            for staff in self.system_staff:
                posts[staff.person_id] = (self.unit(staff.unit_id), staff)
            self._posts = posts
        try:
            return self._posts[person_id]
        except KeyError:
            raise UnknownPerson(f"no person {person_id!r} in directory {self.version}") from None

    def staff_of(self, unit_id: str) -> tuple[StaffMember, ...]:
        """The unit's office staff (văn thư, chuyên viên tiếp nhận); none if it has no office."""
        office = self.unit(unit_id).office
        return () if office is None else office.staff

    def delegations_on(self, unit_id: str, on: date) -> tuple[Delegation, ...]:
        """Delegations the head of `unit_id` has in force on `on`."""
        return tuple(d for d in self.delegations if d.unit_id == unit_id and d.in_force(on))

    def intake_delegates(self, recipient_unit_id: str, intake_unit_id: str, on: date) -> list[str]:
        """Who besides the head may take a case's office steps, for a plan received on `on`:
        for the city route (Plan 88 II.3.a) Sở Nội vụ's leaders, who take the file in for the
        city People's Committee; and the office staff to whom the head of the intake or the
        recipient unit delegated intake steps, by a decision in force that day."""
        delegates: list[str] = []
        if intake_unit_id != recipient_unit_id:
            delegates += [m.person_id for m in self.leadership_collective(intake_unit_id)]
        for unit_id in dict.fromkeys((intake_unit_id, recipient_unit_id)):
            for delegation in self.delegations_on(unit_id, on):
                if DelegatedStep.INTAKE in delegation.steps:
                    delegates.append(delegation.delegate_id)
        return list(dict.fromkeys(delegates))

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
