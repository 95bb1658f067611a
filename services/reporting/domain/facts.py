"""What reporting knows about one proposal, folded from its archived events (hồ sơ đề xuất).

`fold` reads one archived event (`ArchivedEvent`: an integration event as received, with its
archive position and local day) and updates the proposal's facts; what the event adds to the
statistics comes out as items `(local day, metric, delta)`.

Two streams feed a proposal — registration's and approval's — and a replay from JetStream may
interleave them differently than the first time. So everything here depends only on each stream's
own order: registration's facts and approval's facts are kept apart, the current state combines
them by a fixed rule, and the proposal's attribution (unit, level, leader, submission day) is taken
from whichever stream names it first — both copy it from the same submission; a disagreement is
flagged, never silently resolved.

Every handler reads all it needs from the event before it changes anything, so an event that
fails to parse leaves the facts as they were (it is dead-lettered by the projection).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from sys import intern
from typing import Any, Protocol

from services.reporting.domain import metrics as m
from services.reporting.domain.archive import ArchivedEvent
from services.reporting.domain.periods import local_day
from shared.contracts.bounds import MAX_VND
from shared.contracts.vocabulary import (
    TERMINAL_STATES,
    CaseState,
    DeadlineName,
    RoutingTarget,
)

REGISTRATION_SUBMITTED = "d73.proposal.submitted.v1"
REGISTRATION_WITHDRAWN = "d73.proposal.withdrawn.v1"
REGISTRATION_SUPPLEMENTED = "d73.proposal.supplemented.v1"
CASE_PREFIX = "d73.case."

Item = tuple[str, str, int]
"""(ISO local day, metric, delta): what one event adds to its proposal's statistics."""
Lateness = tuple[str, str, str, int]
"""(ISO local day, responsible unit, metric, delta): who was late, counted for that unit."""


class DaysCounter(Protocol):
    """Working days from one ISO date to another in a rule-set version's calendar."""

    def between(self, version: str | None, start: str, end: str) -> int: ...


# A deadline as the case keeps it: [due, responsible user, responsible unit, approaching noted,
# breached on (ISO day) or None, escalated to or None, legal basis of the breach]
DUE, USER, UNIT, NOTED, BREACHED_ON, ESCALATED_TO, BASIS = range(7)


