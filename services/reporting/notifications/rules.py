"""Who must be told of each case event (issue #16 §1), and what waits on whom (the digest).

Plain rules over approval's contracts, free of stores and transports. The audiences:

- the **proposer**: the plan was routed, a supplement is requested, the decision, a direction
  to suspend, resume or stop (Art 9 §1), the evaluation (Art 9 §2), encouragement (Art 10) and
  the protection determined (Art 11);
- the **deciding authority and its office** (the head of the recipient unit, the intake office,
  delegates): a plan arrived, a supplement answered, a consultation or Party-committee opinion
  received, a deadline of theirs approaching (N working days before, N of the rule set) or
  breached;
- on an escalated breach, the **superior agency** named by the event and **Sở Nội vụ**, which
  monitors the programme (Plan 88 III).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.reporting.notifications.kinds import Kind
from shared.contracts import approval as c
from shared.contracts import vocabulary
from shared.contracts.base import IntegrationEvent
from shared.contracts.vocabulary import CaseState, DeadlineName, Party


class Audience(StrEnum):
    PROPOSER = "proposer"
    AUTHORITY = "authority"
    """The head of the recipient unit, the intake office's specialists and the delegates."""
    RESPONSIBLE = "responsible"
    """Whoever the event names as answering for a deadline (or the head of that unit)."""
    ESCALATION = "escalation"
    """The unit a breach was escalated to, and Sở Nội vụ."""
    NAMED = "named"
    """One person the event names (the protected official, the beneficiary)."""


@dataclass(frozen=True)
class Notice:
    kind: Kind
    audience: Audience
    person_id: str = ""
    """For `Audience.NAMED`: who."""


PROPOSER_KINDS: dict[type[IntegrationEvent], Kind] = {
    c.CaseOpened: Kind.ROUTED,
    c.SupplementRequested: Kind.SUPPLEMENT_REQUESTED,
    c.ApprovalMeetingHeld: Kind.DECISION,
    c.ApprovedByOverride: Kind.DECISION,
    c.ProposalRejected: Kind.DECISION,
    c.ImplementationSuspended: Kind.DIRECTION,
    c.ImplementationResumed: Kind.DIRECTION,
    c.ImplementationStopped: Kind.DIRECTION,
    c.EvaluationConcluded: Kind.EVALUATION,
}
AUTHORITY_KINDS: dict[type[IntegrationEvent], Kind] = {
    c.CaseOpened: Kind.PLAN_ARRIVED,
    c.SupplementProvided: Kind.SUPPLEMENT_ANSWERED,
    c.ConsultationOpinionReceived: Kind.OPINION_RECEIVED,
    c.PartyCommitteeOpinionReceived: Kind.OPINION_RECEIVED,
}
PROPOSERS_DEADLINES = frozenset({DeadlineName.SUPPLEMENT})
"""Deadlines the proposer answers for; every other one is the authority's."""


def notices_for(event: IntegrationEvent) -> list[Notice]:
    """Who must be told of `event`, by audience (resolved to people by `recipients`)."""
    notices: list[Notice] = []
    kind = PROPOSER_KINDS.get(type(event))
    if kind is not None:
        notices.append(Notice(kind, Audience.PROPOSER))
    kind = AUTHORITY_KINDS.get(type(event))
    if kind is not None:
        notices.append(Notice(kind, Audience.AUTHORITY))
    if isinstance(event, c.EncouragementGranted):
        notices.append(Notice(Kind.ENCOURAGEMENT, Audience.PROPOSER))
        if event.beneficiary.kind in ("OFFICIAL", "IMPLEMENTER", "HEAD") and event.beneficiary.id:
            notices.append(Notice(Kind.ENCOURAGEMENT, Audience.NAMED, event.beneficiary.id))
    if isinstance(event, c.ProtectionDetermined):
        notices.append(Notice(Kind.PROTECTION, Audience.PROPOSER))
        notices.append(Notice(Kind.PROTECTION, Audience.NAMED, event.official_id))
    if isinstance(event, c.DeadlineApproaching | c.DeadlineBreached):
        kind = (
            Kind.DEADLINE_APPROACHING
            if isinstance(event, c.DeadlineApproaching)
            else Kind.DEADLINE_BREACHED
        )
        if event.deadline in PROPOSERS_DEADLINES:
            notices.append(Notice(kind, Audience.PROPOSER))
        else:
            notices.append(Notice(kind, Audience.RESPONSIBLE))
            notices.append(Notice(kind, Audience.AUTHORITY))
        if isinstance(event, c.DeadlineBreached) and event.escalated_to is not None:
            notices.append(Notice(Kind.ESCALATED, Audience.ESCALATION))
    return notices


DUE_STATES: frozenset[CaseState] = frozenset(
    {
        CaseState.IN_INTAKE,
        CaseState.NEEDS_SUPPLEMENT,
        CaseState.UNDER_REVIEW,
        CaseState.IN_CONSULTATION,
        CaseState.COMPLETION_REPORTED,
        CaseState.EVALUATED,
    }
)
"""The states in which a case waits against a statutory due date (domain.md §8): the digest
lists a case in these, on whoever the case waits on."""
AUTHORITY_PARTIES = frozenset({Party.OFFICE, Party.COLLECTIVE, Party.HEAD})
"""The parties `Audience.AUTHORITY` reaches: the head, the office (intake specialists and
delegates) and the collective the head chairs."""


def audience_of(parties: frozenset[Party]) -> Audience:
    """Who a digest addresses for a case waiting on `parties` (the published table)."""
    if parties == {Party.PROPOSER}:
        return Audience.PROPOSER
    if parties and parties <= AUTHORITY_PARTIES:
        return Audience.AUTHORITY
    raise ValueError(f"no audience of the digest answers for {sorted(parties)}")


def audiences(waiting_on: Mapping[CaseState, frozenset[Party]]) -> dict[CaseState, Audience]:
    """Who the digest addresses for a case in each state of `DUE_STATES`, from who the case
    waits on there."""
    return {state: audience_of(waiting_on[state]) for state in DUE_STATES}


WAITING_ON: dict[CaseState, Audience] = audiences(vocabulary.WAITING_ON)
"""In these states a case waits on someone, against a statutory due date: who, as approval's
transition table says (`shared.contracts.vocabulary.WAITING_ON`)."""
DUE_FIELDS = ("intake_due", "due", "approval_due", "evaluation_due", "conclusion_due")


@dataclass(frozen=True)
class Waiting:
    """What a case waits for after an event: the step (its state), on whom, and by when."""

    state: str
    audience: Audience
    due: date | None


def waiting_after(event: IntegrationEvent, before: Waiting | None) -> Waiting | None:
    """The case's waiting step after `event`: a state that waits on someone keeps the newest
    due date an event gave it; any other state waits on nobody."""
    state = getattr(event, "state", None)
    if not isinstance(state, str) or state not in WAITING_ON:
        return None
    due = next(
        (value for name in DUE_FIELDS if isinstance(value := getattr(event, name, None), date)),
        None,
    )
    if due is None and before is not None and before.state == state:
        due = before.due
    return Waiting(state, WAITING_ON[CaseState(state)], due)
