"""The published vocabulary of D73: the one spelling of every case state, running deadline,
routing target and escalation target (issue #13 point 1), and who a case waits on in each state.

Every service imports these names from here; nobody writes `"UNDER_REVIEW"` or `"approval"` by
hand. The contracts' `Literal` field types (the wire schema of `docs/schemas`) are checked
against these enums when the contracts load, so the two can never drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class CaseState(StrEnum):
    """Where the competent authority's case stands (domain.md §12).

    A case starts in IN_INTAKE: registration's SUBMITTED becomes IN_INTAKE on receipt. The
    evaluation meeting is one recorded fact, so §12's transient UNDER_EVALUATION never rests.
    """

    IN_INTAKE = "IN_INTAKE"
    NEEDS_SUPPLEMENT = "NEEDS_SUPPLEMENT"
    UNDER_REVIEW = "UNDER_REVIEW"
    IN_CONSULTATION = "IN_CONSULTATION"
    COLLECTIVE_REJECTED = "COLLECTIVE_REJECTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    IN_IMPLEMENTATION = "IN_IMPLEMENTATION"
    SUSPENDED = "SUSPENDED"
    STOPPED = "STOPPED"
    COMPLETION_REPORTED = "COMPLETION_REPORTED"
    EVALUATED = "EVALUATED"
    CONCLUDED = "CONCLUDED"
    RECOGNIZED = "RECOGNIZED"
    PROTECTION_DETERMINED = "PROTECTION_DETERMINED"
    CLOSED = "CLOSED"


TERMINAL_STATES: frozenset[CaseState] = frozenset(
    {CaseState.REJECTED, CaseState.WITHDRAWN, CaseState.CLOSED}
)
"""No further work in these states; a rejected or withdrawn file may still be archived."""


class Party(StrEnum):
    """Who a case waits on: the office (the head or a listed delegate), the collective (the
    head and the deputies who may vote), the head alone, the implementers, or the proposer (who
    answers through registration)."""

    OFFICE = "OFFICE"
    COLLECTIVE = "COLLECTIVE"
    HEAD = "HEAD"
    IMPLEMENTERS = "IMPLEMENTERS"
    PROPOSER = "PROPOSER"


WAITING_ON: Mapping[CaseState, frozenset[Party]] = {
    CaseState.IN_INTAKE: frozenset({Party.OFFICE}),
    CaseState.NEEDS_SUPPLEMENT: frozenset({Party.PROPOSER}),
    CaseState.UNDER_REVIEW: frozenset({Party.OFFICE, Party.COLLECTIVE}),
    CaseState.IN_CONSULTATION: frozenset({Party.OFFICE}),
    CaseState.COLLECTIVE_REJECTED: frozenset({Party.HEAD}),
    CaseState.APPROVED: frozenset({Party.HEAD, Party.IMPLEMENTERS}),
    CaseState.IN_IMPLEMENTATION: frozenset({Party.IMPLEMENTERS}),
    CaseState.SUSPENDED: frozenset({Party.HEAD}),
    CaseState.STOPPED: frozenset({Party.IMPLEMENTERS}),
    CaseState.COMPLETION_REPORTED: frozenset({Party.OFFICE, Party.COLLECTIVE}),
    CaseState.EVALUATED: frozenset({Party.HEAD}),
    CaseState.CONCLUDED: frozenset({Party.HEAD}),
    CaseState.RECOGNIZED: frozenset({Party.HEAD}),
    CaseState.PROTECTION_DETERMINED: frozenset({Party.OFFICE}),
}
"""Hồ sơ chờ xử lý: who a case in each state waits on (a state not named waits on nobody).

Approval's transition table decides it (`services.approval.domain.states.TRANSITIONS`, each
command's `awaits`); it is published here so that the services that cannot import approval
(reporting's notifications) read the same table, and a test holds the two equal."""


class DeadlineName(StrEnum):
    """Every statutory period, by what is awaited: the case's running clocks and the rule
    sets' deadlines use these same names (the rule-set JSON keys them so)."""

    INTAKE = "intake"
    """Receipt and completeness check — rule set (not in the decree)."""
    SUPPLEMENT = "supplement"
    """The proposer's supplement — rule set."""
    CONSULTATION = "consultation"
    """Opinions on a broad or complex proposal — Art 8 §2 (time not found; rule set)."""
    APPROVAL = "approval"
    """7 working days from receipt of the plan to the collective's decision — Art 8 §1."""
    COMPLETION_REPORT = "completion_report"
    """The written completion report, 5 working days after completion — recorded on the report."""
    FINAL_REPORT_AFTER_STOP = "final_report_after_stop"
    """The final report of partial results after a stop decision — recorded on the report."""
    EVALUATION = "evaluation"
    """7 working days from the completion report to the evaluation meeting."""
    CONCLUSION = "conclusion"
    """The written evaluation conclusion, 3 working days [I]."""


CASE_CLOCKS: tuple[DeadlineName, ...] = (
    DeadlineName.INTAKE,
    DeadlineName.SUPPLEMENT,
    DeadlineName.CONSULTATION,
    DeadlineName.APPROVAL,
    DeadlineName.EVALUATION,
    DeadlineName.CONCLUSION,
)
"""The deadlines a case keeps running (and reminds, and records breaches of). The two report
deadlines are not clocks: the report records whether it came late."""


class RoutingTarget(StrEnum):
    """Where a plan goes (Art 7 §3–4, Plan 88 II.3)."""

    CITY_PC_VIA_DOHA = "CITY_PC_VIA_DOHA"
    """Plan 88 II.3.a: UBND thành phố, through Sở Nội vụ."""
    AGENCY_HEAD = "AGENCY_HEAD"
    """Art 7 §3, Plan 88 II.3.b: Thủ trưởng of the proposer's own agency."""
    SUPERIOR_HEAD = "SUPERIOR_HEAD"
    """Art 7 §4: the head of the superior agency, for a head's own proposal."""


class EscalationTarget(StrEnum):
    """Where an overdue approval is escalated: the superior agency or Sở Nội vụ (domain.md §5
    step 10)."""

    SUPERIOR_UNIT = "SUPERIOR_UNIT"
    HOME_AFFAIRS = "HOME_AFFAIRS"


__all__ = [
    "CASE_CLOCKS",
    "TERMINAL_STATES",
    "WAITING_ON",
    "CaseState",
    "DeadlineName",
    "EscalationTarget",
    "Party",
    "RoutingTarget",
]
