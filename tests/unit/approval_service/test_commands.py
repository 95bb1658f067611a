"""Each Case command through the application: what it records, and the due dates it computes
from the case's rule set (can-tho 2024.1) in working days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from services.approval.application import ApprovalApplication, CaseNotFound, NotPartyToCase
from services.approval.consumers import on_submitted
from services.approval.domain.case import Case
from services.approval.domain.errors import Conflict, Invalid, InvalidTransition, NotAllowed
from shared.contracts.vocabulary import CaseState, DeadlineName
from tests.unit.approval_service.builders import (
    COMPLETION,
    Clock,
    Upstream,
    agency_case_authority,
    ballots_for,
    city_case_authority,
    drive,
    event_names,
    open_case,
    person,
    stored_events,
    submitted,
)

MON, TUE, WED, THU, FRI = (date(2024, 6, d) for d in (3, 4, 5, 6, 7))


def due(case: Case, name: DeadlineName) -> date:
    return case.open_deadlines()[name].due


def test_plan88_city_managed_director_opens_a_case_at_the_city_pc_with_doha_as_office(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    authority = case.competent_authority
    assert case.state is CaseState.IN_INTAKE
    assert (authority.recipient_unit_id, authority.intake_unit_id) == ("ct.ubnd-tp", "ct.so-noi-vu")
    assert authority.head_id == "ct.p0001"
    assert authority.deputy_ids == ("ct.p0002", "ct.p0003", "ct.p0004")
    assert authority.delegate_ids == ("ct.p0008", "ct.p0009", "ct.p0010", "ct.p0011")
    assert due(case, DeadlineName.INTAKE) == THU  # 3 working days after Monday
    assert case.rule_set_version == "2024.1"


def test_a_repeated_submission_opens_nothing_more(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    case = open_case(app, upstream, city_case_authority(), clock)
    again = submitted(city_case_authority().proposer, clock(), proposal_id=case.proposal_id)
    on_submitted(app, again, upstream.next())
    assert event_names(app, case.id) == ["Opened"]


def test_office_asks_for_a_supplement_due_in_ten_working_days(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    case = app.request_supplement(a.office, case.id, items=["budget"], reason="Thiếu kinh phí")
    assert case.state is CaseState.NEEDS_SUPPLEMENT
    assert due(case, DeadlineName.SUPPLEMENT) == date(2024, 6, 17)
    assert case.open_deadlines()[DeadlineName.SUPPLEMENT].responsible_user_id == "ct.p0026"
    assert DeadlineName.INTAKE not in case.open_deadlines()


def test_art8_receipt_starts_the_seven_working_day_approval_clock(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    clock.set(TUE)
    case = app.receive_plan(a.office, case.id)
    assert case.state is CaseState.UNDER_REVIEW
    assert case.received_at == clock()
    # Counted from the submission of the complete plan (Mon 3 June), not the Tuesday click.
    assert due(case, DeadlineName.APPROVAL) == date(2024, 6, 12)
    assert case.open_deadlines()[DeadlineName.APPROVAL].responsible_user_id == "ct.p0001"


def test_art8_2_consultation_is_asked_answered_and_closed_by_the_office(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    case = app.request_consultation(
        a.office,
        case.id,
        consultees=[{"id": "ct.so-tu-phap", "kind": "AGENCY"}, {"id": "gs-1", "kind": "EXPERT"}],
        questions="Phạm vi có quá rộng không?",
    )
    assert case.state is CaseState.IN_CONSULTATION
    assert due(case, DeadlineName.CONSULTATION) == date(2024, 6, 17)
    case = app.receive_consultation_opinion(
        a.office, case.id, consultee_id="gs-1", opinion="Khả thi", doc_ref="YK-1"
    )
    case = app.close_consultation(a.office, case.id, summary="Tổng hợp")
    assert case.state is CaseState.UNDER_REVIEW
    assert DeadlineName.CONSULTATION not in case.open_deadlines()
    assert case.consultations["ct.so-tu-phap"]["opinion"] is None


def test_art8_2_a_consultation_pauses_the_seven_working_days(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Art 8 §2 "lấy ý kiến" of agencies and experts: the decree does not say whether the
    seven working days of Art 8 §1 run meanwhile; the rule set's default (an inference) pauses
    them, and they run again from the close with the days that were left."""
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    assert due(case, DeadlineName.APPROVAL) == date(2024, 6, 12)
    clock.set(WED)  # 2 of the 7 working days used: 5 left
    case = app.request_consultation(
        a.office,
        case.id,
        consultees=[{"id": "ct.so-tu-phap", "kind": "AGENCY"}],
        questions="Phạm vi có quá rộng không?",
    )
    assert DeadlineName.APPROVAL not in case.open_deadlines()
    assert case.paused_approval == {"remaining_working_days": 5, "due_was": date(2024, 6, 12)}
    clock.set(date(2024, 6, 10))
    case = app.close_consultation(a.office, case.id, summary="Tổng hợp")
    # 5 working days from Mon 10 June: 11, 12, 13, 14, 17.
    assert due(case, DeadlineName.APPROVAL) == date(2024, 6, 17)
    assert app.open_deadlines.of_cases({case.id: {}})[case.id][0].name is DeadlineName.APPROVAL


