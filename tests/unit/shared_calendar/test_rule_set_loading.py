"""A broken rule-set file fails at load time with a message naming the file and the field."""

from __future__ import annotations

import copy
import json
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from shared.kernel.rulesets import (
    AbstentionRule,
    DeadlineName,
    RuleSetError,
    available_jurisdictions,
    load_rule_sets,
    rule_set_in_force,
)

PACKAGED_2024_1: dict[str, Any] = json.loads(
    (files("shared.kernel.rulesets") / "data" / "can-tho" / "2024.1.json").read_text(
        encoding="utf-8"
    )
)


def _province(version: str = "2025.1", effective_from: str = "2025-07-01") -> dict[str, Any]:
    document = copy.deepcopy(PACKAGED_2024_1)
    document.update(
        jurisdiction="hau-giang",
        jurisdiction_name_vi="Tỉnh Hậu Giang (test)",
        jurisdiction_name_en="Hau Giang Province (test)",
        version=version,
        effective_from=effective_from,
    )
    return document


def _write(root: Path, document: dict[str, Any], file_name: str | None = None) -> Path:
    folder = root / str(document["jurisdiction"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file_name or f"{document['version']}.json")
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _load_error(root: Path, jurisdiction: str = "hau-giang") -> str:
    with pytest.raises(RuleSetError) as raised:
        load_rule_sets(jurisdiction, extra_dir=root)
    return str(raised.value)


def test_an_operator_ships_a_province_in_an_extra_directory(tmp_path: Path) -> None:
    _write(tmp_path, _province())
    (loaded,) = load_rule_sets("hau-giang", extra_dir=tmp_path)
    assert loaded.jurisdiction_name_en == "Hau Giang Province (test)"
    assert loaded.deadline(DeadlineName.APPROVAL).working_days == 7
    assert "hau-giang" in available_jurisdictions(extra_dir=tmp_path)
    assert "hau-giang" not in available_jurisdictions()


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    document = _province()
    del document["effective_from"]
    _write(tmp_path, document)
    assert "missing field 'effective_from'" in _load_error(tmp_path)


def test_a_missing_field_inside_a_deadline_is_named_with_its_path(tmp_path: Path) -> None:
    document = _province()
    del document["deadlines"]["approval"]["legal_basis"]
    _write(tmp_path, document)
    message = _load_error(tmp_path)
    assert "deadlines.approval" in message
    assert "missing field 'legal_basis'" in message


def test_an_unknown_deadline_name_is_refused(tmp_path: Path) -> None:
    document = _province()
    document["deadlines"]["approval_meting"] = document["deadlines"].pop("approval")
    _write(tmp_path, document)
    assert "unknown deadline name(s) approval_meting" in _load_error(tmp_path)


def test_every_deadline_name_must_be_defined(tmp_path: Path) -> None:
    document = _province()
    del document["deadlines"]["conclusion"]
    _write(tmp_path, document)
    assert "missing deadline(s) conclusion" in _load_error(tmp_path)


def test_negative_working_days_are_refused(tmp_path: Path) -> None:
    document = _province()
    document["deadlines"]["supplement"]["working_days"] = -1
    _write(tmp_path, document)
    assert "supplement.working_days: negative working days" in _load_error(tmp_path)


@pytest.mark.parametrize("value", [7.5, "7", True, None])
def test_working_days_must_be_a_whole_number(tmp_path: Path, value: object) -> None:
    document = _province()
    document["deadlines"]["approval"]["working_days"] = value
    _write(tmp_path, document)
    assert "expected a whole number of working days" in _load_error(tmp_path)


def test_an_unknown_mark_is_refused(tmp_path: Path) -> None:
    document = _province()
    document["deadlines"]["approval"]["mark"] = "confirmed"
    _write(tmp_path, document)
    assert "'confirmed' is not one of C, I, NF" in _load_error(tmp_path)


def test_a_misspelt_field_is_refused_rather_than_ignored(tmp_path: Path) -> None:
    document = _province()
    document["deadline_warning"]["working_days_befor"] = 3
    _write(tmp_path, document)
    assert "deadline_warning: unknown field(s) working_days_befor" in _load_error(tmp_path)


def test_a_duplicate_version_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, _province("2025.1", "2025-07-01"))
    _write(tmp_path, _province("2025.01", "2026-01-01"))
    assert "duplicate rule-set version" in _load_error(tmp_path)


def test_an_extra_directory_cannot_replace_a_packaged_version(tmp_path: Path) -> None:
    document = copy.deepcopy(PACKAGED_2024_1)
    document["deadlines"]["supplement"]["working_days"] = 30
    _write(tmp_path, document)
    assert "duplicate rule-set version 2024.1" in _load_error(tmp_path, "can-tho")


def test_two_versions_taking_effect_on_the_same_day_overlap(tmp_path: Path) -> None:
    _write(tmp_path, _province("2025.1", "2025-07-01"))
    _write(tmp_path, _province("2025.2", "2025-07-01"))
    assert "effective dates overlap" in _load_error(tmp_path)


def test_a_later_version_cannot_take_effect_before_an_earlier_one(tmp_path: Path) -> None:
    _write(tmp_path, _province("2025.1", "2025-07-01"))
    _write(tmp_path, _province("2025.2", "2025-01-01"))
    assert "2025.2 takes effect on 2025-01-01, not after 2025.1" in _load_error(tmp_path)


def test_the_file_name_must_match_the_version(tmp_path: Path) -> None:
    _write(tmp_path, _province("2025.1"), file_name="2025.2.json")
    assert "does not match the file name" in _load_error(tmp_path)


