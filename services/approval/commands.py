"""The case's commands as objects (issue #13 point 3): what each command carries, the body it
is given in over HTTP, and what it does to the case with the due dates the service computes.

`ApprovalApplication.handle(command, actor)` loads the case, has the command `apply` itself,
and commits; `api/commands.py` derives one `POST /cases/{id}/<path>` from each command here,
and `consumers.py` maps registration's events to `ProvideSupplement` and `Withdraw`. A new
command is a class here (with its body), a `Command` member and `TRANSITIONS` row in
`domain/states.py`, the method and its event class in the stage's `domain/case_<stage>.py`, and
its published contract.

The body models check the input's shape at the edge (422, every field problem listed); each
command checks its own input again when it is built (`check_input`: required fields, ranges,
members of a vocabulary), whoever builds it, raising the domain's `Invalid`; the case checks
only authority, state and its own record (legal dates against earlier steps included). Due
dates are never in a body: they come from the case's rule set, in Vietnam's time zone, in
working days (`case_rules.CaseRules`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Protocol, Self, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.approval.case_rules import CaseRules
from services.approval.domain.case import Case
from services.approval.domain.encouragement import PERSONAL_FORMS, Beneficiary, EncouragementForm
from services.approval.domain.errors import FieldProblems
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.prohibited_acts import ProhibitedAct
from services.approval.domain.record import member_of
from services.approval.domain.vote import VoteStage
from shared.contracts.approval import (
    BallotChoice,
    BeneficiaryKind,
    ConsulteeKind,
    DeadlineNameValue,
    EncouragementFormName,
    EscalationTargetName,
    EvaluationOutcomeName,
    ProhibitedActCode,
    VoteStageName,
)
from shared.contracts.bounds import (
    MAX_COMMAND_BYTES,
    MAX_JSON_DEPTH,
    MAX_LIST_ITEMS,
    MAX_SAFE_INTEGER,
    JsonObject,
    Line,
    Lines,
    MoneyVnd,
    Percent,
    Text,
    Texts,
    command_size_problem,
    json_problem,
)
from shared.contracts.vocabulary import CASE_CLOCKS, CaseState, EscalationTarget
from shared.contracts.vocabulary import DeadlineName as Clock
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date

# ---------------------------------------------------------------- HTTP bodies


class Command(BaseModel):
    """A command's HTTP body: every field bounded (shared.contracts.bounds), and the whole of it
    small enough that the event it causes fits one NATS message."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"x-max-bytes": MAX_COMMAND_BYTES})

    @model_validator(mode="after")
    def _fits_one_event(self) -> Self:
        problem = command_size_problem(self.model_dump(mode="json"))
        if problem is not None:
            raise ValueError(problem)
        return self


class BallotIn(Command):
    member_id: Line
    ballot: BallotChoice


class ConsulteeIn(Command):
    id: Line
    kind: ConsulteeKind
    name: Line = ""


class RequestSupplementCommand(Command):
    items: Texts = Field(description="What the plan lacks (Art 7 §2)")
    reason: Text


class RequestConsultationCommand(Command):
    consultees: list[ConsulteeIn] = Field(max_length=MAX_LIST_ITEMS)
    questions: Text


class ConsultationOpinionCommand(Command):
    consultee_id: Line
    opinion: Text
    doc_ref: Line = Field(description="Reference of the written opinion")


class CloseConsultationCommand(Command):
    summary: Text = ""


class RequestPartyOpinionCommand(Command):
    stage: VoteStageName = Field(description="Before approval or before evaluation (Art 4 §3)")
    committee_id: Line = Field(description="The same-level Party committee (cấp ủy)")


class PartyOpinionCommand(Command):
    stage: VoteStageName
    opinion: Text
    doc_ref: Line


class ApprovalMeetingCommand(Command):
    held_on: date
    ballots: list[BallotIn] = Field(
        description="One per member who voted (Art 8 §1)", max_length=MAX_LIST_ITEMS
    )
    minutes_ref: Line = Field(description="Biên bản họp (form M2)")
    implementer_ids: Lines | None = Field(
        None,
        description="Default: the proposer. Each is placed in the directory: those within Art 2 "
        "get their own encouragement and protection (Art 10, Art 11)",
    )
    decision_ref: Line = ""
    decision_signed_on: date | None = Field(
        None,
        description="Legal date the written approval decision was signed, when after the "
        "meeting: the implementation may not start before it",
    )


class OverrideCommand(Command):
    justification: Text = Field(description="Why the head judges it necessary and feasible")
    decision_ref: Line = Field(description="The head's written decision (Art 8 §1 ¶2)")
    implementer_ids: Lines | None = None
    signed_on: date | None = Field(
        None,
        description="Legal date the head signed the decision (default: today); never before "
        "the meeting, never in the future",
    )


