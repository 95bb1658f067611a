"""Events published by approval on `d73.approval.case.<event>`: one contract per Case event.

Every contract carries the case id and `state`, the case's state after the event, so a reader can
follow a case from any single event. Its other fields are the stored domain event's attributes,
under the same names: `d73.case.supplement-requested.v1` has `items`, `reason` and `due` because
`Case.SupplementRequested` has them. The `id` of a supplement request is the id the proposer's
answer (registration's `d73.proposal.supplemented.v1`) quotes as `request_id`.

Closed sets are `Literal`s (the wire schema); states, deadlines and targets are checked at import
against the published vocabulary (`shared.contracts.vocabulary`), which everyone else imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, get_args
from uuid import UUID

from pydantic import ConfigDict, Field

from shared.contracts.base import Contract, IntegrationEvent
from shared.contracts.plan import PlanDocument
from shared.contracts.registration import Official
from shared.contracts.vocabulary import (
    CASE_CLOCKS,
    CaseState,
    EscalationTarget,
    RoutingTarget,
)

CaseStateName = Literal[
    "IN_INTAKE",
    "NEEDS_SUPPLEMENT",
    "UNDER_REVIEW",
    "IN_CONSULTATION",
    "COLLECTIVE_REJECTED",
    "APPROVED",
    "REJECTED",
    "WITHDRAWN",
    "IN_IMPLEMENTATION",
    "SUSPENDED",
    "STOPPED",
    "COMPLETION_REPORTED",
    "EVALUATED",
    "CONCLUDED",
    "RECOGNIZED",
    "PROTECTION_DETERMINED",
    "CLOSED",
]
RoutingTargetName = Literal["CITY_PC_VIA_DOHA", "AGENCY_HEAD", "SUPERIOR_HEAD"]
VoteStageName = Literal["APPROVAL", "EVALUATION"]
BallotChoice = Literal["FOR", "AGAINST", "ABSTAIN"]
VoteOutcome = Literal["PASSED", "FAILED"]
AbstentionRuleName = Literal["NOT_A_VOTE_CAST", "CAST_NOT_IN_FAVOUR"]
ConsulteeKind = Literal["AGENCY", "EXPERT"]
EvaluationOutcomeName = Literal["COMPLETED", "PARTIAL", "NOT_COMPLETED"]
EncouragementFormName = Literal[
    "PRAISE",
    "COMMENDATION",
    "APPOINTMENT_PRIORITY",
    "RANK_PROMOTION_MERIT",
    "EARLY_SALARY_STEP_12M",
    "OTHER",
]
BeneficiaryKind = Literal["OFFICIAL", "IMPLEMENTER", "AGENCY", "HEAD"]
ProtectionTierName = Literal[
    "NO_LIABILITY", "LIABILITY_EXCLUDED", "EXCLUSION_EXEMPTION_OR_MITIGATION", "NONE"
]
ProhibitedActCode = Literal["ART6_1", "ART6_2", "ART6_3", "ART6_4", "ART6_5"]
DeadlineNameValue = Literal[
    "intake", "supplement", "consultation", "approval", "evaluation", "conclusion"
]
EscalationTargetName = Literal["SUPERIOR_UNIT", "HOME_AFFAIRS"]


def _spelled_as(literal: object, vocabulary: Iterable[str]) -> None:
    """The wire schema's `Literal` and the vocabulary's enum name the same values."""
    if set(get_args(literal)) != {str(v) for v in vocabulary}:
        raise TypeError(f"{literal} does not spell {sorted(vocabulary)}")


_spelled_as(CaseStateName, CaseState)
_spelled_as(RoutingTargetName, RoutingTarget)
_spelled_as(DeadlineNameValue, CASE_CLOCKS)
_spelled_as(EscalationTargetName, EscalationTarget)


# ---------------------------------------------------------------- parts of several events


class CaseRouting(Contract):
    """Where the plan went (Art 7 §3–4, Plan 88 II.3), as registration decided it."""

    target: RoutingTargetName
    recipient_unit_id: str
    intake_unit_id: str
    decider_id: str = ""
    legal_basis: str = ""
    directory_version: str = ""


class CaseAuthority(Contract):
    """The head who decides, the deputies who vote with them, and the office delegates."""

    head_id: str
    deputy_ids: list[str]
    delegate_ids: list[str]


class Consultee(Contract):
    id: str
    kind: ConsulteeKind
    name: str = ""


class CastBallot(Contract):
    member_id: str
    ballot: BallotChoice


class VoteMinutes(Contract):
    """Biên bản họp tập thể lãnh đạo (form M2): who could vote, how each voted, the result."""

    stage: VoteStageName
    held_on: date
    minutes_ref: str
    motion: str
    head_id: str
    eligible: list[str]
    excluded: list[str] = Field(description="A deputy who is the proposer (Art 8 §1)")
    ballots: list[CastBallot]
    absent: list[str]
    votes_for: int
    votes_against: int
    abstentions: int
    abstention_rule: AbstentionRuleName = Field(
        "NOT_A_VOTE_CAST",
        description="How the rule set counted an abstention (vote_rule.abstention; inference)",
    )
    votes_cast: int | None = Field(
        None,
        description="The denominator of the Art 8 §1 share: FOR + AGAINST (+ abstentions if cast)",
    )
    head_vote: BallotChoice | None
    tie_decided_by_head: bool
    outcome: VoteOutcome


class ResultAgainstTarget(Contract):
    """One row of the completion report; implementers may add their own columns."""

    model_config = ConfigDict(frozen=True, extra="allow")
    target: str
    result: str


class Damage(Contract):
    occurred: bool
    description: str = ""
    estimate: Decimal | None = Field(None, description="VND")


class Causes(Contract):
    objective: list[str]
    subjective: list[str]


class BeneficiaryRef(Contract):
    kind: BeneficiaryKind
    id: str
    name: str = ""


class Implementer(Contract):
    """Who implements the approved plan (Art 10, Art 11: "cán bộ đề xuất, thực hiện")."""

    user_id: str
    name: str = ""
    unit_id: str = ""
    position: str = ""
    within_art2: bool = Field(
        False, description="A leader/manager under Art 2: their own encouragement and protection"
    )


class ApprovalPause(Contract):
    remaining_working_days: int
    due_was: date


class ProtectionFacts(Contract):
    """What the Art 11 finding rests on."""

    official_is_eligible: bool
    art5_conditions_met: bool
    approved_under_art8: bool
    implemented_as_decided: bool
    directions_followed: bool
    prohibited_act_found: bool
    outcome: EvaluationOutcomeName
    good_faith: bool
    caused_damage: bool


class Accused(Contract):
    user_id: str = ""
    unit_id: str = ""
    name: str = ""


class Escalation(Contract):
    target: EscalationTargetName
    unit_id: str


# ---------------------------------------------------------------- the events


class _CaseEvent(IntegrationEvent):
    SERVICE: ClassVar[str] = "approval"
    AGGREGATE: ClassVar[str] = "case"
    case_id: UUID
    state: CaseStateName = Field(description="The case's state after this event")


class CaseOpened(_CaseEvent):
    """The competent authority received the plan and opened its file (hồ sơ)."""

    EVENT: ClassVar[str] = "opened"
    TYPE: ClassVar[str] = "d73.case.opened.v1"
    type: Literal["d73.case.opened.v1"] = "d73.case.opened.v1"
    recipient_unit_id: str
    intake_unit_id: str
    protection_eligible: bool
    intake_due: date | None = None
    title: str | None = None
    proposer: Official | None = None
    routing: CaseRouting | None = None
    authority: CaseAuthority | None = None
    plan: PlanDocument | None = Field(None, description="The plan as submitted (Art 7 §2)")
    submitted_at: datetime | None = None


class SupplementRequested(_CaseEvent):
    """Yêu cầu bổ sung hồ sơ — the office asks the proposer to complete the plan by `due`.

    The proposer answers through registration, quoting this event's `id` as `request_id`.
    """

    EVENT: ClassVar[str] = "supplement-requested"
    TYPE: ClassVar[str] = "d73.case.supplement-requested.v1"
    type: Literal["d73.case.supplement-requested.v1"] = "d73.case.supplement-requested.v1"
    items: list[str]
    reason: str
    due: date
    responsible_user_id: str
    responsible_unit_id: str


class SupplementProvided(_CaseEvent):
    """The proposer's supplement reached the case: back to intake, with a fresh intake clock."""

    EVENT: ClassVar[str] = "supplement-provided"
    TYPE: ClassVar[str] = "d73.case.supplement-provided.v1"
    type: Literal["d73.case.supplement-provided.v1"] = "d73.case.supplement-provided.v1"
    changed_fields: list[str]
    attachments: list[str]
    plan: PlanDocument | None
    intake_due: date
    supplemented_on: date | None = Field(
        None, description="Legal date the supplement reached the authority (absent on older events)"
    )


