"""Load and validate a jurisdiction's organisation directory from its versioned JSON file.

Files live at `shared/kernel/directory/data/<jurisdiction>/<version>.json` (read through
`importlib.resources`) and optionally in an operator's `extra_dir/<jurisdiction>/`, which wins
for the same version. A file is checked as a whole on load, so a wrong directory fails at start-up
with a message naming the file and the entry, never half-way through routing a proposal.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Mapping
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from shared.kernel.directory.model import (
    WILDCARD_KIND,
    CityRoute,
    DelegatedStep,
    Delegation,
    ManagementRule,
    ManagerLevel,
    Member,
    Office,
    OrganisationDirectory,
    Position,
    StaffDuty,
    StaffMember,
    SystemDuty,
    SystemStaff,
    Unit,
    UnitKind,
    best_rule,
)

DEFAULT_JURISDICTION = "can-tho"
DutyT = TypeVar("DutyT", StaffDuty, SystemDuty)
_JURISDICTION = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VERSION = re.compile(r"^\d+(?:\.\d+)*$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


class DirectoryError(Exception):
    """A directory file is missing or invalid; the message names the file and the entry."""


def load_directory(
    jurisdiction: str = DEFAULT_JURISDICTION,
    version: str | None = None,
    extra_dir: str | Path | None = None,
    *,
    as_of: date | None = None,
) -> OrganisationDirectory:
    """The directory `version` of `jurisdiction`; by default the newest in force `as_of` (or ever).

    Packaged versions are cached: the directory is immutable.
    """
    if extra_dir is None:
        return _load_packaged(jurisdiction, version, as_of)
    return _load(jurisdiction, version, Path(extra_dir), as_of)


def available_versions(
    jurisdiction: str = DEFAULT_JURISDICTION, extra_dir: str | Path | None = None
) -> list[str]:
    """Every version on offer for `jurisdiction`, oldest first."""
    found = _candidates(jurisdiction, None if extra_dir is None else Path(extra_dir))
    return sorted(found, key=_version_key)


def parse_directory(document: Any, *, source: str = "<memory>") -> OrganisationDirectory:
    """Build and validate a directory from a decoded JSON document."""
    return _Parser(source).directory(document)


@functools.cache
def _load_packaged(
    jurisdiction: str, version: str | None, as_of: date | None
) -> OrganisationDirectory:
    return _load(jurisdiction, version, None, as_of)


def _load(
    jurisdiction: str, version: str | None, extra_dir: Path | None, as_of: date | None
) -> OrganisationDirectory:
    candidates = _candidates(jurisdiction, extra_dir)
    if version is not None and version not in candidates:
        raise DirectoryError(
            f"no directory version {version!r} for {jurisdiction!r} "
            f"(have: {', '.join(sorted(candidates, key=_version_key)) or 'none'})"
        )
    if extra_dir is None:
        versions = _packaged_versions(jurisdiction)
    else:
        versions = _all_versions(jurisdiction, candidates)
    if version is not None:
        return next(d for d in versions if d.version == version)
    for directory in reversed(versions):
        if as_of is None or directory.effective_from <= as_of:
            return directory
    when = "" if as_of is None else f" in force on {as_of.isoformat()}"
    raise DirectoryError(f"no directory{when} for jurisdiction {jurisdiction!r}")


@functools.cache
def _packaged_versions(jurisdiction: str) -> tuple[OrganisationDirectory, ...]:
    return _all_versions(jurisdiction, _candidates(jurisdiction, None))


def _all_versions(
    jurisdiction: str, candidates: Mapping[str, Traversable]
) -> tuple[OrganisationDirectory, ...]:
    """Every version, oldest first, each joined to the others: a service holds one object and
    routes with the version in force on the submission day (`OrganisationDirectory.in_force`)."""
    versions = tuple(
        _read(candidates[name], jurisdiction, name) for name in sorted(candidates, key=_version_key)
    )
    for older, newer in itertools.pairwise(versions):
        if newer.effective_from <= older.effective_from:
            raise DirectoryError(
                f"{jurisdiction} directory {newer.version} takes effect on "
                f"{newer.effective_from.isoformat()}, not after {older.version} "
                f"({older.effective_from.isoformat()})"
            )
    for directory in versions:
        directory.join(versions)
    return versions


def _candidates(jurisdiction: str, extra_dir: Path | None) -> dict[str, Traversable]:
    if not _JURISDICTION.match(jurisdiction):
        raise DirectoryError(f"jurisdiction {jurisdiction!r} is not a lowercase slug")
    found: dict[str, Traversable] = {}
    packaged = resources.files("shared.kernel.directory").joinpath("data", jurisdiction)
    extra: Traversable | None = None if extra_dir is None else extra_dir / jurisdiction
    for folder in (packaged, extra):  # later folders win
        if folder is None or not folder.is_dir():
            continue
        for entry in folder.iterdir():
            stem = entry.name.removesuffix(".json")
            if entry.name.endswith(".json") and _VERSION.match(stem):
                found[stem] = entry
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _read(entry: Traversable, jurisdiction: str, version: str) -> OrganisationDirectory:
    source = str(entry)
    try:
        document = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DirectoryError(f"{source}: cannot read JSON: {error}") from error
    directory = parse_directory(document, source=source)
    if directory.jurisdiction != jurisdiction or directory.version != version:
        raise DirectoryError(
            f"{source}: file says {directory.jurisdiction!r} version {directory.version!r}, "
            f"but its place says {jurisdiction!r} version {version!r}"
        )
    return directory


class _Parser:
    """Turns a JSON document into an `OrganisationDirectory`, raising on the first problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> DirectoryError:
        return DirectoryError(f"{self.source}: {where}: {message}")

    def directory(self, document: Any) -> OrganisationDirectory:
        root = self.object(document, "document")
        jurisdiction = self.text(root, "jurisdiction", "document")
        if not _JURISDICTION.match(jurisdiction):
            raise self.fail("jurisdiction", f"{jurisdiction!r} is not a lowercase slug")
        version = self.text(root, "version", "document")
        if not _VERSION.match(version):
            raise self.fail("version", f"{version!r} is not like '2024.1'")
        try:
            effective_from = date.fromisoformat(self.text(root, "effective_from", "document"))
        except ValueError:
            raise self.fail("effective_from", "is not an ISO date (YYYY-MM-DD)") from None
        positions = self.positions(self.array(root, "positions", "document"))
        units = self.units(self.array(root, "units", "document"), positions)
        rules = self.rules(self.array(root, "management", "document"), positions)
        city_route = self.city_route(self.object(root.get("city_route"), "city_route"), units)
        self.check_management_covers_members(units, rules)
        delegations = self.delegations(root.get("delegations", []), units)
        system_staff = self.system_staff(root.get("system_staff", []), units, positions)
        return OrganisationDirectory(
            jurisdiction=jurisdiction,
            version=version,
            effective_from=effective_from,
            effective_from_basis=self.text(root, "effective_from_basis", "document"),
            local_plan_ref=self.text(root, "local_plan_ref", "document"),
            units=units,
            positions=positions,
            management_rules=rules,
            city_route=city_route,
            delegations=delegations,
            system_staff=system_staff,
        )

    def system_staff(
        self, entries: Any, units: Mapping[str, Unit], positions: Mapping[str, Position]
    ) -> tuple[SystemStaff, ...]:
        """Auditors and administrators: placed in a unit, but not one of its members (they
        neither propose nor vote), and never someone the units already name."""
        if not isinstance(entries, list):
            raise self.fail("system_staff", "must be a list")
        members = {m.person_id for u in units.values() for m in _people_of(u)}
        found: list[SystemStaff] = []
        for index, entry in enumerate(entries):
            where = f"system_staff[{index}]"
            member = self.member(entry, where, positions)
            item = self.object(entry, where)
            unit_id = self.text(item, "unit_id", where)
            if unit_id not in units:
                raise self.fail(where, f"unknown unit {unit_id!r}")
            if member.person_id in members or member.person_id in {s.person_id for s in found}:
                raise self.fail(where, f"person {member.person_id!r} is already named")
            duty = self.duty(item.get("duty"), SystemDuty, where)
            found.append(
                SystemStaff(
                    person_id=member.person_id,
                    name=member.name,
                    position=member.position,
                    email=member.email,
                    unit_id=unit_id,
                    duty=duty,
                )
            )
        return tuple(found)

    def delegations(self, entries: Any, units: Mapping[str, Unit]) -> tuple[Delegation, ...]:
        """Art 8 §1 decisions stay with the head; only office steps are delegated, by the head
        of the unit, to a member of its own office, for stated dates."""
        if not isinstance(entries, list):
            raise self.fail("delegations", "must be a list")
        delegations = []
        for index, entry in enumerate(entries):
            where = f"delegations[{index}]"
            item = self.object(entry, where)
            unit_id = self.text(item, "unit_id", where)
            if unit_id not in units:
                raise self.fail(where, f"unknown unit {unit_id!r}")
            unit = units[unit_id]
            delegator = self.text(item, "delegator_id", where)
            if delegator != unit.head.person_id:
                raise self.fail(where, f"{delegator!r} is not the head of {unit_id!r}")
            delegate = self.text(item, "delegate_id", where)
            staff = {} if unit.office is None else {m.person_id: m for m in unit.office.staff}
            if delegate not in staff:
                raise self.fail(where, f"{delegate!r} is not on the staff of {unit_id!r}")
            steps = self.array(item, "steps", where)
            try:
                delegated = frozenset(DelegatedStep(step) for step in steps)
            except ValueError:
                allowed = ", ".join(step.value for step in DelegatedStep)
                raise self.fail(where, f"steps must be among {allowed}") from None
            if not delegated:
                raise self.fail(where, "steps must name at least one step")
            valid_from = self.day(item, "valid_from", where)
            until = item.get("valid_until")
            valid_until = None if until is None else self.day(item, "valid_until", where)
            if valid_until is not None and valid_until < valid_from:
                raise self.fail(where, "valid_until is before valid_from")
            delegations.append(
                Delegation(
                    unit_id=unit_id,
                    delegator_id=delegator,
                    delegate_id=delegate,
                    steps=delegated,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    decision_ref=self.text(item, "decision_ref", where),
                )
            )
        return tuple(delegations)

    def office(self, value: Any, where: str, positions: Mapping[str, Position]) -> Office | None:
        if value is None:
            return None
        item = self.object(value, f"{where} office")
        staff = []
        for n, entry in enumerate(self.array(item, "staff", f"{where} office")):
            spot = f"{where} office staff[{n}]"
            member = self.member(entry, spot, positions)
            duty = self.duty(self.object(entry, spot).get("duty", "clerk"), StaffDuty, spot)
            staff.append(
                StaffMember(
                    person_id=member.person_id,
                    name=member.name,
                    position=member.position,
                    email=member.email,
                    duty=duty,
                )
            )
        return Office(
            name_vi=self.text(item, "name_vi", f"{where} office"),
            name_en=self.text(item, "name_en", f"{where} office"),
            staff=tuple(staff),
        )

    def duty(self, value: Any, duties: type[DutyT], where: str) -> DutyT:
        """`value` as one of `duties`, or the error naming the allowed ones."""
        try:
            return duties(value)
        except ValueError:
            allowed = ", ".join(d.value for d in duties)
            raise self.fail(where, f"duty {value!r} is not one of {allowed}") from None

    def day(self, item: Mapping[str, Any], key: str, where: str) -> date:
        try:
            return date.fromisoformat(self.text(item, key, where))
        except ValueError:
            raise self.fail(where, f"{key} is not an ISO date (YYYY-MM-DD)") from None

    def positions(self, entries: list[Any]) -> dict[str, Position]:
        positions: dict[str, Position] = {}
        for index, entry in enumerate(entries):
            where = f"positions[{index}]"
            item = self.object(entry, where)
            code = self.text(item, "code", where)
            if code in positions:
                raise self.fail(where, f"duplicate position code {code!r}")
            leader_manager = item.get("leader_manager")
            if not isinstance(leader_manager, bool):
                raise self.fail(where, "leader_manager must be true or false")
            positions[code] = Position(
                code=code,
                name_vi=self.text(item, "name_vi", where),
                name_en=self.text(item, "name_en", where),
                leader_manager=leader_manager,
            )
        return positions

    def units(self, entries: list[Any], positions: Mapping[str, Position]) -> dict[str, Unit]:
        units: dict[str, Unit] = {}
        for index, entry in enumerate(entries):
            where = f"units[{index}]"
            item = self.object(entry, where)
            unit_id = self.text(item, "id", where)
            where = f"unit {unit_id!r}"
            if unit_id in units:
                raise self.fail(where, "duplicate unit id")
            superior = item.get("superior")
            if superior is not None and not (isinstance(superior, str) and superior):
                raise self.fail(where, "superior must be a unit id or null")
            if "head" not in item or item["head"] is None:
                raise self.fail(where, "has no head (người đứng đầu)")
            head = self.member(item["head"], f"{where} head", positions)
            if not positions[head.position].leader_manager:
                raise self.fail(where, f"head holds {head.position!r}, not a leader position")
            deputies = tuple(
                self.member(deputy, f"{where} deputies[{n}]", positions)
                for n, deputy in enumerate(self.array(item, "deputies", where))
            )
            abbreviation = item.get("abbreviation", "")
            if not isinstance(abbreviation, str) or not re.fullmatch(
                r"(?:[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*)?", abbreviation
            ):
                raise self.fail(where, "abbreviation must be capital letters, e.g. SNV or UBND")
            units[unit_id] = Unit(
                id=unit_id,
                name_vi=self.text(item, "name_vi", where),
                name_en=self.text(item, "name_en", where),
                kind=self.kind(item.get("kind"), where),
                superior_id=superior,
                head=head,
                deputies=deputies,
                office=self.office(item.get("office"), where, positions),
                abbreviation=abbreviation,
            )
        self.check_hierarchy(units)
        self.check_people(units)
        return units

    def member(self, entry: Any, where: str, positions: Mapping[str, Position]) -> Member:
        item = self.object(entry, where)
        position = self.text(item, "position", where)
        if position not in positions:
            raise self.fail(where, f"unknown position code {position!r}")
        return Member(
            person_id=self.text(item, "person_id", where),
            name=self.text(item, "name", where),
            position=position,
            email=self.email(item, where),
        )

    def email(self, item: Mapping[str, Any], where: str) -> str:
        """An optional e-mail address: one plain `local@domain`, since it goes into a header."""
        value = item.get("email", "")
        if value == "":
            return ""
        if not isinstance(value, str) or not _EMAIL.match(value):
            raise self.fail(where, f"email {value!r} is not an address like name@example.vn")
        return value

    def kind(self, value: Any, where: str) -> UnitKind:
        try:
            return UnitKind(value)
        except ValueError:
            allowed = ", ".join(kind.value for kind in UnitKind)
            raise self.fail(where, f"unknown kind {value!r} (one of {allowed})") from None

    def check_hierarchy(self, units: Mapping[str, Unit]) -> None:
        for unit in units.values():
            if unit.superior_id is not None and unit.superior_id not in units:
                raise self.fail(f"unit {unit.id!r}", f"unknown superior {unit.superior_id!r}")
            if unit.superior_id is None and not unit.kind.is_employing_agency:
                raise self.fail(f"unit {unit.id!r}", "a division needs a superior unit")
        for unit in units.values():
            seen = [unit.id]
            superior_id = unit.superior_id
            while superior_id is not None:
                if superior_id in seen:
                    chain = " → ".join([*seen, superior_id])
                    raise self.fail(f"unit {unit.id!r}", f"superior cycle {chain}")
                seen.append(superior_id)
                superior_id = units[superior_id].superior_id

    def check_people(self, units: Mapping[str, Unit]) -> None:
        names: dict[str, str] = {}
        emails: dict[str, str] = {}
        for unit in units.values():
            for member in _people_of(unit):
                known = names.setdefault(member.person_id, member.name)
                if known != member.name:
                    raise self.fail(
                        f"unit {unit.id!r}",
                        f"person {member.person_id!r} is named {member.name!r} here "
                        f"and {known!r} elsewhere",
                    )
                address = emails.setdefault(member.person_id, member.email)
                if address != member.email:
                    raise self.fail(
                        f"unit {unit.id!r}",
                        f"person {member.person_id!r} has e-mail {member.email!r} here "
                        f"and {address!r} elsewhere",
                    )

    def rules(
        self, entries: list[Any], positions: Mapping[str, Position]
    ) -> tuple[ManagementRule, ...]:
        rules: list[ManagementRule] = []
        for index, entry in enumerate(entries):
            where = f"management[{index}]"
            item = self.object(entry, where)
            unit_kind = self.text(item, "unit_kind", where)
            if unit_kind != WILDCARD_KIND:
                self.kind(unit_kind, where)
            superior_kind = item.get("superior_kind")
            if superior_kind is not None:
                self.kind(superior_kind, where)
                if unit_kind == WILDCARD_KIND:
                    raise self.fail(where, "superior_kind needs a concrete unit_kind")
            codes = self.array(item, "positions", where)
            for code in codes:
                if code not in positions:
                    raise self.fail(where, f"unknown position code {code!r}")
            raw_level = item.get("managed_by")
            if raw_level not in set(ManagerLevel):
                allowed = ", ".join(level.value for level in ManagerLevel)
                raise self.fail(where, f"managed_by {raw_level!r} is not one of {allowed}")
            managed_by = ManagerLevel(raw_level)
            rule = ManagementRule(unit_kind, frozenset(codes), managed_by, superior_kind)
            for other in rules:
                overlap = other.positions & rule.positions
                same_scope = (other.unit_kind, other.superior_kind) == (unit_kind, superior_kind)
                if same_scope and overlap:
                    raise self.fail(
                        where,
                        f"ambiguous: another rule already says who manages {sorted(overlap)} "
                        f"in {unit_kind} units",
                    )
            rules.append(rule)
        return tuple(rules)

    def check_management_covers_members(
        self, units: Mapping[str, Unit], rules: tuple[ManagementRule, ...]
    ) -> None:
        for unit in units.values():
            superior_kind = None if unit.superior_id is None else units[unit.superior_id].kind
            for member in _people_of(unit):
                if best_rule(rules, unit.kind, superior_kind, member.position) is None:
                    raise self.fail(
                        f"unit {unit.id!r}",
                        f"no management rule says who manages {member.position!r} "
                        f"in a {unit.kind} unit",
                    )

    def city_route(self, item: dict[str, Any], units: Mapping[str, Unit]) -> CityRoute:
        route = CityRoute(
            recipient_unit_id=self.text(item, "recipient_unit_id", "city_route"),
            intake_unit_id=self.text(item, "intake_unit_id", "city_route"),
        )
        for unit_id in (route.recipient_unit_id, route.intake_unit_id):
            if unit_id not in units:
                raise self.fail("city_route", f"unknown unit {unit_id!r}")
        if units[route.recipient_unit_id].kind is not UnitKind.CITY_PC:
            raise self.fail("city_route", "recipient_unit_id must be the city People's Committee")
        return route

    def object(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a JSON object")
        return value

    def array(self, item: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = item.get(key)
        if not isinstance(value, list):
            raise self.fail(where, f"{key} must be a list")
        return value

    def text(self, item: Mapping[str, Any], key: str, where: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"{key} must be a non-empty string")
        return value


def _people_of(unit: Unit) -> tuple[Member, ...]:
    """The unit's head, deputies and office staff."""
    staff = () if unit.office is None else unit.office.staff
    return (unit.head, *unit.deputies, *staff)
