"""Các hành vi bị nghiêm cấm — the five prohibited acts of Art 6.

§1 and §2 are confirmed from quoted text; the order of §3–5 is inferred from the paraphrases
(domain.md §6.3, §9.3) and should be checked against the official text.
"""

from __future__ import annotations

from enum import StrEnum


class ProhibitedAct(StrEnum):
    ABUSE_FOR_CORRUPTION = "ART6_1"
    """§1: using the policy to commit or hide corruption, profiteering or violations."""
    OBSTRUCTION_OR_RETALIATION = "ART6_2"
    """§2: obstructing, causing difficulties for, or insulting the official and those involved."""
    NOT_IMPLEMENTING_AS_DECIDED = "ART6_3"
    """§3 [I]: ignoring task assignments, not carrying the proposal out as decided."""
    IGNORING_DIRECTIONS = "ART6_4"
    """§4 [I]: not following the directions to continue, suspend or stop."""
    SHIRKING_RESPONSIBILITY = "ART6_5"
    """§5 [I]: avoiding or shifting responsibility during approval or implementation."""

    @property
    def clause(self) -> int:
        return int(self.value.rsplit("_", 1)[1])
