"""CloudEvents 1.0 binary mode over NATS: attributes in headers, the contract as JSON body.

`Nats-Msg-Id` is the event id, so JetStream drops a re-published copy inside its duplicate window.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from shared.contracts import CONTRACTS, IntegrationEvent
from shared.contracts.base import Published

CE_SPECVERSION = "ce-specversion"
CE_ID = "ce-id"
CE_SOURCE = "ce-source"
CE_TYPE = "ce-type"
CE_TIME = "ce-time"
CE_SUBJECT = "ce-subject"
MSG_ID = "Nats-Msg-Id"
POSITION = "d73-position"
CONTENT_TYPE = "content-type"


class PoisonMessage(Exception):
    """A message that can never be processed: it goes to the dead-letter stream."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def source_of(service: str) -> str:
    return f"/d73/{service}"


def encode(event: Published, service: str) -> tuple[bytes, dict[str, str]]:
    """Body and headers of one published event."""
    headers = {
        CE_SPECVERSION: "1.0",
        CE_ID: str(event.id),
        CE_SOURCE: source_of(service),
        CE_TYPE: event.type,
        CE_TIME: event.occurred_at.isoformat(),
        CE_SUBJECT: event.ce_subject(),
        CONTENT_TYPE: "application/json",
        MSG_ID: str(event.id),
        POSITION: str(event.position),
    }
    return event.model_dump_json().encode(), headers


def decode(headers: Mapping[str, str] | None, body: bytes) -> IntegrationEvent:
    """The contract in a message, or PoisonMessage saying exactly why not."""
    event_type = (headers or {}).get(CE_TYPE)
    if event_type is None:
        raise PoisonMessage("missing ce-type header")
    contract = CONTRACTS.get(event_type)
    if contract is None:
        raise PoisonMessage(f"unknown event type {event_type!r}")
    try:
        # Each contract's `type` is a Literal, so a body of another type fails here too.
        return contract.model_validate_json(body)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )
        raise PoisonMessage(f"invalid {event_type}: {problems}") from None
