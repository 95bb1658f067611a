"""Biện pháp khuyến khích — the encouragement forms of Art 10 §1 and who may receive them."""

from __future__ import annotations

from enum import StrEnum

from services.approval.domain import legal_basis


class EncouragementForm(StrEnum):
    PRAISE = "PRAISE"
    """§1a: biểu dương before the agency collective."""
    COMMENDATION = "COMMENDATION"
    """§1a: khen thưởng under the law on emulation and commendation."""
    APPOINTMENT_PRIORITY = "APPOINTMENT_PRIORITY"
    """§1b: a basis for classification, appointment, planning, transfer and rotation."""
    RANK_PROMOTION_MERIT = "RANK_PROMOTION_MERIT"
    """§1c: an outstanding achievement for rank promotion (nâng ngạch)."""
    EARLY_SALARY_STEP_12M = "EARLY_SALARY_STEP_12M"
    """§1c: salary step raised 12 months early (nâng bậc lương trước thời hạn)."""
    OTHER = "OTHER"
    """§1d: other forms consistent with Party rules and State law."""

    @property
    def point(self) -> str:
        return _POINTS[self]

    @property
    def requires_completed_result(self) -> bool:
        """Commendation (khen thưởng, §1a) and the §1c forms are for proposals assessed as
        completed; praise (biểu dương, §1a) is not tied to the result."""
        return self is EncouragementForm.COMMENDATION or self.point == "c"

    @property
    def legal_basis(self) -> str:
        return f"{legal_basis.ND73} Art 10 §1{self.point}"


_POINTS: dict[EncouragementForm, str] = {
    EncouragementForm.PRAISE: "a",
    EncouragementForm.COMMENDATION: "a",
    EncouragementForm.APPOINTMENT_PRIORITY: "b",
    EncouragementForm.RANK_PROMOTION_MERIT: "c",
    EncouragementForm.EARLY_SALARY_STEP_12M: "c",
    EncouragementForm.OTHER: "d",
}


class Beneficiary(StrEnum):
    """Art 10 §1: the proposer, implementers, and the employing agency and its head."""

    OFFICIAL = "OFFICIAL"
    IMPLEMENTER = "IMPLEMENTER"
    AGENCY = "AGENCY"
    HEAD = "HEAD"


PERSONAL_FORMS: frozenset[EncouragementForm] = frozenset(
    {
        EncouragementForm.APPOINTMENT_PRIORITY,
        EncouragementForm.RANK_PROMOTION_MERIT,
        EncouragementForm.EARLY_SALARY_STEP_12M,
    }
)
"""Forms about an official's career (points b and c): an agency cannot receive them, nor a person
outside Art 2 (they are measures for officials under the decree)."""
