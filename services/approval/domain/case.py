"""Hồ sơ đề xuất — the competent authority's case on one proposal (Decree 73, Arts 4–11).

Every public command checks, in order: the actor's authority (NotAllowed), the state
(InvalidTransition), the input (Invalid), then the case's record (Conflict); only then does it
trigger one private `@event` method, whose body is the only place state changes. A refused
command records nothing.

Every event carries a `stamp`: proposal id, actor, the instant `at`, the legal basis, the
rule-set version the case was opened under, and the state the event leaves the case in — so an
adapter can map the stored event alone to an integration event. The domain computes no dates:
the application passes each due date in, computed with the case's rule set.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.approval.domain import legal_basis
from services.approval.domain.authority import SYSTEM, Actor, CompetentAuthority, Step
from services.approval.domain.deadlines import (
    DeadlineName,
    EscalationTarget,
    OpenDeadline,
)
from services.approval.domain.encouragement import (
    PERSONAL_FORMS,
    Beneficiary,
    EncouragementForm,
)
from services.approval.domain.errors import Conflict, FieldProblems, InvalidTransition, NotAllowed
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.prohibited_acts import ProhibitedAct
from services.approval.domain.protection import (
    ProtectionFacts,
    ProtectionTier,
    determine_protection,
)
from services.approval.domain.states import TERMINAL_STATES, TRANSITIONS, CaseState, Command
from services.approval.domain.vote import VoteRecord, VoteStage, count_vote
from shared.calendar import local_date
from shared.certificate.plan import plan_hash as hash_of_plan
from shared.rulesets.model import AbstentionRule

CASE_NAMESPACE = uuid5(NAMESPACE_URL, "d73:approval:case")
ROUTING_TARGETS = ("CITY_PC_VIA_DOHA", "AGENCY_HEAD", "SUPERIOR_HEAD")
SYSTEM_ACTOR: Mapping[str, Any] = MappingProxyType(
    {"user_id": "system", "roles": (SYSTEM,), "unit_id": ""}
)
"""Who opens a case when registration's `submitted` arrives."""

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


E = TypeVar("E", bound=StrEnum)


def _texts(values: Sequence[str]) -> list[str]:
    return [str(v) for v in values]


def _member(kind: type[E], value: object) -> E | None:
    """The member of `kind` whose value is `value`, or None."""
    if not isinstance(value, str):
        return None
    try:
        return kind(value)
    except ValueError:
        return None


