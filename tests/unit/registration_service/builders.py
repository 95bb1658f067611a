"""A registration application on SQLite with a hand-moved clock, people from the shipped Cần Thơ
directory, and approval's case events as registration receives them."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import Tracking

from services.registration.application import Attached, RegistrationApplication, Upload
from services.registration.main import create_application
from shared.contracts import ActorRef
from shared.contracts.approval import (
    ApprovalMeetingHeld,
    PlanReceived,
    SupplementRequested,
    _CaseEvent,
)
from shared.kernel.actor import Actor
from shared.platform.settings import Settings
from tests.support.infra import TEST_JWT_SECRET
from tests.support.samples import DIRECTOR_TU_PHAP
from tests.unit.registration_domain.builders import complete_plan

T0 = datetime(2024, 6, 3, 1, 0, tzinfo=UTC)

PDF = b"%PDF-1.7\n" + b"thuyet minh chi tiet " * 200 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Clock:
    """One minute later at each reading: events get distinct, ordered times."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, jwt_secret=TEST_JWT_SECRET, **overrides)


def make_app(data_dir: Path, **overrides: Any) -> RegistrationApplication:
    return create_application(settings_for(data_dir, **overrides), Clock())


def person(claims: dict[str, str], *roles: str) -> Actor:
    return Actor(
        user_id=claims["user_id"],
        name=claims["name"],
        unit_id=claims["unit_id"],
        position=claims["position"],
        roles=frozenset(roles or ("proposer",)),
    )


DIRECTOR = person(DIRECTOR_TU_PHAP)
"""Giám đốc Sở Tư pháp: city-managed, so the plan goes to the city PC through Sở Nội vụ."""
STRANGER = Actor("ct.p0099", "Người khác", "ct.cai-rang", "chairman", frozenset({"proposer"}))
AUDITOR = Actor("ct.auditor.01", "Kiểm toán", "", "", frozenset({"auditor"}))
HOME_AFFAIRS = Actor(
    "ct.p0008", "Giám đốc Sở Nội vụ", "ct.so-noi-vu", "director", frozenset({"home_affairs"})
)


def submitted(app: RegistrationApplication, actor: Actor = DIRECTOR) -> UUID:
    return app.draft(actor, "Một cửa liên thông", complete_plan(), submit=True).id


_positions = itertools.count(1)


def case_event(
    contract: type[_CaseEvent],
    proposal_id: UUID | str,
    state: str,
    *,
    at: datetime | None = None,
    **fields: Any,
) -> _CaseEvent:
    """A case event of approval's contract, as the consumer would decode it."""
    return contract.model_validate(
        {
            "id": uuid4(),
            "proposal_id": proposal_id,
            "case_id": uuid4(),
            "state": state,
            "occurred_at": at or T0 + timedelta(days=1),
            "position": next(_positions),
            "actor": ActorRef(user_id="ct.p0004", roles=["home_affairs"]),
            "legal_basis": "ND73 Art 8",
            **fields,
        }
    )


def plan_received(proposal_id: UUID | str) -> _CaseEvent:
    """Approval's receipt of `proposal_id` for review by the head ct.p0001, due 12 June 2024."""
    return case_event(
        PlanReceived,
        proposal_id,
        "UNDER_REVIEW",
        approval_due=date(2024, 6, 12),
        head_id="ct.p0001",
        recipient_unit_id="ct.ubnd-tp",
    )


def supplement_requested(proposal_id: UUID | str, actor: Actor = DIRECTOR) -> _CaseEvent:
    """Approval's request for a supplement to `proposal_id` (a budget estimate), due 14 June
    2024, answered by `actor`."""
    return case_event(
        SupplementRequested,
        proposal_id,
        "NEEDS_SUPPLEMENT",
        items=["Dự toán"],
        reason="Thiếu",
        due=date(2024, 6, 14),
        responsible_user_id=actor.user_id,
        responsible_unit_id=actor.unit_id,
    )


def tracking() -> Tracking:
    return Tracking("D73_APPROVAL", next(_positions))


def approved_at_meeting(proposal_id: UUID | str, implementer_id: str) -> _CaseEvent:
    """The meeting's approval of `proposal_id` (decision 15/QĐ-UBND), `implementer_id` to
    carry it out."""
    return case_event(
        ApprovalMeetingHeld,
        proposal_id,
        "APPROVED",
        vote=vote(),
        decision_ref="15/QĐ-UBND",
        implementer_ids=[implementer_id],
    )


def vote(outcome: str = "PASSED") -> dict[str, Any]:
    return {
        "stage": "APPROVAL",
        "held_on": date(2024, 6, 10),
        "minutes_ref": "BB-01",
        "motion": "Thông qua đề xuất",
        "head_id": "ct.p0001",
        "eligible": ["ct.p0001", "ct.p0002"],
        "excluded": [],
        "ballots": [
            {"member_id": "ct.p0001", "ballot": "FOR"},
            {"member_id": "ct.p0002", "ballot": "FOR"},
        ],
        "absent": [],
        "votes_for": 2,
        "votes_against": 0,
        "abstentions": 0,
        "head_vote": "FOR",
        "tie_decided_by_head": False,
        "outcome": outcome,
    }


def upload(
    app: RegistrationApplication,
    actor: Actor,
    proposal_id: UUID,
    content: bytes = PDF,
    name: str = "Dự toán kinh phí.pdf",
    media_type: str | None = "application/pdf",
    key: str | None = None,
) -> Attached:
    """Receive `content` as the HTTP route does (spool, hash), then attach it."""
    spool = app.new_spool()
    for start in range(0, len(content), 1000):
        spool.write(content[start : start + 1000])
    spool.finish()
    return app.attach(actor, proposal_id, Upload(name, media_type, spool), idempotency_key=key)
