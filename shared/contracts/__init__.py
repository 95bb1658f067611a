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
"""Proposal events, by `type`: what `shared.envelope.decode` and tracked consumers handle."""
MESSAGES: dict[str, type[Message]] = {
    **CONTRACTS,
    **{cls.TYPE: cls for cls in AUDIT_MESSAGES},
    **{cls.TYPE: cls for cls in WITNESS_MESSAGES},
}
"""Every message type D73 publishes, audit checkpoints and the witness's messages included."""

__all__ = ["CONTRACTS", "MESSAGES", "ActorRef", "Contract", "IntegrationEvent", "Message"]
