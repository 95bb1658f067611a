"""CloudEvents 1.0 binary mode over NATS: attributes in headers, the contract as JSON body.

Headers follow the CloudEvents NATS protocol binding: every attribute as `ce-<name>`, the body's
media type as `ce-datacontenttype`. `Nats-Msg-Id` is the message id (the CloudEvents `id`) for
every message D73 publishes, so JetStream drops a re-published copy inside its duplicate window.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from shared.contracts import CONTRACTS, IntegrationEvent
from shared.contracts.base import Published, Sendable

CE_SPECVERSION = "ce-specversion"
CE_ID = "ce-id"
CE_SOURCE = "ce-source"
CE_TYPE = "ce-type"
CE_TIME = "ce-time"
CE_SUBJECT = "ce-subject"
MSG_ID = "Nats-Msg-Id"
POSITION = "d73-position"
CE_DATACONTENTTYPE = "ce-datacontenttype"
# The signed log's head of a published event (shared/records/servicelog/heads.py reads them).
LOG_INDEX = "d73-log-index"
"""Header: the event's leaf index in its service's log (0-based, as RFC 9162 counts)."""
TREE_SIZE = "d73-tree-size"
"""Header: the size of the log right after the event (its position, 1-based)."""
TREE_ROOT = "d73-tree-root"
"""Header: the Merkle root of the log right after the event, lowercase hex."""
LOG_LEAVES = "d73-log-leaves"
"""Header: the leaf hashes (hex, comma-separated) of every entry since the previous published
event, this event's last: entries never published (private drafts) are in the log too, and a
witness needs their hashes, not their content, to recompute each root."""
JSON = "application/json"


class PoisonMessage(Exception):
    """A message that can never be processed: it goes to the dead-letter stream."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def source_of(service: str) -> str:
    return f"/d73/{service}"


def cloudevent_headers(message: Sendable, service: str, subject: str) -> dict[str, str]:
    """The CloudEvents attributes of a message and its `Nats-Msg-Id` (always its id, spelled
    once: a UUID's `str` was ~4 % of the relays' time, issue #19)."""
    message_id = str(message.id)
    return {
        CE_SPECVERSION: "1.0",
        CE_ID: message_id,
        CE_SOURCE: source_of(service),
        CE_TYPE: message.type,
        CE_TIME: message.occurred_at.isoformat(),
        CE_SUBJECT: subject,
        CE_DATACONTENTTYPE: JSON,
        MSG_ID: message_id,
    }


def encode(event: Published, service: str) -> tuple[bytes, dict[str, str]]:
    """Body and headers of one published event."""
    body, headers = encode_message(event, service, subject=event.ce_subject())
    headers[POSITION] = str(event.position)
    return body, headers


def encode_message(
    message: Sendable, service: str, *, subject: str
) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a message that has no place in a notification log (an alarm)."""
    return message_json(message), cloudevent_headers(message, service, subject)


def message_json(message: Sendable) -> bytes:
    """`message.model_dump_json().encode()`, the same bytes, as pydantic writes them: without
    their round trip through a `str`, which for a submission's 4 KB of Vietnamese text was
    half of writing it (issue #19)."""
    serializer = getattr(message, "__pydantic_serializer__", None)
    if serializer is None:
        return message.model_dump_json().encode()
    body: bytes = serializer.to_json(message)
    return body


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
