"""States of the competent authority's case and the transition table of domain.md §12.

The case starts in IN_INTAKE: registration's SUBMITTED is turned into IN_INTAKE on receipt, so
the case never rests in SUBMITTED. The evaluation meeting is one recorded fact, so the transient
UNDER_EVALUATION of §12 is not a resting state either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class CaseState(StrEnum):
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


class Command(StrEnum):
    """Every command the case accepts after it is opened."""

    REQUEST_SUPPLEMENT = "request_supplement"
    PROVIDE_SUPPLEMENT = "provide_supplement"
    RECEIVE_PLAN = "receive_plan"
    REQUEST_CONSULTATION = "request_consultation"
    RECEIVE_CONSULTATION_OPINION = "receive_consultation_opinion"
    CLOSE_CONSULTATION = "close_consultation"
    REQUEST_PARTY_OPINION_ON_APPROVAL = "request_party_opinion_on_approval"
    RECEIVE_PARTY_OPINION_ON_APPROVAL = "receive_party_opinion_on_approval"
    HOLD_APPROVAL_MEETING = "hold_approval_meeting"
    OVERRIDE_COLLECTIVE_REJECTION = "override_collective_rejection"
    CONFIRM_REJECTION = "confirm_rejection"
    WITHDRAW = "withdraw"
    ALLOCATE_RESOURCES = "allocate_resources"
    START_IMPLEMENTATION = "start_implementation"
    REPORT_PROGRESS = "report_progress"
    SUSPEND = "suspend"
    RESUME = "resume"
    STOP = "stop"
    REPORT_COMPLETION = "report_completion"
    REQUEST_PARTY_OPINION_ON_EVALUATION = "request_party_opinion_on_evaluation"
    RECEIVE_PARTY_OPINION_ON_EVALUATION = "receive_party_opinion_on_evaluation"
    HOLD_EVALUATION_MEETING = "hold_evaluation_meeting"
    ISSUE_CONCLUSION = "issue_conclusion"
    RECOGNIZE_RESULT = "recognize_result"
    GRANT_ENCOURAGEMENT = "grant_encouragement"
    DETERMINE_PROTECTION = "determine_protection"
    REPORT_PROHIBITED_ACT = "report_prohibited_act"
    RECORD_PROHIBITED_ACT_FINDING = "record_prohibited_act_finding"
    NOTE_DEADLINE_APPROACHING = "note_deadline_approaching"
    RECORD_DEADLINE_BREACH = "record_deadline_breach"
    CLOSE = "close"


S = CaseState

TERMINAL_STATES: frozenset[CaseState] = frozenset({S.REJECTED, S.WITHDRAWN, S.CLOSED})
"""No further work in these states; a rejected or withdrawn file may still be archived."""

PRE_DECISION_STATES: frozenset[CaseState] = frozenset(
    {S.IN_INTAKE, S.NEEDS_SUPPLEMENT, S.UNDER_REVIEW, S.IN_CONSULTATION, S.COLLECTIVE_REJECTED}
)
"""Before the head's final decision on the plan; the proposer may still withdraw."""

OPEN_STATES: frozenset[CaseState] = frozenset(CaseState) - TERMINAL_STATES

ARCHIVABLE_STATES: frozenset[CaseState] = frozenset(
    {S.RECOGNIZED, S.PROTECTION_DETERMINED, S.REJECTED, S.WITHDRAWN}
)
"""States whose file may be archived (CLOSED): the only command a rejected or withdrawn case
still takes."""

APPROVED_STATES: frozenset[CaseState] = frozenset(
    {
        S.APPROVED,
        S.IN_IMPLEMENTATION,
        S.SUSPENDED,
        S.STOPPED,
        S.COMPLETION_REPORTED,
        S.EVALUATED,
        S.CONCLUDED,
        S.RECOGNIZED,
        S.PROTECTION_DETERMINED,
    }
)
"""States that a case can only reach through an approval (vote or written override). CLOSED is
not one: a rejected or withdrawn file is archived too."""


@dataclass(frozen=True)
class Transition:
    """Where a command may start and the states it may leave the case in."""

    sources: frozenset[CaseState]
    targets: frozenset[CaseState]


def _t(sources: set[CaseState], *targets: CaseState) -> Transition:
    """No targets: the command records a fact and the state stays as it was."""
    return Transition(frozenset(sources), frozenset(targets) if targets else frozenset(sources))


