"""Eligibility (Art 2) and routing to the competent authority (Art 7 §3–4, Plan 88 II.3)."""

from __future__ import annotations

import pytest

from services.registration.domain.routing import (
    NoCompetentAuthority,
    RoutingDecision,
    UnknownOfficial,
    is_protection_eligible,
    route_to_competent_authority,
)
from shared.contracts.vocabulary import RoutingTarget
from shared.kernel.actor import Actor
from shared.kernel.directory import ManagerLevel, OrganisationDirectory
from tests.unit.registration_domain.builders import official, staff

CITY, DOHA = "ct.ubnd-tp", "ct.so-noi-vu"


def _route(directory: OrganisationDirectory, unit_id: str, position: str) -> RoutingDecision:
    return route_to_competent_authority(official(directory, unit_id, position), directory)


def test_plan88_city_managed_leader_routes_to_city_pc_via_doha(
    directory: OrganisationDirectory,
) -> None:
    decision = _route(directory, "ct.so-tai-chinh", "director")
    assert decision.target is RoutingTarget.CITY_PC_VIA_DOHA
    assert (decision.recipient_unit_id, decision.intake_unit_id) == (CITY, DOHA)
    assert decision.decider_id == directory.head_of(CITY).person_id
    assert decision.management_level is ManagerLevel.CITY_PC
    # a department director is a head, and the city PC is also the superior (Art 7 §4)
    assert decision.legal_basis == "ND73 Art 7 §4; KH 88/KH-UBND II.3.a"


def test_plan88_city_managed_deputy_director_also_goes_to_city_pc_via_doha(
    directory: OrganisationDirectory,
) -> None:
    decision = _route(directory, "ct.so-y-te", "deputy_director")
    assert decision.target is RoutingTarget.CITY_PC_VIA_DOHA
    assert (decision.recipient_unit_id, decision.intake_unit_id) == (CITY, DOHA)
    assert decision.legal_basis == "ND73 Art 7 §3; KH 88/KH-UBND II.3.a"


@pytest.mark.parametrize(
    ("unit_id", "position"),
    [
        ("ct.thot-not", "chairman"),
        ("ct.vinh-thanh", "vice_chairman"),
        ("ct.dh-ky-thuat-cong-nghe", "unit_head"),
        ("ct.vien-kinh-te-xa-hoi", "deputy_unit_head"),
        ("ct.xskt-can-tho", "state_capital_representative"),
        ("ct.nong-nghiep-co-do", "state_capital_representative"),
        ("ct.van-phong-ubnd", "chief_of_office"),
    ],
)
def test_plan88_district_psu_and_enterprise_leaders_managed_by_city_go_via_doha(
    directory: OrganisationDirectory, unit_id: str, position: str
) -> None:
    decision = _route(directory, unit_id, position)
    assert decision.target is RoutingTarget.CITY_PC_VIA_DOHA
    assert decision.intake_unit_id == DOHA
    assert decision.legal_basis.endswith("II.3.a")


def test_plan88_division_head_routes_to_department_director(
    directory: OrganisationDirectory,
) -> None:
    decision = _route(directory, "ct.so-noi-vu.ban-tdkt", "head_of_division")
    assert decision.target is RoutingTarget.AGENCY_HEAD
    assert decision.recipient_unit_id == decision.intake_unit_id == DOHA
    assert decision.decider_id == directory.head_of(DOHA).person_id
    assert decision.management_level is ManagerLevel.AGENCY
    assert decision.legal_basis == "ND73 Art 7 §3; KH 88/KH-UBND II.3.b"


def test_plan88_manager_inside_public_service_unit_routes_to_unit_head(
    directory: OrganisationDirectory,
) -> None:
    hospital = "ct.so-y-te.bv-da-khoa-tp"
    decision = _route(directory, f"{hospital}.khoa-cap-cuu", "head_of_division")
    assert decision.target is RoutingTarget.AGENCY_HEAD
    assert decision.recipient_unit_id == hospital
    assert decision.decider_id == directory.head_of(hospital).person_id


def test_art7_head_proposal_routes_to_superior_head(directory: OrganisationDirectory) -> None:
    decision = _route(directory, "ct.ninh-kieu.an-hoa", "chairman")
    assert decision.target is RoutingTarget.SUPERIOR_HEAD
    assert decision.recipient_unit_id == decision.intake_unit_id == "ct.ninh-kieu"
    assert decision.decider_id == directory.head_of("ct.ninh-kieu").person_id
    assert decision.legal_basis == "ND73 Art 7 §4; KH 88/KH-UBND II.3.b"


def test_art7_head_of_department_level_unit_routes_to_department_director(
    directory: OrganisationDirectory,
) -> None:
    decision = _route(directory, "ct.so-y-te.bv-da-khoa-tp", "unit_head")
    assert decision.target is RoutingTarget.SUPERIOR_HEAD
    assert decision.recipient_unit_id == "ct.so-y-te"
    school = _route(directory, "ct.so-giao-duc-dao-tao.thpt-chau-van-liem", "unit_head")
    assert school.recipient_unit_id == "ct.so-giao-duc-dao-tao"


def test_art7_deputy_routes_to_head_of_own_agency(directory: OrganisationDirectory) -> None:
    decision = _route(directory, "ct.ninh-kieu.xuan-khanh", "vice_chairman")
    assert decision.target is RoutingTarget.AGENCY_HEAD
    assert decision.recipient_unit_id == "ct.ninh-kieu.xuan-khanh"
    assert decision.decider_id == directory.head_of("ct.ninh-kieu.xuan-khanh").person_id


