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

from shared.calendar import WorkingDayCalendar


class Mark(StrEnum):
    """How the value is grounded (the marks of domain.md)."""

    CONFIRMED = "C"  # quoted decree text fixes it
    INFERRED = "I"  # read from a paraphrase or truncated quote; configurable
    NOT_FOUND = "NF"  # the decree is silent; the jurisdiction decides


class DeadlineName(StrEnum):
    """Every deadline a rule set must define; callers name them through this enum."""

    INTAKE_CHECK = "intake_check"
    SUPPLEMENT_ANSWER = "supplement_answer"
    CONSULTATION_ANSWER = "consultation_answer"
    PARTY_COMMITTEE_OPINION = "party_committee_opinion"
    APPROVAL_MEETING = "approval_meeting"
    OVERRIDE_DECISION = "override_decision"
    COMPLETION_REPORT = "completion_report"
    FINAL_REPORT_AFTER_STOP = "final_report_after_stop"
    EVALUATION_MEETING = "evaluation_meeting"
    EVALUATION_CONCLUSION = "evaluation_conclusion"


class PassThreshold(StrEnum):
    """Art 8 §1: passed when more than half of the leadership collective agrees."""

    MORE_THAN_HALF = "MORE_THAN_HALF"


class TieBreak(StrEnum):
    """Art 8 §1: on equal votes, the side the head voted for wins."""

    HEAD_SIDE = "HEAD_SIDE"


class EscalationTarget(StrEnum):
    """Who hears of a missed approval deadline."""

    SUPERIOR_AGENCY = "SUPERIOR_AGENCY"
    DEPARTMENT_OF_HOME_AFFAIRS = "DEPARTMENT_OF_HOME_AFFAIRS"  # Sở Nội vụ
    CITY_PEOPLES_COMMITTEE = "CITY_PEOPLES_COMMITTEE"  # UBND thành phố


class Grounded(Protocol):
    """Any rule an event can cite: Deadline, DeadlineWarning, ApprovalEscalation, VoteRule…"""

    @property
    def legal_basis(self) -> str: ...
    @property
    def mark(self) -> Mark: ...
    @property
    def description(self) -> str: ...


ROUTING_TARGETS = frozenset({"CITY_PC_VIA_DOHA", "AGENCY_HEAD", "SUPERIOR_HEAD"})
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
    """Biểu quyết của tập thể lãnh đạo — Art 8 §1 (and the evaluation meeting)."""

    pass_threshold: PassThreshold
    tie_break: TieBreak
    legal_basis: str
    mark: Mark
    description: str

    def passes(self, *, votes_for: int, voting_members: int, head_voted_for: bool) -> bool:
        """More than half of the members who may vote agree; exactly half wins with the head.

        `voting_members` counts the head and the deputies, without a deputy who proposed.
        """
        if not 0 <= votes_for <= voting_members:
            raise ValueError(f"{votes_for} votes for out of {voting_members} members")
        if 2 * votes_for > voting_members:
            return True
        return 2 * votes_for == voting_members and head_voted_for


@dataclass(frozen=True, kw_only=True)
class ConsultationPolicy:
    """Lấy ý kiến — whether broad or complex proposals (Art 8 §2) must be consulted on."""

    required_for_broad_or_complex: bool
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
