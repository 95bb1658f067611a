"""Read models of approval, folded from its own notification log and rebuildable from it.

- `OpenDeadlines`: every running clock of every open case, with the day its reminder is due, so
  the scheduler loads only the cases that have something to note.
- `CaseParties`: who takes part in each open case and the state it is in, for the inbox.

Both mirror what the Case aggregate records; a unit test drives cases through every state and
checks `OpenDeadlines` against `Case.open_deadlines()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from services.approval.case_rules import CaseRules
from services.approval.domain.authority import CompetentAuthority
from services.approval.domain.case import Case
from shared.contracts.vocabulary import TERMINAL_STATES, CaseState, DeadlineName
from shared.platform.eventstore import ServiceApplication
from shared.platform.readmodel import CatchUpReadModel

Fold = Callable[[str, Any], None]


def _event_class(name: str) -> type:
    cls: type = getattr(Case, name)
    return cls


@dataclass(frozen=True)
class DueClock:
    """One running clock of one case, as the scheduler and the inbox see it."""

    case_id: UUID
    name: DeadlineName
    due: date
    warn_on: date
    responsible_user_id: str | None
    responsible_unit_id: str | None
    approaching_noted: bool
    breached: bool

    def is_overdue(self, today: date) -> bool:
        return today > self.due

    def needs_notice(self, today: date) -> bool:
        """A breach not yet recorded, or a reminder due and not yet noted."""
        if self.breached:
            return False
        return self.is_overdue(today) or (not self.approaching_noted and today >= self.warn_on)


class OpenDeadlines(CatchUpReadModel):
    """Thời hạn đang chạy — the running clocks of open cases, by case."""

    name = "open_deadlines"

    def __init__(self, app: ServiceApplication, rules_of: Callable[[str], CaseRules]) -> None:
        super().__init__(app)
        self.rules_of = rules_of
        self._folds: dict[type, Fold] = {
            _event_class("Opened"): self._opened,
            _event_class("SupplementRequested"): self._supplement_requested,
            _event_class("SupplementProvided"): self._supplement_provided,
            _event_class("PlanReceived"): self._plan_received,
            _event_class("ConsultationRequested"): self._consultation_requested,
            _event_class("ConsultationClosed"): self._consultation_closed,
            _event_class("ApprovalMeetingHeld"): self._approval_meeting_held,
            _event_class("ApprovedByOverride"): self._approved_by_override,
            _event_class("CompletionReported"): self._completion_reported,
            _event_class("EvaluationMeetingHeld"): self._evaluation_meeting_held,
            _event_class("EvaluationConcluded"): self._evaluation_concluded,
            _event_class("DeadlineApproaching"): self._approaching,
            _event_class("DeadlineBreached"): self._breached,
        }
        self.reset()

    def reset(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}

    # folding

    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        case_id = str(event.originator_id)
        stamp: dict[str, Any] | None = getattr(event, "stamp", None)
        fold = self._folds.get(type(event))
        if fold is not None:
            fold(case_id, event)
        if stamp is not None and CaseState(stamp["state"]) in TERMINAL_STATES:
            self.cases.pop(case_id, None)

    def _opened(self, case_id: str, event: Any) -> None:
        self.cases[case_id] = {
            "rule_set_version": event.stamp["rule_set_version"],
            "head_id": event.authority["head_id"],
            "recipient_unit_id": event.routing["recipient_unit_id"],
            "intake_unit_id": event.routing["intake_unit_id"],
            "clocks": {},
        }
        self._open(case_id, DeadlineName.INTAKE, event.intake_due, None, "intake_unit_id")

    def _supplement_requested(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.INTAKE)
        self._open_for(
            case_id,
            DeadlineName.SUPPLEMENT,
            event.due,
            event.responsible_user_id,
            event.responsible_unit_id,
        )

    def _supplement_provided(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.SUPPLEMENT)
        self._open(case_id, DeadlineName.INTAKE, event.intake_due, None, "intake_unit_id")

    def _plan_received(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.INTAKE)
        self._open_for(
            case_id,
            DeadlineName.APPROVAL,
            event.approval_due,
            event.head_id,
            event.recipient_unit_id,
        )

    def _consultation_requested(self, case_id: str, event: Any) -> None:
        self._open(case_id, DeadlineName.CONSULTATION, event.due, "head", "recipient_unit_id")
        if getattr(event, "approval_paused", None) is not None:
            self._close(case_id, DeadlineName.APPROVAL)  # paused during the consultation

    def _consultation_closed(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.CONSULTATION)
        if getattr(event, "approval_due", None) is not None:
            self._open(
                case_id, DeadlineName.APPROVAL, event.approval_due, "head", "recipient_unit_id"
            )

    def _approval_meeting_held(self, case_id: str, event: Any) -> None:
        # Holding the meeting meets Art 8 §1 whatever its outcome (events before `held_in_time`
        # was recorded kept the clock open on a failed vote, as the case did).
        if event.vote["outcome"] == "PASSED" or getattr(event, "held_in_time", None) is not None:
            self._close(case_id, DeadlineName.APPROVAL)

    def _approved_by_override(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.APPROVAL)

    def _completion_reported(self, case_id: str, event: Any) -> None:
        self._open(
            case_id, DeadlineName.EVALUATION, event.evaluation_due, "head", "recipient_unit_id"
        )

    def _evaluation_meeting_held(self, case_id: str, event: Any) -> None:
        # As for approval: holding the meeting meets Art 9 §2 whatever the vote (older events
        # without `held_in_time` kept the clock open on a failed vote, as the case did).
        if getattr(event, "held_in_time", None) is not None:
            self._close(case_id, DeadlineName.EVALUATION)
        if event.vote["outcome"] == "PASSED":
            self._close(case_id, DeadlineName.EVALUATION)
            self._open(
                case_id, DeadlineName.CONCLUSION, event.conclusion_due, "head", "recipient_unit_id"
            )

    def _evaluation_concluded(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.CONCLUSION)

    def _approaching(self, case_id: str, event: Any) -> None:
        clock = self.cases[case_id]["clocks"].get(event.deadline)
        if clock is not None:
            clock["approaching_noted"] = True

    def _breached(self, case_id: str, event: Any) -> None:
        clock = self.cases[case_id]["clocks"].get(event.deadline)
        if clock is not None:
            clock["breached"] = True

    def _open(
        self, case_id: str, name: DeadlineName, due: date, user: str | None, unit_key: str
    ) -> None:
        case = self.cases[case_id]
        user_id = case["head_id"] if user == "head" else None
        self._open_for(case_id, name, due, user_id, case[unit_key])

    def _open_for(
        self, case_id: str, name: DeadlineName, due: date, user_id: str | None, unit_id: str | None
    ) -> None:
        case = self.cases[case_id]
        case["clocks"][name.value] = {
            "due": due,
            "warn_on": self.rules_of(case["rule_set_version"]).warning_date(due),
            "responsible_user_id": user_id,
            "responsible_unit_id": unit_id,
            "approaching_noted": False,
            "breached": False,
        }

    def _close(self, case_id: str, name: DeadlineName) -> None:
        self.cases[case_id]["clocks"].pop(name.value, None)

    # queries

    def of_case(self, case_id: UUID) -> list[DueClock]:
        """The running clocks of one case, earliest due first."""
        return self.of_cases([case_id])[case_id]

    def of_cases(self, case_ids: Iterable[UUID]) -> dict[UUID, list[DueClock]]:
        """The running clocks of each case, earliest due first (none for a closed case)."""
        self.catch_up()
        found: dict[UUID, list[DueClock]] = {}
        with self._lock:
            for case_id in case_ids:
                case = self.cases.get(str(case_id))
                clocks = [] if case is None else self._clocks(str(case_id), case)
                found[case_id] = sorted(clocks, key=lambda c: (c.due, c.name.value))
        return found

    def needing_notice(self, today: date) -> list[UUID]:
        """Cases with a reminder or a breach to record on `today`, most urgent first."""
        urgent: dict[UUID, date] = {}
        for clock in self._all_clocks():
            if clock.needs_notice(today):
                urgent[clock.case_id] = min(urgent.get(clock.case_id, clock.due), clock.due)
        return sorted(urgent, key=lambda c: (urgent[c], str(c)))

    def overdue(self, today: date) -> dict[UUID, DueClock]:
        """Each case with a clock past its due date, with its most overdue clock."""
        late: dict[UUID, DueClock] = {}
        for clock in self._all_clocks():
            if clock.is_overdue(today):
                known = late.get(clock.case_id)
                if known is None or clock.due < known.due:
                    late[clock.case_id] = clock
        return late

    def _all_clocks(self) -> list[DueClock]:
        self.catch_up()
        with self._lock:
            return [c for case_id, case in self.cases.items() for c in self._clocks(case_id, case)]

    def _clocks(self, case_id: str, case: dict[str, Any]) -> list[DueClock]:
        return [
            DueClock(
                case_id=UUID(case_id),
                name=DeadlineName(name),
                due=clock["due"],
                warn_on=clock["warn_on"],
                responsible_user_id=clock["responsible_user_id"],
                responsible_unit_id=clock["responsible_unit_id"],
                approaching_noted=clock["approaching_noted"],
                breached=clock["breached"],
            )
            for name, clock in case["clocks"].items()
        ]

    def snapshot(self) -> Any:
        with self._lock:
            return self.cases


class CaseParties(CatchUpReadModel):
    """Who takes part in each open case, in which capacity, and the state it is in.

    A case is indexed under its `CompetentAuthority.parties`, the same people who may read it
    and report on it: the model keeps each open case's authority, as the case does."""

    name = "case_parties"

    def __init__(self, app: ServiceApplication) -> None:
        super().__init__(app)
        self._opened = _event_class("Opened")
        self._approved = (_event_class("ApprovalMeetingHeld"), _event_class("ApprovedByOverride"))
        self.reset()

    def reset(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.authorities: dict[str, CompetentAuthority] = {}
        self.by_person: dict[str, set[str]] = {}

    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        case_id = str(event.originator_id)
        stamp: dict[str, Any] | None = getattr(event, "stamp", None)
        data: Any = event
        if isinstance(event, self._opened):
            self.cases[case_id] = {
                "proposal_id": str(data.proposal_id),
                "title": data.title,
                "opened_at_position": position,
                "proposer_id": data.proposer["user_id"],
                "head_id": data.authority["head_id"],
                "deputy_ids": list(data.authority["deputy_ids"]),
                "delegate_ids": list(data.authority["delegate_ids"]),
                "implementer_ids": [],
                "state": data.stamp["state"],
            }
            self.authorities[case_id] = CompetentAuthority(
                head_id=data.authority["head_id"],
                deputy_ids=tuple(data.authority["deputy_ids"]),
                delegate_ids=tuple(data.authority["delegate_ids"]),
                recipient_unit_id=data.routing["recipient_unit_id"],
                intake_unit_id=data.routing["intake_unit_id"],
                proposer_id=data.proposer["user_id"],
            )
            self._index(case_id)
        case = self.cases.get(case_id)
        if case is None or stamp is None:
            return
        if isinstance(event, self._approved) and data.stamp["state"] == CaseState.APPROVED.value:
            case["implementer_ids"] = list(data.implementer_ids)
            self.authorities[case_id] = replace(
                self.authorities[case_id], implementer_ids=tuple(data.implementer_ids)
            )
            self._index(case_id)
        case["state"] = stamp["state"]
        if CaseState(stamp["state"]) in TERMINAL_STATES:
            for person in self.authorities.pop(case_id).parties:
                self.by_person.get(person, set()).discard(case_id)
            del self.cases[case_id]

    def _index(self, case_id: str) -> None:
        for person in self.authorities[case_id].parties:
            self.by_person.setdefault(person, set()).add(case_id)

    def cases_of(self, person_id: str) -> dict[UUID, dict[str, Any]]:
        """The open cases `person_id` takes part in, in any capacity."""
        self.catch_up()
        with self._lock:
            return {
                UUID(case_id): dict(self.cases[case_id])
                for case_id in self.by_person.get(person_id, set())
            }

    def cases_by_id(self, case_ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
        """The open cases among `case_ids`."""
        self.catch_up()
        with self._lock:
            return {
                case_id: dict(self.cases[str(case_id)])
                for case_id in case_ids
                if str(case_id) in self.cases
            }

    def snapshot(self) -> Any:
        with self._lock:
            return self.cases
