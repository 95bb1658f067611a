"""Registration: officials draft, submit, supplement and withdraw proposal plans (Art 7), attach
files to them, and see what approval decided.

Every command is an object (`commands.py`) given to `handle(command, actor)`, which finds one
Proposal, has the command apply itself and commits; the outbox relay publishes what the world
may see. A command sent with an Idempotency-Key commits a `CommandReceipt` in the same
transaction, and a retry is answered from it (`shared/platform/idempotency.py`).
"""

from __future__ import annotations

import functools
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
from services.registration.commands import (
    Attach,
    Draft,
    Edit,
    ProposalCommand,
    Submit,
    Supplement,
    Withdraw,
)
from services.registration.domain import NotAllowed, Proposal, ProposalStatus
from services.registration.domain.proposal import directory_on, where_it_goes
from services.registration.read_models import ProposalSummaries, Row
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date
from shared.kernel.directory import CaseAuthority, DirectoryLookupError, OrganisationDirectory
from shared.platform.eventstore import ServiceApplication
from shared.platform.idempotency import Idempotency
from shared.platform.identity import Role
from shared.platform.sidetables import SideTables

log = logging.getLogger("d73.registration")

MONITOR_ROLES = (Role.HOME_AFFAIRS.value, Role.AUDITOR.value, Role.ADMIN.value)
"""Who reads the files of every submitted proposal besides the people holding a post on its
case (`is_party_reviewer`): Sở Nội vụ, which monitors (Plan 88 IV.2), auditors and admins —
files in the plan as submitted or supplemented, never a draft's, never one waiting for an
answer."""


class ProposalNotFound(Exception):
    """No such proposal."""


class AttachmentNotFound(Exception):
    """This proposal lists no file with that SHA-256, or its content is not stored here."""


def is_party_reviewer(actor: Actor, authority: CaseAuthority | None) -> bool:
    """Auditors and admins; Sở Nội vụ, which monitors every case (Plan 88 IV.2); or someone
    holding a post on the case — its head, deputies and intake delegates as the directory
    version it was routed with names them (issue #11.4, #14 point 7) — not every unit head,
    and not whoever heads that unit in a later version."""
    if actor.has_role(*MONITOR_ROLES):
        return True
    return authority is not None and actor.user_id in authority.people


