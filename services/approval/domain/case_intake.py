"""Intake (tiếp nhận): the plan is asked to be completed, supplemented, then received complete
(Plan 88 II.3; Art 8 §1 counts from the day the authority holds the complete plan)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.approval.domain import legal_basis
from services.approval.domain.case_values import Plan
from services.approval.domain.record import CaseEvent, CaseRecord, require_due, texts
from services.approval.domain.states import Command
from shared.contracts.bounds import copy_json
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date

INTAKE_BASIS = f"{legal_basis.PLAN88} II.3 (rule set)"


class SupplementRequested(CaseEvent):
    items: list[str]
    reason: str
    due: date
    responsible_user_id: str
    responsible_unit_id: str

    def record_in(self, case: CaseRecord) -> None:
        case._close_deadline(DeadlineName.INTAKE)
        case._open_deadline(
            DeadlineName.SUPPLEMENT,
            self.due,
            self.responsible_user_id,
            self.responsible_unit_id,
            legal_basis.SUPPLEMENT,
        )


class SupplementProvided(CaseEvent):
    changed_fields: list[str]
    attachments: list[str]
    plan: dict[str, object] | None
    intake_due: date
    supplemented_on: date | None = None

    def record_in(self, case: CaseRecord) -> None:
        case._supplement_rounds += 1
        case._plan_complete_on = self.supplemented_on or local_date(self.stamp["at"])
        if self.plan is not None:
            case._plan = Plan.of(self.plan)
        case._close_deadline(DeadlineName.SUPPLEMENT)
        unit_id = case._routing.intake_unit_id
        case._open_deadline(DeadlineName.INTAKE, self.intake_due, None, unit_id, INTAKE_BASIS)


class PlanReceived(CaseEvent):
    approval_due: date
    head_id: str
    recipient_unit_id: str
    received_on: date | None = None
    entered_late: bool = False

    def record_in(self, case: CaseRecord) -> None:
        case._received_at = self.stamp["at"]
        case._received_on = self.received_on or local_date(self.stamp["at"])
        case._close_deadline(DeadlineName.INTAKE)
        case._open_deadline(
            DeadlineName.APPROVAL,
            self.approval_due,
            self.head_id,
            self.recipient_unit_id,
            legal_basis.APPROVAL_MEETING,
        )


class Intake(CaseRecord):
    """The commands of intake."""

    def request_supplement(
        self,
        actor: Actor,
        at: datetime,
        *,
        items: Sequence[str],
        reason: str,
        due: date,
    ) -> None:
        """Yêu cầu bổ sung: the plan lacks some Art 7 §2 contents."""
        who = self._admit(Command.REQUEST_SUPPLEMENT, actor, at)
        require_due("due", due, not_before=local_date(at))
        self._record(
            SupplementRequested,
            Command.REQUEST_SUPPLEMENT,
            who,
            at,
            legal_basis.SUPPLEMENT,
            CaseState.NEEDS_SUPPLEMENT,
            items=texts(items),
            reason=reason,
            due=due,
            responsible_user_id=self._proposer.user_id,
            responsible_unit_id=self._proposer.unit_id,
        )

    def provide_supplement(
        self,
        actor: Actor,
        at: datetime,
        *,
        changed_fields: Sequence[str],
        intake_due: date,
        attachments: Sequence[str] = (),
        plan: Mapping[str, Any] | None = None,
        supplemented_on: date | None = None,
    ) -> None:
        """From registration's `supplemented`: the plan comes back to intake, clock restarted.

        `supplemented_on` is the legal date the supplement reached the authority: if the plan
        is then received as complete, the Art 8 §1 clock runs from it."""
        who = self._admit(Command.PROVIDE_SUPPLEMENT, actor, at)
        # From an upstream event that may arrive late: an already-past due date is a breach.
        require_due("intake_due", intake_due)
        self._record(
            SupplementProvided,
            Command.PROVIDE_SUPPLEMENT,
            who,
            at,
            legal_basis.SUPPLEMENT,
            CaseState.IN_INTAKE,
            changed_fields=texts(changed_fields),
            attachments=texts(attachments),
            plan=None if plan is None else copy_json(dict(plan)),
            intake_due=intake_due,
            supplemented_on=supplemented_on or local_date(at),
        )

    def receive_plan(self, actor: Actor, at: datetime, *, approval_due: date) -> None:
        """Tiếp nhận: the plan is complete; the 7 working days of Art 8 §1 run from the day the
        authority received it complete (`plan_complete_on`), not from the clerk's click, so a
        late acceptance is flagged and never moves the deadline."""
        who = self._admit(Command.RECEIVE_PLAN, actor, at)
        require_due("approval_due", approval_due, not_before=self._plan_complete_on)
        self._record(
            PlanReceived,
            Command.RECEIVE_PLAN,
            who,
            at,
            legal_basis.RECEIVED,
            CaseState.UNDER_REVIEW,
            approval_due=approval_due,
            head_id=self._head_id,
            recipient_unit_id=self._routing.recipient_unit_id,
            received_on=self._plan_complete_on,
            entered_late=local_date(at) > self._plan_complete_on,
        )