def test_art4_3_the_meeting_waits_for_the_party_committees_opinion(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    with pytest.raises(Conflict, match="Art 4 §3"):
        app.hold_approval_meeting(
            a.head,
            case.id,
            held_on=clock.today,
            ballots=ballots_for(a.head, *a.deputies),
            minutes_ref="BB-01",
        )
    case = app.request_party_opinion(a.office, case.id, stage="APPROVAL", committee_id="dang-uy")
    case = app.receive_party_opinion(
        a.office, case.id, stage="APPROVAL", opinion="Nhất trí", doc_ref="CV-01"
    )
    opinion = case.party_opinion("APPROVAL")  # type: ignore[arg-type]
    assert opinion is not None
    assert opinion["doc_ref"] == "CV-01"


def test_art8_a_passing_vote_approves_and_names_the_implementers(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    app.request_party_opinion(a.office, case.id, stage="APPROVAL", committee_id="dang-uy")
    app.receive_party_opinion(a.office, case.id, stage="APPROVAL", opinion="Ok", doc_ref="1")
    # 2 of 4 for, the head among them: a tie goes to the head's side
    ballots = ballots_for(a.head, a.deputies[0]) + ballots_for(*a.deputies[1:], ballot="AGAINST")
    case = app.hold_approval_meeting(
        a.head,
        case.id,
        held_on=clock.today,
        ballots=ballots,
        minutes_ref="BB-01",
        implementer_ids=["ct.p0026", "ct.p0027"],
        decision_ref="QD-01",
    )
    assert case.state is CaseState.APPROVED
    assert case.implementer_ids == ("ct.p0026", "ct.p0027")
    assert DeadlineName.APPROVAL not in case.open_deadlines()


def test_art8_head_overrides_a_failed_vote_in_writing(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    app.request_party_opinion(a.office, case.id, stage="APPROVAL", committee_id="dang-uy")
    app.receive_party_opinion(a.office, case.id, stage="APPROVAL", opinion="Ok", doc_ref="1")
    case = app.hold_approval_meeting(
        a.head,
        case.id,
        held_on=clock.today,
        ballots=ballots_for(a.head, *a.deputies, ballot="AGAINST"),
        minutes_ref="BB-01",
    )
    assert case.state is CaseState.COLLECTIVE_REJECTED
    case = app.override_collective_rejection(
        a.head, case.id, justification="Cấp thiết", decision_ref="QD-VT"
    )
    assert case.state is CaseState.APPROVED
    assert case.approved_by_override


def test_art8_head_confirms_the_rejection_with_reasons(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    app.request_party_opinion(a.office, case.id, stage="APPROVAL", committee_id="dang-uy")
    app.receive_party_opinion(a.office, case.id, stage="APPROVAL", opinion="Ok", doc_ref="1")
    app.hold_approval_meeting(
        a.head,
        case.id,
        held_on=clock.today,
        ballots=ballots_for(a.head, *a.deputies, ballot="AGAINST"),
        minutes_ref="BB-01",
    )
    case = app.confirm_rejection(a.head, case.id, reasons=["Trùng lặp"], decision_ref="QD-TC")
    assert case.state is CaseState.REJECTED
    assert case.open_deadlines() == {}


def test_art10_2_resources_then_implementation_and_progress(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.APPROVED)
    case = app.allocate_resources(
        a.head, case.id, source_ref="QD-KP", equipment=["máy chủ"], funding_vnd=Decimal("5e7")
    )
    assert case.resources[0]["funding_vnd"] == Decimal("50000000")
    case = app.start_implementation(a.proposer, case.id, start_date=clock.today)
    case = app.report_progress(
        a.proposer, case.id, period="Tháng 6", progress_percent=30, risk_of_damage=True
    )
    assert case.state is CaseState.IN_IMPLEMENTATION
    assert case.progress_reports[0]["risk_of_damage"] is True


def test_art6_directions_suspend_resume_and_stop_are_the_heads(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.IN_IMPLEMENTATION)
    with pytest.raises(NotAllowed):
        app.suspend(a.deputies[0], case.id, decision_ref="QD", reasons=["x"])
    case = app.suspend(a.head, case.id, decision_ref="QD-TD", reasons=["Rủi ro"])
    assert case.state is CaseState.SUSPENDED
    case = app.resume(a.head, case.id, decision_ref="QD-TT")
    assert case.state is CaseState.IN_IMPLEMENTATION
    case = app.stop(a.head, case.id, decision_ref="QD-D", reasons=["Không khả thi"])
    assert case.state is CaseState.STOPPED
    assert [d["kind"] for d in case.directions] == ["SUSPEND", "RESUME", "STOP"]


def test_art9_completion_report_is_due_five_working_days_after_completion(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.IN_IMPLEMENTATION)
    clock.set(date(2024, 6, 14))  # a Friday, 8 working days after completion on Tue 4 June
    case = app.report_completion(a.proposer, case.id, completed_on=TUE, **COMPLETION)
    completion = case.completion
    assert completion is not None
    assert completion["report_due"] == date(2024, 6, 11)
    assert completion["late"] is True
    # Art 9 §2: the evaluation meeting within 7 working days of receiving the report
    assert due(case, DeadlineName.EVALUATION) == date(2024, 6, 25)


def test_art9_2_the_evaluation_clock_counts_from_the_reports_legal_date(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Khoản 2 Điều 9, "kể từ ngày nhận được báo cáo": a report received on Mon 10 June but
    entered on Fri 14 June is on time, and the evaluation meeting is due Wed 19 June (7 working
    days from the 10th), not 7 working days from the day it was entered."""
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.IN_IMPLEMENTATION)
    clock.set(date(2024, 6, 14))
    case = app.report_completion(
        a.proposer, case.id, completed_on=TUE, reported_on=date(2024, 6, 10), **COMPLETION
    )
    completion = case.completion
    assert completion is not None
    assert (completion["reported_on"], completion["late"]) == (date(2024, 6, 10), False)
    assert due(case, DeadlineName.EVALUATION) == date(2024, 6, 19)


def test_final_report_after_a_stop_counts_from_the_stop_decision(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.IN_IMPLEMENTATION)
    clock.set(WED)
    app.stop(a.head, case.id, decision_ref="QD-D", reasons=["Không khả thi"])
    clock.set(date(2024, 6, 10))
    case = app.report_completion(a.proposer, case.id, completed_on=MON, **COMPLETION)
    completion = case.completion
    assert completion is not None
    assert completion["after_stop"] is True
    assert completion["report_due"] == date(2024, 6, 12)  # 5 working days after Wed 5 June
    assert completion["late"] is False


def test_evaluation_meeting_sets_the_conclusion_due_three_working_days_later(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.COMPLETION_REPORTED)
    app.request_party_opinion(a.office, case.id, stage="EVALUATION", committee_id="dang-uy")
    app.receive_party_opinion(a.office, case.id, stage="EVALUATION", opinion="Ok", doc_ref="2")
    clock.set(FRI)
    case = app.hold_evaluation_meeting(
        a.head,
        case.id,
        held_on=FRI,
        ballots=ballots_for(a.head, *a.deputies),
        minutes_ref="BB-DG",
        assessed_outcome="COMPLETED",
    )
    assert case.state is CaseState.EVALUATED
    assert due(case, DeadlineName.CONCLUSION) == date(2024, 6, 12)
    case = app.issue_conclusion(
        a.head,
        case.id,
        outcome="COMPLETED",
        caused_damage=False,
        good_faith_finding=True,
        causes_objective=[],
        causes_subjective=[],
        conclusion_ref="KL",
    )
    assert case.state is CaseState.CONCLUDED
    assert case.open_deadlines() == {}


def test_art10_art11_recognition_encouragement_protection_and_closing(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.CONCLUDED)
    case = app.recognize_result(a.head, case.id, publication_ref="TB-01")
    assert case.state is CaseState.RECOGNIZED
    assert case.result_recognized
    case = app.grant_encouragement(
        a.head,
        case.id,
        form="EARLY_SALARY_STEP_12M",
        beneficiary={"kind": "OFFICIAL"},
        decision_ref="QD-KT",
    )
    assert case.encouragements[0]["beneficiary"]["id"] == "ct.p0062"
    case = app.determine_protection(
        a.head,
        case.id,
        art5_conditions_met=True,
        implemented_as_decided=True,
        directions_followed=True,
        decision_ref="QD-BV",
    )
    assert case.protection is not None
    assert case.protection["tier"] == "NO_LIABILITY"
    case = app.close_case(a.office, case.id, summary="Lưu")
    assert case.state is CaseState.CLOSED


def test_art11_implementers_get_their_own_protection_placed_by_the_directory(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Art 11 protects "cán bộ đề xuất, thực hiện": each implementer within Art 2 (placed in the
    directory) has their own determination; someone the directory does not show as a leader or
    manager gets tier NONE and none of the Art 10 §1b–c career forms."""
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    app.request_party_opinion(a.office, case.id, stage="APPROVAL", committee_id="dang-uy")
    app.receive_party_opinion(a.office, case.id, stage="APPROVAL", opinion="Đồng ý", doc_ref="CV")
    case = app.hold_approval_meeting(
        a.head,
        case.id,
        held_on=clock.today,
        ballots=ballots_for(a.head, *a.deputies),
        minutes_ref="BB-01",
        implementer_ids=[a.proposer.user_id, "ct.p0027", "ct.nhan-vien-khong-co"],
    )
    assert [(i["user_id"], i["within_art2"]) for i in case.implementers] == [
        ("ct.p0062", True),
        ("ct.p0027", True),
        ("ct.nhan-vien-khong-co", False),
    ]
    case = drive(app, case, a, clock, CaseState.CONCLUDED)
    for official in (None, "ct.p0027", "ct.nhan-vien-khong-co"):
        case = app.determine_protection(
            a.head,
            case.id,
            art5_conditions_met=True,
            implemented_as_decided=True,
            directions_followed=True,
            decision_ref="QD-BV",
            official_id=official,
        )
    protections = case.protections
    assert protections["ct.p0062"]["tier"] == "NO_LIABILITY"
    assert protections["ct.p0027"]["tier"] == "NO_LIABILITY"
    assert protections["ct.p0027"]["role"] == "IMPLEMENTER"
    assert protections["ct.nhan-vien-khong-co"]["tier"] == "NONE"
    assert "Art 2" in protections["ct.nhan-vien-khong-co"]["reasons"][0]
    with pytest.raises(Conflict, match="Art 2"):
        app.grant_encouragement(
            a.head,
            case.id,
            form="APPOINTMENT_PRIORITY",
            beneficiary={"kind": "IMPLEMENTER", "id": "ct.nhan-vien-khong-co"},
            decision_ref="QD-KT",
        )


def test_art6_a_report_and_its_finding(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.IN_IMPLEMENTATION)
    case = app.report_prohibited_act(
        a.proposer,
        case.id,
        act="ART6_2",
        accused={"user_id": "ct.p0014", "name": "Phạm Bích Châu"},
        description="Gây khó khăn",
    )
    case = app.record_prohibited_act_finding(
        a.head, case.id, report_number=1, substantiated=True, finding_ref="KL-TT"
    )
    finding = case.prohibited_act_reports[0]["finding"]
    assert finding["substantiated"] is True
    assert finding["against_official"] is False


def test_home_affairs_may_record_a_breach_by_hand_escalated_per_the_rule_set(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = agency_case_authority()
    case = drive(app, open_case(app, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW)
    doha = person("ct.p0009", "ct.so-noi-vu", "deputy_director", "home_affairs")
    clock.set(date(2024, 6, 13))
    with pytest.raises(Conflict, match="record a breach instead"):
        app.note_deadline_approaching(doha, case.id, deadline="approval")
    case = app.record_deadline_breach(doha, case.id, deadline="approval")
    names = event_names(app, case.id)
    assert names[-1] == "DeadlineBreached"
    stored = list(app.repository.event_store.get(case.id))[-1]
    # AGENCY_HEAD → the superior agency first: Sở Tài chính answers to the city PC
    assert stored.escalated_to == {  # type: ignore[attr-defined]
        "target": "SUPERIOR_UNIT",
        "unit_id": "ct.ubnd-tp",
    }
    assert case.open_deadlines()[DeadlineName.APPROVAL].breached


def test_a_refused_command_records_nothing(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    before = app.recorder.max_notification_id()
    refusals: list[tuple[type[Exception], Callable[[], object]]] = [
        (NotAllowed, lambda: app.receive_plan(a.proposer, case.id)),
        (NotAllowed, lambda: app.receive_plan(a.deputies[0], case.id)),
        (InvalidTransition, lambda: app.start_implementation(a.head, case.id, start_date=MON)),
        (Invalid, lambda: app.request_supplement(a.office, case.id, items=[], reason=" ")),
        (CaseNotFound, lambda: app.receive_plan(a.office, uuid4())),
    ]
    for error, command in refusals:
        with pytest.raises(error):
            command()
    assert app.recorder.max_notification_id() == before
    assert event_names(app, case.id) == ["Opened"]


def test_invalid_input_lists_every_field_problem(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    with pytest.raises(Invalid) as refusal:
        app.request_supplement(a.office, case.id, items=["", "ok"], reason="")
    assert {p.field for p in refusal.value.problems} == {"items[0]", "reason"}


def test_token_identity_is_what_the_case_records_as_who_acted(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    office = person("ct.p0008", "ct.so-noi-vu", "director", "home_affairs", "proposer", name="Lâm")
    assert office.user_id == a.office.user_id
    app.receive_plan(office, case.id)
    received = stored_events(app, case.id)[-1]
    assert received.stamp["actor"] == {  # type: ignore[attr-defined]
        "user_id": "ct.p0008",
        "name": "Lâm",
        "unit_id": "ct.so-noi-vu",
        "roles": ["home_affairs", "proposer"],
    }


def test_a_command_refuses_its_own_malformed_input_before_any_case_is_loaded(
    app: ApprovalApplication,
) -> None:
    """Required fields and ranges are the command's to check: no case is read (there is none
    here), every field problem is listed."""
    a = agency_case_authority()
    with pytest.raises(Invalid) as refused:
        app.report_progress(a.head, uuid4(), period=" ", progress_percent=101)
    assert [p.field for p in refused.value.problems] == ["period", "progress_percent"]


def test_only_parties_home_affairs_and_auditors_read_a_case(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    for reader in (
        a.proposer,
        a.head,
        a.deputies[2],
        a.office,
        person("ct.auditor", "ct.thanh-tra", "", "auditor"),
        person("ct.p0057", "ct.so-noi-vu.phong-xdcq", "head_of_division", "home_affairs"),
    ):
        assert app.case_for(reader, case.id).id == case.id
    with pytest.raises(NotPartyToCase):
        app.case_for(person("ct.p0035", "ct.so-tai-nguyen-moi-truong", "director"), case.id)
    assert app.case_of_proposal(a.proposer, case.proposal_id).id == case.id


def test_command_instants_come_from_the_injected_clock(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    case = open_case(app, upstream, a, clock)
    clock.set(WED, hour=15)
    app.receive_plan(a.office, case.id)
    stored = list(app.repository.event_store.get(case.id))[-1]
    assert stored.stamp["at"] == clock()  # type: ignore[attr-defined]
