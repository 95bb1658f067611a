"""Offline verification of a protection certificate (`d73 verify-certificate`).

Needs nothing but the document and the approval service's public key(s), obtained out of band
(the key file an operator publishes, `GET /audit/public-key`): the key embedded in the document
is only a label. Every problem found is reported
(`shared.records.merkle.verify.VerificationReport`), each kind of tampering with its own code, so an
auditor sees at once what was changed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.records.certificate import facts
from shared.records.certificate.document import (
    FORMAT,
    normalise_code,
    signed_bytes,
    verification_code,
)
from shared.records.certificate.roles import Role, chain_problems, event_name, role_of
from shared.records.merkle.bundle import proof_from_hex
from shared.records.merkle.canonical import (
    FIRST_POSITION,
    canonical_json,
    entry_bytes,
    is_entry_object,
)
from shared.records.merkle.checkpoint import Checkpoint, verify_checkpoint
from shared.records.merkle.errors import (
    BadSignature,
    CanonicalEncodingError,
    CheckpointError,
    KeyFileError,
    MalformedCheckpoint,
    ProofError,
)
from shared.records.merkle.keys import key_id, public_key_from_b64
from shared.records.merkle.stored_state import entry_state
from shared.records.merkle.tree import leaf_hash, verify_inclusion
from shared.records.merkle.verify import ProblemCode, VerificationReport, check_cosignature
from shared.records.servicelog.entries import event_id_text

REQUIRED = frozenset(
    {
        "format",
        "certificate_id",
        "issued_at",
        "service",
        "case_id",
        "proposal_id",
        "official",
        "title",
        "competent_authority",
        "determination",
        "plan_hash",
        "establishing_events",
        "checkpoint",
        "signing_key",
        "verification_code",
        "signature",
    }
)
CASE_FIELDS = ("proposal_id", "official", "title", "competent_authority")

Entries = dict[Role, list[Mapping[str, Any]]]
"""The well-formed entry objects by role, each with its `state` read (`entry_state`)."""


def verify_certificate(
    document: object,
    *,
    trusted_keys: Iterable[Ed25519PublicKey],
    expected_code: str | None = None,
    witnessed: Sequence[object] = (),
    witness_keys: Iterable[Ed25519PublicKey] = (),
) -> VerificationReport:
    """Check a certificate against the service keys the caller trusts, and, if given, against
    the verification code printed on its paper copy.

    With `witnessed` (the checkpoints a witness holds, as its API lists them) the certificate's
    checkpoint must be among them with the same root; with `witness_keys` it must carry a valid
    cosignature by one of them: then even whoever holds the service's key could not have made
    the certificate's log up after the fact."""
    service = document.get("service") if isinstance(document, Mapping) else None
    report = VerificationReport(service if isinstance(service, str) else "?")
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        report.add(ProblemCode.MALFORMED_CERTIFICATE, f"not a {FORMAT} document")
        return report
    missing = REQUIRED - document.keys()
    if missing or not isinstance(service, str):
        report.add(
            ProblemCode.MALFORMED_CERTIFICATE,
            f"the certificate lacks {', '.join(sorted(missing or {'service'}))}",
        )
        return report
    keys = {key_id(key): key for key in trusted_keys}
    _check_signature(report, document, keys)
    _check_code(report, document, expected_code)
    checkpoint = _check_checkpoint(report, document, keys)
    entries = _check_events(report, document, checkpoint)
    _check_facts(report, document, entries)
    if checkpoint is not None and (witnessed or witness_keys):
        _check_witnessed(report, checkpoint, witnessed, list(witness_keys))
    if checkpoint is not None:
        report.notes.append(
            f"the certificate proves the determination as the log held it at {checkpoint.time}; "
            "a later finding (Art 6) would come after it in the log"
        )
    return report


# ---------------------------------------------------------------------- signature and code


