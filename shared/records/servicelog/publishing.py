"""Checkpoints on the wire: `d73.audit.checkpoint.<service>` in stream D73_AUDIT.

`Nats-Msg-Id` is the checkpoint's id, derived from its service and tree size, so a checkpoint
republished after a crash is dropped by the server; CloudEvents attributes travel in headers as
for every D73 message (`shared.platform.envelope.cloudevent_headers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import ValidationError

from shared.contracts.audit import Checkpoint, Consistency, Cosignature
from shared.platform.envelope import CE_TYPE, PoisonMessage, cloudevent_headers
from shared.records.merkle.bundle import proof_to_hex
from shared.records.merkle.checkpoint import Checkpoint as SignedCheckpoint
from shared.records.merkle.checkpoint import Cosignature as SignedCosignature


@dataclass(frozen=True, slots=True)
class NewCheckpoint:
    """A checkpoint just signed and kept, with the proof that it extends the previous one: what
    the relay publishes (`shared.platform.ports.LogCheckpoint`)."""

    checkpoint: SignedCheckpoint
    previous_size: int | None
    consistency_path: tuple[bytes, ...]
    frontier: tuple[bytes, ...] = ()
    """The log's frontier at the checkpoint's size (`MerkleTree.frontier`)."""

    @property
    def tree_size(self) -> int:
        return self.checkpoint.tree_size

    def message(self) -> tuple[str, bytes, dict[str, str]]:
        return checkpoint_message(self)


def checkpoint_event_id(service: str, tree_size: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"/d73/{service}/audit/checkpoints/{tree_size}")


def checkpoint_contract(new: NewCheckpoint) -> Checkpoint:
    signed = new.checkpoint
    consistency = (
        Consistency(first_size=new.previous_size, path=proof_to_hex(new.consistency_path))
        if new.previous_size is not None
        else None
    )
    return Checkpoint(
        id=checkpoint_event_id(signed.service, signed.tree_size),
        occurred_at=signed.instant,
        service=signed.service,
        tree_size=signed.tree_size,
        root_hash=signed.root_hash,
        time=signed.time,
        key_id=signed.key_id,
        signature=signed.signature,
        cosignatures=[Cosignature(**c.to_dict()) for c in signed.cosignatures],
        consistency=consistency,
        frontier=proof_to_hex(new.frontier),
    )


def checkpoint_message(new: NewCheckpoint) -> tuple[str, bytes, dict[str, str]]:
    """Subject, body and headers of a checkpoint's message."""
    contract = checkpoint_contract(new)
    headers = cloudevent_headers(
        contract, contract.service, f"{contract.service}/{contract.tree_size}"
    )
    return contract.subject(), contract.model_dump_json().encode(), headers


def read_checkpoint_message(headers: Mapping[str, str] | None, body: bytes) -> Checkpoint:
    """The checkpoint in a message, or `PoisonMessage` saying why not (its signature is the
    reader's to check: `signed_checkpoint` then `shared.records.merkle.verify_checkpoint`)."""
    kind = (headers or {}).get(CE_TYPE)
    if kind != Checkpoint.TYPE:
        raise PoisonMessage(f"not a checkpoint: ce-type {kind!r}")
    try:
        return Checkpoint.model_validate_json(body)
    except ValidationError as error:
        raise PoisonMessage(f"invalid {Checkpoint.TYPE}: {error.errors()[0]['msg']}") from None


def signed_checkpoint(contract: Checkpoint) -> SignedCheckpoint:
    """The signed part of a checkpoint message, as `shared.records.merkle` verifies it."""
    return SignedCheckpoint(
        service=contract.service,
        tree_size=contract.tree_size,
        root_hash=contract.root_hash,
        time=contract.time,
        key_id=contract.key_id,
        signature=contract.signature,
        cosignatures=tuple(
            SignedCosignature(c.witness_id, c.key_id, c.time, c.signature)
            for c in contract.cosignatures
        ),
    )
