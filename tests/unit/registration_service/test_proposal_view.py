"""The proposal's answer written by orjson (`ProposalView.json_of`) is the model's own JSON,
byte for byte, in every state a proposal goes through, and for whatever values a plan holds."""

from __future__ import annotations

import math
import random
import struct
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from services.registration.api.proposals import ProposalView
from services.registration.application import RegistrationApplication
from services.registration.consumers import on_case_event
from services.registration.domain import Proposal
from shared.contracts.approval import (
    ProposalRejected,
)
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import (
    DIRECTOR,
    approved_at_meeting,
    case_event,
    plan_received,
    submitted,
    supplement_requested,
    tracking,
    upload,
)


def _model_json(proposal: Proposal) -> bytes:
    return ProposalView.of(proposal).model_dump_json(by_alias=True).encode()


def _same(proposal: Proposal) -> None:
    assert ProposalView.json_of(proposal) == _model_json(proposal)


def test_a_draft_a_submission_and_each_decision_answer_the_same_bytes(
    app: RegistrationApplication,
) -> None:
    _same(app.draft(DIRECTOR, "Nháp", {"necessity": "Cần thiết"}))
    _same(app.draft(DIRECTOR, "Trống", None))
    pid = submitted(app)
    _same(app.proposal_for(DIRECTOR, pid))
    received = plan_received(pid)
    on_case_event(app, received, tracking())
    request = supplement_requested(pid)
    on_case_event(app, request, tracking())
    upload(app, DIRECTOR, pid)  # waits for the answer: a pending attachment
    needing = app.proposal_for(DIRECTOR, pid)
    assert needing.supplement_request
    assert needing.pending_attachments
    _same(needing)
    _same(app.supplement(DIRECTOR, pid, None, {"title": "Đã bổ sung"}))
    approved = approved_at_meeting(pid, DIRECTOR.user_id)
    on_case_event(app, approved, tracking())
    _same(app.proposal_for(DIRECTOR, pid))
    other = submitted(app)
    rejected = case_event(
        ProposalRejected, other, "REJECTED", reasons=["Chưa khả thi"], decision_ref="17/QĐ"
    )
    on_case_event(app, rejected, tracking())
    _same(app.proposal_for(DIRECTOR, other))
    _same(app.withdraw(DIRECTOR, submitted(app), "Không còn cần thiết"))


def _doubles(count: int) -> list[float]:
    rng = random.Random(19)
    found = [0.1, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, -0.0, 1e21, 1e22, 123456789.125]
    while len(found) < count:
        value = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if math.isfinite(value):
            found += [value, rng.random() * 10 ** rng.randint(-30, 30)]
    return found


def test_any_json_a_plan_may_hold_is_written_as_the_model_writes_it(
    app: RegistrationApplication,
) -> None:
    """Whatever JSON the plan holds (the domain lets in less)."""
    plan = {
        **complete_plan(),
        "extra": {
            "floats": _doubles(2000),
            "whole": [0, -1, 2**53 - 1, -(2**53 - 1), 2**63 - 1, True, False, None],
            "texts": ["Đề xuất", '\u2028 \x7f </script> \t\n "quoted" \\ back', ""],
            "nested": [[{"a": [[]]}], {}],
        },
    }
    _same(replace_plan(app.draft(DIRECTOR, "Mọi giá trị", complete_plan()), plan))


@pytest.mark.parametrize(
    "odd",
    [
        Decimal("1.50"),
        {1, 2},
        2**70,
        {7: "not a text key"},
        datetime(2024, 6, 3, 8, 0, tzinfo=timezone(timedelta(hours=7))),
        datetime(2024, 6, 3, 1, 0, 0, 120000, tzinfo=UTC),
        date(2024, 6, 3),
        (1, "tuple"),
    ],
)
def test_odd_values_orjson_takes_or_refuses_answer_as_the_model_does(
    app: RegistrationApplication, odd: Any
) -> None:
    proposal = app.draft(DIRECTOR, "Nháp", {"necessity": "Cần thiết"})
    odd_one = replace_plan(proposal, {"odd": odd})
    _same(odd_one)


def replace_plan(proposal: Proposal, plan: dict[str, Any]) -> Proposal:
    """A copy of `proposal` holding `plan` as it is (no domain rule would let it in)."""
    copy = object.__new__(type(proposal))
    copy.__dict__.update(proposal.__dict__)
    copy.__dict__["plan"] = plan
    return copy