class ProposalFacts:
    """One proposal's facts; small (slots), JSON-friendly through `as_dict`/`from_dict`."""

    __slots__ = (
        "attributed_by",
        "case_id",
        "case_started_on",
        "case_state",
        "caused_damage",
        "completed_on",
        "completion_reported_on",
        "concluded_on",
        "conflict",
        "counted",
        "deadlines",
        "decided_on",
        "decision",
        "encouragements",
        "evaluated_on",
        "events",
        "head_id",
        "implementation_started_on",
        "intake_unit_id",
        "last_event_at",
        "leader",
        "level",
        "opened_on",
        "outcome",
        "pending",
        "proposal_id",
        "proposer_id",
        "proposer_name",
        "proposer_position",
        "received_on",
        "recipient_unit_id",
        "recognized",
        "reg_state",
        "rule_set_version",
        "stops",
        "submitted_on",
        "supplement_requested_on",
        "suspensions",
        "tier",
        "title",
        "unit_id",
        "unit_name",
    )

    def __init__(self, proposal_id: str) -> None:
        self.proposal_id = proposal_id
        self.title = ""
        self.proposer_id = ""
        self.proposer_name = ""
        self.proposer_position = ""
        self.unit_id: str | None = None
        self.unit_name = ""
        self.level: str | None = None
        self.leader: bool | None = None
        self.submitted_on: str | None = None
        self.attributed_by = ""
        self.conflict = False
        self.reg_state: str | None = None
        self.case_state: str | None = None
        self.case_id: str | None = None
        self.recipient_unit_id = ""
        self.intake_unit_id = ""
        self.head_id: str | None = None
        self.rule_set_version: str | None = None
        self.opened_on: str | None = None
        self.case_started_on: str | None = None
        """Submission day as the case knows it (its own stream's clock for step durations)."""
        self.received_on: str | None = None
        self.supplement_requested_on: str | None = None
        self.decided_on: str | None = None
        self.decision: str | None = None
        self.implementation_started_on: str | None = None
        self.completed_on: str | None = None
        self.completion_reported_on: str | None = None
        self.evaluated_on: str | None = None
        self.concluded_on: str | None = None
        self.outcome: str | None = None
        self.caused_damage = False
        self.tier: str | None = None
        self.recognized = False
        self.encouragements: list[str] = []
        self.suspensions = 0
        self.stops = 0
        self.deadlines: dict[str, list[Any]] = {}
        self.events = 0
        self.last_event_at = ""
        self.counted: list[Any] | None = None
        """[year, quarter, unit, level, leader, state] under which the current state is counted."""
        self.pending: list[list[Any]] | None = None
        """Items seen before the proposal's unit was known: [day, metric, delta]."""

    # ------------------------------------------------------------------ derived

    @property
    def attributed(self) -> bool:
        return self.unit_id is not None

    @property
    def state(self) -> str:
        """Registration's withdrawal wins; then the case's state; then registration's."""
        if CaseState.WITHDRAWN in (self.reg_state, self.case_state):
            return CaseState.WITHDRAWN
        if self.case_state:
            return self.case_state
        return "SUBMITTED" if self.reg_state else "UNKNOWN"

    def overdue(self) -> list[dict[str, Any]]:
        """Breached deadlines still open, while the proposal is not finished."""
        if self.state in TERMINAL_STATES:
            return []
        return [
            {
                "proposal_id": self.proposal_id,
                "deadline": name,
                "due": d[DUE],
                "responsible_user_id": d[USER],
                "responsible_unit_id": d[UNIT],
                "breached_on": d[BREACHED_ON],
                "escalated_to": d[ESCALATED_TO],
                "legal_basis": d[BASIS],
                "title": self.title,
                "proposer_id": self.proposer_id,
                "proposer_name": self.proposer_name,
                "unit_id": self.unit_id,
                "level": self.level,
                "state": self.state,
                "rule_set_version": self.rule_set_version,
            }
            for name, d in sorted(self.deadlines.items())
            if d[BREACHED_ON] is not None
        ]

    # ------------------------------------------------------------------ persistence

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in self.__slots__:
            value = getattr(self, name)
            if value is not None and value != "" and value != [] and value != {}:
                data[name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProposalFacts:
        facts = cls(str(data["proposal_id"]))
        for name, value in data.items():
            if name in cls.__slots__:
                setattr(facts, name, value)
        return facts

    def digest_view(self) -> dict[str, Any]:
        """What a rebuild must reproduce exactly; not which stream happened to name the unit."""
        data = self.as_dict()
        data.pop("attributed_by", None)
        return data


# ---------------------------------------------------------------------- folding


@dataclass(slots=True)
class Folding:
    """One proposal's facts as archive entries are folded into them: the calendar its working
    days are counted in, and where each entry puts what it adds to the statistics (`items`) and
    to the late units' (`lateness`); the caller empties or keeps those between entries."""

    facts: ProposalFacts
    days: DaysCounter
    items: list[Item] = field(default_factory=list)
    lateness: list[Lateness] = field(default_factory=list)


def fold(f: Folding, e: ArchivedEvent) -> None:
    """Fold one archived event into `f.facts`, appending what it adds to the statistics."""
    facts, items, body = f.facts, f.items, e.body
    event_type = e.type
    day = e.local_day()
    kind = _KINDS.get(event_type)
    if kind is None:
        kind = _KINDS[event_type] = _kind_of(event_type)
    if kind[0]:
        state = body["state"]
        if not isinstance(state, str):
            raise ValueError(f"state is not a name: {state!r}")
        handler = kind[1]
        if handler is not None:
            handler(f, body, day)
        if body.get("entered_late") is True:
            # Entered after its legal date: allowed, counted and shown (never a breach).
            name = event_type[len(CASE_PREFIX) : event_type.rindex(".")]
            items.append((day, m.ENTERED_LATE + name, 1))
        facts.case_state = intern(state)
        if facts.case_id is None:
            facts.case_id = body.get("case_id")
        version = e.rule_set_version
        if version and version != facts.rule_set_version:
            facts.rule_set_version = intern(version)
        if state in TERMINAL_STATES:
            _close_all(f, day)
    elif event_type == REGISTRATION_SUBMITTED:
        _submitted(facts, body, items)
    elif event_type == REGISTRATION_WITHDRAWN:
        facts.reg_state = CaseState.WITHDRAWN
        items.append((day, m.WITHDRAWN, 1))
    facts.events += 1
    if e.occurred_at > facts.last_event_at:
        facts.last_event_at = e.occurred_at


Attribution = tuple[str, str, bool, str, Mapping[str, Any]]
"""(unit, level, leader, submission day, proposer) as one stream states them."""


def _attribution(
    proposer: Mapping[str, Any], routing: Mapping[str, Any], leader: object, submitted_at: str
) -> Attribution:
    """Unit, level (Plan 88 II.3.a/b), leader or staff (Art 2) and submission day."""
    level = "city" if routing.get("target") == RoutingTarget.CITY_PC_VIA_DOHA else "agency"
    return str(proposer["unit_id"]), level, bool(leader), local_day(submitted_at), proposer


def _attribute(facts: ProposalFacts, source: str, attribution: Attribution) -> None:
    """Set once, by the first stream that names it; a later disagreement is flagged. Names
    shown to people come from registration when it has them (it is the proposer's own record)."""
    unit_id, level, leader, submitted_on, proposer = attribution
    unit_id = intern(unit_id)
    if facts.unit_id is None:
        facts.unit_id, facts.level, facts.leader = unit_id, level, leader
        facts.submitted_on, facts.attributed_by = submitted_on, source
    elif (facts.unit_id, facts.level, facts.leader, facts.submitted_on) != attribution[:4]:
        facts.conflict = True
    overwrite = source == "registration"
    for slot, key in (
        ("proposer_id", "user_id"),
        ("proposer_name", "name"),
        ("proposer_position", "position"),
        ("unit_name", "unit_name"),
    ):
        value = str(proposer.get(key) or "")
        if value and (overwrite or not getattr(facts, slot)):
            setattr(facts, slot, value)


def _submitted(facts: ProposalFacts, body: Mapping[str, Any], items: list[Item]) -> None:
    attribution = _attribution(
        body["proposer"], body["routing"], body["protection_eligible"], body["submitted_at"]
    )
    title = str(body["title"])
    _attribute(facts, "registration", attribution)
    facts.title = title
    if facts.reg_state != CaseState.WITHDRAWN:
        facts.reg_state = "SUBMITTED"
    items.append((attribution[3], m.SUBMITTED, 1))


def _date(value: object) -> str:
    """An ISO date from an event, checked (a bad one fails before anything changes)."""
    return intern(date.fromisoformat(str(value)).isoformat())


def _optional_date(value: object) -> str | None:
    return None if value is None else _date(value)


# ---------------------------------------------------------------------- deadlines


def _open(facts: ProposalFacts, name: str, due: str | None, user: object, unit: object) -> None:
    facts.deadlines[str(name)] = [  # a plain str key: the facts are stored as JSON
        due,
        None if user is None else str(user),
        None if unit is None else str(unit),
        False,
        None,
        None,
        None,
    ]


def _close(f: Folding, name: str, day: str, legal: str | None = None) -> None:
    """A step was done on its legal date `legal` (else on `day`, when it was entered).

    A breached deadline says how many working days late the step was, counted to its legal
    date. A breach recorded while the step was not yet entered, for a step whose legal date
    met the deadline, is withdrawn: the head complied and is never counted as late."""
    deadline = f.facts.deadlines.pop(name, None)
    if deadline is None or deadline[BREACHED_ON] is None or not deadline[DUE]:
        return
    done = legal or day
    if done <= deadline[DUE]:
        _withdraw_breach(f, name, deadline, day)
        return
    late = _working_days(f, deadline[DUE], done)
    if late is not None:
        f.items.append((day, f"{m.DAYS_LATE}{name}:{max(late, 0)}", 1))


def _withdraw_breach(f: Folding, name: str, deadline: list[Any], day: str) -> None:
    """Takes back what `_deadline_breached` counted, on the day it counted it."""
    breached_on = deadline[BREACHED_ON]
    f.items.append((breached_on, m.BREACH + name, -1))
    escalation = deadline[ESCALATED_TO]
    if escalation:
        f.items.append((breached_on, m.ESCALATED + str(escalation["target"]), -1))
    f.items.append((day, m.BREACH_WITHDRAWN + name, 1))
    late_unit = str(deadline[UNIT] or f.facts.recipient_unit_id or "?")
    f.lateness.append((breached_on, late_unit, m.BREACH + name, -1))
    if deadline[USER]:
        f.lateness.append((breached_on, late_unit, f"{m.LATE_BY}{deadline[USER]}", -1))


def _close_all(f: Folding, day: str, legal: str | None = None) -> None:
    for name in list(f.facts.deadlines):
        _close(f, name, day, legal)


def _step(f: Folding, step: str, start: str | None, end: str) -> None:
    if start:
        took = _working_days(f, start, end)
        if took is not None:
            f.items.append((end, f"{m.DAYS}{step}:{took}", 1))


def _working_days(f: Folding, start: str, end: str) -> int | None:
    """None when the calendar cannot say (a year the holidays package does not cover)."""
    try:
        return f.days.between(f.facts.rule_set_version, start, end)
    except ValueError:
        return None


# ---------------------------------------------------------------------- case events

CaseHandler = Callable[[Folding, Mapping[str, Any], str], None]
"""What one case event (its body, on its local day) does to the facts being folded."""


def _opened(f: Folding, body: Mapping[str, Any], day: str) -> None:
    routing = body.get("routing") or {}
    proposer = body.get("proposer")
    submitted_at = body.get("submitted_at")
    recipient = str(body.get("recipient_unit_id") or routing.get("recipient_unit_id") or "")
    intake = str(body.get("intake_unit_id") or routing.get("intake_unit_id") or recipient)
    head_id = (body.get("authority") or {}).get("head_id")
    eligible, title = body["protection_eligible"], body.get("title")
    intake_due = _optional_date(body.get("intake_due"))
    attribution = (
        _attribution(proposer, routing, eligible, submitted_at)
        if proposer and routing and submitted_at
        else None
    )
    if attribution is not None:
        _attribute(f.facts, "approval", attribution)
    f.facts.title = f.facts.title or str(title or "")
    f.facts.recipient_unit_id, f.facts.intake_unit_id = recipient, intake
    f.facts.head_id = head_id or f.facts.head_id
    f.facts.opened_on = day
    f.facts.case_started_on = attribution[3] if attribution is not None else day
    _open(f.facts, DeadlineName.INTAKE, intake_due, None, intake)
    f.items.append((day, m.OPENED, 1))


def _supplement_requested(f: Folding, body: Mapping[str, Any], day: str) -> None:
    due, user, unit = _date(body["due"]), body["responsible_user_id"], body["responsible_unit_id"]
    _close(f, DeadlineName.INTAKE, day)
    _open(f.facts, DeadlineName.SUPPLEMENT, due, user, unit)
    f.facts.supplement_requested_on = day
    f.items.append((day, m.SUPPLEMENT_REQUESTED, 1))


def _supplement_provided(f: Folding, body: Mapping[str, Any], day: str) -> None:
    intake_due = _date(body["intake_due"])
    _close(f, DeadlineName.SUPPLEMENT, day, _optional_date(body.get("supplemented_on")))
    _open(f.facts, DeadlineName.INTAKE, intake_due, None, f.facts.intake_unit_id or None)
    _step(f, "supplement_answer", f.facts.supplement_requested_on, day)
    f.items.append((day, m.SUPPLEMENT_PROVIDED, 1))


def _plan_received(f: Folding, body: Mapping[str, Any], day: str) -> None:
    due, head_id = _date(body["approval_due"]), str(body["head_id"])
    received_on = _optional_date(body.get("received_on")) or day
    recipient = body.get("recipient_unit_id") or f.facts.recipient_unit_id
    _close(f, DeadlineName.INTAKE, day)
    f.facts.head_id = head_id
    _open(f.facts, DeadlineName.APPROVAL, due, head_id, recipient)
    f.facts.received_on = received_on
    _step(f, "intake", f.facts.case_started_on, day)
    f.items.append((day, m.RECEIVED, 1))


def _consultation_requested(f: Folding, body: Mapping[str, Any], day: str) -> None:
    due = _date(body["due"])
    _open(
        f.facts, DeadlineName.CONSULTATION, due, f.facts.head_id, f.facts.recipient_unit_id or None
    )
    f.items.append((day, m.CONSULTATION_REQUESTED, 1))


def _consultation_closed(f: Folding, body: Mapping[str, Any], day: str) -> None:
    _close(f, DeadlineName.CONSULTATION, day)


def _decided(f: Folding, decision: str, metric: str, day: str, legal: str | None = None) -> None:
    """The head's decision, dated by its legal date (signed or voted) when the event has one."""
    decided_on = legal or day
    f.facts.decision, f.facts.decided_on = decision, decided_on
    _step(f, "review", f.facts.received_on, decided_on)
    f.items.append((day, metric, 1))


def _approval_meeting_held(f: Folding, body: Mapping[str, Any], day: str) -> None:
    passed = body["vote"]["outcome"] == "PASSED"
    held_on = _optional_date(body["vote"].get("held_on")) or day
    decided_on = _optional_date(body.get("decision_signed_on")) or held_on
    if passed or body.get("held_in_time") is not None:
        # Art 8 §1 is met by holding the meeting, whatever its outcome (older events: passing).
        _close(f, DeadlineName.APPROVAL, day, held_on)
    if passed:
        _decided(f, "APPROVED", m.APPROVED_VOTE, day, decided_on)
    else:
        f.items.append((day, m.COLLECTIVE_REJECTED, 1))


def _approved_by_override(f: Folding, body: Mapping[str, Any], day: str) -> None:
    signed_on = _optional_date(body.get("signed_on"))
    _close(f, DeadlineName.APPROVAL, day, signed_on)
    _decided(f, "APPROVED_BY_OVERRIDE", m.APPROVED_OVERRIDE, day, signed_on)


def _proposal_rejected(f: Folding, body: Mapping[str, Any], day: str) -> None:
    signed_on = _optional_date(body.get("signed_on"))
    _close_all(f, day, signed_on)
    _decided(f, "REJECTED", m.REJECTED, day, signed_on)


def _resources_allocated(f: Folding, body: Mapping[str, Any], day: str) -> None:
    funding = body.get("funding_vnd")
    amount = 0 if funding is None else int(Decimal(str(funding)))
    if not 0 <= amount <= MAX_VND:
        # An amount no command can give (issue #11): refused here, so the projection
        # dead-letters this one event instead of failing on every save.
        raise ValueError(f"funding_vnd {str(funding)[:40]} is outside 0..{MAX_VND}")
    if amount:
        f.items.append((day, m.FUNDING_VND, amount))


def _implementation_started(f: Folding, body: Mapping[str, Any], day: str) -> None:
    f.facts.implementation_started_on = _date(body["start_date"])
    f.items.append((day, m.IMPLEMENTATION_STARTED, 1))


def _progress_reported(f: Folding, body: Mapping[str, Any], day: str) -> None:
    risk = bool(body.get("risk_of_damage"))
    f.items.append((day, m.PROGRESS_REPORTED, 1))
    if risk:
        f.items.append((day, m.RISK_OF_DAMAGE, 1))


def _suspended(f: Folding, body: Mapping[str, Any], day: str) -> None:
    f.facts.suspensions += 1
    f.items.append((day, m.SUSPENDED, 1))


def _resumed(f: Folding, body: Mapping[str, Any], day: str) -> None:
    f.items.append((day, m.RESUMED, 1))


def _stopped(f: Folding, body: Mapping[str, Any], day: str) -> None:
    f.facts.stops += 1
    f.items.append((day, m.STOPPED, 1))


def _completion_reported(f: Folding, body: Mapping[str, Any], day: str) -> None:
    completed_on, reported_on = _date(body["completed_on"]), _date(body["reported_on"])
    late, after_stop = bool(body["late"]), bool(body["after_stop"])
    damage = bool(body["damage"]["occurred"])
    evaluation_due = _date(body["evaluation_due"])
    f.facts.completed_on, f.facts.completion_reported_on = completed_on, reported_on
    _open(
        f.facts,
        DeadlineName.EVALUATION,
        evaluation_due,
        f.facts.head_id,
        f.facts.recipient_unit_id or None,
    )
    _step(f, "implementation", f.facts.implementation_started_on, completed_on)
    _step(f, "report", completed_on, reported_on)
    f.items.append((day, m.COMPLETION_REPORTED, 1))
    if late:
        f.items.append((day, m.COMPLETION_REPORT_LATE, 1))
    if after_stop:
        f.items.append((day, m.COMPLETION_AFTER_STOP, 1))
    if damage:
        f.items.append((day, m.DAMAGE_REPORTED, 1))


def _evaluation_meeting_held(f: Folding, body: Mapping[str, Any], day: str) -> None:
    passed = body["vote"]["outcome"] == "PASSED"
    held_on = _optional_date(body["vote"].get("held_on")) or day
    conclusion_due = _date(body["conclusion_due"])
    if body.get("held_in_time") is not None:
        # Holding the meeting meets Art 9 §2 whatever the vote (older events: passing only).
        _close(f, DeadlineName.EVALUATION, day, held_on)
    if not passed:
        f.items.append((day, m.EVALUATION_VOTE_FAILED, 1))
        return
    _close(f, DeadlineName.EVALUATION, day, held_on)
    _open(
        f.facts,
        DeadlineName.CONCLUSION,
        conclusion_due,
        f.facts.head_id,
        f.facts.recipient_unit_id or None,
    )
    f.facts.evaluated_on = held_on
    _step(f, "evaluation", f.facts.completion_reported_on, held_on)
    f.items.append((day, m.EVALUATED, 1))


def _evaluation_concluded(f: Folding, body: Mapping[str, Any], day: str) -> None:
    outcome = str(body["outcome"])
    damage, good_faith = bool(body["caused_damage"]), bool(body["good_faith_finding"])
    late = bool(body.get("issued_late"))
    issued_on = _optional_date(body.get("issued_on")) or day
    _close(f, DeadlineName.CONCLUSION, day, issued_on)
    f.facts.outcome, f.facts.caused_damage, f.facts.concluded_on = outcome, damage, issued_on
    _step(f, "conclusion", f.facts.evaluated_on, issued_on)
    _step(f, "total", f.facts.case_started_on, issued_on)
    f.items.append((day, m.OUTCOME + outcome, 1))
    if damage:
        f.items.append((day, m.OUTCOME_CAUSED_DAMAGE, 1))
    if good_faith and outcome != "COMPLETED":
        f.items.append((day, m.GOOD_FAITH, 1))
    if late:
        f.items.append((day, m.CONCLUSION_LATE, 1))


def _result_recognized(f: Folding, body: Mapping[str, Any], day: str) -> None:
    f.facts.recognized = True
    f.items.append((day, m.RECOGNIZED, 1))


def _encouragement_granted(f: Folding, body: Mapping[str, Any], day: str) -> None:
    form, kind = str(body["form"]), str(body["beneficiary"]["kind"])
    f.facts.encouragements = [*f.facts.encouragements, form]
    f.items.append((day, m.ENCOURAGEMENT + form, 1))
    f.items.append((day, m.BENEFICIARY + kind, 1))


def _protection_determined(f: Folding, body: Mapping[str, Any], day: str) -> None:
    tier = str(body["tier"])
    f.facts.tier = tier
    f.items.append((day, m.PROTECTION + tier, 1))


def _prohibited_act_reported(f: Folding, body: Mapping[str, Any], day: str) -> None:
    f.items.append((day, m.PROHIBITED_ACT + str(body["act"]), 1))


def _prohibited_act_finding(f: Folding, body: Mapping[str, Any], day: str) -> None:
    substantiated, revoked = bool(body["substantiated"]), bool(body["protection_revoked"])
    if substantiated:
        f.items.append((day, m.PROHIBITED_ACT_SUBSTANTIATED, 1))
    if revoked:
        f.facts.tier = "NONE"
        f.items.append((day, m.PROTECTION_REVOKED, 1))


def _deadline_approaching(f: Folding, body: Mapping[str, Any], day: str) -> None:
    name = str(body["deadline"])
    deadline = f.facts.deadlines.get(name)
    if deadline is not None:
        deadline[NOTED] = True
    f.items.append((day, m.DEADLINE_WARNING + name, 1))


def _deadline_breached(f: Folding, body: Mapping[str, Any], day: str) -> None:
    """Quá hạn: who answers for it, escalated to whom — counted for the late unit too."""
    name, due = str(body["deadline"]), _date(body["due"])
    user, unit = body.get("responsible_user_id"), body.get("responsible_unit_id")
    escalation = body.get("escalated_to")
    target = None if escalation is None else str(escalation["target"])
    escalated = None if escalation is None else {"target": target, "unit_id": escalation["unit_id"]}
    basis = body.get("legal_basis")
    if name not in f.facts.deadlines:  # the opening event was not received: keep the breach anyway
        _open(f.facts, name, due, user, unit)
    deadline = f.facts.deadlines[name]
    deadline[DUE] = due
    deadline[USER] = None if user is None else str(user)
    deadline[UNIT] = None if unit is None else str(unit)
    deadline[BREACHED_ON], deadline[ESCALATED_TO] = day, escalated
    deadline[BASIS] = basis
    f.items.append((day, m.BREACH + name, 1))
    if target is not None:
        f.items.append((day, m.ESCALATED + target, 1))
    late_unit = str(unit or f.facts.recipient_unit_id or "?")
    f.lateness.append((day, late_unit, m.BREACH + name, 1))
    if user:
        f.lateness.append((day, late_unit, f"{m.LATE_BY}{user}", 1))


def _case_closed(f: Folding, body: Mapping[str, Any], day: str) -> None:
    f.items.append((day, m.CLOSED, 1))


_CASE_HANDLERS: dict[str, CaseHandler] = {
    "opened": _opened,
    "supplement-requested": _supplement_requested,
    "supplement-provided": _supplement_provided,
    "plan-received": _plan_received,
    "consultation-requested": _consultation_requested,
    "consultation-closed": _consultation_closed,
    "approval-meeting-held": _approval_meeting_held,
    "approved-by-override": _approved_by_override,
    "proposal-rejected": _proposal_rejected,
    "resources-allocated": _resources_allocated,
    "implementation-started": _implementation_started,
    "progress-reported": _progress_reported,
    "implementation-suspended": _suspended,
    "implementation-resumed": _resumed,
    "implementation-stopped": _stopped,
    "completion-reported": _completion_reported,
    "evaluation-meeting-held": _evaluation_meeting_held,
    "evaluation-concluded": _evaluation_concluded,
    "result-recognized": _result_recognized,
    "encouragement-granted": _encouragement_granted,
    "protection-determined": _protection_determined,
    "prohibited-act-reported": _prohibited_act_reported,
    "prohibited-act-finding-recorded": _prohibited_act_finding,
    "deadline-approaching": _deadline_approaching,
    "deadline-breached": _deadline_breached,
    "case-closed": _case_closed,
}
"""`d73.case.<name>.v1` → what it does to the f.facts. Events not listed change only the state."""

_KINDS: dict[str, tuple[bool, CaseHandler | None]] = {}
"""Event type → (is a case event, its handler): resolved once per type."""


def _kind_of(event_type: str) -> tuple[bool, CaseHandler | None]:
    if not event_type.startswith(CASE_PREFIX):
        return False, None
    name = event_type[len(CASE_PREFIX) : event_type.rindex(".")]
    return True, _CASE_HANDLERS.get(name)
