"""Registration: officials draft, submit, supplement and withdraw proposal plans (Art 7), attach
files to them, and see what approval decided.

Each command loads one Proposal, calls one domain method and commits; the outbox relay
publishes what the world may see. A command sent with an Idempotency-Key commits a
`CommandReceipt` in the same transaction, and a retry is answered from it (`shared/idempotency.py`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from services.registration.attachment_store import AttachmentStore, Spool
from services.registration.case_events import decision_from
from services.registration.domain import DomainError, NotAllowed, Proposal, ProposalStatus
from services.registration.domain.attachments import (
    check_container,
    check_content,
    file_name,
    media_type_of,
)
from services.registration.domain.errors import Incomplete
from services.registration.domain.plan import FieldProblem, ProblemCode
from services.registration.domain.proposal import directory_on, where_it_goes
from services.registration.tables import Tables
from services.registration.views import ProposalSummaries, Row
from shared.calendar import local_date
from shared.consumer import Rejected
from shared.contracts import IntegrationEvent
from shared.directory import OrganisationDirectory
from shared.eventstore import ServiceApplication
from shared.idempotency import Idempotency
from shared.identity import Actor, Role
from shared.routing import Official

log = logging.getLogger("d73.registration")

REVIEWER_ROLES = (
    Role.UNIT_HEAD.value,
    Role.HOME_AFFAIRS.value,
    Role.CITY_COMMITTEE.value,
    Role.AUDITOR.value,
    Role.ADMIN.value,
)
"""The roles that may download a submitted proposal's files besides its proposer, and only as
parties of its routing (`is_party_reviewer`): files in the plan as submitted or supplemented —
never a draft's, never one waiting for an answer."""


class ProposalNotFound(Exception):
    """No such proposal."""


class AttachmentNotFound(Exception):
    """This proposal lists no file with that SHA-256, or its content is not stored here."""


def is_party_reviewer(actor: Actor, routing: Mapping[str, Any] | None) -> bool:
    """Auditors and admins, or a reviewer of the case's parties: the deciding authority (its
    head, or an official of its unit) or the intake unit (issue #11.4) — not every unit head."""
    if actor.has_role(Role.AUDITOR.value, Role.ADMIN.value):
        return True
    if not actor.has_role(*REVIEWER_ROLES) or not routing:
        return False
    parties = {routing.get("recipient_unit_id"), routing.get("intake_unit_id")}
    return actor.user_id == routing.get("decider_id") or actor.unit_id in parties - {None}


def utc_now() -> datetime:
    return datetime.now(UTC)


def official(actor: Actor) -> Official:
    return Official(
        user_id=actor.user_id, name=actor.name, unit_id=actor.unit_id, position=actor.position
    )


@dataclass(frozen=True)
class Upload:
    """A received file, spooled and hashed, not yet kept."""

    raw_name: str
    declared_type: str | None
    spool: Spool


@dataclass(frozen=True)
class Attached:
    proposal: Proposal
    attachment: dict[str, Any]
    pending: bool
    """True while the file waits for the supplement answer."""


