"""Registration's commands as objects (issue #13 point 3): what each command carries, the body
it is given in over HTTP, and what it does to the proposal.

`RegistrationApplication.handle(command, actor)` finds the proposal (or, for `Draft`, starts
it), has the command `apply` itself, and commits; `api/proposals.py` and `api/attachments.py`
build the commands from requests, and `consumers.py` maps approval's case events to
`NoteCaseEvent`. A new command is a class here (with its body, and its `path` and `title` when
people give it: `api/proposals.py` derives its route, as approval's `api/commands.py` does), the
method and event in `domain/proposal.py`, and — if others must hear of it — its published
contract and `publishing.py`.

The body models check the input's shape at the edge (422, every field problem listed); the
proposal checks who acts, its state and its plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, Protocol
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from services.registration.attachment_store import Spool
from services.registration.domain import (
    Conflict,
    DecisionKind,
    DomainError,
    Incomplete,
    NotAllowed,
    Proposal,
    ProposalStatus,
)
from services.registration.domain.attachments import (
    check_container,
    check_content,
    file_name,
    media_type_of,
)
from services.registration.domain.plan import FieldProblem, ProblemCode
from shared.contracts.bounds import Line, PlanJson, Text, Title, bounded_plan
from shared.contracts.plan import PlanDocument
from shared.contracts.vocabulary import CaseState
from shared.kernel.actor import Actor
from shared.kernel.directory import OrganisationDirectory
from shared.platform.identity import Role

# ---------------------------------------------------------------- HTTP bodies


class DraftRequest(BaseModel):
    title: Title = Field(description="Tên đề xuất — the proposal's title")
    plan: Annotated[PlanDocument, AfterValidator(bounded_plan)] | None = Field(
        None, description="Any part of the plan (Art 7 §2); completeness is checked on submit"
    )
    submit: bool = Field(
        False,
        description="Submit at once (a finished plan prepared elsewhere): one commit, or nothing",
    )


class EditRequest(BaseModel):
    changes: PlanJson = Field(
        description="Top-level plan fields and/or `title` to replace; null clears a field"
    )


class SupplementRequest(BaseModel):
    request_id: Line | None = Field(
        None,
        min_length=1,
        description="The supplement request being answered (default: the open one)",
    )
    changes: PlanJson = Field(
        default_factory=dict,
        description="Only the fields that change; files uploaded for this answer join on their own",
    )


class WithdrawRequest(BaseModel):
    reason: Text = Field(min_length=1, description="Lý do rút đề xuất")


# ---------------------------------------------------------------- commands


class ProposalContext(Protocol):
    """What a command reads besides the proposal: the instant it is given, the organisation
    directory, and a file to keep with its commit (`RegistrationApplication.handle` gives it)."""

    @property
    def at(self) -> datetime: ...

    @property
    def directory(self) -> OrganisationDirectory: ...

    def proposal(self, proposal_id: UUID) -> Proposal:
        """The stored proposal (`ProposalNotFound` if there is none)."""
        ...

    def keep_with_commit(self, spool: Spool) -> None:
        """Store the received file by its hash as the command commits, or not at all."""
        ...


@dataclass(frozen=True, kw_only=True)
class ProposalCommand:
    """One command to one proposal. `name` says it in logs and idempotency receipts."""

    name: ClassVar[str]

    def check(self, actor: Actor) -> None:
        """Refusals that need no proposal, given before an Idempotency-Key is looked up."""

    def target(self, actor: Actor, ctx: ProposalContext) -> Proposal:
        """The proposal the command acts on."""
        raise NotImplementedError

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Draft(ProposalCommand):
    """Start a private draft (Art 7 §1); with `submit`, a finished plan is drafted and submitted
    in one commit.

    Only an official acting as a proposer drafts (issue #11.4): an auditor's or a clerk's token
    cannot start a proposal in its holder's name."""

    name = "draft"

    title: str
    plan: Mapping[str, Any] | None
    submit: bool = False

    def check(self, actor: Actor) -> None:
        if not actor.has_role(Role.PROPOSER.value):
            raise NotAllowed(
                "drafting a proposal needs the proposer role",
                "Chỉ cán bộ được danh bạ tổ chức giao vai trò người đề xuất mới lập kế hoạch "
                "đề xuất.",
            )

    def target(self, actor: Actor, ctx: ProposalContext) -> Proposal:
        return Proposal.draft(proposer=actor, title=self.title, plan=self.plan, at=ctx.at)

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        if self.submit:
            proposal.submit(actor=actor, at=ctx.at, directory=ctx.directory, just_drafted=True)


@dataclass(frozen=True, kw_only=True)
class OnProposal(ProposalCommand):
    """A command to a proposal already drafted. With a `path`, people give it as
    `POST /proposals/{proposal_id}<path>` (`title` its summary, `body` what it carries besides
    the proposal, `refusals` the problems documented beyond every route's); without one it comes
    from elsewhere (an upload, approval's events)."""

    path: ClassVar[str | None] = None
    title: ClassVar[str] = ""
    body: ClassVar[type[BaseModel] | None] = None
    refusals: ClassVar[Mapping[int | str, dict[str, Any]]] = {}

    proposal_id: UUID

    def target(self, actor: Actor, ctx: ProposalContext) -> Proposal:
        return ctx.proposal(self.proposal_id)


@dataclass(frozen=True, kw_only=True)
class Edit(OnProposal):
    """Change top-level plan fields and/or the title of a draft; `None` clears a field."""

    name = "edit"
    path = "/edit"
    title = "Change parts of a draft"
    body = EditRequest

    changes: Mapping[str, Any]

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        proposal.edit(actor_id=actor.user_id, changes=self.changes, at=ctx.at)


@dataclass(frozen=True, kw_only=True)
class Submit(OnProposal):
    """Send the plan to the competent authority (Art 7 §3–4, Plan 88 II.3)."""

    name = "submit"
    path = "/submit"
    title = "Submit to the competent authority (Art 7 §3–4, Plan 88 II.3)"
    refusals: ClassVar[Mapping[int | str, dict[str, Any]]] = {
        422: {"description": "The plan is incomplete: every missing field is listed"}
    }

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        proposal.submit(actor=actor, at=ctx.at, directory=ctx.directory)


@dataclass(frozen=True, kw_only=True)
class Supplement(OnProposal):
    """Answer the open supplement request (bổ sung hồ sơ); `request_id` None: whichever is open."""

    name = "supplement"
    path = "/supplement"
    title = "Answer the open supplement request (bổ sung hồ sơ): only what changes is sent on"
    body = SupplementRequest

    request_id: str | None
    changes: Mapping[str, Any]

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        answered = self.request_id
        if answered is None:
            answered = (proposal.supplement_request or {}).get("request_id", "")
        proposal.supplement(
            actor_id=actor.user_id, request_id=answered, changes=self.changes, at=ctx.at
        )


@dataclass(frozen=True, kw_only=True)
class Withdraw(OnProposal):
    """Rút đề xuất — before a decision."""

    name = "withdraw"
    path = "/withdraw"
    title = "Withdraw before a decision"
    body = WithdrawRequest

    reason: str

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        proposal.withdraw(actor_id=actor.user_id, reason=self.reason, at=ctx.at)


PROPOSER_COMMANDS: tuple[type[OnProposal], ...] = (Edit, Submit, Supplement, Withdraw)
"""What a proposer does to their proposal, each a route of `api/proposals.py`, in its order."""


@dataclass(frozen=True, kw_only=True)
class Attach(OnProposal):
    """Keep a received file by its hash and add its metadata to the proposal, or neither.

    Built by `received`, which checks the file's name, type and content first."""

    name = "attach"

    file_name: str
    media_type: str
    spool: Spool

    @classmethod
    def received(
        cls, proposal_id: UUID, raw_name: str, declared_type: str | None, spool: Spool
    ) -> Attach:
        """The command for a spooled upload; on any refusal the spool is discarded."""
        try:
            name = file_name(raw_name)
            if not name:
                raise Incomplete([FieldProblem("file", ProblemCode.MISSING, "a file name")])
            media_type = media_type_of(declared_type, name)
            if spool.size == 0:
                raise Incomplete([FieldProblem("file", ProblemCode.MISSING, "the file is empty")])
            check_content(media_type, spool.head)
            check_container(media_type, spool.path)
        except BaseException:
            spool.discard()
            raise
        return cls(proposal_id=proposal_id, file_name=name, media_type=media_type, spool=spool)

    @property
    def metadata(self) -> dict[str, str]:
        """What identifies the file: the fingerprint of a keyed upload."""
        return {"name": self.file_name, "media_type": self.media_type, "sha256": self.spool.sha256}

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        proposal.attach(actor_id=actor.user_id, size=self.spool.size, at=ctx.at, **self.metadata)
        ctx.keep_with_commit(self.spool)


@dataclass(frozen=True, kw_only=True)
class NoteCaseEvent(OnProposal):
    """Approval's case event, noted for the proposer as what it decides (design.md §1:
    registration consumes approval's decisions to lock or reopen editing and to show status).

    Built by `consumers.py` from any case event: only `state`, the case state after it, and the
    proposal's own status decide what is noted (`decision_on`), so a new case event type needs
    no change here. An event that only moves the case along notes nothing; the consumer's
    position is committed all the same.
    """

    name = "note_case_event"

    event_id: str
    state: str
    at: datetime
    details: Mapping[str, Any]
    """The event's own fields, JSON-ready, with where it came from."""
    supplement: Mapping[str, Any] | None = None
    """What a supplement request asks (request id, items, due date, reason); None on any
    other event, and on a deadline notice on the supplement clock."""

    def apply(self, proposal: Proposal, actor: Actor, ctx: ProposalContext) -> None:
        kind = decision_on(self.state, proposal)
        if kind is DecisionKind.SUPPLEMENT_REQUESTED and (
            self.supplement is None or self.event_id in proposal.answered_supplements
        ):
            # A deadline notice on the supplement clock, or a request already answered here while
            # approval had not yet heard the answer: nothing new is asked.
            return
        if kind is None:
            return
        if kind is DecisionKind.SUPPLEMENT_REQUESTED:
            assert self.supplement is not None
            details = dict(self.supplement)
        else:
            details = dict(self.details)
            if kind is DecisionKind.EVALUATED and "assessed_outcome" in details:
                details.setdefault("outcome", details["assessed_outcome"])
            if kind is DecisionKind.PROTECTION_DECIDED:
                details.setdefault("basis", details["legal_basis"])
        try:
            proposal.note_decision(kind.value, self.at, details)
        except DomainError as error:
            raise NotNoted(f"cannot note {kind.value}: {error}") from error


class NotNoted(Conflict):
    """The proposal cannot take what approval decided (a decision after withdrawal…)."""


def decision_on(state: str, proposal: Proposal) -> DecisionKind | None:
    """What the case reaching `state` decides for `proposal`, or None if it only moves along.

    Case state (after the event) → decision noted:
    UNDER_REVIEW, while the proposal awaits receipt → received;
    NEEDS_SUPPLEMENT → supplement_requested (request id = the event's id; items, due);
    APPROVED → approved; REJECTED → rejected; SUSPENDED → suspended;
    IN_IMPLEMENTATION after SUSPENDED → resumed; STOPPED → stopped;
    EVALUATED or CONCLUDED → evaluated; PROTECTION_DETERMINED → protection_decided;
    COMPLETION_REPORTED while active → completion_reported; CLOSED → closed.
    A state the proposal already reflects (a consultation closing back into UNDER_REVIEW,
    progress reported while suspended…) notes nothing.
    """
    status = proposal.status
    implementation = proposal.implementation
    if state == CaseState.UNDER_REVIEW:
        return DecisionKind.RECEIVED if status == ProposalStatus.SUBMITTED else None
    if state == CaseState.NEEDS_SUPPLEMENT:
        # A request crossing the proposer's withdrawal is moot: approval closes the case.
        moot = (ProposalStatus.NEEDS_SUPPLEMENT, ProposalStatus.WITHDRAWN)
        return None if status in moot else DecisionKind.SUPPLEMENT_REQUESTED
    # After the decision, later facts keep the case APPROVED. A decision crossing a withdrawal
    # is a real conflict (approval refuses to withdraw a decided case): the domain refuses it
    # and the event is dead-lettered for someone to look at.
    if state == CaseState.APPROVED:
        return None if status == ProposalStatus.DECIDED else DecisionKind.APPROVED
    if state == CaseState.REJECTED:
        return None if status == ProposalStatus.DECIDED else DecisionKind.REJECTED
    if state == CaseState.SUSPENDED:
        return DecisionKind.SUSPENDED if implementation == "active" else None
    if state == CaseState.IN_IMPLEMENTATION:
        return DecisionKind.RESUMED if implementation == "suspended" else None
    if state == CaseState.STOPPED:
        return DecisionKind.STOPPED if implementation in ("active", "suspended") else None
    if state in (CaseState.EVALUATED, CaseState.CONCLUDED):
        evaluation = proposal.evaluation or {}
        return None if evaluation.get("case_state") == state else DecisionKind.EVALUATED
    if state == CaseState.PROTECTION_DETERMINED:
        return DecisionKind.PROTECTION_DECIDED if proposal.protection is None else None
    if state == CaseState.COMPLETION_REPORTED:
        return DecisionKind.COMPLETION_REPORTED if implementation == "active" else None
    if state == CaseState.CLOSED:
        return DecisionKind.CLOSED if implementation != "closed" else None
    return None
