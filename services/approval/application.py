"""Approval: the competent authority's case file (hồ sơ) on each submitted proposal.

Each command loads one Case, calls one domain method and commits; the outbox relay publishes
every Case event. Due dates are computed here, never in the domain: in Vietnam's time zone,
in working days, by the rule-set version the case opened under (`case_rules.CaseRules`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import JSONTranscoder, Tracking

from services.approval import commands as c
from services.approval.case_rules import CaseRules
from services.approval.commands import CaseCommand
from services.approval.domain.case import Case
from services.approval.domain.case_intake import SupplementRequested
from services.approval.domain.case_values import CASE_TRANSCODINGS
from services.approval.inbox import Capacity, InboxItem, InboxMemo, capacities_of
from services.approval.read_models import CaseParties, OpenDeadlines
from shared.contracts.vocabulary import CaseState
from shared.contracts.vocabulary import DeadlineName as Clock
from shared.kernel.actor import SYSTEM, Actor
from shared.kernel.calendar import local_date
from shared.kernel.directory import DirectoryLookupError, OrganisationDirectory
from shared.kernel.rulesets import DEFAULT_JURISDICTION, rule_set_in_force
from shared.platform.eventstore import ServiceApplication
from shared.platform.identity import Role
from shared.platform.outbox import event_id
from shared.platform.sidetables import SideTables

SERVICE = "approval"


class CaseNotFound(Exception):
    """No such case."""


class NotPartyToCase(Exception):
    """Only the parties to a case, Home Affairs, auditors and admins read it."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeadlineNotice:
    """What the scheduler recorded on one case for one clock."""

    case_id: UUID
    deadline: Clock
    kind: str  # "approaching" | "breached"
    escalated_to: dict[str, str] | None = None


