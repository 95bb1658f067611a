"""Art 11 tiers, on the pure determination function."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.protection import (
    ProtectionFacts,
    ProtectionTier,
    determine_protection,
)

CLEAN = ProtectionFacts(
    official_is_eligible=True,
    art5_conditions_met=True,
    approved_under_art8=True,
    implemented_as_decided=True,
    directions_followed=True,
    prohibited_act_found=False,
    outcome=EvaluationOutcome.COMPLETED,
    good_faith=True,
    caused_damage=False,
)


def test_art11_1_completed_result_means_no_liability() -> None:
    finding = determine_protection(CLEAN)
    assert finding.tier is ProtectionTier.NO_LIABILITY
    assert finding.legal_basis == "ND73 Art 11 §1"


@pytest.mark.parametrize("outcome", [EvaluationOutcome.PARTIAL, EvaluationOutcome.NOT_COMPLETED])
def test_art11_2_partial_or_not_completed_in_good_faith_excludes_liability(
    outcome: EvaluationOutcome,
) -> None:
    finding = determine_protection(replace(CLEAN, outcome=outcome))
    assert finding.tier is ProtectionTier.LIABILITY_EXCLUDED
    assert finding.legal_basis == "ND73 Art 11 §2"


def test_art11_2_without_good_faith_no_protection() -> None:
    facts = replace(CLEAN, outcome=EvaluationOutcome.PARTIAL, good_faith=False)
    assert determine_protection(facts).tier is ProtectionTier.NONE


def test_art11_1_completed_with_damage_is_still_tier_1() -> None:
    """ "không bị xử lý trách nhiệm": Art 11 §1 has no damage condition; a completed result
    that caused damage is tier 1, with or without a good-faith finding."""
    damaged = replace(CLEAN, caused_damage=True)
    finding = determine_protection(damaged)
    assert finding.tier is ProtectionTier.NO_LIABILITY
    assert finding.legal_basis == "ND73 Art 11 §1"
    assert determine_protection(replace(damaged, good_faith=False)).tier is (
        ProtectionTier.NO_LIABILITY
    )


@pytest.mark.parametrize("outcome", [EvaluationOutcome.PARTIAL, EvaluationOutcome.NOT_COMPLETED])
def test_art11_3_damage_only_separates_tier_2_from_tier_3(outcome: EvaluationOutcome) -> None:
    """ "loại trừ, miễn, giảm nhẹ": not completed, good faith, and damage → §3; no good faith,
    no protection."""
    damaged = replace(CLEAN, outcome=outcome, caused_damage=True)
    finding = determine_protection(damaged)
    assert finding.tier is ProtectionTier.EXCLUSION_EXEMPTION_OR_MITIGATION
    assert finding.legal_basis == "ND73 Art 11 §3"
    assert determine_protection(replace(damaged, good_faith=False)).tier is ProtectionTier.NONE


@pytest.mark.parametrize(
    "failed",
    [
        "official_is_eligible",
        "art5_conditions_met",
        "approved_under_art8",
        "implemented_as_decided",
        "directions_followed",
    ],
)
def test_art11_preconditions_each_required(failed: str) -> None:
    unmet: dict[str, Any] = {failed: False}
    finding = determine_protection(replace(CLEAN, **unmet))
    assert finding.tier is ProtectionTier.NONE
    assert len(finding.reasons) == 1


def test_art6_finding_removes_protection_in_every_tier() -> None:
    for outcome in EvaluationOutcome:
        for damage in (False, True):
            facts = replace(CLEAN, outcome=outcome, caused_damage=damage, prohibited_act_found=True)
            assert determine_protection(facts).tier is ProtectionTier.NONE
