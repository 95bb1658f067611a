"""The verifiable log of each publishing service (issue #6): its stored events as an RFC 9162
Merkle log, signed checkpoints on `d73.audit.checkpoint.<service>`, proofs and verification.

The cryptography is `shared.records.merkle`'s; this package applies it to a service's event store.
"""

from __future__ import annotations

from shared.platform.envelope import LOG_INDEX, LOG_LEAVES, TREE_ROOT, TREE_SIZE
from shared.platform.ports import LogTampered
from shared.records.servicelog.entries import EntryEncoder, decoded_state
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
