"""Implementation: resources (Art 10 §2), the start (never before the approval, Art 8 §1),
progress, the head's written directions (suspend, resume, stop) and the completion report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.approval.domain import legal_basis
from services.approval.domain.case_values import (
    Completion,
    DamageReport,
    ProgressReport,
    ResourceAllocation,
)
from services.approval.domain.errors import (
    COMPLETION_BEFORE_START,
    IMPLEMENTATION_BEFORE_APPROVAL,
    FieldProblems,
    LegalStep,
)
from services.approval.domain.record import (
    CaseEvent,
    CaseRecord,
    DirectionGiven,
    check_legal_date,
    texts,
)
from services.approval.domain.states import Command
from shared.contracts.bounds import copy_json
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date


class ResourcesAllocated(CaseEvent):
    equipment: list[str]
    staff: list[str]
    funding_vnd: Decimal | None
    source_ref: str

    def record_in(self, case: CaseRecord) -> None:
        case._resources.append(
            ResourceAllocation(
                equipment=tuple(self.equipment),
                staff=tuple(self.staff),
                funding_vnd=self.funding_vnd,
                source_ref=self.source_ref,
                allocated_at=self.stamp["at"],
            )
        )


class ImplementationStarted(CaseEvent):
    start_date: date
    entered_late: bool = False

    def record_in(self, case: CaseRecord) -> None:
        case._started_on = self.start_date


class ProgressReported(CaseEvent):
    period: str
    progress_percent: int
    issues: str
    risk_of_damage: bool

    def record_in(self, case: CaseRecord) -> None:
        case._progress.append(
            ProgressReport(
                period=self.period,
                progress_percent=self.progress_percent,
                issues=self.issues,
                risk_of_damage=self.risk_of_damage,
                reported_at=self.stamp["at"],
            )
        )


class ImplementationSuspended(DirectionGiven):
    KIND = "SUSPEND"
    reasons: list[str]


class ImplementationResumed(DirectionGiven):
    KIND = "RESUME"
    GROUNDS = "conditions"
    conditions: list[str]


class ImplementationStopped(DirectionGiven):
    KIND = "STOP"
    reasons: list[str]


DIRECTIONS: dict[Command, type[DirectionGiven]] = {
    Command.SUSPEND: ImplementationSuspended,
    Command.RESUME: ImplementationResumed,
    Command.STOP: ImplementationStopped,
}


class CompletionReported(CaseEvent):
    completed_on: date
    reported_on: date
    report_due: date
    late: bool
    after_stop: bool
    results_vs_targets: list[dict[str, object]]
    resources_used: dict[str, object]
    damage: DamageReport
    evaluation_due: date
    entered_late: bool = False

    def record_in(self, case: CaseRecord) -> None:
        case._completion = Completion.recorded_by(
            self, results_vs_targets=tuple(self.results_vs_targets)
        )
        case._open_heads_deadline(
            DeadlineName.EVALUATION, self.evaluation_due, legal_basis.EVALUATION_MEETING
        )


class Implementation(CaseRecord):
    """The commands of implementation."""

    def allocate_resources(
        self,
        actor: Actor,
        at: datetime,
        *,
        source_ref: str,
        equipment: Sequence[str] = (),
        staff: Sequence[str] = (),
        funding_vnd: Decimal | None = None,
    ) -> None:
        """Bảo đảm nguồn lực: equipment, people and funding, case by case (Art 10 §2)."""
        who = self._admit(Command.ALLOCATE_RESOURCES, actor, at)
        self._record(
            ResourcesAllocated,
            Command.ALLOCATE_RESOURCES,
            who,
            at,
            legal_basis.RESOURCES,
            equipment=texts(equipment),
            staff=texts(staff),
            funding_vnd=funding_vnd,
            source_ref=source_ref,
        )

    def start_implementation(self, actor: Actor, at: datetime, *, start_date: date) -> None:
        """Bắt đầu thực hiện, never before the approval's legal date (Art 8 §1: implemented
        only once the competent authority authorised it)."""
        who = self._admit(Command.START_IMPLEMENTATION, actor, at)
        problems = FieldProblems()
        check_legal_date(
            problems,
            "start_date",
            start_date,
            at,
            after=LegalStep.APPROVAL,
            earlier=self._approved_on,
            rule=IMPLEMENTATION_BEFORE_APPROVAL,
        )
        problems.raise_if_any()
        self._record(
            ImplementationStarted,
            Command.START_IMPLEMENTATION,
            who,
            at,
            legal_basis.IMPLEMENTATION,
            CaseState.IN_IMPLEMENTATION,
            start_date=start_date,
            entered_late=local_date(at) > start_date,
        )

    def report_progress(
        self,
        actor: Actor,
        at: datetime,
        *,
        period: str,
        progress_percent: int,
        issues: str = "",
        risk_of_damage: bool = False,
    ) -> None:
        who = self._admit(Command.REPORT_PROGRESS, actor, at)
        self._record(
            ProgressReported,
            Command.REPORT_PROGRESS,
            who,
            at,
            legal_basis.PROGRESS,
            period=period,
            progress_percent=progress_percent,
            issues=issues,
            risk_of_damage=bool(risk_of_damage),
        )

    def suspend(
        self,
        actor: Actor,
        at: datetime,
        *,
        decision_ref: str,
        reasons: Sequence[str],
    ) -> None:
        """Tạm dừng — a written, reasoned decision of the approving head (form M4)."""
        self._direct(Command.SUSPEND, CaseState.SUSPENDED, actor, at, decision_ref, reasons)

    def resume(
        self,
        actor: Actor,
        at: datetime,
        *,
        decision_ref: str,
        conditions: Sequence[str] = (),
    ) -> None:
        """Tiếp tục — the written decision to continue, with any conditions."""
        self._direct(
            Command.RESUME, CaseState.IN_IMPLEMENTATION, actor, at, decision_ref, conditions
        )

    def stop(
        self,
        actor: Actor,
        at: datetime,
        *,
        decision_ref: str,
        reasons: Sequence[str],
    ) -> None:
        """Dừng — a written, reasoned decision; a final report of partial results follows."""
        self._direct(Command.STOP, CaseState.STOPPED, actor, at, decision_ref, reasons)

    def _direct(
        self,
        command: Command,
        target: CaseState,
        actor: Actor,
        at: datetime,
        decision_ref: str,
        grounds: Sequence[str],
    ) -> None:
        who = self._admit(command, actor, at)
        direction = DIRECTIONS[command]
        self._record(
            direction,
            command,
            who,
            at,
            legal_basis.DIRECTIONS,
            target,
            decision_ref=decision_ref,
            **{direction.GROUNDS: texts(grounds)},
        )

    def report_completion(
        self,
        actor: Actor,
        at: datetime,
        *,
        completed_on: date,
        results_vs_targets: Sequence[Mapping[str, Any]],
        resources_used: Mapping[str, Any],
        damage: Mapping[str, Any],
        report_due: date,
        evaluation_due: date,
        reported_on: date | None = None,
    ) -> None:
        """Báo cáo kết quả in writing, due 5 working days after completion (form M5).

        After a stop this is the final report of partial results. `reported_on` is the legal
        date the authority received the report (default: the day it is entered): the report is
        late when that day is after `report_due`, and `evaluation_due` (7 working days) counts
        from it, so a report entered late never moves the evaluation meeting's deadline.
        """
        command = Command.REPORT_COMPLETION
        who = self._admit(command, actor, at)
        problems = FieldProblems()
        valid_completion = check_legal_date(
            problems,
            "completed_on",
            completed_on,
            at,
            after=LegalStep.IMPLEMENTATION_STARTED,
            earlier=self._started_on,
            rule=COMPLETION_BEFORE_START,
        )
        received = local_date(at) if reported_on is None else reported_on
        valid_receipt = check_legal_date(
            problems,
            "reported_on",
            received,
            at,
            after=LegalStep.COMPLETED,
            earlier=completed_on if valid_completion else None,
        )
        problems.require_date(
            "report_due", report_due, not_before=completed_on if valid_completion else None
        )
        problems.require_date(
            "evaluation_due", evaluation_due, not_before=received if valid_receipt else None
        )
        problems.raise_if_any()
        self._record(
            CompletionReported,
            command,
            who,
            at,
            legal_basis.COMPLETION_REPORT,
            CaseState.COMPLETION_REPORTED,
            completed_on=completed_on,
            reported_on=received,
            report_due=report_due,
            late=received > report_due,
            entered_late=local_date(at) > received,
            after_stop=self.state is CaseState.STOPPED,
            results_vs_targets=[copy_json(dict(r)) for r in results_vs_targets],
            resources_used=copy_json(dict(resources_used)),
            damage={
                "occurred": bool(damage.get("occurred")),
                "description": str(damage.get("description") or ""),
                "estimate": damage.get("estimate"),
            },
            evaluation_due=evaluation_due,
        )