def _check_signature(
    report: VerificationReport, document: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]
) -> None:
    signing = document["signing_key"]
    stated = signing.get("key_id") if isinstance(signing, Mapping) else None
    try:
        embedded = public_key_from_b64(signing["public_key"])
        if key_id(embedded) != stated:
            raise KeyFileError(f"key_id {stated!r} is not the id of the key beside it")
    except (KeyFileError, KeyError, TypeError) as error:
        report.add(ProblemCode.MALFORMED_KEY, f"signing_key: {error}")
    key = keys.get(stated) if isinstance(stated, str) else None
    if key is None:
        report.add(
            ProblemCode.UNTRUSTED_KEY,
            f"the certificate is signed with key {stated}, which is not a trusted key of "
            f"{report.service}",
        )
        return
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        key.verify(signature, signed_bytes(document))
    except (InvalidSignature, binascii.Error, ValueError, TypeError) as error:
        detail = "does not match its contents" if isinstance(error, InvalidSignature) else error
        report.add(
            ProblemCode.CERTIFICATE_SIGNATURE_INVALID,
            f"the signature of key {stated} {detail}: something was changed after signing",
        )


def _check_code(
    report: VerificationReport, document: Mapping[str, Any], expected: str | None
) -> None:
    stated = document["verification_code"]
    try:
        computed: str | None = verification_code(document)
    except CanonicalEncodingError:
        computed = None
    if stated != computed:
        report.add(
            ProblemCode.VERIFICATION_CODE_MISMATCH,
            f"the certificate states code {stated!r}, but its contents give {computed}",
        )
    if expected is not None and normalise_code(expected) != stated:
        report.add(
            ProblemCode.VERIFICATION_CODE_MISMATCH,
            f"the code {expected!r} is not this certificate's ({stated})",
        )


# ------------------------------------------------------------------------------ checkpoint


def _check_checkpoint(
    report: VerificationReport, document: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]
) -> Checkpoint | None:
    try:
        checkpoint = Checkpoint.from_dict(document["checkpoint"])
    except MalformedCheckpoint as error:
        report.add(ProblemCode.MALFORMED_CHECKPOINT, f"checkpoint: {error}")
        return None
    report.checkpoints_checked += 1
    size = checkpoint.tree_size
    if checkpoint.service != report.service:
        report.add(
            ProblemCode.WRONG_SERVICE,
            f"the checkpoint is of {checkpoint.service!r}'s log, not {report.service!r}'s",
            tree_size=size,
        )
    key = keys.get(checkpoint.key_id)
    if key is None:
        report.add(
            ProblemCode.WRONG_KEY,
            f"the checkpoint is signed with key {checkpoint.key_id}, which is not a trusted key "
            f"of {report.service}",
            tree_size=size,
        )
        return checkpoint
    try:
        verify_checkpoint(key, checkpoint)
    except BadSignature as error:
        report.add(ProblemCode.BAD_SIGNATURE, str(error), tree_size=size)
    except CheckpointError as error:
        report.add(ProblemCode.WRONG_KEY, str(error), tree_size=size)
    return checkpoint


def _check_witnessed(
    report: VerificationReport,
    checkpoint: Checkpoint,
    witnessed: Sequence[object],
    witness_keys: Sequence[Ed25519PublicKey],
) -> None:
    size = checkpoint.tree_size
    held: list[Checkpoint] = []
    for raw in witnessed:
        try:
            candidate = Checkpoint.from_dict(raw)  # type: ignore[arg-type]
        except MalformedCheckpoint as error:
            report.add(ProblemCode.MALFORMED_CHECKPOINT, f"witnessed checkpoint: {error}")
            continue
        if candidate.service == checkpoint.service and candidate.tree_size == size:
            held.append(candidate)
    agreeing = [w for w in held if w.root_hash == checkpoint.root_hash]
    if witnessed and not held:
        report.add(
            ProblemCode.CHECKPOINT_NOT_WITNESSED,
            f"the witness holds no checkpoint of size {size} of {checkpoint.service}'s log",
            tree_size=size,
        )
    for other in held:
        if other.root_hash != checkpoint.root_hash:
            report.add(
                ProblemCode.WITNESS_DISAGREES,
                f"the witness holds root {other.root_hash} for size {size}, the certificate "
                f"{checkpoint.root_hash}: the service showed two histories",
                tree_size=size,
            )
    if not witness_keys:
        return
    keys = {key_id(key): key for key in witness_keys}
    offered = [*checkpoint.cosignatures, *(c for w in agreeing for c in w.cosignatures)]
    cosigned = [
        cosignature
        for cosignature in offered
        if (key := keys.get(cosignature.key_id)) is not None
        and check_cosignature(report, checkpoint, cosignature, key)
    ]
    if not cosigned:
        report.add(
            ProblemCode.NOT_COSIGNED,
            f"no trusted witness cosigned the checkpoint of size {size}",
            tree_size=size,
        )
    for cosignature in cosigned:
        report.notes.append(
            f"the checkpoint of size {size} was cosigned by {cosignature.witness_id} "
            f"(key {cosignature.key_id}) at {cosignature.time}"
        )


