"""The organisation directory: Cần Thơ's packaged data, lookups, and validation on load."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.kernel.directory import (
    DirectoryError,
    ManagerLevel,
    NoManagementRule,
    OrganisationDirectory,
    UnitKind,
    UnknownPosition,
    UnknownUnit,
    available_versions,
    load_directory,
)

# --- the packaged Cần Thơ directory ---------------------------------------------------------


def test_can_tho_directory_is_versioned_and_in_force_from_plan_88(
    directory: OrganisationDirectory,
) -> None:
    assert directory.jurisdiction == "can-tho"
    assert directory.version == "2024.1"
    assert directory.effective_from == date(2024, 4, 23)
    assert directory.local_plan_ref == "KH 88/KH-UBND"
    assert "2024.1" in available_versions("can-tho")


def test_city_pc_has_a_chairman_and_vice_chairmen(directory: OrganisationDirectory) -> None:
    city = directory.city_pc
    assert city.kind is UnitKind.CITY_PC
    assert city.superior_id is None
    assert directory.head_of(city.id).position == "chairman"
    deputies = directory.deputies_of(city.id)
    assert len(deputies) >= 2
    assert {member.position for member in deputies} == {"vice_chairman"}


def test_plan88_city_route_goes_through_department_of_home_affairs(
    directory: OrganisationDirectory,
) -> None:
    assert directory.home_affairs.name_vi == "Sở Nội vụ"
    assert directory.home_affairs.kind is UnitKind.DEPARTMENT
    assert directory.superior_of(directory.home_affairs.id) == directory.city_pc


def test_city_departments_are_listed(directory: OrganisationDirectory) -> None:
    names = {unit.name_vi for unit in directory.units.values() if unit.kind is UnitKind.DEPARTMENT}
    expected = {
        "Sở Nội vụ",
        "Sở Tài chính",
        "Sở Kế hoạch và Đầu tư",
        "Sở Y tế",
        "Sở Giáo dục và Đào tạo",
        "Sở Tư pháp",
        "Sở Khoa học và Công nghệ",
        "Sở Xây dựng",
        "Sở Tài nguyên và Môi trường",
        "Sở Giao thông vận tải",
        "Sở Thông tin và Truyền thông",
        "Sở Công Thương",
        "Sở Nông nghiệp và Phát triển nông thôn",
        "Văn phòng Ủy ban nhân dân thành phố",
    }
    assert expected <= names


def test_all_nine_districts_have_a_peoples_committee_under_the_city(
    directory: OrganisationDirectory,
) -> None:
    districts = [u for u in directory.units.values() if u.kind is UnitKind.DISTRICT_PC]
    names = {unit.name_vi.removeprefix("Ủy ban nhân dân ") for unit in districts}
    assert names == {
        "quận Ninh Kiều",
        "quận Bình Thủy",
        "quận Cái Răng",
        "quận Ô Môn",
        "quận Thốt Nốt",
        "huyện Phong Điền",
        "huyện Cờ Đỏ",
        "huyện Vĩnh Thạnh",
        "huyện Thới Lai",
    }
    assert all(unit.superior_id == directory.city_pc.id for unit in districts)
    assert all(unit.head.position == "chairman" for unit in districts)


def test_wards_an_hoa_and_xuan_khanh_sit_under_ninh_kieu(
    directory: OrganisationDirectory,
) -> None:
    under_ninh_kieu = {unit.name_vi for unit in directory.subordinates_of("ct.ninh-kieu")}
    assert "Ủy ban nhân dân phường An Hòa" in under_ninh_kieu
    assert "Ủy ban nhân dân phường Xuân Khánh" in under_ninh_kieu
    assert directory.unit("ct.ninh-kieu.an-hoa").kind is UnitKind.COMMUNE_PC


def test_public_service_units_and_plan_88_enterprises_are_listed(
    directory: OrganisationDirectory,
) -> None:
    hospital = directory.unit("ct.so-y-te.bv-da-khoa-tp")
    assert hospital.kind is UnitKind.PUBLIC_SERVICE_UNIT
    assert directory.superior_of(hospital.id) == directory.unit("ct.so-y-te")
    enterprises = {u.name_vi for u in directory.units.values() if u.kind is UnitKind.ENTERPRISE}
    assert "Công ty TNHH một thành viên Xổ số kiến thiết Cần Thơ" in enterprises
    assert "Công ty TNHH một thành viên Nông nghiệp Cờ Đỏ" in enterprises
    centre = directory.unit("ct.van-phong-ubnd.tt-phuc-vu-hcc")
    assert centre.name_vi.startswith("Trung tâm Phục vụ hành chính công")


def test_every_unit_has_bilingual_names_and_a_named_head(
    directory: OrganisationDirectory,
) -> None:
    for unit in directory.units.values():
        assert unit.id.isascii()
        assert unit.id.startswith("ct.")
        assert unit.name_vi
        assert unit.name_en
        assert unit.name_vi != unit.name_en
        assert unit.head.name
        assert unit.head.person_id
        assert directory.position(unit.head.position).leader_manager


def test_divisions_belong_to_their_department(directory: OrganisationDirectory) -> None:
    board = directory.unit("ct.so-noi-vu.ban-tdkt")
    assert board.kind is UnitKind.DIVISION
    assert directory.employing_agency_of(board.id) == directory.unit("ct.so-noi-vu")
    assert directory.superior_agency_of(board.id) == directory.city_pc


def test_art2_positions_say_who_is_a_leader_or_manager(directory: OrganisationDirectory) -> None:
    leaders = {code for code, position in directory.positions.items() if position.leader_manager}
    assert {
        "chairman",
        "vice_chairman",
        "director",
        "deputy_director",
        "head_of_division",
        "deputy_head_of_division",
        "unit_head",
        "deputy_unit_head",
        "state_capital_representative",
    } <= leaders
    assert not directory.position("specialist").leader_manager
    assert not directory.position("employee").leader_manager


@pytest.mark.parametrize(
    ("unit_id", "position", "level"),
    [
        ("ct.so-tai-chinh", "director", ManagerLevel.CITY_PC),
        ("ct.so-tai-chinh", "deputy_director", ManagerLevel.CITY_PC),
        ("ct.van-phong-ubnd", "chief_of_office", ManagerLevel.CITY_PC),
        ("ct.cai-rang", "vice_chairman", ManagerLevel.CITY_PC),
        ("ct.dh-ky-thuat-cong-nghe", "unit_head", ManagerLevel.CITY_PC),
        ("ct.xskt-can-tho", "state_capital_representative", ManagerLevel.CITY_PC),
        ("ct.so-y-te.bv-da-khoa-tp", "unit_head", ManagerLevel.AGENCY),
        ("ct.so-noi-vu.ban-tdkt", "head_of_division", ManagerLevel.AGENCY),
        ("ct.ninh-kieu.an-hoa", "chairman", ManagerLevel.AGENCY),
        ("ct.so-tai-chinh", "specialist", ManagerLevel.AGENCY),
        ("ct.ubnd-tp", "vice_chairman", ManagerLevel.CENTRAL),
    ],
)
def test_plan88_manager_level_is_data_by_unit_kind_and_position(
    directory: OrganisationDirectory, unit_id: str, position: str, level: ManagerLevel
) -> None:
    assert directory.manager_level(unit_id, position) is level


def test_public_service_unit_level_depends_on_its_superior(
    directory: OrganisationDirectory,
) -> None:
    under_city = directory.manager_level("ct.vien-kinh-te-xa-hoi", "unit_head")
    under_department = directory.manager_level(
        "ct.so-giao-duc-dao-tao.thpt-chau-van-liem", "unit_head"
    )
    assert (under_city, under_department) == (ManagerLevel.CITY_PC, ManagerLevel.AGENCY)


def test_lookups_name_what_is_unknown(directory: OrganisationDirectory) -> None:
    with pytest.raises(UnknownUnit, match=r"ct\.nowhere"):
        directory.unit("ct.nowhere")
    with pytest.raises(UnknownPosition, match="astronaut"):
        directory.position("astronaut")
    with pytest.raises(NoManagementRule):
        directory.manager_level("ct.so-tai-chinh", "chairman")


def test_leadership_collective_is_head_plus_deputies(directory: OrganisationDirectory) -> None:
    collective = directory.leadership_collective("ct.so-noi-vu")
    assert collective[0] == directory.head_of("ct.so-noi-vu")
    assert collective[1:] == directory.deputies_of("ct.so-noi-vu")
    head = directory.head_of("ct.so-noi-vu")
    assert directory.unit("ct.so-noi-vu") in directory.units_headed_by(head.person_id)


def test_packaged_directory_is_cached_and_immutable(directory: OrganisationDirectory) -> None:
    assert load_directory("can-tho", "2024.1") is directory
    assert load_directory().versions[0] is directory, "one object per packaged version"
    with pytest.raises(TypeError):
        directory.units["ct.fake"] = directory.city_pc  # type: ignore[index]


# --- loading other files, and validation ----------------------------------------------------


def _member(person: str, position: str) -> dict[str, str]:
    return {"person_id": person, "name": f"Người {person}", "position": position}


def _document() -> dict[str, Any]:
    """A small valid directory for a made-up jurisdiction."""
    return {
        "jurisdiction": "test-city",
        "version": "1.0",
        "effective_from": "2024-01-01",
        "effective_from_basis": "Quyết định số 1/QĐ-UBND ngày 01/01/2024 (test)",
        "local_plan_ref": "KH 1/KH-UBND",
        "city_route": {"recipient_unit_id": "t.city", "intake_unit_id": "t.doha"},
        "positions": [
            {"code": "chairman", "name_vi": "Chủ tịch", "name_en": "Chair", "leader_manager": True},
            {"code": "director", "name_vi": "Giám đốc", "name_en": "Dir", "leader_manager": True},
            {"code": "specialist", "name_vi": "CV", "name_en": "Spec", "leader_manager": False},
        ],
        "management": [
            {"unit_kind": "city_pc", "positions": ["chairman"], "managed_by": "central"},
            {"unit_kind": "department", "positions": ["director"], "managed_by": "city_pc"},
            {"unit_kind": "*", "positions": ["specialist"], "managed_by": "agency"},
        ],
        "units": [
            {
                "id": "t.city",
                "name_vi": "UBND",
                "name_en": "PC",
                "kind": "city_pc",
                "superior": None,
                "head": _member("p1", "chairman"),
                "deputies": [],
            },
            {
                "id": "t.doha",
                "name_vi": "Sở Nội vụ",
                "name_en": "DoHA",
                "kind": "department",
                "superior": "t.city",
                "head": _member("p2", "director"),
                "deputies": [],
            },
        ],
    }


def _write(root: Path, document: Any, name: str = "1.0.json") -> Path:
    folder = root / "test-city"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def _load_error(tmp_path: Path, document: Any) -> str:
    _write(tmp_path, document)
    with pytest.raises(DirectoryError) as caught:
        load_directory("test-city", extra_dir=tmp_path)
    return str(caught.value)


def test_extra_dir_file_loads(tmp_path: Path) -> None:
    _write(tmp_path, _document())
    loaded = load_directory("test-city", extra_dir=tmp_path)
    assert loaded.version == "1.0"
    assert loaded.head_of("t.doha").person_id == "p2"


def test_newest_version_wins_unless_as_of_says_otherwise(tmp_path: Path) -> None:
    _write(tmp_path, _document())
    newer = _document()
    newer.update(version="1.10", effective_from="2025-01-01")
    _write(tmp_path, newer, "1.10.json")
    assert available_versions("test-city", extra_dir=tmp_path) == ["1.0", "1.10"]
    assert load_directory("test-city", extra_dir=tmp_path).version == "1.10"
    in_2024 = load_directory("test-city", extra_dir=tmp_path, as_of=date(2024, 6, 1))
    assert in_2024.version == "1.0"
    assert load_directory("test-city", "1.0", extra_dir=tmp_path).version == "1.0"
    with pytest.raises(DirectoryError, match="in force on 2023-01-01"):
        load_directory("test-city", extra_dir=tmp_path, as_of=date(2023, 1, 1))


def test_unknown_version_or_jurisdiction_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, _document())
    with pytest.raises(DirectoryError, match=r"'9\.9'"):
        load_directory("test-city", "9.9", extra_dir=tmp_path)
    with pytest.raises(DirectoryError, match="lowercase slug"):
        load_directory("../etc", extra_dir=tmp_path)
    with pytest.raises(DirectoryError, match="no directory"):
        load_directory("atlantis")


def test_file_must_match_its_place(tmp_path: Path) -> None:
    document = _document()
    document["version"] = "2.0"
    assert "its place says" in _load_error(tmp_path, document)


def test_invalid_json_is_reported_with_the_file(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "{not json")
    assert "1.0.json" in message
    assert "cannot read JSON" in message


def test_duplicate_unit_id_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["units"].append(copy.deepcopy(document["units"][1]))
    assert "duplicate unit id" in _load_error(tmp_path, document)


def test_unknown_superior_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["units"][1]["superior"] = "t.nowhere"
    assert "unknown superior 't.nowhere'" in _load_error(tmp_path, document)


def test_superior_cycle_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["units"][0]["superior"] = "t.doha"
    assert "cycle" in _load_error(tmp_path, document)


def test_missing_head_is_refused(tmp_path: Path) -> None:
    document = _document()
    del document["units"][1]["head"]
    assert "has no head" in _load_error(tmp_path, document)


def test_unknown_position_code_in_a_unit_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["units"][1]["deputies"] = [_member("p3", "astronaut")]
    assert "unknown position code 'astronaut'" in _load_error(tmp_path, document)


def test_unknown_position_code_in_a_management_rule_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["management"][2]["positions"].append("astronaut")
    assert "unknown position code 'astronaut'" in _load_error(tmp_path, document)


def test_duplicate_position_code_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["positions"].append(copy.deepcopy(document["positions"][0]))
    assert "duplicate position code 'chairman'" in _load_error(tmp_path, document)


def test_unknown_unit_kind_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["units"][1]["kind"] = "ministry"
    assert "unknown kind 'ministry'" in _load_error(tmp_path, document)


def test_head_must_hold_a_leader_position(tmp_path: Path) -> None:
    document = _document()
    document["units"][1]["head"] = _member("p2", "specialist")
    assert "not a leader position" in _load_error(tmp_path, document)


def test_every_member_needs_a_management_rule(tmp_path: Path) -> None:
    document = _document()
    document["management"].pop(1)
    assert "no management rule" in _load_error(tmp_path, document)


def test_ambiguous_management_rules_are_refused(tmp_path: Path) -> None:
    document = _document()
    document["management"].append(
        {"unit_kind": "department", "positions": ["director"], "managed_by": "agency"}
    )
    assert "ambiguous" in _load_error(tmp_path, document)


def test_unknown_manager_level_is_refused(tmp_path: Path) -> None:
    document = _document()
    document["management"][1]["managed_by"] = "party"
    assert "managed_by 'party'" in _load_error(tmp_path, document)


def test_city_route_must_point_at_the_city_pc(tmp_path: Path) -> None:
    document = _document()
    document["city_route"]["recipient_unit_id"] = "t.doha"
    assert "city People's Committee" in _load_error(tmp_path, document)


def test_a_person_keeps_one_name_across_units(tmp_path: Path) -> None:
    document = _document()
    document["units"][1]["head"] = {"person_id": "p1", "name": "Ai khác", "position": "director"}
    assert "person 'p1'" in _load_error(tmp_path, document)


def test_division_needs_a_superior(tmp_path: Path) -> None:
    document = _document()
    document["management"].append(
        {"unit_kind": "division", "positions": ["director"], "managed_by": "agency"}
    )
    document["units"].append(
        {
            "id": "t.orphan",
            "name_vi": "Phòng",
            "name_en": "Division",
            "kind": "division",
            "superior": None,
            "head": _member("p9", "director"),
            "deputies": [],
        }
    )
    assert "a division needs a superior" in _load_error(tmp_path, document)


def test_people_carry_the_e_mail_address_notifications_go_to(
    directory: OrganisationDirectory,
) -> None:
    for version in directory.versions:
        for _, member in version.members():
            assert member.email.endswith("@cantho.example"), member
    home_affairs = directory.in_force(date(2025, 7, 1)).home_affairs
    assert (
        home_affairs.head.email
        == f"{home_affairs.head.person_id.removeprefix('ct.')}@cantho.example"
    )
    person = directory.person(home_affairs.head.person_id)
    assert person is not None
    assert person.email == home_affairs.head.email
    assert directory.person("ct.nobody") is None


def test_an_e_mail_address_must_be_one_plain_address(tmp_path: Path) -> None:
    document = _document()
    document["units"][0]["head"]["email"] = "chu.tich@example.vn\r\nBcc: all@example.vn"
    assert "email" in _load_error(tmp_path, document)


def test_a_person_keeps_one_e_mail_address_across_units(tmp_path: Path) -> None:
    document = _document()
    document["units"][0]["head"]["email"] = "p1@example.vn"
    document["units"][1]["deputies"] = [
        {"person_id": "p1", "name": "Người p1", "position": "director", "email": "x@example.vn"}
    ]
    assert "has e-mail" in _load_error(tmp_path, document)
