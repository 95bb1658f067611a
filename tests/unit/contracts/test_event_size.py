"""The largest event a valid command can produce still fits one NATS message and every reader
(issue #11 §1): a 3 MiB plan field once jammed registration's relay for good.

Hypothesis builds the worst valid inputs the bounds allow (`shared.contracts.bounds`): a title
and every line at its maximum length, free texts at theirs, lists at `MAX_LIST_ITEMS`, the plan
filled to just under `MAX_PLAN_BYTES`, all in characters that weigh most once encoded (`"` and
`\\` escape to two bytes, tab and newline too, a mathematical letter is four bytes of UTF-8).
They go through the real applications, registration then approval, and every event they store
is published as it would be: its body and headers must fit `NATS_MAX_PAYLOAD`, decode again
through the consumers' envelope, and survive orjson (reporting's codec: 64-bit integers, 1024
levels) and PostgreSQL (no NUL).
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.approval.consumers import on_submitted
from services.approval.domain.case import Case
from services.approval.publishing import to_contract as approval_contract
from services.registration.publishing import to_contract as registration_contract
from shared.contracts.base import IntegrationEvent
from shared.contracts.bounds import (
    MAX_LIST_ITEMS,
    MAX_NAME_CHARS,
    MAX_PLAN_BYTES,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    NATS_MAX_PAYLOAD,
    json_size,
)
from shared.contracts.registration import ProposalSubmitted
from shared.platform.envelope import decode, encode
from shared.platform.eventstore import ServiceApplication
from tests.support.samples import DIRECTOR_TU_PHAP
from tests.unit.approval_service.builders import Clock as ApprovalClock
from tests.unit.approval_service.builders import city_case_authority
from tests.unit.approval_service.builders import make_app as approval_app
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import make_app as registration_app
from tests.unit.registration_service.builders import person

HEAVY_LINE = ['"', "\\", "𝔸", "ệ", "a"]
"""Characters of one line that weigh most once encoded: 2 bytes escaped, or 4 or 3 of UTF-8."""
HEAVY_TEXT = [*HEAVY_LINE, "\n", "\t"]
TEXT_FIELDS = (
    "necessity",
    "purpose",
    "requirements",
    "contents",
    "feasibility",
    "impact_positive",
    "impact_negative",
    "expected_effect",
)


def filled(pattern: str, chars: int) -> str:
    return (pattern * (chars // len(pattern) + 1))[:chars]


def heavy(alphabet: list[str]) -> st.SearchStrategy[str]:
    """A short pattern of heavy characters, repeated to whatever length a field allows (not
    blank: a blank section is a missing one, and an incomplete plan is never submitted)."""
    patterns = st.text(alphabet=st.sampled_from(alphabet), min_size=1, max_size=8)
    return patterns.filter(str.strip).map(_visible_first)


def _visible_first(pattern: str) -> str:
    """The same characters, rotated to start with a visible one: any prefix is not blank."""
    blank = len(pattern) - len(pattern.lstrip())
    return pattern[blank:] + pattern[:blank]


def fullest_plan(line: str, text: str) -> dict[str, Any]:
    """A complete plan whose texts, then tasks, are each as long as the plan still allows, up to
    their own bounds: it ends within a few bytes of MAX_PLAN_BYTES."""
    plan = complete_plan()
    for name in TEXT_FIELDS:
        plan[name] = filled(text, 1)
    for name in TEXT_FIELDS:
        plan[name] = filled(text, longest(plan, name, text, MAX_TEXT_CHARS))
    task = {key: filled(line, MAX_NAME_CHARS) for key in ("description", "scope", "assignee")}
    while (
        len(plan["tasks"]) < MAX_LIST_ITEMS and json_size(plan) + json_size(task) < MAX_PLAN_BYTES
    ):
        plan["tasks"].append(dict(task))
    # Heavy characters fill the plan to its byte bound; light ones (plain letters) cannot, and
    # then every text and the task list are at their own bounds: the largest such a plan gets.
    at_own_bounds = len(plan["tasks"]) == MAX_LIST_ITEMS and all(
        len(plan[name]) == MAX_TEXT_CHARS for name in TEXT_FIELDS
    )
    assert at_own_bounds or json_size(plan) >= MAX_PLAN_BYTES - 8 * 1024
    assert json_size(plan) <= MAX_PLAN_BYTES
    return plan


def longest(plan: dict[str, Any], name: str, pattern: str, bound: int) -> int:
    """The longest `plan[name]` (at most `bound` characters) with which the plan still fits."""
    low, high = 1, bound
    while low < high:
        middle = (low + high + 1) // 2
        plan[name] = filled(pattern, middle)
        if json_size(plan) <= MAX_PLAN_BYTES:
            low = middle
        else:
            high = middle - 1
    return low


def wire_size(body: bytes, headers: dict[str, str]) -> int:
    """What nats-server counts against max_payload: the header block and the body."""
    block = "NATS/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return len(block.encode()) + len(body)


def check_on_the_wire(contract: IntegrationEvent, service: str) -> int:
    body, headers = encode(contract, service)
    size = wire_size(body, headers)
    assert size <= NATS_MAX_PAYLOAD, f"{contract.type}: {size} bytes"
    assert decode(headers, body) == contract, "the consumers' envelope reads it back"
    assert orjson.dumps(orjson.loads(body)) is not None, "orjson (reporting) reads and writes it"
    assert b"\\u0000" not in body, "PostgreSQL stores it"
    return size


def published(app: ServiceApplication, translate: Any, service: str) -> dict[str, int]:
    """Every stored event, as its contract on the wire: type → largest size."""
    sizes: dict[str, int] = {}
    for notification in app.recorder.select_notifications(start=0, limit=1000):
        contract = translate(app.mapper.to_domain_event(notification), notification.id)
        if contract is not None:
            size = check_on_the_wire(contract, service)
            sizes[contract.type] = max(size, sizes.get(contract.type, 0))
    return sizes


@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(line=heavy(HEAVY_LINE), text=heavy(HEAVY_TEXT))
@example(line="a", text="a")  # light: every field at its own bound, short of the plan's
@example(line="𝔸", text='\\"')  # the heaviest: the plan's byte bound
def test_the_largest_events_of_a_plan_fit_one_nats_message(line: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        registration = registration_app(folder / "registration")
        approval = approval_app(folder / "approval", ApprovalClock(date.today()))
        try:
            # The proposer's largest command: a full title and a full plan, submitted at once.
            proposer = person(DIRECTOR_TU_PHAP, "proposer")
            title = filled(line, MAX_TITLE_CHARS)
            plan = fullest_plan(line, text)
            registration.draft(proposer, title, plan, submit=True)
            sizes = published(registration, registration_contract, "registration")
            assert sizes[ProposalSubmitted.TYPE] > json_size(plan), "the plan travels whole"

            # Approval opens the case from it (the plan again), then the office's largest
            # command: every item and the reason at their bounds.
            (submitted,) = [
                (contract, notification.id)
                for notification in registration.recorder.select_notifications(start=0, limit=9)
                if isinstance(
                    contract := registration_contract(
                        registration.mapper.to_domain_event(notification), notification.id
                    ),
                    ProposalSubmitted,
                )
            ]
            on_submitted(approval, submitted[0], Tracking("D73_REGISTRATION", submitted[1]))
            case_id = Case.create_id(submitted[0].proposal_id)
            office = city_case_authority().office
            approval.request_supplement(
                office,
                case_id,
                items=[filled(line, MAX_NAME_CHARS)] * MAX_LIST_ITEMS,
                reason=filled(text, MAX_TEXT_CHARS),
            )
            sizes |= published(approval, approval_contract, "approval")
            assert {"d73.case.opened.v1", "d73.case.supplement-requested.v1"} <= set(sizes)
        finally:
            registration.close()
            approval.close()