class PlanReceived(_CaseEvent):
    """Tiếp nhận — the plan is complete; the 7-working-day clock of Art 8 §1 starts."""

    EVENT: ClassVar[str] = "plan-received"
    TYPE: ClassVar[str] = "d73.case.plan-received.v1"
    type: Literal["d73.case.plan-received.v1"] = "d73.case.plan-received.v1"
    approval_due: date
    head_id: str
    recipient_unit_id: str
    received_on: date | None = Field(
        None,
        description="Legal date the complete plan was received (submission, or the supplement "
        "that completed it): the Art 8 §1 clock counts from it",
    )
    entered_late: bool = Field(False, description="Recorded after its legal date")


class ConsultationRequested(_CaseEvent):
    """Lấy ý kiến on a broad or complex proposal (Art 8 §2)."""

    EVENT: ClassVar[str] = "consultation-requested"
    TYPE: ClassVar[str] = "d73.case.consultation-requested.v1"
    type: Literal["d73.case.consultation-requested.v1"] = "d73.case.consultation-requested.v1"
    consultees: list[Consultee]
    questions: str
    due: date
    approval_paused: ApprovalPause | None = Field(
        None,
        description="The Art 8 §1 clock paused while consulting (rule set "
        "consultation.pauses_approval_clock; inference)",
    )


