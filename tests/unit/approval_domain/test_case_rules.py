"""One test per rule of Decree 73 (and Plan 88) that the case enforces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from uuid import UUID

import pytest

from services.approval import commands as c
from services.approval.domain.case import Case
from services.approval.domain.encouragement import EncouragementForm
from services.approval.domain.errors import (
    Conflict,
    DomainError,
    Invalid,
    InvalidTransition,
    NotAllowed,
)
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.protection import ProtectionTier
from services.approval.domain.vote import VoteStage
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from tests.unit.approval_domain.journey import (
    ALL_AGAINST,
    ALL_FOR,
    CO_IMPLEMENTER,
    DEPUTIES,
    HEAD,
    PROPOSAL_ID,
    PROPOSER,
    actor,
    at,
    clerk,
    conclude,
    day,
    drive_to,
    head,
    home_affairs,
    open_case,
    proposer,
    receive_party_opinion,
    refuse,
    refuse_input,
    report_completion,
    state_of,
    system,
    unanimous,
)

OTHER_PROPOSAL = UUID("11111111-2222-4333-8444-555555555555")
CO_IMPLEMENTER_ACTOR = actor(CO_IMPLEMENTER, "proposer", unit_id="so-tnmt")

# ------------------------------------------------------------------ opening


def test_case_id_is_deterministic_so_a_redelivered_submission_opens_one_case() -> None:
    first, second = open_case(), open_case()
    assert first.id == second.id == Case.create_id(PROPOSAL_ID)
    assert Case.create_id(PROPOSAL_ID) != Case.create_id(OTHER_PROPOSAL)


def test_open_receives_the_submission_into_intake_with_its_clock() -> None:
    case = open_case()
    assert case.state is CaseState.IN_INTAKE
    assert case.rule_set_version == "can-tho/2024.1"
    intake = case.open_deadlines()[DeadlineName.INTAKE]
    assert intake.due == day(3)
    assert intake.responsible_unit_id == "so-tnmt"
    (opened,) = case.pending_events
    assert opened.stamp["actor"]["roles"] == ["system"]  # type: ignore[attr-defined]


def test_art7_4_head_cannot_receive_their_own_proposal() -> None:
    with pytest.raises(Invalid) as refused:
        open_case(proposer_id=HEAD)
    assert [p.field for p in refused.value.problems] == ["authority.head_id"]


def test_open_accepts_a_backlog_whose_intake_is_already_due() -> None:
    # The consumer was down: the submission of day 0 is opened on day 10.
    case = open_case(opened_at=at(10), intake_due=day(3))
    assert case.record_deadline_breach(system(), at(10), deadline="intake")


def test_open_keeps_the_routing_as_registration_decided_it() -> None:
    case = open_case(
        routing={
            "target": "AGENCY_HEAD",
            "recipient_unit_id": "so-tnmt",
            "intake_unit_id": "so-tnmt",
            "decider_id": "giam-doc-cu",  # the head when it was routed, since replaced
            "legal_basis": "ND73 Art 7 §3",
            "directory_version": "dir-2024-05",
            "management_level": "AGENCY",
        }
    )
    assert case.routing["decider_id"] == "giam-doc-cu"
    assert case.routing["management_level"] == "AGENCY"
    assert case.competent_authority.head_id == HEAD


def test_open_reports_every_missing_field_at_once() -> None:
    with pytest.raises(Invalid) as refused:
        open_case(title="", rule_set_version="", intake_due=day(-2))
    assert {p.field for p in refused.value.problems} == {
        "title",
        "rule_set_version",
        "intake_due",
    }


# ------------------------------------------------------------------ intake


def test_art7_2_supplement_round_trip_restarts_the_intake_clock() -> None:
    case = drive_to(CaseState.NEEDS_SUPPLEMENT)
    assert set(case.open_deadlines()) == {DeadlineName.SUPPLEMENT}
    assert case.open_deadlines()[DeadlineName.SUPPLEMENT].responsible_user_id == PROPOSER
    case.provide_supplement(
        system(),
        at(4),
        changed_fields=["bottleneck_description"],
        intake_due=day(7),
        plan={"necessity": "đã bổ sung"},
    )
    assert case.state is CaseState.IN_INTAKE
    assert case.plan == {"necessity": "đã bổ sung"}
    assert case.open_deadlines()[DeadlineName.INTAKE].due == day(7)


def test_supplement_request_must_say_what_is_missing() -> None:
    refusal = refuse_input(c.RequestSupplement, items=[], reason="")
    assert {p.field for p in refusal.problems} == {"items", "reason"}


def test_art8_1_receipt_starts_the_approval_clock() -> None:
    case = drive_to(CaseState.UNDER_REVIEW)
    approval = case.open_deadlines()[DeadlineName.APPROVAL]
    assert approval.responsible_user_id == HEAD
    assert approval.legal_basis == "ND73 Art 8 §1"
    assert case.received_at == at(1)
    assert DeadlineName.INTAKE not in case.open_deadlines()


# ------------------------------------------------------------------ consultation and Party opinion


def test_art8_2_consultation_collects_opinions_then_returns_to_review() -> None:
    case = drive_to(CaseState.IN_CONSULTATION)
    case.receive_consultation_opinion(
        clerk(), at(5), consultee_id="so-tu-phap", opinion="Không trái luật", doc_ref="CV-12"
    )
    refuse(
        case,
        Conflict,
        lambda: case.receive_consultation_opinion(
            clerk(), at(5), consultee_id="so-tai-chinh", opinion="x", doc_ref="CV-13"
        ),
    )
    case.close_consultation(clerk(), at(6))
    assert case.state is CaseState.UNDER_REVIEW
    assert case.consultations["so-tu-phap"]["opinion"] == "Không trái luật"
    assert DeadlineName.CONSULTATION not in case.open_deadlines()


def test_art4_party_opinion_required_before_approval() -> None:
    case = drive_to(CaseState.UNDER_REVIEW)
    meeting = partial(
        case.hold_approval_meeting,
        head(),
        at(3),
        held_on=day(3),
        ballots=ALL_FOR,
        minutes_ref="BB-01",
    )
    refusal = refuse(case, Conflict, meeting)
    assert "Art 4 §3" in str(refusal)
    case.request_party_opinion(clerk(), at(3), stage="APPROVAL", committee_id="dang-uy")
    refuse(case, Conflict, meeting)  # sought but not yet received
    case.receive_party_opinion(clerk(), at(3), stage="APPROVAL", opinion="Đồng ý", doc_ref="CV")
    meeting()
    assert case.state is CaseState.APPROVED


def test_art4_party_opinion_required_before_override() -> None:
    case = drive_to(CaseState.UNDER_REVIEW)
    case.hold_approval_meeting(
        head(),
        at(3),
        held_on=day(3),
        ballots=ALL_AGAINST,
        minutes_ref="BB-01",
        party_opinion_required=False,
    )
    refuse(
        case,
        Conflict,
        lambda: case.override_collective_rejection(
            head(), at(4), justification="cần thiết, khả thi", decision_ref="QD-02"
        ),
    )


def test_art4_party_opinion_required_before_evaluation() -> None:
    case = drive_to(CaseState.COMPLETION_REPORTED)
    refuse(
        case,
        Conflict,
        lambda: case.hold_evaluation_meeting(
            head(),
            at(10),
            held_on=day(10),
            ballots=ALL_FOR,
            minutes_ref="BB-DG",
            assessed_outcome="COMPLETED",
            conclusion_due=day(13),
        ),
    )
    assert case.party_opinion(VoteStage.APPROVAL) is not None
    assert case.party_opinion(VoteStage.EVALUATION) is None


def test_art4_party_opinion_requirement_is_a_parameter() -> None:
    case = drive_to(CaseState.UNDER_REVIEW)
    case.hold_approval_meeting(
        head(),
        at(3),
        held_on=day(3),
        ballots=ALL_FOR,
        minutes_ref="BB-01",
        party_opinion_required=False,
    )
    assert case.state is CaseState.APPROVED


def test_art4_party_opinion_is_received_once_and_only_when_sought() -> None:
    case = drive_to(CaseState.UNDER_REVIEW)
    refuse(
        case,
        Conflict,
        lambda: case.receive_party_opinion(
            clerk(), at(3), stage="APPROVAL", opinion="x", doc_ref="CV"
        ),
    )
    receive_party_opinion(case, "APPROVAL", 3)
    refuse(
        case,
        Conflict,
        lambda: case.request_party_opinion(clerk(), at(4), stage="APPROVAL", committee_id="d"),
    )
    refuse_input(c.RequestPartyOpinion, stage="BUDGET", committee_id="d")


# ------------------------------------------------------------------ Art 8 §1 decision


def _reviewed_with_party_opinion(proposer_id: str = PROPOSER) -> Case:
    case = drive_to(CaseState.UNDER_REVIEW, proposer_id=proposer_id)
    receive_party_opinion(case, "APPROVAL", 2)
    return case


def test_art8_passing_vote_approves_and_closes_the_clock() -> None:
    case = _reviewed_with_party_opinion()
    record = case.hold_approval_meeting(
        head(),
        at(3),
        held_on=day(3),
        ballots=unanimous(HEAD, DEPUTIES[0], DEPUTIES[1]),
        minutes_ref="BB-01",
        implementer_ids=[PROPOSER, CO_IMPLEMENTER],
    )
    assert record.passed
    assert case.state is CaseState.APPROVED
    assert case.approval is not None
    assert case.approval["by_override"] is False
    assert case.implementer_ids == (PROPOSER, CO_IMPLEMENTER)
    assert case.open_deadlines() == {}


@pytest.mark.parametrize(
    ("head_side", "state"),
    [("FOR", CaseState.APPROVED), ("AGAINST", CaseState.COLLECTIVE_REJECTED)],
)
def test_art8_tie_goes_to_heads_side(head_side: str, state: CaseState) -> None:
    """Khoản 1 Điều 8, "ý kiến biểu quyết ngang nhau thì quyết định theo ý kiến mà người đứng
    đầu đã biểu quyết": four members, two on each side; the head's side decides."""
    other = "AGAINST" if head_side == "FOR" else "FOR"
    case = _reviewed_with_party_opinion()
    case.hold_approval_meeting(
        head(),
        at(3),
        held_on=day(3),
        ballots=[
            {"member_id": HEAD, "ballot": head_side},
            {"member_id": DEPUTIES[0], "ballot": head_side},
            {"member_id": DEPUTIES[1], "ballot": other},
            {"member_id": DEPUTIES[2], "ballot": other},
        ],
        minutes_ref="BB-01",
    )
    assert case.state is state
    (record,) = case.vote_records()
    assert record.is_tie
    assert record.passed is (head_side == "FOR")


