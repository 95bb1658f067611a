"""Giấy chứng nhận bảo vệ — the protection certificate of issue #6 (design.md §4): a signed
document listing the events that establish an official's protection under Decree 73, each with
its inclusion proof against a signed checkpoint of the approval service's log, checked offline.

Plain Python over `shared.records.merkle`: no web framework, broker or store.
"""

from __future__ import annotations

from shared.records.certificate.document import (
    FORMAT,
    CertificateError,
    ProvenEntry,
    issue_certificate,
    normalise_code,
    verification_code,
)
from shared.records.certificate.roles import CHAIN, Role, establishing, event_name, role_of
from shared.records.certificate.verify import verify_certificate
from shared.records.plan_hash import plan_hash

__all__ = [
    "CHAIN",
    "FORMAT",
    "CertificateError",
    "ProvenEntry",
    "Role",
    "establishing",
    "event_name",
    "issue_certificate",
    "normalise_code",
    "plan_hash",
    "role_of",
    "verification_code",
    "verify_certificate",
]