class ConfirmRejectionCommand(Command):
    reasons: Texts
    decision_ref: Line
    signed_on: date | None = Field(
        None,
        description="Legal date the head signed the decision (default: today); never before "
        "the meeting, never in the future",
    )


class AllocateResourcesCommand(Command):
    source_ref: Line
    equipment: Lines = []
    staff: Lines = []
    funding_vnd: MoneyVnd | None = Field(None, description="Whole đồng")


class StartImplementationCommand(Command):
    start_date: date


class ReportProgressCommand(Command):
    period: Line
    progress_percent: Percent
    issues: Text = ""
    risk_of_damage: bool = False


class DirectionCommand(Command):
    """Tạm dừng / dừng — a written, reasoned decision (form M4)."""

    decision_ref: Line
    reasons: Texts


class ResumeCommand(Command):
    decision_ref: Line
    conditions: Texts = []


class ResultRow(BaseModel):
    """One row of the completion report; implementers may add their own columns, bounded like
    any free-form JSON."""

    model_config = ConfigDict(extra="allow")
    target: Text
    result: Text

    @model_validator(mode="after")
    def _bounded_columns(self) -> Self:
        problem = json_problem(self.model_extra or {}, max_depth=MAX_JSON_DEPTH - 2)
        if problem is not None:
            raise ValueError(problem)
        return self


class DamageIn(Command):
    occurred: bool
    description: Text = ""
    estimate: MoneyVnd | None = Field(None, description="Whole đồng")


class ReportCompletionCommand(Command):
    completed_on: date
    results_vs_targets: list[ResultRow] = Field(max_length=MAX_LIST_ITEMS)
    resources_used: JsonObject = {}
    damage: DamageIn
    reported_on: date | None = Field(
        None,
        description="Legal date the authority received the report (default: today): the 7 "
        "working days to the evaluation meeting count from it",
    )


class EvaluationMeetingCommand(Command):
    held_on: date
    ballots: list[BallotIn] = Field(max_length=MAX_LIST_ITEMS)
    minutes_ref: Line
    assessed_outcome: EvaluationOutcomeName
    good_faith_finding: bool | None = Field(
        None,
        description="The collective's finding: correct policy, pure motive, common interest "
        "(Art 5 §2b); the conclusion of a result not completed must say the same",
    )


class IssueConclusionCommand(Command):
    outcome: EvaluationOutcomeName
    caused_damage: bool
    good_faith_finding: bool = Field(
        description="Correct policy, pure motive, common interest (Art 5 §2b)"
    )
    causes_objective: Texts = []
    causes_subjective: Texts = []
    conclusion_ref: Line = Field(description="Kết luận đánh giá (form M6)")
    issued_on: date | None = Field(
        None,
        description="Legal date the conclusion was signed (default: today): late when after "
        "the 3 working days from the evaluation meeting",
    )


class RecognizeResultCommand(Command):
    publication_ref: Line = ""


class BeneficiaryIn(Command):
    kind: BeneficiaryKind
    id: Line | None = Field(None, description="Needed for an implementer only")
    name: Line = ""


class GrantEncouragementCommand(Command):
    form: EncouragementFormName
    beneficiary: BeneficiaryIn
    decision_ref: Line
    description: Text = ""


class DetermineProtectionCommand(Command):
    art5_conditions_met: bool
    implemented_as_decided: bool
    directions_followed: bool
    decision_ref: Line
    referred_to: Line = ""
    official_id: Line | None = Field(
        None,
        description="Whose determination: the proposer (default) or an implementer, each within "
        "Art 2 getting their own (Art 11)",
    )


class AccusedIn(Command):
    user_id: Line = ""
    unit_id: Line = ""
    name: Line = ""


class ReportProhibitedActCommand(Command):
    act: ProhibitedActCode
    accused: AccusedIn
    description: Text
    evidence_refs: Lines = []


class ProhibitedActFindingCommand(Command):
    report_number: Annotated[int, Field(ge=1, le=MAX_SAFE_INTEGER)]
    substantiated: bool
    finding_ref: Line
    notes: Text = ""


class NoteDeadlineCommand(Command):
    deadline: DeadlineNameValue


class EscalationIn(Command):
    target: EscalationTargetName
    unit_id: Line


class RecordBreachCommand(Command):
    deadline: DeadlineNameValue
    escalate_to: EscalationIn | None = Field(
        None, description="Default for an overdue approval: per the case's rule set"
    )


class CloseCommand(Command):
    summary: Text = ""


# ---------------------------------------------------------------- commands


