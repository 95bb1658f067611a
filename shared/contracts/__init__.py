"""Event contracts of D73: one module per publishing service, one registry by `type`."""

from __future__ import annotations

from shared.contracts.approval import APPROVAL_EVENTS
from shared.contracts.base import ActorRef, Contract, IntegrationEvent
from shared.contracts.registration import REGISTRATION_EVENTS

CONTRACTS: dict[str, type[IntegrationEvent]] = {
    cls.TYPE: cls for cls in (*REGISTRATION_EVENTS, *APPROVAL_EVENTS)
}

__all__ = ["CONTRACTS", "ActorRef", "Contract", "IntegrationEvent"]
