"""Giấy chứng nhận bảo vệ — the protection certificate, `d73.protection-certificate.v1`.

    {
      "format": "d73.protection-certificate.v1",
      "certificate_id": "<uuid5 of case id and determination event id>",
      "issued_at": "2026-11-26T10:00:00.000000Z",           # the checkpoint's time by default
      "service": "approval",
      "case_id": "...", "proposal_id": "...", "title": "...",
      "official": {<the proposer as the case holds them>},
      "competent_authority": {"unit_id", "head_id", "head_name", "deputy_ids"},
      "determination": {"official_id", "tier", "legal_basis", "reasons", "facts", "decision_ref",
                        "referred_to", "determined_at", "determined_by"},
      "plan_hash": "<sha256 hex of the approved plan's canonical JSON>",
      "establishing_events": [{"role": "plan_approved", "position": 5,
                               "entry": <log entry object>, "inclusion_path": ["<hex>", ...]}],
      "checkpoint": <Checkpoint.to_dict(): the signed log head every path leads to>,
      "signing_key": {"key_id": "<16 hex>", "public_key": "<base64 raw Ed25519>"},
      "verification_code": "ABCD-EFGH-JKLM-NPQR",
      "signature": "<base64 Ed25519>"
    }

Every fact is read from the entries (`shared.records.certificate.facts`), which the inclusion paths
tie to a checkpoint signed by the service's key; the service's key also signs the whole document:
`d73.protection-certificate.v1\\n` + canonical JSON of every field but `signature`. The
embedded key is informational: a verifier trusts only keys it obtained elsewhere.

The verification code (mã xác minh) is the first 80 bits, in RFC 4648 base32 and groups of four,
of SHA-256 over the same context line and the canonical JSON of every field but `signature`
and the code itself. Printed large on the paper copy, it ties the page to its JSON: whoever types
it into `d73 verify-certificate --code` checks that the file they verify is the one printed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.records.certificate import facts
from shared.records.certificate.roles import Role, chain_problems, event_name, role_of
from shared.records.merkle.bundle import proof_to_hex
from shared.records.merkle.canonical import FIRST_POSITION, canonical_json, decode_entry
from shared.records.merkle.checkpoint import Checkpoint, format_time
from shared.records.merkle.errors import ProofError
from shared.records.merkle.keys import key_id, public_key_b64
from shared.records.merkle.stored_state import entry_state
from shared.records.merkle.tree import leaf_hash, verify_inclusion
from shared.records.servicelog.entries import event_id_text

FORMAT = "d73.protection-certificate.v1"
SIGNATURE_CONTEXT = FORMAT.encode() + b"\n"
CODE_LENGTH = 16
"""Base32 characters of the verification code: 80 bits."""
UNSIGNED = frozenset({"signature"})
UNCODED = frozenset({"signature", "verification_code"})


class CertificateError(ValueError):
    """The entries given cannot make a certificate (wrong chain, no plan, no protection...)."""


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """One establishing event: its role, its canonical entry and its path to the checkpoint."""

    role: Role
    entry: bytes
    path: Sequence[bytes]


def signed_bytes(document: Mapping[str, Any]) -> bytes:
    """The message the service's key signs: the context line and everything but `signature`."""
    return SIGNATURE_CONTEXT + canonical_json(
        {name: value for name, value in document.items() if name not in UNSIGNED}
    )


def verification_code(document: Mapping[str, Any]) -> str:
    """`XXXX-XXXX-XXXX-XXXX` of the document's fields but `signature` and the code itself."""
    body = {name: value for name, value in document.items() if name not in UNCODED}
    digest = hashlib.sha256(SIGNATURE_CONTEXT + canonical_json(body)).digest()
    text = base64.b32encode(digest).decode("ascii")[:CODE_LENGTH]
    return "-".join(text[i : i + 4] for i in range(0, CODE_LENGTH, 4))


_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def normalise_code(text: str) -> str:
    """A code as someone typed it (any case, spaces or dashes, 0/1/8 for O/I/B) in the printed
    form; base32 has no 0, 1 or 8, so reading them as the letters they look like is safe."""
    letters = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_LOOKALIKES)
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def issue_certificate(
    *,
    private_key: Ed25519PrivateKey,
    checkpoint: Checkpoint,
    events: Sequence[ProvenEntry],
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """Sign a certificate over the establishing `events` of one case, each proved against
    `checkpoint` (signed by the same service). Raises `CertificateError` unless the events form
    the chain of `shared.records.certificate.roles` and grant protection.

    `issued_at` defaults to the checkpoint's time, when the log first signed everything the
    certificate lists: the same entries, checkpoint and key then always make the same document.
    """
    decoded = [decode_entry(event.entry) for event in events]
    states = [entry_state(entry) for entry in decoded]
    for event, entry, state in zip(events, decoded, states, strict=True):
        if role_of(event_name(entry["topic"]), state) is not event.role:
            raise CertificateError(f"the entry at position {entry['position']} is no {event.role}")
        try:
            verify_inclusion(
                leaf_hash(event.entry),
                entry["position"] - FIRST_POSITION,
                checkpoint.tree_size,
                event.path,
                checkpoint.root,
            )
        except ProofError as error:
            raise CertificateError(f"position {entry['position']}: {error}") from error
    problems = chain_problems([event.role for event in events])
    if problems:
        raise CertificateError("; ".join(problems))
    case_ids = {entry["originator_id"] for entry in decoded}
    if len(case_ids) != 1:
        raise CertificateError(f"the entries belong to {len(case_ids)} aggregates, not one")
    by_role = {event.role: state for event, state in zip(events, states, strict=True)}
    try:
        _, approved_hash = facts.approved_plan(by_role[Role.PLAN_APPROVED])
        found = facts.determination(by_role[Role.PROTECTION_DETERMINED])
        case = facts.case_facts(
            by_role[Role.CASE_OPENED], by_role[Role.PLAN_APPROVED], found["official_id"]
        )
    except facts.FactError as error:
        raise CertificateError(str(error)) from error
    if found["tier"] == facts.NO_PROTECTION:
        raise CertificateError("the determination grants no protection")
    case_id = case_ids.pop()
    determined = next(
        entry
        for event, entry in zip(events, decoded, strict=True)
        if event.role is Role.PROTECTION_DETERMINED
    )
    determination_id = event_id_text(checkpoint.service, case_id, determined["originator_version"])
    public_key = private_key.public_key()
    document: dict[str, Any] = {
        "format": FORMAT,
        "certificate_id": facts.certificate_id(case_id, determination_id),
        "issued_at": format_time(issued_at) if issued_at else checkpoint.time,
        "service": checkpoint.service,
        "case_id": case_id,
        **case,
        "determination": found,
        "plan_hash": approved_hash,
        "establishing_events": [
            {
                "role": event.role.value,
                "position": entry["position"],
                "entry": entry,
                "inclusion_path": proof_to_hex(event.path),
            }
            for event, entry in zip(events, decoded, strict=True)
        ],
        "checkpoint": checkpoint.to_dict(),
        "signing_key": {"key_id": key_id(public_key), "public_key": public_key_b64(public_key)},
    }
    document["verification_code"] = verification_code(document)
    signature = private_key.sign(signed_bytes(document))
    document["signature"] = base64.b64encode(signature).decode("ascii")
    return document
