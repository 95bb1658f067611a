"""What reporting publishes as the witness of the services' logs, on `d73.reporting.witness.*`
in stream D73_REPORTING (issue #6; design.md §4): its cosignature of each checkpoint it verified,
and each alarm it raised. Other agencies read them to know, without asking reporting, that the
logs were checked and by whom, and when something was wrong.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.contracts.audit import Cosignature
from shared.contracts.base import Contract, Message

_HASH = r"^[0-9a-f]{64}$"
_KEY_ID = r"^[0-9a-f]{16}$"


class WitnessMessage(Message):
    """A message of reporting's witness about one service's log."""

    SUBJECT: ClassVar[str]
    position: int = Field(description="Position in reporting's notification log")
    service: str = Field(description="The service whose log was witnessed")
    witness_id: str = Field("reporting", description="Who witnessed it")

    @classmethod
    def subject(cls) -> str:
        return cls.SUBJECT

    def ce_subject(self) -> str:
        return self.service


class SignedCheckpoint(Contract):
    """The signed part of a checkpoint (`shared.records.merkle.checkpoint.Checkpoint`)."""

    service: str
    tree_size: int = Field(ge=0)
    root_hash: str = Field(pattern=_HASH)
    time: str
    key_id: str = Field(pattern=_KEY_ID)
    signature: str


class CheckpointCosigned(WitnessMessage):
    """Đồng ký điểm kiểm tra — reporting checked this checkpoint (the service's signature, and
    that its log extends the checkpoint before it) and countersigned it. Anyone holding the
    witness's public key (`GET /audit/witness-key` on reporting) can check the cosignature."""

    SUBJECT: ClassVar[str] = "d73.reporting.witness.cosigned"
    TYPE: ClassVar[str] = "d73.reporting.witness.cosigned.v1"
    type: Literal["d73.reporting.witness.cosigned.v1"] = "d73.reporting.witness.cosigned.v1"
    checkpoint: SignedCheckpoint
    cosignature: Cosignature


class LogAlarm(WitnessMessage):
    """Báo động nhật ký — the witness found a service's log not as it should be: `log-gap`,
    `missing-log-head`, `malformed-log-head`, `root-mismatch`, `unknown-key`, `bad-signature`,
    `malformed-checkpoint`, `inconsistent-checkpoint`, `checkpoint-mismatch`, `fork`,
    `log-stalled` (the service takes commands but its log stopped growing) or `service-halted`
    (the service itself stopped taking commands)
    (docs/operators.md says what each means)."""

    SUBJECT: ClassVar[str] = "d73.reporting.witness.alarm"
    TYPE: ClassVar[str] = "d73.reporting.witness.alarm.v1"
    type: Literal["d73.reporting.witness.alarm.v1"] = "d73.reporting.witness.alarm.v1"
    kind: str
    detail: str
    detected_at: str
    tree_size: int | None = None
    event_id: str | None = Field(None, description="The event that revealed it, if one did")
    upstream_seq: int | None = Field(None, description="Its sequence in the upstream stream")
    facts: dict[str, Any] = Field(
        default_factory=dict, description="Anything else the alarm recorded (missing range…)"
    )


WITNESS_MESSAGES: tuple[type[WitnessMessage], ...] = (CheckpointCosigned, LogAlarm)
