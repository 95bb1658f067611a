"""A small approval log in memory: one case's history from opening to protection, between
another case's events, with its RFC 9162 tree, keys and checkpoints, for certificate tests."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.records.certificate.document import ProvenEntry, issue_certificate, signed_bytes
from shared.records.certificate.document import verification_code as code_of
from shared.records.certificate.roles import Role
from shared.records.merkle.canonical import decode_entry, encode_canonical_entry, encode_entry
from shared.records.merkle.checkpoint import Checkpoint, sign_checkpoint
from shared.records.merkle.keys import generate_signing_key
from shared.records.merkle.tree import MerkleTree
from shared.records.plan_hash import plan_hash
from shared.records.servicelog.entries import event_id_text

CASE = UUID("5f0c3c8e-2a55-5d38-9a1e-6f6c1b0a7d11")
OTHER_CASE = UUID("0d1e2f30-4a5b-5c6d-8e7f-8091a2b3c4d5")
PROPOSAL = "0b8c6d2e-7a51-4c1e-9d0a-3f4e5a6b7c8d"
TOPIC = "services.approval.domain.case:Case."
PLAN = {"necessity": "Thủ tục chồng chéo", "purpose": "Rút ngắn thời gian", "budget": "1500.00"}
OFFICIAL = {"user_id": "ct.p0026", "name": "Đoàn Thanh Thắng", "unit_id": "ct.so-tu-phap"}


def stamp(state: str, minute: int, basis: str = "ND73") -> dict[str, Any]:
    return {
        "proposal_id": PROPOSAL,
        "actor": {"user_id": "ct.p0001", "name": "Hoàng Quốc Vũ", "roles": ["city_committee"]},
        "at": f"2024-06-03T09:{minute:02d}:00+07:00",
        "legal_basis": basis,
        "rule_set_version": "2024.1",
        "state": state,
    }


def vote(outcome: str = "PASSED") -> dict[str, Any]:
    return {"outcome": outcome, "minutes_ref": "BB-01", "votes_for": 4}


def determination_state(tier: str = "NO_LIABILITY") -> dict[str, Any]:
    return {
        "stamp": stamp("PROTECTION_DETERMINED", 30, "ND73 Art 11 §1"),
        "official_id": OFFICIAL["user_id"],
        "tier": tier,
        "reasons": ["the result was assessed as completed"],
        "facts": {"outcome": "COMPLETED", "good_faith": True, "caused_damage": False},
        "decision_ref": "QD-BV-01",
        "referred_to": "",
    }


def case_history(*, tier: str = "NO_LIABILITY", with_plan: bool = True) -> list[tuple[str, Any]]:
    """(event name, state) of the case, in version order: failed and passed votes, a direction,
    a progress report that establishes nothing."""
    approval: dict[str, Any] = {"stamp": stamp("APPROVED", 3), "vote": vote(), "decision_ref": ""}
    if with_plan:
        approval |= {"plan": PLAN, "plan_hash": plan_hash(PLAN)}
    return [
        (
            "Opened",
            {
                "stamp": stamp("IN_INTAKE", 0),
                "proposer": OFFICIAL,
                "title": "Một cửa liên thông",
                "authority": {"head_id": "ct.p0001", "deputy_ids": ["ct.p0002"]},
                "routing": {
                    "recipient_unit_id": "ct.ubnd-tp",
                    "decider_id": "ct.p0001",
                    "decider_name": "Hoàng Quốc Vũ",
                },
                "plan": PLAN,
            },
        ),
        ("PlanReceived", {"stamp": stamp("UNDER_REVIEW", 1)}),
        ("ApprovalMeetingHeld", approval),
        ("ImplementationStarted", {"stamp": stamp("IN_IMPLEMENTATION", 5)}),
        ("ProgressReported", {"stamp": stamp("IN_IMPLEMENTATION", 6), "progress_percent": 40}),
        ("ImplementationSuspended", {"stamp": stamp("SUSPENDED", 7), "decision_ref": "TD"}),
        ("ImplementationResumed", {"stamp": stamp("IN_IMPLEMENTATION", 8), "decision_ref": "TT"}),
        ("CompletionReported", {"stamp": stamp("COMPLETION_REPORTED", 10)}),
        (
            "EvaluationMeetingHeld",
            {"stamp": stamp("COMPLETION_REPORTED", 11), "vote": vote("FAILED")},
        ),
        ("EvaluationMeetingHeld", {"stamp": stamp("EVALUATED", 12), "vote": vote()}),
        ("EvaluationConcluded", {"stamp": stamp("CONCLUDED", 13), "outcome": "COMPLETED"}),
        ("ProtectionDetermined", determination_state(tier)),
        ("CaseClosed", {"stamp": stamp("CLOSED", 40)}),
    ]


EXPECTED_ROLES = [
    Role.CASE_OPENED,
    Role.PLAN_APPROVED,
    Role.IMPLEMENTATION_STARTED,
    Role.DIRECTION,
    Role.DIRECTION,
    Role.COMPLETION_REPORTED,
    Role.RESULTS_EVALUATED,
    Role.EVALUATION_CONCLUDED,
    Role.PROTECTION_DETERMINED,
]


def event_id(case: UUID, version: int) -> str:
    return event_id_text("approval", case, version)


def edit_state(entry: dict[str, Any], **changes: Any) -> None:
    """Change fields of the state an entry object carries (a forger's edit), either format."""
    if "state" in entry:
        entry["state"].update(changes)
    else:
        entry["stored_state"] = orjson.dumps(
            {**orjson.loads(entry["stored_state"]), **changes}
        ).decode()


@dataclass
class SampleLog:
    """The log of the approval service: the case's events with another case's in between."""

    key: Ed25519PrivateKey = field(default_factory=generate_signing_key)
    tree: MerkleTree = field(default_factory=MerkleTree)
    entries: list[bytes] = field(default_factory=list)
    positions: dict[tuple[UUID, int], int] = field(default_factory=dict)
    service: str = "approval"
    entry_format: int = 2
    """`shared.records.servicelog.format`: 1 for a log begun before format 2."""

    def append(self, case: UUID, version: int, name: str, state: Mapping[str, Any]) -> int:
        position = len(self.entries) + 1
        header: dict[str, Any] = {
            "position": position,
            "topic": TOPIC + name,
            "originator_id": str(case),
            "originator_version": version,
        }
        if self.entry_format == 1:
            entry = encode_canonical_entry(**header, event_id=event_id(case, version), state=state)
        else:
            entry = encode_entry(**header, state=orjson.dumps(state))
        self.entries.append(entry)
        self.tree.append_entry(entry)
        self.positions[case, version] = position
        return position

    def checkpoint(
        self, size: int | None = None, key: Ed25519PrivateKey | None = None
    ) -> Checkpoint:
        size = self.tree.size if size is None else size
        return sign_checkpoint(
            key or self.key,
            service=self.service,
            tree_size=size,
            root_hash=self.tree.root(size),
            time=datetime(2024, 6, 3, 3, 0, tzinfo=UTC),
        )

    def proven(self, role: Role, case: UUID, version: int, size: int) -> ProvenEntry:
        position = self.positions[case, version]
        entry = self.entries[position - 1]
        return ProvenEntry(role, entry, self.tree.inclusion_proof(position - 1, size))


def sample_log(history: list[tuple[str, Any]] | None = None, entry_format: int = 2) -> SampleLog:
    log = SampleLog(entry_format=entry_format)
    for version, (name, state) in enumerate(history or case_history(), start=1):
        log.append(CASE, version, name, state)
        log.append(OTHER_CASE, version, "PlanReceived", {"stamp": stamp("UNDER_REVIEW", 1)})
    return log


def establishing_of(log: SampleLog, history: list[tuple[str, Any]], size: int) -> list[ProvenEntry]:
    from shared.records.certificate.roles import establishing

    return [log.proven(role, CASE, index + 1, size) for index, role in establishing(history)]


def certificate(
    log: SampleLog | None = None, history: list[tuple[str, Any]] | None = None
) -> tuple[dict[str, Any], SampleLog]:
    history = history or case_history()
    log = log or sample_log(history)
    checkpoint = log.checkpoint()
    document = issue_certificate(
        private_key=log.key,
        checkpoint=checkpoint,
        events=establishing_of(log, history, checkpoint.tree_size),
        issued_at=datetime(2024, 6, 3, 4, 0, tzinfo=UTC),
    )
    return document, log


def resigned(document: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The document with its code and signature made again: what someone holding the signing
    key could produce. The log's facts must still give them away."""
    copy = {name: value for name, value in document.items() if name != "signature"}
    copy["verification_code"] = code_of(copy)
    copy["signature"] = base64.b64encode(key.sign(signed_bytes(copy))).decode("ascii")
    return copy


def decoded(entry: bytes) -> dict[str, Any]:
    return decode_entry(entry)