def test_the_folder_must_match_the_jurisdiction(tmp_path: Path) -> None:
    folder = tmp_path / "soc-trang"
    folder.mkdir()
    (folder / "2025.1.json").write_text(json.dumps(_province()), encoding="utf-8")
    assert "does not match its folder" in _load_error(tmp_path, "soc-trang")


def test_a_date_both_off_and_worked_is_refused(tmp_path: Path) -> None:
    document = _province()
    document["calendar_overrides"]["extra_days_off"] = ["2027-09-06"]
    document["calendar_overrides"]["extra_working_days"] = ["2027-09-06"]
    _write(tmp_path, document)
    assert "both off and working: 2027-09-06" in _load_error(tmp_path)


def test_a_malformed_date_is_refused(tmp_path: Path) -> None:
    document = _province()
    document["calendar_overrides"]["extra_days_off"] = ["06/09/2027"]
    _write(tmp_path, document)
    assert "extra_days_off[0]: expected a date as YYYY-MM-DD" in _load_error(tmp_path)


def test_an_unknown_escalation_target_is_refused(tmp_path: Path) -> None:
    document = _province()
    document["approval_escalation"]["escalate_to"]["AGENCY_HEAD"] = ["PRIME_MINISTER"]
    _write(tmp_path, document)
    assert "escalate_to.AGENCY_HEAD: targets must be among" in _load_error(tmp_path)


def test_invalid_json_is_reported_with_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "hau-giang"
    folder.mkdir()
    (folder / "2025.1.json").write_text("{not json", encoding="utf-8")
    assert "2025.1.json: not valid UTF-8 JSON" in _load_error(tmp_path)


def test_a_jurisdiction_without_files_is_an_error(tmp_path: Path) -> None:
    assert "no rule sets for jurisdiction 'kien-giang'" in _load_error(tmp_path, "kien-giang")


def test_a_jurisdiction_id_cannot_walk_out_of_the_directory(tmp_path: Path) -> None:
    assert "is not a jurisdiction id" in _load_error(tmp_path, "../can-tho")


def test_overrides_in_a_rule_set_move_its_due_dates(tmp_path: Path) -> None:
    document = _province()
    # Hypothetical swap: Mon 6/9/2027 off (after National Day), Sat 11/9/2027 worked.
    document["calendar_overrides"]["extra_days_off"] = ["2027-09-06"]
    document["calendar_overrides"]["extra_working_days"] = ["2027-09-11"]
    _write(tmp_path, document)
    rules = rule_set_in_force("hau-giang", date(2027, 9, 1), extra_dir=tmp_path)
    # Wed 1/9: Thu 2/9 and Fri 3/9 are National Day, Mon 6/9 swapped off;
    # Tue 7 (1) … Fri 10 (4), Sat 11 worked (5).
    assert rules.due_date(DeadlineName.COMPLETION_REPORT, date(2027, 9, 1)) == date(2027, 9, 11)


def test_art8_1_a_province_may_count_an_abstention_as_a_vote_cast(tmp_path: Path) -> None:
    """Art 8 §1, "trên 50% ý kiến biểu quyết tán thành": the abstention reading is the rule
    set's own."""
    document = _province()
    document["vote_rule"]["abstention"] = "CAST_NOT_IN_FAVOUR"
    _write(tmp_path / "cast", document)
    (loaded,) = load_rule_sets("hau-giang", extra_dir=tmp_path / "cast")
    assert loaded.vote_rule.abstention is AbstentionRule.CAST_NOT_IN_FAVOUR
    document["vote_rule"]["abstention"] = "AGAINST"
    _write(tmp_path / "typo", document)
    assert "vote_rule.abstention: 'AGAINST' is not one of" in _load_error(tmp_path / "typo")


def test_the_optional_vote_and_consultation_fields_default_to_the_documented_inference(
    tmp_path: Path,
) -> None:
    document = _province()
    del document["vote_rule"]["abstention"]
    del document["consultation"]["pauses_approval_clock"]
    _write(tmp_path, document)
    (loaded,) = load_rule_sets("hau-giang", extra_dir=tmp_path)
    assert loaded.vote_rule.abstention is AbstentionRule.NOT_A_VOTE_CAST
    assert loaded.consultation.pauses_approval_clock is True


def test_the_retired_vote_and_consultation_fields_are_refused(tmp_path: Path) -> None:
    """No setting the code does not read: the decree's own threshold is not configuration."""
    document = _province()
    document["vote_rule"]["pass_threshold"] = "MORE_THAN_HALF"
    _write(tmp_path, document)
    assert "vote_rule: unknown field(s) pass_threshold" in _load_error(tmp_path)


def test_a_withdrawn_version_stands_for_the_adopted_one_unless_its_file_is_given_back() -> None:
    """The demo set can-tho 2025.1 left production data (issue #14 point 7): a case that
    recorded it is judged by the adopted version in force on its date, with the reason; an
    operator who gives the file back keeps it; an unknown version is still an error."""
    from shared.kernel.rulesets import rule_set_for_case
    from tests.support.data import TEST_RULE_SETS

    rules, retired = rule_set_for_case("can-tho", "2025.1")
    assert rules.version == "2024.1"
    assert retired is not None
    assert "chưa từng được cơ quan có thẩm quyền ban hành" in retired.reason
    kept, none = rule_set_for_case("can-tho", "2025.1", extra_dir=TEST_RULE_SETS)
    assert (kept.version, none) == ("2025.1", None)
    with pytest.raises(RuleSetError):
        rule_set_for_case("can-tho", "2031.7")
