"""Approval: the competent authority's case file (hồ sơ) on each submitted proposal.

Each command loads one Case, calls one domain method and commits; the outbox relay publishes
every Case event. Due dates are computed here, never in the domain: in Vietnam's time zone,
in working days, by the rule-set version the case opened under (`case_rules.CaseRules`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from services.approval.case_rules import CaseRules
from services.approval.domain.case import Case
from services.approval.domain.deadlines import DeadlineName as Clock
from services.approval.domain.errors import DomainError
from services.approval.domain.states import CaseState
from services.approval.inbox import InboxItem, capacities_of
from services.approval.read_models import CaseParties, OpenDeadlines
from shared.calendar import local_date
from shared.consumer import Rejected
from shared.contracts import IntegrationEvent
from shared.contracts.registration import (
    ProposalSubmitted,
    ProposalSupplemented,
    ProposalWithdrawn,
)
from shared.directory import DirectoryLookupError, OrganisationDirectory
from shared.eventstore import ServiceApplication
from shared.identity import Actor, Role
from shared.outbox import event_id
from shared.rulesets import DEFAULT_JURISDICTION, rule_set_in_force

SERVICE = "approval"
SYSTEM = Actor(user_id="system", name="D73", unit_id="", position="", roles=frozenset({"system"}))
"""The application itself, acting on an upstream event or a scheduler tick.

No token can carry the `system` role: the verifier accepts only the roles of `Role`."""

SUPPLEMENT_REQUESTED: type = getattr(Case, "SupplementRequested")  # noqa: B009 — made by @event
TITLE = "title"


class CaseNotFound(Exception):
    """No such case."""


class NotPartyToCase(Exception):
    """Only the parties to a case, Home Affairs, auditors and admins read it."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def domain_actor(actor: Actor) -> dict[str, Any]:
    """The identity of a token as the domain's authority rules read it."""
    return {
        "user_id": actor.user_id,
        "name": actor.name,
        "unit_id": actor.unit_id,
        "roles": sorted(actor.roles),
    }


@dataclass(frozen=True)
class DeadlineNotice:
    """What the scheduler recorded on one case for one clock."""

    case_id: UUID
    deadline: Clock
    kind: str  # "approaching" | "breached"
    escalated_to: dict[str, str] | None = None