class CaseContext(Protocol):
    """What a command reads besides the case: the instant it is given, that day in Vietnam,
    the case's rule set, and the service's lookups (`ApprovalApplication.handle` gives it)."""

    @property
    def at(self) -> datetime: ...

    @property
    def today(self) -> date: ...

    @property
    def rules(self) -> CaseRules: ...

    def implementers(self, implementer_ids: Sequence[str] | None) -> list[dict[str, Any]]:
        """The implementers named by id, each placed in the case's directory version."""
        ...

    def escalation(self) -> dict[str, str]:
        """Where an overdue approval goes, per the case's rule set."""
        ...


@dataclass(frozen=True, kw_only=True)
class CaseCommand:
    """One command to one case. `name` is the endpoint's (and its operation's) name; `path`,
    `title` (its summary) and `body` its HTTP route (no `path`: it comes only from
    registration's events)."""

    name: ClassVar[str]
    path: ClassVar[str | None] = None
    title: ClassVar[str] = ""
    body: ClassVar[type[Command] | None] = None
    body_optional: ClassVar[bool] = False

    case_id: UUID

    def __post_init__(self) -> None:
        """The input's own shape is checked here, once, whoever builds the command (an endpoint,
        a consumer, a test), raising `Invalid` with every field problem; the case then checks
        only authority, state and its own record."""
        problems = FieldProblems()
        self.check_input(problems)
        problems.raise_if_any()

    def check_input(self, problems: FieldProblems) -> None:
        """Adds a problem for each field whose own shape is wrong (lengths, ranges, required
        fields, members of a vocabulary): nothing by default."""

    @property
    def since(self) -> datetime | None:
        """The command's instant is never before this (an upstream event's own time)."""
        return None

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------- intake and review


@dataclass(frozen=True, kw_only=True)
class RequestSupplement(CaseCommand):
    name = "request_supplement"
    path = "/request-supplement"
    title = "Ask the proposer to complete the plan"
    body = RequestSupplementCommand

    items: Sequence[str]
    reason: str

    def check_input(self, problems: FieldProblems) -> None:
        problems.require_texts("items", self.items)
        problems.require_text("reason", self.reason)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        due = ctx.rules.due(Clock.SUPPLEMENT, ctx.today)
        case.request_supplement(actor, ctx.at, items=self.items, reason=self.reason, due=due)


@dataclass(frozen=True, kw_only=True)
class ProvideSupplement(CaseCommand):
    """The proposer's answer, from registration's `supplemented`: the intake clock restarts from
    the day the proposer supplemented."""

    name = "provide_supplement"

    changed_fields: Sequence[str]
    attachments: Sequence[str] = ()
    plan: Mapping[str, Any] | None = None
    supplemented_at: datetime | None = None

    @property
    def since(self) -> datetime | None:
        return self.supplemented_at

    def check_input(self, problems: FieldProblems) -> None:
        if not self.changed_fields and not self.attachments:
            problems.add("changed_fields", "a supplement must change a field or add an attachment")

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        start = local_date(self.supplemented_at) if self.supplemented_at is not None else ctx.today
        case.provide_supplement(
            actor,
            ctx.at,
            changed_fields=self.changed_fields,
            attachments=self.attachments,
            plan=self.plan,
            intake_due=ctx.rules.due(Clock.INTAKE, start),
            supplemented_on=start,
        )


@dataclass(frozen=True, kw_only=True)
class ReceivePlan(CaseCommand):
    """Tiếp nhận: the Art 8 §1 clock runs 7 working days from the day the authority held the
    complete plan (submission, or the supplement that completed it), not from today."""

    name = "receive_plan"
    path = "/receive-plan"
    title = "Receive the plan as complete: the 7-working-day clock"

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        due = ctx.rules.due(Clock.APPROVAL, case.plan_complete_on)
        case.receive_plan(actor, ctx.at, approval_due=due)


@dataclass(frozen=True, kw_only=True)
class RequestConsultation(CaseCommand):
    """Art 8 §2; whether the Art 8 §1 clock pauses meanwhile is the rule set's
    `consultation.pauses_approval_clock` (default: it pauses)."""

    name = "request_consultation"
    path = "/request-consultation"
    title = "Consult agencies and experts (Art 8 §2)"
    body = RequestConsultationCommand

    consultees: Sequence[Mapping[str, str]]
    questions: str

    def check_input(self, problems: FieldProblems) -> None:
        if not self.consultees:
            problems.add("consultees", "must list at least one agency or expert")
        ids = [c.get("id") for c in self.consultees]
        for i, consultee in enumerate(self.consultees):
            problems.require_text(f"consultees[{i}].id", consultee.get("id"))
            if consultee.get("kind") not in ("AGENCY", "EXPERT"):
                problems.add(f"consultees[{i}].kind", "must be AGENCY or EXPERT")
        if len(set(ids)) != len(ids):
            problems.add("consultees", "must not repeat a consultee")
        problems.require_text("questions", self.questions)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        rules, today = ctx.rules, ctx.today
        approval = case.open_deadlines().get(Clock.APPROVAL)
        case.request_consultation(
            actor,
            ctx.at,
            consultees=self.consultees,
            questions=self.questions,
            due=rules.due(Clock.CONSULTATION, today),
            approval_days_left=None
            if approval is None
            else rules.approval_pause(today, approval.due),
        )