class ConsultationOpinionReceived(_CaseEvent):
    EVENT: ClassVar[str] = "consultation-opinion-received"
    TYPE: ClassVar[str] = "d73.case.consultation-opinion-received.v1"
    type: Literal["d73.case.consultation-opinion-received.v1"] = (
        "d73.case.consultation-opinion-received.v1"
    )
    consultee_id: str
    opinion: str
    doc_ref: str


class ConsultationClosed(_CaseEvent):
    EVENT: ClassVar[str] = "consultation-closed"
    TYPE: ClassVar[str] = "d73.case.consultation-closed.v1"
    type: Literal["d73.case.consultation-closed.v1"] = "d73.case.consultation-closed.v1"
    summary: str
    missing_opinions: list[str]
    approval_due: date | None = Field(
        None, description="The paused Art 8 §1 clock runs again with the days it had left"
    )


class PartyCommitteeOpinionRequested(_CaseEvent):
    """Xin ý kiến cấp ủy đảng cùng cấp — before approval and before evaluation (Art 4 §3)."""

    EVENT: ClassVar[str] = "party-committee-opinion-requested"
    TYPE: ClassVar[str] = "d73.case.party-committee-opinion-requested.v1"
    type: Literal["d73.case.party-committee-opinion-requested.v1"] = (
        "d73.case.party-committee-opinion-requested.v1"
    )
    stage: VoteStageName
    committee_id: str


class PartyCommitteeOpinionReceived(_CaseEvent):
    EVENT: ClassVar[str] = "party-committee-opinion-received"
    TYPE: ClassVar[str] = "d73.case.party-committee-opinion-received.v1"
    type: Literal["d73.case.party-committee-opinion-received.v1"] = (
        "d73.case.party-committee-opinion-received.v1"
    )
    stage: VoteStageName
    committee_id: str
    opinion: str
    doc_ref: str


class ApprovalMeetingHeld(_CaseEvent):
    """The leadership collective voted (Art 8 §1): PASSED → APPROVED, else COLLECTIVE_REJECTED."""

    EVENT: ClassVar[str] = "approval-meeting-held"
    TYPE: ClassVar[str] = "d73.case.approval-meeting-held.v1"
    type: Literal["d73.case.approval-meeting-held.v1"] = "d73.case.approval-meeting-held.v1"
    vote: VoteMinutes
    decision_ref: str
    implementer_ids: list[str]
    held_in_time: bool | None = Field(
        None,
        description="Held within the Art 8 §1 seven working days (whatever the outcome); "
        "absent on older events",
    )
    entered_late: bool = Field(False, description="Recorded after the meeting's legal date")
    implementers: list[Implementer] | None = Field(
        None, description="The implementers placed in the directory (absent on older events)"
    )
    plan_hash: str | None = Field(
        None, description="SHA-256 of the approved plan's canonical JSON (protection certificate)"
    )
    decision_signed_on: date | None = Field(
        None,
        description="Legal date of the written approval decision when signed after the meeting "
        "(the approval dates from it; else from the meeting)",
    )


