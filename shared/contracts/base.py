"""The base of every integration event D73 publishes (design.md §2).

A contract is the JSON body of a NATS message; its CloudEvents attributes travel in headers
(`shared.platform.envelope`). Readers are tolerant: unknown fields are ignored, so a publisher may
add optional fields to a version; anything else is a new `.vN` type.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ActorRef(Contract):
    """Who did it, as their token said at that moment."""

    user_id: str
    name: str = ""
    unit_id: str = ""
    position: str = ""
    roles: list[str] = Field(default_factory=list)


class Message(Contract):
    """What every message D73 publishes carries: its type, a stable id and when it happened.

    Proposal events are `IntegrationEvent`s; other messages (audit checkpoints) derive from
    this base directly, as they concern no proposal.
    """

    TYPE: ClassVar[str]

    type: str
    id: UUID = Field(description="Message id; also CloudEvents `id` and `Nats-Msg-Id`")
    occurred_at: datetime


class Sendable(Protocol):
    """Any message D73 publishes: its id, type and time make its CloudEvents headers."""

    @property
    def id(self) -> UUID: ...
    @property
    def type(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    def model_dump_json(self) -> str: ...


class Published(Sendable, Protocol):
    """What a service's outbox relay publishes: a message with its subject, its place in the
    service's notification log (`position`, the relay's resume point) and what it is about."""

    @property
    def position(self) -> int: ...
    def subject(self) -> str: ...
    def ce_subject(self) -> str: ...


class IntegrationEvent(Message):
    """Fields every D73 event carries (domain.md §13)."""

    SERVICE: ClassVar[str]
    AGGREGATE: ClassVar[str]
    EVENT: ClassVar[str]

    proposal_id: UUID
    position: int = Field(description="Position in the publishing service's notification log")
    actor: ActorRef | None = None
    legal_basis: str | None = Field(None, description='e.g. "ND73 Art 8 §1"')
    rule_set_version: str | None = None

    @classmethod
    def subject(cls) -> str:
        return f"d73.{cls.SERVICE}.{cls.AGGREGATE}.{cls.EVENT}"

    def ce_subject(self) -> str:
        """CloudEvents `subject`: the proposal the event is about."""
        return str(self.proposal_id)
