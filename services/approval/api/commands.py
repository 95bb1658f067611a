"""Every change to a case is a POST of a named command with a body (design.md §5).

Every command takes an `Idempotency-Key` (issue #12 §5): the same key and body return the first
answer and record nothing, another body with that key is a 422. Who may give each command is
the domain's rule (403); the state it may be given in (409); its
input (422, every field problem listed). Due dates are never in a body: the service computes
them from the case's rule set. Two commands come only from registration's events, not from
here: `provide_supplement` (`d73.proposal.supplemented.v1`) and `withdraw`
(`d73.proposal.withdrawn.v1`), because the proposal and its plan are registration's to change.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Self
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.approval.api.dependencies import Approval
from services.approval.api.views import CaseView
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
from shared.web import CurrentActor, Keyed

PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not allowed: the caller has no authority for this step"},
    404: {"description": "No such case"},
    409: {"description": "Not in this state, or the case's record contradicts it"},
    422: {"description": "Invalid input: every field problem is listed in `errors`"},
}

router = APIRouter(prefix="/cases/{case_id}", tags=["case commands"], responses=PROBLEMS)


class Command(BaseModel):
    """A command's body: every field bounded (shared.contracts.bounds), and the whole of it
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


class OverrideCommand(Command):
    justification: Text = Field(description="Why the head judges it necessary and feasible")
    decision_ref: Line = Field(description="The head's written decision (Art 8 §1 ¶2)")
    implementer_ids: Lines | None = None


class ConfirmRejectionCommand(Command):
    reasons: Texts
    decision_ref: Line


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


class EvaluationMeetingCommand(Command):
    held_on: date
    ballots: list[BallotIn] = Field(max_length=MAX_LIST_ITEMS)
    minutes_ref: Line
    assessed_outcome: EvaluationOutcomeName


class IssueConclusionCommand(Command):
    outcome: EvaluationOutcomeName
    caused_damage: bool
    good_faith_finding: bool = Field(
        description="Correct policy, pure motive, common interest (Art 5 §2b)"
    )
    causes_objective: Texts = []
    causes_subjective: Texts = []
    conclusion_ref: Line = Field(description="Kết luận đánh giá (form M6)")


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


# ---------------------------------------------------------------- intake and review


@router.post("/request-supplement", summary="Ask the proposer to complete the plan")
def request_supplement(
    case_id: UUID,
    body: RequestSupplementCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.request_supplement(actor, case_id, **body.model_dump()))
    )


@router.post("/receive-plan", summary="Receive the plan as complete: the 7-working-day clock")
def receive_plan(case_id: UUID, actor: CurrentActor, approval: Approval, keyed: Keyed) -> CaseView:
    return CaseView.of(keyed(lambda: approval.receive_plan(actor, case_id)))


@router.post("/request-consultation", summary="Consult agencies and experts (Art 8 §2)")
def request_consultation(
    case_id: UUID,
    body: RequestConsultationCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.request_consultation(actor, case_id, **body.model_dump()))
    )


@router.post("/receive-consultation-opinion", summary="Record a consultee's written opinion")
def receive_consultation_opinion(
    case_id: UUID,
    body: ConsultationOpinionCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.receive_consultation_opinion(actor, case_id, **body.model_dump()))
    )


@router.post("/close-consultation", summary="Back to review")
def close_consultation(
    case_id: UUID,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
    body: CloseConsultationCommand | None = None,
) -> CaseView:
    command = body or CloseConsultationCommand()
    return CaseView.of(
        keyed(lambda: approval.close_consultation(actor, case_id, **command.model_dump()))
    )


@router.post("/request-party-opinion", summary="Seek the Party committee's opinion (Art 4 §3)")
def request_party_opinion(
    case_id: UUID,
    body: RequestPartyOpinionCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.request_party_opinion(actor, case_id, **body.model_dump()))
    )


@router.post("/receive-party-opinion", summary="Record the Party committee's opinion")
def receive_party_opinion(
    case_id: UUID, body: PartyOpinionCommand, actor: CurrentActor, approval: Approval, keyed: Keyed
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.receive_party_opinion(actor, case_id, **body.model_dump()))
    )


# ---------------------------------------------------------------- decision


@router.post("/hold-approval-meeting", summary="The leadership collective's vote (Art 8 §1)")
def hold_approval_meeting(
    case_id: UUID,
    body: ApprovalMeetingCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.hold_approval_meeting(actor, case_id, **body.model_dump()))
    )


@router.post(
    "/override-collective-rejection",
    summary="The head authorises it in writing despite the collective (Art 8 §1 ¶2)",
)
def override_collective_rejection(
    case_id: UUID, body: OverrideCommand, actor: CurrentActor, approval: Approval, keyed: Keyed
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.override_collective_rejection(actor, case_id, **body.model_dump()))
    )


@router.post("/confirm-rejection", summary="The written decision not to approve, with reasons")
def confirm_rejection(
    case_id: UUID,
    body: ConfirmRejectionCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.confirm_rejection(actor, case_id, **body.model_dump()))
    )