def utc_now() -> datetime:
    return datetime.now(UTC)


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
    remembered_events = 128
    """A Proposal's events share nothing mutable with its state (each `@event` method copies
    what it keeps), so the relays translate the events as committed (`RecentEvents`): a
    submission's is not decoded again (issue #19). Drafts are kept too, and never taken."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        directory: OrganisationDirectory,
        tables: SideTables,
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

    def handle(
        self,
        command: ProposalCommand,
        actor: Actor,
        *,
        idempotency: Idempotency | None = None,
        tracking: Tracking | None = None,
    ) -> Proposal:
        """The one way a command changes a proposal: find it (or start it, for a draft), have
        the command apply itself at this instant, commit (with a received file, and with the
        upstream position when it comes from a message). Under an Idempotency-Key a retry is
        answered from the first commit. Refusals propagate unchanged."""
        command.check(actor)

        def run() -> Proposal:
            context = _Context(self)
            proposal = command.target(actor, context)
            command.apply(proposal, actor, context)
            self._commit(proposal, context.kept, tracking)
            return proposal

        return self.keyed(actor.user_id, idempotency, run)

    # In-process callers (the tests, the tools) name a command by its method; each builds the
    # command object and hands it to `handle`.

    def draft(
        self,
        actor: Actor,
        title: str,
        plan: Mapping[str, Any] | None,
        *,
        submit: bool = False,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        command = Draft(title=title, plan=plan, submit=submit)
        return self.handle(command, actor, idempotency=idempotency)

    def edit(
        self,
        actor: Actor,
        proposal_id: UUID,
        changes: Mapping[str, Any],
        *,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        command = Edit(proposal_id=proposal_id, changes=changes)
        return self.handle(command, actor, idempotency=idempotency)

    def submit(
        self, actor: Actor, proposal_id: UUID, *, idempotency: Idempotency | None = None
    ) -> Proposal:
        return self.handle(Submit(proposal_id=proposal_id), actor, idempotency=idempotency)

    def supplement(
        self,
        actor: Actor,
        proposal_id: UUID,
        request_id: str | None,
        changes: Mapping[str, Any],
        *,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        command = Supplement(proposal_id=proposal_id, request_id=request_id, changes=changes)
        return self.handle(command, actor, idempotency=idempotency)

    def withdraw(
        self,
        actor: Actor,
        proposal_id: UUID,
        reason: str,
        *,
        idempotency: Idempotency | None = None,
    ) -> Proposal:
        command = Withdraw(proposal_id=proposal_id, reason=reason)
        return self.handle(command, actor, idempotency=idempotency)

    # attachments

    def check_can_attach(self, actor: Actor, proposal_id: UUID) -> None:
        """Before a file is received: 404, 403 or 409 now rather than after 25 MB."""
        self._get(proposal_id).check_can_attach(actor.user_id)

    def new_spool(self) -> Spool:
        return self.attachment_store.spool(self.attachment_max_bytes)

    def attach(
        self, actor: Actor, proposal_id: UUID, upload: Upload, *, idempotency_key: str | None = None
    ) -> Attached:
        """`Attach` the received file, under the key `idempotency_key` with the file's metadata
        as the fingerprint. The spool is always consumed: kept, or discarded on any refusal."""
        spool = upload.spool
        command = Attach.received(proposal_id, upload.raw_name, upload.declared_type, spool)
        idempotency = Idempotency.of(idempotency_key, "attach", str(proposal_id), command.metadata)
        try:
            proposal = self.handle(command, actor, idempotency=idempotency)
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
        elif proposal.status != ProposalStatus.DRAFT and is_party_reviewer(
            actor, self.authority_of(proposal)
        ):
            metadata = proposal.attachment(sha256, include_pending=False)
        else:
            raise NotAllowed(
                "only the proposer, or a reviewer once it is submitted, reads its files",
                "Chỉ người đề xuất tải được tài liệu của kế hoạch; khi kế hoạch đã được gửi, "
                "còn có người có thẩm quyền của hồ sơ và người được giao tiếp nhận (theo danh bạ "
                "tổ chức tại thời điểm gửi), Sở Nội vụ và người kiểm tra.",
            )
        if metadata is None:
            raise AttachmentNotFound(f"proposal {proposal_id} lists no file {sha256}")
        if not self.attachment_store.has(metadata["sha256"]):
            raise AttachmentNotFound(
                f"{metadata['name']!r} is listed by the plan but its content was never uploaded"
            )
        return metadata, self.attachment_store.chunks(metadata["sha256"])

    # queries

    def preview(self, actor: Actor) -> dict[str, Any]:
        """Before drafting: where the actor's plan would go and whether Art 2 protects them."""
        today = directory_on(self.directory, local_date(self.clock()))
        routing, eligible = where_it_goes(actor, today)
        return {"protection_eligible": eligible, "routing": routing.as_dict()}

    def proposal_for(self, actor: Actor, proposal_id: UUID) -> Proposal:
        """Drafts are private: only the proposer reads their proposals here."""
        proposal = self._get(proposal_id)
        if proposal.proposer_id != actor.user_id:
            raise NotAllowed(
                "only the proposer reads a proposal in registration",
                "Chỉ người đề xuất xem kế hoạch đề xuất của mình tại đây; người có thẩm quyền "
                "xem hồ sơ tại mục hồ sơ xử lý.",
            )
        return proposal

    def proposals_of(self, actor: Actor) -> list[Row]:
        """My proposals, oldest first, with where each stands (the read model)."""
        return self.summaries.of(actor.user_id)

    def status_for(self, actor: Actor, proposal_id: UUID) -> Row:
        row = self.summaries.get(proposal_id)
        if row is None:
            raise ProposalNotFound(str(proposal_id))
        if row["proposer_id"] != actor.user_id:
            raise NotAllowed(
                "only the proposer reads a proposal's status in registration",
                "Chỉ người đề xuất xem tình trạng đề xuất của mình tại đây.",
            )
        return row

    def authority_of(self, proposal: Proposal) -> CaseAuthority | None:
        """Who holds a post on the submitted proposal's case, in the directory version it was
        routed with (the rule approval records the case's authority by); None before routing."""
        routing, submitted_at = proposal.routing, proposal.submitted_at
        if not routing or submitted_at is None:
            return None
        submitted_on = local_date(submitted_at)
        try:
            version = self.directory.routed_version(routing.get("directory_version"), submitted_on)
            return version.case_authority(
                routing["recipient_unit_id"], routing["intake_unit_id"], submitted_on
            )
        except (DirectoryLookupError, KeyError):
            return None

    # internals

    def _get(self, proposal_id: UUID) -> Proposal:
        try:
            proposal: Proposal = self.repository.get(proposal_id)
        except AggregateNotFoundError:
            raise ProposalNotFound(str(proposal_id)) from None
        if not isinstance(proposal, Proposal):
            raise ProposalNotFound(str(proposal_id))
        return proposal

    def _commit(self, proposal: Proposal, kept: Spool | None, tracking: Tracking | None) -> None:
        """Record the proposal's new events; with a received file, store it first, and forget
        it again if the commit fails."""
        if kept is None:
            self.record(proposal, tracking=tracking)
            return
        with self._keeping:
            created = self.attachment_store.keep(kept)
            try:
                self.record(proposal, tracking=tracking)
            except BaseException:
                if created:
                    self.attachment_store.discard(kept.sha256)
                raise
        log.info("attached %s to %s", kept.sha256, proposal.id, extra={"new_file": created})

    def _attached(self, proposal: Proposal, sha256: str) -> Attached:
        in_plan = proposal.attachment(sha256, include_pending=False)
        found = in_plan or proposal.attachment(sha256, include_pending=True)
        if found is None:
            raise AttachmentNotFound(sha256)
        return Attached(proposal, found, pending=in_plan is None)


class _Context:
    """`commands.ProposalContext` for one command: its instant is read from the clock when the
    command first asks for it."""

    def __init__(self, app: RegistrationApplication) -> None:
        self._app = app
        self.kept: Spool | None = None

    @functools.cached_property
    def at(self) -> datetime:
        return self._app.clock()

    @property
    def directory(self) -> OrganisationDirectory:
        return self._app.directory

    def proposal(self, proposal_id: UUID) -> Proposal:
        return self._app._get(proposal_id)

    def keep_with_commit(self, spool: Spool) -> None:
        if self.kept is not None:
            raise ValueError("a command keeps at most one file")
        self.kept = spool
