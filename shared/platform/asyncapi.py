"""A service's AsyncAPI 3 document, built from the contracts alone (issue #17 point 3).

Everything an agency needs to connect from the document: the servers (the `AGENCIES` account
agencies log in to, the `D73` account of the services) with their security schemes, the streams
behind each channel, every header each message carries with its meaning (CloudEvents attributes
per the CloudEvents NATS protocol binding, `Nats-Msg-Id`, the `d73-*` headers) and a payload
schema for every operation. Nothing depends on settings, so `d73 asyncapi <service>` and
`GET /asyncapi` return the same document. docs/agencies.md is the guide that goes with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.contracts import CONTRACTS
from shared.contracts.audit import Checkpoint, LogHeartbeat, ServiceAlarm
from shared.contracts.base import IntegrationEvent, Message
from shared.contracts.public import PUBLIC_OF
from shared.contracts.witness import WitnessMessage
from shared.platform.envelope import (
    CE_DATACONTENTTYPE,
    CE_ID,
    CE_SOURCE,
    CE_SPECVERSION,
    CE_SUBJECT,
    CE_TIME,
    CE_TYPE,
    JSON,
    LOG_INDEX,
    LOG_LEAVES,
    MSG_ID,
    POSITION,
    TREE_ROOT,
    TREE_SIZE,
    source_of,
)
from shared.platform.subjects import (
    AGENCIES_STREAM,
    AUDIT_STREAM,
    DEADLETTER_STREAM,
    INSPECTION_STREAM,
    PUBLIC_STREAM_OF_SERVICE,
    STREAM_OF_SERVICE,
    StreamSpec,
    deadletter_subject,
)
from shared.platform.tracing import CE_TRACEPARENT, TRACEPARENT, TRACESTATE

ASYNCAPI_VERSION = "3.1.0"
AGENCIES_SERVER = "agencies"
SERVICES_SERVER = "services"
STREAM_SOURCE = "Nats-Stream-Source"
DEAD_LETTER_HEADERS: dict[str, str] = {
    "d73-reason": "Why the message could not be processed (at most 4,000 characters)",
    "d73-origin-subject": "The subject the message was published on",
    "d73-origin-stream": "The stream it was read from",
    "d73-origin-seq": "Its sequence in that stream",
    "d73-deliveries": "How many times it was delivered before being set aside",
    "d73-consumer": "The durable consumer that gave up on it",
    "d73-dead-lettered-at": "When (RFC 3339, UTC)",
}
"""What `shared.platform.consumer.TrackedConsumer.dead_letter` adds to the original `ce-*`
headers."""


@dataclass(frozen=True)
class Channel:
    key: str
    address: str
    description: str
    servers: tuple[str, ...]
    messages: tuple[str, ...]
    """Message names (components/messages)."""
    streams: dict[str, str] = field(default_factory=dict)
    """Account → the stream that keeps the channel's messages there."""


