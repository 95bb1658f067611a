"""Biện pháp bảo vệ — the Art 11 protection finding for the official.

Tiers (domain.md §9):
- NO_LIABILITY (§1, không bị xử lý trách nhiệm): the result was assessed COMPLETED.
- LIABILITY_EXCLUDED (§2, loại trừ trách nhiệm): partial or not completed, but the evaluators
  found correct policy, pure motive and the common interest (good faith).
- EXCLUSION_EXEMPTION_OR_MITIGATION (§3, loại trừ, miễn, giảm nhẹ): as §2, and damage was caused.
- NONE: a precondition failed, good faith was not found, or an Art 6 act by the official was
  found.

A completed result is §1 whether or not it caused damage: no source attaches a damage condition
to §1 ("không bị xử lý trách nhiệm"). Damage only separates §2 from §3, both of which need the
good-faith finding of the collective's evaluation conclusion. Each official who proposed or
implemented the proposal (within Art 2) gets a finding of their own. The system records the
finding; actual exemption is applied by the competent body under the relevant law.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.approval.domain import legal_basis
from services.approval.domain.evaluation import EvaluationOutcome


class ProtectionTier(StrEnum):
    NO_LIABILITY = "NO_LIABILITY"
    LIABILITY_EXCLUDED = "LIABILITY_EXCLUDED"
    EXCLUSION_EXEMPTION_OR_MITIGATION = "EXCLUSION_EXEMPTION_OR_MITIGATION"
    NONE = "NONE"


@dataclass(frozen=True)
class ProtectionFacts:
    """What the Art 11 finding rests on; the preconditions come from Art 4–6 [I]."""

    official_is_eligible: bool
    """Art 2: leaders/managers, incl. titles in state-owned enterprises and state-capital
    representatives, are officials under the decree."""
    art5_conditions_met: bool
    """Art 5 §1 a–d all hold."""
    approved_under_art8: bool
    """Approved by the collective's vote or the head's written decision (Art 7–8)."""
    implemented_as_decided: bool
    directions_followed: bool
    """Continue / suspend / stop directions were followed (Art 6)."""
    prohibited_act_found: bool
    """A substantiated Art 6 finding against the official."""
    outcome: EvaluationOutcome
    good_faith: bool
    caused_damage: bool


@dataclass(frozen=True)
class ProtectionFinding:
    tier: ProtectionTier
    legal_basis: str
    reasons: tuple[str, ...]


def _unmet_preconditions(facts: ProtectionFacts) -> list[str]:
    unmet = []
    if not facts.official_is_eligible:
        unmet.append("the official is not within Art 2 (leader/manager)")
    if not facts.art5_conditions_met:
        unmet.append("the Art 5 §1 conditions are not all met")
    if not facts.approved_under_art8:
        unmet.append("the proposal was not approved under Art 7–8")
    if not facts.implemented_as_decided:
        unmet.append("the proposal was not implemented as decided")
    if not facts.directions_followed:
        unmet.append("the continue/suspend/stop directions were not followed")
    if facts.prohibited_act_found:
        unmet.append("an Art 6 prohibited act by the official was found")
    return unmet


def determine_protection(facts: ProtectionFacts) -> ProtectionFinding:
    """The Art 11 tier that the evaluating agency may record for one official.

    A completed result is §1 whether or not it caused damage; damage only separates §2 from §3.
    """
    unmet = _unmet_preconditions(facts)
    if unmet:
        return ProtectionFinding(ProtectionTier.NONE, legal_basis.PROTECTION, tuple(unmet))
    if facts.outcome is EvaluationOutcome.COMPLETED:
        return ProtectionFinding(
            ProtectionTier.NO_LIABILITY,
            f"{legal_basis.PROTECTION} §1",
            ("the result was assessed as completed",),
        )
    if not facts.good_faith:
        return ProtectionFinding(
            ProtectionTier.NONE,
            legal_basis.PROTECTION,
            ("not fully completed and the collective did not find good faith",),
        )
    if facts.caused_damage:
        return ProtectionFinding(
            ProtectionTier.EXCLUSION_EXEMPTION_OR_MITIGATION,
            f"{legal_basis.PROTECTION} §3",
            (
                "not fully completed and damage was caused; correct policy, pure motive and "
                "common interest found",
            ),
        )
    return ProtectionFinding(
        ProtectionTier.LIABILITY_EXCLUDED,
        f"{legal_basis.PROTECTION} §2",
        ("not fully completed; correct policy, pure motive and common interest found",),
    )
