"""A case keeps the directory version it was routed with; a new one routes under the version in
force on its submission day (the Cần Thơ reorganisation of 1/7/2025), and intake delegations
count from their dates."""

from __future__ import annotations

from datetime import date

import pytest

from services.approval.application import ApprovalApplication
from services.approval.domain.case import Case
from services.approval.domain.errors import NotAllowed
from shared.contracts.vocabulary import CaseState
from tests.unit.approval_service.builders import (
    DIRECTORY,
    Authority,
    Clock,
    Upstream,
    ballots_for,
    city_case_authority,
    drive,
    open_case,
    person,
    routed_authority,
    signed_in,
)


def _ward_authority(unit_id: str, version: str) -> Authority:
    """A ward vice-chairman's plan → the ward chairman (Art 7 §3, Plan 88 II.3.b)."""
    directory = DIRECTORY.version_named(version)
    unit = directory.unit(unit_id)
    head = person(unit.head.person_id, unit_id, "chairman", "unit_head", name=unit.head.name)
    deputy = unit.deputies[0]
    return Authority(
        proposer=person(deputy.person_id, unit_id, deputy.position, name=deputy.name),
        head=head,
        deputies=(),
        office=head,
    )


def test_a_case_routed_under_2024_keeps_its_authority_after_1_july_2025(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Khoản 3 Điều 7: the 2024 ward (under a district) keeps deciding its case, while a plan
    submitted after the reorganisation goes to a ward of the 2025 city."""
    clock.set(date(2025, 6, 27))
    old = open_case(app, upstream, _ward_authority("ct.ninh-kieu.an-hoa", "2024.1"), clock)
    clock.set(date(2025, 7, 14))
    new = open_case(app, upstream, _ward_authority("ct.phuong-cai-khe", "2025.1"), clock)

    old = app.repository.get(old.id)
    assert old.routing["directory_version"] == "2024.1"
    assert old.routing["recipient_unit_id"] == "ct.ninh-kieu.an-hoa"
    assert (
        old.competent_authority.head_id
        == DIRECTORY.version_named("2024.1").head_of("ct.ninh-kieu.an-hoa").person_id
    )
    # After 1/7/2025 the district no longer exists, yet the old case escalates to it: the case
    # is judged by the organisation it was routed in.
    assert app.escalation_for(old)["unit_id"] == "ct.ninh-kieu"

    assert new.routing["directory_version"] == "2025.1"
    assert new.routing["recipient_unit_id"] == "ct.phuong-cai-khe"
    assert (
        new.competent_authority.head_id
        == DIRECTORY.version_named("2025.1").head_of("ct.phuong-cai-khe").person_id
    )
    # A ward of the 2025 city sits directly under the city People's Committee.
    assert app.escalation_for(new)["unit_id"] == "ct.ubnd-tp"


def test_intake_specialists_act_only_under_a_delegation_in_force_on_the_submission_day(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    a = city_case_authority()
    snv = DIRECTORY.version_named("2024.1").unit("ct.so-noi-vu")
    assert snv.office is not None
    specialist_id = snv.office.intake_specialists()[0].person_id
    specialist = person(specialist_id, "ct.so-noi-vu", "specialist", "home_affairs")

    clock.set(date(2024, 6, 28))  # the Sở Nội vụ delegation runs from 1/7/2024
    before: Case = open_case(app, upstream, a, clock)
    assert specialist_id not in before.competent_authority.delegate_ids
    clock.set(date(2024, 7, 2))
    during: Case = open_case(app, upstream, a, clock)
    assert specialist_id in during.competent_authority.delegate_ids

    received = app.receive_plan(specialist, during.id)
    assert received.state.value == "UNDER_REVIEW"


AFTER_THE_REORGANISATION = date(2025, 7, 14)


def test_art7_a_district_case_of_2024_is_decided_by_its_district_chairman_after_1_july_2025(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Khoản 4 Điều 7 ("gửi người đứng đầu cơ quan cấp trên"): a ward chairman's plan of June
    2025 went to the Ninh Kiều district chairman. After 1/7/2025 the directory in force seats
    him at the head of phường Ninh Kiều and the ward chairman at phường Cái Khế; the case is
    still his to receive, decide and follow, and its proposer still implements it."""
    clock.set(date(2025, 6, 16))
    routed = routed_authority("ct.p0118", clock.today)
    assert (routed.head.user_id, routed.head.unit_id) == ("ct.p0091", "ct.ninh-kieu")
    case = open_case(app, upstream, routed, clock)

    clock.set(AFTER_THE_REORGANISATION)
    head = signed_in("ct.p0091", clock.today)
    proposer = signed_in("ct.p0118", clock.today)
    assert (head.unit_id, proposer.unit_id) == ("ct.phuong-ninh-kieu", "ct.phuong-cai-khe")
    today = Authority(proposer=proposer, head=head, deputies=routed.deputies, office=head)
    approved = drive(app, case, today, clock, CaseState.IN_IMPLEMENTATION)
    assert approved.competent_authority.head_id == "ct.p0091"


def test_art7_the_head_of_a_merged_department_does_not_take_over_its_predecessors_cases(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Khoản 3 Điều 7 ("gửi người đứng đầu cơ quan sử dụng cán bộ"): a plan of June 2025 in Sở
    Thông tin và Truyền thông went to its director. From 1/7/2025 that department is part of
    Sở Khoa học và Công nghệ, whose director heads the merged department only in the new
    version: he may not act on the old case, while the old director, now a deputy director
    there, still decides it. Neither Decree 73 nor Plan 88 hands a routed case to a successor
    (docs/legal-basis.md)."""
    clock.set(date(2025, 6, 16))
    routed = routed_authority("ct.p0067", clock.today)
    assert (routed.head.user_id, routed.head.unit_id) == (
        "ct.p0041",
        "ct.so-thong-tin-truyen-thong",
    )
    case = open_case(app, upstream, routed, clock)

    clock.set(AFTER_THE_REORGANISATION)
    merged_director = signed_in("ct.p0029", clock.today)
    assert merged_director.unit_id == "ct.so-khoa-hoc-cong-nghe"
    assert "unit_head" in merged_director.roles
    with pytest.raises(NotAllowed) as refusal:
        app.receive_plan(merged_director, case.id)
    assert "only the head or a listed delegate" in str(refusal.value)
    # The problem body says it in Vietnamese: the post was fixed when the plan was sent.
    assert "danh bạ tổ chức tại thời điểm hồ sơ được gửi" in refusal.value.message_vi

    old_director = signed_in("ct.p0041", clock.today)
    assert old_director.unit_id == "ct.so-khoa-hoc-cong-nghe"
    assert "unit_head" not in old_director.roles  # a deputy director in the 2025 version
    received = app.receive_plan(old_director, case.id)
    assert received.state is CaseState.UNDER_REVIEW
    with pytest.raises(NotAllowed, match=r"only the head of unit ct\.so-thong-tin-truyen-thong"):
        app.hold_approval_meeting(
            merged_director,
            case.id,
            held_on=clock.today,
            ballots=ballots_for(routed.head, *routed.deputies),
            minutes_ref="BB-01",
        )
    today = Authority(
        proposer=signed_in("ct.p0067", clock.today),
        head=old_director,
        deputies=routed.deputies,
        office=old_director,
    )
    approved = drive(app, received, today, clock, CaseState.APPROVED)
    assert approved.state is CaseState.APPROVED


def test_art11_implementers_named_after_1_july_2025_are_placed_where_they_serve_that_day(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    """Điều 11 protects "cán bộ đề xuất, thực hiện": whether an implementer is within Art 2 is
    read where they serve on the day the decision names them. An old case approved after
    1/7/2025 may name an official appointed since (known only to the 2025 directory) and one
    who has left since (known only to the version the case was routed with)."""
    clock.set(date(2025, 6, 16))
    routed = routed_authority("ct.p0067", clock.today)
    case = open_case(app, upstream, routed, clock)
    clock.set(AFTER_THE_REORGANISATION)
    head = signed_in("ct.p0041", clock.today)
    today = Authority(proposer=routed.proposer, head=head, deputies=routed.deputies, office=head)
    drive(app, case, today, clock, CaseState.UNDER_REVIEW)
    app.request_party_opinion(head, case.id, stage="APPROVAL", committee_id="dang-uy")
    app.receive_party_opinion(head, case.id, stage="APPROVAL", opinion="Đồng ý", doc_ref="CV")
    approved = app.hold_approval_meeting(
        head,
        case.id,
        held_on=clock.today,
        ballots=ballots_for(routed.head, *routed.deputies),
        minutes_ref="BB-01",
        implementer_ids=["ct.p0067", "ct.p0304", "ct.p0042", "ct.p9999"],
    )
    assert approved.state is CaseState.APPROVED
    assert [approved.within_art2(i) for i in ("ct.p0067", "ct.p0304", "ct.p0042")] == [True] * 3
    assert not approved.within_art2("ct.p9999")  # nobody the directory knows