@dataclass(frozen=True, kw_only=True)
class ReceiveConsultationOpinion(CaseCommand):
    name = "receive_consultation_opinion"
    path = "/receive-consultation-opinion"
    title = "Record a consultee's written opinion"
    body = ConsultationOpinionCommand

    consultee_id: str
    opinion: str
    doc_ref: str

    def check_input(self, problems: FieldProblems) -> None:
        problems.require_text("consultee_id", self.consultee_id)
        problems.require_text("opinion", self.opinion)
        problems.require_text("doc_ref", self.doc_ref)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.receive_consultation_opinion(
            actor,
            ctx.at,
            consultee_id=self.consultee_id,
            opinion=self.opinion,
            doc_ref=self.doc_ref,
        )


@dataclass(frozen=True, kw_only=True)
class CloseConsultation(CaseCommand):
    """A paused Art 8 §1 clock runs again from today with the working days it had left."""

    name = "close_consultation"
    path = "/close-consultation"
    title = "Back to review"
    body = CloseConsultationCommand
    body_optional = True

    summary: str = ""

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        paused = case.paused_approval
        approval_due = (
            None
            if paused is None
            else ctx.rules.approval_resumed(ctx.today, paused["remaining_working_days"])
        )
        case.close_consultation(actor, ctx.at, summary=self.summary, approval_due=approval_due)


@dataclass(frozen=True, kw_only=True)
class RequestPartyOpinion(CaseCommand):
    name = "request_party_opinion"
    path = "/request-party-opinion"
    title = "Seek the Party committee's opinion (Art 4 §3)"
    body = RequestPartyOpinionCommand

    stage: str
    committee_id: str

    def check_input(self, problems: FieldProblems) -> None:
        _check_member(problems, "stage", VoteStage, self.stage)
        problems.require_text("committee_id", self.committee_id)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.request_party_opinion(actor, ctx.at, stage=self.stage, committee_id=self.committee_id)


@dataclass(frozen=True, kw_only=True)
class ReceivePartyOpinion(CaseCommand):
    name = "receive_party_opinion"
    path = "/receive-party-opinion"
    title = "Record the Party committee's opinion"
    body = PartyOpinionCommand

    stage: str
    opinion: str
    doc_ref: str

    def check_input(self, problems: FieldProblems) -> None:
        _check_member(problems, "stage", VoteStage, self.stage)
        problems.require_text("opinion", self.opinion)
        problems.require_text("doc_ref", self.doc_ref)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.receive_party_opinion(
            actor, ctx.at, stage=self.stage, opinion=self.opinion, doc_ref=self.doc_ref
        )


# ---------------------------------------------------------------- decision


@dataclass(frozen=True, kw_only=True)
class HoldApprovalMeeting(CaseCommand):
    name = "hold_approval_meeting"
    path = "/hold-approval-meeting"
    title = "The leadership collective's vote (Art 8 §1)"
    body = ApprovalMeetingCommand

    held_on: date
    ballots: Sequence[Mapping[str, str]]
    minutes_ref: str
    implementer_ids: Sequence[str] | None = None
    decision_ref: str = ""
    decision_signed_on: date | None = None

    def check_input(self, problems: FieldProblems) -> None:
        _check_implementer_ids(problems, self.implementer_ids)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.hold_approval_meeting(
            actor,
            ctx.at,
            held_on=self.held_on,
            ballots=self.ballots,
            minutes_ref=self.minutes_ref,
            implementers=ctx.implementers(self.implementer_ids),
            decision_ref=self.decision_ref,
            abstention=ctx.rules.abstention,
            decision_signed_on=self.decision_signed_on,
        )


@dataclass(frozen=True, kw_only=True)
class OverrideCollectiveRejection(CaseCommand):
    name = "override_collective_rejection"
    path = "/override-collective-rejection"
    title = "The head authorises it in writing despite the collective (Art 8 §1 ¶2)"
    body = OverrideCommand

    justification: str
    decision_ref: str
    implementer_ids: Sequence[str] | None = None
    signed_on: date | None = None

    def check_input(self, problems: FieldProblems) -> None:
        problems.require_text("justification", self.justification)
        problems.require_text("decision_ref", self.decision_ref)
        _check_implementer_ids(problems, self.implementer_ids)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.override_collective_rejection(
            actor,
            ctx.at,
            justification=self.justification,
            decision_ref=self.decision_ref,
            implementers=ctx.implementers(self.implementer_ids),
            signed_on=self.signed_on,
        )