class ApprovedByOverride(_CaseEvent):
    """The head authorised the plan in writing despite the collective (Art 8 §1 ¶2)."""

    EVENT: ClassVar[str] = "approved-by-override"
    TYPE: ClassVar[str] = "d73.case.approved-by-override.v1"
    type: Literal["d73.case.approved-by-override.v1"] = "d73.case.approved-by-override.v1"
    justification: str
    decision_ref: str
    failed_vote_minutes_ref: str
    implementer_ids: list[str]
    implementers: list[Implementer] | None = Field(
        None, description="The implementers placed in the directory (absent on older events)"
    )
    plan_hash: str | None = Field(
        None, description="SHA-256 of the approved plan's canonical JSON (protection certificate)"
    )
    signed_on: date | None = Field(
        None, description="Legal date the head signed the decision (absent on older events)"
    )
    entered_late: bool = Field(False, description="Recorded after its legal date")


class ProposalRejected(_CaseEvent):
    """The head's written decision not to approve, with reasons (terminal)."""

    EVENT: ClassVar[str] = "proposal-rejected"
    TYPE: ClassVar[str] = "d73.case.proposal-rejected.v1"
    type: Literal["d73.case.proposal-rejected.v1"] = "d73.case.proposal-rejected.v1"
    reasons: list[str]
    decision_ref: str
    signed_on: date | None = Field(
        None, description="Legal date the head signed the decision (absent on older events)"
    )
    entered_late: bool = Field(False, description="Recorded after its legal date")


class ProposalWithdrawn(_CaseEvent):
    """The proposer withdrew before the decision (terminal)."""

    EVENT: ClassVar[str] = "proposal-withdrawn"
    TYPE: ClassVar[str] = "d73.case.proposal-withdrawn.v1"
    type: Literal["d73.case.proposal-withdrawn.v1"] = "d73.case.proposal-withdrawn.v1"
    reason: str


class ResourcesAllocated(_CaseEvent):
    """Bảo đảm nguồn lực — equipment, staff and funding (Art 10 §2)."""

    EVENT: ClassVar[str] = "resources-allocated"
    TYPE: ClassVar[str] = "d73.case.resources-allocated.v1"
    type: Literal["d73.case.resources-allocated.v1"] = "d73.case.resources-allocated.v1"
    equipment: list[str]
    staff: list[str]
    funding_vnd: Decimal | None
    source_ref: str


class ImplementationStarted(_CaseEvent):
    EVENT: ClassVar[str] = "implementation-started"
    TYPE: ClassVar[str] = "d73.case.implementation-started.v1"
    type: Literal["d73.case.implementation-started.v1"] = "d73.case.implementation-started.v1"
    start_date: date
    entered_late: bool = Field(False, description="Recorded after its legal date")


class ProgressReported(_CaseEvent):
    EVENT: ClassVar[str] = "progress-reported"
    TYPE: ClassVar[str] = "d73.case.progress-reported.v1"
    type: Literal["d73.case.progress-reported.v1"] = "d73.case.progress-reported.v1"
    period: str
    progress_percent: int = Field(ge=0, le=100)
    issues: str
    risk_of_damage: bool


class ImplementationSuspended(_CaseEvent):
    """Tạm dừng — a written, reasoned decision (form M4)."""

    EVENT: ClassVar[str] = "implementation-suspended"
    TYPE: ClassVar[str] = "d73.case.implementation-suspended.v1"
    type: Literal["d73.case.implementation-suspended.v1"] = "d73.case.implementation-suspended.v1"
    decision_ref: str
    reasons: list[str]


class ImplementationResumed(_CaseEvent):
    EVENT: ClassVar[str] = "implementation-resumed"
    TYPE: ClassVar[str] = "d73.case.implementation-resumed.v1"
    type: Literal["d73.case.implementation-resumed.v1"] = "d73.case.implementation-resumed.v1"
    decision_ref: str
    conditions: list[str]


