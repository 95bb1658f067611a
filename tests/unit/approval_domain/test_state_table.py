"""The whole state machine of domain.md §12, state × command.

The expected table below is written from domain.md, independently of `states.TRANSITIONS`:
every allowed pair must work and land where the table says; every other pair must be refused
with InvalidTransition and record nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial

import pytest

from services.approval.domain.case import Case
from services.approval.domain.errors import InvalidTransition
from services.approval.domain.states import TRANSITIONS, Command
from shared.contracts.vocabulary import CaseState
from tests.unit.approval_domain.journey import (
    ALL_FOR,
    CO_IMPLEMENTER,
    at,
    clerk,
    day,
    drive_to,
    head,
    home_affairs,
    proposer,
    refuse,
    system,
)

S = CaseState
OPEN = frozenset(CaseState) - {S.REJECTED, S.WITHDRAWN, S.CLOSED}
BEFORE_DECISION = {
    S.IN_INTAKE,
    S.NEEDS_SUPPLEMENT,
    S.UNDER_REVIEW,
    S.IN_CONSULTATION,
    S.COLLECTIVE_REJECTED,
}

# command → (states it may start from, state it leads to; None = stays where it was)
EXPECTED: dict[Command, tuple[set[CaseState], CaseState | None]] = {
    Command.REQUEST_SUPPLEMENT: ({S.IN_INTAKE}, S.NEEDS_SUPPLEMENT),
    Command.PROVIDE_SUPPLEMENT: ({S.NEEDS_SUPPLEMENT}, S.IN_INTAKE),
    Command.RECEIVE_PLAN: ({S.IN_INTAKE}, S.UNDER_REVIEW),
    Command.REQUEST_CONSULTATION: ({S.UNDER_REVIEW}, S.IN_CONSULTATION),
    Command.RECEIVE_CONSULTATION_OPINION: ({S.IN_CONSULTATION}, None),
    Command.CLOSE_CONSULTATION: ({S.IN_CONSULTATION}, S.UNDER_REVIEW),
    Command.REQUEST_PARTY_OPINION_ON_APPROVAL: ({S.UNDER_REVIEW, S.IN_CONSULTATION}, None),
    Command.RECEIVE_PARTY_OPINION_ON_APPROVAL: ({S.UNDER_REVIEW, S.IN_CONSULTATION}, None),
    Command.HOLD_APPROVAL_MEETING: ({S.UNDER_REVIEW}, S.APPROVED),
    Command.OVERRIDE_COLLECTIVE_REJECTION: ({S.COLLECTIVE_REJECTED}, S.APPROVED),
    Command.CONFIRM_REJECTION: ({S.COLLECTIVE_REJECTED}, S.REJECTED),
    Command.WITHDRAW: (BEFORE_DECISION, S.WITHDRAWN),
    Command.ALLOCATE_RESOURCES: ({S.APPROVED, S.IN_IMPLEMENTATION, S.SUSPENDED}, None),
    Command.START_IMPLEMENTATION: ({S.APPROVED}, S.IN_IMPLEMENTATION),
    Command.REPORT_PROGRESS: ({S.IN_IMPLEMENTATION, S.SUSPENDED}, None),
    Command.SUSPEND: ({S.IN_IMPLEMENTATION}, S.SUSPENDED),
    Command.RESUME: ({S.SUSPENDED}, S.IN_IMPLEMENTATION),
    Command.STOP: ({S.IN_IMPLEMENTATION, S.SUSPENDED}, S.STOPPED),
    Command.REPORT_COMPLETION: ({S.IN_IMPLEMENTATION, S.STOPPED}, S.COMPLETION_REPORTED),
    Command.REQUEST_PARTY_OPINION_ON_EVALUATION: ({S.COMPLETION_REPORTED}, None),
    Command.RECEIVE_PARTY_OPINION_ON_EVALUATION: ({S.COMPLETION_REPORTED}, None),
    Command.HOLD_EVALUATION_MEETING: ({S.COMPLETION_REPORTED}, S.EVALUATED),
    Command.ISSUE_CONCLUSION: ({S.EVALUATED}, S.CONCLUDED),
    Command.RECOGNIZE_RESULT: ({S.CONCLUDED}, S.RECOGNIZED),
    Command.GRANT_ENCOURAGEMENT: ({S.CONCLUDED, S.RECOGNIZED, S.PROTECTION_DETERMINED}, None),
    # Art 11: one determination per official (proposer, then each implementer).
    Command.DETERMINE_PROTECTION: (
        {S.CONCLUDED, S.RECOGNIZED, S.PROTECTION_DETERMINED},
        S.PROTECTION_DETERMINED,
    ),
    Command.REPORT_PROHIBITED_ACT: (set(OPEN), None),
    Command.RECORD_PROHIBITED_ACT_FINDING: (set(OPEN), None),
    Command.NOTE_DEADLINE_APPROACHING: (set(OPEN), None),
    Command.RECORD_DEADLINE_BREACH: (set(OPEN), None),
    # A rejected or withdrawn file is archived too (it could not be, before).
    Command.CLOSE: ({S.RECOGNIZED, S.PROTECTION_DETERMINED, S.REJECTED, S.WITHDRAWN}, S.CLOSED),
}

NOW = at(30)  # after every step of the journey helper


def _party_opinion(stage: str) -> Callable[[Case], None]:
    def prepare(case: Case) -> None:
        case.request_party_opinion(clerk(), NOW, stage=stage, committee_id="dang-uy")

    return prepare


def _party_opinion_received(stage: str) -> Callable[[Case], None]:
    def prepare(case: Case) -> None:
        _party_opinion(stage)(case)
        case.receive_party_opinion(clerk(), NOW, stage=stage, opinion="Đồng ý", doc_ref="CV")

    return prepare


def _reported(case: Case) -> None:
    case.report_prohibited_act(
        home_affairs(),
        NOW,
        act="ART6_2",
        accused={"user_id": "pho-gd-1"},
        description="cản trở",
    )


PREPARE: dict[Command, Callable[[Case], None]] = {
    Command.RECEIVE_PARTY_OPINION_ON_APPROVAL: _party_opinion("APPROVAL"),
    Command.HOLD_APPROVAL_MEETING: _party_opinion_received("APPROVAL"),
    Command.RECEIVE_PARTY_OPINION_ON_EVALUATION: _party_opinion("EVALUATION"),
    Command.HOLD_EVALUATION_MEETING: _party_opinion_received("EVALUATION"),
    Command.RECORD_PROHIBITED_ACT_FINDING: _reported,
}

INVOKE: dict[Command, Callable[[Case], object]] = {
    Command.REQUEST_SUPPLEMENT: lambda c: c.request_supplement(
        clerk(), NOW, items=["scope"], reason="thiếu", due=day(40)
    ),
    Command.PROVIDE_SUPPLEMENT: lambda c: c.provide_supplement(
        system(), NOW, changed_fields=["scope"], intake_due=day(40)
    ),
    Command.RECEIVE_PLAN: lambda c: c.receive_plan(clerk(), NOW, approval_due=day(40)),
    Command.REQUEST_CONSULTATION: lambda c: c.request_consultation(
        clerk(),
        NOW,
        consultees=[{"id": "chuyen-gia-1", "kind": "EXPERT"}],
        questions="?",
        due=day(40),
    ),
    Command.RECEIVE_CONSULTATION_OPINION: lambda c: c.receive_consultation_opinion(
        clerk(), NOW, consultee_id="so-tu-phap", opinion="ok", doc_ref="CV-1"
    ),
    Command.CLOSE_CONSULTATION: lambda c: c.close_consultation(clerk(), NOW),
    Command.REQUEST_PARTY_OPINION_ON_APPROVAL: _party_opinion("APPROVAL"),
    Command.RECEIVE_PARTY_OPINION_ON_APPROVAL: lambda c: c.receive_party_opinion(
        clerk(), NOW, stage="APPROVAL", opinion="Đồng ý", doc_ref="CV"
    ),
    Command.HOLD_APPROVAL_MEETING: lambda c: c.hold_approval_meeting(
        head(), NOW, held_on=day(30), ballots=ALL_FOR, minutes_ref="BB"
    ),
    Command.OVERRIDE_COLLECTIVE_REJECTION: lambda c: c.override_collective_rejection(
        head(), NOW, justification="cần thiết", decision_ref="QD"
    ),
    Command.CONFIRM_REJECTION: lambda c: c.confirm_rejection(
        head(), NOW, reasons=["không khả thi"], decision_ref="QD"
    ),
    Command.WITHDRAW: lambda c: c.withdraw(proposer(), NOW),
    Command.ALLOCATE_RESOURCES: lambda c: c.allocate_resources(
        head(), NOW, source_ref="QD-KP", funding_vnd=Decimal("1000000")
    ),
    Command.START_IMPLEMENTATION: lambda c: c.start_implementation(
        clerk(), NOW, start_date=day(30)
    ),
    Command.REPORT_PROGRESS: lambda c: c.report_progress(
        clerk(), NOW, period="Q3", progress_percent=50
    ),
    Command.SUSPEND: lambda c: c.suspend(head(), NOW, decision_ref="QD", reasons=["rủi ro"]),
    Command.RESUME: lambda c: c.resume(head(), NOW, decision_ref="QD"),
    Command.STOP: lambda c: c.stop(head(), NOW, decision_ref="QD", reasons=["dừng"]),
    Command.REPORT_COMPLETION: lambda c: c.report_completion(
        clerk(),
        NOW,
        completed_on=day(30),
        results_vs_targets=[{"target": "a", "result": "a"}],
        resources_used={},
        damage={"occurred": False},
        report_due=day(35),
        evaluation_due=day(40),
    ),
    Command.REQUEST_PARTY_OPINION_ON_EVALUATION: _party_opinion("EVALUATION"),
    Command.RECEIVE_PARTY_OPINION_ON_EVALUATION: lambda c: c.receive_party_opinion(
        clerk(), NOW, stage="EVALUATION", opinion="Đồng ý", doc_ref="CV"
    ),
    Command.HOLD_EVALUATION_MEETING: lambda c: c.hold_evaluation_meeting(
        head(),
        NOW,
        held_on=day(30),
        ballots=ALL_FOR,
        minutes_ref="BB-DG",
        assessed_outcome="COMPLETED",
        conclusion_due=day(40),
    ),
    Command.ISSUE_CONCLUSION: lambda c: c.issue_conclusion(
        head(),
        NOW,
        outcome="COMPLETED",
        caused_damage=False,
        good_faith_finding=True,
        causes_objective=[],
        causes_subjective=[],
        conclusion_ref="KL",
    ),
    Command.RECOGNIZE_RESULT: lambda c: c.recognize_result(head(), NOW),
    Command.GRANT_ENCOURAGEMENT: lambda c: c.grant_encouragement(
        head(),
        NOW,
        form="APPOINTMENT_PRIORITY",
        beneficiary={"kind": "OFFICIAL"},
        decision_ref="QD",
    ),
    Command.DETERMINE_PROTECTION: lambda c: c.determine_protection(
        head(),
        NOW,
        art5_conditions_met=True,
        implemented_as_decided=True,
        directions_followed=True,
        decision_ref="QD",
        # The proposer's is determined on the way to PROTECTION_DETERMINED: then an implementer's.
        official_id=None if c.protection is None else CO_IMPLEMENTER,
    ),
    Command.REPORT_PROHIBITED_ACT: _reported,
    Command.RECORD_PROHIBITED_ACT_FINDING: lambda c: c.record_prohibited_act_finding(
        head(), NOW, report_number=1, substantiated=True, finding_ref="KL"
    ),
    Command.CLOSE: lambda c: c.close(system(), NOW),
}

DEADLINE_COMMANDS = {Command.NOTE_DEADLINE_APPROACHING, Command.RECORD_DEADLINE_BREACH}


def test_transition_table_matches_domain_md() -> None:
    assert set(EXPECTED) == set(Command)
    for command, (sources, target) in EXPECTED.items():
        assert TRANSITIONS[command].sources == sources, command
        if target is not None:
            assert target in TRANSITIONS[command].targets, command
        else:
            assert TRANSITIONS[command].targets == sources, command


@pytest.mark.parametrize("command", [c for c in Command if c not in DEADLINE_COMMANDS], ids=str)
@pytest.mark.parametrize("state", list(CaseState), ids=str)
def test_every_state_command_pair(state: CaseState, command: Command) -> None:
    case = drive_to(state)
    sources, target = EXPECTED[command]
    if state not in sources:
        refusal = refuse(case, InvalidTransition, lambda: INVOKE[command](case))
        assert refusal.state == state.value
        assert refusal.command == command.value
        return
    if command in PREPARE:
        PREPARE[command](case)
    version = case.version
    INVOKE[command](case)
    assert case.version == version + 1
    assert case.state is (state if target is None else target)


@pytest.mark.parametrize("state", [S.REJECTED, S.WITHDRAWN, S.CLOSED], ids=str)
def test_terminal_states_accept_no_deadline_notices(state: CaseState) -> None:
    case = drive_to(state)
    for name in ("intake", "approval", "evaluation"):
        approaching = partial(case.note_deadline_approaching, system(), NOW, deadline=name)
        breach = partial(case.record_deadline_breach, system(), NOW, deadline=name)
        refuse(case, InvalidTransition, approaching)
        refuse(case, InvalidTransition, breach)