@dataclass(frozen=True, kw_only=True)
class ConfirmRejection(CaseCommand):
    name = "confirm_rejection"
    path = "/confirm-rejection"
    title = "The written decision not to approve, with reasons"
    body = ConfirmRejectionCommand

    reasons: Sequence[str]
    decision_ref: str
    signed_on: date | None = None

    def check_input(self, problems: FieldProblems) -> None:
        problems.require_texts("reasons", self.reasons)
        problems.require_text("decision_ref", self.decision_ref)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.confirm_rejection(
            actor,
            ctx.at,
            reasons=self.reasons,
            decision_ref=self.decision_ref,
            signed_on=self.signed_on,
        )


@dataclass(frozen=True, kw_only=True)
class Withdraw(CaseCommand):
    """Rút đề xuất, from registration's `withdrawn` — refused once the head has decided."""

    name = "withdraw"

    reason: str = ""
    withdrawn_at: datetime | None = None

    @property
    def since(self) -> datetime | None:
        return self.withdrawn_at

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.withdraw(actor, ctx.at, reason=self.reason)


# ---------------------------------------------------------------- implementation


@dataclass(frozen=True, kw_only=True)
class AllocateResources(CaseCommand):
    name = "allocate_resources"
    path = "/allocate-resources"
    title = "Equipment, staff, funding (Art 10 §2)"
    body = AllocateResourcesCommand

    source_ref: str
    equipment: Sequence[str] = ()
    staff: Sequence[str] = ()
    funding_vnd: Decimal | None = None

    def check_input(self, problems: FieldProblems) -> None:
        problems.require_text("source_ref", self.source_ref)
        if not self.equipment and not self.staff and self.funding_vnd is None:
            problems.add("resources", "allocate equipment, staff or funding")
        funding = self.funding_vnd
        if funding is not None and (
            not isinstance(funding, Decimal) or not funding.is_finite() or funding < 0
        ):
            problems.add("funding_vnd", "must be a non-negative decimal amount")

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.allocate_resources(
            actor,
            ctx.at,
            source_ref=self.source_ref,
            equipment=self.equipment,
            staff=self.staff,
            funding_vnd=self.funding_vnd,
        )


@dataclass(frozen=True, kw_only=True)
class StartImplementation(CaseCommand):
    name = "start_implementation"
    path = "/start-implementation"
    title = "Implementation starts"
    body = StartImplementationCommand

    start_date: date

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.start_implementation(actor, ctx.at, start_date=self.start_date)


@dataclass(frozen=True, kw_only=True)
class ReportProgress(CaseCommand):
    name = "report_progress"
    path = "/report-progress"
    title = "An interim progress report"
    body = ReportProgressCommand

    period: str
    progress_percent: int
    issues: str = ""
    risk_of_damage: bool = False

    def check_input(self, problems: FieldProblems) -> None:
        problems.require_text("period", self.period)
        percent = self.progress_percent
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            problems.add("progress_percent", "must be a whole number from 0 to 100")

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.report_progress(
            actor,
            ctx.at,
            period=self.period,
            progress_percent=self.progress_percent,
            issues=self.issues,
            risk_of_damage=self.risk_of_damage,
        )


@dataclass(frozen=True, kw_only=True)
class WrittenDirection(CaseCommand):
    """A written decision of the approving head on the implementation (form M4)."""

    decision_ref: str

    def check_input(self, problems: FieldProblems) -> None:
        problems.require_text("decision_ref", self.decision_ref)


@dataclass(frozen=True, kw_only=True)
class ReasonedDirection(WrittenDirection):
    """A suspension or a stop: it gives its reasons."""

    reasons: Sequence[str]

    def check_input(self, problems: FieldProblems) -> None:
        super().check_input(problems)
        problems.require_texts("reasons", self.reasons)


@dataclass(frozen=True, kw_only=True)
class Suspend(ReasonedDirection):
    name = "suspend"
    path = "/suspend"
    title = "Tạm dừng — suspend implementation, in writing"
    body = DirectionCommand

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.suspend(actor, ctx.at, decision_ref=self.decision_ref, reasons=self.reasons)


@dataclass(frozen=True, kw_only=True)
class Resume(WrittenDirection):
    name = "resume"
    path = "/resume"
    title = "Tiếp tục — resume implementation, in writing"
    body = ResumeCommand

    conditions: Sequence[str] = ()

    def check_input(self, problems: FieldProblems) -> None:
        super().check_input(problems)
        # A resumption may set no conditions; those it sets are texts.
        if any(not isinstance(g, str) or not g.strip() for g in self.conditions):
            problems.add("conditions", "must be non-empty text")

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.resume(actor, ctx.at, decision_ref=self.decision_ref, conditions=self.conditions)


