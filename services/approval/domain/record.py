"""The case's record: the state every part of `Case` reads and the base of its events.

`Case` (domain/case.py) is one aggregate assembled from a part per stage of the procedure
(intake, review, decision, implementation, evaluation, protection, deadlines); each part holds
its commands and the explicit event classes they record. This module holds what they share: the
state (declared here, set only by the events' `apply`), the typed `Stamp` every event carries,
and the checks every command makes first (`_admit`: authority, then state).

Each event class keeps the topic it had when `@event` made it (`Case.<Name>` in
`services.approval.domain.case`), so stored events and published contracts read as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypedDict, TypeVar, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.approval.domain.authority import CompetentAuthority
from services.approval.domain.case_values import (
    Approval,
    Completion,
    Conclusion,
    Consultation,
    Direction,
    Encouragement,
    HeldVote,
    Implementer,
    ImplementerEntry,
    PartyOpinion,
    PausedApproval,
    Plan,
    ProgressReport,
    ProhibitedActReport,
    ProtectionRecord,
    Recognition,
    ResourceAllocation,
    Routing,
    VoteMinutes,
)
from services.approval.domain.deadlines import OpenDeadline
from services.approval.domain.errors import (
    LEGAL_DATE_BEFORE_PREVIOUS_STEP,
    LEGAL_DATE_IN_FUTURE,
    Conflict,
    FieldProblems,
    InvalidTransition,
    LegalStep,
)
from services.approval.domain.states import TRANSITIONS, Command
from services.approval.domain.vote import VoteRecord, VoteStage, count_vote
from shared.contracts.registration import Official
from shared.contracts.vocabulary import CaseState, DeadlineName
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date
from shared.kernel.rulesets.model import AbstentionRule

CASE_TOPIC = "services.approval.domain.case:Case"
"""Where `@event` put the case's event classes; their stored topics stay there."""


class ApprovalRecorded(Protocol):
    """What both approval events (a passing vote, the head's override) carry about the plan."""

    implementer_ids: list[str]
    plan_hash: str | None
    implementers: list[ImplementerEntry] | None


class ActorStamp(TypedDict):
    """Who gave the command, as their token said (`shared.kernel.actor.Actor`, without the
    position: stored events have never carried it)."""

    user_id: str
    name: str
    unit_id: str
    roles: list[str]


class Stamp(TypedDict):
    """What every case event carries, so that it maps alone to an integration event."""

    proposal_id: UUID
    actor: ActorStamp
    at: datetime
    legal_basis: str
    rule_set_version: str
    state: str


E = TypeVar("E", bound=StrEnum)


def member_of(kind: type[E], value: object) -> E | None:
    """The member of `kind` whose value is `value`, or None."""
    if not isinstance(value, str):
        return None
    try:
        return kind(value)
    except ValueError:
        return None


def texts(values: Sequence[str]) -> list[str]:
    return [str(v) for v in values]


class AuthorityDocument(TypedDict):
    """Who decides on the case, named once when it opens (`CompetentAuthority`)."""

    head_id: str
    deputy_ids: list[str]
    delegate_ids: list[str]


def actor_stamp(who: Actor) -> ActorStamp:
    return {
        "user_id": who.user_id,
        "name": who.name,
        "unit_id": who.unit_id,
        "roles": sorted(who.roles),
    }


class CaseEvent(Aggregate.Event):
    """The base of every case event: its stamp, and the state it leaves the case in."""

    TOPIC: ClassVar[str]
    stamp: Stamp

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.TOPIC = f"{CASE_TOPIC}.{cls.__name__}"

    def apply(self, aggregate: Any) -> None:
        case = cast(CaseRecord, aggregate)
        case._state = self.stamp["state"]
        self.record_in(case)

    def record_in(self, case: CaseRecord) -> None:
        """What the event changes in the case besides its state."""