def test_art8_deputy_proposer_excluded_from_vote() -> None:
    case = _reviewed_with_party_opinion(proposer_id=DEPUTIES[2])
    refusal = refuse(
        case,
        NotAllowed,
        lambda: case.hold_approval_meeting(
            head(), at(3), held_on=day(3), ballots=ALL_FOR, minutes_ref="BB-01"
        ),
    )
    assert DEPUTIES[2] in str(refusal)
    # Three eligible members; two in favour is more than half.
    case.hold_approval_meeting(
        head(),
        at(3),
        held_on=day(3),
        ballots=unanimous(HEAD, DEPUTIES[0]),
        minutes_ref="BB-01",
    )
    (record,) = case.vote_records()
    assert record.excluded == (DEPUTIES[2],)
    assert DEPUTIES[2] not in record.eligible
    assert case.state is CaseState.APPROVED


def test_art8_each_member_votes_once() -> None:
    case = _reviewed_with_party_opinion()
    refuse(
        case,
        Conflict,
        lambda: case.hold_approval_meeting(
            head(),
            at(3),
            held_on=day(3),
            ballots=[*ALL_FOR, {"member_id": DEPUTIES[0], "ballot": "AGAINST"}],
            minutes_ref="BB-01",
        ),
    )


def test_art8_1_a_meeting_held_in_time_meets_the_clock_whatever_its_outcome() -> None:
    """Art 8 §1, "trong thời hạn 07 ngày làm việc": the collective met in time; the head's
    written decision after a failed vote (no period in the decree) is not an overdue approval."""
    case = drive_to(CaseState.COLLECTIVE_REJECTED)
    assert not case.is_approved
    assert DeadlineName.APPROVAL not in case.open_deadlines()
    refuse(
        case,
        Conflict,
        partial(
            case.record_deadline_breach,
            system(),
            at(40),
            deadline="approval",
            escalate_to={"target": "HOME_AFFAIRS", "unit_id": "so-noi-vu"},
        ),
    )


