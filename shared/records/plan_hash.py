"""The hash of an approved plan (kế hoạch đề xuất, Decree 73 Art 7 §2; approved under Art 8 §1).

SHA-256 of the plan's canonical JSON (`shared.records.merkle.canonical`), in lowercase hex.
Canonical JSON writes a typed value (a date, a Decimal, a UUID) exactly as the text it decodes to,
so the hash of the plan the domain holds equals the hash of the plan an auditor reads back from a
log entry or a certificate: anyone can recompute it with `sha256(canonical_json(plan))`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from shared.records.merkle.canonical import canonical_json


def plan_hash(plan: Mapping[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON, lowercase hex (64 digits)."""
    return hashlib.sha256(canonical_json(plan)).hexdigest()
