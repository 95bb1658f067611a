"""Typed failures of the audit library, so callers can map each to one outcome."""

from __future__ import annotations


class AuditError(Exception):
    """Base of every failure raised by `shared.records.merkle`."""


class CanonicalEncodingError(AuditError, ValueError):
    """A value has no canonical JSON form (NaN, a non-string key, an unknown type, ...)."""


class ProofError(AuditError):
    """A Merkle proof does not prove what it claims."""


class InvalidInclusionProof(ProofError):
    """The audit path does not lead from the leaf to the signed root (RFC 9162 §2.1.3.2)."""


class InvalidConsistencyProof(ProofError):
    """The consistency path does not join the two tree heads (RFC 9162 §2.1.4.2)."""


class CheckpointError(AuditError):
    """A signed checkpoint cannot be trusted."""


class MalformedCheckpoint(CheckpointError):
    """A field of the checkpoint is missing or has the wrong shape."""


class WrongKey(CheckpointError):
    """The checkpoint names a key other than the one it is checked with."""


class BadSignature(CheckpointError):
    """The Ed25519 signature does not match the checkpoint's canonical bytes."""


class WrongService(CheckpointError):
    """The checkpoint belongs to another service's log."""


class KeyFileError(AuditError):
    """A key file is unreadable or holds something other than an Ed25519 key."""