class ApprovalApplication(ServiceApplication):
    name = SERVICE

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        directory: OrganisationDirectory,
        jurisdiction: str = DEFAULT_JURISDICTION,
        rule_sets_dir: Path | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(env)
        self.directory = directory
        self.jurisdiction = jurisdiction
        self.rule_sets_dir = rule_sets_dir
        self.clock = clock
        self._rules: dict[str, CaseRules] = {}
        self.open_deadlines = OpenDeadlines(self, self.rules_of)
        self.parties = CaseParties(self)

    # ------------------------------------------------------------------ upstream events

    def on_submitted(self, event: IntegrationEvent, tracking: Tracking) -> None:
        """Registration's `submitted` opens the case; a repeat of it only records the position."""
        assert isinstance(event, ProposalSubmitted)
        if self._exists(Case.create_id(event.proposal_id)):
            self.record(tracking=tracking)
            return
        submitted_on = local_date(event.submitted_at)
        in_force = rule_set_in_force(self.jurisdiction, submitted_on, extra_dir=self.rule_sets_dir)
        rules = self.rules_of(in_force.version)
        recipient = event.routing.recipient_unit_id
        intake = event.routing.intake_unit_id
        directory = self.directory_of(event.routing.directory_version, submitted_on)
        head = directory.head_of(recipient)
        case = Case.open(
            proposal_id=event.proposal_id,
            proposer=event.proposer.model_dump(),
            title=event.title,
            protection_eligible=event.protection_eligible,
            routing=event.routing.model_dump(),
            authority={
                "head_id": head.person_id,
                "deputy_ids": [m.person_id for m in directory.deputies_of(recipient)],
                "delegate_ids": directory.intake_delegates(recipient, intake, submitted_on),
            },
            plan=event.plan,
            submitted_at=event.submitted_at,
            opened_at=max(self.clock(), event.submitted_at),
            rule_set_version=rules.version,
            intake_due=rules.due(Clock.INTAKE, submitted_on),
        )
        self.record(case, tracking=tracking)

    def on_supplemented(self, event: IntegrationEvent, tracking: Tracking) -> None:
        """The proposer's answer to the open supplement request; the intake clock restarts."""
        assert isinstance(event, ProposalSupplemented)
        case_id = Case.create_id(event.proposal_id)
        try:
            case = self._get(case_id)
            open_request = self.open_supplement_request_id(case)
            if open_request is None or event.request_id != str(open_request):
                raise Rejected(
                    f"supplement {event.request_id!r} answers no open request of case {case_id} "
                    f"(state {case.state}, open request {open_request})"
                )
            self.provide_supplement(
                self._upstream_actor(event),
                case_id,
                changed_fields=event.changed_fields or sorted(event.changes),
                attachments=[a.sha256 for a in event.attachments_added]
                or _added_attachments(case.plan, event.changes),
                plan=_applied(case.plan, event.changes),
                supplemented_at=event.occurred_at,
                tracking=tracking,
            )
        except (DomainError, CaseNotFound) as refusal:
            raise Rejected(f"supplement refused: {type(refusal).__name__}: {refusal}") from None

    def on_withdrawn(self, event: IntegrationEvent, tracking: Tracking) -> None:
        """Rút đề xuất — refused by the domain once the head has decided."""
        assert isinstance(event, ProposalWithdrawn)
        try:
            self.withdraw(
                self._upstream_actor(event),
                Case.create_id(event.proposal_id),
                reason=event.reason,
                withdrawn_at=event.occurred_at,
                tracking=tracking,
            )
        except (DomainError, CaseNotFound) as refusal:
            raise Rejected(f"withdrawal refused: {type(refusal).__name__}: {refusal}") from None

    # ------------------------------------------------------------------ intake

    def request_supplement(
        self, actor: Actor, case_id: UUID, *, items: Sequence[str], reason: str
    ) -> Case:
        case, at, today = self._load(case_id)
        due = self.rules_for(case).due(Clock.SUPPLEMENT, today)
        case.request_supplement(domain_actor(actor), at, items=items, reason=reason, due=due)
        return self._commit(case)

    def provide_supplement(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        changed_fields: Sequence[str],
        attachments: Sequence[str] = (),
        plan: Mapping[str, Any] | None = None,
        supplemented_at: datetime | None = None,
        tracking: Tracking | None = None,
    ) -> Case:
        """The intake clock restarts from the day the proposer supplemented."""
        case, at, today = self._load(case_id, since=supplemented_at)
        start = local_date(supplemented_at) if supplemented_at is not None else today
        case.provide_supplement(
            domain_actor(actor),
            at,
            changed_fields=changed_fields,
            attachments=attachments,
            plan=plan,
            intake_due=self.rules_for(case).due(Clock.INTAKE, start),
            supplemented_on=start,
        )
        return self._commit(case, tracking)

    def receive_plan(self, actor: Actor, case_id: UUID) -> Case:
        """Tiếp nhận: the Art 8 §1 clock runs 7 working days from the day the authority held
        the complete plan (submission, or the supplement that completed it), not from today."""
        case, at, _ = self._load(case_id)
        due = self.rules_for(case).due(Clock.APPROVAL, case.plan_complete_on)
        case.receive_plan(domain_actor(actor), at, approval_due=due)
        return self._commit(case)

    # ------------------------------------------------------------------ review

    def request_consultation(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        consultees: Sequence[Mapping[str, str]],
        questions: str,
    ) -> Case:
        """Art 8 §2; whether the Art 8 §1 clock pauses meanwhile is the rule set's
        `consultation.pauses_approval_clock` (default: it pauses)."""
        case, at, today = self._load(case_id)
        rules = self.rules_for(case)
        due = rules.due(Clock.CONSULTATION, today)
        approval = case.open_deadlines().get(Clock.APPROVAL)
        days_left = None if approval is None else rules.approval_pause(today, approval.due)
        case.request_consultation(
            domain_actor(actor),
            at,
            consultees=consultees,
            questions=questions,
            due=due,
            approval_days_left=days_left,
        )
        return self._commit(case)

    def receive_consultation_opinion(
        self, actor: Actor, case_id: UUID, *, consultee_id: str, opinion: str, doc_ref: str
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.receive_consultation_opinion(
            domain_actor(actor), at, consultee_id=consultee_id, opinion=opinion, doc_ref=doc_ref
        )
        return self._commit(case)

    def close_consultation(self, actor: Actor, case_id: UUID, *, summary: str = "") -> Case:
        """A paused Art 8 §1 clock runs again from today with the working days it had left."""
        case, at, today = self._load(case_id)
        paused = case.paused_approval
        approval_due = (
            None
            if paused is None
            else self.rules_for(case).approval_resumed(today, paused["remaining_working_days"])
        )
        case.close_consultation(domain_actor(actor), at, summary=summary, approval_due=approval_due)
        return self._commit(case)

    def request_party_opinion(
        self, actor: Actor, case_id: UUID, *, stage: str, committee_id: str
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.request_party_opinion(domain_actor(actor), at, stage=stage, committee_id=committee_id)
        return self._commit(case)

    def receive_party_opinion(
        self, actor: Actor, case_id: UUID, *, stage: str, opinion: str, doc_ref: str
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.receive_party_opinion(
            domain_actor(actor), at, stage=stage, opinion=opinion, doc_ref=doc_ref
        )
        return self._commit(case)

    # ------------------------------------------------------------------ decision

    def hold_approval_meeting(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        held_on: date,
        ballots: Sequence[Mapping[str, str]],
        minutes_ref: str,
        implementer_ids: Sequence[str] | None = None,
        decision_ref: str = "",
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.hold_approval_meeting(
            domain_actor(actor),
            at,
            held_on=held_on,
            ballots=ballots,
            minutes_ref=minutes_ref,
            implementers=self._implementers(case, implementer_ids),
            decision_ref=decision_ref,
            abstention=self.rules_for(case).abstention,
        )
        return self._commit(case)

    def override_collective_rejection(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        justification: str,
        decision_ref: str,
        implementer_ids: Sequence[str] | None = None,
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.override_collective_rejection(
            domain_actor(actor),
            at,
            justification=justification,
            decision_ref=decision_ref,
            implementers=self._implementers(case, implementer_ids),
        )
        return self._commit(case)

    def confirm_rejection(
        self, actor: Actor, case_id: UUID, *, reasons: Sequence[str], decision_ref: str
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.confirm_rejection(domain_actor(actor), at, reasons=reasons, decision_ref=decision_ref)
        return self._commit(case)

    def withdraw(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        reason: str = "",
        withdrawn_at: datetime | None = None,
        tracking: Tracking | None = None,
    ) -> Case:
        case, at, _ = self._load(case_id, since=withdrawn_at)
        case.withdraw(domain_actor(actor), at, reason=reason)
        return self._commit(case, tracking)

    # ------------------------------------------------------------------ implementation

    def allocate_resources(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        source_ref: str,
        equipment: Sequence[str] = (),
        staff: Sequence[str] = (),
        funding_vnd: Decimal | None = None,
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.allocate_resources(
            domain_actor(actor),
            at,
            source_ref=source_ref,
            equipment=equipment,
            staff=staff,
            funding_vnd=funding_vnd,
        )
        return self._commit(case)

    def start_implementation(self, actor: Actor, case_id: UUID, *, start_date: date) -> Case:
        case, at, _ = self._load(case_id)
        case.start_implementation(domain_actor(actor), at, start_date=start_date)
        return self._commit(case)

    def report_progress(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        period: str,
        progress_percent: int,
        issues: str = "",
        risk_of_damage: bool = False,
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.report_progress(
            domain_actor(actor),
            at,
            period=period,
            progress_percent=progress_percent,
            issues=issues,
            risk_of_damage=risk_of_damage,
        )
        return self._commit(case)

    def suspend(
        self, actor: Actor, case_id: UUID, *, decision_ref: str, reasons: Sequence[str]
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.suspend(domain_actor(actor), at, decision_ref=decision_ref, reasons=reasons)
        return self._commit(case)

    def resume(
        self, actor: Actor, case_id: UUID, *, decision_ref: str, conditions: Sequence[str] = ()
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.resume(domain_actor(actor), at, decision_ref=decision_ref, conditions=conditions)
        return self._commit(case)

    def stop(
        self, actor: Actor, case_id: UUID, *, decision_ref: str, reasons: Sequence[str]
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.stop(domain_actor(actor), at, decision_ref=decision_ref, reasons=reasons)
        return self._commit(case)

    def report_completion(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        completed_on: date,
        results_vs_targets: Sequence[Mapping[str, Any]],
        resources_used: Mapping[str, Any],
        damage: Mapping[str, Any],
    ) -> Case:
        """Due 5 working days after completion (Art 9 §1), or after the stop decision.

        The evaluation meeting's clock (7 working days, Art 9 §2) starts today, the day the
        report is received.
        """
        case, at, today = self._load(case_id)
        rules = self.rules_for(case)
        stop_day = _last_stop_day(case)
        if stop_day is not None and case.state is CaseState.STOPPED:
            # Counted from the stop decision; never before the day the partial work ended.
            report_due = max(rules.report_due(stop_day, after_stop=True), completed_on)
        else:
            report_due = rules.report_due(completed_on, after_stop=False)
        case.report_completion(
            domain_actor(actor),
            at,
            completed_on=completed_on,
            results_vs_targets=results_vs_targets,
            resources_used=resources_used,
            damage=damage,
            report_due=report_due,
            evaluation_due=rules.due(Clock.EVALUATION, today),
        )
        return self._commit(case)

    # ------------------------------------------------------------------ evaluation

    def hold_evaluation_meeting(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        held_on: date,
        ballots: Sequence[Mapping[str, str]],
        minutes_ref: str,
        assessed_outcome: str,
    ) -> Case:
        """The written conclusion is due 3 working days after the meeting's legal date.

        A meeting entered late keeps that due date, even if it has already passed: the
        conclusion is then late, and the scheduler records it.
        """
        case, at, today = self._load(case_id)
        conclusion_due = today
        if isinstance(held_on, date):
            # From the meeting's legal date: entering the meeting late never moves it.
            conclusion_due = self.rules_for(case).due(Clock.CONCLUSION, held_on)
        case.hold_evaluation_meeting(
            domain_actor(actor),
            at,
            held_on=held_on,
            ballots=ballots,
            minutes_ref=minutes_ref,
            assessed_outcome=assessed_outcome,
            conclusion_due=conclusion_due,
            abstention=self.rules_for(case).abstention,
        )
        return self._commit(case)

    def issue_conclusion(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        outcome: str,
        caused_damage: bool,
        good_faith_finding: bool,
        causes_objective: Sequence[str],
        causes_subjective: Sequence[str],
        conclusion_ref: str,
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.issue_conclusion(
            domain_actor(actor),
            at,
            outcome=outcome,
            caused_damage=caused_damage,
            good_faith_finding=good_faith_finding,
            causes_objective=causes_objective,
            causes_subjective=causes_subjective,
            conclusion_ref=conclusion_ref,
        )
        return self._commit(case)

    def recognize_result(self, actor: Actor, case_id: UUID, *, publication_ref: str = "") -> Case:
        case, at, _ = self._load(case_id)
        case.recognize_result(domain_actor(actor), at, publication_ref=publication_ref)
        return self._commit(case)

    def grant_encouragement(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        form: str,
        beneficiary: Mapping[str, str],
        decision_ref: str,
        description: str = "",
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.grant_encouragement(
            domain_actor(actor),
            at,
            form=form,
            beneficiary=beneficiary,
            decision_ref=decision_ref,
            description=description,
        )
        return self._commit(case)

    def determine_protection(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        art5_conditions_met: bool,
        implemented_as_decided: bool,
        directions_followed: bool,
        decision_ref: str,
        referred_to: str = "",
        official_id: str | None = None,
    ) -> Case:
        """The proposer's determination, or (`official_id`) an implementer's own (Art 11)."""
        case, at, _ = self._load(case_id)
        case.determine_protection(
            domain_actor(actor),
            at,
            art5_conditions_met=art5_conditions_met,
            implemented_as_decided=implemented_as_decided,
            directions_followed=directions_followed,
            decision_ref=decision_ref,
            referred_to=referred_to,
            official_id=official_id,
        )
        return self._commit(case)

    # ------------------------------------------------------------------ Art 6

    def report_prohibited_act(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        act: str,
        accused: Mapping[str, str],
        description: str,
        evidence_refs: Sequence[str] = (),
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.report_prohibited_act(
            domain_actor(actor),
            at,
            act=act,
            accused=accused,
            description=description,
            evidence_refs=evidence_refs,
        )
        return self._commit(case)

    def record_prohibited_act_finding(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        report_number: int,
        substantiated: bool,
        finding_ref: str,
        notes: str = "",
    ) -> Case:
        case, at, _ = self._load(case_id)
        case.record_prohibited_act_finding(
            domain_actor(actor),
            at,
            report_number=report_number,
            substantiated=substantiated,
            finding_ref=finding_ref,
            notes=notes,
        )
        return self._commit(case)

    # ------------------------------------------------------------------ deadlines

    def note_deadline_approaching(self, actor: Actor, case_id: UUID, *, deadline: str) -> Case:
        """Sở Nội vụ may remind by hand; the scheduler does it on its own."""
        case, at, _ = self._load(case_id)
        case.note_deadline_approaching(domain_actor(actor), at, deadline=deadline)
        return self._commit(case)

    def record_deadline_breach(
        self,
        actor: Actor,
        case_id: UUID,
        *,
        deadline: str,
        escalate_to: Mapping[str, str] | None = None,
    ) -> Case:
        """An overdue approval goes where the case's rule set says, unless told otherwise."""
        case, at, _ = self._load(case_id)
        if escalate_to is None and deadline == Clock.APPROVAL.value:
            escalate_to = self.escalation_for(case)
        case.record_deadline_breach(
            domain_actor(actor), at, deadline=deadline, escalate_to=escalate_to
        )
        return self._commit(case)

    def attend_to_deadlines(self, case_id: UUID) -> list[DeadlineNotice]:
        """The scheduler's round on one case: note reminders due and record breaches, once."""
        case, at, today = self._load(case_id)
        rules = self.rules_for(case)
        system = domain_actor(SYSTEM)
        notices: list[DeadlineNotice] = []
        for name, clock in sorted(case.open_deadlines().items()):
            if clock.breached:
                continue
            if clock.is_overdue(at):
                escalation = self.escalation_for(case) if name is Clock.APPROVAL else None
                if case.record_deadline_breach(system, at, deadline=name, escalate_to=escalation):
                    notices.append(DeadlineNotice(case.id, name, "breached", escalation))
            elif (
                not clock.approaching_noted
                and today >= rules.warning_date(clock.due)
                and case.note_deadline_approaching(system, at, deadline=name)
            ):
                notices.append(DeadlineNotice(case.id, name, "approaching"))
        if notices:
            self.record(case)
        return notices

    def escalation_for(self, case: Case) -> dict[str, str]:
        routing = case.routing
        directory = self.directory_of(
            routing.get("directory_version"), local_date(case.submitted_at)
        )
        return self.rules_for(case).escalation(
            routing["target"], routing["recipient_unit_id"], directory
        )

    def directory_of(self, version: str | None, submitted_on: date) -> OrganisationDirectory:
        """The directory version the case was routed with (its authority stays as routed after
        a reorganisation); the one in force on the submission day if the event names none."""
        if version:
            try:
                return self.directory.version_named(version)
            except DirectoryLookupError:
                pass
        return self.directory.in_force(submitted_on)

    # ------------------------------------------------------------------ closing

    def close_case(self, actor: Actor, case_id: UUID, *, summary: str = "") -> Case:
        """Lưu trữ (`close` is the store's own: it shuts the application down)."""
        case, at, _ = self._load(case_id)
        case.close(domain_actor(actor), at, summary=summary)
        return self._commit(case)

    # ------------------------------------------------------------------ queries

    def case_for(self, actor: Actor, case_id: UUID) -> Case:
        case = self._get(case_id)
        authority = case.competent_authority
        party = {
            case.proposer["user_id"],
            *authority.collective,
            *authority.delegate_ids,
            *authority.implementer_ids,
        }
        if actor.user_id not in party and not actor.has_role(
            Role.HOME_AFFAIRS, Role.AUDITOR, Role.ADMIN
        ):
            raise NotPartyToCase(f"{actor.user_id} is not a party to case {case_id}")
        return case

    def case_of_proposal(self, actor: Actor, proposal_id: UUID) -> Case:
        return self.case_for(actor, Case.create_id(proposal_id))

    def inbox(self, actor: Actor) -> list[InboxItem]:
        """The open cases waiting for `actor`, oldest due date first (none last).

        Sở Nội vụ (role `home_affairs`) also sees every case with a clock past its due date.
        """
        today = local_date(self.clock())
        home_affairs = actor.has_role(Role.HOME_AFFAIRS)
        rows = self.parties.cases_of(actor.user_id)
        overdue = self.open_deadlines.overdue(today)
        if home_affairs:
            rows |= self.parties.cases_by_id(set(overdue) - set(rows))
        clocks_of = self.open_deadlines.of_cases(rows)
        items = []
        for case_id, row in rows.items():
            capacities = capacities_of(actor.user_id, row)
            if home_affairs and case_id in overdue:
                capacities = (*capacities, "HOME_AFFAIRS")
            if not capacities:
                continue
            clocks = clocks_of[case_id]
            items.append(
                InboxItem(
                    case_id=case_id,
                    proposal_id=UUID(row["proposal_id"]),
                    title=row["title"],
                    state=CaseState(row["state"]),
                    capacities=capacities,
                    next_due=clocks[0] if clocks else None,
                    overdue=case_id in overdue,
                    opened_at_position=row["opened_at_position"],
                )
            )
        return sorted(items, key=InboxItem.sort_key)

    def open_supplement_request_id(self, case: Case) -> UUID | None:
        """The event id of the supplement request the proposer must answer, if one is open."""
        if case.state is not CaseState.NEEDS_SUPPLEMENT:
            return None
        for stored in self.repository.event_store.get(case.id, desc=True):
            if isinstance(stored, SUPPLEMENT_REQUESTED):
                return event_id(SERVICE, stored)
        return None

    def rules_of(self, version: str) -> CaseRules:
        """One rule-set version of this service's jurisdiction (cached)."""
        if version not in self._rules:
            self._rules[version] = CaseRules.of(self.jurisdiction, version, self.rule_sets_dir)
        return self._rules[version]

    def rules_for(self, case: Case) -> CaseRules:
        return self.rules_of(case.rule_set_version)

    # ------------------------------------------------------------------ internals

    def _load(self, case_id: UUID, since: datetime | None = None) -> tuple[Case, datetime, date]:
        """The case, the instant of the command (never before `since`) and its date in Vietnam."""
        now = self.clock()
        at = now if since is None else max(now, since)
        return self._get(case_id), at, local_date(at)

    def _commit(self, case: Case, tracking: Tracking | None = None) -> Case:
        self.record(case, tracking=tracking)
        return case

    def _upstream_actor(self, event: IntegrationEvent) -> Actor:
        """The proposer who acted in registration, as registration's event names them."""
        if event.actor is None:
            return SYSTEM
        return Actor(
            user_id=event.actor.user_id,
            name=event.actor.name,
            unit_id=event.actor.unit_id,
            position=event.actor.position,
            roles=frozenset(event.actor.roles),
        )

    def _implementers(
        self, case: Case, implementer_ids: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        """The implementers named by id, each placed in the directory in force: whether they are
        within Art 2 decides their own encouragement and protection (Art 10, Art 11).

        The proposer is as registration placed them; someone the directory does not hold is
        recorded as not shown to be within Art 2.
        """
        proposer = case.proposer
        directory = self.directory_of(
            case.routing.get("directory_version"), local_date(case.submitted_at)
        )
        placed = {member.person_id: (unit, member) for unit, member in directory.members()}
        named = []
        for user_id in [proposer["user_id"]] if implementer_ids is None else implementer_ids:
            if user_id == proposer["user_id"]:
                named.append(
                    {
                        "user_id": user_id,
                        "name": proposer["name"],
                        "unit_id": proposer["unit_id"],
                        "position": proposer["position"],
                        "within_art2": case.protection_eligible,
                    }
                )
                continue
            unit, member = placed.get(user_id, (None, None))
            position = None if member is None else directory.positions.get(member.position)
            named.append(
                {
                    "user_id": user_id,
                    "name": "" if member is None else member.name,
                    "unit_id": "" if unit is None else unit.id,
                    "position": "" if member is None else member.position,
                    "within_art2": bool(position and position.leader_manager),
                }
            )
        return named

    def _exists(self, case_id: UUID) -> bool:
        try:
            self.repository.get(case_id)
        except AggregateNotFoundError:
            return False
        return True

    def _get(self, case_id: UUID) -> Case:
        try:
            case: Case = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id}") from None
        return case


def _last_stop_day(case: Case) -> date | None:
    stops = [d for d in case.directions if d["kind"] == "STOP"]
    return local_date(stops[-1]["decided_at"]) if stops else None


def _applied(plan: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The plan with a supplement's changes: a `None` clears a field (as in registration).

    The title is registration's to keep: the case keeps the title it was opened with.
    """
    merged = dict(plan)
    for name, value in changes.items():
        if name == TITLE:
            continue
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def _attachment_refs(attachments: Any) -> list[str]:
    refs = []
    for item in attachments if isinstance(attachments, list) else []:
        if isinstance(item, Mapping):
            refs.append(str(item.get("sha256") or item.get("name") or ""))
        else:
            refs.append(str(item))
    return [ref for ref in refs if ref]


def _added_attachments(plan: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """Attachments the supplement adds, by content hash (or name when there is no hash)."""
    if "attachments" not in changes:
        return []
    before = set(_attachment_refs(plan.get("attachments")))
    return [ref for ref in _attachment_refs(changes["attachments"]) if ref not in before]