@dataclass(frozen=True, kw_only=True)
class Stop(ReasonedDirection):
    name = "stop"
    path = "/stop"
    title = "Dừng — stop implementation, in writing"
    body = DirectionCommand

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.stop(actor, ctx.at, decision_ref=self.decision_ref, reasons=self.reasons)


@dataclass(frozen=True, kw_only=True)
class ReportCompletion(CaseCommand):
    """Due 5 working days after completion (Art 9 §1), or after the stop decision.

    The evaluation meeting's clock (7 working days, Art 9 §2) counts from `reported_on`, the
    legal date the authority received the report (default: today, the day it is entered): a
    report entered late never moves it."""

    name = "report_completion"
    path = "/report-completion"
    title = "Báo cáo kết quả (form M5), 5 working days"
    body = ReportCompletionCommand

    completed_on: date
    results_vs_targets: Sequence[Mapping[str, Any]]
    resources_used: Mapping[str, Any]
    damage: Mapping[str, Any]
    reported_on: date | None = None

    def check_input(self, problems: FieldProblems) -> None:
        if not self.results_vs_targets:
            problems.add("results_vs_targets", "must compare at least one result with its target")
        for i, row in enumerate(self.results_vs_targets):
            problems.require_text(f"results_vs_targets[{i}].target", row.get("target"))
            problems.require_text(f"results_vs_targets[{i}].result", row.get("result"))
        occurred = self.damage.get("occurred")
        if not isinstance(occurred, bool):
            problems.add("damage.occurred", "must be true or false")
        elif occurred:
            problems.require_text("damage.description", self.damage.get("description"))
        estimate = self.damage.get("estimate")
        if estimate is not None and (not isinstance(estimate, Decimal) or estimate < 0):
            problems.add("damage.estimate", "must be a non-negative decimal amount")

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        received = self.reported_on if isinstance(self.reported_on, date) else ctx.today
        rules = ctx.rules
        stop_day = _last_stop_day(case)
        if stop_day is not None and case.state is CaseState.STOPPED:
            # Counted from the stop decision; never before the day the partial work ended.
            report_due = max(rules.report_due(stop_day, after_stop=True), self.completed_on)
        else:
            report_due = rules.report_due(self.completed_on, after_stop=False)
        case.report_completion(
            actor,
            ctx.at,
            completed_on=self.completed_on,
            results_vs_targets=self.results_vs_targets,
            resources_used=self.resources_used,
            damage=self.damage,
            report_due=report_due,
            evaluation_due=rules.due(Clock.EVALUATION, received),
            reported_on=self.reported_on,
        )


def _last_stop_day(case: Case) -> date | None:
    stops = [d for d in case.directions if d["kind"] == "STOP"]
    return local_date(stops[-1]["decided_at"]) if stops else None


# ---------------------------------------------------------------- evaluation and outcome


@dataclass(frozen=True, kw_only=True)
class HoldEvaluationMeeting(CaseCommand):
    """The written conclusion is due 3 working days after the meeting's legal date; a meeting
    entered late keeps that due date even if it has passed (the conclusion is then late, and
    the scheduler records it)."""

    name = "hold_evaluation_meeting"
    path = "/hold-evaluation-meeting"
    title = "The collective evaluates the results"
    body = EvaluationMeetingCommand

    held_on: date
    ballots: Sequence[Mapping[str, str]]
    minutes_ref: str
    assessed_outcome: str
    good_faith_finding: bool | None = None

    def check_input(self, problems: FieldProblems) -> None:
        _check_member(problems, "assessed_outcome", EvaluationOutcome, self.assessed_outcome)
        if self.good_faith_finding is not None:
            _check_flags(problems, good_faith_finding=self.good_faith_finding)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        conclusion_due = ctx.today
        if isinstance(self.held_on, date):
            # From the meeting's legal date: entering the meeting late never moves it.
            conclusion_due = ctx.rules.due(Clock.CONCLUSION, self.held_on)
        case.hold_evaluation_meeting(
            actor,
            ctx.at,
            held_on=self.held_on,
            ballots=self.ballots,
            minutes_ref=self.minutes_ref,
            assessed_outcome=self.assessed_outcome,
            conclusion_due=conclusion_due,
            abstention=ctx.rules.abstention,
            good_faith_finding=self.good_faith_finding,
        )


