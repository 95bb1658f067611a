"""Display names of units and people, from the organisation directory (ids when unknown)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Names:
    units: Mapping[str, str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)
    heads: Mapping[str, str] = field(default_factory=dict)
    """unit id → the name of its head (for the signature block)."""
    superiors: Mapping[str, str] = field(default_factory=dict)
    """unit id → its superior unit id."""

    def unit(self, unit_id: str | None) -> str:
        return "" if not unit_id else self.units.get(unit_id, unit_id)

    def person(self, person_id: str | None) -> str:
        return "" if not person_id else self.people.get(person_id, person_id)

    def head(self, unit_id: str) -> str:
        return self.heads.get(unit_id, "")

    def superior(self, unit_id: str) -> str | None:
        return self.superiors.get(unit_id)
