"""The verifiable log of each publishing service (issue #6): its stored events as an RFC 9162
Merkle log, signed checkpoints on `d73.audit.checkpoint.<service>`, proofs and verification.

The cryptography is `shared.audit`'s; this package applies it to a service's event store.
"""

from __future__ import annotations

from shared.auditlog.entries import EntryEncoder, decoded_state
from shared.auditlog.heads import (
    LOG_INDEX,
    LOG_LEAVES,
    TREE_ROOT,
    TREE_SIZE,
    MalformedLogHead,
    PublishedHead,
    read_log_headers,
)
from shared.auditlog.keys import ServiceKeys, key_dir_of, trusted_public_keys
from shared.auditlog.log import (
    ConsistencyProof,
    InclusionProof,
    LogHead,
    LogNotReady,
    LogTampered,
    NewCheckpoint,
    ServiceLog,
)
from shared.auditlog.table import CheckpointTable
from shared.auditlog.tree import ChunkChanged, ChunkedMerkleTree

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
