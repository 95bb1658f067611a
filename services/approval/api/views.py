"""What the HTTP API shows of a case and of an inbox (response bodies)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.approval.application import ApprovalApplication
from services.approval.case_rules import CaseRules
from services.approval.domain.case import Case
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.states import TRANSITIONS
from services.approval.domain.vote import VoteStage
from services.approval.inbox import InboxItem
from services.approval.read_models import DueClock
from shared.contracts.plan import PlanDocument
from shared.contracts.vocabulary import CaseState, DeadlineName


class DeadlineView(BaseModel):
    """A running clock (thời hạn): what is due, by when, who answers for it."""

    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None
    legal_basis: str
    approaching_noted: bool
    breached: bool


class AuthorityView(BaseModel):
    head_id: str
    deputy_ids: list[str]
    delegate_ids: list[str]
    recipient_unit_id: str
    intake_unit_id: str
    implementer_ids: list[str]
    excluded_from_vote: list[str] = Field(description="A deputy who proposed (Art 8 §1)")


class CaseView(BaseModel):
    """The whole file of one case, as its parties, Sở Nội vụ and auditors read it."""

    id: UUID
    proposal_id: UUID
    version: int
    state: CaseState
    title: str
    proposer: dict[str, Any]
    protection_eligible: bool
    routing: dict[str, Any]
    authority: AuthorityView
    plan: PlanDocument
    rule_set_version: str
    rule_set_note: str | None = Field(
        None,
        description="When the case's rule-set version was withdrawn (the 2025.1 demo set): why, "
        "and which adopted version its new deadlines follow (in every answer that shows the "
        "case; reporting's timeline and overdue list say it too)",
    )
    submitted_at: datetime
    opened_at: datetime
    received_at: datetime | None
    received_on: date | None = Field(
        description="Legal date the complete plan was received: the Art 8 §1 clock counts from it"
    )
    open_deadlines: dict[DeadlineName, DeadlineView]
    consultations: dict[str, dict[str, Any]]
    party_opinions: dict[str, dict[str, Any] | None]
    votes: list[dict[str, Any]]
    approval: dict[str, Any] | None
    resources: list[dict[str, Any]]
    progress_reports: list[dict[str, Any]]
    directions: list[dict[str, Any]]
    completion: dict[str, Any] | None
    evaluated_outcome: EvaluationOutcome | None
    conclusion: dict[str, Any] | None
    result_recognized: bool
    encouragements: list[dict[str, Any]]
    protection: dict[str, Any] | None
    protections: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Every official's own determination by user id: the proposer's and each "
        "implementer's (Art 11); `protection` is the proposer's",
    )
    prohibited_act_reports: list[dict[str, Any]]
    next_commands: list[str] = Field(
        description="The commands the case accepts in its state (domain.md §12); who may give "
        "each one is checked when it is given"
    )

    @classmethod
    def of(cls, case: Case, rules: CaseRules) -> CaseView:
        authority = case.competent_authority
        return cls(
            id=case.id,
            proposal_id=case.proposal_id,
            version=case.version,
            state=case.state,
            title=case.title,
            proposer=case.proposer,
            protection_eligible=case.protection_eligible,
            routing=case.routing,
            authority=AuthorityView(
                head_id=authority.head_id,
                deputy_ids=list(authority.deputy_ids),
                delegate_ids=list(authority.delegate_ids),
                recipient_unit_id=authority.recipient_unit_id,
                intake_unit_id=authority.intake_unit_id,
                implementer_ids=list(authority.implementer_ids),
                excluded_from_vote=list(authority.excluded_from_vote),
            ),
            plan=case.plan,
            rule_set_version=case.rule_set_version,
            rule_set_note=rules.note,
            submitted_at=case.submitted_at,
            opened_at=case.opened_at,
            received_at=case.received_at,
            received_on=case.received_on,
            open_deadlines={
                name: DeadlineView(
                    due=d.due,
                    responsible_user_id=d.responsible_user_id,
                    responsible_unit_id=d.responsible_unit_id,
                    legal_basis=d.legal_basis,
                    approaching_noted=d.approaching_noted,
                    breached=d.breached,
                )
                for name, d in case.open_deadlines().items()
            },
            consultations=case.consultations,
            party_opinions={stage.value: case.party_opinion(stage) for stage in VoteStage},
            votes=[v.as_dict() for v in case.vote_records()],
            approval=case.approval,
            resources=case.resources,
            progress_reports=case.progress_reports,
            directions=case.directions,
            completion=case.completion,
            evaluated_outcome=case.evaluated_outcome,
            conclusion=case.conclusion,
            result_recognized=case.result_recognized,
            encouragements=case.encouragements,
            protection=case.protection,
            protections=case.protections,
            prohibited_act_reports=case.prohibited_act_reports,
            next_commands=[
                command.value
                for command, transition in TRANSITIONS.items()
                if case.state in transition.sources
            ],
        )


class NextDue(BaseModel):
    deadline: DeadlineName
    due: date
    responsible_user_id: str | None
    responsible_unit_id: str | None
    breached: bool

    @classmethod
    def of(cls, clock: DueClock) -> NextDue:
        return cls(
            deadline=clock.name,
            due=clock.due,
            responsible_user_id=clock.responsible_user_id,
            responsible_unit_id=clock.responsible_unit_id,
            breached=clock.breached,
        )


class InboxEntry(BaseModel):
    """A case waiting for the caller, and in which capacity (HEAD, DEPUTY, OFFICE…)."""

    case_id: UUID
    proposal_id: UUID
    title: str
    state: CaseState
    capacities: list[str]
    next_due: NextDue | None
    overdue: bool

    @classmethod
    def of(cls, item: InboxItem) -> InboxEntry:
        return cls(
            case_id=item.case_id,
            proposal_id=item.proposal_id,
            title=item.title,
            state=item.state,
            capacities=list(item.capacities),
            next_due=None if item.next_due is None else NextDue.of(item.next_due),
            overdue=item.overdue,
        )


def case_view(approval: ApprovalApplication, case: Case) -> CaseView:
    """The case as every answer shows it, read with its own rule set (`rule_set_note`)."""
    return CaseView.of(case, approval.rules_for(case))