def test_art9_a_late_entered_meeting_does_not_move_the_conclusion_deadline() -> None:
    """Art 9 §3, "trong thời hạn 03 ngày làm việc": counted from the meeting's legal date; a
    meeting held on day 11 but entered on day 20 keeps a due date already past."""
    case = drive_to(CaseState.COMPLETION_REPORTED)
    receive_party_opinion(case, "EVALUATION", 10)
    case.hold_evaluation_meeting(
        head(),
        at(20),
        held_on=day(11),
        ballots=unanimous(*case.competent_authority.voters),
        minutes_ref="BB-DG",
        assessed_outcome="COMPLETED",
        conclusion_due=day(14),
    )
    conclusion = case.open_deadlines()[DeadlineName.CONCLUSION]
    assert conclusion.due == day(14)
    assert conclusion.is_overdue(at(20))


def _rules(refusal: Invalid) -> list[tuple[str, str, dict[str, str]]]:
    return [(p.field, p.code, dict(p.params)) for p in refusal.problems]


Refusal = tuple[Case, Callable[[], object], tuple[str, str, dict[str, str] | None]]


def _meeting_held(before_receipt: bool) -> Refusal:
    reviewed = _reviewed_with_party_opinion()
    received = reviewed.received_on
    assert received is not None
    meeting = partial(
        reviewed.hold_approval_meeting, head(), at(20), ballots=ALL_FOR, minutes_ref="BB-01"
    )
    if before_receipt:
        held_on, rule = received - timedelta(days=1), "legal_date_before_previous_step"
        params = {"step": "plan_received", "day": received.isoformat()}
    else:
        held_on, rule, params = day(21), "legal_date_in_future", {"recorded": day(20).isoformat()}
    return reviewed, partial(meeting, held_on=held_on), ("held_on", rule, params)


def _implementation_started(in_future: bool) -> Refusal:
    approved = drive_to(CaseState.APPROVED)
    approved_on = approved.vote_records()[-1].held_on
    start_date = day(99) if in_future else approved_on - timedelta(days=1)
    rule = "legal_date_in_future" if in_future else "implementation_before_approval"
    start = partial(approved.start_implementation, proposer(), at(30), start_date=start_date)
    return approved, start, ("start_date", rule, None)


def _completed_before_start() -> Refusal:
    started = drive_to(CaseState.IN_IMPLEMENTATION)
    assert started.started_on is not None
    report = partial(
        started.report_completion,
        proposer(),
        at(30),
        completed_on=started.started_on - timedelta(days=1),
        results_vs_targets=[{"target": "t", "result": "r"}],
        resources_used={},
        damage={"occurred": False},
        report_due=day(40),
        evaluation_due=day(40),
    )
    return started, report, ("completed_on", "completion_before_start", None)


@pytest.mark.parametrize(
    "scenario",
    [
        partial(_meeting_held, before_receipt=True),
        partial(_meeting_held, before_receipt=False),
        partial(_implementation_started, in_future=False),
        partial(_implementation_started, in_future=True),
        _completed_before_start,
    ],
    ids=[
        "meeting-before-receipt",
        "meeting-in-future",
        "implementation-before-approval",
        "implementation-in-future",
        "completion-before-start",
    ],
)
def test_legal_date_refusals_name_the_rule_they_break(scenario: Callable[[], Refusal]) -> None:
    """Legal dates ("ngày pháp lý"): a legal date is never in the future and never before the
    previous step's legal date (implementation before approval, completion before the start).
    Each refusal names the one field and carries its rule's code and the previous step with its
    day, from which the message catalogue states the rule in Vietnamese."""
    case, give, (field, rule, params) = scenario()
    refusal = refuse(case, Invalid, give)
    ((refused_field, code, given),) = _rules(refusal)
    assert (refused_field, code) == (field, rule)
    if params is not None:
        assert given == params


def test_art8_1_a_decision_signed_after_the_meeting_dates_the_approval() -> None:
    """Khoản 1 Điều 8, "quyết định cho phép thực hiện": the written decision's legal date, when
    signed after the meeting, is the approval's; implementation cannot start before it."""
    case = _reviewed_with_party_opinion()
    held = day(9)
    case.hold_approval_meeting(
        head(),
        at(12),
        held_on=held,
        ballots=ALL_FOR,
        minutes_ref="BB-01",
        decision_ref="QD-01",
        decision_signed_on=day(11),
    )
    refusal = refuse(
        case, Invalid, partial(case.start_implementation, proposer(), at(12), start_date=day(10))
    )
    assert _rules(refusal) == [
        (
            "start_date",
            "implementation_before_approval",
            {"step": "approval", "day": day(11).isoformat()},
        )
    ]
    case.start_implementation(proposer(), at(13), start_date=day(11))
    assert case.started_on == day(11)


def test_art8_1_the_heads_written_decisions_have_their_own_legal_date() -> None:
    """Khoản 1 Điều 8, "bằng văn bản": the override and the rejection record the day the head
    signed them, separately from when they are entered (entered later: flagged)."""
    rejected = drive_to(CaseState.COLLECTIVE_REJECTED)
    met = rejected.vote_records()[-1].held_on
    refusal = refuse(
        rejected,
        Invalid,
        partial(
            rejected.override_collective_rejection,
            head(),
            at(30),
            justification="cần thiết",
            decision_ref="QD-02",
            signed_on=met - timedelta(days=1),
        ),
    )
    assert [code for _, code, _ in _rules(refusal)] == ["legal_date_before_previous_step"]
    signed = met + timedelta(days=2)
    rejected.override_collective_rejection(
        head(),
        at(30),
        justification="cần thiết",
        decision_ref="QD-02",
        signed_on=signed,
    )
    override = rejected.collect_events()[-1]
    assert (override.signed_on, override.entered_late) == (signed, True)  # type: ignore[attr-defined]
    refuse(
        rejected,
        Invalid,
        partial(rejected.start_implementation, proposer(), at(30), start_date=met),
    )
    confirmed = drive_to(CaseState.COLLECTIVE_REJECTED)
    confirmed.confirm_rejection(
        head(), at(20), reasons=["chưa khả thi"], decision_ref="QD-TC", signed_on=day(19)
    )
    rejection = confirmed.collect_events()[-1]
    assert (rejection.signed_on, rejection.entered_late) == (day(19), True)  # type: ignore[attr-defined]