# --------------------------------------------------------------------------------- entries


def _check_events(
    report: VerificationReport, document: Mapping[str, Any], checkpoint: Checkpoint | None
) -> Entries:
    """Each entry proved against the checkpoint, of the case, in version order, in its role;
    returns the well-formed entries by the role their contents give them."""
    raw = document["establishing_events"]
    entries: Entries = {}
    if not isinstance(raw, list) or not raw:
        report.add(ProblemCode.MALFORMED_CERTIFICATE, "establishing_events must be a list")
        return entries
    roles: list[Role] = []
    previous_version: int | None = None
    for number, item in enumerate(raw, start=1):
        where = f"establishing event #{number}"
        report.proofs_checked += 1
        entry = item.get("entry") if isinstance(item, Mapping) else None
        position = item.get("position") if isinstance(item, Mapping) else None
        if not is_entry_object(entry):
            report.add(ProblemCode.MALFORMED_ENTRY, f"{where} has no entry object")
            continue
        try:
            encoded = entry_bytes(entry)
        except CanonicalEncodingError as error:
            report.add(ProblemCode.MALFORMED_ENTRY, f"{where}: {error}")
            continue
        report.entries_checked += 1
        if type(position) is not int or entry["position"] != position:
            report.add(
                ProblemCode.POSITION_MISMATCH,
                f"{where} is listed at position {position!r} but its entry says "
                f"{entry['position']!r}",
                position=entry["position"] if type(entry["position"]) is int else None,
            )
            position = entry["position"]
        if checkpoint is not None and type(position) is int:
            _check_inclusion(report, item, encoded, position, checkpoint, where)
        if entry["originator_id"] != document["case_id"]:
            report.add(
                ProblemCode.ENTRY_NOT_OF_CASE,
                f"{where} (position {position}) is an event of {entry['originator_id']}, "
                f"not of case {document['case_id']}",
                position=position if type(position) is int else None,
            )
        version = entry["originator_version"]
        if previous_version is not None and not (
            type(version) is int and version > previous_version
        ):
            report.add(
                ProblemCode.ROLE_MISMATCH,
                f"{where} is version {version!r} of the case, listed after version "
                f"{previous_version}: the events are out of order",
                position=position if type(position) is int else None,
            )
        previous_version = version if type(version) is int else previous_version
        state = entry_state(entry)
        role = role_of(event_name(entry["topic"]), state)
        if role is None or role.value != item.get("role"):
            report.add(
                ProblemCode.ROLE_MISMATCH,
                f"{where} is listed as {item.get('role')!r}, but its entry ({entry['topic']}) "
                f"is {role.value if role else 'no establishing event'}",
                position=position if type(position) is int else None,
            )
        if role is not None:
            roles.append(role)
            entries.setdefault(role, []).append({**entry, "state": state})
    for problem in chain_problems(roles):
        report.add(ProblemCode.ROLE_MISMATCH, problem)
    return entries


def _check_inclusion(
    report: VerificationReport,
    item: Mapping[str, Any],
    encoded: bytes,
    position: int,
    checkpoint: Checkpoint,
    where: str,
) -> None:
    try:
        path = proof_from_hex(item.get("inclusion_path"))
        verify_inclusion(
            leaf_hash(encoded),
            position - FIRST_POSITION,
            checkpoint.tree_size,
            path,
            checkpoint.root,
        )
    except ProofError as error:
        report.add(
            ProblemCode.INCLUSION_PROOF_INVALID,
            f"{where} (position {position}): {error}",
            position=position,
            tree_size=checkpoint.tree_size,
        )


# ----------------------------------------------------------------------------------- facts


def _same(first: object, second: object) -> bool:
    try:
        return canonical_json(first) == canonical_json(second)
    except CanonicalEncodingError:
        return False