TRANSITIONS: Mapping[Command, Transition] = {
    Command.REQUEST_SUPPLEMENT: _t({S.IN_INTAKE}, S.NEEDS_SUPPLEMENT),
    Command.PROVIDE_SUPPLEMENT: _t({S.NEEDS_SUPPLEMENT}, S.IN_INTAKE),
    Command.RECEIVE_PLAN: _t({S.IN_INTAKE}, S.UNDER_REVIEW),
    Command.REQUEST_CONSULTATION: _t({S.UNDER_REVIEW}, S.IN_CONSULTATION),
    Command.RECEIVE_CONSULTATION_OPINION: _t({S.IN_CONSULTATION}),
    Command.CLOSE_CONSULTATION: _t({S.IN_CONSULTATION}, S.UNDER_REVIEW),
    Command.REQUEST_PARTY_OPINION_ON_APPROVAL: _t({S.UNDER_REVIEW, S.IN_CONSULTATION}),
    Command.RECEIVE_PARTY_OPINION_ON_APPROVAL: _t({S.UNDER_REVIEW, S.IN_CONSULTATION}),
    Command.HOLD_APPROVAL_MEETING: _t({S.UNDER_REVIEW}, S.APPROVED, S.COLLECTIVE_REJECTED),
    Command.OVERRIDE_COLLECTIVE_REJECTION: _t({S.COLLECTIVE_REJECTED}, S.APPROVED),
    Command.CONFIRM_REJECTION: _t({S.COLLECTIVE_REJECTED}, S.REJECTED),
    Command.WITHDRAW: _t(set(PRE_DECISION_STATES), S.WITHDRAWN),
    Command.ALLOCATE_RESOURCES: _t({S.APPROVED, S.IN_IMPLEMENTATION, S.SUSPENDED}),
    Command.START_IMPLEMENTATION: _t({S.APPROVED}, S.IN_IMPLEMENTATION),
    Command.REPORT_PROGRESS: _t({S.IN_IMPLEMENTATION, S.SUSPENDED}),
    Command.SUSPEND: _t({S.IN_IMPLEMENTATION}, S.SUSPENDED),
    Command.RESUME: _t({S.SUSPENDED}, S.IN_IMPLEMENTATION),
    Command.STOP: _t({S.IN_IMPLEMENTATION, S.SUSPENDED}, S.STOPPED),
    Command.REPORT_COMPLETION: _t({S.IN_IMPLEMENTATION, S.STOPPED}, S.COMPLETION_REPORTED),
    Command.REQUEST_PARTY_OPINION_ON_EVALUATION: _t({S.COMPLETION_REPORTED}),
    Command.RECEIVE_PARTY_OPINION_ON_EVALUATION: _t({S.COMPLETION_REPORTED}),
    # A failed evaluation vote leaves the case waiting for another meeting.
    Command.HOLD_EVALUATION_MEETING: _t(
        {S.COMPLETION_REPORTED}, S.EVALUATED, S.COMPLETION_REPORTED
    ),
    Command.ISSUE_CONCLUSION: _t({S.EVALUATED}, S.CONCLUDED),
    Command.RECOGNIZE_RESULT: _t({S.CONCLUDED}, S.RECOGNIZED),
    Command.GRANT_ENCOURAGEMENT: _t({S.CONCLUDED, S.RECOGNIZED, S.PROTECTION_DETERMINED}),
    # One determination per official: the proposer's and each implementer's (Art 11).
    Command.DETERMINE_PROTECTION: _t(
        {S.CONCLUDED, S.RECOGNIZED, S.PROTECTION_DETERMINED}, S.PROTECTION_DETERMINED
    ),
    Command.REPORT_PROHIBITED_ACT: _t(set(OPEN_STATES)),
    Command.RECORD_PROHIBITED_ACT_FINDING: _t(set(OPEN_STATES)),
    Command.NOTE_DEADLINE_APPROACHING: _t(set(OPEN_STATES)),
    Command.RECORD_DEADLINE_BREACH: _t(set(OPEN_STATES)),
    # Lưu trữ: a settled file, and also a rejected or withdrawn one (it is archived too).
    Command.CLOSE: _t(set(ARCHIVABLE_STATES), S.CLOSED),
}