def test_art9_the_evaluation_clock_counts_from_the_reports_legal_date() -> None:
    """Khoản 1 Điều 9, "trong thời hạn 05 ngày làm việc": the report is on time when the
    authority received it in time, even if a clerk enters it days later (flagged)."""
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    case.report_completion(
        clerk(),
        at(25),
        completed_on=day(10),
        reported_on=day(12),
        results_vs_targets=[{"target": "50%", "result": "50%"}],
        resources_used={},
        damage={"occurred": False},
        report_due=day(15),
        evaluation_due=day(21),  # 7 working days from the 12th, computed by the application
    )
    completion = case.completion
    assert completion is not None
    assert (completion["reported_on"], completion["late"]) == (day(12), False)
    assert case.collect_events()[-1].entered_late is True  # type: ignore[attr-defined]
    assert case.open_deadlines()[DeadlineName.EVALUATION].due == day(21)


def test_art9_a_report_received_before_completion_is_refused() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    refusal = refuse(
        case,
        Invalid,
        partial(
            case.report_completion,
            clerk(),
            at(25),
            completed_on=day(10),
            reported_on=day(9),
            results_vs_targets=[{"target": "50%", "result": "50%"}],
            resources_used={},
            damage={"occurred": False},
            report_due=day(15),
            evaluation_due=day(21),
        ),
    )
    assert _rules(refusal) == [
        (
            "reported_on",
            "legal_date_before_previous_step",
            {"step": "completed", "day": day(10).isoformat()},
        )
    ]


def test_art9_2_an_evaluation_meeting_entered_late_is_flagged_not_late() -> None:
    """Khoản 2 Điều 9, "trong thời hạn 07 ngày làm việc": held in time, entered late."""
    case = _reported_with_party_opinion()
    due = case.open_deadlines()[DeadlineName.EVALUATION].due
    case.hold_evaluation_meeting(
        head(),
        at(40),
        held_on=due,
        ballots=ALL_FOR,
        minutes_ref="BB-DG",
        assessed_outcome="COMPLETED",
        conclusion_due=due + timedelta(days=3),
    )
    meeting = case.collect_events()[-1]
    assert (meeting.held_in_time, meeting.entered_late) == (True, True)  # type: ignore[attr-defined]


def test_art9_3_a_conclusion_is_late_by_its_legal_date_not_its_entry() -> None:
    """Khoản 3 Điều 9, "trong thời hạn 03 ngày làm việc": a conclusion signed in time but
    entered later is not late (flagged as entered late); one signed after the due day is late."""
    case = drive_to(CaseState.EVALUATED)
    due = case.open_deadlines()[DeadlineName.CONCLUSION].due
    held = case.vote_records()[-1].held_on
    issue = partial(
        case.issue_conclusion,
        head(),
        at(40),
        outcome="COMPLETED",
        caused_damage=False,
        good_faith_finding=True,
        causes_objective=[],
        causes_subjective=[],
        conclusion_ref="KL-01",
    )
    refusal = refuse(case, Invalid, partial(issue, issued_on=held - timedelta(days=1)))
    assert _rules(refusal) == [
        (
            "issued_on",
            "legal_date_before_previous_step",
            {"step": "evaluation_meeting", "day": held.isoformat()},
        )
    ]
    issue(issued_on=due)
    assert case.conclusion is not None
    assert (case.conclusion["issued_on"], case.conclusion["issued_late"]) == (due, False)
    assert case.collect_events()[-1].entered_late is True  # type: ignore[attr-defined]


def test_art8_override_requires_written_justification() -> None:
    case = drive_to(CaseState.COLLECTIVE_REJECTED)
    refusal = refuse_input(c.OverrideCollectiveRejection, justification=" ", decision_ref="")
    assert {p.field for p in refusal.problems} == {"justification", "decision_ref"}
    case.override_collective_rejection(
        head(), at(6), justification="Cần thiết và khả thi", decision_ref="QD-GD-07"
    )
    assert case.state is CaseState.APPROVED
    assert case.approved_by_override
    assert case.approval is not None
    assert case.approval["justification"] == "Cần thiết và khả thi"
    assert case.approval["minutes_ref"] == "BB-01"  # the failed vote it overrides
    assert case.implementer_ids == (PROPOSER,)


@pytest.mark.parametrize(
    ("before_a_failed_vote", "by", "error"),
    [
        (True, head(), InvalidTransition),  # only after the collective rejected it
        (False, actor(DEPUTIES[0], "unit_head", unit_id="so-tnmt"), NotAllowed),
    ],
    ids=["before-a-failed-vote", "by-a-deputy"],
)
def test_art8_override_is_the_heads_alone_after_a_failed_vote(
    before_a_failed_vote: bool, by: Actor, error: type[DomainError]
) -> None:
    """Khoản 1 Điều 8: when the collective does not pass the plan, "người đứng đầu" alone may
    still decide in writing to implement it."""
    if before_a_failed_vote:
        case = _reviewed_with_party_opinion()
    else:
        case = drive_to(CaseState.COLLECTIVE_REJECTED)
    override = partial(
        case.override_collective_rejection, by, at(6), justification="x", decision_ref="QD"
    )
    refuse(case, error, override)


def test_art8_rejection_needs_reasons_and_ends_the_case() -> None:
    case = drive_to(CaseState.COLLECTIVE_REJECTED)
    refuse_input(c.ConfirmRejection, reasons=[], decision_ref="QD-TC")
    case.confirm_rejection(head(), at(6), reasons=["Chưa khả thi"], decision_ref="QD-TC")
    assert case.state is CaseState.REJECTED
    assert case.open_deadlines() == {}
    refuse(
        case,
        InvalidTransition,
        lambda: case.override_collective_rejection(
            head(), at(7), justification="x", decision_ref="QD"
        ),
    )


def test_withdrawal_only_before_the_final_decision() -> None:
    case = drive_to(CaseState.COLLECTIVE_REJECTED)
    case.withdraw(proposer(), at(6), reason="rút")
    assert case.state is CaseState.WITHDRAWN
    approved = drive_to(CaseState.APPROVED)
    refuse(approved, InvalidTransition, lambda: approved.withdraw(proposer(), at(6)))


