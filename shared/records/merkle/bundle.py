"""The audit bundle: one JSON document an auditor can check offline (`d73 verify-bundle`).

    {
      "format": "d73.audit.bundle.v1",
      "service": "registration",
      "public_keys": [{"key_id": "<16 hex>", "public_key": "<base64 raw Ed25519>"}],
      "witness_keys": [{"witness_id": "reporting", "key_id": "...", "public_key": "..."}],
      "checkpoints": [<Checkpoint.to_dict()>, ...],           # ascending tree_size and time
      "entries": [<entry object>, ...],                       # optional: the log from position 1
      "selected": [{"entry": <entry object>, "leaf_index": 41,
                    "tree_size": 100, "inclusion_path": ["<hex>", ...]}],
      "consistency_proofs": [{"first_size": 10, "second_size": 100, "path": ["<hex>", ...]}]
    }

An entry object is the decoded log entry (`position`, `topic`, `originator_id`,
`originator_version`, `stored_state`: `shared.records.merkle.canonical.decode_entry`); the
verifier turns it back into the entry's bytes (`entry_bytes`). `entries`
proves the whole log; `selected` proves single events (a protection record) against a
checkpoint, and `consistency_proofs` chain the checkpoints to each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.records.merkle.canonical import FIRST_POSITION, decode_entry
from shared.records.merkle.checkpoint import Checkpoint
from shared.records.merkle.errors import ProofError
from shared.records.merkle.keys import key_id, public_key_b64
from shared.records.merkle.tree import HASH_SIZE, MAX_PROOF_LENGTH, MerkleTree

BUNDLE_FORMAT = "d73.audit.bundle.v1"


def proof_to_hex(path: Sequence[bytes]) -> list[str]:
    """A proof path as the JSON list of lowercase hex strings that bundles carry."""
    return [node.hex() for node in path]


def proof_from_hex(items: object) -> list[bytes]:
    """The path of `proof_to_hex`; `ProofError` if it is not a list of 32-byte hex hashes."""
    if not isinstance(items, list) or len(items) > MAX_PROOF_LENGTH:
        raise ProofError("a proof path must be a list of at most 128 hex hashes")
    path: list[bytes] = []
    for item in items:
        if not isinstance(item, str) or len(item) != 2 * HASH_SIZE:
            raise ProofError(f"a path element must be {2 * HASH_SIZE} hex digits")
        try:
            path.append(bytes.fromhex(item))
        except ValueError as error:
            raise ProofError("a path element is not hex") from error
    return path


def export_bundle(
    *,
    service: str,
    log_keys: Iterable[Ed25519PublicKey],
    checkpoints: Sequence[Checkpoint],
    tree: MerkleTree,
    entries: Sequence[bytes],
    include_all_entries: bool = True,
    selected_positions: Iterable[int] = (),
    witness_keys: Mapping[str, Ed25519PublicKey] | None = None,
) -> dict[str, Any]:
    """Build the bundle of `service`'s log (`entries[i]` is leaf i of `tree`).

    Selected entries are proved against the largest checkpoint covering them, the one most
    witnesses hold; consecutive checkpoints get a consistency proof.
    """
    ordered = sorted(checkpoints, key=lambda checkpoint: (checkpoint.tree_size, checkpoint.time))
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "service": service,
        "public_keys": [
            {"key_id": key_id(key), "public_key": public_key_b64(key)} for key in log_keys
        ],
        "witness_keys": [
            {"witness_id": witness_id, "key_id": key_id(key), "public_key": public_key_b64(key)}
            for witness_id, key in (witness_keys or {}).items()
        ],
        "checkpoints": [checkpoint.to_dict() for checkpoint in ordered],
    }
    if include_all_entries:
        bundle["entries"] = [decode_entry(entry) for entry in entries]
    selected = []
    for position in selected_positions:
        index = position - FIRST_POSITION
        proved_by = max(
            (checkpoint for checkpoint in ordered if checkpoint.tree_size > index),
            key=lambda checkpoint: checkpoint.tree_size,
            default=None,
        )
        if proved_by is None:
            raise ValueError(f"no checkpoint covers position {position} yet")
        selected.append(
            {
                "entry": decode_entry(entries[index]),
                "leaf_index": index,
                "tree_size": proved_by.tree_size,
                "inclusion_path": proof_to_hex(tree.inclusion_proof(index, proved_by.tree_size)),
            }
        )
    if selected:
        bundle["selected"] = selected
    sizes = sorted({checkpoint.tree_size for checkpoint in ordered})
    bundle["consistency_proofs"] = [
        {
            "first_size": first,
            "second_size": second,
            "path": proof_to_hex(tree.consistency_proof(first, second)),
        }
        for first, second in pairwise(sizes)
    ]
    return bundle
