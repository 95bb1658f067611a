"""Approval: the competent authority's case file (hồ sơ) on each submitted proposal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from services.approval.domain.case import Case
from shared.contracts import IntegrationEvent
from shared.contracts.registration import ProposalSubmitted
from shared.directory import OrganisationDirectory
from shared.eventstore import ServiceApplication
from shared.identity import Actor, Role
from shared.rulesets import DEFAULT_JURISDICTION, DeadlineName, rule_set_in_force

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
"""Deadlines count Vietnamese working days: dates are taken in Vietnam's time zone."""


class CaseNotFound(Exception):
    """No such case."""


class NotPartyToCase(Exception):
    """Only the proposer, the competent authority, Home Affairs, auditors and admins read a case."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class ApprovalApplication(ServiceApplication):
    name = "approval"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        directory: OrganisationDirectory,
        jurisdiction: str = DEFAULT_JURISDICTION,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(env)
        self.directory = directory
        self.jurisdiction = jurisdiction
        self.clock = clock

    # upstream events

    def open_case(self, event: IntegrationEvent, tracking: Tracking) -> None:
        """Registration's `submitted` opens the case; a repeat of it only records the position."""
        assert isinstance(event, ProposalSubmitted)
        if self._exists(Case.create_id(event.proposal_id)):
            self.record(tracking=tracking)
            return
        submitted_on = event.submitted_at.astimezone(VIETNAM).date()
        rules = rule_set_in_force(self.jurisdiction, submitted_on)
        recipient = event.routing.recipient_unit_id
        intake = event.routing.intake_unit_id
        delegates = [] if intake == recipient else self._collective(intake)
        head = self.directory.head_of(recipient)
        case = Case.open(
            proposal_id=event.proposal_id,
            proposer=event.proposer.model_dump(),
            title=event.title,
            protection_eligible=event.protection_eligible,
            routing=event.routing.model_dump(),
            authority={
                "head_id": head.person_id,
                "deputy_ids": [m.person_id for m in self.directory.deputies_of(recipient)],
                "delegate_ids": delegates,
            },
            plan=event.plan,
            submitted_at=event.submitted_at,
            opened_at=max(self.clock(), event.submitted_at),
            rule_set_version=rules.version,
            intake_due=rules.due_date(DeadlineName.INTAKE_CHECK, submitted_on),
        )
        self.record(case, tracking=tracking)

    # queries

    def case_for(self, actor: Actor, case_id: UUID) -> Case:
        case = self._get(case_id)
        authority = case.competent_authority
        party = {case.proposer["user_id"], *authority.collective, *authority.delegate_ids}
        if actor.user_id not in party and not actor.has_role(
            Role.HOME_AFFAIRS, Role.AUDITOR, Role.ADMIN
        ):
            raise NotPartyToCase(f"{actor.user_id} is not a party to case {case_id}")
        return case

    def case_of_proposal(self, actor: Actor, proposal_id: UUID) -> Case:
        return self.case_for(actor, Case.create_id(proposal_id))

    def _collective(self, unit_id: str) -> list[str]:
        head = self.directory.head_of(unit_id)
        return [head.person_id, *(m.person_id for m in self.directory.deputies_of(unit_id))]

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
            raise CaseNotFound(str(case_id)) from None
        return case


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "proposal_id": str(case.proposal_id),
        "state": str(case.state),
        "title": case.title,
        "proposer": case.proposer,
        "protection_eligible": case.protection_eligible,
        "routing": case.routing,
        "rule_set_version": case.rule_set_version,
        "submitted_at": case.submitted_at.isoformat(),
        "opened_at": case.opened_at.isoformat(),
        "open_deadlines": {
            str(name): {
                "due": d.due.isoformat(),
                "responsible_user_id": d.responsible_user_id,
                "responsible_unit_id": d.responsible_unit_id,
                "legal_basis": d.legal_basis,
            }
            for name, d in case.open_deadlines().items()
        },
        "version": case.version,
    }