# ------------------------------------------------------------------ implementation


def test_art10_2_resources_are_allocated_case_by_case() -> None:
    case = drive_to(CaseState.APPROVED)
    refuse_input(c.AllocateResources, source_ref="QD-KP-01")
    case.allocate_resources(
        head(),
        at(6),
        source_ref="QD-KP-01",
        equipment=["máy chủ"],
        staff=[CO_IMPLEMENTER],
        funding_vnd=Decimal("150000000"),
    )
    (allocation,) = case.resources
    assert allocation["funding_vnd"] == Decimal("150000000")
    assert case.state is CaseState.APPROVED


def test_art6_4_suspension_and_stop_are_written_reasoned_decisions() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    refuse_input(c.Suspend, decision_ref="", reasons=[])
    case.suspend(head(), at(8), decision_ref="QD-TD", reasons=["nguy cơ thiệt hại"])
    case.resume(head(), at(9), decision_ref="QD-TT", conditions=["báo cáo hằng tuần"])
    case.suspend(head(), at(10), decision_ref="QD-TD-2", reasons=["lại có rủi ro"])
    case.stop(head(), at(11), decision_ref="QD-D", reasons=["không khả thi"])
    assert case.state is CaseState.STOPPED
    assert [d["kind"] for d in case.directions] == ["SUSPEND", "RESUME", "SUSPEND", "STOP"]


def test_stop_is_followed_by_a_final_report_of_partial_results() -> None:
    case = drive_to(CaseState.STOPPED)
    report_completion(case, 9)
    assert case.state is CaseState.COMPLETION_REPORTED
    assert case.completion is not None
    assert case.completion["after_stop"] is True


def test_progress_percent_is_bounded() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    refuse_input(c.ReportProgress, period="Q3", progress_percent=120)
    case.report_progress(proposer(), at(8), period="Q3", progress_percent=60, risk_of_damage=True)
    assert case.progress_reports[0]["risk_of_damage"] is True


def test_evaluation_completion_report_lateness_is_recorded() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    case.report_completion(
        CO_IMPLEMENTER_ACTOR,
        at(20),
        completed_on=day(10),
        results_vs_targets=[{"target": "50%", "result": "50%"}],
        resources_used={},
        damage={"occurred": False},
        report_due=day(15),  # 5 working days after completion, as computed by the application
        evaluation_due=day(29),
    )
    completion = case.completion
    assert completion is not None
    assert completion["late"] is True
    assert completion["reported_on"] == day(20)
    assert case.open_deadlines()[DeadlineName.EVALUATION].due == day(29)


def test_completion_report_damage_needs_a_description() -> None:
    refusal = refuse_input(
        c.ReportCompletion,
        completed_on=day(9),
        results_vs_targets=[],
        resources_used={},
        damage={"occurred": True, "estimate": Decimal("-1")},
    )
    assert {p.field for p in refusal.problems} == {
        "results_vs_targets",
        "damage.description",
        "damage.estimate",
    }


# ------------------------------------------------------------------ evaluation


def _reported_with_party_opinion(proposer_id: str = PROPOSER) -> Case:
    case = drive_to(CaseState.COMPLETION_REPORTED, proposer_id=proposer_id)
    receive_party_opinion(case, "EVALUATION", 8)
    return case


def test_evaluation_failed_vote_keeps_the_case_waiting_for_another_meeting() -> None:
    """Khoản 2 Điều 9, "trong thời hạn 07 ngày làm việc": the head held the meeting in time, so
    the clock is met even though the vote failed; another meeting follows, with no period of its
    own (the clock used to stay open and the head was reported late)."""
    case = _reported_with_party_opinion()
    record = case.hold_evaluation_meeting(
        head(),
        at(9),
        held_on=day(9),
        ballots=ALL_AGAINST,
        minutes_ref="BB-DG-1",
        assessed_outcome="COMPLETED",
        conclusion_due=day(12),
    )
    assert not record.passed
    assert case.state is CaseState.COMPLETION_REPORTED
    assert DeadlineName.EVALUATION not in case.open_deadlines()
    case.hold_evaluation_meeting(
        head(),
        at(10),
        held_on=day(10),
        ballots=ALL_FOR,
        minutes_ref="BB-DG-2",
        assessed_outcome="PARTIAL",
        conclusion_due=day(13),
    )
    assert state_of(case) is CaseState.EVALUATED
    assert case.evaluated_outcome is EvaluationOutcome.PARTIAL
    assert set(case.open_deadlines()) == {DeadlineName.CONCLUSION}


@pytest.mark.parametrize(
    "ballots",
    [
        # The head absent: two of the three votes cast are in favour.
        [("pho-gd-1", "FOR"), ("pho-gd-2", "FOR"), ("pho-gd-3", "AGAINST")],
        # Two for, two against: the head's side wins.
        [(HEAD, "FOR"), ("pho-gd-1", "FOR"), ("pho-gd-2", "AGAINST"), ("pho-gd-3", "AGAINST")],
        # An abstention is not a vote cast (the rule set's default).
        [(HEAD, "FOR"), ("pho-gd-1", "ABSTAIN"), ("pho-gd-2", "ABSTAIN")],
    ],
    ids=["head-absent", "tie-head-for", "abstentions"],
)
def test_art9_2_the_evaluation_meeting_votes_by_the_rule_of_art8_1(
    ballots: list[tuple[str, str]],
) -> None:
    """Khoản 1 Điều 8, "trên 50% ý kiến biểu quyết tán thành … ngang nhau thì quyết định theo ý
    kiến mà người đứng đầu đã biểu quyết", serves the collective's evaluation meeting too."""
    case = _reported_with_party_opinion()
    record = case.hold_evaluation_meeting(
        head(),
        at(9),
        held_on=day(9),
        ballots=[{"member_id": m, "ballot": b} for m, b in ballots],
        minutes_ref="BB-DG",
        assessed_outcome="COMPLETED",
        conclusion_due=day(12),
    )
    assert record.passed
    assert state_of(case) is CaseState.EVALUATED


def test_evaluation_proposer_deputy_excluded() -> None:
    case = _reported_with_party_opinion(proposer_id=DEPUTIES[0])
    refuse(
        case,
        NotAllowed,
        lambda: case.hold_evaluation_meeting(
            head(),
            at(9),
            held_on=day(9),
            ballots=ALL_FOR,
            minutes_ref="BB-DG",
            assessed_outcome="COMPLETED",
            conclusion_due=day(12),
        ),
    )


