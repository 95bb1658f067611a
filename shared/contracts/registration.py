"""Events published by registration on `d73.registration.proposal.*`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.contracts.base import Contract, IntegrationEvent
from shared.contracts.plan import PlanDocument
from shared.contracts.vocabulary import RoutingTarget


class Official(Contract):
    """The proposer (cán bộ) as recorded at submission time."""

    user_id: str
    name: str
    unit_id: str
    position: str
    unit_name: str = ""
    position_name: str = ""
    leader_manager: bool = Field(False, description="Leader or manager in the sense of Art 2")


class Routing(Contract):
    """Where the plan goes (Art 7 §3–4, Plan 88 II.3) and which directory version decided it."""

    target: str = Field(description=" | ".join(RoutingTarget))
    recipient_unit_id: str
    intake_unit_id: str
    decider_id: str
    legal_basis: str
    directory_version: str
    decider_name: str = ""
    management_level: str = ""
    jurisdiction: str = ""
    reason: str = ""
    reason_en: str = ""


class Attachment(Contract):
    """A file of the plan: its content is kept by registration under this SHA-256 and can be
    downloaded at `GET /proposals/{proposal_id}/attachments/{sha256}` by the proposer and by
    reviewers (unit heads, Home Affairs, the City People's Committee, auditors, admins)."""

    name: str
    media_type: str
    size: int
    sha256: str


class _ProposalEvent(IntegrationEvent):
    SERVICE: ClassVar[str] = "registration"
    AGGREGATE: ClassVar[str] = "proposal"


class ProposalSubmitted(_ProposalEvent):
    """Kế hoạch đề xuất đã gửi — the full plan, so a subscriber needs nothing else."""

    EVENT: ClassVar[str] = "submitted"
    TYPE: ClassVar[str] = "d73.proposal.submitted.v1"
    type: Literal["d73.proposal.submitted.v1"] = "d73.proposal.submitted.v1"
    title: str
    proposer: Official
    protection_eligible: bool
    routing: Routing
    plan: PlanDocument = Field(description="The whole proposal plan (Art 7 §2) as submitted")
    completeness_rules: str = ""
    submitted_at: datetime


class ProposalSupplemented(_ProposalEvent):
    """The proposer's answer to a supplement request: only what changed."""

    EVENT: ClassVar[str] = "supplemented"
    TYPE: ClassVar[str] = "d73.proposal.supplemented.v1"
    type: Literal["d73.proposal.supplemented.v1"] = "d73.proposal.supplemented.v1"
    request_id: str = Field(description="The answered request: approval's supplement event id")
    changes: dict[str, Any] = Field(
        description="Each changed top-level plan field (or `title`) with its new value; null clears"
    )
    changed_fields: list[str] = Field(
        default_factory=list, description="The keys of `changes`, sorted"
    )
    attachments_added: list[Attachment] = Field(
        default_factory=list, description="Files uploaded for this answer (also in `changes`)"
    )
    plan: PlanDocument | None = Field(
        None,
        description="The whole plan after this answer, so the competent authority never "
        "re-applies `changes`; absent from answers recorded before it was carried",
    )


class ProposalWithdrawn(_ProposalEvent):
    EVENT: ClassVar[str] = "withdrawn"
    TYPE: ClassVar[str] = "d73.proposal.withdrawn.v1"
    type: Literal["d73.proposal.withdrawn.v1"] = "d73.proposal.withdrawn.v1"
    reason: str
    recipient_unit_id: str | None = Field(
        None, description="The competent authority the plan had been sent to"
    )


REGISTRATION_EVENTS: tuple[type[IntegrationEvent], ...] = (
    ProposalSubmitted,
    ProposalSupplemented,
    ProposalWithdrawn,
)