class Case(Aggregate):
    """The file (hồ sơ) that the competent authority keeps on one submitted proposal."""

    # ------------------------------------------------------------------ opening

    @staticmethod
    def create_id(proposal_id: UUID) -> UUID:
        """One case per proposal: a redelivered submission maps to the same id."""
        return uuid5(CASE_NAMESPACE, str(proposal_id))

    @classmethod
    def open(
        cls,
        *,
        proposal_id: UUID,
        proposer: Mapping[str, Any],
        title: str,
        protection_eligible: bool,
        routing: Mapping[str, Any],
        authority: Mapping[str, Any],
        plan: Mapping[str, Any],
        submitted_at: datetime,
        opened_at: datetime,
        rule_set_version: str,
        intake_due: date,
        actor: Mapping[str, Any] = SYSTEM_ACTOR,
    ) -> Case:
        """Opens the case when registration's `submitted` arrives (SUBMITTED → IN_INTAKE)."""
        who = Actor.from_mapping(actor)
        problems = FieldProblems()
        if not isinstance(proposal_id, UUID):
            problems.add("proposal_id", "must be a UUID")
        for key in ("user_id", "name", "unit_id"):
            problems.require_text(f"proposer.{key}", proposer.get(key))
        problems.require_text("title", title)
        if not isinstance(protection_eligible, bool):
            problems.add("protection_eligible", "must be true or false")
        if routing.get("target") not in ROUTING_TARGETS:
            problems.add("routing.target", f"must be one of {', '.join(ROUTING_TARGETS)}")
        problems.require_text("routing.recipient_unit_id", routing.get("recipient_unit_id"))
        problems.require_text("authority.head_id", authority.get("head_id"))
        head_id = authority.get("head_id")
        deputy_ids = authority.get("deputy_ids", [])
        delegate_ids = authority.get("delegate_ids", [])
        for field, ids in (
            ("authority.deputy_ids", deputy_ids),
            ("authority.delegate_ids", delegate_ids),
        ):
            if isinstance(ids, str) or not all(isinstance(i, str) and i for i in ids):
                problems.add(field, "must be a list of user ids")
            elif len(set(ids)) != len(ids):
                problems.add(field, "must not repeat a user id")
        if head_id in deputy_ids:
            problems.add("authority.deputy_ids", "must not include the head")
        if head_id and head_id == proposer.get("user_id"):
            # Art 7 §4: a head's own plan goes to the head of the superior agency.
            problems.add("authority.head_id", "the proposer cannot decide on their own proposal")
        problems.require_instant("submitted_at", submitted_at)
        problems.require_instant("opened_at", opened_at)
        problems.require_text("rule_set_version", rule_set_version)
        submitted_ok = isinstance(submitted_at, datetime) and submitted_at.utcoffset() is not None
        # A backlog may open the case after its intake is already due: that is a breach for
        # the scheduler to record, not a reason to refuse the submission.
        problems.require_date(
            "intake_due",
            intake_due,
            not_before=local_date(submitted_at) if submitted_ok else None,
        )
        if (
            submitted_ok
            and isinstance(opened_at, datetime)
            and opened_at.utcoffset() is not None
            and submitted_at > opened_at
        ):
            problems.add("opened_at", "must not be before submitted_at")
        problems.raise_if_any()

        # Routing is kept as registration decided it (its decider_id included); the head
        # named in `authority`, from the directory at opening, is the one who decides.
        routed = {
            **copy.deepcopy(dict(routing)),
            "intake_unit_id": routing.get("intake_unit_id") or routing["recipient_unit_id"],
            "legal_basis": str(routing.get("legal_basis") or ""),
            "directory_version": str(routing.get("directory_version") or ""),
        }
        stamp = {
            "proposal_id": proposal_id,
            "actor": who.as_dict(),
            "at": opened_at,
            "legal_basis": legal_basis.OPENED,
            "rule_set_version": rule_set_version,
            "state": CaseState.IN_INTAKE.value,
        }
        return cls(
            stamp=stamp,
            proposal_id=proposal_id,
            proposer={
                **copy.deepcopy(dict(proposer)),
                "position": str(proposer.get("position") or ""),
            },
            title=title,
            protection_eligible=protection_eligible,
            routing=routed,
            authority={
                "head_id": head_id,
                "deputy_ids": list(deputy_ids),
                "delegate_ids": list(delegate_ids),
            },
            plan=copy.deepcopy(dict(plan)),
            submitted_at=submitted_at,
            intake_due=intake_due,
        )

    @event("Opened")
    def __init__(
        self,
        stamp: dict[str, Any],
        proposal_id: UUID,
        proposer: dict[str, Any],
        title: str,
        protection_eligible: bool,
        routing: dict[str, Any],
        authority: dict[str, Any],
        plan: dict[str, Any],
        submitted_at: datetime,
        intake_due: date,
    ) -> None:
        self._proposal_id = proposal_id
        self._proposer = copy.deepcopy(proposer)
        self._title = title
        self._protection_eligible = protection_eligible
        self._routing = copy.deepcopy(routing)
        self._authority = copy.deepcopy(authority)
        self._plan = copy.deepcopy(plan)
        self._submitted_at = submitted_at
        self._opened_at: datetime = stamp["at"]
        self._rule_set_version: str = stamp["rule_set_version"]
        self._state: str = stamp["state"]
        self._deadlines: dict[str, dict[str, Any]] = {}
        self._received_at: datetime | None = None
        self._plan_complete_on: date = local_date(submitted_at)
        self._received_on: date | None = None
        self._approved_on: date | None = None
        self._started_on: date | None = None
        self._paused_approval: dict[str, Any] | None = None
        self._supplement_rounds = 0
        self._consultees: dict[str, dict[str, Any]] = {}
        self._party_opinions: dict[str, dict[str, Any]] = {}
        self._votes: list[dict[str, Any]] = []
        self._approval: dict[str, Any] | None = None
        self._implementer_ids: list[str] = []
        self._implementers: dict[str, dict[str, Any]] = {}
        self._protections: dict[str, dict[str, Any]] = {}
        self._resources: list[dict[str, Any]] = []
        self._progress: list[dict[str, Any]] = []
        self._directions: list[dict[str, Any]] = []
        self._completion: dict[str, Any] | None = None
        self._evaluated_outcome: str | None = None
        self._conclusion: dict[str, Any] | None = None
        self._recognition: dict[str, Any] | None = None
        self._encouragements: list[dict[str, Any]] = []
        self._protection: dict[str, Any] | None = None
        self._prohibited_acts: list[dict[str, Any]] = []
        self._approved_plan_hash: str | None = None
        self._open_deadline(
            DeadlineName.INTAKE,
            intake_due,
            None,
            routing["intake_unit_id"],
            f"{legal_basis.PLAN88} II.3 (rule set)",
        )

    # ------------------------------------------------------------------ queries

    @property
    def state(self) -> CaseState:
        return CaseState(self._state)

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def proposal_id(self) -> UUID:
        return self._proposal_id

    @property
    def title(self) -> str:
        return self._title

    @property
    def proposer(self) -> dict[str, Any]:
        return copy.deepcopy(self._proposer)

    @property
    def protection_eligible(self) -> bool:
        return self._protection_eligible

    @property
    def routing(self) -> dict[str, Any]:
        return copy.deepcopy(self._routing)

    @property
    def plan(self) -> dict[str, Any]:
        return copy.deepcopy(self._plan)

    @property
    def rule_set_version(self) -> str:
        """The rules in force when the case opened; it is judged by them to the end."""
        return self._rule_set_version

    @property
    def submitted_at(self) -> datetime:
        return self._submitted_at

    @property
    def opened_at(self) -> datetime:
        return self._opened_at

    @property
    def received_at(self) -> datetime | None:
        """When the plan was received as complete: the start of the Art 8 §1 clock."""
        return self._received_at

    @property
    def competent_authority(self) -> CompetentAuthority:
        return CompetentAuthority(
            head_id=self._authority["head_id"],
            deputy_ids=tuple(self._authority["deputy_ids"]),
            delegate_ids=tuple(self._authority["delegate_ids"]),
            recipient_unit_id=self._routing["recipient_unit_id"],
            intake_unit_id=self._routing["intake_unit_id"],
            proposer_id=self._proposer["user_id"],
            implementer_ids=tuple(self._implementer_ids),
        )

    def open_deadlines(self) -> dict[DeadlineName, OpenDeadline]:
        """Running clocks, for the scheduler: name → due date, who answers for it, notes."""
        return {DeadlineName(k): OpenDeadline.from_dict(v) for k, v in self._deadlines.items()}

    def vote_records(self) -> tuple[VoteRecord, ...]:
        return tuple(VoteRecord.from_dict(v) for v in self._votes)

    @property
    def approval(self) -> dict[str, Any] | None:
        """How the plan was approved: by a passing vote or by the head's written override."""
        return copy.deepcopy(self._approval)

    @property
    def is_approved(self) -> bool:
        return self._approval is not None

    @property
    def approved_by_override(self) -> bool:
        return bool(self._approval and self._approval["by_override"])

    @property
    def approved_plan_hash(self) -> str | None:
        """SHA-256 of the plan as approved (`shared.certificate.plan.plan_hash`), which the approval
        event records with the plan itself, so that a protection certificate can prove which
        plan was approved. None before approval (and for an approval recorded before plans
        were)."""
        return self._approved_plan_hash

    @property
    def implementer_ids(self) -> tuple[str, ...]:
        return tuple(self._implementer_ids)

    @property
    def implementers(self) -> list[dict[str, Any]]:
        """Who implements the approved plan, each with whether they are within Art 2."""
        return [self._implementer(i) for i in self._implementer_ids]

    def within_art2(self, user_id: str) -> bool:
        """Art 2: is this party to the case an official under the decree (leader/manager,
        incl. titles in state-owned enterprises and representatives of state capital)?"""
        if user_id == self._proposer["user_id"]:
            return self._protection_eligible
        if user_id in self._implementer_ids:
            return bool(self._implementer(user_id)["within_art2"])
        return user_id in (self._authority["head_id"], *self._authority["deputy_ids"])

    @property
    def consultations(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._consultees)

    def party_opinion(self, stage: VoteStage) -> dict[str, Any] | None:
        opinion = self._party_opinions.get(VoteStage(stage).value)
        return copy.deepcopy(opinion)

    @property
    def resources(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._resources)

    @property
    def progress_reports(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._progress)

    @property
    def directions(self) -> list[dict[str, Any]]:
        """Written suspend / resume / stop decisions, in order."""
        return copy.deepcopy(self._directions)

    @property
    def completion(self) -> dict[str, Any] | None:
        return copy.deepcopy(self._completion)

    @property
    def evaluated_outcome(self) -> EvaluationOutcome | None:
        return (
            None if self._evaluated_outcome is None else EvaluationOutcome(self._evaluated_outcome)
        )

    @property
    def conclusion(self) -> dict[str, Any] | None:
        return copy.deepcopy(self._conclusion)

    @property
    def result_recognized(self) -> bool:
        return self._recognition is not None

    @property
    def encouragements(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._encouragements)

    @property
    def protection(self) -> dict[str, Any] | None:
        return copy.deepcopy(self._protection)

    @property
    def protections(self) -> dict[str, dict[str, Any]]:
        """Each official's own Art 11 determination (the proposer's and each implementer's)."""
        return copy.deepcopy(self._protections)

    def protection_of(self, official_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self._protections.get(official_id))

    @property
    def protection_tier(self) -> ProtectionTier | None:
        return None if self._protection is None else ProtectionTier(self._protection["tier"])

    @property
    def prohibited_act_reports(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self._prohibited_acts)

    # ------------------------------------------------------------------ intake

    def request_supplement(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        items: Sequence[str],
        reason: str,
        due: date,
    ) -> None:
        """Yêu cầu bổ sung: the plan lacks some Art 7 §2 contents."""
        who = self._admit(Command.REQUEST_SUPPLEMENT, Step.OFFICE, actor, at)
        problems = FieldProblems()
        problems.require_texts("items", items)
        problems.require_text("reason", reason)
        problems.require_date("due", due, not_before=local_date(at))
        problems.raise_if_any()
        self._supplement_requested(
            stamp=self._stamp(
                Command.REQUEST_SUPPLEMENT,
                who,
                at,
                legal_basis.SUPPLEMENT,
                CaseState.NEEDS_SUPPLEMENT,
            ),
            items=_texts(items),
            reason=reason,
            due=due,
            responsible_user_id=self._proposer["user_id"],
            responsible_unit_id=self._proposer["unit_id"],
        )

    @event("SupplementRequested")
    def _supplement_requested(
        self,
        stamp: dict[str, Any],
        items: list[str],
        reason: str,
        due: date,
        responsible_user_id: str,
        responsible_unit_id: str,
    ) -> None:
        self._enter(stamp)
        self._close_deadline(DeadlineName.INTAKE)
        self._open_deadline(
            DeadlineName.SUPPLEMENT,
            due,
            responsible_user_id,
            responsible_unit_id,
            legal_basis.SUPPLEMENT,
        )

    def provide_supplement(
        self,
        actor: Mapping[str, Any],
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
        who = self._admit(Command.PROVIDE_SUPPLEMENT, Step.PROPOSER, actor, at)
        problems = FieldProblems()
        if not changed_fields and not attachments:
            problems.add("changed_fields", "a supplement must change a field or add an attachment")
        # From an upstream event that may arrive late: an already-past due date is a breach.
        problems.require_date("intake_due", intake_due)
        problems.raise_if_any()
        self._supplement_provided(
            stamp=self._stamp(
                Command.PROVIDE_SUPPLEMENT, who, at, legal_basis.SUPPLEMENT, CaseState.IN_INTAKE
            ),
            changed_fields=_texts(changed_fields),
            attachments=_texts(attachments),
            plan=None if plan is None else copy.deepcopy(dict(plan)),
            intake_due=intake_due,
            supplemented_on=supplemented_on or local_date(at),
        )

    @event("SupplementProvided")
    def _supplement_provided(
        self,
        stamp: dict[str, Any],
        changed_fields: list[str],
        attachments: list[str],
        plan: dict[str, Any] | None,
        intake_due: date,
        supplemented_on: date | None = None,
    ) -> None:
        self._enter(stamp)
        self._supplement_rounds += 1
        self._plan_complete_on = supplemented_on or local_date(stamp["at"])
        if plan is not None:
            self._plan = copy.deepcopy(plan)
        self._close_deadline(DeadlineName.SUPPLEMENT)
        self._open_deadline(
            DeadlineName.INTAKE,
            intake_due,
            None,
            self._routing["intake_unit_id"],
            f"{legal_basis.PLAN88} II.3 (rule set)",
        )

    @property
    def plan_complete_on(self) -> date:
        """The legal date the authority held the complete plan: the submission date, or the day
        the last supplement reached it. The Art 8 §1 clock counts from it."""
        return self._plan_complete_on

    @property
    def started_on(self) -> date | None:
        """The legal date implementation started; completion is never before it."""
        return self._started_on

    @property
    def received_on(self) -> date | None:
        """The legal date of receipt ("kể từ ngày nhận được kế hoạch"), once accepted."""
        return self._received_on

    def receive_plan(self, actor: Mapping[str, Any], at: datetime, *, approval_due: date) -> None:
        """Tiếp nhận: the plan is complete; the 7 working days of Art 8 §1 run from the day the
        authority received it complete (`plan_complete_on`), not from the clerk's click, so a
        late acceptance is flagged and never moves the deadline."""
        who = self._admit(Command.RECEIVE_PLAN, Step.OFFICE, actor, at)
        problems = FieldProblems()
        problems.require_date("approval_due", approval_due, not_before=self._plan_complete_on)
        problems.raise_if_any()
        self._plan_received(
            stamp=self._stamp(
                Command.RECEIVE_PLAN, who, at, legal_basis.RECEIVED, CaseState.UNDER_REVIEW
            ),
            approval_due=approval_due,
            head_id=self._authority["head_id"],
            recipient_unit_id=self._routing["recipient_unit_id"],
            received_on=self._plan_complete_on,
            entered_late=local_date(at) > self._plan_complete_on,
        )

    @event("PlanReceived")
    def _plan_received(
        self,
        stamp: dict[str, Any],
        approval_due: date,
        head_id: str,
        recipient_unit_id: str,
        received_on: date | None = None,
        entered_late: bool = False,
    ) -> None:
        self._enter(stamp)
        self._received_at = stamp["at"]
        self._received_on = received_on or local_date(stamp["at"])
        self._close_deadline(DeadlineName.INTAKE)
        self._open_deadline(
            DeadlineName.APPROVAL,
            approval_due,
            head_id,
            recipient_unit_id,
            legal_basis.APPROVAL_MEETING,
        )

    # ------------------------------------------------------------------ review

    def request_consultation(
        self,
        actor: Mapping[str, Any],
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
        who = self._admit(Command.REQUEST_CONSULTATION, Step.OFFICE, actor, at)
        problems = FieldProblems()
        if not consultees:
            problems.add("consultees", "must list at least one agency or expert")
        ids = [c.get("id") for c in consultees]
        for i, consultee in enumerate(consultees):
            problems.require_text(f"consultees[{i}].id", consultee.get("id"))
            if consultee.get("kind") not in ("AGENCY", "EXPERT"):
                problems.add(f"consultees[{i}].kind", "must be AGENCY or EXPERT")
        if len(set(ids)) != len(ids):
            problems.add("consultees", "must not repeat a consultee")
        problems.require_text("questions", questions)
        problems.require_date("due", due, not_before=local_date(at))
        problems.raise_if_any()
        self._consultation_requested(
            stamp=self._stamp(
                Command.REQUEST_CONSULTATION,
                who,
                at,
                legal_basis.CONSULTATION,
                CaseState.IN_CONSULTATION,
            ),
            consultees=[
                {"id": c["id"], "kind": c["kind"], "name": str(c.get("name") or "")}
                for c in consultees
            ],
            questions=questions,
            due=due,
            approval_paused=None
            if approval_days_left is None or DeadlineName.APPROVAL.value not in self._deadlines
            else {
                "remaining_working_days": approval_days_left,
                "due_was": self._deadlines[DeadlineName.APPROVAL.value]["due"],
            },
        )

    @event("ConsultationRequested")
    def _consultation_requested(
        self,
        stamp: dict[str, Any],
        consultees: list[dict[str, str]],
        questions: str,
        due: date,
        approval_paused: dict[str, Any] | None = None,
    ) -> None:
        self._enter(stamp)
        if approval_paused is not None:
            self._paused_approval = dict(approval_paused)
            self._close_deadline(DeadlineName.APPROVAL)
        self._consultees = {
            c["id"]: {**c, "opinion": None, "doc_ref": None, "received_at": None}
            for c in consultees
        }
        self._open_deadline(
            DeadlineName.CONSULTATION,
            due,
            self._authority["head_id"],
            self._routing["recipient_unit_id"],
            legal_basis.CONSULTATION,
        )

    def receive_consultation_opinion(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        consultee_id: str,
        opinion: str,
        doc_ref: str,
    ) -> None:
        who = self._admit(Command.RECEIVE_CONSULTATION_OPINION, Step.OFFICE, actor, at)
        problems = FieldProblems()
        problems.require_text("consultee_id", consultee_id)
        problems.require_text("opinion", opinion)
        problems.require_text("doc_ref", doc_ref)
        problems.raise_if_any()
        if consultee_id not in self._consultees:
            raise Conflict(f"{consultee_id} was not consulted on this proposal")
        if self._consultees[consultee_id]["opinion"] is not None:
            raise Conflict(f"the opinion of {consultee_id} has already been received")
        self._consultation_opinion_received(
            stamp=self._stamp(
                Command.RECEIVE_CONSULTATION_OPINION, who, at, legal_basis.CONSULTATION
            ),
            consultee_id=consultee_id,
            opinion=opinion,
            doc_ref=doc_ref,
        )

    @event("ConsultationOpinionReceived")
    def _consultation_opinion_received(
        self, stamp: dict[str, Any], consultee_id: str, opinion: str, doc_ref: str
    ) -> None:
        self._enter(stamp)
        self._consultees[consultee_id].update(
            opinion=opinion, doc_ref=doc_ref, received_at=stamp["at"]
        )

    @property
    def paused_approval(self) -> dict[str, Any] | None:
        """The Art 8 §1 clock paused by an open consultation: days left and the old due date."""
        return copy.deepcopy(self._paused_approval)

    def close_consultation(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        summary: str = "",
        approval_due: date | None = None,
    ) -> None:
        """Back to review; opinions still missing are listed in the event. A paused Art 8 §1
        clock runs again with the days it had left (`approval_due`, from the case's rules)."""
        who = self._admit(Command.CLOSE_CONSULTATION, Step.OFFICE, actor, at)
        if self._paused_approval is not None:
            problems = FieldProblems()
            problems.require_date("approval_due", approval_due, not_before=local_date(at))
            problems.raise_if_any()
        missing = [cid for cid, c in self._consultees.items() if c["opinion"] is None]
        self._consultation_closed(
            stamp=self._stamp(
                Command.CLOSE_CONSULTATION,
                who,
                at,
                legal_basis.CONSULTATION,
                CaseState.UNDER_REVIEW,
            ),
            summary=summary,
            missing_opinions=missing,
            approval_due=approval_due if self._paused_approval is not None else None,
        )

    @event("ConsultationClosed")
    def _consultation_closed(
        self,
        stamp: dict[str, Any],
        summary: str,
        missing_opinions: list[str],
        approval_due: date | None = None,
    ) -> None:
        self._enter(stamp)
        self._close_deadline(DeadlineName.CONSULTATION)
        if approval_due is not None:
            self._paused_approval = None
            self._open_deadline(
                DeadlineName.APPROVAL,
                approval_due,
                self._authority["head_id"],
                self._routing["recipient_unit_id"],
                legal_basis.APPROVAL_MEETING,
            )

    def request_party_opinion(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        stage: VoteStage | str,
        committee_id: str,
    ) -> None:
        """Xin ý kiến cấp ủy đảng cùng cấp — before approval and before evaluation (Art 4 §3)."""
        phase = self._parse_stage(stage)
        command = _PARTY_OPINION_COMMANDS[phase][0]
        who = self._admit(command, Step.OFFICE, actor, at)
        problems = FieldProblems()
        problems.require_text("committee_id", committee_id)
        problems.raise_if_any()
        if phase.value in self._party_opinions:
            raise Conflict(f"the Party committee's opinion on {phase.value} was already sought")
        self._party_opinion_requested(
            stamp=self._stamp(command, who, at, legal_basis.PARTY_OPINION),
            stage=phase.value,
            committee_id=committee_id,
        )

    @event("PartyCommitteeOpinionRequested")
    def _party_opinion_requested(
        self, stamp: dict[str, Any], stage: str, committee_id: str
    ) -> None:
        self._enter(stamp)
        self._party_opinions[stage] = {
            "stage": stage,
            "committee_id": committee_id,
            "requested_at": stamp["at"],
            "opinion": None,
            "doc_ref": None,
            "received_at": None,
        }

    def receive_party_opinion(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        stage: VoteStage | str,
        opinion: str,
        doc_ref: str,
    ) -> None:
        phase = self._parse_stage(stage)
        command = _PARTY_OPINION_COMMANDS[phase][1]
        who = self._admit(command, Step.OFFICE, actor, at)
        problems = FieldProblems()
        problems.require_text("opinion", opinion)
        problems.require_text("doc_ref", doc_ref)
        problems.raise_if_any()
        sought = self._party_opinions.get(phase.value)
        if sought is None:
            raise Conflict(f"the Party committee's opinion on {phase.value} was not sought")
        if sought["received_at"] is not None:
            raise Conflict(f"the Party committee's opinion on {phase.value} was already received")
        self._party_opinion_received(
            stamp=self._stamp(command, who, at, legal_basis.PARTY_OPINION),
            stage=phase.value,
            committee_id=sought["committee_id"],
            opinion=opinion,
            doc_ref=doc_ref,
        )

    @event("PartyCommitteeOpinionReceived")
    def _party_opinion_received(
        self, stamp: dict[str, Any], stage: str, committee_id: str, opinion: str, doc_ref: str
    ) -> None:
        self._enter(stamp)
        self._party_opinions[stage].update(
            opinion=opinion, doc_ref=doc_ref, received_at=stamp["at"]
        )

    # ------------------------------------------------------------------ decision

    def hold_approval_meeting(
        self,
        actor: Mapping[str, Any],
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
    ) -> VoteRecord:
        """Họp tập thể lãnh đạo (Art 8 §1): passes → APPROVED, fails → COLLECTIVE_REJECTED."""
        command = Command.HOLD_APPROVAL_MEETING
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        problems.require_date("held_on", held_on)
        if isinstance(held_on, date) and not isinstance(held_on, datetime):
            self._not_in_future(problems, "held_on", held_on, at)
            self._not_before(problems, "held_on", held_on, self._received_on, "the plan's receipt")
        named = self._implementers_or_proposer(problems, implementer_ids, implementers)
        problems.raise_if_any()
        self._require_party_opinion(VoteStage.APPROVAL, party_opinion_required)
        authority = self.competent_authority
        record = count_vote(
            stage=VoteStage.APPROVAL,
            held_on=held_on,
            minutes_ref=minutes_ref,
            head_id=authority.head_id,
            voters=authority.voters,
            excluded=authority.excluded_from_vote,
            ballots=ballots,
            motion="approve the proposal plan",
            abstention=abstention,
        )
        target = CaseState.APPROVED if record.passed else CaseState.COLLECTIVE_REJECTED
        clock = self._deadlines.get(DeadlineName.APPROVAL.value)
        self._approval_meeting_held(
            stamp=self._stamp(command, who, at, legal_basis.APPROVAL_MEETING, target),
            held_in_time=clock is None or held_on <= clock["due"],
            entered_late=local_date(at) > held_on,
            vote=record.as_dict(),
            decision_ref=decision_ref,
            implementer_ids=[i["user_id"] for i in named],
            implementers=named,
            **(self._plan_as_approved() if record.passed else {}),
        )
        return record

    @event("ApprovalMeetingHeld")
    def _approval_meeting_held(
        self,
        stamp: dict[str, Any],
        vote: dict[str, Any],
        decision_ref: str,
        implementer_ids: list[str],
        plan: dict[str, Any] | None = None,
        plan_hash: str | None = None,
        implementers: list[dict[str, Any]] | None = None,
        held_in_time: bool | None = None,
        entered_late: bool = False,
    ) -> None:
        self._enter(stamp)
        self._votes.append(copy.deepcopy(vote))
        if held_in_time is not None:
            # Art 8 §1 asks for the meeting within 7 working days, whatever its outcome: holding
            # it ends the clock; the head's written decision after a failed vote is not late.
            self._close_deadline(DeadlineName.APPROVAL)
        if vote["outcome"] == "PASSED":
            self._approved_on = vote["held_on"]
            self._implementers = {i["user_id"]: dict(i) for i in implementers or ()}
            self._approved_plan_hash = plan_hash
            self._approval = {
                "by_override": False,
                "decision_ref": decision_ref,
                "minutes_ref": vote["minutes_ref"],
                "justification": "",
                "approved_at": stamp["at"],
            }
            self._implementer_ids = list(implementer_ids)
            self._close_deadline(DeadlineName.APPROVAL)

    def override_collective_rejection(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        justification: str,
        decision_ref: str,
        implementer_ids: Sequence[str] | None = None,
        party_opinion_required: bool = True,
        implementers: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Art 8 §1 ¶2: the head may still authorise it, in writing, answering for it."""
        command = Command.OVERRIDE_COLLECTIVE_REJECTION
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        problems.require_text("justification", justification)
        problems.require_text("decision_ref", decision_ref)
        named = self._implementers_or_proposer(problems, implementer_ids, implementers)
        problems.raise_if_any()
        self._require_party_opinion(VoteStage.APPROVAL, party_opinion_required)
        failed = self._last_vote(VoteStage.APPROVAL)
        self._approved_by_override(
            stamp=self._stamp(command, who, at, legal_basis.OVERRIDE, CaseState.APPROVED),
            justification=justification,
            decision_ref=decision_ref,
            failed_vote_minutes_ref=failed["minutes_ref"],
            implementer_ids=[i["user_id"] for i in named],
            implementers=named,
            **self._plan_as_approved(),
        )

    @event("ApprovedByOverride")
    def _approved_by_override(
        self,
        stamp: dict[str, Any],
        justification: str,
        decision_ref: str,
        failed_vote_minutes_ref: str,
        implementer_ids: list[str],
        plan: dict[str, Any] | None = None,
        plan_hash: str | None = None,
        implementers: list[dict[str, Any]] | None = None,
    ) -> None:
        self._enter(stamp)
        self._approved_on = local_date(stamp["at"])
        self._implementers = {i["user_id"]: dict(i) for i in implementers or ()}
        self._approved_plan_hash = plan_hash
        self._approval = {
            "by_override": True,
            "decision_ref": decision_ref,
            "minutes_ref": failed_vote_minutes_ref,
            "justification": justification,
            "approved_at": stamp["at"],
        }
        self._implementer_ids = list(implementer_ids)
        self._close_deadline(DeadlineName.APPROVAL)

    def confirm_rejection(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        reasons: Sequence[str],
        decision_ref: str,
    ) -> None:
        """The head's written decision not to approve, with reasons (terminal)."""
        who = self._admit(Command.CONFIRM_REJECTION, Step.DECISION, actor, at)
        problems = FieldProblems()
        problems.require_texts("reasons", reasons)
        problems.require_text("decision_ref", decision_ref)
        problems.raise_if_any()
        self._proposal_rejected(
            stamp=self._stamp(
                Command.CONFIRM_REJECTION, who, at, legal_basis.REJECTION, CaseState.REJECTED
            ),
            reasons=_texts(reasons),
            decision_ref=decision_ref,
        )

    @event("ProposalRejected")
    def _proposal_rejected(
        self, stamp: dict[str, Any], reasons: list[str], decision_ref: str
    ) -> None:
        self._enter(stamp)
        self._deadlines.clear()

    def withdraw(self, actor: Mapping[str, Any], at: datetime, *, reason: str = "") -> None:
        """From registration's `withdrawn`, before the head's final decision (terminal)."""
        who = self._admit(Command.WITHDRAW, Step.PROPOSER, actor, at)
        self._proposal_withdrawn(
            stamp=self._stamp(
                Command.WITHDRAW, who, at, legal_basis.WITHDRAWAL, CaseState.WITHDRAWN
            ),
            reason=reason,
        )

    @event("ProposalWithdrawn")
    def _proposal_withdrawn(self, stamp: dict[str, Any], reason: str) -> None:
        self._enter(stamp)
        self._deadlines.clear()

    # ------------------------------------------------------------------ implementation

    def allocate_resources(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        source_ref: str,
        equipment: Sequence[str] = (),
        staff: Sequence[str] = (),
        funding_vnd: Decimal | None = None,
    ) -> None:
        """Bảo đảm nguồn lực: equipment, people and funding, case by case (Art 10 §2)."""
        who = self._admit(Command.ALLOCATE_RESOURCES, Step.DECISION, actor, at)
        problems = FieldProblems()
        problems.require_text("source_ref", source_ref)
        if not equipment and not staff and funding_vnd is None:
            problems.add("resources", "allocate equipment, staff or funding")
        if funding_vnd is not None and (
            not isinstance(funding_vnd, Decimal) or not funding_vnd.is_finite() or funding_vnd < 0
        ):
            problems.add("funding_vnd", "must be a non-negative decimal amount")
        problems.raise_if_any()
        self._resources_allocated(
            stamp=self._stamp(Command.ALLOCATE_RESOURCES, who, at, legal_basis.RESOURCES),
            equipment=_texts(equipment),
            staff=_texts(staff),
            funding_vnd=funding_vnd,
            source_ref=source_ref,
        )

    @event("ResourcesAllocated")
    def _resources_allocated(
        self,
        stamp: dict[str, Any],
        equipment: list[str],
        staff: list[str],
        funding_vnd: Decimal | None,
        source_ref: str,
    ) -> None:
        self._enter(stamp)
        self._resources.append(
            {
                "equipment": list(equipment),
                "staff": list(staff),
                "funding_vnd": funding_vnd,
                "source_ref": source_ref,
                "allocated_at": stamp["at"],
            }
        )

    def start_implementation(
        self, actor: Mapping[str, Any], at: datetime, *, start_date: date
    ) -> None:
        who = self._admit(Command.START_IMPLEMENTATION, Step.IMPLEMENTATION, actor, at)
        problems = FieldProblems()
        problems.require_date("start_date", start_date)
        if isinstance(start_date, date) and not isinstance(start_date, datetime):
            self._not_in_future(problems, "start_date", start_date, at)
            self._not_before(problems, "start_date", start_date, self._approved_on, "the approval")
        problems.raise_if_any()
        self._implementation_started(
            stamp=self._stamp(
                Command.START_IMPLEMENTATION,
                who,
                at,
                legal_basis.IMPLEMENTATION,
                CaseState.IN_IMPLEMENTATION,
            ),
            start_date=start_date,
        )

    @event("ImplementationStarted")
    def _implementation_started(self, stamp: dict[str, Any], start_date: date) -> None:
        self._enter(stamp)
        self._started_on = start_date

    def report_progress(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        period: str,
        progress_percent: int,
        issues: str = "",
        risk_of_damage: bool = False,
    ) -> None:
        who = self._admit(Command.REPORT_PROGRESS, Step.IMPLEMENTATION, actor, at)
        problems = FieldProblems()
        problems.require_text("period", period)
        if (
            not isinstance(progress_percent, int)
            or isinstance(progress_percent, bool)
            or not 0 <= progress_percent <= 100
        ):
            problems.add("progress_percent", "must be a whole number from 0 to 100")
        problems.raise_if_any()
        self._progress_reported(
            stamp=self._stamp(Command.REPORT_PROGRESS, who, at, legal_basis.PROGRESS),
            period=period,
            progress_percent=progress_percent,
            issues=issues,
            risk_of_damage=bool(risk_of_damage),
        )

    @event("ProgressReported")
    def _progress_reported(
        self,
        stamp: dict[str, Any],
        period: str,
        progress_percent: int,
        issues: str,
        risk_of_damage: bool,
    ) -> None:
        self._enter(stamp)
        self._progress.append(
            {
                "period": period,
                "progress_percent": progress_percent,
                "issues": issues,
                "risk_of_damage": risk_of_damage,
                "reported_at": stamp["at"],
            }
        )

    def suspend(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        decision_ref: str,
        reasons: Sequence[str],
    ) -> None:
        """Tạm dừng — a written, reasoned decision of the approving head (form M4)."""
        self._direct(Command.SUSPEND, CaseState.SUSPENDED, actor, at, decision_ref, reasons)

    def resume(
        self,
        actor: Mapping[str, Any],
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
        actor: Mapping[str, Any],
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
        actor: Mapping[str, Any],
        at: datetime,
        decision_ref: str,
        grounds: Sequence[str],
    ) -> None:
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        problems.require_text("decision_ref", decision_ref)
        if command is Command.RESUME:
            if any(not isinstance(g, str) or not g.strip() for g in grounds):
                problems.add("conditions", "must be non-empty text")
        else:
            problems.require_texts("reasons", grounds)
        problems.raise_if_any()
        stamp = self._stamp(command, who, at, legal_basis.DIRECTIONS, target)
        if command is Command.SUSPEND:
            self._implementation_suspended(
                stamp=stamp, decision_ref=decision_ref, reasons=_texts(grounds)
            )
        elif command is Command.RESUME:
            self._implementation_resumed(
                stamp=stamp, decision_ref=decision_ref, conditions=_texts(grounds)
            )
        else:
            self._implementation_stopped(
                stamp=stamp, decision_ref=decision_ref, reasons=_texts(grounds)
            )

    @event("ImplementationSuspended")
    def _implementation_suspended(
        self, stamp: dict[str, Any], decision_ref: str, reasons: list[str]
    ) -> None:
        self._enter(stamp)
        self._record_direction("SUSPEND", stamp, decision_ref, reasons)

    @event("ImplementationResumed")
    def _implementation_resumed(
        self, stamp: dict[str, Any], decision_ref: str, conditions: list[str]
    ) -> None:
        self._enter(stamp)
        self._record_direction("RESUME", stamp, decision_ref, conditions)

    @event("ImplementationStopped")
    def _implementation_stopped(
        self, stamp: dict[str, Any], decision_ref: str, reasons: list[str]
    ) -> None:
        self._enter(stamp)
        self._record_direction("STOP", stamp, decision_ref, reasons)

    def report_completion(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        completed_on: date,
        results_vs_targets: Sequence[Mapping[str, Any]],
        resources_used: Mapping[str, Any],
        damage: Mapping[str, Any],
        report_due: date,
        evaluation_due: date,
    ) -> None:
        """Báo cáo kết quả in writing, due 5 working days after completion (form M5).

        After a stop this is the final report of partial results. A late report is accepted
        and recorded as late; `evaluation_due` (7 working days) starts the evaluation clock.
        """
        command = Command.REPORT_COMPLETION
        who = self._admit(command, Step.IMPLEMENTATION, actor, at)
        problems = FieldProblems()
        problems.require_date("completed_on", completed_on)
        valid_completion = isinstance(completed_on, date) and not isinstance(completed_on, datetime)
        if valid_completion:
            self._not_in_future(problems, "completed_on", completed_on, at)
            self._not_before(
                problems, "completed_on", completed_on, self._started_on, "the implementation start"
            )
        problems.require_date(
            "report_due", report_due, not_before=completed_on if valid_completion else None
        )
        problems.require_date("evaluation_due", evaluation_due, not_before=local_date(at))
        if not results_vs_targets:
            problems.add("results_vs_targets", "must compare at least one result with its target")
        for i, row in enumerate(results_vs_targets):
            problems.require_text(f"results_vs_targets[{i}].target", row.get("target"))
            problems.require_text(f"results_vs_targets[{i}].result", row.get("result"))
        occurred = damage.get("occurred")
        if not isinstance(occurred, bool):
            problems.add("damage.occurred", "must be true or false")
        elif occurred:
            problems.require_text("damage.description", damage.get("description"))
        estimate = damage.get("estimate")
        if estimate is not None and (not isinstance(estimate, Decimal) or estimate < 0):
            problems.add("damage.estimate", "must be a non-negative decimal amount")
        problems.raise_if_any()
        reported_on = local_date(at)
        self._completion_reported(
            stamp=self._stamp(
                command, who, at, legal_basis.COMPLETION_REPORT, CaseState.COMPLETION_REPORTED
            ),
            completed_on=completed_on,
            reported_on=reported_on,
            report_due=report_due,
            late=reported_on > report_due,
            after_stop=self.state is CaseState.STOPPED,
            results_vs_targets=[copy.deepcopy(dict(r)) for r in results_vs_targets],
            resources_used=copy.deepcopy(dict(resources_used)),
            damage={
                "occurred": occurred,
                "description": str(damage.get("description") or ""),
                "estimate": estimate,
            },
            evaluation_due=evaluation_due,
        )

    @event("CompletionReported")
    def _completion_reported(
        self,
        stamp: dict[str, Any],
        completed_on: date,
        reported_on: date,
        report_due: date,
        late: bool,
        after_stop: bool,
        results_vs_targets: list[dict[str, Any]],
        resources_used: dict[str, Any],
        damage: dict[str, Any],
        evaluation_due: date,
    ) -> None:
        self._enter(stamp)
        self._completion = {
            "completed_on": completed_on,
            "reported_on": reported_on,
            "report_due": report_due,
            "late": late,
            "after_stop": after_stop,
            "results_vs_targets": copy.deepcopy(results_vs_targets),
            "resources_used": copy.deepcopy(resources_used),
            "damage": copy.deepcopy(damage),
        }
        self._open_deadline(
            DeadlineName.EVALUATION,
            evaluation_due,
            self._authority["head_id"],
            self._routing["recipient_unit_id"],
            legal_basis.EVALUATION_MEETING,
        )

    # ------------------------------------------------------------------ evaluation

    def hold_evaluation_meeting(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        held_on: date,
        ballots: Sequence[Mapping[str, str]],
        minutes_ref: str,
        assessed_outcome: EvaluationOutcome | str,
        conclusion_due: date,
        party_opinion_required: bool = True,
        abstention: AbstentionRule = AbstentionRule.NOT_A_VOTE_CAST,
    ) -> VoteRecord:
        """The collective votes on an assessed outcome; if it fails, another meeting follows."""
        command = Command.HOLD_EVALUATION_MEETING
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        problems.require_date("held_on", held_on)
        valid_held_on = isinstance(held_on, date) and not isinstance(held_on, datetime)
        if valid_held_on:
            self._not_in_future(problems, "held_on", held_on, at)
            reported = None if self._completion is None else self._completion["reported_on"]
            self._not_before(problems, "held_on", held_on, reported, "the completion report")
        outcome = _member(EvaluationOutcome, assessed_outcome)
        if outcome is None:
            problems.add("assessed_outcome", f"must be one of {', '.join(EvaluationOutcome)}")
        # Counted from the meeting's legal date: a meeting entered late never moves it.
        problems.require_date(
            "conclusion_due", conclusion_due, not_before=held_on if valid_held_on else None
        )
        problems.raise_if_any()
        assert outcome is not None
        self._require_party_opinion(VoteStage.EVALUATION, party_opinion_required)
        authority = self.competent_authority
        record = count_vote(
            stage=VoteStage.EVALUATION,
            held_on=held_on,
            minutes_ref=minutes_ref,
            head_id=authority.head_id,
            voters=authority.voters,
            excluded=authority.excluded_from_vote,
            ballots=ballots,
            motion=outcome.value,
            abstention=abstention,
        )
        target = CaseState.EVALUATED if record.passed else CaseState.COMPLETION_REPORTED
        self._evaluation_meeting_held(
            stamp=self._stamp(command, who, at, legal_basis.EVALUATION_MEETING, target),
            vote=record.as_dict(),
            assessed_outcome=outcome.value,
            conclusion_due=conclusion_due,
        )
        return record

    @event("EvaluationMeetingHeld")
    def _evaluation_meeting_held(
        self,
        stamp: dict[str, Any],
        vote: dict[str, Any],
        assessed_outcome: str,
        conclusion_due: date,
    ) -> None:
        self._enter(stamp)
        self._votes.append(copy.deepcopy(vote))
        if vote["outcome"] == "PASSED":
            self._evaluated_outcome = assessed_outcome
            self._close_deadline(DeadlineName.EVALUATION)
            self._open_deadline(
                DeadlineName.CONCLUSION,
                conclusion_due,
                self._authority["head_id"],
                self._routing["recipient_unit_id"],
                legal_basis.CONCLUSION,
            )

    def issue_conclusion(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        outcome: EvaluationOutcome | str,
        caused_damage: bool,
        good_faith_finding: bool,
        causes_objective: Sequence[str],
        causes_subjective: Sequence[str],
        conclusion_ref: str,
    ) -> None:
        """Kết luận đánh giá in writing (form M6); non-completion needs its causes (Art 11 §4)."""
        command = Command.ISSUE_CONCLUSION
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        parsed = _member(EvaluationOutcome, outcome)
        if parsed is None:
            problems.add("outcome", f"must be one of {', '.join(EvaluationOutcome)}")
        if not isinstance(caused_damage, bool):
            problems.add("caused_damage", "must be true or false")
        if not isinstance(good_faith_finding, bool):
            problems.add("good_faith_finding", "must be true or false")
        problems.require_text("conclusion_ref", conclusion_ref)
        for field, causes in (
            ("causes_objective", causes_objective),
            ("causes_subjective", causes_subjective),
        ):
            if any(not isinstance(c, str) or not c.strip() for c in causes):
                problems.add(field, "must be non-empty text")
        if (
            parsed is not None
            and parsed is not EvaluationOutcome.COMPLETED
            and not causes_objective
            and not causes_subjective
        ):
            problems.add("causes", "name the objective or subjective causes (Art 11 §4)")
        problems.raise_if_any()
        assert parsed is not None
        if parsed.value != self._evaluated_outcome:
            raise Conflict(
                f"the collective assessed {self._evaluated_outcome}; the conclusion says {parsed}"
            )
        deadline = self._deadlines.get(DeadlineName.CONCLUSION.value)
        self._evaluation_concluded(
            stamp=self._stamp(command, who, at, legal_basis.CONCLUSION, CaseState.CONCLUDED),
            outcome=parsed.value,
            caused_damage=caused_damage,
            good_faith_finding=good_faith_finding,
            causes={
                "objective": _texts(causes_objective),
                "subjective": _texts(causes_subjective),
            },
            conclusion_ref=conclusion_ref,
            meeting_minutes_ref=self._last_vote(VoteStage.EVALUATION)["minutes_ref"],
            issued_late=bool(deadline and local_date(at) > deadline["due"]),
        )

    @event("EvaluationConcluded")
    def _evaluation_concluded(
        self,
        stamp: dict[str, Any],
        outcome: str,
        caused_damage: bool,
        good_faith_finding: bool,
        causes: dict[str, list[str]],
        conclusion_ref: str,
        meeting_minutes_ref: str,
        issued_late: bool,
    ) -> None:
        self._enter(stamp)
        self._conclusion = {
            "outcome": outcome,
            "caused_damage": caused_damage,
            "good_faith_finding": good_faith_finding,
            "causes": copy.deepcopy(causes),
            "conclusion_ref": conclusion_ref,
            "meeting_minutes_ref": meeting_minutes_ref,
            "issued_at": stamp["at"],
            "issued_late": issued_late,
        }
        self._close_deadline(DeadlineName.CONCLUSION)

    def recognize_result(
        self, actor: Mapping[str, Any], at: datetime, *, publication_ref: str = ""
    ) -> None:
        """Công nhận kết quả — only a result concluded as COMPLETED."""
        who = self._admit(Command.RECOGNIZE_RESULT, Step.DECISION, actor, at)
        conclusion = self._require_conclusion()
        if conclusion["outcome"] != EvaluationOutcome.COMPLETED.value:
            raise Conflict(f"only a completed result is recognised; it was {conclusion['outcome']}")
        self._result_recognized(
            stamp=self._stamp(
                Command.RECOGNIZE_RESULT, who, at, legal_basis.RECOGNITION, CaseState.RECOGNIZED
            ),
            conclusion_ref=conclusion["conclusion_ref"],
            publication_ref=publication_ref,
        )

    @event("ResultRecognized")
    def _result_recognized(
        self, stamp: dict[str, Any], conclusion_ref: str, publication_ref: str
    ) -> None:
        self._enter(stamp)
        self._recognition = {
            "conclusion_ref": conclusion_ref,
            "publication_ref": publication_ref,
            "recognized_at": stamp["at"],
        }

    def grant_encouragement(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        form: EncouragementForm | str,
        beneficiary: Mapping[str, str],
        decision_ref: str,
        description: str = "",
    ) -> None:
        """Art 10 §1 forms, to the proposer, an implementer, the agency or its head.

        Praise (biểu dương, §1a) needs no completed result; commendation (khen thưởng, §1a) and
        the §1c forms need a result recognised as completed. The career forms (§1b, §1c) are
        for officials within Art 2 only. Nobody grants encouragement to himself: the head's own
        is for the superior agency to decide.
        """
        command = Command.GRANT_ENCOURAGEMENT
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        chosen = _member(EncouragementForm, form)
        if chosen is None:
            problems.add("form", f"must be one of {', '.join(EncouragementForm)}")
        kind = _member(Beneficiary, beneficiary.get("kind"))
        if kind is None:
            problems.add("beneficiary.kind", f"must be one of {', '.join(Beneficiary)}")
        problems.require_text("decision_ref", decision_ref)
        if chosen is EncouragementForm.OTHER:
            problems.require_text("description", description)
        if kind is Beneficiary.AGENCY and chosen in PERSONAL_FORMS:
            problems.add("form", "career forms (Art 10 §1b, §1c) are for persons, not agencies")
        beneficiary_id = self._beneficiary_id(problems, kind, beneficiary.get("id"))
        problems.raise_if_any()
        assert chosen is not None
        assert kind is not None
        if beneficiary_id == who.user_id:
            raise NotAllowed(
                "a head cannot grant encouragement to himself (Art 10 §1); "
                "the superior agency decides it"
            )
        if (
            chosen in PERSONAL_FORMS
            and kind is not Beneficiary.AGENCY
            and not self.within_art2(beneficiary_id)
        ):
            raise Conflict(
                f"{chosen} (Art 10 §1{chosen.point}) is for officials within Art 2 "
                f"(leaders and managers); {beneficiary_id} is not one"
            )
        if chosen.requires_completed_result and not self.result_recognized:
            raise Conflict(
                f"{chosen} (Art 10 §1{chosen.point}) needs a result recognised as completed"
            )
        if any(
            e["form"] == chosen.value and e["beneficiary"]["id"] == beneficiary_id
            for e in self._encouragements
        ):
            raise Conflict(f"{chosen} was already granted to {beneficiary_id}")
        self._encouragement_granted(
            stamp=self._stamp(command, who, at, chosen.legal_basis),
            form=chosen.value,
            beneficiary={
                "kind": kind.value,
                "id": beneficiary_id,
                "name": str(beneficiary.get("name") or ""),
            },
            decision_ref=decision_ref,
            description=description,
        )

    @event("EncouragementGranted")
    def _encouragement_granted(
        self,
        stamp: dict[str, Any],
        form: str,
        beneficiary: dict[str, str],
        decision_ref: str,
        description: str,
    ) -> None:
        self._enter(stamp)
        self._encouragements.append(
            {
                "form": form,
                "beneficiary": dict(beneficiary),
                "decision_ref": decision_ref,
                "description": description,
                "granted_at": stamp["at"],
            }
        )

    def determine_protection(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        art5_conditions_met: bool,
        implemented_as_decided: bool,
        directions_followed: bool,
        decision_ref: str,
        referred_to: str = "",
        official_id: str | None = None,
    ) -> ProtectionTier:
        """The Art 11 finding for one official — the proposer (by default) or an implementer
        ("cán bộ đề xuất, thực hiện"): each has a determination of their own, resting on the
        collective's conclusion (outcome, damage, good faith) and on their own record."""
        command = Command.DETERMINE_PROTECTION
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        official = self._proposer["user_id"] if official_id is None else official_id
        if official != self._proposer["user_id"] and official not in self._implementer_ids:
            problems.add("official_id", "must be the proposer or an implementer of the approval")
        for field, value in (
            ("art5_conditions_met", art5_conditions_met),
            ("implemented_as_decided", implemented_as_decided),
            ("directions_followed", directions_followed),
        ):
            if not isinstance(value, bool):
                problems.add(field, "must be true or false")
        problems.require_text("decision_ref", decision_ref)
        problems.raise_if_any()
        if official in self._protections:
            raise Conflict(f"the protection of {official} has already been determined")
        conclusion = self._require_conclusion()
        facts = ProtectionFacts(
            official_is_eligible=self.within_art2(official),
            art5_conditions_met=art5_conditions_met,
            approved_under_art8=self.is_approved,
            implemented_as_decided=implemented_as_decided,
            directions_followed=directions_followed,
            prohibited_act_found=self._committed_prohibited_act(official),
            outcome=EvaluationOutcome(conclusion["outcome"]),
            good_faith=conclusion["good_faith_finding"],
            caused_damage=conclusion["caused_damage"],
        )
        finding = determine_protection(facts)
        self._protection_determined(
            stamp=self._stamp(
                command, who, at, finding.legal_basis, CaseState.PROTECTION_DETERMINED
            ),
            official_id=official,
            tier=finding.tier.value,
            reasons=list(finding.reasons),
            facts={
                "official_is_eligible": facts.official_is_eligible,
                "art5_conditions_met": facts.art5_conditions_met,
                "approved_under_art8": facts.approved_under_art8,
                "implemented_as_decided": facts.implemented_as_decided,
                "directions_followed": facts.directions_followed,
                "prohibited_act_found": facts.prohibited_act_found,
                "outcome": facts.outcome.value,
                "good_faith": facts.good_faith,
                "caused_damage": facts.caused_damage,
            },
            decision_ref=decision_ref,
            referred_to=referred_to,
        )
        return finding.tier

    @event("ProtectionDetermined")
    def _protection_determined(
        self,
        stamp: dict[str, Any],
        official_id: str,
        tier: str,
        reasons: list[str],
        facts: dict[str, Any],
        decision_ref: str,
        referred_to: str,
    ) -> None:
        self._enter(stamp)
        record = {
            "official_id": official_id,
            "role": "PROPOSER" if official_id == self._proposer["user_id"] else "IMPLEMENTER",
            "tier": tier,
            "legal_basis": stamp["legal_basis"],
            "reasons": list(reasons),
            "facts": dict(facts),
            "decision_ref": decision_ref,
            "referred_to": referred_to,
            "determined_at": stamp["at"],
            "revoked_by_report": None,
        }
        self._protections[official_id] = record
        if official_id == self._proposer["user_id"]:
            self._protection = dict(record)

    # ------------------------------------------------------------------ Art 6

    def report_prohibited_act(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        act: ProhibitedAct | str,
        accused: Mapping[str, str],
        description: str,
        evidence_refs: Sequence[str] = (),
    ) -> int:
        """Records a report of an Art 6 act (incl. §2 retaliation); returns its number."""
        command = Command.REPORT_PROHIBITED_ACT
        who = self._admit(command, Step.REPORTING, actor, at)
        problems = FieldProblems()
        kind = _member(ProhibitedAct, act)
        if kind is None:
            problems.add("act", f"must be one of {', '.join(ProhibitedAct)}")
        if not accused.get("user_id") and not accused.get("unit_id"):
            problems.add("accused", "name the person (user_id) or the unit (unit_id)")
        problems.require_text("description", description)
        problems.raise_if_any()
        assert kind is not None
        number = len(self._prohibited_acts) + 1
        self._prohibited_act_reported(
            stamp=self._stamp(command, who, at, f"{legal_basis.PROHIBITED_ACTS} §{kind.clause}"),
            report_number=number,
            act=kind.value,
            accused={
                "user_id": str(accused.get("user_id") or ""),
                "unit_id": str(accused.get("unit_id") or ""),
                "name": str(accused.get("name") or ""),
            },
            description=description,
            evidence_refs=_texts(evidence_refs),
        )
        return number

    @event("ProhibitedActReported")
    def _prohibited_act_reported(
        self,
        stamp: dict[str, Any],
        report_number: int,
        act: str,
        accused: dict[str, str],
        description: str,
        evidence_refs: list[str],
    ) -> None:
        self._enter(stamp)
        self._prohibited_acts.append(
            {
                "report_number": report_number,
                "act": act,
                "accused": dict(accused),
                "description": description,
                "evidence_refs": list(evidence_refs),
                "reported_by": stamp["actor"]["user_id"],
                "reported_at": stamp["at"],
                "finding": None,
            }
        )

    def record_prohibited_act_finding(
        self,
        actor: Mapping[str, Any],
        at: datetime,
        *,
        report_number: int,
        substantiated: bool,
        finding_ref: str,
        notes: str = "",
    ) -> None:
        """A finding on a report. One against the official removes protection (Art 6, 11).

        A finding that someone retaliated against the official (§2) does not touch the
        official's own protection: only acts the official committed do.
        """
        command = Command.RECORD_PROHIBITED_ACT_FINDING
        who = self._admit(command, Step.DECISION, actor, at)
        problems = FieldProblems()
        if not isinstance(substantiated, bool):
            problems.add("substantiated", "must be true or false")
        problems.require_text("finding_ref", finding_ref)
        problems.raise_if_any()
        report = next(
            (r for r in self._prohibited_acts if r["report_number"] == report_number), None
        )
        if report is None:
            raise Conflict(f"there is no report number {report_number} on this case")
        if report["accused"]["user_id"] == who.user_id:
            raise NotAllowed("the accused cannot rule on a report against themselves")
        if report["finding"] is not None:
            raise Conflict(f"report {report_number} already has a finding")
        against_official = report["accused"]["user_id"] == self._proposer["user_id"]
        accused_record = self._protections.get(report["accused"]["user_id"])
        revokes = bool(
            substantiated
            and accused_record is not None
            and accused_record["tier"] != ProtectionTier.NONE.value
        )
        act = ProhibitedAct(report["act"])
        self._prohibited_act_finding_recorded(
            stamp=self._stamp(command, who, at, f"{legal_basis.PROHIBITED_ACTS} §{act.clause}"),
            report_number=report_number,
            act=act.value,
            accused=dict(report["accused"]),
            substantiated=substantiated,
            against_official=against_official,
            finding_ref=finding_ref,
            notes=notes,
            protection_revoked=revokes,
        )

    @event("ProhibitedActFindingRecorded")
    def _prohibited_act_finding_recorded(
        self,
        stamp: dict[str, Any],
        report_number: int,
        act: str,
        accused: dict[str, str],
        substantiated: bool,
        against_official: bool,
        finding_ref: str,
        notes: str,
        protection_revoked: bool,
    ) -> None:
        self._enter(stamp)
        for report in self._prohibited_acts:
            if report["report_number"] == report_number:
                report["finding"] = {
                    "substantiated": substantiated,
                    "against_official": against_official,
                    "finding_ref": finding_ref,
                    "notes": notes,
                    "found_at": stamp["at"],
                }
        if protection_revoked:
            revoked = {"tier": ProtectionTier.NONE.value, "revoked_by_report": report_number}
            self._protections[accused["user_id"]].update(revoked)
            if accused["user_id"] == self._proposer["user_id"] and self._protection is not None:
                self._protection.update(revoked)

    # ------------------------------------------------------------------ deadlines

    def note_deadline_approaching(
        self, actor: Mapping[str, Any], at: datetime, *, deadline: DeadlineName | str
    ) -> bool:
        """Sắp đến hạn — a reminder; noting the same deadline again records nothing."""
        command = Command.NOTE_DEADLINE_APPROACHING
        who = self._admit(command, Step.MONITORING, actor, at)
        entry = self._open_deadline_named(deadline)
        if entry.approaching_noted:
            return False
        if entry.is_overdue(at):
            raise Conflict(f"the {entry.name} deadline has passed; record a breach instead")
        self._deadline_approaching(
            stamp=self._stamp(command, who, at, entry.legal_basis),
            deadline=entry.name.value,
            due=entry.due,
            responsible_user_id=entry.responsible_user_id,
            responsible_unit_id=entry.responsible_unit_id,
        )
        return True

    @event("DeadlineApproaching")
    def _deadline_approaching(
        self,
        stamp: dict[str, Any],
        deadline: str,
        due: date,
        responsible_user_id: str | None,
        responsible_unit_id: str | None,
    ) -> None:
        self._enter(stamp)
        self._deadlines[deadline]["approaching_noted"] = True

    def record_deadline_breach(
        self,
        actor: Mapping[str, Any],
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
        who = self._admit(command, Step.MONITORING, actor, at)
        entry = self._open_deadline_named(deadline)
        if entry.breached:
            return False
        if not entry.is_overdue(at):
            raise Conflict(f"the {entry.name} deadline ({entry.due.isoformat()}) has not passed")
        problems = FieldProblems()
        escalation: dict[str, str] | None = None
        if escalate_to is not None:
            if _member(EscalationTarget, escalate_to.get("target")) is None:
                problems.add("escalate_to.target", f"must be one of {', '.join(EscalationTarget)}")
            problems.require_text("escalate_to.unit_id", escalate_to.get("unit_id"))
            escalation = {
                "target": str(escalate_to.get("target")),
                "unit_id": str(escalate_to.get("unit_id") or ""),
            }
        elif entry.name is DeadlineName.APPROVAL:
            problems.add("escalate_to", "an overdue approval must be escalated")
        problems.raise_if_any()
        self._deadline_breached(
            stamp=self._stamp(command, who, at, entry.legal_basis),
            deadline=entry.name.value,
            due=entry.due,
            responsible_user_id=entry.responsible_user_id,
            responsible_unit_id=entry.responsible_unit_id,
            escalated_to=escalation,
        )
        return True

    @event("DeadlineBreached")
    def _deadline_breached(
        self,
        stamp: dict[str, Any],
        deadline: str,
        due: date,
        responsible_user_id: str | None,
        responsible_unit_id: str | None,
        escalated_to: dict[str, str] | None,
    ) -> None:
        self._enter(stamp)
        self._deadlines[deadline]["breached"] = True

    # ------------------------------------------------------------------ closing

    def close(self, actor: Mapping[str, Any], at: datetime, *, summary: str = "") -> None:
        """Lưu trữ — archive the file once recognition or protection is settled, or once it
        was rejected or withdrawn."""
        who = self._admit(Command.CLOSE, Step.ARCHIVING, actor, at)
        self._case_closed(
            stamp=self._stamp(Command.CLOSE, who, at, legal_basis.CLOSING, CaseState.CLOSED),
            summary=summary,
        )

    @event("CaseClosed")
    def _case_closed(self, stamp: dict[str, Any], summary: str) -> None:
        self._enter(stamp)
        self._deadlines.clear()

    # ------------------------------------------------------------------ internals

    def _admit(self, command: Command, step: Step, actor: Mapping[str, Any], at: datetime) -> Actor:
        """Authority first, then state: refusals leak nothing to the unauthorised."""
        who = Actor.from_mapping(actor)
        problems = FieldProblems()
        problems.require_instant("at", at)
        problems.raise_if_any()
        self.competent_authority.check(step, who, command.value)
        if self.state not in TRANSITIONS[command].sources:
            raise InvalidTransition(self.state.value, command.value)
        return who

    def _stamp(
        self,
        command: Command,
        who: Actor,
        at: datetime,
        basis: str,
        target: CaseState | None = None,
    ) -> dict[str, Any]:
        new_state = self.state if target is None else target
        assert new_state in TRANSITIONS[command].targets, (command, new_state)
        return {
            "proposal_id": self._proposal_id,
            "actor": who.as_dict(),
            "at": at,
            "legal_basis": basis,
            "rule_set_version": self._rule_set_version,
            "state": new_state.value,
        }

    def _plan_as_approved(self) -> dict[str, Any]:
        """The plan that an approval approves, and its hash: recorded in the approval event so
        that the signed log shows what was approved (Art 8 §1; the protection certificate)."""
        return {"plan": copy.deepcopy(self._plan), "plan_hash": hash_of_plan(self._plan)}

    def _enter(self, stamp: dict[str, Any]) -> None:
        self._state = stamp["state"]

    def _open_deadline(
        self,
        name: DeadlineName,
        due: date,
        responsible_user_id: str | None,
        responsible_unit_id: str | None,
        basis: str,
    ) -> None:
        self._deadlines[name.value] = OpenDeadline(
            name=name,
            due=due,
            responsible_user_id=responsible_user_id,
            responsible_unit_id=responsible_unit_id,
            legal_basis=basis,
        ).as_dict()

    def _close_deadline(self, name: DeadlineName) -> None:
        self._deadlines.pop(name.value, None)

    def _open_deadline_named(self, deadline: DeadlineName | str) -> OpenDeadline:
        name = _member(DeadlineName, deadline)
        if name is None:
            problems = FieldProblems()
            problems.add("deadline", f"must be one of {', '.join(DeadlineName)}")
            problems.raise_if_any()
        entry = self._deadlines.get(str(deadline))
        if entry is None:
            raise Conflict(f"the case has no open {deadline} deadline")
        return OpenDeadline.from_dict(entry)

    def _record_direction(
        self, kind: str, stamp: dict[str, Any], decision_ref: str, grounds: list[str]
    ) -> None:
        self._directions.append(
            {
                "kind": kind,
                "decision_ref": decision_ref,
                "grounds": list(grounds),
                "decided_by": stamp["actor"]["user_id"],
                "decided_at": stamp["at"],
            }
        )

    def _parse_stage(self, stage: VoteStage | str) -> VoteStage:
        phase = _member(VoteStage, stage)
        if phase is None:
            problems = FieldProblems()
            problems.add("stage", f"must be one of {', '.join(VoteStage)}")
            problems.raise_if_any()
        return VoteStage(stage)

    def _require_party_opinion(self, stage: VoteStage, required: bool) -> None:
        """Art 4 §3: the same-level Party committee's opinion comes before the decision."""
        if not required:
            return
        opinion = self._party_opinions.get(stage.value)
        if opinion is None or opinion["received_at"] is None:
            raise Conflict(
                f"the Party committee's opinion on {stage.value} has not been received (Art 4 §3)"
            )

    def _require_conclusion(self) -> dict[str, Any]:
        if self._conclusion is None:  # unreachable through the state table; kept for safety
            raise Conflict("the evaluation has not been concluded")
        return self._conclusion

    def _last_vote(self, stage: VoteStage) -> dict[str, Any]:
        votes = [v for v in self._votes if v["stage"] == stage.value]
        if not votes:  # unreachable through the state table; kept for safety
            raise Conflict(f"no {stage.value} vote has been held")
        return votes[-1]

    def _implementers_or_proposer(
        self,
        problems: FieldProblems,
        implementer_ids: Sequence[str] | None,
        implementers: Sequence[Mapping[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Who implements the plan (Art 10, Art 11: "cán bộ đề xuất, thực hiện"), each with
        whether they are within Art 2; by default the proposer alone."""
        if implementers is not None:
            named = []
            if not implementers:
                problems.add("implementers", "must list at least one implementer")
            for i, entry in enumerate(implementers):
                problems.require_text(f"implementers[{i}].user_id", entry.get("user_id"))
                if not isinstance(entry.get("within_art2"), bool):
                    problems.add(f"implementers[{i}].within_art2", "must be true or false")
                named.append(
                    {
                        "user_id": str(entry.get("user_id") or ""),
                        "name": str(entry.get("name") or ""),
                        "unit_id": str(entry.get("unit_id") or ""),
                        "position": str(entry.get("position") or ""),
                        "within_art2": entry.get("within_art2") is True,
                    }
                )
            ids = [n["user_id"] for n in named]
            if len(set(ids)) != len(ids):
                problems.add("implementers", "must not repeat an implementer")
            return named
        if implementer_ids is None:
            implementer_ids = [self._proposer["user_id"]]
        if not implementer_ids or any(not isinstance(i, str) or not i for i in implementer_ids):
            problems.add("implementer_ids", "must list the user ids of the implementers")
            return []
        return [self._implementer(i) for i in implementer_ids]

    def _implementer(self, user_id: str) -> dict[str, Any]:
        """An implementer as the approval named them; one named by id alone is within Art 2
        only if they are the proposer and the proposer is."""
        known = self._implementers.get(user_id)
        if known is not None:
            return dict(known)
        is_proposer = user_id == self._proposer["user_id"]
        return {
            "user_id": user_id,
            "name": str(self._proposer.get("name") or "") if is_proposer else "",
            "unit_id": str(self._proposer.get("unit_id") or "") if is_proposer else "",
            "position": str(self._proposer.get("position") or "") if is_proposer else "",
            "within_art2": is_proposer and self._protection_eligible,
        }

    def _beneficiary_id(
        self, problems: FieldProblems, kind: Beneficiary | None, given: str | None
    ) -> str:
        """The official, the head and the agency are known to the case; implementers are named."""
        if kind is Beneficiary.OFFICIAL:
            return str(self._proposer["user_id"])
        if kind is Beneficiary.HEAD:
            return str(self._authority["head_id"])
        if kind is Beneficiary.AGENCY:
            return str(self._routing["recipient_unit_id"])
        if kind is Beneficiary.IMPLEMENTER and given not in self._implementer_ids:
            problems.add("beneficiary.id", "must be an implementer named in the approval")
        return str(given or "")

    def _committed_prohibited_act(self, official_id: str) -> bool:
        return any(
            r["finding"] is not None
            and r["finding"]["substantiated"]
            and r["accused"]["user_id"] == official_id
            for r in self._prohibited_acts
        )

    @staticmethod
    def _not_in_future(problems: FieldProblems, field: str, day: date, at: datetime) -> None:
        if day > local_date(at):
            problems.add(field, "must not be after the day it is recorded (a legal date)")

    @staticmethod
    def _not_before(
        problems: FieldProblems, field: str, day: date, earlier: date | None, step: str
    ) -> None:
        """A legal date is never before the previous step's legal date."""
        if earlier is not None and day < earlier:
            problems.add(field, f"must not be before {step} ({earlier.isoformat()})")