class MeetingHeld(CaseEvent):
    """The base of a collective meeting's event (the approval meeting, Art 8 §1; the evaluation
    meeting, Art 9 §2): its vote joins the record and the meeting ends its `CLOCK`; a passing
    vote records what the meeting decided (`record_passed`)."""

    CLOCK: ClassVar[DeadlineName]
    vote: VoteMinutes
    if TYPE_CHECKING:  # declared, with its default, by each meeting's event
        held_in_time: bool | None

    def record_in(self, case: CaseRecord) -> None:
        vote = case._record_meeting(self.vote, self.held_in_time, self.CLOCK)
        if vote.passed:
            self.record_passed(case, vote)

    def record_passed(self, case: CaseRecord, vote: HeldVote) -> None:
        """What a passing vote records besides the vote."""


class DirectionGiven(CaseEvent):
    """The base of the head's written directions on the implementation (form M4): suspend,
    resume, stop. Each names its `KIND` and the attribute its grounds are in (`GROUNDS`)."""

    KIND: ClassVar[str]
    GROUNDS: ClassVar[str] = "reasons"
    decision_ref: str

    def record_in(self, case: CaseRecord) -> None:
        case._directions.append(
            Direction(
                kind=self.KIND,
                decision_ref=self.decision_ref,
                grounds=tuple(getattr(self, self.GROUNDS)),
                decided_by=self.stamp["actor"]["user_id"],
                decided_at=self.stamp["at"],
            )
        )


def events_of(*modules: ModuleType) -> list[type[CaseEvent]]:
    """The case event classes each module defines, in order."""
    return [
        obj
        for module in modules
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, CaseEvent)
        and obj.__module__ == module.__name__
    ]


