"""Every stored Case event maps, alone, to its contract; the contract survives the wire."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.approval.application import ApprovalApplication
from services.approval.publishing import to_contract
from shared.contracts.approval import (
    CONTRACT_OF_CASE_EVENT,
    ApprovalMeetingHeld,
    CaseOpened,
    DeadlineBreached,
    SupplementRequested,
)
from shared.contracts.base import IntegrationEvent
from shared.platform.envelope import decode, encode
from shared.platform.outbox import event_id
from tests.unit.approval_service.builders import Clock, Upstream, every_kind_of_event


def published(app: ApprovalApplication) -> list[tuple[Any, IntegrationEvent]]:
    notifications = app.recorder.select_notifications(start=0, limit=10_000)
    pairs = []
    for notification in notifications:
        stored = app.mapper.to_domain_event(notification)
        contract = to_contract(stored, notification.id)
        assert contract is not None, type(stored).__name__
        pairs.append((stored, contract))
    return pairs


def test_every_stored_case_event_is_published_as_its_own_contract(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    every_kind_of_event(app, upstream, clock)
    pairs = published(app)
    seen = {type(stored).__name__ for stored, _ in pairs}
    assert seen == set(CONTRACT_OF_CASE_EVENT)
    for position, (stored, contract) in enumerate(pairs, start=1):
        assert isinstance(contract, CONTRACT_OF_CASE_EVENT[type(stored).__name__])
        assert contract.id == event_id("approval", stored)
        assert contract.position == position
        assert contract.case_id == stored.originator_id
        assert contract.state == stored.stamp["state"]
        assert contract.occurred_at == stored.stamp["at"]
        assert contract.actor is not None
        assert contract.actor.user_id == stored.stamp["actor"]["user_id"]
        assert contract.legal_basis == stored.stamp["legal_basis"]
        assert contract.rule_set_version == "2024.1"


def test_contracts_cross_the_wire_unchanged(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    every_kind_of_event(app, upstream, clock)
    for _, contract in published(app):
        body, headers = encode(contract, "approval")
        assert headers["ce-type"] == contract.TYPE
        received = decode(headers, body)
        assert type(received) is type(contract)
        # free-form parts (resources_used) carry their Decimals as JSON strings
        assert received.model_dump(mode="json") == contract.model_dump(mode="json")


def test_supplement_request_is_published_with_items_reason_due_and_its_id(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    every_kind_of_event(app, upstream, clock)
    requests = [c for _, c in published(app) if isinstance(c, SupplementRequested)]
    (request,) = requests
    assert request.items == ["purpose"]
    assert request.reason == "Thiếu mục đích"
    assert request.due == date(2024, 6, 17)  # 10 working days after Mon 3 June 2024
    assert request.state == "NEEDS_SUPPLEMENT"
    assert request.responsible_user_id == "ct.p0026"


def test_opened_meeting_and_breach_carry_what_a_reader_needs_without_calling_back(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    first: UUID = every_kind_of_event(app, upstream, clock)[0]
    contracts = [c for _, c in published(app) if c.case_id == first]  # type: ignore[attr-defined]
    opened = contracts[0]
    assert isinstance(opened, CaseOpened)
    assert opened.recipient_unit_id == "ct.ubnd-tp"
    assert opened.intake_unit_id == "ct.so-noi-vu"
    assert opened.routing is not None
    assert opened.routing.target == "CITY_PC_VIA_DOHA"
    assert opened.authority is not None
    assert opened.authority.head_id == "ct.p0001"
    assert opened.authority.delegate_ids == ["ct.p0008", "ct.p0009", "ct.p0010", "ct.p0011"]
    assert opened.proposer is not None
    assert opened.proposer.user_id == "ct.p0026"
    (meeting,) = [c for c in contracts if isinstance(c, ApprovalMeetingHeld)]
    assert meeting.state == "COLLECTIVE_REJECTED"
    assert meeting.vote.outcome == "FAILED"
    assert meeting.vote.votes_against == 4
    (breach,) = [c for c in contracts if isinstance(c, DeadlineBreached)]
    assert breach.deadline == "approval"
    assert breach.responsible_user_id == "ct.p0001"
    assert breach.escalated_to is not None
    assert (breach.escalated_to.target, breach.escalated_to.unit_id) == (
        "HOME_AFFAIRS",
        "ct.so-noi-vu",
    )