class ApprovalApplication(ServiceApplication):
    name = SERVICE

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in CASE_TRANSCODINGS:
            transcoder.register(transcoding)

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        directory: OrganisationDirectory,
        tables: SideTables,
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
        self.tables = tables
        self.open_deadlines = OpenDeadlines(self, tables, self.rules_of)
        self.parties = CaseParties(self, tables)
        self._inboxes = InboxMemo()

    def close(self) -> None:
        super().close()
        self.tables.close()

    # ------------------------------------------------------------------ opening

    def open_case(
        self,
        *,
        proposal_id: UUID,
        proposer: Mapping[str, Any],
        title: str,
        protection_eligible: bool,
        routing: Mapping[str, Any],
        plan: Mapping[str, Any],
        submitted_at: datetime,
        tracking: Tracking,
    ) -> None:
        """A submitted proposal opens its case (`consumers.on_submitted`); a repeat of the
        submission only records the position."""
        if self._exists(Case.create_id(proposal_id)):
            self.record(tracking=tracking)
            return
        submitted_on = local_date(submitted_at)
        in_force = rule_set_in_force(self.jurisdiction, submitted_on, extra_dir=self.rule_sets_dir)
        rules = self.rules_of(in_force.version)
        # The case's authority is named once, in the version it was routed with, and kept by
        # person id (shared/kernel/directory: CaseAuthority).
        authority = self.directory.routed_version(
            routing["directory_version"], submitted_on
        ).case_authority(routing["recipient_unit_id"], routing["intake_unit_id"], submitted_on)
        case = Case.open(
            proposal_id=proposal_id,
            proposer=proposer,
            title=title,
            protection_eligible=protection_eligible,
            routing=routing,
            authority={
                "head_id": authority.head_id,
                "deputy_ids": list(authority.deputy_ids),
                "delegate_ids": list(authority.delegate_ids),
            },
            plan=plan,
            submitted_at=submitted_at,
            opened_at=max(self.clock(), submitted_at),
            rule_set_version=rules.version,
            intake_due=rules.due(Clock.INTAKE, submitted_on),
        )
        self.record(case, tracking=tracking)

    # ------------------------------------------------------------------ commands

    def handle(self, command: CaseCommand, actor: Actor, tracking: Tracking | None = None) -> Case:
        """The one way a command changes a case: load it, have the command apply itself with
        the instant, the day and the case's rule set, commit (with the upstream position when
        it comes from a message). Domain refusals propagate unchanged."""
        case, at, today = self._load(command.case_id, since=command.since)
        command.apply(case, actor, _Context(self, case, at, today))
        return self._commit(case, tracking)

    # In-process callers (the scheduler's tests, the service tests) name a command by its
    # method; each builds the command object and hands it to `handle`. A new command needs none.

    def request_supplement(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.RequestSupplement(case_id=case_id, **fields), actor)

    def provide_supplement(
        self, actor: Actor, case_id: UUID, *, tracking: Tracking | None = None, **fields: Any
    ) -> Case:
        return self.handle(c.ProvideSupplement(case_id=case_id, **fields), actor, tracking)

    def receive_plan(self, actor: Actor, case_id: UUID) -> Case:
        return self.handle(c.ReceivePlan(case_id=case_id), actor)

    def request_consultation(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.RequestConsultation(case_id=case_id, **fields), actor)

    def receive_consultation_opinion(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.ReceiveConsultationOpinion(case_id=case_id, **fields), actor)

    def close_consultation(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.CloseConsultation(case_id=case_id, **fields), actor)

    def request_party_opinion(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.RequestPartyOpinion(case_id=case_id, **fields), actor)

    def receive_party_opinion(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.ReceivePartyOpinion(case_id=case_id, **fields), actor)

    def hold_approval_meeting(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.HoldApprovalMeeting(case_id=case_id, **fields), actor)

    def override_collective_rejection(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.OverrideCollectiveRejection(case_id=case_id, **fields), actor)

    def confirm_rejection(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.ConfirmRejection(case_id=case_id, **fields), actor)

    def withdraw(
        self, actor: Actor, case_id: UUID, *, tracking: Tracking | None = None, **fields: Any
    ) -> Case:
        return self.handle(c.Withdraw(case_id=case_id, **fields), actor, tracking)

    def allocate_resources(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.AllocateResources(case_id=case_id, **fields), actor)

    def start_implementation(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.StartImplementation(case_id=case_id, **fields), actor)

    def report_progress(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.ReportProgress(case_id=case_id, **fields), actor)

    def suspend(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.Suspend(case_id=case_id, **fields), actor)

    def resume(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.Resume(case_id=case_id, **fields), actor)

    def stop(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.Stop(case_id=case_id, **fields), actor)

    def report_completion(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.ReportCompletion(case_id=case_id, **fields), actor)

    def hold_evaluation_meeting(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.HoldEvaluationMeeting(case_id=case_id, **fields), actor)

    def issue_conclusion(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.IssueConclusion(case_id=case_id, **fields), actor)

    def recognize_result(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.RecognizeResult(case_id=case_id, **fields), actor)

    def grant_encouragement(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.GrantEncouragement(case_id=case_id, **fields), actor)

    def determine_protection(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.DetermineProtection(case_id=case_id, **fields), actor)

    def report_prohibited_act(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.ReportProhibitedAct(case_id=case_id, **fields), actor)

    def record_prohibited_act_finding(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.RecordProhibitedActFinding(case_id=case_id, **fields), actor)

    def note_deadline_approaching(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.NoteDeadlineApproaching(case_id=case_id, **fields), actor)

    def record_deadline_breach(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        return self.handle(c.RecordDeadlineBreach(case_id=case_id, **fields), actor)

    def close_case(self, actor: Actor, case_id: UUID, **fields: Any) -> Case:
        """Lưu trữ (`close` is the store's own: it shuts the application down)."""
        return self.handle(c.CloseCase(case_id=case_id, **fields), actor)

    # ------------------------------------------------------------------ deadlines

    def attend_to_deadlines(self, case_id: UUID) -> list[DeadlineNotice]:
        """The scheduler's round on one case: note reminders due and record breaches, once."""
        case, at, today = self._load(case_id)
        rules = self.rules_for(case)
        notices: list[DeadlineNotice] = []
        for name, clock in sorted(case.open_deadlines().items()):
            if clock.breached:
                continue
            if clock.is_overdue(at):
                escalation = self.escalation_for(case) if name is Clock.APPROVAL else None
                if case.record_deadline_breach(SYSTEM, at, deadline=name, escalate_to=escalation):
                    notices.append(DeadlineNotice(case.id, name, "breached", escalation))
            elif (
                not clock.approaching_noted
                and today >= rules.warning_date(clock.due)
                and case.note_deadline_approaching(SYSTEM, at, deadline=name)
            ):
                notices.append(DeadlineNotice(case.id, name, "approaching"))
        if notices:
            self.record(case)
        return notices

    def escalation_for(self, case: Case) -> dict[str, str]:
        routing = case.routing
        directory = self.directory_of(case)
        return self.rules_for(case).escalation(
            routing["target"], routing["recipient_unit_id"], directory
        )

    def directory_of(self, case: Case) -> OrganisationDirectory:
        """The directory version the case was routed with: its authority, its superior and its
        implementers' places stay as routed after a reorganisation."""
        return self.directory.routed_version(
            case.routing.get("directory_version"), local_date(case.submitted_at)
        )

    # ------------------------------------------------------------------ queries

    def case_for(self, actor: Actor, case_id: UUID) -> Case:
        """The case, for a party to it (`CompetentAuthority.parties`, the same people its
        reports and the inbox go by), Sở Nội vụ, an auditor or an administrator."""
        case = self.get_case(case_id)
        if actor.user_id not in case.competent_authority.parties and not actor.has_role(
            Role.HOME_AFFAIRS, Role.AUDITOR, Role.ADMIN
        ):
            raise NotPartyToCase(f"{actor.user_id} is not a party to case {case_id}")
        return case

    def case_of_proposal(self, actor: Actor, proposal_id: UUID) -> Case:
        return self.case_for(actor, Case.create_id(proposal_id))

    def inbox(self, actor: Actor) -> list[InboxItem]:
        """The open cases waiting for `actor`, oldest due date first (none last).

        Sở Nội vụ (role `home_affairs`) also sees every case with a clock past its due date.
        Worked out once per new event and day (`InboxMemo`): the same question before anything
        changed gets the same list.
        """
        today = local_date(self.clock())
        home_affairs = actor.has_role(Role.HOME_AFFAIRS)
        positions = (self.parties.catch_up(), self.open_deadlines.catch_up())
        key = (actor.user_id, home_affairs, today, positions)
        return list(
            self._inboxes.get(key, lambda: self._work_out_inbox(actor, today, home_affairs))
        )

    def _work_out_inbox(self, actor: Actor, today: date, home_affairs: bool) -> list[InboxItem]:
        rows = self.parties.cases_of(actor.user_id)
        overdue = self.open_deadlines.overdue(today)
        if home_affairs:
            rows |= self.parties.cases_by_id(set(overdue) - set(rows))
        clocks_of = self.open_deadlines.of_cases(rows)
        items = []
        for case_id, row in rows.items():
            capacities = capacities_of(actor.user_id, row)
            if home_affairs and case_id in overdue:
                capacities = (*capacities, Capacity.HOME_AFFAIRS)
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
            if isinstance(stored, SupplementRequested):
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
        return self.get_case(case_id), at, local_date(at)

    def _commit(self, case: Case, tracking: Tracking | None = None) -> Case:
        self.record(case, tracking=tracking)
        return case

    def _implementers(
        self, case: Case, implementer_ids: Sequence[str] | None
    ) -> list[dict[str, Any]]:
        """The implementers named by id, each placed in the directory version in force on the
        day they are named, else in the one the case was routed with: whether they are within
        Art 2 decides their own encouragement and protection (Art 10, Art 11). Who implements is
        a fact of that day; only the case's authority stays as routed (`CaseAuthority`).

        The proposer is as registration placed them; someone neither version holds is recorded
        as not shown to be within Art 2.
        """
        proposer = case.proposer
        routed = self.directory_of(case)
        try:
            versions = [routed, self.directory.in_force(local_date(self.clock()))]
        except DirectoryLookupError:
            versions = [routed]
        # The later version wins for a person both hold.
        placed = {
            member.person_id: (directory, unit, member)
            for directory in versions
            for unit, member in directory.members()
        }
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
            directory, unit, member = placed.get(user_id, (routed, None, None))
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

    def get_case(self, case_id: UUID) -> Case:
        try:
            case: Case = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id}") from None
        return case


@dataclass(frozen=True)
class _Context:
    """`commands.CaseContext` for one command on one case."""

    app: ApprovalApplication
    case: Case
    at: datetime
    today: date

    @property
    def rules(self) -> CaseRules:
        return self.app.rules_for(self.case)

    def implementers(self, implementer_ids: Sequence[str] | None) -> list[dict[str, Any]]:
        return self.app._implementers(self.case, implementer_ids)

    def escalation(self) -> dict[str, str]:
        return self.app.escalation_for(self.case)
