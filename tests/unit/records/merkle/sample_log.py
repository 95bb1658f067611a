"""A small signed log of realistic registration events, shared by the audit tests."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.records.merkle.bundle import export_bundle
from shared.records.merkle.canonical import encode_canonical_entry, encode_entry
from shared.records.merkle.checkpoint import Checkpoint, cosign_checkpoint, sign_checkpoint
from shared.records.merkle.tree import MerkleTree

SERVICE = "registration"
WITNESS = "reporting"
START = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
_NS = uuid.UUID("6f1c3a52-6d0b-4f4e-9d55-0d7e3c1b2a90")


def registration_entry(position: int, entry_format: int = 2) -> bytes:
    """Notification `position`: one proposal event with a Vietnamese payload (~450 bytes), as
    an entry of `entry_format` (`shared.records.servicelog.format`)."""
    proposal = str(uuid.uuid5(_NS, f"proposal-{position // 3}"))
    state: dict[str, Any] = {
        "proposal_ref": f"CT-2026-{position:07d}",
        "title": f"Cải tiến tiếp nhận hồ sơ số {position}",
        "proposer_name": "Nguyễn Văn An",
        "agency_code": "STP",
        "budget_vnd": 150_000_000 + position,
    }
    timestamp = START + timedelta(minutes=position)
    header: dict[str, Any] = {
        "position": position,
        "topic": "services.registration.domain.proposal:Proposal.Submitted",
        "originator_id": proposal,
        "originator_version": 1 + position % 3,
    }
    if entry_format == 1:
        return encode_canonical_entry(
            **header,
            event_id=str(uuid.uuid5(_NS, f"event-{position}")),
            state={**state, "timestamp": timestamp},
        )
    # As the event store writes it: the datetime as a transcoding marker.
    stored = {**state, "timestamp": {"_type_": "datetime_iso", "_data_": timestamp.isoformat()}}
    return encode_entry(**header, state=orjson.dumps(stored))


def state_of(entry: dict[str, Any]) -> dict[str, Any]:
    """The state an entry object carries, as its store wrote it (either format)."""
    if "state" in entry:
        state: dict[str, Any] = entry["state"]
        return state
    parsed: dict[str, Any] = orjson.loads(entry["stored_state"])
    return parsed


def edit_state(entry: dict[str, Any], **changes: Any) -> None:
    """Change fields of the state an entry object carries (a tamperer's edit)."""
    if "state" in entry:
        entry["state"].update(changes)
    else:
        entry["stored_state"] = orjson.dumps({**state_of(entry), **changes}).decode()


@dataclass
class SignedLog:
    """A service's log with its tree, signed checkpoints (cosigned by a witness) and keys."""

    entries: list[bytes]
    tree: MerkleTree
    checkpoints: list[Checkpoint]
    log_key: Ed25519PrivateKey
    witness_key: Ed25519PrivateKey

    def bundle(self, *, full: bool = True, selected: tuple[int, ...] = ()) -> dict[str, Any]:
        return export_bundle(
            service=SERVICE,
            log_keys=[self.log_key.public_key()],
            checkpoints=self.checkpoints,
            tree=self.tree,
            entries=self.entries,
            include_all_entries=full,
            selected_positions=selected,
            witness_keys={WITNESS: self.witness_key.public_key()},
        )


def signed_log(
    size: int = 40,
    checkpoint_sizes: tuple[int, ...] = (10, 25, 40),
    *,
    log_key: Ed25519PrivateKey | None = None,
    witness_key: Ed25519PrivateKey | None = None,
    service: str = SERVICE,
    entry_format: int = 2,
) -> SignedLog:
    log_key = log_key or Ed25519PrivateKey.generate()
    witness_key = witness_key or Ed25519PrivateKey.generate()
    entries = [registration_entry(position, entry_format) for position in range(1, size + 1)]
    tree = MerkleTree.from_entries(entries)
    checkpoints = []
    for number, tree_size in enumerate(checkpoint_sizes):
        checkpoint = sign_checkpoint(
            log_key,
            service=service,
            tree_size=tree_size,
            root_hash=tree.root(tree_size),
            time=START + timedelta(hours=number),
        )
        cosignature = cosign_checkpoint(
            witness_key,
            checkpoint,
            witness_id=WITNESS,
            time=START + timedelta(hours=number, minutes=1),
        )
        checkpoints.append(checkpoint.with_cosignature(cosignature))
    return SignedLog(entries, tree, checkpoints, log_key, witness_key)


def edited(bundle: dict[str, Any]) -> dict[str, Any]:
    """A deep copy to tamper with, leaving the original intact."""
    return copy.deepcopy(bundle)