def test_art11_4_non_completion_conclusion_names_its_causes() -> None:
    refusal = refuse_input(
        c.IssueConclusion,
        outcome="NOT_COMPLETED",
        caused_damage=False,
        good_faith_finding=True,
        causes_objective=[],
        causes_subjective=[],
        conclusion_ref="KL-01",
    )
    assert [p.field for p in refusal.problems] == ["causes"]


def test_conclusion_must_match_the_collectives_assessment() -> None:
    case = drive_to(CaseState.EVALUATED, outcome="PARTIAL")
    refuse(case, Conflict, lambda: conclude(case, 12, outcome="COMPLETED"))


@pytest.mark.parametrize(
    ("outcome", "collective", "conclusion", "accepted"),
    [
        ("PARTIAL", True, False, False),  # the head cannot take back the collective's finding
        ("NOT_COMPLETED", False, True, False),  # …nor make one it did not
        ("PARTIAL", True, True, True),
        ("COMPLETED", False, True, True),  # tier 1 does not turn on good faith
        ("PARTIAL", None, False, True),  # a meeting that voted no finding (older records)
    ],
)
def test_art11_2_the_good_faith_finding_is_the_collectives(
    outcome: str, collective: bool | None, conclusion: bool, accepted: bool
) -> None:
    """Khoản 2 Điều 11, "đúng chủ trương, có động cơ trong sáng, vì lợi ích chung": the finding
    that separates liability excluded (tier 2) from no protection belongs to the collective's
    evaluation; the written conclusion of a result not completed must say what it found."""
    case = _reported_with_party_opinion()
    case.hold_evaluation_meeting(
        head(),
        at(9),
        held_on=day(9),
        ballots=ALL_FOR,
        minutes_ref="BB-DG",
        assessed_outcome=outcome,
        conclusion_due=day(12),
        good_faith_finding=collective,
    )
    issue = partial(conclude, case, 10, outcome=outcome, good_faith=conclusion)
    if not accepted:
        refusal = refuse(case, Conflict, issue)
        assert "the collective found good faith" in str(refusal)
        return
    issue()
    assert case.conclusion is not None
    assert case.conclusion["good_faith_finding"] is conclusion


def test_conclusion_records_whether_it_was_issued_late() -> None:
    case = drive_to(CaseState.EVALUATED)
    conclude(case, 30)
    assert case.conclusion is not None
    assert case.conclusion["issued_late"] is True


# ------------------------------------------------------------------ Art 10 encouragement


def test_art10_recognition_only_for_a_completed_result() -> None:
    case = drive_to(CaseState.CONCLUDED, outcome="PARTIAL")
    refuse(case, Conflict, lambda: case.recognize_result(head(), at(14)))
    completed = drive_to(CaseState.CONCLUDED)
    completed.recognize_result(head(), at(14))
    assert completed.state is CaseState.RECOGNIZED


@pytest.mark.parametrize(
    "form",
    [
        EncouragementForm.COMMENDATION,
        EncouragementForm.RANK_PROMOTION_MERIT,
        EncouragementForm.EARLY_SALARY_STEP_12M,
    ],
)
def test_art10_commendation_and_point_c_only_for_a_completed_result(
    form: EncouragementForm,
) -> None:
    """Art 10 §1a "khen thưởng" and §1c ("nâng bậc lương trước thời hạn") are for a proposal
    assessed as completed."""
    partial = drive_to(CaseState.CONCLUDED, outcome="PARTIAL")

    def grant(case: Case) -> None:
        case.grant_encouragement(
            head(), at(15), form=form, beneficiary={"kind": "OFFICIAL"}, decision_ref="QD-KT"
        )

    refuse(partial, Conflict, lambda: grant(partial))
    completed = drive_to(CaseState.RECOGNIZED)
    grant(completed)
    (granted,) = completed.encouragements
    assert granted["beneficiary"]["id"] == PROPOSER
    assert granted["form"] == form.value


@pytest.mark.parametrize("outcome", ["PARTIAL", "NOT_COMPLETED"])
def test_art10_1a_praise_for_a_partial_result(outcome: str) -> None:
    """Art 10 §1a "biểu dương" before the collective needs no completed result (only
    "khen thưởng" does)."""
    case = drive_to(CaseState.CONCLUDED, outcome=outcome)
    case.grant_encouragement(
        head(), at(15), form="PRAISE", beneficiary={"kind": "OFFICIAL"}, decision_ref="QD-BD"
    )
    (granted,) = case.encouragements
    assert granted["form"] == "PRAISE"
    assert granted["beneficiary"]["id"] == PROPOSER
    assert not case.result_recognized


def test_art10_career_forms_are_refused_for_a_person_outside_art2() -> None:
    """Art 2: the forms of Art 10 §1b–c are measures for "cán bộ" (leaders and managers);
    praise is open to anyone who took part."""
    case = drive_to(CaseState.RECOGNIZED, protection_eligible=False)
    for form in ("APPOINTMENT_PRIORITY", "RANK_PROMOTION_MERIT", "EARLY_SALARY_STEP_12M"):
        grant = partial(
            case.grant_encouragement,
            head(),
            at(15),
            form=form,
            beneficiary={"kind": "OFFICIAL"},
            decision_ref="QD",
        )
        assert "Art 2" in str(refuse(case, Conflict, grant))
    case.grant_encouragement(
        head(), at(15), form="PRAISE", beneficiary={"kind": "OFFICIAL"}, decision_ref="QD-BD"
    )
    case.grant_encouragement(
        head(), at(15), form="COMMENDATION", beneficiary={"kind": "OFFICIAL"}, decision_ref="QD-K"
    )
    assert [e["form"] for e in case.encouragements] == ["PRAISE", "COMMENDATION"]


def test_art10_a_head_cannot_grant_encouragement_to_himself() -> None:
    """Art 10 §1 names "người đứng đầu" among those encouraged; the head does not decide his own
    — the superior agency does."""
    case = drive_to(CaseState.RECOGNIZED)
    refusal = refuse(
        case,
        NotAllowed,
        lambda: case.grant_encouragement(
            head(), at(15), form="PRAISE", beneficiary={"kind": "HEAD"}, decision_ref="QD-1"
        ),
    )
    assert "himself" in str(refusal)


