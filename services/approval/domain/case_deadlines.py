"""Running clocks: a reminder before a deadline (sắp đến hạn) and its breach (quá hạn), each
recorded once; and the closing of the file (lưu trữ), which stops every clock."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from services.approval.domain import legal_basis
from services.approval.domain.errors import Conflict, FieldProblems
from services.approval.domain.record import CaseEvent, CaseRecord
from services.approval.domain.states import Command
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor


class DeadlineApproaching(CaseEvent):
    deadline: str
    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None

    def record_in(self, case: CaseRecord) -> None:
        case._mark_deadline(self.deadline, approaching=True)


class DeadlineBreached(CaseEvent):
    deadline: str
    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None
    escalated_to: dict[str, str] | None

    def record_in(self, case: CaseRecord) -> None:
        case._mark_deadline(self.deadline, breached=True)


class CaseClosed(CaseEvent):
    summary: str

    def record_in(self, case: CaseRecord) -> None:
        case._deadlines.clear()


class Deadlines(CaseRecord):
    """The scheduler's commands on a case's clocks, and closing the file."""

    def note_deadline_approaching(
        self, actor: Actor, at: datetime, *, deadline: DeadlineName | str
    ) -> bool:
        """Sắp đến hạn — a reminder; noting the same deadline again records nothing."""
        command = Command.NOTE_DEADLINE_APPROACHING
        who = self._admit(command, actor, at)
        entry = self._open_deadline_named(deadline)
        if entry.approaching_noted:
            return False
        if entry.is_overdue(at):
            raise Conflict(f"the {entry.name} deadline has passed; record a breach instead")
        self._record(
            DeadlineApproaching,
            command,
            who,
            at,
            entry.legal_basis,
            **entry.notice(),
        )
        return True

    def record_deadline_breach(
        self,
        actor: Actor,
        at: datetime,
        *,
        deadline: DeadlineName | str,
        escalate_to: Mapping[str, str] | None = None,
    ) -> bool:
        """Quá hạn — who is late; an overdue approval is escalated (superior unit or Sở Nội vụ).

        Recording the same breach twice records nothing and returns False. There is no deemed
        approval: the case stays where it is, with the deadline marked breached.
        """
        command = Command.RECORD_DEADLINE_BREACH
        who = self._admit(command, actor, at)
        entry = self._open_deadline_named(deadline)
        if entry.breached:
            return False
        if not entry.is_overdue(at):
            raise Conflict(f"the {entry.name} deadline ({entry.due.isoformat()}) has not passed")
        problems = FieldProblems()
        escalation: dict[str, str] | None = None
        if escalate_to is not None:
            escalation = {
                "target": str(escalate_to.get("target")),
                "unit_id": str(escalate_to.get("unit_id") or ""),
            }
        elif entry.name is DeadlineName.APPROVAL:
            problems.add("escalate_to", "an overdue approval must be escalated")
        problems.raise_if_any()
        self._record(
            DeadlineBreached,
            command,
            who,
            at,
            entry.legal_basis,
            escalated_to=escalation,
            **entry.notice(),
        )
        return True

    def close(self, actor: Actor, at: datetime, *, summary: str = "") -> None:
        """Lưu trữ — archive the file once recognition or protection is settled, or once it
        was rejected or withdrawn."""
        who = self._admit(Command.CLOSE, actor, at)
        self._record(
            CaseClosed,
            Command.CLOSE,
            who,
            at,
            legal_basis.CLOSING,
            CaseState.CLOSED,
            summary=summary,
        )