def _state(entries: Entries, role: Role) -> tuple[Mapping[str, Any], int] | None:
    found = entries.get(role)
    if not found:
        return None
    entry = found[-1]
    state = entry["state"]
    return (state if isinstance(state, Mapping) else {}), entry["position"]


def _check_facts(report: VerificationReport, document: Mapping[str, Any], entries: Entries) -> None:
    """Each printed fact, recomputed from the entry that proves it."""
    opened = _state(entries, Role.CASE_OPENED)
    approved = _state(entries, Role.PLAN_APPROVED)
    determined = _state(entries, Role.PROTECTION_DETERMINED)
    if opened is not None:
        state, position = opened
        try:
            case = facts.case_facts(
                state,
                None if approved is None else approved[0],
                None if determined is None else determined[0].get("official_id"),
            )
        except facts.FactError as error:
            report.add(ProblemCode.CASE_FACT_MISMATCH, str(error), position=position)
        else:
            for name in CASE_FIELDS:
                if not _same(document[name], case[name]):
                    report.add(
                        ProblemCode.CASE_FACT_MISMATCH,
                        f"{name} is not what the case's Opened entry (position {position}) says",
                        position=position,
                    )
    approval = _state(entries, Role.PLAN_APPROVED)
    if approval is not None:
        state, position = approval
        try:
            _, computed = facts.approved_plan(state)
        except facts.FactError as error:
            report.add(ProblemCode.PLAN_HASH_MISMATCH, str(error), position=position)
        else:
            if document["plan_hash"] != computed:
                report.add(
                    ProblemCode.PLAN_HASH_MISMATCH,
                    f"the certificate states plan hash {document['plan_hash']!r}, but the plan "
                    f"approved at position {position} hashes to {computed}",
                    position=position,
                )
    for entry in (e for found in entries.values() for e in found):
        stamp = entry["state"].get("stamp") if isinstance(entry["state"], Mapping) else None
        proposal = stamp.get("proposal_id") if isinstance(stamp, Mapping) else None
        if proposal != document["proposal_id"]:
            report.add(
                ProblemCode.CASE_FACT_MISMATCH,
                f"the entry at position {entry['position']} is of proposal {proposal}, not "
                f"{document['proposal_id']}",
                position=entry["position"],
            )
    _check_determination(report, document, entries)


def _check_determination(
    report: VerificationReport, document: Mapping[str, Any], entries: Entries
) -> None:
    found = entries.get(Role.PROTECTION_DETERMINED)
    if not found:
        return
    entry = found[-1]
    position = entry["position"]
    try:
        recorded = facts.determination(entry["state"])
    except facts.FactError as error:
        report.add(ProblemCode.DETERMINATION_MISMATCH, str(error), position=position)
        return
    stated = document["determination"]
    if not _same(stated, recorded):
        differing = sorted(
            name
            for name in recorded.keys() | (stated.keys() if isinstance(stated, Mapping) else set())
            if not isinstance(stated, Mapping) or not _same(stated.get(name), recorded.get(name))
        )
        report.add(
            ProblemCode.DETERMINATION_MISMATCH,
            f"the determination ({', '.join(differing)}) is not what the entry at position "
            f"{position} records",
            position=position,
        )
    if recorded["tier"] == facts.NO_PROTECTION:
        report.add(
            ProblemCode.DETERMINATION_MISMATCH,
            "the determination grants no protection",
            position=position,
        )
    official = document["official"]
    official_id = official.get("user_id") if isinstance(official, Mapping) else None
    if recorded["official_id"] != official_id:
        report.add(
            ProblemCode.CASE_FACT_MISMATCH,
            f"the determination protects {recorded['official_id']}, not {official_id}",
            position=position,
        )
    try:
        event_id = event_id_text(
            str(document["service"]), str(document["case_id"]), entry["originator_version"]
        )
        expected_id = facts.certificate_id(str(document["case_id"]), event_id)
    except ValueError:
        expected_id = None
    if document["certificate_id"] != expected_id:
        report.add(
            ProblemCode.CASE_FACT_MISMATCH,
            f"certificate_id {document['certificate_id']!r} is not the id of this case's "
            f"determination ({expected_id})",
        )
