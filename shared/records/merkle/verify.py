"""Pure verification of a service's log for auditors and the offline `d73 verify-bundle`.

Single checks raise typed errors (`verify_entry_inclusion`, `verify_checkpoint_consistency`);
whole-log and bundle checks return a `VerificationReport` listing every problem found, so an
auditor sees at once that an entry was edited *and* a checkpoint swapped.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from hmac import compare_digest
from itertools import chain, islice, pairwise
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.records.merkle.bundle import BUNDLE_FORMAT, proof_from_hex
from shared.records.merkle.canonical import FIRST_POSITION, entry_bytes, is_entry_object
from shared.records.merkle.checkpoint import (
    Checkpoint,
    Cosignature,
    verify_checkpoint,
    verify_cosignature,
)
from shared.records.merkle.errors import (
    BadSignature,
    CanonicalEncodingError,
    CheckpointError,
    InvalidConsistencyProof,
    KeyFileError,
    MalformedCheckpoint,
    ProofError,
    WrongKey,
)
from shared.records.merkle.keys import key_id, public_key_from_b64
from shared.records.merkle.tree import (
    hash_leaves,
    leaf_hash,
    roots_at,
    verify_consistency,
    verify_inclusion,
)


class ProblemCode(StrEnum):
    """What is wrong, one code per kind of tampering or mistake."""

    MALFORMED_BUNDLE = "malformed_bundle"
    MALFORMED_KEY = "malformed_key"
    UNTRUSTED_KEY = "untrusted_key"
    MALFORMED_CHECKPOINT = "malformed_checkpoint"
    WRONG_SERVICE = "wrong_service"
    WRONG_KEY = "wrong_key"
    BAD_SIGNATURE = "bad_signature"
    BAD_COSIGNATURE = "bad_cosignature"
    CHECKPOINT_OUT_OF_ORDER = "checkpoint_out_of_order"
    CHECKPOINT_FORK = "checkpoint_fork"
    ROOT_MISMATCH = "root_mismatch"
    ENTRIES_MISSING = "entries_missing"
    MALFORMED_ENTRY = "malformed_entry"
    POSITION_GAP = "position_gap"
    POSITION_OUT_OF_ORDER = "position_out_of_order"
    POSITION_MISMATCH = "position_mismatch"
    UNKNOWN_CHECKPOINT = "unknown_checkpoint"
    INCLUSION_PROOF_INVALID = "inclusion_proof_invalid"
    CONSISTENCY_PROOF_INVALID = "consistency_proof_invalid"
    CONSISTENCY_UNPROVEN = "consistency_unproven"
    # A whole service store checked against its checkpoints (shared/records/servicelog,
    # `d73 verify`):
    NO_CHECKPOINT = "no_checkpoint"
    CHECKPOINT_NOT_KEPT = "checkpoint_not_kept"
    # Reporting's archive against the logs it witnessed (`d73 verify reporting`):
    ARCHIVE_LEAF_MISMATCH = "archive_leaf_mismatch"
    # ...and an export or history document next to its proof (`d73 verify-bundle`):
    EVENT_NOT_PROVED = "event_not_proved"
    EVENT_MISMATCH = "event_mismatch"
    # A protection certificate (shared/records/certificate, `d73 verify-certificate`):
    MALFORMED_CERTIFICATE = "malformed_certificate"
    CERTIFICATE_SIGNATURE_INVALID = "certificate_signature_invalid"
    VERIFICATION_CODE_MISMATCH = "verification_code_mismatch"
    ENTRY_NOT_OF_CASE = "entry_not_of_case"
    ROLE_MISMATCH = "role_mismatch"
    PLAN_HASH_MISMATCH = "plan_hash_mismatch"
    DETERMINATION_MISMATCH = "determination_mismatch"
    CASE_FACT_MISMATCH = "case_fact_mismatch"
    # ...and what a witness holds of its checkpoint (`--witnessed`, `--witness-key`):
    CHECKPOINT_NOT_WITNESSED = "checkpoint_not_witnessed"
    WITNESS_DISAGREES = "witness_disagrees"
    NOT_COSIGNED = "not_cosigned"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding; `position` and `tree_size` say where, when they are known."""

    code: ProblemCode
    detail: str
    position: int | None = None
    tree_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "detail": self.detail,
            "position": self.position,
            "tree_size": self.tree_size,
        }


