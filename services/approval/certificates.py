"""Giấy chứng nhận bảo vệ of one case (issue #6): the events that establish the official's
protection, each with its inclusion proof against a checkpoint of approval's signed log.

Which events: `shared.records.certificate.roles` (the same rule the offline verifier applies). They
are proved against the *first* checkpoint that covers them all, which never changes: every download
of a determination's certificate, JSON or PDF, today or in ten years, is the same document with
the same verification code (Ed25519 signatures are deterministic), and that checkpoint is the one
witnesses have held the longest. The log may lag a commit by a moment (the relay appends each
event as it publishes it): the certificate waits a few seconds for it, then signs a checkpoint
covering the events if none does yet; the relay publishes it to witnesses like any other.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from services.approval.application import ApprovalApplication
from shared.kernel.actor import Actor
from shared.records.certificate.document import ProvenEntry, issue_certificate
from shared.records.certificate.facts import NO_PROTECTION
from shared.records.certificate.roles import establishing
from shared.records.merkle.checkpoint import Checkpoint
from shared.records.servicelog.log import InclusionProof, ServiceLog


class NoProtectionDetermination(Exception):
    """No protection determination on this case, or one that grants no protection (HTTP 409)."""


class LogBehind(Exception):
    """The signed log has not caught up with the case's events yet (HTTP 503, retry)."""


class ProtectionCertificates:
    """Issues certificates from approval's cases and its signed log."""

    def __init__(
        self,
        approval: ApprovalApplication,
        audit: ServiceLog,
        *,
        wait_seconds: float = 5.0,
        poll_seconds: float = 0.05,
    ) -> None:
        self.approval = approval
        self.audit = audit
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds

    def issue(self, actor: Actor, case_id: UUID, official_id: str | None = None) -> dict[str, Any]:
        """The certificate of the case's protection determination of `official_id` (the
        proposer by default, or an implementer with their own determination, Art 11), for
        whoever may read the case (the officials, the competent authority, Sở Nội vụ,
        auditors, administrators)."""
        case = self.approval.case_for(actor, case_id)
        protection = case.protection if official_id is None else case.protection_of(official_id)
        if protection is None:
            raise NoProtectionDetermination(
                f"case {case_id} has no protection determination yet (it is {case.state})"
            )
        if protection["tier"] == NO_PROTECTION:
            revoked = protection.get("revoked_by_report")
            raise NoProtectionDetermination(
                f"the determination on case {case_id} grants no protection"
                + (f" (revoked by the finding on report {revoked}, Art 6)" if revoked else "")
            )
        history = list(self.approval.repository.event_store.get(case.id))
        chosen = establishing(
            [(type(event).__name__, vars(event)) for event in history], official_id
        )
        versions = [history[index].originator_version for index, _ in chosen]
        checkpoint, proofs = self._prove(case.id, versions)
        return issue_certificate(
            private_key=self.audit.keys.private_key,
            checkpoint=checkpoint,
            events=[
                ProvenEntry(role, proof.entry, proof.path)
                for (_, role), proof in zip(chosen, proofs, strict=True)
            ],
        )

    def _prove(
        self, case_id: UUID, versions: Sequence[int]
    ) -> tuple[Checkpoint, list[InclusionProof]]:
        """Inclusion proofs of the case's events at `versions` against one signed checkpoint."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            positions = self.audit.positions_of(case_id, versions)
            if len(positions) == len(versions):
                last = max(positions.values())
                checkpoint = self._first_covering(last)
                if checkpoint is None and self.audit.sign(when_due=False) is not None:
                    checkpoint = self._first_covering(last)
                if checkpoint is not None and checkpoint.tree_size <= self.audit.tree_size:
                    size = checkpoint.tree_size
                    return checkpoint, [self.audit.inclusion(positions[v], size) for v in versions]
            if time.monotonic() >= deadline:
                raise LogBehind(
                    f"the signed log of approval does not hold the events of case {case_id} "
                    "yet; try again in a moment"
                )
            time.sleep(self.poll_seconds)

    def _first_covering(self, position: int) -> Checkpoint | None:
        """The smallest signed checkpoint whose log holds `position`."""
        kept = self.audit.checkpoints(after=position - 1, limit=1)
        return kept[0] if kept else None
