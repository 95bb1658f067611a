"""Open statutory deadlines of a case (thời hạn), kept so a scheduler can ask which are due.

The domain never counts working days: the application computes each due date from the calendar
and the case's rule set and passes it in. The domain only compares an instant's local date in
Vietnam (UTC+7, no daylight saving) with a due date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.calendar import local_date


class DeadlineName(StrEnum):
    INTAKE = "intake"
    """Receipt and completeness check — rule set (not in the decree)."""
    SUPPLEMENT = "supplement"
    """The proposer's supplement — rule set."""
    CONSULTATION = "consultation"
    """Opinions on a broad or complex proposal — Art 8 §2 (time not found; rule set)."""
    APPROVAL = "approval"
    """7 working days from receipt of the plan to the collective's decision — Art 8 §1."""
    EVALUATION = "evaluation"
    """7 working days from the completion report to the evaluation meeting."""
    CONCLUSION = "conclusion"
    """The written evaluation conclusion, 3 working days [I]."""


class EscalationTarget(StrEnum):
    """Where an overdue approval goes: the superior agency or Sở Nội vụ (domain.md §5 step 10)."""

    SUPERIOR_UNIT = "SUPERIOR_UNIT"
    HOME_AFFAIRS = "HOME_AFFAIRS"


@dataclass(frozen=True)
class OpenDeadline:
    """One running clock: what is due, by when, who answers for it, and what was noted."""

    name: DeadlineName
    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None
    legal_basis: str
    approaching_noted: bool = False
    breached: bool = False

    def is_overdue(self, at: datetime) -> bool:
        return local_date(at) > self.due

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name.value,
            "due": self.due,
            "responsible_user_id": self.responsible_user_id,
            "responsible_unit_id": self.responsible_unit_id,
            "legal_basis": self.legal_basis,
            "approaching_noted": self.approaching_noted,
            "breached": self.breached,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OpenDeadline:
        return cls(
            name=DeadlineName(data["name"]),
            due=data["due"],
            responsible_user_id=data["responsible_user_id"],
            responsible_unit_id=data["responsible_unit_id"],
            legal_basis=data["legal_basis"],
            approaching_noted=bool(data["approaching_noted"]),
            breached=bool(data["breached"]),
        )