def test_art2_staff_initiative_routes_to_own_agency_head_not_eligible(
    directory: OrganisationDirectory,
) -> None:
    clerk = staff("ct.so-tai-chinh.phong-qlns")
    decision = route_to_competent_authority(clerk, directory)
    assert decision.target is RoutingTarget.AGENCY_HEAD
    assert decision.recipient_unit_id == "ct.so-tai-chinh"  # the agency, not the division
    assert decision.legal_basis == "ND73 Art 2, Art 7 §3; KH 88/KH-UBND II.3"
    assert "không thuộc đối tượng bảo vệ" in decision.reason
    assert "not eligible" in decision.reason_en
    assert not is_protection_eligible(clerk, directory)


def test_art2_ward_civil_servant_registers_with_ward_chairman(
    directory: OrganisationDirectory,
) -> None:
    decision = route_to_competent_authority(staff("ct.cai-rang.le-binh"), directory)
    assert decision.recipient_unit_id == "ct.cai-rang.le-binh"
    assert decision.decider_id == directory.head_of("ct.cai-rang.le-binh").person_id


@pytest.mark.parametrize(
    ("unit_id", "position"),
    [
        ("ct.so-tai-chinh", "director"),
        ("ct.so-noi-vu.phong-xdcq", "deputy_head_of_division"),
        ("ct.ninh-kieu.an-hoa", "vice_chairman"),
        ("ct.so-y-te.bv-da-khoa-tp", "deputy_unit_head"),
        ("ct.xskt-can-tho", "state_capital_representative"),
    ],
)
def test_art2_leaders_and_managers_are_protection_eligible(
    directory: OrganisationDirectory, unit_id: str, position: str
) -> None:
    assert is_protection_eligible(official(directory, unit_id, position), directory)


def test_art2_titles_in_a_state_owned_enterprise_are_within_the_decree(
    directory: OrganisationDirectory,
) -> None:
    """Art 2 covers "người giữ chức danh, chức vụ … tại doanh nghiệp" and "người đại diện phần
    vốn nhà nước": a manager of a wholly state-owned company and its state-capital
    representative are both officials under the decree."""
    executive = official(directory, "ct.xskt-can-tho", "enterprise_manager")
    assert is_protection_eligible(executive, directory)
    representative = official(directory, "ct.nong-nghiep-co-do", "state_capital_representative")
    assert is_protection_eligible(representative, directory)
    decision = route_to_competent_authority(executive, directory)
    assert decision.recipient_unit_id == "ct.xskt-can-tho"


def test_art7_city_pc_vice_chairman_goes_to_chairman_not_via_doha(
    directory: OrganisationDirectory,
) -> None:
    decision = _route(directory, CITY, "vice_chairman")
    assert decision.target is RoutingTarget.AGENCY_HEAD
    assert decision.recipient_unit_id == decision.intake_unit_id == CITY
    assert decision.management_level is ManagerLevel.CENTRAL
    assert decision.legal_basis == "ND73 Art 7 §3"


def test_art7_city_pc_chairman_has_no_superior_on_record(directory: OrganisationDirectory) -> None:
    with pytest.raises(NoCompetentAuthority):
        _route(directory, CITY, "chairman")


def test_unknown_unit_or_position_is_refused(directory: OrganisationDirectory) -> None:
    with pytest.raises(UnknownOfficial, match=r"ct\.nowhere"):
        route_to_competent_authority(Actor("u", "A", "ct.nowhere", "director"), directory)
    with pytest.raises(UnknownOfficial, match="astronaut"):
        is_protection_eligible(Actor("u", "A", "ct.so-tai-chinh", "astronaut"), directory)


def test_art8_directory_head_is_never_routed_to_themself(
    directory: OrganisationDirectory,
) -> None:
    head = directory.head_of("ct.ninh-kieu.an-hoa")
    # the token lags behind (still says vice-chairman), the directory knows they head the ward
    lagging = Actor(head.person_id, head.name, "ct.ninh-kieu.an-hoa", "vice_chairman")
    decision = route_to_competent_authority(lagging, directory)
    assert decision.target is RoutingTarget.SUPERIOR_HEAD
    assert decision.decider_id != head.person_id


def test_promotion_not_yet_in_directory_routes_by_token_position(
    directory: OrganisationDirectory,
) -> None:
    promoted = Actor("ct.new.01", "Lâm Thị Mới", "ct.phong-dien.nhon-ai", "chairman")
    decision = route_to_competent_authority(promoted, directory)
    assert decision.target is RoutingTarget.SUPERIOR_HEAD
    assert decision.recipient_unit_id == "ct.phong-dien"


def test_routing_decision_records_directory_version_and_round_trips(
    directory: OrganisationDirectory,
) -> None:
    decision = _route(directory, "ct.so-tai-chinh", "director")
    data = decision.as_dict()
    assert data["directory_version"] == "2024.1"
    assert data["jurisdiction"] == "can-tho"
    assert data["target"] == "CITY_PC_VIA_DOHA"
    assert data["decider_name"] == directory.head_of(CITY).name
    assert all(isinstance(value, str) for value in data.values())
    assert RoutingDecision.from_dict(data) == decision


def test_routing_reason_is_vietnamese_first_with_english(
    directory: OrganisationDirectory,
) -> None:
    decision = _route(directory, "ct.so-tai-chinh", "director")
    assert "thông qua Sở Nội vụ" in decision.reason
    assert "through the Department of Home Affairs" in decision.reason_en


def test_official_round_trips_through_dict() -> None:
    person = Actor("u1", "Nguyễn Văn A", "ct.so-tai-chinh", "director")
    assert Actor.from_dict(person.as_dict()) == person
