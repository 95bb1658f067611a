"""Events published by approval on `d73.approval.case.*`."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from shared.contracts.base import IntegrationEvent


class _CaseEvent(IntegrationEvent):
    SERVICE: ClassVar[str] = "approval"
    AGGREGATE: ClassVar[str] = "case"
    case_id: UUID
    state: str


class CaseOpened(_CaseEvent):
    """The competent authority received the plan and opened its file (hồ sơ)."""

    EVENT: ClassVar[str] = "opened"
    TYPE: ClassVar[str] = "d73.case.opened.v1"
    type: Literal["d73.case.opened.v1"] = "d73.case.opened.v1"
    recipient_unit_id: str
    intake_unit_id: str
    protection_eligible: bool
    intake_due: date | None = None


APPROVAL_EVENTS: tuple[type[IntegrationEvent], ...] = (CaseOpened,)
