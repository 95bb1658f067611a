"""Open statutory deadlines of a case (thời hạn), kept so a scheduler can ask which are due.

The domain never counts working days: the application computes each due date from the calendar
and the case's rule set and passes it in. The domain only compares an instant's local date in
Vietnam (UTC+7, no daylight saving) with a due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypedDict

from eventsourcing.persistence import Transcoding

from shared.contracts.vocabulary import DeadlineName
from shared.kernel.calendar import local_date


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

    def notice(self) -> DeadlineNoticed:
        """What a reminder or a breach records of the clock: its name, due date and who
        answers for it."""
        return {
            "deadline": self.name.value,
            "due": self.due,
            "responsible_user_id": self.responsible_user_id,
            "responsible_unit_id": self.responsible_unit_id,
        }


class DeadlineNoticed(TypedDict):
    """The clock as `DeadlineApproaching` and `DeadlineBreached` store it."""

    deadline: str
    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None


class OpenDeadlineAsDict(Transcoding):
    """How a snapshot of a case stores one running clock (the eventsourcing library's
    transcodings, as its cargoshipping example registers one per value type)."""

    type = OpenDeadline
    name = "open_deadline"

    def encode(self, obj: OpenDeadline) -> dict[str, object]:
        return {
            "name": obj.name.value,
            "due": obj.due.isoformat(),
            "responsible_user_id": obj.responsible_user_id,
            "responsible_unit_id": obj.responsible_unit_id,
            "legal_basis": obj.legal_basis,
            "approaching_noted": obj.approaching_noted,
            "breached": obj.breached,
        }

    def decode(self, data: dict[str, Any]) -> OpenDeadline:
        return OpenDeadline(
            name=DeadlineName(data["name"]),
            due=date.fromisoformat(data["due"]),
            responsible_user_id=data["responsible_user_id"],
            responsible_unit_id=data["responsible_unit_id"],
            legal_basis=data["legal_basis"],
            approaching_noted=bool(data["approaching_noted"]),
            breached=bool(data["breached"]),
        )
