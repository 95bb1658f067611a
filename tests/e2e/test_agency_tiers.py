"""What an agency may see (issue #17 point 2), against the running services: an ordinary agency
reads the public view of every event from D73_PUBLIC and never receives a field of the fuller
tier; an agency with an inspection mandate reads D73_INSPECTION, where those fields are."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats
from pydantic import BaseModel

from services.cli.natsconfig import (
    AGENCIES_ADMIN_USER,
    agencies_inspection_stream,
    agencies_public_stream,
)
from services.cli.natsserver import NatsServer
from shared.contracts import CONTRACTS, PUBLIC_MESSAGES
from shared.contracts.public import PUBLIC_EVENTS, public_type
from shared.platform.subjects import AGENCIES_STREAM, INSPECTION_STREAM, inbox_prefix
from tests.deploy.natsauth import AGENCY, INSPECTOR, PASSWORDS
from tests.support.flows import (
    VOTERS,
    CityCaseJourney,
    proposer_headers,
    submit_proposal,
    wait_for_case,
)
from tests.support.infra import Suite, wait_until
from tests.unit.contracts.test_asyncapi import document as asyncapi_document_of


def _schema_paths(model: type[BaseModel]) -> set[str]:
    """Every field path a model's JSON Schema allows, lists written `[]`."""
    schema = model.model_json_schema(mode="serialization")
    definitions = schema.get("$defs", {})
    paths: set[str] = set()

    def walk(node: dict[str, Any], prefix: str) -> None:
        if "$ref" in node:
            walk(definitions[node["$ref"].split("/")[-1]], prefix)
        for alternative in node.get("anyOf", []):
            walk(alternative, prefix)
        if "items" in node:
            walk(node["items"], f"{prefix}[]")
        for name, child in node.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            paths.add(path)
            walk(child, path)

    walk(schema, "")
    return paths


def _body_paths(value: Any, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    if isinstance(value, dict):
        for name, child in value.items():
            path = f"{prefix}.{name}" if prefix else name
            paths |= {path} | _body_paths(child, path)
    elif isinstance(value, list):
        for item in value:
            paths |= _body_paths(item, f"{prefix}[]")
    return paths


def _inspection_only(full_type: str) -> set[str]:
    return _schema_paths(CONTRACTS[full_type]) - _schema_paths(
        PUBLIC_EVENTS[public_type(full_type)]
    )


Message = tuple[dict[str, str], bytes]
DOCUMENTS = {service: asyncapi_document_of(service) for service in ("registration", "approval")}


def _assert_headers_as_documented(headers: dict[str, str]) -> None:
    """The headers a message arrives with are those its AsyncAPI message declares: none
    undocumented, none required missing."""
    service = headers["ce-source"].removeprefix("/d73/")
    declared = DOCUMENTS[service]["components"]["messages"][headers["ce-type"]]["headers"]
    assert set(headers) <= set(declared["properties"]), headers["ce-type"]
    assert set(declared["required"]) <= set(headers), headers["ce-type"]
    assert headers["Nats-Msg-Id"] == headers["ce-id"]


async def _read_all(port: int, user: str, stream: str) -> list[Message]:
    """Every message of an AGENCIES stream, read as `user` (headers and body)."""
    nc = await nats.connect(
        f"nats://127.0.0.1:{port}",
        user=user,
        password=PASSWORDS[user],
        inbox_prefix=inbox_prefix(user),
    )
    try:
        js = nc.jetstream(timeout=5)
        info = await js.stream_info(stream)
        got: list[Message] = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq=seq)
            got.append((dict(msg.headers or {}), msg.data or b""))
        return got
    finally:
        await nc.close()


async def _agencies_streams(port: int) -> None:
    nc = await nats.connect(
        f"nats://127.0.0.1:{port}",
        user=AGENCIES_ADMIN_USER,
        password=PASSWORDS[AGENCIES_ADMIN_USER],
    )
    try:
        js = nc.jetstream(timeout=5)
        await js.add_stream(agencies_public_stream())
        await js.add_stream(agencies_inspection_stream())
    finally:
        await nc.close()


def test_an_ordinary_agency_never_receives_a_field_of_the_inspection_tier(
    suite: Suite, nats_server: NatsServer
) -> None:
    suite.start()
    asyncio.run(_agencies_streams(nats_server.port))
    director = proposer_headers()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, suite["registration"].url, director, "Số hóa")
        case = wait_for_case(client, suite["approval"].url, proposal_id, director)
        journey = CityCaseJourney(client, suite["approval"].url, case["id"], director, today)
        journey.run(until="party-opinion-on-evaluation")

    def case_events(stream: str, user: str) -> list[Message] | None:
        got = asyncio.run(_read_all(nats_server.port, user, stream))
        events = [m for m in got if json.loads(m[1]).get("proposal_id") == proposal_id]
        kinds = {json.loads(body)["type"] for _, body in events}
        return events if any("completion-reported" in k for k in kinds) else None

    public = wait_until(lambda: case_events(AGENCIES_STREAM, AGENCY), timeout=60)
    seen_types = set()
    for headers, body in public:
        kind = headers["ce-type"]
        data = json.loads(body)
        assert kind == data["type"]
        assert kind in PUBLIC_MESSAGES, kind
        PUBLIC_MESSAGES[kind].model_validate_json(body)
        leaked = _body_paths(data) & _inspection_only(PUBLIC_EVENTS[kind].FULL.TYPE)
        assert leaked == set(), f"{kind} carries inspection-tier fields {sorted(leaked)}"
        seen_types.add(PUBLIC_EVENTS[kind].FULL.TYPE)
    assert {
        "d73.proposal.submitted.v1",
        "d73.case.opened.v1",
        "d73.case.approval-meeting-held.v1",
        "d73.case.resources-allocated.v1",
    } <= seen_types
    meeting = next(
        json.loads(b) for _, b in public if "approval-meeting-held" in json.loads(b)["type"]
    )
    assert meeting["vote"]["votes_for"] == len(VOTERS)
    assert meeting["vote"]["outcome"] == "PASSED"

    inspected = wait_until(lambda: case_events(INSPECTION_STREAM, INSPECTOR), timeout=60)
    full_meeting = next(
        json.loads(b)
        for _, b in inspected
        if json.loads(b)["type"] == "d73.case.approval-meeting-held.v1"
    )
    assert len(full_meeting["vote"]["ballots"]) == len(VOTERS), "each member's vote is kept"
    assert full_meeting["actor"]["user_id"]
    for headers, _ in [*public, *inspected]:
        _assert_headers_as_documented(headers)
    shown_fields = set().union(*(_body_paths(json.loads(b)) for _, b in inspected))
    withheld = set().union(*(_inspection_only(t) for t in seen_types))
    assert {
        "vote.ballots",
        "vote.ballots[].member_id",
        "actor.user_id",
        "plan",
    } <= withheld & shown_fields
