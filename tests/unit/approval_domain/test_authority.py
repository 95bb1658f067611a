"""Who may do what on a case: authority rules are domain rules."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import pytest

from services.approval.domain.errors import Invalid, NotAllowed
from shared.contracts.vocabulary import CaseState
from shared.kernel.actor import Actor
from tests.unit.approval_domain.journey import (
    AGENCY,
    ALL_FOR,
    CO_IMPLEMENTER,
    DOHA,
    HEAD,
    PROPOSER,
    actor,
    at,
    auditor,
    clerk,
    day,
    deputy,
    drive_to,
    head,
    home_affairs,
    open_case,
    proposer,
    receive_party_opinion,
    refuse,
    system,
)


def test_auditors_read_only() -> None:
    case = drive_to(CaseState.UNDER_REVIEW)
    receive_party_opinion(case, "APPROVAL", 2)
    for command in (
        partial(case.withdraw, auditor(), at(3)),
        partial(case.close_consultation, auditor(), at(3)),
        partial(
            case.hold_approval_meeting,
            auditor(),
            at(3),
            held_on=day(3),
            ballots=ALL_FOR,
            minutes_ref="BB",
        ),
        partial(case.record_deadline_breach, auditor(), at(30), deadline="approval"),
        partial(
            case.report_prohibited_act,
            auditor(),
            at(3),
            act="ART6_1",
            accused={"user_id": PROPOSER},
            description="x",
        ),
    ):
        refusal = refuse(case, NotAllowed, command)
        assert "read-only" in str(refusal)


def test_auditor_role_is_read_only_even_for_the_head() -> None:
    case = drive_to(CaseState.COLLECTIVE_REJECTED)
    head_as_auditor = actor(HEAD, "unit_head", "auditor")
    refuse(
        case,
        NotAllowed,
        partial(case.confirm_rejection, head_as_auditor, at(6), reasons=["x"], decision_ref="QD"),
    )


def test_home_affairs_monitors_but_does_not_decide() -> None:
    # Sở Nội vụ records an overdue approval (no meeting yet) but cannot decide for the agency.
    overdue = drive_to(CaseState.UNDER_REVIEW)
    assert overdue.record_deadline_breach(
        home_affairs(),
        at(30),
        deadline="approval",
        escalate_to={"target": "HOME_AFFAIRS", "unit_id": DOHA},
    )
    case = drive_to(CaseState.COLLECTIVE_REJECTED)
    refusal = refuse(
        case,
        NotAllowed,
        partial(
            case.override_collective_rejection,
            home_affairs(),
            at(6),
            justification="x",
            decision_ref="QD",
        ),
    )
    assert "Sở Nội vụ" in str(refusal)


def test_delegate_does_office_steps_but_never_decides() -> None:
    case = open_case()
    case.receive_plan(clerk(), at(1), approval_due=day(9))
    receive_party_opinion(case, "APPROVAL", 2)
    refuse(
        case,
        NotAllowed,
        partial(
            case.hold_approval_meeting,
            clerk(),
            at(3),
            held_on=day(3),
            ballots=ALL_FOR,
            minutes_ref="BB",
        ),
    )
    approved = drive_to(CaseState.IN_IMPLEMENTATION)
    refuse(
        approved,
        NotAllowed,
        partial(approved.suspend, clerk(), at(9), decision_ref="QD", reasons=["x"]),
    )


def test_deputies_do_not_decide_alone() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    refuse(case, NotAllowed, partial(case.stop, deputy(0), at(9), decision_ref="QD", reasons=["x"]))


def test_proposer_never_handles_their_own_case_even_as_a_delegate() -> None:
    case = open_case(authority={"head_id": HEAD, "deputy_ids": [], "delegate_ids": [PROPOSER]})
    refusal = refuse(
        case, NotAllowed, partial(case.receive_plan, proposer(), at(1), approval_due=day(9))
    )
    assert "own proposal" in str(refusal)


def test_art7_the_routed_head_acts_wherever_a_later_directory_places_him() -> None:
    """Khoản 3 Điều 7: the plan goes to "người đứng đầu cơ quan sử dụng cán bộ" as the case was
    routed. A later directory version that seats him in another unit does not take the case
    from him, and whoever it seats at the head of the routed unit does not take it over."""
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    successor = actor("giam-doc-moi", "unit_head", unit_id=AGENCY)
    suspend = partial(case.suspend, at=at(9), decision_ref="QD", reasons=["x"])
    refusal = refuse(case, NotAllowed, partial(suspend, successor))
    assert "only the head" in str(refusal)
    moved = actor(HEAD, "unit_head", unit_id="so-khac")
    suspend(moved)
    assert case.state is CaseState.SUSPENDED


def test_city_managed_proposal_has_home_affairs_intake_but_the_city_decides() -> None:
    doha_officer = actor("chuyen-vien-snv", "home_affairs", unit_id=DOHA)
    chairman = actor("chu-tich-ubnd", "city_committee", unit_id="ubnd-tp")
    case = open_case(
        routing={
            "target": "CITY_PC_VIA_DOHA",
            "recipient_unit_id": "ubnd-tp",
            "intake_unit_id": DOHA,
            "decider_id": "chu-tich-ubnd",
        },
        authority={
            "head_id": "chu-tich-ubnd",
            "deputy_ids": ["pho-chu-tich-1", "pho-chu-tich-2"],
            "delegate_ids": ["chuyen-vien-snv"],
        },
    )
    case.receive_plan(doha_officer, at(1), approval_due=day(9))
    receive_party_opinion(case, "APPROVAL", 2, by=doha_officer)
    meeting = partial(
        case.hold_approval_meeting,
        held_on=day(3),
        ballots=[
            {"member_id": "chu-tich-ubnd", "ballot": "FOR"},
            {"member_id": "pho-chu-tich-1", "ballot": "FOR"},
        ],
        minutes_ref="BB",
    )
    refuse(case, NotAllowed, partial(meeting, doha_officer, at(3)))
    meeting(chairman, at(3))
    assert case.state is CaseState.APPROVED


def test_only_the_proposer_or_registration_withdraws() -> None:
    case = open_case()
    refuse(case, NotAllowed, partial(case.withdraw, head(), at(1)))
    refuse(case, NotAllowed, partial(case.withdraw, clerk(), at(1)))
    case.withdraw(system(), at(1), reason="từ sự kiện withdrawn")
    assert case.state is CaseState.WITHDRAWN


def test_implementers_report_and_strangers_do_not() -> None:
    case = drive_to(CaseState.APPROVED)
    stranger = actor("nguoi-la", "proposer")
    refuse(case, NotAllowed, partial(case.start_implementation, stranger, at(6), start_date=day(6)))
    co_implementer = actor(CO_IMPLEMENTER, "proposer")
    case.start_implementation(co_implementer, at(6), start_date=day(6))
    assert case.state is CaseState.IN_IMPLEMENTATION


def test_strangers_cannot_report_prohibited_acts_but_parties_can() -> None:
    case = drive_to(CaseState.IN_IMPLEMENTATION)
    report = partial(
        case.report_prohibited_act,
        at=at(9),
        act="ART6_2",
        accused={"user_id": HEAD},
        description="gây khó khăn",
    )
    refuse(case, NotAllowed, partial(report, actor("nguoi-la", "proposer")))
    assert report(proposer()) == 1


@pytest.mark.parametrize(
    ("who", "when"),
    [(actor("", "unit_head"), at(1)), (head(), at(1).replace(tzinfo=None))],
)
def test_actor_and_instant_must_be_identified(who: Actor, when: datetime) -> None:
    case = open_case()
    refuse(case, Invalid, partial(case.receive_plan, who, when, approval_due=day(9)))
