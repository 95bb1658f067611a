"""Decision: the collective's approval meeting (họp tập thể lãnh đạo, Art 8 §1), the head's
written override of a failed vote (Art 8 §1 ¶2) or confirmed rejection, and withdrawal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypedDict

from services.approval.domain import legal_basis
from services.approval.domain.case_values import (
    Approval,
    HeldVote,
    Implementer,
    ImplementerEntry,
)
from services.approval.domain.errors import FieldProblems, LegalStep
from services.approval.domain.record import (
    CaseEvent,
    CaseRecord,
    MeetingHeld,
    check_legal_date,
    texts,
)
from services.approval.domain.states import Command
from services.approval.domain.vote import VoteRecord, VoteStage
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date
from shared.kernel.rulesets.model import AbstentionRule
from shared.records.plan_hash import plan_hash as hash_of_plan


class ApprovedPlan(TypedDict):
    """The plan an approval approves and its hash (`shared.records.plan_hash`)."""

    plan: dict[str, object]
    plan_hash: str


class ApprovalMeetingHeld(MeetingHeld):
    # The head's written decision after a failed vote is not late (Art 8 §1 ¶2).
    CLOCK = DeadlineName.APPROVAL
    decision_ref: str
    implementer_ids: list[str]
    plan: dict[str, object] | None = None
    plan_hash: str | None = None
    implementers: list[ImplementerEntry] | None = None
    held_in_time: bool | None = None
    entered_late: bool = False
    decision_signed_on: date | None = None

    def record_passed(self, case: CaseRecord, vote: HeldVote) -> None:
        by_vote = Approval(
            by_override=False,
            decision_ref=self.decision_ref,
            minutes_ref=vote.minutes_ref,
            justification="",
            approved_at=self.stamp["at"],
        )
        case._record_approval(by_vote, self, self.decision_signed_on or vote.held_on)


class ApprovedByOverride(CaseEvent):
    justification: str
    decision_ref: str
    failed_vote_minutes_ref: str
    implementer_ids: list[str]
    plan: dict[str, object] | None = None
    plan_hash: str | None = None
    implementers: list[ImplementerEntry] | None = None
    signed_on: date | None = None
    entered_late: bool = False

    def record_in(self, case: CaseRecord) -> None:
        by_override = Approval(
            by_override=True,
            decision_ref=self.decision_ref,
            minutes_ref=self.failed_vote_minutes_ref,
            justification=self.justification,
            approved_at=self.stamp["at"],
        )
        case._record_approval(by_override, self, self.signed_on or local_date(self.stamp["at"]))


class ProposalRejected(CaseEvent):
    reasons: list[str]
    decision_ref: str
    signed_on: date | None = None
    entered_late: bool = False

    def record_in(self, case: CaseRecord) -> None:
        case._deadlines.clear()


class ProposalWithdrawn(CaseEvent):
    reason: str

    def record_in(self, case: CaseRecord) -> None:
        case._deadlines.clear()


class Decision(CaseRecord):
    """The commands of the decision on the plan."""

    def hold_approval_meeting(
        self,
        actor: Actor,
        at: datetime,
        *,
        held_on: date,
        ballots: Sequence[Mapping[str, str]],
        minutes_ref: str,
        implementer_ids: Sequence[str] | None = None,
        decision_ref: str = "",
        party_opinion_required: bool = True,
        abstention: AbstentionRule = AbstentionRule.NOT_A_VOTE_CAST,
        implementers: Sequence[Mapping[str, Any]] | None = None,
        decision_signed_on: date | None = None,
    ) -> VoteRecord:
        """Họp tập thể lãnh đạo (Art 8 §1): passes → APPROVED, fails → COLLECTIVE_REJECTED.

        `decision_signed_on` is the legal date of the written approval decision
        (`decision_ref`) when it was signed after the meeting; the approval dates from it."""
        command = Command.HOLD_APPROVAL_MEETING
        who = self._admit(command, actor, at)
        problems = FieldProblems()
        if (
            check_legal_date(
                problems,
                "held_on",
                held_on,
                at,
                after=LegalStep.PLAN_RECEIVED,
                earlier=self._received_on,
            )
            and decision_signed_on is not None
        ):
            check_legal_date(
                problems,
                "decision_signed_on",
                decision_signed_on,
                at,
                after=LegalStep.APPROVAL_MEETING,
                earlier=held_on,
            )
        named = self._implementers_or_proposer(implementer_ids, implementers)
        problems.raise_if_any()
        self._require_party_opinion(VoteStage.APPROVAL, party_opinion_required)
        motion = "approve the proposal plan"
        record = self._count_vote(
            VoteStage.APPROVAL, held_on, minutes_ref, ballots, motion, abstention
        )
        target = CaseState.APPROVED if record.passed else CaseState.COLLECTIVE_REJECTED
        approved = self._plan_as_approved() if record.passed else None
        self._record(
            ApprovalMeetingHeld,
            command,
            who,
            at,
            legal_basis.APPROVAL_MEETING,
            target,
            held_in_time=self._held_in_time(DeadlineName.APPROVAL, held_on),
            entered_late=local_date(at) > held_on,
            vote=record.as_dict(),
            decision_ref=decision_ref,
            implementer_ids=[i["user_id"] for i in named],
            implementers=named,
            plan=None if approved is None else approved["plan"],
            plan_hash=None if approved is None else approved["plan_hash"],
            decision_signed_on=decision_signed_on,
        )
        return record

    def override_collective_rejection(
        self,
        actor: Actor,
        at: datetime,
        *,
        justification: str,
        decision_ref: str,
        implementer_ids: Sequence[str] | None = None,
        party_opinion_required: bool = True,
        implementers: Sequence[Mapping[str, Any]] | None = None,
        signed_on: date | None = None,
    ) -> None:
        """Art 8 §1 ¶2: the head may still authorise it, in writing, answering for it.

        `signed_on` is the decision's legal date (default: the day it is entered); the
        approval, and so the earliest implementation start, dates from it."""
        command = Command.OVERRIDE_COLLECTIVE_REJECTION
        who = self._admit(command, actor, at)
        failed = self._last_vote(VoteStage.APPROVAL)
        signed = self._written_after_meeting("signed_on", signed_on, at, VoteStage.APPROVAL)
        named = self._implementers_or_proposer(implementer_ids, implementers)
        self._require_party_opinion(VoteStage.APPROVAL, party_opinion_required)
        self._record(
            ApprovedByOverride,
            command,
            who,
            at,
            legal_basis.OVERRIDE,
            CaseState.APPROVED,
            justification=justification,
            decision_ref=decision_ref,
            failed_vote_minutes_ref=failed.minutes_ref,
            implementer_ids=[i["user_id"] for i in named],
            implementers=named,
            signed_on=signed,
            entered_late=local_date(at) > signed,
            **self._plan_as_approved(),
        )

    def confirm_rejection(
        self,
        actor: Actor,
        at: datetime,
        *,
        reasons: Sequence[str],
        decision_ref: str,
        signed_on: date | None = None,
    ) -> None:
        """The head's written decision not to approve, with reasons (terminal); `signed_on` is
        its legal date (default: the day it is entered)."""
        who = self._admit(Command.CONFIRM_REJECTION, actor, at)
        signed = self._written_after_meeting("signed_on", signed_on, at, VoteStage.APPROVAL)
        self._record(
            ProposalRejected,
            Command.CONFIRM_REJECTION,
            who,
            at,
            legal_basis.REJECTION,
            CaseState.REJECTED,
            reasons=texts(reasons),
            decision_ref=decision_ref,
            signed_on=signed,
            entered_late=local_date(at) > signed,
        )

    def withdraw(self, actor: Actor, at: datetime, *, reason: str = "") -> None:
        """From registration's `withdrawn`, before the head's final decision (terminal)."""
        who = self._admit(Command.WITHDRAW, actor, at)
        self._record(
            ProposalWithdrawn,
            Command.WITHDRAW,
            who,
            at,
            legal_basis.WITHDRAWAL,
            CaseState.WITHDRAWN,
            reason=reason,
        )

    def _plan_as_approved(self) -> ApprovedPlan:
        """The plan that an approval approves, and its hash: recorded in the approval event so
        that the signed log shows what was approved (Art 8 §1; the protection certificate)."""
        plan = self._plan.document()
        return {"plan": plan, "plan_hash": hash_of_plan(plan)}

    def _implementers_or_proposer(
        self,
        implementer_ids: Sequence[str] | None,
        implementers: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[ImplementerEntry]:
        """Who implements the plan (Art 10, Art 11: "cán bộ đề xuất, thực hiện"), each with
        whether they are within Art 2; by default the proposer alone. The command checked the
        ids; the service placed each one in the directory (`implementers`)."""
        if implementers is not None:
            return [Implementer.of(entry).as_entry() for entry in implementers]
        ids = [self._proposer.user_id] if implementer_ids is None else implementer_ids
        return [self._implementer(i).as_entry() for i in ids]
