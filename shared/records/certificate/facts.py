"""What a protection certificate states, read from the log entries that prove it.

Issuing and verifying read every printed fact with these functions from the decoded entries
(`shared.records.merkle.canonical.decode_entry`), so a certificate can say nothing its entries do
not: the verifier recomputes each fact and compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.records.plan_hash import plan_hash

CERTIFICATE_NAMESPACE = uuid5(NAMESPACE_URL, "d73:protection-certificate")
NO_PROTECTION = "NONE"
"""The tier of a determination that grants no protection (Art 11), or was revoked (Art 6)."""


class FactError(ValueError):
    """An entry lacks a field the certificate reads from it."""


def _field(state: Mapping[str, Any], *path: str) -> Any:
    value: Any = state
    for name in path:
        if not isinstance(value, Mapping) or name not in value:
            raise FactError(f"the entry's state has no {'.'.join(path)}")
        value = value[name]
    return value


def certificate_id(case_id: str, determination_event_id: str) -> str:
    """One id per determination: every copy of its certificate, whenever issued, shares it."""
    return str(uuid5(CERTIFICATE_NAMESPACE, f"{UUID(case_id)}/{UUID(determination_event_id)}"))


def case_facts(
    opened: Mapping[str, Any],
    approval: Mapping[str, Any] | None = None,
    official_id: object = None,
) -> dict[str, Any]:
    """Proposal, official, title and competent authority from the case's Opened state
    (Art 7 §3–4). The official is the proposer as the case holds them, or — for an
    implementer's own record (Art 11: "cán bộ đề xuất, thực hiện") — the implementer as the
    approval entry named them."""
    routing = _field(opened, "routing")
    head_id = _field(opened, "authority", "head_id")
    routed_to_head = isinstance(routing, Mapping) and routing.get("decider_id") == head_id
    return {
        "proposal_id": _field(opened, "stamp", "proposal_id"),
        "official": _official(opened, approval, official_id),
        "title": _field(opened, "title"),
        "competent_authority": {
            "unit_id": _field(opened, "routing", "recipient_unit_id"),
            "head_id": head_id,
            "head_name": str(routing.get("decider_name") or "") if routed_to_head else "",
            "deputy_ids": _field(opened, "authority", "deputy_ids"),
        },
    }


def _official(
    opened: Mapping[str, Any], approval: Mapping[str, Any] | None, official_id: object
) -> Any:
    proposer = _field(opened, "proposer")
    if official_id is None or (
        isinstance(proposer, Mapping) and proposer.get("user_id") == official_id
    ):
        return proposer
    implementers = (approval or {}).get("implementers")
    for implementer in implementers if isinstance(implementers, list) else ():
        if isinstance(implementer, Mapping) and implementer.get("user_id") == official_id:
            return implementer
    raise FactError(f"{official_id} is neither the proposer nor an implementer the approval named")


def approved_plan(approval: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The plan an approval event recorded and the hash recomputed from it (Art 8 §1).

    `FactError` when the event carries no plan, or a hash other than the plan's."""
    plan = approval.get("plan")
    if not isinstance(plan, Mapping):
        raise FactError("the approval entry carries no plan")
    computed = plan_hash(plan)
    if approval.get("plan_hash") != computed:
        raise FactError(
            f"the approval entry records plan hash {approval.get('plan_hash')!r}, but its plan "
            f"hashes to {computed}"
        )
    return plan, computed


def determination(protection: Mapping[str, Any]) -> dict[str, Any]:
    """The Art 11 finding as the ProtectionDetermined state records it."""
    return {
        "official_id": _field(protection, "official_id"),
        "tier": _field(protection, "tier"),
        "legal_basis": _field(protection, "stamp", "legal_basis"),
        "reasons": _field(protection, "reasons"),
        "facts": _field(protection, "facts"),
        "decision_ref": _field(protection, "decision_ref"),
        "referred_to": _field(protection, "referred_to"),
        "determined_at": _field(protection, "stamp", "at"),
        "determined_by": {
            "user_id": _field(protection, "stamp", "actor", "user_id"),
            "name": _field(protection, "stamp", "actor", "name"),
        },
    }


def event_date(state: Mapping[str, Any]) -> str:
    """When the event was recorded, as its stamp says (RFC 3339), or '' if it says nothing."""
    stamp = state.get("stamp")
    at = stamp.get("at") if isinstance(stamp, Mapping) else None
    return at if isinstance(at, str) else ""
