"""The published contracts of approval: one per Case event, named and typed by rule."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, get_args
from uuid import uuid4

import pytest

from services.approval.domain.case import Case
from services.approval.domain.encouragement import Beneficiary, EncouragementForm
from services.approval.domain.evaluation import EvaluationOutcome
from services.approval.domain.prohibited_acts import ProhibitedAct
from services.approval.domain.protection import ProtectionTier
from services.approval.domain.vote import Ballot, VoteStage
from shared.contracts import CONTRACTS
from shared.contracts import approval as contracts
from shared.contracts.approval import (
    APPROVAL_EVENTS,
    CONTRACT_OF_CASE_EVENT,
    CaseOpened,
    SupplementRequested,
)
from shared.contracts.base import IntegrationEvent
from shared.contracts.vocabulary import CASE_CLOCKS, CaseState, EscalationTarget


def domain_event_names() -> list[str]:
    """Every case event: `Opened` and each stage's event classes, found in the stages' modules
    so that a new event is noticed."""
    from services.approval.domain.case import STAGES
    from services.approval.domain.record import events_of

    return ["Opened", *(event.__name__ for event in events_of(*STAGES))]


def kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def test_every_case_event_has_exactly_one_contract() -> None:
    names = domain_event_names()
    assert len(names) == 30
    assert sorted(CONTRACT_OF_CASE_EVENT) == sorted(names)
    assert len(set(APPROVAL_EVENTS)) == len(APPROVAL_EVENTS) == 30
    for name in names:
        assert hasattr(Case, name)


def test_types_and_subjects_are_the_kebab_case_of_the_domain_event() -> None:
    for name, contract in CONTRACT_OF_CASE_EVENT.items():
        event = "opened" if name == "Opened" else kebab(name)
        assert event == contract.EVENT
        assert f"d73.case.{event}.v1" == contract.TYPE
        assert contract.subject() == f"d73.approval.case.{event}"
        assert contract.model_fields["type"].default == contract.TYPE
    assert SupplementRequested.TYPE == "d73.case.supplement-requested.v1"
    assert CONTRACT_OF_CASE_EVENT["ApprovalMeetingHeld"].TYPE == (
        "d73.case.approval-meeting-held.v1"
    )


def test_the_registry_knows_every_approval_contract() -> None:
    for contract in APPROVAL_EVENTS:
        assert CONTRACTS[contract.TYPE] is contract


def test_each_contract_carries_the_domain_events_attributes_under_the_same_names() -> None:
    envelope = {*IntegrationEvent.model_fields, "case_id", "state"}
    for name, contract in CONTRACT_OF_CASE_EVENT.items():
        # The event's own attributes, those its base (e.g. `DirectionGiven`) declares included.
        domain_fields = {f.name for f in dataclasses.fields(getattr(Case, name))} - {
            "originator_id",
            "originator_version",
            "originator_topic",
            "timestamp",
            "stamp",
        }
        own = set(contract.model_fields) - envelope
        if contract is CaseOpened:
            # kept from v1 as it was: the routing's two units at the top level
            own -= {"recipient_unit_id", "intake_unit_id"}
            domain_fields -= {"proposal_id"}  # an envelope field
        if name in {"ApprovalMeetingHeld", "ApprovedByOverride"}:
            # the approved plan stays in the store (its hash is published); subscribers have the
            # plan from CaseOpened / SupplementProvided
            domain_fields -= {"plan"}
        assert own == domain_fields, name


@pytest.mark.parametrize(
    ("literal", "enum"),
    [
        (contracts.CaseStateName, CaseState),
        (contracts.VoteStageName, VoteStage),
        (contracts.BallotChoice, Ballot),
        (contracts.EvaluationOutcomeName, EvaluationOutcome),
        (contracts.EncouragementFormName, EncouragementForm),
        (contracts.BeneficiaryKind, Beneficiary),
        (contracts.ProtectionTierName, ProtectionTier),
        (contracts.ProhibitedActCode, ProhibitedAct),
        (contracts.DeadlineNameValue, CASE_CLOCKS),  # the running clocks of DeadlineName
        (contracts.EscalationTargetName, EscalationTarget),
    ],
)
def test_closed_sets_in_contracts_equal_the_domains_enums(
    literal: Any, enum: Iterable[StrEnum]
) -> None:
    assert set(get_args(literal)) == {member.value for member in enum}


def test_case_opened_v1_payload_without_the_new_fields_still_validates() -> None:
    old = {
        "type": "d73.case.opened.v1",
        "id": str(uuid4()),
        "proposal_id": str(uuid4()),
        "case_id": str(uuid4()),
        "occurred_at": datetime(2024, 6, 3, tzinfo=UTC).isoformat(),
        "position": 1,
        "state": "IN_INTAKE",
        "recipient_unit_id": "ct.ubnd-tp",
        "intake_unit_id": "ct.so-noi-vu",
        "protection_eligible": True,
        "intake_due": "2024-06-06",
    }
    opened = CaseOpened.model_validate(old)
    assert opened.intake_due == date(2024, 6, 6)
    assert opened.title is None
    assert opened.authority is None


def test_supplement_request_gives_registration_items_reason_and_due_date() -> None:
    fields = SupplementRequested.model_fields
    assert fields["items"].annotation == list[str]
    assert fields["reason"].annotation is str
    assert fields["due"].annotation is date


def test_a_state_outside_the_state_machine_is_refused() -> None:
    with pytest.raises(ValueError, match="state"):
        SupplementRequested.model_validate(
            {
                "id": str(uuid4()),
                "proposal_id": str(uuid4()),
                "case_id": str(uuid4()),
                "occurred_at": datetime(2024, 6, 3, tzinfo=UTC).isoformat(),
                "position": 2,
                "state": "SUBMITTED",
                "items": ["x"],
                "reason": "y",
                "due": "2024-06-10",
                "responsible_user_id": "p",
                "responsible_unit_id": "u",
            }
        )