def test_art10_forms_b_and_d_do_not_need_a_completed_result() -> None:
    case = drive_to(CaseState.CONCLUDED, outcome="NOT_COMPLETED")
    case.grant_encouragement(
        head(),
        at(15),
        form="APPOINTMENT_PRIORITY",
        beneficiary={"kind": "IMPLEMENTER", "id": CO_IMPLEMENTER},
        decision_ref="QD-01",
    )
    case.grant_encouragement(
        head(),
        at(15),
        form="OTHER",
        beneficiary={"kind": "AGENCY"},
        decision_ref="QD-02",
        description="Giấy khen của Sở",
    )
    assert [e["beneficiary"]["kind"] for e in case.encouragements] == ["IMPLEMENTER", "AGENCY"]
    assert case.state is CaseState.CONCLUDED


@pytest.mark.parametrize(
    ("granted_before", "form", "beneficiary", "error"),
    [
        # Point c (salary step, rank promotion) rewards a person, never an agency.
        ((), "EARLY_SALARY_STEP_12M", {"kind": "AGENCY"}, Invalid),
        # The same form is granted once per beneficiary.
        (("PRAISE",), "PRAISE", {"kind": "AGENCY"}, Conflict),
        # An implementer beneficiary must be one the approval named.
        ((), "PRAISE", {"kind": "IMPLEMENTER", "id": "nguoi-la"}, Invalid),
    ],
    ids=["career-form-for-an-agency", "same-form-twice", "implementer-not-named"],
)
def test_art10_grants_the_decree_does_not_allow_are_refused(
    granted_before: tuple[str, ...],
    form: str,
    beneficiary: dict[str, str],
    error: type[DomainError],
) -> None:
    case = drive_to(CaseState.RECOGNIZED)
    for n, earlier in enumerate(granted_before, start=1):
        case.grant_encouragement(
            head(), at(15), form=earlier, beneficiary=beneficiary, decision_ref=f"QD-{n}"
        )

    def grant() -> None:
        """The command checks its input, then the case its record."""
        given = c.GrantEncouragement(
            case_id=case.id, form=form, beneficiary=beneficiary, decision_ref="QD"
        )
        case.grant_encouragement(
            head(),
            at(16),
            form=given.form,
            beneficiary=given.beneficiary,
            decision_ref=given.decision_ref,
        )

    refuse(case, error, grant)


# ------------------------------------------------------------------ Art 11 protection


def _determine(
    case: Case, *, directions_followed: bool = True, official_id: str | None = None
) -> ProtectionTier:
    return case.determine_protection(
        head(),
        at(16),
        art5_conditions_met=True,
        implemented_as_decided=True,
        directions_followed=directions_followed,
        decision_ref="QD-BV",
        official_id=official_id,
    )


def test_art11_an_implementer_gets_their_own_protection_record() -> None:
    """Art 11 protects "cán bộ đề xuất, thực hiện": an implementer within Art 2 has a
    determination of their own, next to the proposer's, on the same conclusion."""
    case = drive_to(CaseState.CONCLUDED, outcome="PARTIAL", damage=True)
    assert _determine(case) is ProtectionTier.EXCLUSION_EXEMPTION_OR_MITIGATION
    assert _determine(case, official_id=CO_IMPLEMENTER) is (
        ProtectionTier.EXCLUSION_EXEMPTION_OR_MITIGATION
    )
    assert case.state is CaseState.PROTECTION_DETERMINED
    own = case.protection_of(CO_IMPLEMENTER)
    assert own is not None
    assert own["role"] == "IMPLEMENTER"
    assert own["official_id"] == CO_IMPLEMENTER
    assert own["legal_basis"] == "ND73 Art 11 §3"
    assert set(case.protections) == {PROPOSER, CO_IMPLEMENTER}
    assert case.protection is not None
    assert case.protection["official_id"] == PROPOSER
    refuse(case, Conflict, lambda: _determine(case, official_id=CO_IMPLEMENTER))


def test_art11_only_the_proposer_and_implementers_are_determined() -> None:
    case = drive_to(CaseState.RECOGNIZED)
    refuse(case, Invalid, lambda: _determine(case, official_id=DEPUTIES[0]))


def test_art11_an_implementer_outside_art2_gets_no_protection() -> None:
    """Art 2: the protection measures are for leaders and managers; an implementer who is not
    one is recorded with tier NONE and the reason."""
    other = drive_to(CaseState.UNDER_REVIEW)
    receive_party_opinion(other, "APPROVAL", 5)
    other.hold_approval_meeting(
        head(),
        at(6),
        held_on=day(6),
        ballots=unanimous(*other.competent_authority.voters),
        minutes_ref="BB-01",
        implementers=[
            {"user_id": PROPOSER, "within_art2": True},
            {"user_id": "chuyen-vien-9", "position": "specialist", "within_art2": False},
        ],
    )
    assert not other.within_art2("chuyen-vien-9")
    assert other.within_art2(PROPOSER)
    assert [i["within_art2"] for i in other.implementers] == [True, False]


def test_art6_finding_against_an_implementer_revokes_only_their_protection() -> None:
    case = drive_to(CaseState.RECOGNIZED)
    _determine(case)
    _determine(case, official_id=CO_IMPLEMENTER)
    number = _report(case, "ART6_1", CO_IMPLEMENTER, home_affairs())
    case.record_prohibited_act_finding(
        head(), at(17), report_number=number, substantiated=True, finding_ref="KL-1"
    )
    implementer = case.protection_of(CO_IMPLEMENTER)
    assert implementer is not None
    assert implementer["tier"] == "NONE"
    assert implementer["revoked_by_report"] == number
    assert case.protection_tier is ProtectionTier.NO_LIABILITY


def test_art11_completed_result_gives_no_liability() -> None:
    case = drive_to(CaseState.RECOGNIZED)
    assert _determine(case) is ProtectionTier.NO_LIABILITY
    assert case.state is CaseState.PROTECTION_DETERMINED
    assert case.protection is not None
    assert case.protection["legal_basis"] == "ND73 Art 11 §1"


