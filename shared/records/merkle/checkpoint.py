"""Signed checkpoints (signed tree heads) of a service's log, and witnesses' cosignatures.

A checkpoint says "the log of `service` had `tree_size` entries with Merkle root `root_hash` at
`time`", signed with the service's Ed25519 key. Once a witness (reporting, another agency) holds
it, editing, deleting or reordering any of those entries is detectable by anyone.

Signed bytes: `d73.audit.checkpoint.v1\\n` + canonical JSON of the five body fields
(`key_id`, `root_hash`, `service`, `time`, `tree_size`). A witness signs
`d73.audit.cosignature.v1\\n` + canonical JSON of (`key_id`, `time`, `witness_id`) + `\\n` +
the checkpoint's signed bytes. The context lines keep a signature of one kind from passing for
the other, and canonical JSON never holds a raw newline, so the message splits one way only.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.records.merkle.canonical import canonical_json
from shared.records.merkle.errors import BadSignature, MalformedCheckpoint, WrongKey, WrongService
from shared.records.merkle.keys import key_id as key_id_of
from shared.records.merkle.tree import HASH_SIZE

CHECKPOINT_CONTEXT = b"d73.audit.checkpoint.v1\n"
COSIGNATURE_CONTEXT = b"d73.audit.cosignature.v1\n"
SIGNATURE_SIZE = 64

_ROOT_HASH = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds and `Z`: fixed width, so it also sorts as text."""
    if moment.tzinfo is None:
        raise ValueError("a checkpoint time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """The instant of an RFC 3339 UTC time (`...Z`); `MalformedCheckpoint` otherwise."""
    if not isinstance(text, str) or not _UTC_TIME.fullmatch(text):
        raise MalformedCheckpoint(
            f"time is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS[.ffffff]Z): {text!r}"
        )
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise MalformedCheckpoint(f"time is not a real instant: {text!r}") from error


def _decode_signature(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError) as error:
        raise MalformedCheckpoint("signature is not base64") from error
    if len(raw) != SIGNATURE_SIZE:
        raise MalformedCheckpoint(f"an Ed25519 signature has {SIGNATURE_SIZE} bytes")
    return raw


def _check_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise MalformedCheckpoint(f"{field} must be a short name of letters, digits, . _ : -")
    return value


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A witness's signature that it saw the checkpoint (and checked it) at `time`."""

    witness_id: str
    key_id: str
    time: str
    signature: str

    def to_dict(self) -> dict[str, str]:
        return {
            "witness_id": self.witness_id,
            "key_id": self.key_id,
            "time": self.time,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cosignature:
        """Parse and check the shape of a cosignature; `MalformedCheckpoint` if wrong."""
        if not isinstance(data, Mapping):
            raise MalformedCheckpoint("a cosignature must be an object")
        try:
            cosignature = cls(
                witness_id=data["witness_id"],
                key_id=data["key_id"],
                time=data["time"],
                signature=data["signature"],
            )
        except KeyError as error:
            raise MalformedCheckpoint(f"cosignature lacks {error.args[0]!r}") from error
        cosignature.check_shape()
        return cosignature

    def check_shape(self) -> None:
        _check_name("witness_id", self.witness_id)
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise MalformedCheckpoint("cosignature key_id must be 16 lowercase hex digits")
        parse_time(self.time)
        _decode_signature(self.signature)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Điểm kiểm tra nhật ký: the signed head of one service's log at `tree_size` entries."""

    service: str
    tree_size: int
    root_hash: str
    time: str
    key_id: str
    signature: str
    cosignatures: tuple[Cosignature, ...] = ()

    @property
    def root(self) -> bytes:
        """The Merkle root as bytes."""
        return bytes.fromhex(self.root_hash)

    @property
    def instant(self) -> datetime:
        return parse_time(self.time)

    def body(self) -> dict[str, Any]:
        """The fields the log's signature covers."""
        return {
            "service": self.service,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "time": self.time,
            "key_id": self.key_id,
        }

    def signed_bytes(self) -> bytes:
        """The exact message the service's key signs."""
        return CHECKPOINT_CONTEXT + canonical_json(self.body())

    def to_dict(self) -> dict[str, Any]:
        """The JSON form published on `d73.audit.checkpoint.<service>` and kept in bundles."""
        data = {**self.body(), "signature": self.signature}
        if self.cosignatures:
            data["cosignatures"] = [cosignature.to_dict() for cosignature in self.cosignatures]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        """Parse and check the shape of a checkpoint (not its signature)."""
        if not isinstance(data, Mapping):
            raise MalformedCheckpoint("a checkpoint must be an object")
        cosignatures = data.get("cosignatures", [])
        if not isinstance(cosignatures, list):
            raise MalformedCheckpoint("cosignatures must be a list")
        try:
            checkpoint = cls(
                service=data["service"],
                tree_size=data["tree_size"],
                root_hash=data["root_hash"],
                time=data["time"],
                key_id=data["key_id"],
                signature=data["signature"],
                cosignatures=tuple(Cosignature.from_dict(item) for item in cosignatures),
            )
        except KeyError as error:
            raise MalformedCheckpoint(f"checkpoint lacks {error.args[0]!r}") from error
        checkpoint.check_shape()
        return checkpoint

    def check_shape(self) -> None:
        """Raise `MalformedCheckpoint` unless every field has its documented form."""
        _check_name("service", self.service)
        if type(self.tree_size) is not int or self.tree_size < 0:
            raise MalformedCheckpoint(f"tree_size must be an int >= 0: {self.tree_size!r}")
        if not isinstance(self.root_hash, str) or not _ROOT_HASH.fullmatch(self.root_hash):
            raise MalformedCheckpoint(f"root_hash must be {2 * HASH_SIZE} lowercase hex digits")
        parse_time(self.time)
        if not isinstance(self.key_id, str) or not _KEY_ID.fullmatch(self.key_id):
            raise MalformedCheckpoint("key_id must be 16 lowercase hex digits")
        _decode_signature(self.signature)
        for cosignature in self.cosignatures:
            cosignature.check_shape()

    def with_cosignature(self, cosignature: Cosignature) -> Checkpoint:
        """The same checkpoint carrying one more witness cosignature."""
        return replace(self, cosignatures=(*self.cosignatures, cosignature))


def sign_checkpoint(
    private_key: Ed25519PrivateKey,
    *,
    service: str,
    tree_size: int,
    root_hash: bytes,
    time: datetime | None = None,
) -> Checkpoint:
    """Sign the head of `service`'s log: `tree_size` entries whose Merkle root is `root_hash`."""
    if len(root_hash) != HASH_SIZE:
        raise ValueError(f"a root hash has {HASH_SIZE} bytes, not {len(root_hash)}")
    unsigned = Checkpoint(
        service=service,
        tree_size=tree_size,
        root_hash=root_hash.hex(),
        time=format_time(time or datetime.now(UTC)),
        key_id=key_id_of(private_key.public_key()),
        signature=base64.b64encode(bytes(SIGNATURE_SIZE)).decode("ascii"),
    )
    unsigned.check_shape()
    signature = private_key.sign(unsigned.signed_bytes())
    return replace(unsigned, signature=base64.b64encode(signature).decode("ascii"))


def verify_checkpoint(
    public_key: Ed25519PublicKey, checkpoint: Checkpoint, *, service: str | None = None
) -> None:
    """Raise unless `checkpoint` is well formed, of `service` (if given) and signed by the key.

    `MalformedCheckpoint`, `WrongService`, `WrongKey` or `BadSignature`, in that order.
    """
    checkpoint.check_shape()
    if service is not None and checkpoint.service != service:
        raise WrongService(f"checkpoint of {checkpoint.service!r}, expected {service!r}")
    expected_key_id = key_id_of(public_key)
    if checkpoint.key_id != expected_key_id:
        raise WrongKey(f"checkpoint names key {checkpoint.key_id}, checked with {expected_key_id}")
    try:
        public_key.verify(_decode_signature(checkpoint.signature), checkpoint.signed_bytes())
    except InvalidSignature as error:
        raise BadSignature(
            f"signature of {checkpoint.service} at size {checkpoint.tree_size} is not valid"
        ) from error


def _cosigned_bytes(checkpoint: Checkpoint, witness_id: str, key_id: str, time: str) -> bytes:
    statement = canonical_json({"witness_id": witness_id, "key_id": key_id, "time": time})
    return COSIGNATURE_CONTEXT + statement + b"\n" + checkpoint.signed_bytes()


def cosign_checkpoint(
    witness_key: Ed25519PrivateKey,
    checkpoint: Checkpoint,
    *,
    witness_id: str,
    time: datetime | None = None,
) -> Cosignature:
    """A witness's countersignature over the checkpoint.

    The witness must first have verified the checkpoint's signature and its consistency with
    the last checkpoint it cosigned for that service; cosigning states that it did.
    """
    checkpoint.check_shape()
    _check_name("witness_id", witness_id)
    witness_key_id = key_id_of(witness_key.public_key())
    when = format_time(time or datetime.now(UTC))
    signature = witness_key.sign(_cosigned_bytes(checkpoint, witness_id, witness_key_id, when))
    return Cosignature(
        witness_id=witness_id,
        key_id=witness_key_id,
        time=when,
        signature=base64.b64encode(signature).decode("ascii"),
    )


def verify_cosignature(
    public_key: Ed25519PublicKey, checkpoint: Checkpoint, cosignature: Cosignature
) -> None:
    """Raise `WrongKey` or `BadSignature` unless the witness key signed this checkpoint."""
    cosignature.check_shape()
    expected_key_id = key_id_of(public_key)
    if cosignature.key_id != expected_key_id:
        raise WrongKey(
            f"cosignature names key {cosignature.key_id}, checked with {expected_key_id}"
        )
    message = _cosigned_bytes(
        checkpoint, cosignature.witness_id, cosignature.key_id, cosignature.time
    )
    try:
        public_key.verify(_decode_signature(cosignature.signature), message)
    except InvalidSignature as error:
        raise BadSignature(
            f"cosignature of {cosignature.witness_id} on {checkpoint.service} at size "
            f"{checkpoint.tree_size} is not valid"
        ) from error
