"""The verifiable log of each publishing service (issue #6): its stored events as an RFC 9162
Merkle log, signed checkpoints on `d73.audit.checkpoint.<service>`, proofs and verification.

The cryptography is `shared.records.merkle`'s; this package applies it to a service's event store.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.platform.envelope import LOG_INDEX, LOG_LEAVES, TREE_ROOT, TREE_SIZE
    from shared.platform.ports import LogTampered
    from shared.records.merkle.stored_state import decoded_state
    from shared.records.servicelog.entries import EntryEncoder
    from shared.records.servicelog.heads import (
        MalformedLogHead,
        PublishedHead,
        read_log_headers,
    )
    from shared.records.servicelog.keys import ServiceKeys, key_dir_of, trusted_public_keys
    from shared.records.servicelog.log import (
        ConsistencyProof,
        InclusionProof,
        LogHead,
        LogNotReady,
        ServiceLog,
    )
    from shared.records.servicelog.publishing import NewCheckpoint
    from shared.records.servicelog.table import CheckpointTable
    from shared.records.servicelog.tree import ChunkChanged, ChunkedMerkleTree

_HOMES = {
    "LOG_INDEX": "shared.platform.envelope",
    "LOG_LEAVES": "shared.platform.envelope",
    "TREE_ROOT": "shared.platform.envelope",
    "TREE_SIZE": "shared.platform.envelope",
    "LogTampered": "shared.platform.ports",
    "EntryEncoder": "shared.records.servicelog.entries",
    "decoded_state": "shared.records.merkle.stored_state",
    "MalformedLogHead": "shared.records.servicelog.heads",
    "PublishedHead": "shared.records.servicelog.heads",
    "read_log_headers": "shared.records.servicelog.heads",
    "ServiceKeys": "shared.records.servicelog.keys",
    "key_dir_of": "shared.records.servicelog.keys",
    "trusted_public_keys": "shared.records.servicelog.keys",
    "ConsistencyProof": "shared.records.servicelog.log",
    "InclusionProof": "shared.records.servicelog.log",
    "LogHead": "shared.records.servicelog.log",
    "LogNotReady": "shared.records.servicelog.log",
    "ServiceLog": "shared.records.servicelog.log",
    "NewCheckpoint": "shared.records.servicelog.publishing",
    "CheckpointTable": "shared.records.servicelog.table",
    "ChunkChanged": "shared.records.servicelog.tree",
    "ChunkedMerkleTree": "shared.records.servicelog.tree",
}
"""Where each name this package offers lives: imported on first use (PEP 562), so a process
that needs one module of the package (`d73 verify` needs `verify` and `entries`) does not
import the service log's whole stack (the message contracts' models: ~0.8 s of CPU)."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "LOG_INDEX",
    "LOG_LEAVES",
    "TREE_ROOT",
    "TREE_SIZE",
    "CheckpointTable",
    "ChunkChanged",
    "ChunkedMerkleTree",
    "ConsistencyProof",
    "EntryEncoder",
    "InclusionProof",
    "LogHead",
    "LogNotReady",
    "LogTampered",
    "MalformedLogHead",
    "NewCheckpoint",
    "PublishedHead",
    "ServiceKeys",
    "ServiceLog",
    "decoded_state",
    "key_dir_of",
    "read_log_headers",
    "trusted_public_keys",
]
