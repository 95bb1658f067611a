"""A case keeps the directory version it was routed with; a new one routes under the version in
force on its submission day (the Cần Thơ reorganisation of 1/7/2025), and intake delegations
count from their dates."""

from __future__ import annotations

from datetime import date

from services.approval.application import ApprovalApplication
from services.approval.domain.case import Case
from tests.unit.approval_service.builders import (
    DIRECTORY,
    Authority,
    Clock,
    Upstream,
    city_case_authority,
    open_case,
    person,
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