class CaseRecord:
    """The state of a case and the checks its commands share (a part of `Case`)."""

    if TYPE_CHECKING:
        id: UUID

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

    _proposal_id: UUID
    _proposer: Official
    _title: str
    _protection_eligible: bool
    _routing: Routing
    _head_id: str
    _deputy_ids: list[str]
    _delegate_ids: list[str]
    _plan: Plan
    _submitted_at: datetime
    _opened_at: datetime
    _rule_set_version: str
    _state: str
    _deadlines: dict[DeadlineName, OpenDeadline]
    _received_at: datetime | None
    _plan_complete_on: date
    _received_on: date | None
    _approved_on: date | None
    _started_on: date | None
    _paused_approval: PausedApproval | None
    _supplement_rounds: int
    _consultees: dict[str, Consultation]
    _party_opinions: dict[str, PartyOpinion]
    _votes: list[HeldVote]
    _approval: Approval | None
    _implementer_ids: list[str]
    _implementers: dict[str, Implementer]
    _protections: dict[str, ProtectionRecord]
    _resources: list[ResourceAllocation]
    _progress: list[ProgressReport]
    _directions: list[Direction]
    _completion: Completion | None
    _evaluated_outcome: str | None
    _evaluated_good_faith: bool | None
    _conclusion: Conclusion | None
    _recognition: Recognition | None
    _encouragements: list[Encouragement]
    _prohibited_acts: list[ProhibitedActReport]
    _approved_plan_hash: str | None

    # ------------------------------------------------------------------ shared queries

    @property
    def state(self) -> CaseState:
        return CaseState(self._state)

    @property
    def competent_authority(self) -> CompetentAuthority:
        return CompetentAuthority(
            head_id=self._head_id,
            deputy_ids=tuple(self._deputy_ids),
            delegate_ids=tuple(self._delegate_ids),
            recipient_unit_id=self._routing.recipient_unit_id,
            intake_unit_id=self._routing.intake_unit_id,
            proposer_id=self._proposer.user_id,
            implementer_ids=tuple(self._implementer_ids),
        )

    @property
    def is_approved(self) -> bool:
        return self._approval is not None

    @property
    def result_recognized(self) -> bool:
        return self._recognition is not None

    def within_art2(self, user_id: str) -> bool:
        """Art 2: is this party to the case an official under the decree (leader/manager,
        incl. titles in state-owned enterprises and representatives of state capital)?"""
        if user_id == self._proposer.user_id:
            return self._protection_eligible
        if user_id in self._implementer_ids:
            return self._implementer(user_id).within_art2
        return user_id in (self._head_id, *self._deputy_ids)

    def _implementer(self, user_id: str) -> Implementer:
        """An implementer as the approval named them; one named by id alone is within Art 2
        only if they are the proposer and the proposer is."""
        known = self._implementers.get(user_id)
        if known is not None:
            return known
        if user_id != self._proposer.user_id:
            return Implementer(user_id, name="", unit_id="", position="", within_art2=False)
        proposer = self._proposer
        return Implementer(
            user_id=user_id,
            name=proposer.name,
            unit_id=proposer.unit_id,
            position=proposer.position,
            within_art2=self._protection_eligible,
        )

    # ------------------------------------------------------------------ checks every command makes

    def _admit(self, command: Command, who: Actor, at: datetime) -> Actor:
        """Authority first (who gives `command`, from the transition table), then state:
        refusals leak nothing to the unauthorised."""
        problems = FieldProblems()
        problems.require_text("actor.user_id", who.user_id)
        problems.require_instant("at", at)
        problems.raise_if_any()
        self.competent_authority.check(TRANSITIONS[command].step, who, command.value)
        if self.state not in TRANSITIONS[command].sources:
            raise InvalidTransition(self.state.value, command.value)
        return who

    def _record(
        self,
        event: type[CaseEvent],
        command: Command,
        who: Actor,
        at: datetime,
        basis: str,
        target: CaseState | None = None,
        **attributes: Any,
    ) -> None:
        """Triggers `event`, stamped by `command`: who gave it, when, on what legal basis, and
        the state it leaves the case in (`target`, or the state it is in)."""
        self.trigger_event(event, stamp=self._stamp(command, who, at, basis, target), **attributes)

    def _stamp(
        self,
        command: Command,
        who: Actor,
        at: datetime,
        basis: str,
        target: CaseState | None = None,
    ) -> Stamp:
        new_state = self.state if target is None else target
        assert new_state in TRANSITIONS[command].targets, (command, new_state)
        return {
            "proposal_id": self._proposal_id,
            "actor": actor_stamp(who),
            "at": at,
            "legal_basis": basis,
            "rule_set_version": self._rule_set_version,
            "state": new_state.value,
        }

    def _count_vote(
        self,
        stage: VoteStage,
        held_on: date,
        minutes_ref: str,
        ballots: Sequence[Mapping[str, str]],
        motion: str,
        abstention: AbstentionRule,
    ) -> VoteRecord:
        """The collective's vote on `motion`, counted against the case's authority: the head and
        deputies vote, a deputy who proposed does not (Art 8 §1)."""
        authority = self.competent_authority
        return count_vote(
            stage=stage,
            held_on=held_on,
            minutes_ref=minutes_ref,
            head_id=authority.head_id,
            voters=authority.voters,
            excluded=authority.excluded_from_vote,
            ballots=ballots,
            motion=motion,
            abstention=abstention,
        )

    def _held_in_time(self, clock: DeadlineName, held_on: date) -> bool:
        """Whether a meeting's legal date meets its clock (none running: it does)."""
        entry = self._deadlines.get(clock)
        return entry is None or held_on <= entry.due

    def _require_party_opinion(self, stage: VoteStage, required: bool) -> None:
        """Art 4 §3: the same-level Party committee's opinion comes before the decision."""
        if not required:
            return
        opinion = self._party_opinions.get(stage.value)
        if opinion is None or opinion.received_at is None:
            raise Conflict(
                f"the Party committee's opinion on {stage.value} has not been received (Art 4 §3)"
            )

    def _last_vote(self, stage: VoteStage) -> HeldVote:
        votes = [v for v in self._votes if v.stage == stage.value]
        if not votes:  # unreachable through the state table; kept for safety
            raise Conflict(f"no {stage.value} vote has been held")
        return votes[-1]

    def _written_after_meeting(
        self, field: str, day: date | None, at: datetime, stage: VoteStage
    ) -> date:
        """The legal date of the head's written decision after a meeting of `stage` (an
        override, a rejection, the conclusion): the day it is entered unless given, never in
        the future, never before the meeting."""
        written = local_date(at) if day is None else day
        problems = FieldProblems()
        meeting = LegalStep.APPROVAL_MEETING
        if stage is VoteStage.EVALUATION:
            meeting = LegalStep.EVALUATION_MEETING
        earlier = self._last_vote(stage).held_on
        check_legal_date(problems, field, written, at, after=meeting, earlier=earlier)
        problems.raise_if_any()
        return written

    def _require_conclusion(self) -> Conclusion:
        if self._conclusion is None:  # unreachable through the state table; kept for safety
            raise Conflict("the evaluation has not been concluded")
        return self._conclusion

    # ------------------------------------------------------------------ running clocks

    def _open_deadline(
        self,
        name: DeadlineName,
        due: date,
        responsible_user_id: str | None,
        responsible_unit_id: str | None,
        basis: str,
    ) -> None:
        self._deadlines[name] = OpenDeadline(
            name=name,
            due=due,
            responsible_user_id=responsible_user_id,
            responsible_unit_id=responsible_unit_id,
            legal_basis=basis,
        )

    def _open_heads_deadline(self, name: DeadlineName, due: date, basis: str) -> None:
        """A clock the head of the routed unit answers for (approval, consultation, evaluation,
        conclusion)."""
        self._open_deadline(name, due, self._head_id, self._routing.recipient_unit_id, basis)

    def _close_deadline(self, name: DeadlineName) -> None:
        self._deadlines.pop(name, None)

    # ------------------------------------------------------------------ what events record

    def _record_meeting(
        self, minutes: VoteMinutes, held_in_time: bool | None, clock: DeadlineName
    ) -> HeldVote:
        """A collective meeting's vote joins the record. Art 8 §1 and Art 9 §2 ask for the
        meeting within 7 working days, whatever its outcome: holding it ends its clock (a
        meeting recorded before `held_in_time` was, ends it only by passing)."""
        vote = HeldVote.of(minutes)
        self._votes.append(vote)
        if held_in_time is not None or vote.passed:
            self._close_deadline(clock)
        return vote

    def _record_approval(self, approval: Approval, approved: ApprovalRecorded, on: date) -> None:
        """The plan approved, by a passing vote or the head's override: from the legal date
        `on`, by whom it is implemented, and the hash of the plan approved."""
        self._approved_on = on
        self._implementers = {i["user_id"]: Implementer.of(i) for i in approved.implementers or ()}
        self._approved_plan_hash = approved.plan_hash
        self._approval = approval
        self._implementer_ids = list(approved.implementer_ids)
        self._close_deadline(DeadlineName.APPROVAL)

    def _mark_deadline(
        self, deadline: str, *, approaching: bool = False, breached: bool = False
    ) -> None:
        name = DeadlineName(deadline)
        entry = self._deadlines[name]
        self._deadlines[name] = replace(
            entry,
            approaching_noted=entry.approaching_noted or approaching,
            breached=entry.breached or breached,
        )

    def _open_deadline_named(self, deadline: DeadlineName | str) -> OpenDeadline:
        name = member_of(DeadlineName, deadline)
        entry = None if name is None else self._deadlines.get(name)
        if entry is None:
            raise Conflict(f"the case has no open {deadline} deadline")
        return entry