@dataclass(frozen=True, kw_only=True)
class IssueConclusion(CaseCommand):
    name = "issue_conclusion"
    path = "/issue-conclusion"
    title = "Kết luận đánh giá in writing (form M6)"
    body = IssueConclusionCommand

    outcome: str
    caused_damage: bool
    good_faith_finding: bool
    causes_objective: Sequence[str]
    causes_subjective: Sequence[str]
    conclusion_ref: str
    issued_on: date | None = None

    def check_input(self, problems: FieldProblems) -> None:
        outcome = _check_member(problems, "outcome", EvaluationOutcome, self.outcome)
        _check_flags(
            problems,
            caused_damage=self.caused_damage,
            good_faith_finding=self.good_faith_finding,
        )
        problems.require_text("conclusion_ref", self.conclusion_ref)
        for field, causes in (
            ("causes_objective", self.causes_objective),
            ("causes_subjective", self.causes_subjective),
        ):
            if any(not isinstance(c, str) or not c.strip() for c in causes):
                problems.add(field, "must be non-empty text")
        if (
            outcome is not None
            and outcome is not EvaluationOutcome.COMPLETED
            and not self.causes_objective
            and not self.causes_subjective
        ):
            problems.add("causes", "name the objective or subjective causes (Art 11 §4)")

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.issue_conclusion(
            actor,
            ctx.at,
            outcome=self.outcome,
            caused_damage=self.caused_damage,
            good_faith_finding=self.good_faith_finding,
            causes_objective=self.causes_objective,
            causes_subjective=self.causes_subjective,
            conclusion_ref=self.conclusion_ref,
            issued_on=self.issued_on,
        )


@dataclass(frozen=True, kw_only=True)
class RecognizeResult(CaseCommand):
    name = "recognize_result"
    path = "/recognize-result"
    title = "Công nhận kết quả — a completed result"
    body = RecognizeResultCommand
    body_optional = True

    publication_ref: str = ""

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.recognize_result(actor, ctx.at, publication_ref=self.publication_ref)


@dataclass(frozen=True, kw_only=True)
class GrantEncouragement(CaseCommand):
    name = "grant_encouragement"
    path = "/grant-encouragement"
    title = "A form of encouragement (Art 10 §1)"
    body = GrantEncouragementCommand

    form: str
    beneficiary: Mapping[str, str]
    decision_ref: str
    description: str = ""

    def check_input(self, problems: FieldProblems) -> None:
        form = _check_member(problems, "form", EncouragementForm, self.form)
        kind = _check_member(
            problems, "beneficiary.kind", Beneficiary, self.beneficiary.get("kind")
        )
        problems.require_text("decision_ref", self.decision_ref)
        if form is EncouragementForm.OTHER:
            problems.require_text("description", self.description)
        if kind is Beneficiary.AGENCY and form in PERSONAL_FORMS:
            problems.add("form", "career forms (Art 10 §1b, §1c) are for persons, not agencies")

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.grant_encouragement(
            actor,
            ctx.at,
            form=self.form,
            beneficiary=self.beneficiary,
            decision_ref=self.decision_ref,
            description=self.description,
        )


@dataclass(frozen=True, kw_only=True)
class DetermineProtection(CaseCommand):
    """The proposer's determination, or (`official_id`) an implementer's own (Art 11)."""

    name = "determine_protection"
    path = "/determine-protection"
    title = "The Art 11 protection finding"
    body = DetermineProtectionCommand

    art5_conditions_met: bool
    implemented_as_decided: bool
    directions_followed: bool
    decision_ref: str
    referred_to: str = ""
    official_id: str | None = None

    def check_input(self, problems: FieldProblems) -> None:
        _check_flags(
            problems,
            art5_conditions_met=self.art5_conditions_met,
            implemented_as_decided=self.implemented_as_decided,
            directions_followed=self.directions_followed,
        )
        problems.require_text("decision_ref", self.decision_ref)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.determine_protection(
            actor,
            ctx.at,
            art5_conditions_met=self.art5_conditions_met,
            implemented_as_decided=self.implemented_as_decided,
            directions_followed=self.directions_followed,
            decision_ref=self.decision_ref,
            referred_to=self.referred_to,
            official_id=self.official_id,
        )


# ---------------------------------------------------------------- Art 6


@dataclass(frozen=True, kw_only=True)
class ReportProhibitedAct(CaseCommand):
    name = "report_prohibited_act"
    path = "/report-prohibited-act"
    title = "Report an Art 6 prohibited act"
    body = ReportProhibitedActCommand

    act: str
    accused: Mapping[str, str]
    description: str
    evidence_refs: Sequence[str] = ()

    def check_input(self, problems: FieldProblems) -> None:
        _check_member(problems, "act", ProhibitedAct, self.act)
        if not self.accused.get("user_id") and not self.accused.get("unit_id"):
            problems.add("accused", "name the person (user_id) or the unit (unit_id)")
        problems.require_text("description", self.description)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.report_prohibited_act(
            actor,
            ctx.at,
            act=self.act,
            accused=self.accused,
            description=self.description,
            evidence_refs=self.evidence_refs,
        )


