"""The public contract is a deliberate projection (issue #17 point 2): every event type has a
decided public view, which keeps outcomes, dates, units and the proposer's capacity and drops
individual votes and personal identifiers; docs/agencies.md shows the same table."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from shared.contracts import CONTRACTS, PUBLIC_MESSAGES
from shared.contracts.approval import ApprovalMeetingHeld, CastBallot, VoteMinutes
from shared.contracts.base import ActorRef
from shared.contracts.public import (
    PUBLIC_EVENTS,
    PUBLIC_OF,
    public_fields_table,
    public_type,
    to_public,
)
from shared.contracts.registration import Official, ProposalSubmitted, Routing
from shared.platform.envelope import encode

ROOT = Path(__file__).resolve().parents[3]
AT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def _meeting() -> ApprovalMeetingHeld:
    ballots = [CastBallot(member_id=f"ct.p00{n}", ballot="FOR") for n in range(1, 5)]
    return ApprovalMeetingHeld(
        id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        case_id=uuid.uuid4(),
        occurred_at=AT,
        position=9,
        state="APPROVED",
        actor=ActorRef(user_id="ct.p0001", name="Trần Việt Trường"),
        legal_basis="ND73 Art 8 §1",
        vote=VoteMinutes(
            stage="APPROVAL",
            held_on=date(2025, 3, 4),
            minutes_ref="BB-01",
            motion="Phê duyệt",
            head_id="ct.p0001",
            eligible=[b.member_id for b in ballots],
            excluded=[],
            ballots=ballots,
            absent=[],
            votes_for=4,
            votes_against=0,
            abstentions=0,
            head_vote="FOR",
            tie_decided_by_head=False,
            outcome="PASSED",
        ),
        decision_ref="QD-01",
        implementer_ids=["ct.p0027"],
        plan_hash="ab" * 32,
    )


def test_every_event_type_has_a_decided_public_view() -> None:
    assert set(PUBLIC_OF) == set(CONTRACTS), "list the new type in shared/contracts/public.py"
    assert set(PUBLIC_EVENTS) == {public_type(t) for t in CONTRACTS}
    assert set(PUBLIC_EVENTS) <= set(PUBLIC_MESSAGES)
    assert not set(CONTRACTS) & set(PUBLIC_MESSAGES), "full events are the inspection tier"


def test_a_public_meeting_keeps_the_result_and_drops_each_members_vote() -> None:
    full = _meeting()
    public = to_public(full)
    assert public is not None
    data = public.model_dump(mode="json")
    assert data["type"] == "d73.public.case.approval-meeting-held.v1"
    assert data["id"] == str(full.id), "the same event: the same id"
    assert data["state"] == "APPROVED"
    assert data["vote"] == {
        "stage": "APPROVAL",
        "held_on": "2025-03-04",
        "minutes_ref": "BB-01",
        "motion": "Phê duyệt",
        "votes_for": 4,
        "votes_against": 0,
        "abstentions": 0,
        "votes_cast": None,
        "abstention_rule": "NOT_A_VOTE_CAST",
        "tie_decided_by_head": False,
        "outcome": "PASSED",
    }
    text = public.model_dump_json()
    for private in ("ballots", "ct.p00", "implementer_ids", "actor", "Trần Việt Trường"):
        assert private not in text


def test_a_public_submission_names_the_proposers_capacity_not_the_person_nor_the_plan() -> None:
    full = ProposalSubmitted(
        id=uuid.uuid4(),
        proposal_id=uuid.uuid4(),
        occurred_at=AT,
        position=3,
        title="Một cửa số",
        proposer=Official(
            user_id="ct.p0026",
            name="Nguyễn Văn A",
            unit_id="ct.so-tu-phap",
            position="director",
            unit_name="Sở Tư pháp",
            position_name="Giám đốc",
            leader_manager=True,
        ),
        protection_eligible=True,
        routing=Routing(
            target="CITY_PC_VIA_DOHA",
            recipient_unit_id="ct.ubnd",
            intake_unit_id="ct.so-noi-vu",
            decider_id="ct.p0001",
            legal_basis="KH 88/KH-UBND II.3.a",
            directory_version="2024.1",
        ),
        plan={"necessity": "bí mật nội bộ"},
        submitted_at=AT,
    )
    public = to_public(full)
    assert public is not None
    data = public.model_dump(mode="json")
    assert data["proposer"] == {
        "unit_id": "ct.so-tu-phap",
        "unit_name": "Sở Tư pháp",
        "position": "director",
        "position_name": "Giám đốc",
        "leader_manager": True,
    }
    assert "plan" not in data
    assert "decider_id" not in data["routing"]
    assert data["routing"]["recipient_unit_id"] == "ct.ubnd"
    body, headers = encode(public, "registration")
    assert headers["ce-type"] == "d73.public.proposal.submitted.v1"
    assert headers["Nats-Msg-Id"] == str(full.id)
    assert public.subject() == "d73.public.registration.proposal.submitted"
    assert PUBLIC_MESSAGES[public.type].model_validate_json(body) == public


def test_public_subjects_are_the_full_subjects_under_d73_public() -> None:
    for cls in PUBLIC_EVENTS.values():
        assert cls.subject() == "d73.public." + cls.FULL.subject().removeprefix("d73.")


def test_docs_agencies_shows_the_tier_table_of_the_code() -> None:
    text = (ROOT / "docs" / "agencies.md").read_text(encoding="utf-8")
    assert public_fields_table() in text, "regenerate the table in docs/agencies.md"