class ImplementationStopped(_CaseEvent):
    """Dừng — a written, reasoned decision; a final report of partial results follows."""

    EVENT: ClassVar[str] = "implementation-stopped"
    TYPE: ClassVar[str] = "d73.case.implementation-stopped.v1"
    type: Literal["d73.case.implementation-stopped.v1"] = "d73.case.implementation-stopped.v1"
    decision_ref: str
    reasons: list[str]


class CompletionReported(_CaseEvent):
    """Báo cáo kết quả (form M5); `late` when received after `report_due` (5 working days).

    `reported_on` is the legal date the authority received the report; the evaluation clock
    (`evaluation_due`, 7 working days) counts from it."""

    EVENT: ClassVar[str] = "completion-reported"
    TYPE: ClassVar[str] = "d73.case.completion-reported.v1"
    type: Literal["d73.case.completion-reported.v1"] = "d73.case.completion-reported.v1"
    completed_on: date
    reported_on: date
    report_due: date
    late: bool
    after_stop: bool
    results_vs_targets: list[ResultAgainstTarget]
    resources_used: dict[str, Any]
    damage: Damage
    evaluation_due: date
    entered_late: bool = Field(False, description="Recorded after its legal date")


class EvaluationMeetingHeld(_CaseEvent):
    """The collective voted on an assessed outcome; a failed vote waits for another meeting."""

    EVENT: ClassVar[str] = "evaluation-meeting-held"
    TYPE: ClassVar[str] = "d73.case.evaluation-meeting-held.v1"
    type: Literal["d73.case.evaluation-meeting-held.v1"] = "d73.case.evaluation-meeting-held.v1"
    vote: VoteMinutes
    assessed_outcome: EvaluationOutcomeName
    conclusion_due: date
    held_in_time: bool | None = Field(
        None,
        description="Held within the 7 working days from the completion report's receipt; "
        "absent on older events",
    )
    entered_late: bool = Field(False, description="Recorded after the meeting's legal date")
    good_faith_finding: bool | None = Field(
        None,
        description="The collective's good-faith finding (Art 5 §2b, Art 11 §2-3), when it "
        "voted one; absent on older events",
    )


class EvaluationConcluded(_CaseEvent):
    """Kết luận đánh giá in writing (form M6)."""

    EVENT: ClassVar[str] = "evaluation-concluded"
    TYPE: ClassVar[str] = "d73.case.evaluation-concluded.v1"
    type: Literal["d73.case.evaluation-concluded.v1"] = "d73.case.evaluation-concluded.v1"
    outcome: EvaluationOutcomeName
    caused_damage: bool
    good_faith_finding: bool
    causes: Causes
    conclusion_ref: str
    meeting_minutes_ref: str
    issued_late: bool
    issued_on: date | None = Field(
        None,
        description="Legal date the conclusion was signed: `issued_late` when after the 3 working "
        "days from the meeting (absent on older events)",
    )
    entered_late: bool = Field(False, description="Recorded after its legal date")


class ResultRecognized(_CaseEvent):
    """Công nhận kết quả — a result concluded as COMPLETED."""

    EVENT: ClassVar[str] = "result-recognized"
    TYPE: ClassVar[str] = "d73.case.result-recognized.v1"
    type: Literal["d73.case.result-recognized.v1"] = "d73.case.result-recognized.v1"
    conclusion_ref: str
    publication_ref: str


class EncouragementGranted(_CaseEvent):
    """A form of Art 10 §1 granted to the official, an implementer, the agency or its head."""

    EVENT: ClassVar[str] = "encouragement-granted"
    TYPE: ClassVar[str] = "d73.case.encouragement-granted.v1"
    type: Literal["d73.case.encouragement-granted.v1"] = "d73.case.encouragement-granted.v1"
    form: EncouragementFormName
    beneficiary: BeneficiaryRef
    decision_ref: str
    description: str


class ProtectionDetermined(_CaseEvent):
    """The Art 11 finding for one official — the proposer or an implementer (`official_id`),
    each with their own determination: the tier and the facts it rests on."""

    EVENT: ClassVar[str] = "protection-determined"
    TYPE: ClassVar[str] = "d73.case.protection-determined.v1"
    type: Literal["d73.case.protection-determined.v1"] = "d73.case.protection-determined.v1"
    official_id: str
    tier: ProtectionTierName
    reasons: list[str]
    facts: ProtectionFacts
    decision_ref: str
    referred_to: str