# ---------------------------------------------------------------- implementation


@router.post("/allocate-resources", summary="Equipment, staff, funding (Art 10 §2)")
def allocate_resources(
    case_id: UUID,
    body: AllocateResourcesCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.allocate_resources(actor, case_id, **body.model_dump()))
    )


@router.post("/start-implementation", summary="Implementation starts")
def start_implementation(
    case_id: UUID,
    body: StartImplementationCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.start_implementation(actor, case_id, **body.model_dump()))
    )


@router.post("/report-progress", summary="An interim progress report")
def report_progress(
    case_id: UUID,
    body: ReportProgressCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(keyed(lambda: approval.report_progress(actor, case_id, **body.model_dump())))


@router.post("/suspend", summary="Tạm dừng — suspend implementation, in writing")
def suspend(
    case_id: UUID, body: DirectionCommand, actor: CurrentActor, approval: Approval, keyed: Keyed
) -> CaseView:
    return CaseView.of(keyed(lambda: approval.suspend(actor, case_id, **body.model_dump())))


@router.post("/resume", summary="Tiếp tục — resume implementation, in writing")
def resume(
    case_id: UUID, body: ResumeCommand, actor: CurrentActor, approval: Approval, keyed: Keyed
) -> CaseView:
    return CaseView.of(keyed(lambda: approval.resume(actor, case_id, **body.model_dump())))


@router.post("/stop", summary="Dừng — stop implementation, in writing")
def stop(
    case_id: UUID, body: DirectionCommand, actor: CurrentActor, approval: Approval, keyed: Keyed
) -> CaseView:
    return CaseView.of(keyed(lambda: approval.stop(actor, case_id, **body.model_dump())))


@router.post("/report-completion", summary="Báo cáo kết quả (form M5), 5 working days")
def report_completion(
    case_id: UUID,
    body: ReportCompletionCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.report_completion(actor, case_id, **body.model_dump()))
    )


# ---------------------------------------------------------------- evaluation and outcome


@router.post("/hold-evaluation-meeting", summary="The collective evaluates the results")
def hold_evaluation_meeting(
    case_id: UUID,
    body: EvaluationMeetingCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.hold_evaluation_meeting(actor, case_id, **body.model_dump()))
    )


@router.post("/issue-conclusion", summary="Kết luận đánh giá in writing (form M6)")
def issue_conclusion(
    case_id: UUID,
    body: IssueConclusionCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.issue_conclusion(actor, case_id, **body.model_dump()))
    )


@router.post("/recognize-result", summary="Công nhận kết quả — a completed result")
def recognize_result(
    case_id: UUID,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
    body: RecognizeResultCommand | None = None,
) -> CaseView:
    command = body or RecognizeResultCommand()
    return CaseView.of(
        keyed(lambda: approval.recognize_result(actor, case_id, **command.model_dump()))
    )


@router.post("/grant-encouragement", summary="A form of encouragement (Art 10 §1)")
def grant_encouragement(
    case_id: UUID,
    body: GrantEncouragementCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.grant_encouragement(actor, case_id, **body.model_dump()))
    )


@router.post("/determine-protection", summary="The Art 11 protection finding")
def determine_protection(
    case_id: UUID,
    body: DetermineProtectionCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.determine_protection(actor, case_id, **body.model_dump()))
    )


@router.post("/report-prohibited-act", summary="Report an Art 6 prohibited act")
def report_prohibited_act(
    case_id: UUID,
    body: ReportProhibitedActCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.report_prohibited_act(actor, case_id, **body.model_dump()))
    )


@router.post("/record-prohibited-act-finding", summary="A finding on an Art 6 report")
def record_prohibited_act_finding(
    case_id: UUID,
    body: ProhibitedActFindingCommand,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.record_prohibited_act_finding(actor, case_id, **body.model_dump()))
    )


# ---------------------------------------------------------------- deadlines and closing


@router.post("/note-deadline-approaching", summary="Remind (Sở Nội vụ; the scheduler does it too)")
def note_deadline_approaching(
    case_id: UUID, body: NoteDeadlineCommand, actor: CurrentActor, approval: Approval, keyed: Keyed
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.note_deadline_approaching(actor, case_id, **body.model_dump()))
    )


@router.post("/record-deadline-breach", summary="Record who is late, and escalate an approval")
def record_deadline_breach(
    case_id: UUID, body: RecordBreachCommand, actor: CurrentActor, approval: Approval, keyed: Keyed
) -> CaseView:
    return CaseView.of(
        keyed(lambda: approval.record_deadline_breach(actor, case_id, **body.model_dump()))
    )


@router.post("/close", summary="Lưu trữ — archive the file")
def close(
    case_id: UUID,
    actor: CurrentActor,
    approval: Approval,
    keyed: Keyed,
    body: CloseCommand | None = None,
) -> CaseView:
    command = body or CloseCommand()
    return CaseView.of(keyed(lambda: approval.close_case(actor, case_id, **command.model_dump())))
