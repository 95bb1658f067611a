"""Registration: officials draft, submit, supplement and withdraw proposal plans (Art 7).

Each command loads one Proposal, calls one domain method and commits; the outbox relay
publishes what the world may see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import DomainEventProtocol

from services.registration.domain import NotAllowed, Proposal
from shared.directory import OrganisationDirectory
from shared.eventstore import ServiceApplication
from shared.identity import Actor
from shared.readmodel import CatchUpReadModel
from shared.routing import Official


class ProposalNotFound(Exception):
    """No such proposal."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def official(actor: Actor) -> Official:
    return Official(
        user_id=actor.user_id, name=actor.name, unit_id=actor.unit_id, position=actor.position
    )


class ProposalsByProposer(CatchUpReadModel):
    """My proposals: each proposer's proposal ids, oldest first."""

    def __init__(self, app: ServiceApplication) -> None:
        super().__init__(app)
        self.reset()

    def reset(self) -> None:
        self.ids: dict[str, list[UUID]] = {}

    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        proposer = getattr(event, "proposer", None)
        if isinstance(event, DRAFTED) and proposer is not None:
            self.ids.setdefault(str(proposer["user_id"]), []).append(event.originator_id)

    def of(self, user_id: str) -> list[UUID]:
        self.catch_up()
        return list(self.ids.get(user_id, []))

    def snapshot(self) -> Any:
        return {user: [str(i) for i in ids] for user, ids in self.ids.items()}


DRAFTED: type = getattr(Proposal, "Drafted")  # noqa: B009 — made by @event


class RegistrationApplication(ServiceApplication):
    name = "registration"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        directory: OrganisationDirectory,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(env)
        self.directory = directory
        self.clock = clock
        self.by_proposer = ProposalsByProposer(self)

    # commands

    def draft(
        self, actor: Actor, title: str, plan: Mapping[str, Any] | None, *, submit: bool = False
    ) -> Proposal:
        """Start a draft; with `submit`, a finished plan is drafted and submitted in one commit."""
        at = self.clock()
        proposal = Proposal.draft(proposer=official(actor), title=title, plan=plan, at=at)
        if submit:
            proposal.submit(actor=official(actor), at=at, directory=self.directory)
        self.record(proposal)
        return proposal

    def edit(self, actor: Actor, proposal_id: UUID, changes: Mapping[str, Any]) -> Proposal:
        proposal = self._get(proposal_id)
        proposal.edit(actor_id=actor.user_id, changes=changes, at=self.clock())
        self.record(proposal)
        return proposal

    def submit(self, actor: Actor, proposal_id: UUID) -> Proposal:
        proposal = self._get(proposal_id)
        proposal.submit(actor=official(actor), at=self.clock(), directory=self.directory)
        self.record(proposal)
        return proposal

    def supplement(
        self, actor: Actor, proposal_id: UUID, request_id: str, changes: Mapping[str, Any]
    ) -> Proposal:
        proposal = self._get(proposal_id)
        proposal.supplement(
            actor_id=actor.user_id, request_id=request_id, changes=changes, at=self.clock()
        )
        self.record(proposal)
        return proposal

    def withdraw(self, actor: Actor, proposal_id: UUID, reason: str) -> Proposal:
        proposal = self._get(proposal_id)
        proposal.withdraw(actor_id=actor.user_id, reason=reason, at=self.clock())
        self.record(proposal)
        return proposal

    # queries

    def proposal_for(self, actor: Actor, proposal_id: UUID) -> Proposal:
        """Drafts are private: only the proposer reads their proposals here."""
        proposal = self._get(proposal_id)
        if proposal.proposer_id != actor.user_id:
            raise NotAllowed("only the proposer reads a proposal in registration")
        return proposal

    def proposals_of(self, actor: Actor) -> list[Proposal]:
        return [self._get(pid) for pid in self.by_proposer.of(actor.user_id)]

    def _get(self, proposal_id: UUID) -> Proposal:
        try:
            proposal: Proposal = self.repository.get(proposal_id)
        except AggregateNotFoundError:
            raise ProposalNotFound(str(proposal_id)) from None
        return proposal
