"""Event contracts of D73: one module per publishing service, one registry by `type`."""

from __future__ import annotations

from shared.contracts.approval import APPROVAL_EVENTS
from shared.contracts.audit import AUDIT_MESSAGES
from shared.contracts.base import ActorRef, Contract, IntegrationEvent, Message
from shared.contracts.registration import REGISTRATION_EVENTS
from shared.contracts.witness import WITNESS_MESSAGES

CONTRACTS: dict[str, type[IntegrationEvent]] = {
    cls.TYPE: cls for cls in (*REGISTRATION_EVENTS, *APPROVAL_EVENTS)
}
"""Proposal events, by `type`: what `shared.platform.envelope.decode` and tracked consumers
handle."""

from shared.contracts.public import PUBLIC_EVENTS  # noqa: E402 — built from the contracts above

PUBLIC_MESSAGES: dict[str, type[Message]] = {
    **PUBLIC_EVENTS,
    **{cls.TYPE: cls for cls in AUDIT_MESSAGES},
    **{cls.TYPE: cls for cls in WITNESS_MESSAGES},
}
"""What every agency may read (D73_PUBLIC): the public view of proposal events, the services'
audit checkpoints and the witness's cosignatures and alarms."""
MESSAGES: dict[str, type[Message]] = {**CONTRACTS, **PUBLIC_MESSAGES}
"""Every message type D73 publishes: the full events (the inspection tier) and the public ones."""

__all__ = [
    "CONTRACTS",
    "MESSAGES",
    "PUBLIC_MESSAGES",
    "ActorRef",
    "Contract",
    "IntegrationEvent",
    "Message",
]
