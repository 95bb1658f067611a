"""Messages about the services' verifiable logs, on `d73.audit.checkpoint.<service>` (issue #6).

A checkpoint is not a proposal event: it derives from `Message`, not `IntegrationEvent`. Its
signed part is exactly `shared.records.merkle.checkpoint.Checkpoint` (service, tree_size, root_hash,
time, key_id, signature); the rest helps a witness that holds the previous checkpoint check this
one from the stream alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts.base import Contract, Message

_HASH = r"^[0-9a-f]{64}$"
_KEY_ID = r"^[0-9a-f]{16}$"


class Cosignature(Contract):
    """A witness's countersignature (`shared.records.merkle.checkpoint.Cosignature`)."""

    witness_id: str
    key_id: str = Field(pattern=_KEY_ID)
    time: str
    signature: str


class Consistency(Contract):
    """RFC 9162 consistency proof from an earlier checkpoint of the same log to this one."""

    first_size: int = Field(ge=0, description="Tree size of the earlier checkpoint")
    path: list[str] = Field(description="Proof nodes, lowercase hex, as RFC 9162 §2.1.4 lists them")


class Checkpoint(Message):
    """Điểm kiểm tra nhật ký — a service's signed tree head: its log had `tree_size` entries with
    Merkle root `root_hash` at `time` (design.md §4). Witnesses keep it; editing, deleting or
    reordering any of those entries afterwards is detectable by anyone who holds it."""

    SUBJECT_PREFIX: ClassVar[str] = "d73.audit.checkpoint"
    TYPE: ClassVar[str] = "d73.audit.checkpoint.v1"
    type: Literal["d73.audit.checkpoint.v1"] = "d73.audit.checkpoint.v1"
    service: str = Field(description="The service whose log this is")
    tree_size: int = Field(ge=0, description="Entries in the log (positions 1..tree_size)")
    root_hash: str = Field(pattern=_HASH, description="RFC 9162 Merkle root, lowercase hex")
    time: str = Field(description="When it was signed, RFC 3339 UTC; part of what is signed")
    key_id: str = Field(pattern=_KEY_ID, description="First 8 bytes of SHA-256 of the public key")
    signature: str = Field(
        description="Ed25519 signature, base64 (shared.records.merkle.checkpoint)"
    )
    cosignatures: list[Cosignature] = Field(default_factory=list)
    consistency: Consistency | None = Field(
        None, description="Proof that this log extends the service's previous checkpoint"
    )
    frontier: list[str] = Field(
        default_factory=list,
        description=(
            "Roots of the perfect subtrees the log of tree_size leaves splits into, largest "
            "first (lowercase hex). They fold to root_hash, so a witness that lost track of the "
            "log, or joins late, can follow it again from this checkpoint on"
        ),
    )

    @classmethod
    def subject_of(cls, service: str) -> str:
        return f"{cls.SUBJECT_PREFIX}.{service}"

    def subject(self) -> str:
        return self.subject_of(self.service)


class ServiceAlarm(Message):
    """Dịch vụ tạm ngừng — a service stopped taking commands because it can no longer keep
    them (`shared.platform.halt`): an event it cannot publish (`relay-blocked`), a store that
    differs from its stream (`relay-diverged`) or a store that no longer holds what it signed
    (`log-tampered`); or it set something aside and went on (issue #11 §2): a message one of
    its consumers dead-lettered (`dead-lettered`), an archived event a read model could not
    apply (`projection-dead-lettered`). Reporting's witness keeps it and shows it on
    `/audit/alarms`."""

    SUBJECT_PREFIX: ClassVar[str] = "d73.audit.alarm"
    TYPE: ClassVar[str] = "d73.audit.alarm.v1"
    type: Literal["d73.audit.alarm.v1"] = "d73.audit.alarm.v1"
    service: str = Field(description="The service that raised it")
    kind: str = Field(
        description="A halt (relay-blocked, relay-diverged, log-tampered) or what was set "
        "aside (dead-lettered, projection-dead-lettered)"
    )
    title: str = Field(description="What happened, in Vietnamese")
    action: str = Field(description="What an operator does about it, in Vietnamese")
    detail: str = Field(description="What was found, as the service logged it")
    since: str = Field(description="When the service halted, or first set aside, RFC 3339 UTC")

    @classmethod
    def subject_of(cls, service: str) -> str:
        return f"{cls.SUBJECT_PREFIX}.{service}"

    def subject(self) -> str:
        return self.subject_of(self.service)


class LogHeartbeat(Message):
    """Nhịp nhật ký — a service says, while its log owes a checkpoint or its store grew, whether
    it takes commands and how many stored events its log must cover (issue #12 §3). A witness
    that holds no checkpoint that large within `checkpoint_every_seconds` (plus its grace) while
    the service takes commands says the log stalled."""

    SUBJECT_PREFIX: ClassVar[str] = "d73.audit.heartbeat"
    TYPE: ClassVar[str] = "d73.audit.heartbeat.v1"
    type: Literal["d73.audit.heartbeat.v1"] = "d73.audit.heartbeat.v1"
    service: str = Field(description="The service whose log this is")
    accepting: bool = Field(description="It takes commands (it is not halted)")
    log_due: int = Field(
        ge=0, description="Stored events its log must cover: at least this tree size is owed"
    )
    signed_size: int = Field(ge=0, description="Tree size of its latest checkpoint")
    checkpoint_every_seconds: float = Field(
        gt=0, description="It signs a checkpoint at least this often while its log grows"
    )
    connected_since: datetime | None = Field(
        None,
        description=(
            "Since when it has reached NATS without a break: a checkpoint owed from before "
            "could not leave, so the witness counts the wait from here"
        ),
    )

    @classmethod
    def subject_of(cls, service: str) -> str:
        return f"{cls.SUBJECT_PREFIX}.{service}"

    def subject(self) -> str:
        return self.subject_of(self.service)


AUDIT_MESSAGES: tuple[type[Message], ...] = (Checkpoint, ServiceAlarm, LogHeartbeat)
