"""The packaged Cần Thơ rule sets: which version governs a case, and its deadlines over holidays."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from shared.kernel.rulesets import (
    DEFAULT_JURISDICTION,
    ROUTING_TARGETS,
    AbstentionRule,
    DeadlineName,
    EscalationTarget,
    Grounded,
    Mark,
    RuleSet,
    RuleSetError,
    load_rule_sets,
    rule_set,
    rule_set_in_force,
)
from tests.support.data import TEST_RULE_SETS

CAN_THO = load_rule_sets(DEFAULT_JURISDICTION)
WITH_TEST_VERSION = load_rule_sets(DEFAULT_JURISDICTION, extra_dir=TEST_RULE_SETS)


def test_default_jurisdiction_is_can_tho_and_only_adopted_versions_are_packaged() -> None:
    assert DEFAULT_JURISDICTION == "can-tho"
    assert [r.version for r in CAN_THO] == ["2024.1"]
    assert [r.version for r in WITH_TEST_VERSION] == ["2024.1", "2025.1"]
    assert not any("DEMO" in r.source or "TEST" in r.source for r in CAN_THO)
    assert CAN_THO[0].jurisdiction_name_vi == "Thành phố Cần Thơ"
    assert CAN_THO[0].effective_from == date(2024, 4, 23)  # Plan 88/KH-UBND


def test_the_2024_rule_set_stays_in_force_after_1_july_2025() -> None:
    """No Cần Thơ decision has changed a value: 2024.1 governs a case started in 2025."""
    assert rule_set_in_force("can-tho", date(2025, 7, 1)).version == "2024.1"


def test_every_packaged_effective_date_cites_its_decision() -> None:
    for rules in CAN_THO:
        assert "88/KH-UBND" in rules.effective_from_basis, rules.version
        assert "23/4/2024" in rules.effective_from_basis, rules.version


def test_a_case_started_before_a_new_version_keeps_the_old_one() -> None:
    before = rule_set_in_force("can-tho", date(2025, 6, 30), extra_dir=TEST_RULE_SETS)
    after = rule_set_in_force("can-tho", date(2025, 7, 1), extra_dir=TEST_RULE_SETS)
    assert before.version == "2024.1"
    assert after.version == "2025.1"
    assert before.deadline(DeadlineName.SUPPLEMENT).working_days == 10
    assert after.deadline(DeadlineName.SUPPLEMENT).working_days == 15
    # The case reloads the version it recorded, whatever is in force today.
    assert rule_set("can-tho", "2024.1") == before


def test_the_plan_88_rule_set_takes_effect_on_23_april_2024() -> None:
    assert rule_set_in_force("can-tho", date(2024, 4, 23)).version == "2024.1"
    with pytest.raises(RuleSetError, match="first takes effect on 2024-04-23"):
        rule_set_in_force("can-tho", date(2024, 4, 22))


def test_an_unknown_version_is_an_error() -> None:
    with pytest.raises(RuleSetError, match=r"can-tho 2023\.9 does not exist"):
        rule_set("can-tho", "2023.9")


def test_selection_takes_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError):
        rule_set_in_force("can-tho", datetime(2025, 7, 1, 8, 0))


def test_the_2025_test_version_changes_only_the_supplement_answer() -> None:
    old, demo = WITH_TEST_VERSION
    changed = [
        name
        for name in DeadlineName
        if old.deadline(name).working_days != demo.deadline(name).working_days
    ]
    assert changed == [DeadlineName.SUPPLEMENT]
    assert "TEST DATA" in demo.source


def test_art8_approval_meeting_due_7_working_days_after_receipt_across_tet_2026() -> None:
    rules = rule_set_in_force("can-tho", date(2026, 2, 13))
    # Received Fri 13/2/2026; Tết 14–22/2 is off: Mon 23/2 (1) … Fri 27/2 (5), Mon 2/3 (6),
    # Tue 3/3 (7).
    assert rules.due_date(DeadlineName.APPROVAL, date(2026, 2, 13)) == date(2026, 3, 3)
    assert rules.deadline(DeadlineName.APPROVAL).legal_basis == "ND73 Art 8 §1"


def test_art8_approval_meeting_across_tet_2025() -> None:
    rules = rule_set_in_force("can-tho", date(2025, 1, 22))
    # Received Wed 22/1/2025: Thu 23 (1), Fri 24 (2); Tết 25/1–2/2 off; Mon 3/2 (3) … Thu 6/2 (6),
    # Fri 7/2 (7).
    assert rules.due_date(DeadlineName.APPROVAL, date(2025, 1, 22)) == date(2025, 2, 7)


def test_completion_report_counts_the_swapped_saturday_of_april_2025() -> None:
    rules = rule_set_in_force("can-tho", date(2025, 4, 25))
    # Completed Fri 25/4/2025: Sat 26/4 worked (1), Mon 28 (2), Tue 29 (3); 30/4–4/5 off;
    # Mon 5/5 (4), Tue 6/5 (5).
    assert rules.due_date(DeadlineName.COMPLETION_REPORT, date(2025, 4, 25)) == date(2025, 5, 6)


def test_evaluation_meeting_across_national_day_2026() -> None:
    rules = rule_set_in_force("can-tho", date(2026, 8, 28))
    # Report received Fri 28/8/2026; 29/8–2/9 off: Thu 3/9 (1) … Fri 11/9 (7).
    assert rules.due_date(DeadlineName.EVALUATION, date(2026, 8, 28)) == date(2026, 9, 11)


def test_warning_comes_two_working_days_before_the_due_date() -> None:
    rules = rule_set_in_force("can-tho", date(2026, 2, 13))
    assert rules.warning_date(date(2026, 3, 3)) == date(2026, 2, 27)
    # Before a due date just after Tết, the reminder falls before Tết.
    assert rules.warning_date(date(2026, 2, 24)) == date(2026, 2, 13)


@pytest.mark.parametrize("rules", CAN_THO, ids=lambda r: r.version)
def test_every_rule_carries_a_legal_basis_and_confirmed_ones_cite_the_decree(
    rules: RuleSet,
) -> None:
    grounded: list[Grounded] = [
        *rules.deadlines,
        rules.deadline_warning,
        rules.approval_escalation,
        rules.vote_rule,
        rules.consultation,
    ]
    for item in grounded:
        assert item.legal_basis.strip(), item
        assert item.description.strip(), item
        if item.mark is Mark.CONFIRMED:
            assert item.legal_basis.startswith("ND73 Art "), item


def test_decree_fixed_deadlines_are_the_decrees_numbers() -> None:
    rules = CAN_THO[0]
    confirmed = {d.name: d.working_days for d in rules.deadlines if d.mark is Mark.CONFIRMED}
    assert confirmed == {
        DeadlineName.APPROVAL: 7,  # ND73 Art 8 §1
        DeadlineName.COMPLETION_REPORT: 5,
        DeadlineName.EVALUATION: 7,
    }
    assert rules.deadline(DeadlineName.CONCLUSION).working_days == 3
    assert rules.deadline(DeadlineName.CONCLUSION).mark is Mark.INFERRED
    # Art 8 §1 fixes the share and the tie; how an abstention counts is an inference.
    assert rules.vote_rule.mark is Mark.INFERRED
    assert rules.vote_rule.abstention is AbstentionRule.NOT_A_VOTE_CAST
    # Whether an Art 8 §2 consultation pauses the 7 days is not in the decree: it pauses.
    assert rules.consultation.pauses_approval_clock
    assert rules.consultation.mark is Mark.INFERRED


def test_periods_the_decree_does_not_give_are_not_rule_set_deadlines() -> None:
    """Art 4 §3 (ý kiến cấp ủy) and Art 8 §1 ¶2 (quyết định của người đứng đầu sau khi tập thể
    không thông qua) name no period: a rule set carries none, so no head is late for them."""
    names = {d.name.value for d in CAN_THO[0].deadlines}
    assert "party_committee_opinion" not in names
    assert "override_decision" not in names


def test_a_missed_approval_deadline_escalates_by_routing() -> None:
    escalation = CAN_THO[0].approval_escalation
    assert {route.routing_target for route in escalation.routes} == ROUTING_TARGETS
    assert escalation.targets_for("AGENCY_HEAD") == (
        EscalationTarget.SUPERIOR_UNIT,
        EscalationTarget.HOME_AFFAIRS,
    )
    assert escalation.targets_for("CITY_PC_VIA_DOHA") == (EscalationTarget.HOME_AFFAIRS,)


def test_a_deadline_is_looked_up_by_its_enum_and_a_typo_fails() -> None:
    rules = CAN_THO[0]
    assert rules.deadline(DeadlineName("intake")).working_days == 3
    with pytest.raises(ValueError, match="approval_meting"):
        rules.deadline("approval_meting")  # type: ignore[arg-type]


def test_the_packaged_calendar_overrides_are_empty_because_the_package_knows_the_swaps() -> None:
    for rules in CAN_THO:
        assert rules.calendar_overrides.extra_days_off == frozenset()
        assert rules.calendar_overrides.extra_working_days == frozenset()
        assert rules.calendar().is_working_day(date(2025, 4, 26))  # swapped Saturday
