from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.contracts import CONTRACTS, ActorRef
from shared.contracts.public import to_public
from shared.contracts.registration import Official, ProposalSubmitted, ProposalWithdrawn, Routing
from shared.platform.envelope import (
    CE_TYPE,
    MSG_ID,
    POSITION,
    PoisonMessage,
    decode,
    encode,
    encode_message,
    message_json,
)
from tests.unit.registration_service.builders import (
    approved_at_meeting,
    plan_received,
    supplement_requested,
)


def submitted() -> ProposalSubmitted:
    return ProposalSubmitted(
        id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        occurred_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
        position=7,
        title="Một cửa số",
        proposer=Official(
            user_id="u1", name="Trần A", unit_id="ct.so-tu-phap", position="director"
        ),
        protection_eligible=True,
        routing=Routing(
            target="CITY_PC_VIA_DOHA",
            recipient_unit_id="ct.ubnd",
            intake_unit_id="ct.so-noi-vu",
            decider_id="p1",
            legal_basis="KH 88/KH-UBND II.3.a",
            directory_version="2024.1",
        ),
        plan={"necessity": "x"},
        submitted_at=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
    )


def test_cloudevents_binary_headers_and_msg_id_is_event_id() -> None:
    event = submitted()
    body, headers = encode(event, "registration")
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-id"] == headers[MSG_ID] == str(event.id)
    assert headers["ce-source"] == "/d73/registration"
    assert headers[CE_TYPE] == "d73.proposal.submitted.v1"
    assert headers["ce-subject"] == str(event.proposal_id)
    assert headers[POSITION] == "7"
    assert headers["ce-datacontenttype"] == "application/json"
    assert "content-type" not in headers, "the CloudEvents NATS binding names it ce-datacontenttype"
    assert decode(headers, body) == event


def test_subjects_follow_service_aggregate_event() -> None:
    assert ProposalSubmitted.subject() == "d73.registration.proposal.submitted"
    assert ProposalWithdrawn.subject() == "d73.registration.proposal.withdrawn"


def test_every_contract_type_is_versioned_and_unique() -> None:
    for type_name, contract in CONTRACTS.items():
        assert type_name.startswith("d73.")
        assert type_name.rsplit(".", 1)[1].startswith("v")
        assert type_name == contract.TYPE


def test_tolerant_reader_ignores_added_optional_fields() -> None:
    event = submitted()
    body, headers = encode(event, "registration")
    widened = body[:-1] + b',"added_later":"ok"}'
    assert decode(headers, widened) == event


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, b"{}", "missing ce-type"),
        ({CE_TYPE: "d73.proposal.submitted.v9"}, b"{}", "unknown event type"),
        ({CE_TYPE: "d73.proposal.submitted.v1"}, b"{not json", "Invalid JSON"),
        ({CE_TYPE: "d73.proposal.submitted.v1"}, b'{"type":"d73.proposal.submitted.v1"}', "title"),
    ],
)
def test_poison_messages_say_why(headers: dict[str, str], body: bytes, reason: str) -> None:
    with pytest.raises(PoisonMessage) as caught:
        decode(headers, body)
    assert reason in caught.value.reason


def test_type_header_must_match_body() -> None:
    event = submitted()
    withdrawn = ProposalWithdrawn(
        id=event.id,
        proposal_id=event.proposal_id,
        occurred_at=event.occurred_at,
        position=8,
        reason="no longer needed",
    )
    body, _ = encode(withdrawn, "registration")
    with pytest.raises(PoisonMessage, match=r"invalid d73\.proposal\.submitted\.v1: type"):
        decode({CE_TYPE: "d73.proposal.submitted.v1"}, body)


def _contracts() -> list[Any]:
    """Messages of several shapes: nested models, dates, datetimes, UUIDs, a plan, the public
    tier's views of them, and the approval contracts a registration test builds."""
    pid = uuid.uuid4()
    approval = [
        plan_received(pid),
        supplement_requested(pid),
        approved_at_meeting(pid, "ct.p0026"),
    ]
    withdrawn = ProposalWithdrawn(
        id=uuid.uuid4(),
        proposal_id=pid,
        occurred_at=datetime(2025, 3, 4, 5, 6, 7, 120000, tzinfo=UTC),
        position=8,
        actor=ActorRef(user_id="u1", roles=["proposer"]),
        legal_basis="ND73 Art 7",
        reason="Đổi hướng \u2028 </script>",
        recipient_unit_id=None,
    )
    full = [submitted(), withdrawn, *approval]
    return full + [view for view in map(to_public, full) if view is not None]


def test_a_message_is_written_as_its_model_dump_json_says() -> None:
    for message in _contracts():
        assert message_json(message) == message.model_dump_json().encode()
        body, _ = encode_message(message, "registration", subject="s")
        assert body == message.model_dump_json().encode()
