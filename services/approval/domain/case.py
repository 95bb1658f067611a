"""Hồ sơ đề xuất — the competent authority's case on one proposal (Decree 73, Arts 4–11).

`Case` is one aggregate made of a part per stage of the procedure, each in its own module with
its commands and the explicit event classes they record: intake (`case_intake`), review
(`case_review`), decision (`case_decision`), implementation (`case_implementation`), evaluation
(`case_evaluation`), encouragement, protection and Art 6 reports (`case_protection`), running
clocks and closing (`case_deadlines`). `record.py` holds the state they share and `CaseEvent`.

Every public command checks, in order: the actor's authority (NotAllowed), the state
(InvalidTransition), then the case's record (Conflict; Invalid for a legal date or a due date
that contradicts it); only then does it trigger one event, whose `apply` is the only place state
changes. A refused command records nothing. The input's own shape (required fields, ranges,
vocabularies) is the command object's to check (`services/approval/commands.py`).

Every event carries a `stamp` (`record.Stamp`): proposal id, actor, the instant `at`, the legal
basis, the rule-set version the case was opened under, and the state the event leaves the case
in — so an adapter can map the stored event alone to an integration event. The domain computes
no dates: the application passes each due date in, computed with the case's rule set.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.approval.domain import (
    case_deadlines,
    case_decision,
    case_evaluation,
    case_implementation,
    case_intake,
    case_protection,
    case_review,
    legal_basis,
)
from services.approval.domain.authority import SYSTEM
from services.approval.domain.case_deadlines import Deadlines
from services.approval.domain.case_decision import Decision
from services.approval.domain.case_evaluation import Evaluation
from services.approval.domain.case_implementation import Implementation
from services.approval.domain.case_intake import INTAKE_BASIS, Intake
from services.approval.domain.case_protection import Protection
from services.approval.domain.case_review import Review
from services.approval.domain.case_values import (
    Plan,
    ProposerDocument,
    Routing,
    RoutingDocument,
)
from services.approval.domain.deadlines import OpenDeadline
from services.approval.domain.errors import FieldProblems
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.protection import ProtectionTier
from services.approval.domain.record import (
    AuthorityDocument,
    CaseEvent,
    Stamp,
    actor_stamp,
    events_of,
)
from services.approval.domain.vote import VoteRecord, VoteStage
from shared.contracts.bounds import copy_json
from shared.contracts.registration import Official
from shared.contracts.vocabulary import (
    TERMINAL_STATES,
    CaseState,
    DeadlineName,
    RoutingTarget,
)
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date

CASE_NAMESPACE = uuid5(NAMESPACE_URL, "d73:approval:case")
ROUTING_TARGETS = tuple(RoutingTarget)
SYSTEM_ACTOR = Actor(user_id="system", name="", unit_id="", position="", roles=frozenset({SYSTEM}))
"""Who opens a case when registration's `submitted` arrives (unnamed, as the `Opened` events
stored since the first release record it)."""


class Case(Intake, Review, Decision, Implementation, Evaluation, Protection, Deadlines, Aggregate):
    """The file (hồ sơ) that the competent authority keeps on one submitted proposal."""

    Event = CaseEvent
    # Each stage's event classes are named on Case below (`Case.PlanReceived`), where their
    # topics (`services.approval.domain.case:Case.PlanReceived`) find them.

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
        actor: Actor = SYSTEM_ACTOR,
    ) -> Case:
        """Opens the case when registration's `submitted` arrives (SUBMITTED → IN_INTAKE)."""
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
        routed: RoutingDocument = {
            **copy_json(dict(routing)),
            "intake_unit_id": routing.get("intake_unit_id") or routing["recipient_unit_id"],
            "legal_basis": str(routing.get("legal_basis") or ""),
            "directory_version": str(routing.get("directory_version") or ""),
        }
        # Registration's Official contract, its position always a text.
        proposed: ProposerDocument = {
            **copy_json(dict(proposer)),
            "position": str(proposer.get("position") or ""),
        }
        stamp: Stamp = {
            "proposal_id": proposal_id,
            "actor": actor_stamp(actor),
            "at": opened_at,
            "legal_basis": legal_basis.OPENED,
            "rule_set_version": rule_set_version,
            "state": CaseState.IN_INTAKE.value,
        }
        return cls(
            stamp=stamp,
            proposal_id=proposal_id,
            proposer=proposed,
            title=title,
            protection_eligible=protection_eligible,
            routing=routed,
            authority={
                "head_id": str(head_id),
                "deputy_ids": list(deputy_ids),
                "delegate_ids": list(delegate_ids),
            },
            plan=copy_json(dict(plan)),
            submitted_at=submitted_at,
            intake_due=intake_due,
        )

    @event("Opened")
    def __init__(
        self,
        stamp: Stamp,
        proposal_id: UUID,
        proposer: ProposerDocument,
        title: str,
        protection_eligible: bool,
        routing: RoutingDocument,
        authority: AuthorityDocument,
        plan: dict[str, object],
        submitted_at: datetime,
        intake_due: date,
    ) -> None:
        self._proposal_id = proposal_id
        self._proposer = Official.model_validate(proposer)
        self._title = title
        self._protection_eligible = protection_eligible
        self._routing = Routing.model_validate(routing)
        self._head_id = authority["head_id"]
        # Lists, not tuples: a snapshot (JSON) gives back what it was given.
        self._deputy_ids = list(authority["deputy_ids"])
        self._delegate_ids = list(authority["delegate_ids"])
        self._plan = Plan.of(plan)
        self._submitted_at = submitted_at
        self._opened_at = stamp["at"]
        self._rule_set_version = stamp["rule_set_version"]
        self._state = stamp["state"]
        self._deadlines = {}
        self._received_at = None
        self._plan_complete_on = local_date(submitted_at)
        self._received_on = None
        self._approved_on = None
        self._started_on = None
        self._paused_approval = None
        self._supplement_rounds = 0
        self._consultees = {}
        self._party_opinions = {}
        self._votes = []
        self._approval = None
        self._implementer_ids = []
        self._implementers = {}
        self._protections = {}
        self._resources = []
        self._progress = []
        self._directions = []
        self._completion = None
        self._evaluated_outcome = None
        self._evaluated_good_faith = None
        self._conclusion = None
        self._recognition = None
        self._encouragements = []
        self._prohibited_acts = []
        self._approved_plan_hash = None
        self._open_deadline(
            DeadlineName.INTAKE,
            intake_due,
            None,
            routing["intake_unit_id"],
            INTAKE_BASIS,
        )

    # ------------------------------------------------------------------ queries

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
        return self._proposer.model_dump()

    @property
    def protection_eligible(self) -> bool:
        return self._protection_eligible

    @property
    def routing(self) -> dict[str, Any]:
        return self._routing.model_dump()

    @property
    def plan(self) -> dict[str, Any]:
        return self._plan.document()

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

    def open_deadlines(self) -> dict[DeadlineName, OpenDeadline]:
        """Running clocks, for the scheduler: name → due date, who answers for it, notes."""
        return dict(self._deadlines)

    def vote_records(self) -> tuple[VoteRecord, ...]:
        return tuple(VoteRecord.from_dict(v.minutes) for v in self._votes)

    @property
    def approval(self) -> dict[str, Any] | None:
        """How the plan was approved: by a passing vote or by the head's written override."""
        return None if self._approval is None else self._approval.as_dict()

    @property
    def approved_by_override(self) -> bool:
        return self._approval is not None and self._approval.by_override

    @property
    def approved_plan_hash(self) -> str | None:
        """SHA-256 of the plan as approved (`shared.records.plan_hash.plan_hash`), which the
        approval event records with the plan itself, so that a protection certificate can prove
        which plan was approved. None before approval (and for an approval recorded before plans
        were)."""
        return self._approved_plan_hash

    @property
    def implementer_ids(self) -> tuple[str, ...]:
        return tuple(self._implementer_ids)

    @property
    def implementers(self) -> list[dict[str, Any]]:
        """Who implements the approved plan, each with whether they are within Art 2."""
        return [self._implementer(i).as_dict() for i in self._implementer_ids]

    @property
    def consultations(self) -> dict[str, dict[str, Any]]:
        return {cid: c.as_dict() for cid, c in self._consultees.items()}

    def party_opinion(self, stage: VoteStage) -> dict[str, Any] | None:
        opinion = self._party_opinions.get(VoteStage(stage).value)
        return None if opinion is None else opinion.as_dict()

    @property
    def resources(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self._resources]

    @property
    def progress_reports(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self._progress]

    @property
    def directions(self) -> list[dict[str, Any]]:
        """Written suspend / resume / stop decisions, in order."""
        return [d.as_dict() for d in self._directions]

    @property
    def completion(self) -> dict[str, Any] | None:
        return None if self._completion is None else self._completion.as_dict()

    @property
    def evaluated_outcome(self) -> EvaluationOutcome | None:
        return (
            None if self._evaluated_outcome is None else EvaluationOutcome(self._evaluated_outcome)
        )

    @property
    def conclusion(self) -> dict[str, Any] | None:
        return None if self._conclusion is None else self._conclusion.as_dict()

    @property
    def encouragements(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self._encouragements]

    @property
    def protection(self) -> dict[str, Any] | None:
        """The proposer's own Art 11 determination."""
        return self.protection_of(self._proposer.user_id)

    @property
    def protections(self) -> dict[str, dict[str, Any]]:
        """Each official's own Art 11 determination (the proposer's and each implementer's)."""
        return {official: p.as_dict() for official, p in self._protections.items()}

    def protection_of(self, official_id: str) -> dict[str, Any] | None:
        record = self._protections.get(official_id)
        return None if record is None else record.as_dict()

    @property
    def protection_tier(self) -> ProtectionTier | None:
        record = self._protections.get(self._proposer.user_id)
        return None if record is None else ProtectionTier(record.tier)

    @property
    def prohibited_act_reports(self) -> list[dict[str, Any]]:
        return [r.as_dict() for r in self._prohibited_acts]

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

    @property
    def paused_approval(self) -> dict[str, Any] | None:
        """The Art 8 §1 clock paused by an open consultation: days left and the old due date."""
        return None if self._paused_approval is None else self._paused_approval.as_dict()


STAGES = (
    case_intake,
    case_review,
    case_decision,
    case_implementation,
    case_evaluation,
    case_protection,
    case_deadlines,
)
"""The parts of the case, each a module with its commands and the events they record."""

for _event in events_of(*STAGES):
    setattr(Case, _event.__name__, _event)