def _string(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


def _headers(
    message: type[Message], service: str, *, position: bool, log_head: bool, sourced: bool
) -> dict[str, Any]:
    """The headers schema of a message type: every header it is sent with, and what it means."""
    subject_meaning = (
        "The proposal the event is about (its `proposal_id`)"
        if issubclass(message, IntegrationEvent) or message.TYPE.startswith("d73.public.")
        else "The service it concerns"
        + (", then `/` and the checkpoint's tree size" if message is Checkpoint else "")
    )
    properties: dict[str, Any] = {
        CE_SPECVERSION: _string("CloudEvents specversion", const="1.0"),
        CE_ID: _string("CloudEvents id: the payload's `id`", format="uuid"),
        CE_SOURCE: _string("CloudEvents source: the publishing service", const=source_of(service)),
        CE_TYPE: _string("CloudEvents type: the payload's `type`", const=message.TYPE),
        CE_TIME: _string("CloudEvents time: the payload's `occurred_at`", format="date-time"),
        CE_SUBJECT: _string(f"CloudEvents subject: {subject_meaning}"),
        CE_DATACONTENTTYPE: _string("CloudEvents datacontenttype of the body", const=JSON),
        MSG_ID: _string(
            "JetStream de-duplication id, always equal to `ce-id`: a message published twice "
            "is stored once; a reader that sees the same id again has a redelivery",
            format="uuid",
        ),
    }
    if position:
        properties[POSITION] = _string(
            "The event's position in the publishing service's notification log (decimal): "
            "strictly increasing per `ce-source`, so a reader can check order and gaps",
            pattern="^[0-9]+$",
        )
    if log_head:
        properties[LOG_INDEX] = _string(
            "The event's leaf index in the service's verifiable log (0-based)", pattern="^[0-9]+$"
        )
        properties[TREE_SIZE] = _string(
            "The size of the log right after the event", pattern="^[0-9]+$"
        )
        properties[TREE_ROOT] = _string(
            "The log's Merkle root (RFC 9162) right after the event, lowercase hex",
            pattern="^[0-9a-f]{64}$",
        )
        properties[LOG_LEAVES] = _string(
            "Comma-separated leaf hashes (hex) of every log entry since the previous published "
            "event, this one's last: entries never published are in the log too",
            pattern="^[0-9a-f]{64}(,[0-9a-f]{64})*$",
        )
    properties |= _trace_headers()
    if sourced:
        properties[STREAM_SOURCE] = _string(
            "Added by JetStream to a message read from a stream that sources another "
            "(D73_PUBLIC, D73_INSPECTION, a hub): the origin stream and sequence. Absent on "
            "live subscriptions"
        )
    optional = {STREAM_SOURCE, *_trace_headers()}
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required}


def _trace_headers() -> dict[str, Any]:
    """The trace the message continues (`shared.platform.tracing`), when the publisher had one."""
    return {
        TRACEPARENT: _string("W3C Trace Context: the trace of the command that caused it"),
        CE_TRACEPARENT: _string(
            "The same, as the CloudEvents distributed tracing extension's attribute"
        ),
        TRACESTATE: _string("W3C Trace Context vendor state, when there is any"),
    }


def _dead_letter_headers() -> dict[str, Any]:
    properties: dict[str, Any] = {
        f"{name}": _string(f"The original message's `{name}`, when it had one")
        for name in (CE_SPECVERSION, CE_ID, CE_SOURCE, CE_TYPE, CE_TIME, CE_SUBJECT)
    }
    properties[MSG_ID] = _string("`<consumer's service>-<origin stream>-<origin sequence>`")
    properties |= _trace_headers()
    properties |= {name: _string(meaning) for name, meaning in DEAD_LETTER_HEADERS.items()}
    return {"type": "object", "properties": properties, "required": [MSG_ID, *DEAD_LETTER_HEADERS]}


