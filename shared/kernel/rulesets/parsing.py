"""Turns one rule-set JSON document into a `RuleSet`, or says exactly what is wrong with it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import TypeVar

from shared.contracts.vocabulary import DeadlineName, EscalationTarget
from shared.kernel.calendar import WorkingDayCalendar
from shared.kernel.rulesets.errors import RuleSetError
from shared.kernel.rulesets.model import (
    ROUTING_TARGETS,
    AbstentionRule,
    ApprovalEscalation,
    CalendarOverrides,
    ConsultationPolicy,
    Deadline,
    DeadlineWarning,
    EscalationRoute,
    Mark,
    RuleSet,
    VoteRule,
)

VERSION_PATTERN = re.compile(r"\d+(\.\d+)*")
JURISDICTION_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


def version_key(version: str) -> tuple[int, ...]:
    """Orders versions numerically: 2024.10 comes after 2024.9."""
    return tuple(int(part) for part in version.split("."))


class _Fields:
    """One JSON object being read; every problem names the file and the field path."""

    def __init__(self, raw: object, where: str) -> None:
        if not isinstance(raw, dict):
            raise RuleSetError(f"{where}: expected an object, got {type(raw).__name__}")
        self._raw: dict[str, object] = raw
        self._where = where
        self._seen: set[str] = set()

    def _take(self, key: str) -> object:
        if key not in self._raw:
            raise RuleSetError(f"{self._where}: missing field '{key}'")
        self._seen.add(key)
        return self._raw[key]

    def place(self, key: str) -> str:
        return f"{self._where}.{key}"

    def text(self, key: str) -> str:
        value = self._take(key)
        if not isinstance(value, str) or not value.strip():
            raise RuleSetError(f"{self.place(key)}: expected non-empty text")
        return value

    def optional_text(self, key: str) -> str:
        return self.text(key) if key in self._raw else ""

    def working_days(self, key: str) -> int:
        value = self._take(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleSetError(f"{self.place(key)}: expected a whole number of working days")
        if value < 0:
            raise RuleSetError(f"{self.place(key)}: negative working days ({value})")
        return value

    def flag(self, key: str) -> bool:
        value = self._take(key)
        if not isinstance(value, bool):
            raise RuleSetError(f"{self.place(key)}: expected true or false")
        return value

    def day(self, key: str) -> date:
        return _iso_date(self._take(key), self.place(key))

    def days(self, key: str) -> frozenset[date]:
        values = self._take(key)
        if not isinstance(values, list):
            raise RuleSetError(f"{self.place(key)}: expected a list of dates")
        return frozenset(_iso_date(v, f"{self.place(key)}[{i}]") for i, v in enumerate(values))

    def optional_flag(self, key: str, default: bool) -> bool:
        return self.flag(key) if key in self._raw else default

    def optional_choice(self, key: str, enum: type[_E], default: _E) -> _E:
        return self.choice(key, enum) if key in self._raw else default

    def choice(self, key: str, enum: type[_E]) -> _E:
        value = self._take(key)
        allowed = [member.value for member in enum]
        if not isinstance(value, str) or value not in allowed:
            raise RuleSetError(f"{self.place(key)}: {value!r} is not one of {', '.join(allowed)}")
        return enum(value)

    def child(self, key: str) -> _Fields:
        return _Fields(self._take(key), self.place(key))

    def entries(self, key: str) -> dict[str, object]:
        """A JSON object used as a map, whose keys the caller checks."""
        value = self._take(key)
        if not isinstance(value, dict):
            raise RuleSetError(f"{self.place(key)}: expected an object")
        return value

    def finish(self) -> None:
        if unknown := sorted(set(self._raw) - self._seen):
            raise RuleSetError(f"{self._where}: unknown field(s) {', '.join(unknown)}")


def _iso_date(value: object, where: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RuleSetError(f"{where}: expected a date as YYYY-MM-DD, got {value!r}")


def _read(fields: _Fields, build: Callable[[_Fields], _T]) -> _T:
    result = build(fields)
    fields.finish()
    return result


def parse_rule_set(raw: object, *, source: str) -> RuleSet:
    """Validates a decoded JSON document; `source` names it in error messages."""
    return _read(_Fields(raw, source), _rule_set)


def _rule_set(doc: _Fields) -> RuleSet:
    jurisdiction = doc.text("jurisdiction")
    if not JURISDICTION_PATTERN.fullmatch(jurisdiction):
        raise RuleSetError(f"{doc.place('jurisdiction')}: use lower-case words joined by '-'")
    version = doc.text("version")
    if not VERSION_PATTERN.fullmatch(version):
        raise RuleSetError(f"{doc.place('version')}: expected numbers joined by '.', e.g. 2024.1")
    return RuleSet(
        jurisdiction=jurisdiction,
        jurisdiction_name_vi=doc.text("jurisdiction_name_vi"),
        jurisdiction_name_en=doc.text("jurisdiction_name_en"),
        version=version,
        effective_from=doc.day("effective_from"),
        effective_from_basis=doc.text("effective_from_basis"),
        source=doc.text("source"),
        note=doc.optional_text("note"),
        deadlines=_deadlines(doc, "deadlines"),
        deadline_warning=_read(doc.child("deadline_warning"), _deadline_warning),
        approval_escalation=_read(doc.child("approval_escalation"), _approval_escalation),
        vote_rule=_read(doc.child("vote_rule"), _vote_rule),
        consultation=_read(doc.child("consultation"), _consultation),
        calendar_overrides=_read(doc.child("calendar_overrides"), _calendar_overrides),
    )


def _deadlines(doc: _Fields, key: str) -> tuple[Deadline, ...]:
    entries = doc.entries(key)
    known = {name.value for name in DeadlineName}
    if unknown := sorted(set(entries) - known):
        raise RuleSetError(
            f"{doc.place(key)}: unknown deadline name(s) {', '.join(unknown)}; "
            f"known names: {', '.join(sorted(known))}"
        )
    if missing := sorted(known - set(entries)):
        raise RuleSetError(f"{doc.place(key)}: missing deadline(s) {', '.join(missing)}")
    deadlines = []
    for name in DeadlineName:
        fields = _Fields(entries[name.value], f"{doc.place(key)}.{name.value}")
        deadlines.append(
            Deadline(
                name=name,
                working_days=fields.working_days("working_days"),
                legal_basis=fields.text("legal_basis"),
                mark=fields.choice("mark", Mark),
                description=fields.text("description"),
            )
        )
        fields.finish()
    return tuple(deadlines)


def _deadline_warning(fields: _Fields) -> DeadlineWarning:
    return DeadlineWarning(
        working_days_before=fields.working_days("working_days_before"),
        legal_basis=fields.text("legal_basis"),
        mark=fields.choice("mark", Mark),
        description=fields.text("description"),
    )


def _approval_escalation(fields: _Fields) -> ApprovalEscalation:
    key = "escalate_to"
    entries = fields.entries(key)
    if unknown := sorted(set(entries) - ROUTING_TARGETS):
        raise RuleSetError(f"{fields.place(key)}: unknown routing target(s) {', '.join(unknown)}")
    if missing := sorted(ROUTING_TARGETS - set(entries)):
        raise RuleSetError(f"{fields.place(key)}: missing routing target(s) {', '.join(missing)}")
    routes = []
    for routing_target in sorted(entries):
        targets = entries[routing_target]
        where = f"{fields.place(key)}.{routing_target}"
        if not isinstance(targets, list) or not targets:
            raise RuleSetError(f"{where}: expected a non-empty list of escalation targets")
        try:
            escalate_to = tuple(EscalationTarget(target) for target in targets)
        except ValueError:
            allowed = ", ".join(target.value for target in EscalationTarget)
            raise RuleSetError(f"{where}: targets must be among {allowed}") from None
        routes.append(EscalationRoute(routing_target=routing_target, escalate_to=escalate_to))
    return ApprovalEscalation(
        routes=tuple(routes),
        legal_basis=fields.text("legal_basis"),
        mark=fields.choice("mark", Mark),
        description=fields.text("description"),
    )


def _vote_rule(fields: _Fields) -> VoteRule:
    return VoteRule(
        abstention=fields.optional_choice(
            "abstention", AbstentionRule, AbstentionRule.NOT_A_VOTE_CAST
        ),
        legal_basis=fields.text("legal_basis"),
        mark=fields.choice("mark", Mark),
        description=fields.text("description"),
    )


def _consultation(fields: _Fields) -> ConsultationPolicy:
    return ConsultationPolicy(
        pauses_approval_clock=fields.optional_flag("pauses_approval_clock", True),
        legal_basis=fields.text("legal_basis"),
        mark=fields.choice("mark", Mark),
        description=fields.text("description"),
    )


def _calendar_overrides(fields: _Fields) -> CalendarOverrides:
    overrides = CalendarOverrides(
        extra_days_off=fields.days("extra_days_off"),
        extra_working_days=fields.days("extra_working_days"),
        note=fields.optional_text("note"),
    )
    try:
        WorkingDayCalendar(
            extra_days_off=overrides.extra_days_off,
            extra_working_days=overrides.extra_working_days,
        )
    except ValueError as problem:
        raise RuleSetError(f"{fields.place('extra_days_off')}: {problem}") from None
    return overrides
