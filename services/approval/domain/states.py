"""The transition table of the competent authority's case (domain.md §12); the states
themselves are the published `shared.contracts.vocabulary.CaseState`.

The case starts in IN_INTAKE: registration's SUBMITTED is turned into IN_INTAKE on receipt, so
the case never rests in SUBMITTED. The evaluation meeting is one recorded fact, so the transient
UNDER_EVALUATION of §12 is not a resting state either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from services.approval.domain.authority import Step
from shared.contracts.vocabulary import TERMINAL_STATES, CaseState
from shared.contracts.vocabulary import WAITING_ON as WAITING_ON  # the inbox reads it from here
from shared.contracts.vocabulary import Party as Party


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
    """Who gives a command (the kind of step, which `authority` maps to the people who may),
    where it may start and the states it may leave the case in."""

    step: Step
    sources: frozenset[CaseState]
    targets: frozenset[CaseState]
    awaits: Party | None = None
    """Who the case waits on for this command (the inbox), in the states of `awaited_in`."""
    awaited_in: frozenset[CaseState] = frozenset()


def _t(
    step: Step,
    sources: set[CaseState],
    *targets: CaseState,
    awaits: Party | None = None,
    only_in: set[CaseState] | None = None,
) -> Transition:
    """No targets: the command records a fact and the state stays as it was. `awaits`: the
    case waits on that party for this command in all its `sources`, or `only_in` some."""
    return Transition(
        step,
        frozenset(sources),
        frozenset(targets) if targets else frozenset(sources),
        awaits,
        frozenset(only_in if only_in is not None else sources) if awaits else frozenset(),
    )


TRANSITIONS: Mapping[Command, Transition] = {
    Command.REQUEST_SUPPLEMENT: _t(
        Step.OFFICE, {S.IN_INTAKE}, S.NEEDS_SUPPLEMENT, awaits=Party.OFFICE
    ),
    Command.PROVIDE_SUPPLEMENT: _t(
        Step.PROPOSER, {S.NEEDS_SUPPLEMENT}, S.IN_INTAKE, awaits=Party.PROPOSER
    ),
    Command.RECEIVE_PLAN: _t(
        Step.OFFICE,
        {S.IN_INTAKE},
        S.UNDER_REVIEW,
        awaits=Party.OFFICE,
    ),
    Command.REQUEST_CONSULTATION: _t(
        Step.OFFICE, {S.UNDER_REVIEW}, S.IN_CONSULTATION, awaits=Party.OFFICE
    ),
    Command.RECEIVE_CONSULTATION_OPINION: _t(
        Step.OFFICE,
        {S.IN_CONSULTATION},
        awaits=Party.OFFICE,
    ),
    Command.CLOSE_CONSULTATION: _t(
        Step.OFFICE, {S.IN_CONSULTATION}, S.UNDER_REVIEW, awaits=Party.OFFICE
    ),
    Command.REQUEST_PARTY_OPINION_ON_APPROVAL: _t(
        Step.OFFICE, {S.UNDER_REVIEW, S.IN_CONSULTATION}, awaits=Party.OFFICE
    ),
    Command.RECEIVE_PARTY_OPINION_ON_APPROVAL: _t(Step.OFFICE, {S.UNDER_REVIEW, S.IN_CONSULTATION}),
    Command.HOLD_APPROVAL_MEETING: _t(
        Step.DECISION, {S.UNDER_REVIEW}, S.APPROVED, S.COLLECTIVE_REJECTED, awaits=Party.COLLECTIVE
    ),
    Command.OVERRIDE_COLLECTIVE_REJECTION: _t(
        Step.DECISION, {S.COLLECTIVE_REJECTED}, S.APPROVED, awaits=Party.HEAD
    ),
    Command.CONFIRM_REJECTION: _t(
        Step.DECISION, {S.COLLECTIVE_REJECTED}, S.REJECTED, awaits=Party.HEAD
    ),
    Command.WITHDRAW: _t(Step.PROPOSER, set(PRE_DECISION_STATES), S.WITHDRAWN),
    Command.ALLOCATE_RESOURCES: _t(
        Step.DECISION,
        {S.APPROVED, S.IN_IMPLEMENTATION, S.SUSPENDED},
        awaits=Party.HEAD,
        only_in={S.APPROVED},
    ),
    Command.START_IMPLEMENTATION: _t(
        Step.IMPLEMENTATION, {S.APPROVED}, S.IN_IMPLEMENTATION, awaits=Party.IMPLEMENTERS
    ),
    Command.REPORT_PROGRESS: _t(
        Step.IMPLEMENTATION,
        {S.IN_IMPLEMENTATION, S.SUSPENDED},
        awaits=Party.IMPLEMENTERS,
        only_in={S.IN_IMPLEMENTATION},
    ),
    Command.SUSPEND: _t(Step.DECISION, {S.IN_IMPLEMENTATION}, S.SUSPENDED),
    Command.RESUME: _t(
        Step.DECISION,
        {S.SUSPENDED},
        S.IN_IMPLEMENTATION,
        awaits=Party.HEAD,
    ),
    Command.STOP: _t(Step.DECISION, {S.IN_IMPLEMENTATION, S.SUSPENDED}, S.STOPPED),
    Command.REPORT_COMPLETION: _t(
        Step.IMPLEMENTATION,
        {S.IN_IMPLEMENTATION, S.STOPPED},
        S.COMPLETION_REPORTED,
        awaits=Party.IMPLEMENTERS,
    ),
    Command.REQUEST_PARTY_OPINION_ON_EVALUATION: _t(
        Step.OFFICE, {S.COMPLETION_REPORTED}, awaits=Party.OFFICE
    ),
    Command.RECEIVE_PARTY_OPINION_ON_EVALUATION: _t(Step.OFFICE, {S.COMPLETION_REPORTED}),
    # A failed evaluation vote leaves the case waiting for another meeting.
    Command.HOLD_EVALUATION_MEETING: _t(
        Step.DECISION,
        {S.COMPLETION_REPORTED},
        S.EVALUATED,
        S.COMPLETION_REPORTED,
        awaits=Party.COLLECTIVE,
    ),
    Command.ISSUE_CONCLUSION: _t(
        Step.DECISION,
        {S.EVALUATED},
        S.CONCLUDED,
        awaits=Party.HEAD,
    ),
    Command.RECOGNIZE_RESULT: _t(
        Step.DECISION,
        {S.CONCLUDED},
        S.RECOGNIZED,
        awaits=Party.HEAD,
    ),
    Command.GRANT_ENCOURAGEMENT: _t(
        Step.DECISION, {S.CONCLUDED, S.RECOGNIZED, S.PROTECTION_DETERMINED}
    ),
    # One determination per official: the proposer's and each implementer's (Art 11).
    Command.DETERMINE_PROTECTION: _t(
        Step.DECISION,
        {S.CONCLUDED, S.RECOGNIZED, S.PROTECTION_DETERMINED},
        S.PROTECTION_DETERMINED,
        awaits=Party.HEAD,
        only_in={S.CONCLUDED, S.RECOGNIZED},
    ),
    Command.REPORT_PROHIBITED_ACT: _t(Step.REPORTING, set(OPEN_STATES)),
    Command.RECORD_PROHIBITED_ACT_FINDING: _t(Step.DECISION, set(OPEN_STATES)),
    Command.NOTE_DEADLINE_APPROACHING: _t(Step.MONITORING, set(OPEN_STATES)),
    Command.RECORD_DEADLINE_BREACH: _t(Step.MONITORING, set(OPEN_STATES)),
    # Lưu trữ: a settled file, and also a rejected or withdrawn one (it is archived too).
    Command.CLOSE: _t(
        Step.ARCHIVING,
        set(ARCHIVABLE_STATES),
        S.CLOSED,
        awaits=Party.OFFICE,
        only_in={S.PROTECTION_DETERMINED},
    ),
}


def waiting_on(transitions: Mapping[Command, Transition]) -> dict[CaseState, frozenset[Party]]:
    """Who each state waits on, as the table's `awaits` say: the published
    `shared.contracts.vocabulary.WAITING_ON` (which the inbox and notifications read) must be
    exactly this for `TRANSITIONS` (tests/unit/approval_domain/test_waiting_on.py holds them
    equal)."""
    waiting: dict[CaseState, set[Party]] = {}
    for t in transitions.values():
        if t.awaits is not None:
            for state in t.awaited_in:
                waiting.setdefault(state, set()).add(t.awaits)
    return {state: frozenset(parties) for state, parties in waiting.items()}
