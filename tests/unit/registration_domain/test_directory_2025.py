"""The Cần Thơ directory from 1/7/2025: the merged city, no district level, reorganised
departments, commune and ward People's Committees under the city; office staff and delegation."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.registration.domain.routing import (
    NoCompetentAuthority,
    UnknownOfficial,
    route_to_competent_authority,
)
from shared.contracts.vocabulary import RoutingTarget
from shared.kernel.directory import (
    DelegatedStep,
    DirectoryError,
    DirectoryLookupError,
    ManagerLevel,
    OrganisationDirectory,
    StaffDuty,
    UnitKind,
    load_directory,
)
from tests.unit.registration_domain.builders import official

D2024 = load_directory("can-tho", "2024.1")
D2025 = load_directory("can-tho", "2025.1")


def test_the_2025_version_is_in_force_from_1_july_2025_and_cites_its_basis() -> None:
    assert D2025.effective_from == date(2025, 7, 1)
    assert "202/2025/QH15" in D2025.effective_from_basis
    assert "88/KH-UBND" in D2024.effective_from_basis
    assert D2024.in_force(date(2025, 6, 30)) is D2024
    assert D2024.in_force(date(2025, 7, 1)) is D2025
    assert D2025.version_named("2024.1") is D2024
    with pytest.raises(DirectoryLookupError, match="first takes effect on 2024-04-23"):
        D2025.in_force(date(2024, 1, 1))


def test_no_district_level_and_communes_and_wards_sit_under_the_city() -> None:
    kinds = {unit.kind for unit in D2025.units.values()}
    assert UnitKind.DISTRICT_PC not in kinds
    communes = [u for u in D2025.units.values() if u.kind is UnitKind.COMMUNE_PC]
    assert len(communes) >= 10
    assert {u.superior_id for u in communes} == {D2025.city_pc.id}
    names = {u.name_vi for u in communes}
    # from the former Sóc Trăng and Hậu Giang provinces too
    assert {"Ủy ban nhân dân phường Sóc Trăng", "Ủy ban nhân dân phường Vị Thanh"} <= names


def test_departments_are_reorganised() -> None:
    departments = {u.name_vi for u in D2025.units.values() if u.kind is UnitKind.DEPARTMENT}
    assert "Sở Lao động - Thương binh và Xã hội" not in departments
    assert "Sở Kế hoạch và Đầu tư" not in departments
    assert {"Sở Nội vụ", "Sở Nông nghiệp và Môi trường", "Sở Dân tộc và Tôn giáo"} <= departments
    # Home Affairs took over Labour, Invalids and Social Affairs: its former director is a deputy.
    former_labour_director = D2024.head_of("ct.so-lao-dong-tbxh").person_id
    deputies = {m.person_id for m in D2025.deputies_of("ct.so-noi-vu")}
    assert former_labour_director in deputies
    assert D2025.subordinates_of("ct.so-noi-vu")


def test_art7_4_a_ward_chairman_goes_to_the_city_via_home_affairs_from_1_july_2025() -> None:
    """Khoản 4 Điều 7: kế hoạch của người đứng đầu gửi người đứng đầu cơ quan cấp trên."""
    before = route_to_competent_authority(official(D2024, "ct.ninh-kieu.an-hoa", "chairman"), D2024)
    assert before.target is RoutingTarget.SUPERIOR_HEAD
    assert before.recipient_unit_id == "ct.ninh-kieu"
    after = route_to_competent_authority(official(D2025, "ct.phuong-cai-khe", "chairman"), D2025)
    assert after.target is RoutingTarget.CITY_PC_VIA_DOHA
    assert (after.recipient_unit_id, after.intake_unit_id) == ("ct.ubnd-tp", "ct.so-noi-vu")
    assert after.management_level is ManagerLevel.CITY_PC
    assert after.legal_basis == "ND73 Art 7 §4; KH 88/KH-UBND II.3.a"
    assert after.directory_version == "2025.1"


def test_art7_3_a_ward_vice_chairman_and_division_head_go_to_the_ward_chairman() -> None:
    """Khoản 3 Điều 7 and Plan 88 II.3.b: gửi Thủ trưởng cơ quan, đơn vị, địa phương."""
    chairman = D2025.head_of("ct.phuong-ninh-kieu").person_id
    for unit_id, position in (
        ("ct.phuong-ninh-kieu", "vice_chairman"),
        ("ct.phuong-ninh-kieu.phong-kinh-te", "head_of_division"),
    ):
        decision = route_to_competent_authority(official(D2025, unit_id, position), D2025)
        assert decision.target is RoutingTarget.AGENCY_HEAD
        assert decision.recipient_unit_id == "ct.phuong-ninh-kieu"
        assert decision.decider_id == chairman


def test_a_2024_unit_is_unknown_in_2025_with_a_vietnamese_reason() -> None:
    with pytest.raises(UnknownOfficial) as caught:
        route_to_competent_authority(official(D2024, "ct.ninh-kieu", "vice_chairman"), D2025)
    assert "không có trong danh bạ tổ chức phiên bản 2025.1" in caught.value.message_vi
    assert "01/07/2025" in caught.value.message_vi


@pytest.mark.parametrize("directory", [D2024, D2025], ids=lambda d: d.version)
def test_the_city_chairmans_own_plan_is_outside_the_citys_competence(
    directory: OrganisationDirectory,
) -> None:
    with pytest.raises(NoCompetentAuthority) as caught:
        route_to_competent_authority(official(directory, "ct.ubnd-tp", "chairman"), directory)
    message = caught.value.message_vi
    assert "nằm ngoài thẩm quyền của thành phố" in message
    assert "khoản 4 Điều 7 Nghị định số 73/2023/NĐ-CP" in message
    assert "Chủ tịch Ủy ban nhân dân thành phố Cần Thơ" in message


@pytest.mark.parametrize("directory", [D2024, D2025], ids=lambda d: d.version)
def test_every_agency_has_an_office_and_home_affairs_has_intake_specialists(
    directory: OrganisationDirectory,
) -> None:
    for unit in directory.units.values():
        if unit.kind is not UnitKind.DIVISION and unit.id != directory.city_pc.id:
            assert unit.office is not None, unit.id
            assert unit.office.staff, unit.id
        assert unit.abbreviation, unit.id
    office = directory.home_affairs.office
    assert office is not None
    assert office.name_vi == "Văn phòng Sở Nội vụ"
    specialists = office.intake_specialists()
    assert len(specialists) == 2
    assert {m.duty for m in specialists} == {StaffDuty.INTAKE}
    # staff sign in like anyone else (development tokens, identity lookup)
    assert {m.person_id for _, m in directory.members()} >= {m.person_id for m in specialists}


def test_the_head_of_home_affairs_delegates_intake_with_dates() -> None:
    (first, _second) = D2024.delegations_on("ct.so-noi-vu", date(2024, 7, 1))
    assert first.delegator_id == D2024.head_of("ct.so-noi-vu").person_id
    assert first.steps == {DelegatedStep.INTAKE}
    assert (first.valid_from, first.valid_until) == (date(2024, 7, 1), date(2025, 6, 30))
    assert "QĐ-SNV" in first.decision_ref
    assert D2024.delegations_on("ct.so-noi-vu", date(2024, 6, 30)) == ()
    assert D2024.delegations_on("ct.so-noi-vu", date(2025, 7, 1)) == ()
    city, doha = "ct.ubnd-tp", "ct.so-noi-vu"
    leaders = [m.person_id for m in D2024.leadership_collective(doha)]
    assert D2024.intake_delegates(city, doha, date(2024, 6, 3)) == leaders
    assert D2024.intake_delegates(city, doha, date(2024, 7, 1)) == [
        *leaders,
        first.delegate_id,
        _second.delegate_id,
    ]


def _packaged_2025() -> dict[str, Any]:
    path = Path(__file__).parents[3] / "shared/kernel/directory/data/can-tho/2025.1.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return copy.deepcopy(document)


def _error(tmp_path: Path, document: dict[str, Any]) -> str:
    document.update(jurisdiction="test-city", version="1.0")
    folder = tmp_path / "test-city"
    folder.mkdir(parents=True)
    (folder / "1.0.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        load_directory("test-city", extra_dir=tmp_path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"delegator_id": "ct.p0009"}, "is not the head of 'ct.so-noi-vu'"),
        ({"delegate_id": "ct.p0009"}, "is not on the staff of 'ct.so-noi-vu'"),
        ({"steps": ["approve"]}, "steps must be among intake"),
        ({"valid_until": "2025-01-01"}, "valid_until is before valid_from"),
        ({"valid_from": "1/7/2025"}, "valid_from is not an ISO date"),
    ],
)
def test_a_delegation_is_checked_on_load(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    document = _packaged_2025()
    document["delegations"][0].update(change)
    assert message in _error(tmp_path, document)


def test_a_staff_duty_and_an_abbreviation_are_checked_on_load(tmp_path: Path) -> None:
    document = _packaged_2025()
    unit = next(u for u in document["units"] if u["id"] == "ct.so-noi-vu")
    unit["office"]["staff"][0]["duty"] = "boss"
    assert "duty 'boss' is not one of clerk, intake" in _error(tmp_path, document)
    unit["office"]["staff"][0]["duty"] = "clerk"
    unit["abbreviation"] = "snv"
    assert "abbreviation must be capital letters" in _error(tmp_path / "again", document)