def _payload_schemas(models: Iterable[type[BaseModel]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model name → $ref, components/schemas) for the payload models."""
    unique = list(dict.fromkeys(models))
    refs, document = models_json_schema(
        [(model, "serialization") for model in unique],
        ref_template="#/components/schemas/{model}",
    )
    by_model = {model: refs[(model, "serialization")] for model in unique}
    return {model.TYPE: ref for model, ref in by_model.items()}, document.get("$defs", {})  # type: ignore[attr-defined]


def _message_name(message_type: str) -> str:
    return message_type


def _type_of_stream(stream: StreamSpec) -> list[type[Message]]:
    if stream.name == AUDIT_STREAM.name:
        return [Checkpoint, ServiceAlarm, LogHeartbeat]
    for service, spec in STREAM_OF_SERVICE.items():
        if spec.name == stream.name:
            return [c for c in CONTRACTS.values() if getattr(c, "SERVICE", None) == service]
    return []


def asyncapi_document(
    *,
    service: str,
    version: str,
    published: Sequence[type[IntegrationEvent] | type[WitnessMessage]],
    stream: StreamSpec | None,
    audited: bool,
    consumed: Sequence[StreamSpec],
) -> dict[str, Any]:
    """The AsyncAPI 3 document of one service: what it sends and what it receives."""
    channels: list[Channel] = []
    operations: dict[str, Any] = {}
    headers: dict[str, dict[str, Any]] = {}
    summaries: dict[str, str] = {}
    models: list[type[Message]] = []

    def send(channel: Channel) -> None:
        channels.append(channel)
        operations[f"send-{channel.key}"] = {
            "action": "send",
            "title": f"Publish {', '.join(channel.messages)}",
            "channel": {"$ref": f"#/channels/{channel.key}"},
            "messages": [
                {"$ref": f"#/channels/{channel.key}/messages/{name}"} for name in channel.messages
            ],
        }

    def add_message(message: type[Message], sender: str, **kind: bool) -> str:
        name = _message_name(message.TYPE)
        headers[name] = _headers(message, sender, **kind)
        summaries[name] = (message.__doc__ or message.TYPE).strip().splitlines()[0]
        models.append(message)
        return name

    public = PUBLIC_STREAM_OF_SERVICE.get(service)
    for contract in published:
        full = stream is not None and stream.name in {s.name for s in STREAM_OF_SERVICE.values()}
        name = add_message(contract, service, position=True, log_head=audited, sourced=True)
        shown = (SERVICES_SERVER, AGENCIES_SERVER)
        streams = {"D73": stream.name if stream else ""}
        if full:
            streams["AGENCIES"] = INSPECTION_STREAM
            description = (
                f"{contract.TYPE} as the services exchange it. Agencies: the inspection tier, "
                f"for agencies with an inspection mandate only (stream {INSPECTION_STREAM})."
            )
        else:
            streams["AGENCIES"] = AGENCIES_STREAM
            description = f"{contract.TYPE}; agencies read it live or from {AGENCIES_STREAM}."
        send(Channel(contract.subject(), contract.subject(), description, shown, (name,), streams))
        public_view = PUBLIC_OF.get(contract.TYPE)
        if public is not None and public_view is not None:
            public_name = add_message(
                public_view, service, position=True, log_head=False, sourced=True
            )
            send(
                Channel(
                    public_view.subject(),
                    public_view.subject(),
                    f"The public view of {contract.TYPE}, for every agency "
                    f"(docs/agencies.md says what it leaves out).",
                    shown,
                    (public_name,),
                    {"D73": public.name, "AGENCIES": AGENCIES_STREAM},
                )
            )
    if audited:
        name = add_message(Checkpoint, service, position=False, log_head=False, sourced=True)
        subject = Checkpoint.subject_of(service)
        send(
            Channel(
                subject,
                subject,
                "The service's signed log checkpoints (public).",
                (SERVICES_SERVER, AGENCIES_SERVER),
                (name,),
                {"D73": AUDIT_STREAM.name, "AGENCIES": AGENCIES_STREAM},
            )
        )
    announced: tuple[tuple[type[ServiceAlarm] | type[LogHeartbeat], str], ...] = (
        (
            ServiceAlarm,
            "The service announces that it halted (it takes no commands until an operator acts).",
        ),
        (
            LogHeartbeat,
            "While its log owes a checkpoint, the service says whether it takes commands and "
            "how far its log must reach, so that the witness can tell a stalled log.",
        ),
    )
    witnessed = audited and service in STREAM_OF_SERVICE  # reporting's own log is not
    for message, description in announced if witnessed else announced[:1]:
        name = add_message(message, service, position=False, log_head=False, sourced=True)
        subject = message.subject_of(service)
        send(
            Channel(
                subject,
                subject,
                description,
                (SERVICES_SERVER, AGENCIES_SERVER),
                (name,),
                {"D73": AUDIT_STREAM.name, "AGENCIES": AGENCIES_STREAM},
            )
        )
    for upstream in consumed:
        kinds = _type_of_stream(upstream)
        if not kinds:
            continue
        sender = upstream.owner if upstream.name != AUDIT_STREAM.name else "<service>"
        names = []
        for kind in kinds:
            audited_sender = upstream.name in {s.name for s in STREAM_OF_SERVICE.values()}
            if _message_name(kind.TYPE) not in headers:
                add_message(
                    kind,
                    sender,
                    position=issubclass(kind, IntegrationEvent),
                    log_head=audited_sender,
                    sourced=False,
                )
            names.append(_message_name(kind.TYPE))
        key = f"{service}-reads-{upstream.name}"
        channels.append(
            Channel(
                key,
                upstream.subjects[0],
                f"What {service} consumes from {upstream.name} (durable pull consumer "
                f"{service}-{upstream.name.lower()}, one message in flight).",
                (SERVICES_SERVER,),
                tuple(names),
                {"D73": upstream.name},
            )
        )
        operations[f"receive-{upstream.name}"] = {
            "action": "receive",
            "title": f"Consume {upstream.name}",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{n}"} for n in names],
        }
    if consumed:
        subject = deadletter_subject(service)
        send(
            Channel(
                subject,
                subject,
                f"Messages {service} could not process, with the reason; never shown to agencies.",
                (SERVICES_SERVER,),
                ("d73.deadletter",),
                {"D73": DEADLETTER_STREAM.name},
            )
        )

    refs, schemas = _payload_schemas(models)
    messages: dict[str, Any] = {
        name: {
            "name": name,
            "title": name,
            "summary": summaries[name],
            "contentType": JSON,
            "headers": headers[name],
            "payload": refs[name],
        }
        for name in headers
    }
    if consumed:
        messages["d73.deadletter"] = {
            "name": "d73.deadletter",
            "title": "Dead letter",
            "summary": "The original body, unchanged, with why it was set aside",
            "contentType": "application/octet-stream",
            "headers": _dead_letter_headers(),
            "payload": {"description": "The original message body, byte for byte"},
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": f"D73 {service}",
            "version": version,
            "description": _description(service),
        },
        "defaultContentType": JSON,
        "servers": _servers(),
        "channels": {
            channel.key: {
                "address": channel.address,
                "description": channel.description,
                "servers": [{"$ref": f"#/servers/{s}"} for s in channel.servers],
                "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in channel.messages},
                "x-d73-streams": channel.streams,
            }
            for channel in channels
        },
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                "agencyPassword": {
                    "type": "userPassword",
                    "description": (
                        "An agency user of the AGENCIES account: `d73 agency add <name>` creates "
                        "it and writes its credentials file. It reads the public tier with its "
                        f"own consumers on stream {AGENCIES_STREAM} (named `<name>`, `<name>_1` "
                        "… `<name>_9`) on its private inbox `_INBOX_<name>` (nats-py "
                        "`inbox_prefix`); with an inspection mandate also on "
                        f"{INSPECTION_STREAM}. It can publish nothing."
                    ),
                },
                "servicePassword": {
                    "type": "userPassword",
                    "description": "A service's own user of the D73 account (one per service).",
                },
            },
        },
    }


def _servers() -> dict[str, Any]:
    variables = {
        "host": {"default": "localhost", "description": "Where the suite's NATS listens"},
        "port": {"default": "4222", "description": "D73_NATS_PORT of the suite"},
    }
    return {
        AGENCIES_SERVER: {
            "host": "{host}:{port}",
            "protocol": "nats",
            "title": "NATS, AGENCIES account",
            "description": (
                f"What other agencies connect to. Replay from the beginning with a pull consumer "
                f"on stream {AGENCIES_STREAM} (deliver policy all), keep one message in flight "
                "or check `d73-position` per `ce-source`, and recognise redeliveries by `ce-id`. "
                "docs/agencies.md is the client guide."
            ),
            "variables": variables,
            "security": [{"$ref": "#/components/securitySchemes/agencyPassword"}],
        },
        SERVICES_SERVER: {
            "host": "{host}:{port}",
            "protocol": "nats",
            "title": "NATS, D73 account",
            "description": "The services' own account: each service publishes only its subjects.",
            "variables": variables,
            "security": [{"$ref": "#/components/securitySchemes/servicePassword"}],
        },
    }


def _description(service: str) -> str:
    return (
        f"Events D73 {service} publishes and consumes, CloudEvents 1.0 in binary mode over NATS "
        "JetStream: the attributes travel as `ce-*` headers (CloudEvents NATS protocol binding), "
        "the JSON payload as the body. Contracts only grow: a field may be added, never removed "
        "or narrowed; anything else is a new type with a raised `.vN` (JSON Schemas of every "
        "type: `d73 schemas`, docs/schemas/)."
    )