@dataclass(frozen=True, kw_only=True)
class RecordProhibitedActFinding(CaseCommand):
    name = "record_prohibited_act_finding"
    path = "/record-prohibited-act-finding"
    title = "A finding on an Art 6 report"
    body = ProhibitedActFindingCommand

    report_number: int
    substantiated: bool
    finding_ref: str
    notes: str = ""

    def check_input(self, problems: FieldProblems) -> None:
        _check_flags(problems, substantiated=self.substantiated)
        problems.require_text("finding_ref", self.finding_ref)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.record_prohibited_act_finding(
            actor,
            ctx.at,
            report_number=self.report_number,
            substantiated=self.substantiated,
            finding_ref=self.finding_ref,
            notes=self.notes,
        )


# ---------------------------------------------------------------- deadlines and closing


@dataclass(frozen=True, kw_only=True)
class NoteDeadlineApproaching(CaseCommand):
    """Sở Nội vụ may remind by hand; the scheduler does it on its own."""

    name = "note_deadline_approaching"
    path = "/note-deadline-approaching"
    title = "Remind (Sở Nội vụ; the scheduler does it too)"
    body = NoteDeadlineCommand

    deadline: str

    def check_input(self, problems: FieldProblems) -> None:
        _check_clock(problems, self.deadline)

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.note_deadline_approaching(actor, ctx.at, deadline=self.deadline)


@dataclass(frozen=True, kw_only=True)
class RecordDeadlineBreach(CaseCommand):
    """An overdue approval goes where the case's rule set says, unless told otherwise."""

    name = "record_deadline_breach"
    path = "/record-deadline-breach"
    title = "Record who is late, and escalate an approval"
    body = RecordBreachCommand

    deadline: str
    escalate_to: Mapping[str, str] | None = None

    def check_input(self, problems: FieldProblems) -> None:
        _check_clock(problems, self.deadline)
        if self.escalate_to is not None:
            target = self.escalate_to.get("target")
            _check_member(problems, "escalate_to.target", EscalationTarget, target)
            problems.require_text("escalate_to.unit_id", self.escalate_to.get("unit_id"))

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        escalate_to = self.escalate_to
        if escalate_to is None and self.deadline == Clock.APPROVAL.value:
            escalate_to = ctx.escalation()
        case.record_deadline_breach(actor, ctx.at, deadline=self.deadline, escalate_to=escalate_to)


@dataclass(frozen=True, kw_only=True)
class CloseCase(CaseCommand):
    """Lưu trữ — archive the file."""

    name = "close"
    path = "/close"
    title = "Lưu trữ — archive the file"
    body = CloseCommand
    body_optional = True

    summary: str = ""

    def apply(self, case: Case, actor: Actor, ctx: CaseContext) -> None:
        case.close(actor, ctx.at, summary=self.summary)


# ---------------------------------------------------------------- input checks shared by commands

E = TypeVar("E", bound=StrEnum)


def _check_member(problems: FieldProblems, field: str, kind: type[E], value: object) -> E | None:
    """The member of `kind` that `value` names, or a problem listing the members."""
    member = member_of(kind, value)
    if member is None:
        problems.add(field, f"must be one of {', '.join(kind)}")
    return member


def _check_flags(problems: FieldProblems, **flags: object) -> None:
    for field, value in flags.items():
        if not isinstance(value, bool):
            problems.add(field, "must be true or false")


def _check_clock(problems: FieldProblems, deadline: object) -> None:
    if member_of(Clock, deadline) not in CASE_CLOCKS:
        problems.add("deadline", f"must be one of {', '.join(CASE_CLOCKS)}")


def _check_implementer_ids(problems: FieldProblems, implementer_ids: Sequence[str] | None) -> None:
    """Who implements the approved plan, when named (Art 10, Art 11): by default the proposer."""
    if implementer_ids is None:
        return
    if not implementer_ids:
        problems.add("implementers", "must list at least one implementer")
    for i, user_id in enumerate(implementer_ids):
        problems.require_text(f"implementers[{i}].user_id", user_id)
    if len(set(implementer_ids)) != len(implementer_ids):
        problems.add("implementers", "must not repeat an implementer")


COMMANDS: tuple[type[CaseCommand], ...] = (
    RequestSupplement,
    ProvideSupplement,
    ReceivePlan,
    RequestConsultation,
    ReceiveConsultationOpinion,
    CloseConsultation,
    RequestPartyOpinion,
    ReceivePartyOpinion,
    HoldApprovalMeeting,
    OverrideCollectiveRejection,
    ConfirmRejection,
    Withdraw,
    AllocateResources,
    StartImplementation,
    ReportProgress,
    Suspend,
    Resume,
    Stop,
    ReportCompletion,
    HoldEvaluationMeeting,
    IssueConclusion,
    RecognizeResult,
    GrantEncouragement,
    DetermineProtection,
    ReportProhibitedAct,
    RecordProhibitedActFinding,
    NoteDeadlineApproaching,
    RecordDeadlineBreach,
    CloseCase,
)
"""Every case command after the opening, in the order the API lists them."""