@dataclass(slots=True)
class VerificationReport:
    """Everything a verification found; `ok` only when there is no problem at all."""

    service: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries_checked: int = 0
    checkpoints_checked: int = 0
    proofs_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> set[ProblemCode]:
        return {problem.code for problem in self.problems}

    def add(
        self,
        code: ProblemCode,
        detail: str,
        *,
        position: int | None = None,
        tree_size: int | None = None,
    ) -> None:
        self.problems.append(Problem(code, detail, position, tree_size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "ok": self.ok,
            "entries_checked": self.entries_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "proofs_checked": self.proofs_checked,
            "problems": [problem.to_dict() for problem in self.problems],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------- single checks (raise)


def verify_entry_inclusion(
    entry: bytes,
    leaf_index: int,
    path: Sequence[bytes],
    checkpoint: Checkpoint,
    public_key: Ed25519PublicKey,
    *,
    service: str | None = None,
) -> None:
    """Raise unless the signed checkpoint's log holds `entry` as leaf `leaf_index`."""
    verify_checkpoint(public_key, checkpoint, service=service)
    verify_inclusion(leaf_hash(entry), leaf_index, checkpoint.tree_size, path, checkpoint.root)


def verify_checkpoint_consistency(
    older: Checkpoint,
    newer: Checkpoint,
    path: Sequence[bytes],
    public_key: Ed25519PublicKey,
    *,
    service: str | None = None,
) -> None:
    """Raise unless both checkpoints are signed and `newer`'s log only appended to `older`'s."""
    verify_checkpoint(public_key, older, service=service)
    verify_checkpoint(public_key, newer, service=older.service)
    verify_consistency(older.tree_size, newer.tree_size, older.root, newer.root, path)


# ------------------------------------------------------------------ whole-log checks (report)


def verify_log(
    entries: Iterable[bytes],
    checkpoints: Sequence[Checkpoint],
    public_key: Ed25519PublicKey,
    *,
    service: str,
    check_positions: bool = True,
) -> VerificationReport:
    """Check a whole stored log, in order from position 1, against its signed checkpoints.

    Each checkpoint must be `service`'s, signed by `public_key`, in order, and its root must be
    the root of the first `tree_size` entries. The roots prove every signed entry, position
    included, so `check_positions` reads positions only where they say more: after the last
    checkpoint, and, once a root differs, everywhere, to name the missing or moved positions
    (`entries` is then read a second time, if it can be).
    """
    report = VerificationReport(service)
    usable = _check_checkpoints(report, checkpoints, {key_id(public_key): public_key}, service)
    if not check_positions:
        _check_roots(report, hash_leaves(entries), usable)
        return report
    signed = max((checkpoint.tree_size for checkpoint in usable), default=0)
    stream = iter(entries)
    tail = VerificationReport(service)  # findings after the last checkpoint, kept if all agrees
    unsigned = _in_order(tail, _stated_positions(tail, stream, signed + 1), signed)
    _check_roots(report, chain(hash_leaves(islice(stream, signed)), hash_leaves(unsigned)), usable)
    if not report.codes & {ProblemCode.ROOT_MISMATCH, ProblemCode.ENTRIES_MISSING}:
        report.problems.extend(tail.problems)
    elif iter(entries) is entries:
        report.notes.append("positions not named: the entries could be read only once")
    else:
        deque(_in_order(report, _stated_positions(report, entries, 1), 0), maxlen=0)
    return report


def verify_bundle(
    bundle: Mapping[str, Any], *, trusted_keys: Iterable[Ed25519PublicKey] | None = None
) -> VerificationReport:
    """Check an audit bundle (see `shared.records.merkle.bundle`) and report every problem in it.

    Pass the service's keys as obtained out of band in `trusted_keys`; without them the
    bundle's own keys are used and the report notes that nothing pins them.
    """
    service = bundle.get("service") if isinstance(bundle, Mapping) else None
    report = VerificationReport(service if isinstance(service, str) else "?")
    if not isinstance(bundle, Mapping) or bundle.get("format") != BUNDLE_FORMAT:
        report.add(ProblemCode.MALFORMED_BUNDLE, f"not a {BUNDLE_FORMAT} document")
        return report
    if not isinstance(service, str):
        report.add(ProblemCode.MALFORMED_BUNDLE, "the bundle names no service")
        return report
    raw_checkpoints = bundle.get("checkpoints")
    if not isinstance(raw_checkpoints, list) or not raw_checkpoints:
        report.add(ProblemCode.MALFORMED_BUNDLE, "the bundle has no checkpoints: it proves nothing")
        return report

    keys = _log_keys(report, bundle.get("public_keys"), trusted_keys)
    checkpoints = []
    for number, raw in enumerate(raw_checkpoints, start=1):
        try:
            checkpoints.append(Checkpoint.from_dict(raw))
        except MalformedCheckpoint as error:
            report.add(ProblemCode.MALFORMED_CHECKPOINT, f"checkpoint #{number}: {error}")
    usable = _check_checkpoints(report, checkpoints, keys, service)
    _check_cosignatures(report, usable, bundle.get("witness_keys"))

    covered = 0
    if "entries" in bundle:
        covered = _check_bundle_entries(report, bundle["entries"], usable)
    if "selected" in bundle:
        _check_selected(report, bundle["selected"], usable)
    _check_consistency(report, bundle.get("consistency_proofs", []), usable, covered)
    return report


# ------------------------------------------------------------------------------ checkpoints


def _check_checkpoints(
    report: VerificationReport,
    checkpoints: Sequence[Checkpoint],
    keys: Mapping[str, Ed25519PublicKey],
    service: str,
) -> list[Checkpoint]:
    """Signatures, service, order and forks; returns the checkpoints of this service's log."""
    usable: list[Checkpoint] = []
    for checkpoint in checkpoints:
        report.checkpoints_checked += 1
        size = checkpoint.tree_size
        try:
            checkpoint.check_shape()
        except MalformedCheckpoint as error:
            report.add(ProblemCode.MALFORMED_CHECKPOINT, str(error), tree_size=size)
            continue
        if checkpoint.service != service:
            report.add(
                ProblemCode.WRONG_SERVICE,
                f"a checkpoint of {checkpoint.service!r} is among {service!r}'s",
                tree_size=size,
            )
            continue
        usable.append(checkpoint)
        key = keys.get(checkpoint.key_id)
        if key is None:
            report.add(
                ProblemCode.WRONG_KEY,
                f"signed with key {checkpoint.key_id}, which is not a key of {service!r}",
                tree_size=size,
            )
            continue
        try:
            verify_checkpoint(key, checkpoint, service=service)
        except BadSignature as error:
            report.add(ProblemCode.BAD_SIGNATURE, str(error), tree_size=size)
        except CheckpointError as error:
            report.add(ProblemCode.WRONG_KEY, str(error), tree_size=size)

    for before, after in pairwise(usable):
        if after.tree_size < before.tree_size:
            report.add(
                ProblemCode.CHECKPOINT_OUT_OF_ORDER,
                f"size {after.tree_size} is listed after size {before.tree_size}",
                tree_size=after.tree_size,
            )
        elif after.instant < before.instant:
            report.add(
                ProblemCode.CHECKPOINT_OUT_OF_ORDER,
                f"size {after.tree_size} was signed at {after.time}, before size "
                f"{before.tree_size} at {before.time}: the log went back in time",
                tree_size=after.tree_size,
            )
    roots_by_size: dict[int, str] = {}
    for checkpoint in usable:
        seen = roots_by_size.setdefault(checkpoint.tree_size, checkpoint.root_hash)
        if seen != checkpoint.root_hash:
            report.add(
                ProblemCode.CHECKPOINT_FORK,
                f"two different roots signed for size {checkpoint.tree_size}: a split view",
                tree_size=checkpoint.tree_size,
            )
    return usable


def _log_keys(
    report: VerificationReport, raw_keys: object, trusted_keys: Iterable[Ed25519PublicKey] | None
) -> dict[str, Ed25519PublicKey]:
    bundled: dict[str, Ed25519PublicKey] = {}
    if not isinstance(raw_keys, list):
        report.add(ProblemCode.MALFORMED_BUNDLE, "public_keys must be a list")
        raw_keys = []
    for raw in raw_keys:
        try:
            key = public_key_from_b64(raw["public_key"])
            if raw["key_id"] != key_id(key):
                raise KeyFileError(f"key_id {raw['key_id']!r} is not the id of its key")
        except (KeyFileError, KeyError, TypeError) as error:
            report.add(ProblemCode.MALFORMED_KEY, f"bundled public key: {error}")
            continue
        bundled[key_id(key)] = key
    if trusted_keys is None:
        report.notes.append(
            "public keys taken from the bundle itself; pin the service's keys to trust it"
        )
        return bundled
    trusted = {key_id(key): key for key in trusted_keys}
    for untrusted in bundled.keys() - trusted.keys():
        report.add(ProblemCode.UNTRUSTED_KEY, f"bundled key {untrusted} is not a trusted key")
    return trusted


def check_cosignature(
    report: VerificationReport,
    checkpoint: Checkpoint,
    cosignature: Cosignature,
    key: Ed25519PublicKey,
    *,
    witness_id: str | None = None,
) -> bool:
    """True if `key` (of `witness_id`, when known) made this cosignature of the checkpoint;
    otherwise a `bad_cosignature` problem."""
    try:
        if witness_id is not None and witness_id != cosignature.witness_id:
            raise WrongKey(f"key {cosignature.key_id} belongs to {witness_id}")
        verify_cosignature(key, checkpoint, cosignature)
    except (WrongKey, BadSignature) as error:
        report.add(ProblemCode.BAD_COSIGNATURE, str(error), tree_size=checkpoint.tree_size)
        return False
    return True


def _check_cosignatures(
    report: VerificationReport, checkpoints: Sequence[Checkpoint], raw_witness_keys: object
) -> None:
    witnesses: dict[str, tuple[str, Ed25519PublicKey]] = {}
    for raw in raw_witness_keys if isinstance(raw_witness_keys, list) else []:
        try:
            key = public_key_from_b64(raw["public_key"])
            witnesses[key_id(key)] = (str(raw["witness_id"]), key)
        except (KeyFileError, KeyError, TypeError) as error:
            report.add(ProblemCode.MALFORMED_KEY, f"bundled witness key: {error}")
    for checkpoint in checkpoints:
        for cosignature in checkpoint.cosignatures:
            witness = witnesses.get(cosignature.key_id)
            if witness is None:
                report.notes.append(
                    f"cosignature by {cosignature.witness_id} on size {checkpoint.tree_size} "
                    "not checked: its key is not in the bundle"
                )
                continue
            witness_id, key = witness
            check_cosignature(report, checkpoint, cosignature, key, witness_id=witness_id)
    if witnesses:
        report.notes.append(
            "cosignatures checked with the witness keys the bundle carries; "
            "pin them to rely on the witnesses"
        )


# ---------------------------------------------------------------------------------- entries


def _after(report: VerificationReport, position: object, highest: int) -> int:
    """Report `position` if it does not follow `highest`; return the new highest position.

    A position that is not an int was reported as malformed by whoever read the entry, and
    is taken as the next one so that one bad entry does not read as a gap.
    """
    if type(position) is not int or position == highest + 1:
        return highest + 1
    if position > highest + 1:
        missing = (
            f"position {highest + 1}"
            if position == highest + 2
            else f"positions {highest + 1}..{position - 1}"
        )
        report.add(
            ProblemCode.POSITION_GAP,
            f"{missing} missing before position {position}",
            position=highest + 1,
        )
        return position
    report.add(
        ProblemCode.POSITION_OUT_OF_ORDER,
        f"position {position} comes after position {highest}"
        + (" again" if position == highest else ""),
        position=position,
    )
    return highest


def _stated_positions(
    report: VerificationReport, entries: Iterable[bytes], first_number: int
) -> Iterator[tuple[object, bytes]]:
    """Each stored entry with the position it states (None, reported, if it states none)."""
    for number, entry in enumerate(entries, start=first_number):
        try:
            # The header line states it (the whole entry, in format 1, which has no newline).
            decoded = orjson.loads(entry.partition(b"\n")[0])
        except orjson.JSONDecodeError:
            decoded = None
        position = decoded.get("position") if isinstance(decoded, dict) else None
        if type(position) is not int:
            report.add(ProblemCode.MALFORMED_ENTRY, f"entry #{number} states no position")
        yield position, entry


def _in_order(
    report: VerificationReport, positioned: Iterable[tuple[object, bytes]], highest: int
) -> Iterator[bytes]:
    """The entries, reporting positions that do not continue `highest`, highest + 1, ..."""
    for position, entry in positioned:
        highest = _after(report, position, highest)
        yield entry


def _check_roots(
    report: VerificationReport, leaves: Iterable[bytes], checkpoints: Sequence[Checkpoint]
) -> int:
    """Recompute each checkpoint's root from the entries; return how many entries there are."""
    computed, count = roots_at(leaves, (checkpoint.tree_size for checkpoint in checkpoints))
    report.entries_checked += count
    last_good = 0
    for checkpoint in sorted(checkpoints, key=lambda checkpoint: checkpoint.tree_size):
        size = checkpoint.tree_size
        root = computed.get(size)
        if root is None:
            report.add(
                ProblemCode.ENTRIES_MISSING,
                f"a checkpoint signs {size} entries but the log has {count}: "
                f"positions {count + 1}..{size} were deleted",
                tree_size=size,
            )
        elif compare_digest(root, checkpoint.root):
            last_good = max(last_good, size)
        else:
            report.add(
                ProblemCode.ROOT_MISMATCH,
                f"the first {size} entries are not those signed at {checkpoint.time}; "
                f"the first change lies in positions {last_good + 1}..{size}",
                tree_size=size,
            )
    signed = max((checkpoint.tree_size for checkpoint in checkpoints), default=0)
    if count > signed:
        report.notes.append(
            f"the last {count - signed} entries are not covered by a checkpoint yet"
        )
    return min(count, signed)


def _entry_bytes(report: VerificationReport, raw: object, where: str) -> tuple[object, bytes]:
    """Position and entry bytes of a bundled entry object (a malformed one still counts)."""
    if not is_entry_object(raw):
        report.add(ProblemCode.MALFORMED_ENTRY, f"{where} is not an entry object")
        position = raw.get("position") if isinstance(raw, Mapping) else None
        return position, b"\xff" + repr(raw).encode()
    try:
        return raw["position"], entry_bytes(raw)
    except CanonicalEncodingError as error:
        report.add(ProblemCode.MALFORMED_ENTRY, f"{where}: {error}")
        return raw["position"], b"\xff" + repr(raw).encode()


def _check_bundle_entries(
    report: VerificationReport, raw_entries: object, checkpoints: Sequence[Checkpoint]
) -> int:
    if not isinstance(raw_entries, list):
        report.add(ProblemCode.MALFORMED_BUNDLE, "entries must be a list")
        return 0
    return _check_roots(report, _bundled_leaves(report, raw_entries), checkpoints)


def _bundled_leaves(report: VerificationReport, raw_entries: list[object]) -> Iterator[bytes]:
    """Leaf hashes of the bundle's entry objects, reporting bad entries and positions.

    One loop, as the whole log goes through it: this is the auditor's full verification.
    """
    sha256 = hashlib.sha256
    highest = FIRST_POSITION - 1
    for number, raw in enumerate(raw_entries, start=1):
        if type(raw) is dict and is_entry_object(raw):
            position = raw["position"]
            try:
                entry = entry_bytes(raw)
            except CanonicalEncodingError as error:
                report.add(ProblemCode.MALFORMED_ENTRY, f"entry #{number}: {error}")
                entry = b"\xff" + repr(raw).encode()
        else:
            position, entry = _entry_bytes(report, raw, f"entry #{number}")
        if type(position) is int and position == highest + 1:
            highest = position
        else:
            highest = _after(report, position, highest)
        yield sha256(b"\x00" + entry).digest()


def _check_selected(
    report: VerificationReport, raw_selected: object, checkpoints: Sequence[Checkpoint]
) -> None:
    if not isinstance(raw_selected, list):
        report.add(ProblemCode.MALFORMED_BUNDLE, "selected must be a list")
        return
    by_size = {checkpoint.tree_size: checkpoint for checkpoint in reversed(checkpoints)}
    for number, item in enumerate(raw_selected, start=1):
        report.proofs_checked += 1
        where = f"selected entry #{number}"
        if not isinstance(item, Mapping):
            report.add(ProblemCode.MALFORMED_ENTRY, f"{where} is not an object")
            continue
        index, size = item.get("leaf_index"), item.get("tree_size")
        if type(index) is not int or type(size) is not int:
            report.add(ProblemCode.INCLUSION_PROOF_INVALID, f"{where}: leaf_index, tree_size?")
            continue
        position, entry = _entry_bytes(report, item.get("entry"), where)
        report.entries_checked += 1
        if position != index + FIRST_POSITION:
            report.add(
                ProblemCode.POSITION_MISMATCH,
                f"{where} says position {position} but is proved as leaf {index}",
                position=index + FIRST_POSITION,
                tree_size=size,
            )
        checkpoint = by_size.get(size)
        if checkpoint is None:
            report.add(
                ProblemCode.UNKNOWN_CHECKPOINT,
                f"{where} is proved against size {size}, which no checkpoint signs",
                position=index + FIRST_POSITION,
                tree_size=size,
            )
            continue
        try:
            path = proof_from_hex(item.get("inclusion_path"))
            verify_inclusion(leaf_hash(entry), index, size, path, checkpoint.root)
        except ProofError as error:
            report.add(
                ProblemCode.INCLUSION_PROOF_INVALID,
                f"{where} (position {index + FIRST_POSITION}): {error}",
                position=index + FIRST_POSITION,
                tree_size=size,
            )


def _check_consistency(
    report: VerificationReport,
    raw_proofs: object,
    checkpoints: Sequence[Checkpoint],
    covered: int,
) -> None:
    """Verify every consistency proof, and require one between each pair of signed sizes
    that the bundle's entries do not already cover."""
    if not isinstance(raw_proofs, list):
        report.add(ProblemCode.MALFORMED_BUNDLE, "consistency_proofs must be a list")
        raw_proofs = []
    by_size = {checkpoint.tree_size: checkpoint for checkpoint in reversed(checkpoints)}
    proven: set[tuple[int, int]] = set()
    for number, raw in enumerate(raw_proofs, start=1):
        report.proofs_checked += 1
        where = f"consistency proof #{number}"
        try:
            first, second = raw["first_size"], raw["second_size"]
            path = proof_from_hex(raw["path"])
        except (KeyError, TypeError, ProofError) as error:
            report.add(ProblemCode.CONSISTENCY_PROOF_INVALID, f"{where} is malformed: {error}")
            continue
        older, newer = by_size.get(first), by_size.get(second)
        if older is None or newer is None:
            report.add(
                ProblemCode.UNKNOWN_CHECKPOINT,
                f"{where} joins sizes {first} and {second}, not both signed",
                tree_size=second,
            )
            continue
        try:
            verify_consistency(first, second, older.root, newer.root, path)
        except InvalidConsistencyProof as error:
            report.add(ProblemCode.CONSISTENCY_PROOF_INVALID, f"{where}: {error}", tree_size=second)
            continue
        proven.add((first, second))
    sizes = sorted(by_size)
    for first, second in pairwise(sizes):
        if second > covered and (first, second) not in proven:
            report.add(
                ProblemCode.CONSISTENCY_UNPROVEN,
                f"nothing shows that the log of size {second} extends the log of size {first}",
                tree_size=second,
            )