class RegistrationApplication(ServiceApplication):
    name = "registration"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        directory: OrganisationDirectory,
        tables: Tables,
        attachments: AttachmentStore,
        attachment_max_bytes: int = 25 * 2**20,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(env)
        self.directory = directory
        self.tables = tables
        self.attachment_store = attachments
        self.attachment_max_bytes = attachment_max_bytes
        self.clock = clock
        self.summaries = ProposalSummaries(self, tables)
        self._keeping = threading.Lock()
        """Storing a file and committing its event happen one at a time, so a file that a failed
        commit discards is never one that a concurrent upload of the same content relies on."""

    def close(self) -> None:
        super().close()
        self.tables.close()

    # commands

    def draft(
        self,
        actor: Actor,
        title: str,
        plan: Mapping[str, Any] | None,
        *,
        submit: bool = False,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        """Start a draft; with `submit`, a finished plan is drafted and submitted in one commit.

        Only an official acting as a proposer drafts (issue #11.4): an auditor's or a clerk's
        token cannot start a proposal in its holder's name."""
        if not actor.has_role(Role.PROPOSER.value):
            raise NotAllowed("drafting a proposal needs the proposer role")

        def command() -> Proposal:
            at = self.clock()
            proposal = Proposal.draft(proposer=official(actor), title=title, plan=plan, at=at)
            if submit:
                proposal.submit(actor=official(actor), at=at, directory=self.directory)
            return self._commit(proposal)

        return self.keyed(actor.user_id, idempotency, command)

    def edit(
        self,
        actor: Actor,
        proposal_id: UUID,
        changes: Mapping[str, Any],
        *,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        def command() -> Proposal:
            proposal = self._get(proposal_id)
            proposal.edit(actor_id=actor.user_id, changes=changes, at=self.clock())
            return self._commit(proposal)

        return self.keyed(actor.user_id, idempotency, command)

    def submit(
        self, actor: Actor, proposal_id: UUID, *, idempotency: Idempotency | None = None
    ) -> Proposal:
        def command() -> Proposal:
            proposal = self._get(proposal_id)
            proposal.submit(actor=official(actor), at=self.clock(), directory=self.directory)
            return self._commit(proposal)

        return self.keyed(actor.user_id, idempotency, command)

    def supplement(
        self,
        actor: Actor,
        proposal_id: UUID,
        request_id: str | None,
        changes: Mapping[str, Any],
        *,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        """Answer the open supplement request (`request_id` None: whichever is open)."""

        def command() -> Proposal:
            proposal = self._get(proposal_id)
            answered = request_id
            if answered is None:
                answered = (proposal.supplement_request or {}).get("request_id", "")
            proposal.supplement(
                actor_id=actor.user_id, request_id=answered, changes=changes, at=self.clock()
            )
            return self._commit(proposal)

        return self.keyed(actor.user_id, idempotency, command)

    def withdraw(
        self,
        actor: Actor,
        proposal_id: UUID,
        reason: str,
        *,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        def command() -> Proposal:
            proposal = self._get(proposal_id)
            proposal.withdraw(actor_id=actor.user_id, reason=reason, at=self.clock())
            return self._commit(proposal)

        return self.keyed(actor.user_id, idempotency, command)

    # attachments

    def check_can_attach(self, actor: Actor, proposal_id: UUID) -> None:
        """Before a file is received: 404, 403 or 409 now rather than after 25 MB."""
        self._get(proposal_id).check_can_attach(actor.user_id)

    def new_spool(self) -> Spool:
        return self.attachment_store.spool(self.attachment_max_bytes)

    def attach(
        self, actor: Actor, proposal_id: UUID, upload: Upload, *, idempotency_key: str | None = None
    ) -> Attached:
        """Keep a received file by its hash and add its metadata to the proposal, or neither.

        The spool is always consumed: kept, or discarded on any refusal.
        """
        spool = upload.spool
        try:
            name = file_name(upload.raw_name)
            if not name:
                raise Incomplete([FieldProblem("file", ProblemCode.MISSING, "a file name")])
            media_type = media_type_of(upload.declared_type, name)
            if spool.size == 0:
                raise Incomplete([FieldProblem("file", ProblemCode.MISSING, "the file is empty")])
            check_content(media_type, spool.head)
            check_container(media_type, spool.path)
            metadata = {"name": name, "media_type": media_type, "sha256": spool.sha256}
        except BaseException:
            spool.discard()
            raise
        idempotency = Idempotency.of(idempotency_key, "attach", str(proposal_id), metadata)

        def command() -> Proposal:
            proposal = self._get(proposal_id)
            proposal.attach(actor_id=actor.user_id, size=spool.size, at=self.clock(), **metadata)
            with self._keeping:
                created = self.attachment_store.keep(spool)
                try:
                    self._commit(proposal)
                except BaseException:
                    if created:
                        self.attachment_store.discard(spool.sha256)
                    raise
            log.info("attached %s to %s", spool.sha256, proposal_id, extra={"new_file": created})
            return proposal

        try:
            proposal = self.keyed(actor.user_id, idempotency, command)
        finally:
            spool.discard()  # kept by now, or refused: either way the spool is done with
        return self._attached(proposal, spool.sha256)

    def attachment_for(
        self, actor: Actor, proposal_id: UUID, sha256: str
    ) -> tuple[dict[str, Any], Iterator[bytes]]:
        """A file of the proposal and its bytes, for its proposer or (once submitted) a reviewer."""
        proposal = self._get(proposal_id)
        if actor.user_id == proposal.proposer_id:
            metadata = proposal.attachment(sha256, include_pending=True)
        elif is_party_reviewer(actor, proposal.routing) and proposal.status != ProposalStatus.DRAFT:
            metadata = proposal.attachment(sha256, include_pending=False)
        else:
            raise NotAllowed(
                "only the proposer, or a reviewer once it is submitted, reads its files"
            )
        if metadata is None:
            raise AttachmentNotFound(f"proposal {proposal_id} lists no file {sha256}")
        if not self.attachment_store.has(metadata["sha256"]):
            raise AttachmentNotFound(
                f"{metadata['name']!r} is listed by the plan but its content was never uploaded"
            )
        return metadata, self.attachment_store.chunks(metadata["sha256"])

    # upstream: approval's case events

    def note_case_event(self, event: IntegrationEvent, tracking: Tracking) -> None:
        """Approval's decision noted for the proposer, with the upstream position, in one commit.

        An event about a proposal this service never had, or one the proposal cannot take (a
        decision after withdrawal…), is dead-lettered with the reason.
        """
        try:
            proposal = self._get(event.proposal_id)
        except ProposalNotFound:
            raise Rejected(
                f"{event.type} {event.id}: registration has no proposal {event.proposal_id}"
            ) from None
        noted = decision_from(event, proposal)
        if noted is None:
            self.record(tracking=tracking)
            return
        try:
            proposal.note_decision(noted.kind.value, noted.at, noted.details)
        except DomainError as error:
            raise Rejected(
                f"{event.type} {event.id}: proposal {event.proposal_id} cannot note "
                f"{noted.kind.value}: {error}"
            ) from error
        self.record(proposal, tracking=tracking)

    # queries

    def preview(self, actor: Actor) -> dict[str, Any]:
        """Before drafting: where the actor's plan would go and whether Art 2 protects them."""
        today = directory_on(self.directory, local_date(self.clock()))
        routing, eligible = where_it_goes(official(actor), today)
        return {"protection_eligible": eligible, "routing": routing.as_dict()}

    def proposal_for(self, actor: Actor, proposal_id: UUID) -> Proposal:
        """Drafts are private: only the proposer reads their proposals here."""
        proposal = self._get(proposal_id)
        if proposal.proposer_id != actor.user_id:
            raise NotAllowed("only the proposer reads a proposal in registration")
        return proposal

    def proposals_of(self, actor: Actor) -> list[Row]:
        """My proposals, oldest first, with where each stands (the read model)."""
        return self.summaries.of(actor.user_id)

    def status_for(self, actor: Actor, proposal_id: UUID) -> Row:
        row = self.summaries.get(proposal_id)
        if row is None:
            raise ProposalNotFound(str(proposal_id))
        if row["proposer_id"] != actor.user_id:
            raise NotAllowed("only the proposer reads a proposal's status in registration")
        return row

    # internals

    def _get(self, proposal_id: UUID) -> Proposal:
        try:
            proposal: Proposal = self.repository.get(proposal_id)
        except AggregateNotFoundError:
            raise ProposalNotFound(str(proposal_id)) from None
        if not isinstance(proposal, Proposal):
            raise ProposalNotFound(str(proposal_id))
        return proposal

    def _commit(self, proposal: Proposal) -> Proposal:
        self.record(proposal)
        return proposal

    def _attached(self, proposal: Proposal, sha256: str) -> Attached:
        in_plan = proposal.attachment(sha256, include_pending=False)
        found = in_plan or proposal.attachment(sha256, include_pending=True)
        if found is None:
            raise AttachmentNotFound(sha256)
        return Attached(proposal, found, pending=in_plan is None)