def require_due(field: str, due: object, *, not_before: date | None = None) -> None:
    """A due date the service computed for a clock the case opens: a date, and (given
    `not_before`) never before the day the clock starts."""
    problems = FieldProblems()
    problems.require_date(field, due, not_before=not_before)
    problems.raise_if_any()


def check_legal_date(
    problems: FieldProblems,
    field: str,
    day: object,
    at: datetime,
    *,
    after: LegalStep,
    earlier: date | None,
    rule: str = LEGAL_DATE_BEFORE_PREVIOUS_STEP,
) -> bool:
    """Checks the legal date of a step (the day it happened in law, which a clerk may enter
    later): never after the day it is entered, never before the previous step's legal date.
    Each refusal names its rule (`code`) and facts, so the message states the rule."""
    problems.require_date(field, day)
    if not isinstance(day, date) or isinstance(day, datetime):
        return False
    recorded = local_date(at)
    if day > recorded:
        problems.add(
            field,
            f"must not be after the day it is entered ({recorded.isoformat()}): "
            "a legal date is never in the future",
            code=LEGAL_DATE_IN_FUTURE,
            params={"recorded": recorded.isoformat()},
        )
    if earlier is not None and day < earlier:
        problems.add(
            field,
            f"must not be before {after.english} ({earlier.isoformat()})",
            code=rule,
            params={"step": after.value, "day": earlier.isoformat()},
        )
    return True
