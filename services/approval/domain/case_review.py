"""Review: consultation of agencies and experts (lấy ý kiến, Art 8 §2) and the same-level Party
committee's opinion (Art 4 §3), before approval and before evaluation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TypedDict

from services.approval.domain import legal_basis
from services.approval.domain.case_values import Consultation, PartyOpinion, PausedApproval
from services.approval.domain.errors import Conflict
from services.approval.domain.record import CaseEvent, CaseRecord, require_due
from services.approval.domain.states import Command
from services.approval.domain.vote import VoteStage
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date

_PARTY_OPINION_COMMANDS = {
    VoteStage.APPROVAL: (
        Command.REQUEST_PARTY_OPINION_ON_APPROVAL,
        Command.RECEIVE_PARTY_OPINION_ON_APPROVAL,
    ),
    VoteStage.EVALUATION: (
        Command.REQUEST_PARTY_OPINION_ON_EVALUATION,
        Command.RECEIVE_PARTY_OPINION_ON_EVALUATION,
    ),
}


class PausedClock(TypedDict):
    """The Art 8 §1 clock a consultation pauses: the working days it had left."""

    remaining_working_days: int
    due_was: date


class ConsultationRequested(CaseEvent):
    consultees: list[dict[str, str]]
    questions: str
    due: date
    approval_paused: PausedClock | None = None

    def record_in(self, case: CaseRecord) -> None:
        if self.approval_paused is not None:
            case._paused_approval = PausedApproval(**self.approval_paused)
            case._close_deadline(DeadlineName.APPROVAL)
        case._consultees = {
            c["id"]: Consultation(id=c["id"], kind=c["kind"], name=c.get("name", ""))
            for c in self.consultees
        }
        case._open_heads_deadline(DeadlineName.CONSULTATION, self.due, legal_basis.CONSULTATION)


class ConsultationOpinionReceived(CaseEvent):
    consultee_id: str
    opinion: str
    doc_ref: str

    def record_in(self, case: CaseRecord) -> None:
        consulted = case._consultees[self.consultee_id]
        case._consultees[self.consultee_id] = consulted.received(
            self.opinion, self.doc_ref, self.stamp["at"]
        )


class ConsultationClosed(CaseEvent):
    summary: str
    missing_opinions: list[str]
    approval_due: date | None = None

    def record_in(self, case: CaseRecord) -> None:
        case._close_deadline(DeadlineName.CONSULTATION)
        if self.approval_due is not None:
            case._paused_approval = None
            case._open_heads_deadline(
                DeadlineName.APPROVAL, self.approval_due, legal_basis.APPROVAL_MEETING
            )


class PartyCommitteeOpinionRequested(CaseEvent):
    stage: str
    committee_id: str

    def record_in(self, case: CaseRecord) -> None:
        case._party_opinions[self.stage] = PartyOpinion(
            stage=self.stage, committee_id=self.committee_id, requested_at=self.stamp["at"]
        )


class PartyCommitteeOpinionReceived(CaseEvent):
    stage: str
    committee_id: str
    opinion: str
    doc_ref: str

    def record_in(self, case: CaseRecord) -> None:
        sought = case._party_opinions[self.stage]
        case._party_opinions[self.stage] = sought.received(
            self.opinion, self.doc_ref, self.stamp["at"]
        )


class Review(CaseRecord):
    """The commands of review: consultation and the Party committee's opinion."""

    def request_consultation(
        self,
        actor: Actor,
        at: datetime,
        *,
        consultees: Sequence[Mapping[str, str]],
        questions: str,
        due: date,
        approval_days_left: int | None = None,
    ) -> None:
        """Lấy ý kiến for a broad or complex proposal (Art 8 §2).

        `approval_days_left`: when the rule set pauses the Art 8 §1 clock during a consultation
        (an inference: the decree does not say), the working days it had left; None keeps it
        running."""
        who = self._admit(Command.REQUEST_CONSULTATION, actor, at)
        require_due("due", due, not_before=local_date(at))
        self._record(
            ConsultationRequested,
            Command.REQUEST_CONSULTATION,
            who,
            at,
            legal_basis.CONSULTATION,
            CaseState.IN_CONSULTATION,
            consultees=[
                {"id": c["id"], "kind": c["kind"], "name": str(c.get("name") or "")}
                for c in consultees
            ],
            questions=questions,
            due=due,
            approval_paused=None
            if approval_days_left is None or DeadlineName.APPROVAL not in self._deadlines
            else {
                "remaining_working_days": approval_days_left,
                "due_was": self._deadlines[DeadlineName.APPROVAL].due,
            },
        )

    def receive_consultation_opinion(
        self,
        actor: Actor,
        at: datetime,
        *,
        consultee_id: str,
        opinion: str,
        doc_ref: str,
    ) -> None:
        who = self._admit(Command.RECEIVE_CONSULTATION_OPINION, actor, at)
        if consultee_id not in self._consultees:
            raise Conflict(f"{consultee_id} was not consulted on this proposal")
        if self._consultees[consultee_id].opinion is not None:
            raise Conflict(f"the opinion of {consultee_id} has already been received")
        self._record(
            ConsultationOpinionReceived,
            Command.RECEIVE_CONSULTATION_OPINION,
            who,
            at,
            legal_basis.CONSULTATION,
            consultee_id=consultee_id,
            opinion=opinion,
            doc_ref=doc_ref,
        )

    def close_consultation(
        self,
        actor: Actor,
        at: datetime,
        *,
        summary: str = "",
        approval_due: date | None = None,
    ) -> None:
        """Back to review; opinions still missing are listed in the event. A paused Art 8 §1
        clock runs again with the days it had left (`approval_due`, from the case's rules)."""
        who = self._admit(Command.CLOSE_CONSULTATION, actor, at)
        if self._paused_approval is not None:
            require_due("approval_due", approval_due, not_before=local_date(at))
        missing = [cid for cid, c in self._consultees.items() if c.opinion is None]
        self._record(
            ConsultationClosed,
            Command.CLOSE_CONSULTATION,
            who,
            at,
            legal_basis.CONSULTATION,
            CaseState.UNDER_REVIEW,
            summary=summary,
            missing_opinions=missing,
            approval_due=approval_due if self._paused_approval is not None else None,
        )

    def request_party_opinion(
        self,
        actor: Actor,
        at: datetime,
        *,
        stage: VoteStage | str,
        committee_id: str,
    ) -> None:
        """Xin ý kiến cấp ủy đảng cùng cấp — before approval and before evaluation (Art 4 §3)."""
        phase = VoteStage(stage)
        command = _PARTY_OPINION_COMMANDS[phase][0]
        who = self._admit(command, actor, at)
        if phase.value in self._party_opinions:
            raise Conflict(f"the Party committee's opinion on {phase.value} was already sought")
        self._record(
            PartyCommitteeOpinionRequested,
            command,
            who,
            at,
            legal_basis.PARTY_OPINION,
            stage=phase.value,
            committee_id=committee_id,
        )

    def receive_party_opinion(
        self,
        actor: Actor,
        at: datetime,
        *,
        stage: VoteStage | str,
        opinion: str,
        doc_ref: str,
    ) -> None:
        phase = VoteStage(stage)
        command = _PARTY_OPINION_COMMANDS[phase][1]
        who = self._admit(command, actor, at)
        sought = self._party_opinions.get(phase.value)
        if sought is None:
            raise Conflict(f"the Party committee's opinion on {phase.value} was not sought")
        if sought.received_at is not None:
            raise Conflict(f"the Party committee's opinion on {phase.value} was already received")
        self._record(
            PartyCommitteeOpinionReceived,
            command,
            who,
            at,
            legal_basis.PARTY_OPINION,
            stage=phase.value,
            committee_id=sought.committee_id,
            opinion=opinion,
            doc_ref=doc_ref,
        )
