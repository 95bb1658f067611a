"""Bộ quy tắc — one version of a jurisdiction's deadlines and configurable rules.

Decree 73 fixes some deadlines (marked C); where it is silent (NF) or only paraphrased (I),
the value is the jurisdiction's choice. Both live here as data with an effective date, so a
province changes a value by shipping a new version, and a case keeps the version it started
under (events record `RuleSet.version` and the `legal_basis` of the rule applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from shared.contracts.vocabulary import DeadlineName, EscalationTarget, RoutingTarget
from shared.kernel.calendar import WorkingDayCalendar


class Mark(StrEnum):
    """How the value is grounded (the marks of domain.md)."""

    CONFIRMED = "C"  # quoted decree text fixes it
    INFERRED = "I"  # read from a paraphrase or truncated quote; configurable
    NOT_FOUND = "NF"  # the decree is silent; the jurisdiction decides


class AbstentionRule(StrEnum):
    """How an abstention counts in the Art 8 §1 share: the decree does not say [I].

    "trên 50% ý kiến biểu quyết tán thành" is counted over the votes cast; whether "không biểu
    quyết" (abstaining) is a vote cast is the jurisdiction's reading.
    """

    NOT_A_VOTE_CAST = "NOT_A_VOTE_CAST"
    """Default: an abstention is left out of the count, like an absent member."""
    CAST_NOT_IN_FAVOUR = "CAST_NOT_IN_FAVOUR"
    """An abstention is a vote cast that is not in favour (it raises the denominator)."""


class Grounded(Protocol):
    """Any rule an event can cite: Deadline, DeadlineWarning, ApprovalEscalation, VoteRule…"""

    @property
    def legal_basis(self) -> str: ...
    @property
    def mark(self) -> Mark: ...
    @property
    def description(self) -> str: ...


ROUTING_TARGETS: frozenset[str] = frozenset(RoutingTarget)
"""Where a plan goes (Art 7 §3–4, Plan 88 II.3); the same strings as the registration contract."""


@dataclass(frozen=True, kw_only=True)
class Deadline:
    """Thời hạn — a period in working days counted from the day after its triggering event."""

    name: DeadlineName
    working_days: int
    legal_basis: str
    mark: Mark
    description: str


@dataclass(frozen=True, kw_only=True)
class DeadlineWarning:
    """How many working days before a due date the responsible person is reminded."""

    working_days_before: int
    legal_basis: str
    mark: Mark
    description: str


@dataclass(frozen=True, kw_only=True)
class EscalationRoute:
    """Where an overdue approval of one routing target may go, in order of preference: the
    published `EscalationTarget` names, as the case records the one it chose."""

    routing_target: str
    escalate_to: tuple[EscalationTarget, ...]


@dataclass(frozen=True, kw_only=True)
class ApprovalEscalation:
    """Who is told when the Art 8 §1 meeting deadline passes; the decree has no deemed approval."""

    routes: tuple[EscalationRoute, ...]
    legal_basis: str
    mark: Mark
    description: str

    def targets_for(self, routing_target: str) -> tuple[EscalationTarget, ...]:
        for route in self.routes:
            if route.routing_target == routing_target:
                return route.escalate_to
        raise KeyError(f"no escalation route for routing target {routing_target!r}")


@dataclass(frozen=True, kw_only=True)
class VoteRule:
    """Biểu quyết của tập thể lãnh đạo — Art 8 §1 (and the evaluation meeting).

    The threshold ("trên 50% ý kiến biểu quyết tán thành", over the votes cast) and the tie rule
    (the head's side) are the decree's own and live in `services.approval.domain.vote`; only how
    an abstention counts is left to the jurisdiction.
    """

    abstention: AbstentionRule = AbstentionRule.NOT_A_VOTE_CAST
    legal_basis: str
    mark: Mark
    description: str


@dataclass(frozen=True, kw_only=True)
class ConsultationPolicy:
    """Lấy ý kiến (Art 8 §2) — whether consulting on a broad or complex plan pauses the clock.

    The decree does not say whether the seven working days of Art 8 §1 run while agencies and
    experts are consulted [NF]; the default reading is that they do not (the clock pauses) [I].
    """

    pauses_approval_clock: bool = True
    legal_basis: str
    mark: Mark
    description: str


@dataclass(frozen=True, kw_only=True)
class CalendarOverrides:
    """Ngày nghỉ bù / ngày làm bù the `holidays` package does not know yet."""

    extra_days_off: frozenset[date]
    extra_working_days: frozenset[date]
    note: str


@dataclass(frozen=True, kw_only=True)
class RuleSet:
    """One version of a jurisdiction's rules, in force from `effective_from` until the next one."""

    jurisdiction: str
    jurisdiction_name_vi: str
    jurisdiction_name_en: str
    version: str
    effective_from: date
    effective_from_basis: str
    """The decision that puts this version in force from `effective_from`, or why none is known."""
    source: str  # what the values rest on: the decree, a local plan or decision
    note: str
    deadlines: tuple[Deadline, ...]
    deadline_warning: DeadlineWarning
    approval_escalation: ApprovalEscalation
    vote_rule: VoteRule
    consultation: ConsultationPolicy
    calendar_overrides: CalendarOverrides

    def deadline(self, name: DeadlineName) -> Deadline:
        wanted = DeadlineName(name)
        for deadline in self.deadlines:
            if deadline.name is wanted:
                return deadline
        raise KeyError(f"rule set {self.jurisdiction} {self.version} has no deadline {wanted}")

    def calendar(self) -> WorkingDayCalendar:
        return WorkingDayCalendar(
            extra_days_off=self.calendar_overrides.extra_days_off,
            extra_working_days=self.calendar_overrides.extra_working_days,
        )

    def due_date(self, name: DeadlineName, start: date) -> date:
        """The last day to act when the triggering event happened on `start`."""
        return self.calendar().add_working_days(start, self.deadline(name).working_days)

    def warning_date(self, due: date) -> date:
        """The day to remind the responsible person that `due` is approaching."""
        lead = self.deadline_warning.working_days_before
        return self.calendar().add_working_days(due, -lead)
