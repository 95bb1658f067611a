"""Display names of units and people, from every version of the organisation directory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

UNKNOWN_UNIT = "(đơn vị không có trong danh bạ tổ chức)"


@dataclass(frozen=True)
class Names:
    units: Mapping[str, str] = field(default_factory=dict)
    people: Mapping[str, str] = field(default_factory=dict)
    heads: Mapping[str, str] = field(default_factory=dict)
    """unit id → the name of its head (for the signature block)."""
    superiors: Mapping[str, str] = field(default_factory=dict)
    """unit id → its superior unit id."""
    kinds: Mapping[str, str] = field(default_factory=dict)
    """unit id → its kind (city_pc, department, commune_pc…), for the signature block."""
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    """unit id → its abbreviation (SNV, UBND…), for the "Số: …/BC-…" line."""

    def unit(self, unit_id: str | None) -> str:
        """The unit's name; a unit no directory version knows reads as such, never as its id
        (ids do not go on paper)."""
        if not unit_id:
            return ""
        return self.units.get(unit_id, UNKNOWN_UNIT)

    def person(self, person_id: str | None) -> str:
        return "" if not person_id else self.people.get(person_id, person_id)

    def head(self, unit_id: str) -> str:
        return self.heads.get(unit_id, "")

    def superior(self, unit_id: str) -> str | None:
        return self.superiors.get(unit_id)


SIGNERS = {
    "city_pc": "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH",
    "district_pc": "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH",
    "commune_pc": "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH",
    "department": "GIÁM ĐỐC",
    "public_service_unit": "THỦ TRƯỞNG ĐƠN VỊ",
    "enterprise": "NGƯỜI ĐẠI DIỆN PHẦN VỐN NHÀ NƯỚC",
}
"""Who signs for each kind of unit (Decree 30/2020/NĐ-CP: a People's Committee signs "TM.",
on behalf of the collective; a department's director signs in his own title)."""


def number_line(names: Names, unit_id: str) -> str:
    """ "Số:        /BC-SNV": the report's number is left blank for the issuing office."""
    abbreviation = names.abbreviations.get(unit_id, "")
    return f"Số:        /BC-{abbreviation}" if abbreviation else "Số:        /BC"


def signer_title(names: Names, unit_id: str) -> str:
    return SIGNERS.get(names.kinds.get(unit_id, ""), "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ")