def test_art11_partial_in_good_faith_excludes_liability() -> None:
    case = drive_to(CaseState.CONCLUDED, outcome="PARTIAL", good_faith=True)
    assert _determine(case) is ProtectionTier.LIABILITY_EXCLUDED


def test_art11_3_damage_separates_tier_2_from_tier_3_only() -> None:
    """ "loại trừ, miễn, giảm nhẹ": a partial result with damage, in good faith, is §3; a
    completed result with damage stays §1 ("không bị xử lý trách nhiệm")."""
    partial = drive_to(CaseState.CONCLUDED, outcome="PARTIAL", damage=True)
    assert _determine(partial) is ProtectionTier.EXCLUSION_EXEMPTION_OR_MITIGATION
    completed = drive_to(CaseState.CONCLUDED, outcome="COMPLETED", damage=True)
    assert _determine(completed) is ProtectionTier.NO_LIABILITY
    bad_faith = drive_to(CaseState.CONCLUDED, outcome="PARTIAL", damage=True, good_faith=False)
    assert _determine(bad_faith) is ProtectionTier.NONE


def test_art11_without_good_faith_no_protection() -> None:
    case = drive_to(CaseState.CONCLUDED, outcome="NOT_COMPLETED", good_faith=False)
    assert _determine(case) is ProtectionTier.NONE


def test_art11_directions_not_followed_removes_protection() -> None:
    case = drive_to(CaseState.RECOGNIZED)
    assert _determine(case, directions_followed=False) is ProtectionTier.NONE
    assert case.protection is not None
    assert case.protection["facts"]["directions_followed"] is False


def test_art2_ordinary_staff_register_but_are_not_protected() -> None:
    case = drive_to(CaseState.RECOGNIZED, protection_eligible=False)
    assert _determine(case) is ProtectionTier.NONE


# ------------------------------------------------------------------ Art 6 prohibited acts


def _report(case: Case, act: str, accused: str, reporter: Actor) -> int:
    return case.report_prohibited_act(
        reporter,
        at(13),
        act=act,
        accused={"user_id": accused, "name": "x"},
        description="mô tả",
        evidence_refs=["BB-KT-1"],
    )


def test_art6_finding_removes_protection() -> None:
    case = drive_to(CaseState.RECOGNIZED)
    number = _report(case, "ART6_1", PROPOSER, home_affairs())
    case.record_prohibited_act_finding(
        head(), at(14), report_number=number, substantiated=True, finding_ref="KL-TTr-1"
    )
    assert _determine(case) is ProtectionTier.NONE
    assert case.protection is not None
    assert case.protection["facts"]["prohibited_act_found"] is True


def test_art6_unsubstantiated_report_leaves_protection() -> None:
    case = drive_to(CaseState.RECOGNIZED)
    number = _report(case, "ART6_1", PROPOSER, home_affairs())
    case.record_prohibited_act_finding(
        head(), at(14), report_number=number, substantiated=False, finding_ref="KL-TTr-1"
    )
    assert _determine(case) is ProtectionTier.NO_LIABILITY


def test_art6_finding_after_determination_revokes_protection() -> None:
    case = drive_to(CaseState.PROTECTION_DETERMINED)
    assert case.protection_tier is ProtectionTier.NO_LIABILITY
    number = _report(case, "ART6_4", PROPOSER, system())
    case.record_prohibited_act_finding(
        head(), at(20), report_number=number, substantiated=True, finding_ref="KL-2"
    )
    assert case.protection is not None
    assert case.protection["tier"] == "NONE"
    assert case.protection["revoked_by_report"] == number


def test_art6_2_retaliation_against_the_official_keeps_their_protection() -> None:
    case = drive_to(CaseState.RECOGNIZED)
    number = _report(case, "ART6_2", DEPUTIES[0], proposer())
    case.record_prohibited_act_finding(
        head(), at(14), report_number=number, substantiated=True, finding_ref="KL-3"
    )
    (report,) = case.prohibited_act_reports
    assert report["finding"]["against_official"] is False
    assert _determine(case) is ProtectionTier.NO_LIABILITY


def test_art6_accused_cannot_rule_on_their_own_report() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    number = _report(case, "ART6_2", HEAD, proposer())
    refuse(
        case,
        NotAllowed,
        lambda: case.record_prohibited_act_finding(
            head(), at(14), report_number=number, substantiated=False, finding_ref="KL"
        ),
    )


def test_art6_report_is_found_on_once() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    number = _report(case, "ART6_5", CO_IMPLEMENTER, proposer())
    case.record_prohibited_act_finding(
        head(), at(14), report_number=number, substantiated=False, finding_ref="KL"
    )
    refuse(
        case,
        Conflict,
        lambda: case.record_prohibited_act_finding(
            head(), at(15), report_number=number, substantiated=True, finding_ref="KL-2"
        ),
    )
    refuse(
        case,
        Conflict,
        lambda: case.record_prohibited_act_finding(
            head(), at(15), report_number=99, substantiated=True, finding_ref="KL-2"
        ),
    )


# ------------------------------------------------------------------ events


def test_every_event_is_self_contained() -> None:
    case = drive_to(CaseState.CLOSED)
    events = case.collect_events()
    assert len(events) == 13
    for recorded in events:
        stamp = recorded.stamp  # type: ignore[attr-defined]
        assert stamp["proposal_id"] == PROPOSAL_ID
        assert stamp["rule_set_version"] == "can-tho/2024.1"
        assert stamp["legal_basis"].startswith(("ND73", "KH 88"))
        assert stamp["actor"]["user_id"]
        assert CaseState(stamp["state"])
    assert events[-1].stamp["state"] == "CLOSED"  # type: ignore[attr-defined]


def test_art11_the_proposers_certificate_chain_leaves_out_an_implementers_determination() -> None:
    """Each official's own determination: the proposer's certificate rests on the proposer's,
    an implementer's on theirs."""
    from shared.records.certificate.roles import Role, establishing

    case = drive_to(CaseState.RECOGNIZED)
    _determine(case)
    _determine(case, official_id=CO_IMPLEMENTER)
    history = [(type(e).__name__, vars(e)) for e in case.collect_events()]
    for official in (None, CO_IMPLEMENTER):
        chosen = establishing(history, official)
        (index,) = [i for i, role in chosen if role is Role.PROTECTION_DETERMINED]
        expected = PROPOSER if official is None else official
        assert history[index][1]["official_id"] == expected