class ProhibitedActReported(_CaseEvent):
    """A report of an Art 6 act, including §2 retaliation against the official."""

    EVENT: ClassVar[str] = "prohibited-act-reported"
    TYPE: ClassVar[str] = "d73.case.prohibited-act-reported.v1"
    type: Literal["d73.case.prohibited-act-reported.v1"] = "d73.case.prohibited-act-reported.v1"
    report_number: int
    act: ProhibitedActCode
    accused: Accused
    description: str
    evidence_refs: list[str]


class ProhibitedActFindingRecorded(_CaseEvent):
    """A finding on a report; one against the official may revoke protection (Art 6, 11)."""

    EVENT: ClassVar[str] = "prohibited-act-finding-recorded"
    TYPE: ClassVar[str] = "d73.case.prohibited-act-finding-recorded.v1"
    type: Literal["d73.case.prohibited-act-finding-recorded.v1"] = (
        "d73.case.prohibited-act-finding-recorded.v1"
    )
    report_number: int
    act: ProhibitedActCode
    accused: Accused
    substantiated: bool
    against_official: bool
    finding_ref: str
    notes: str
    protection_revoked: bool


class DeadlineApproaching(_CaseEvent):
    """Sắp đến hạn — the person or unit answering for a deadline is reminded."""

    EVENT: ClassVar[str] = "deadline-approaching"
    TYPE: ClassVar[str] = "d73.case.deadline-approaching.v1"
    type: Literal["d73.case.deadline-approaching.v1"] = "d73.case.deadline-approaching.v1"
    deadline: DeadlineNameValue
    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None


class DeadlineBreached(_CaseEvent):
    """Quá hạn — who is late; an overdue approval names where it was escalated."""

    EVENT: ClassVar[str] = "deadline-breached"
    TYPE: ClassVar[str] = "d73.case.deadline-breached.v1"
    type: Literal["d73.case.deadline-breached.v1"] = "d73.case.deadline-breached.v1"
    deadline: DeadlineNameValue
    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None
    escalated_to: Escalation | None


class CaseClosed(_CaseEvent):
    """Lưu trữ — the file is archived (terminal)."""

    EVENT: ClassVar[str] = "case-closed"
    TYPE: ClassVar[str] = "d73.case.case-closed.v1"
    type: Literal["d73.case.case-closed.v1"] = "d73.case.case-closed.v1"
    summary: str


CONTRACT_OF_CASE_EVENT: dict[str, type[_CaseEvent]] = {
    "Opened": CaseOpened,
    "SupplementRequested": SupplementRequested,
    "SupplementProvided": SupplementProvided,
    "PlanReceived": PlanReceived,
    "ConsultationRequested": ConsultationRequested,
    "ConsultationOpinionReceived": ConsultationOpinionReceived,
    "ConsultationClosed": ConsultationClosed,
    "PartyCommitteeOpinionRequested": PartyCommitteeOpinionRequested,
    "PartyCommitteeOpinionReceived": PartyCommitteeOpinionReceived,
    "ApprovalMeetingHeld": ApprovalMeetingHeld,
    "ApprovedByOverride": ApprovedByOverride,
    "ProposalRejected": ProposalRejected,
    "ProposalWithdrawn": ProposalWithdrawn,
    "ResourcesAllocated": ResourcesAllocated,
    "ImplementationStarted": ImplementationStarted,
    "ProgressReported": ProgressReported,
    "ImplementationSuspended": ImplementationSuspended,
    "ImplementationResumed": ImplementationResumed,
    "ImplementationStopped": ImplementationStopped,
    "CompletionReported": CompletionReported,
    "EvaluationMeetingHeld": EvaluationMeetingHeld,
    "EvaluationConcluded": EvaluationConcluded,
    "ResultRecognized": ResultRecognized,
    "EncouragementGranted": EncouragementGranted,
    "ProtectionDetermined": ProtectionDetermined,
    "ProhibitedActReported": ProhibitedActReported,
    "ProhibitedActFindingRecorded": ProhibitedActFindingRecorded,
    "DeadlineApproaching": DeadlineApproaching,
    "DeadlineBreached": DeadlineBreached,
    "CaseClosed": CaseClosed,
}
"""The name of each Case domain event (`@event("…")`) → its contract."""

APPROVAL_EVENTS: tuple[type[IntegrationEvent], ...] = tuple(CONTRACT_OF_CASE_EVENT.values())
