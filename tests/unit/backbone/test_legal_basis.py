"""docs/legal-basis.md is the generated table (as the README settings table is), every code
location and test it names exists, and citations print in legal form."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli.main import cli
from shared.kernel.citations import legal_form, long_date, short_date
from shared.kernel.legal_basis import all_rules, dangling_references, legal_basis_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "legal-basis.md"


def test_the_committed_table_is_the_generated_one() -> None:
    assert DOC.read_text(encoding="utf-8") == legal_basis_markdown(), (
        "run: d73 legal-basis > docs/legal-basis.md"
    )


def test_every_code_location_and_test_named_in_the_table_exists() -> None:
    assert dangling_references() == []


def test_every_rule_has_a_phrase_or_a_reason_and_every_confirmed_one_a_source() -> None:
    for rule in all_rules():
        assert rule.mark in {"C", "I", "NF"}, rule
        assert rule.phrase_or_reason.strip(), rule
        if rule.mark == "C":
            assert rule.source, rule


def test_every_version_in_force_cites_the_decision_that_puts_it_in_force() -> None:
    """Issue #14 point 7: each rule-set and directory version says, in the table's companion
    list, from when it is in force and by which decision (or that the number is unknown); the
    withdrawn demo rule set is listed as withdrawn."""
    from shared.kernel.directory import load_directory
    from shared.kernel.rulesets import load_rule_sets

    doc = legal_basis_markdown()
    versions = [
        (v.version, v.effective_from, v.effective_from_basis) for v in load_rule_sets("can-tho")
    ] + [
        (v.version, v.effective_from, v.effective_from_basis)
        for v in load_directory("can-tho").versions
    ]
    for version, effective_from, basis in versions:
        assert basis.strip(), version
        assert f"- `{version}`, in force from {short_date(effective_from)}: {basis}" in doc
    assert "- `2025.1` (from 01/7/2025): withdrawn — " in doc


def test_the_command_prints_the_table_and_checks_it() -> None:
    result = CliRunner().invoke(cli, ["legal-basis", "--check"])
    assert result.exit_code == 0, result.output
    assert result.output == legal_basis_markdown()


@pytest.mark.parametrize(
    ("code", "legal"),
    [
        ("ND73 Art 8 §1", "khoản 1 Điều 8 Nghị định số 73/2023/NĐ-CP"),
        ("ND73 Art 8 §1 ¶2", "khoản 1 Điều 8 Nghị định số 73/2023/NĐ-CP"),
        ("ND73 Art 7 §3–4", "khoản 3, khoản 4 Điều 7 Nghị định số 73/2023/NĐ-CP"),
        ("ND73 Art 2, Art 7 §3", "Điều 2, khoản 3 Điều 7 Nghị định số 73/2023/NĐ-CP"),
        ("ND73 Art 10 §1 point a", "điểm a khoản 1 Điều 10 Nghị định số 73/2023/NĐ-CP"),
        (
            "ND73 Art 7 §4; KH 88/KH-UBND II.3.a",
            "khoản 4 Điều 7 Nghị định số 73/2023/NĐ-CP; điểm a khoản 3 Mục II Kế hoạch số "
            "88/KH-UBND",
        ),
        (
            "Plan 88/KH-UBND II.2–3 (procedure left to Sở Nội vụ; ND73 silent)",
            "khoản 2, khoản 3 Mục II Kế hoạch số 88/KH-UBND",
        ),
        ("ND73 Art 4 (timely handling); lead time not found", "Điều 4 Nghị định số 73/2023/NĐ-CP"),
        ("KH 88/KH-UBND Cần Thơ IV.2", "khoản 2 Mục IV Kế hoạch số 88/KH-UBND"),
    ],
)
def test_citations_in_legal_form(code: str, legal: str) -> None:
    assert legal_form(code) == legal
    assert "Art" not in legal_form(code)
    assert "§" not in legal_form(code)


def test_dates_as_decree_30_writes_them() -> None:
    assert long_date(date(2025, 3, 5)) == "ngày 05 tháng 3 năm 2025"
    assert long_date(date(2025, 1, 20)) == "ngày 20 tháng 01 năm 2025"
    assert long_date(date(2025, 12, 1)) == "ngày 01 tháng 12 năm 2025"
    assert short_date(date(2025, 2, 9)) == "09/02/2025"
    assert short_date(date(2025, 7, 1)) == "01/7/2025"
