"""One proposal's whole life through the three services as processes on a real nats-server:
a Sở Tư pháp director's plan goes to the city People's Committee through Sở Nội vụ, is approved
by the chairman and vice-chairmen, implemented, evaluated, recognised, encouraged, and the
director is found protected (Art 11 §1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.flows import (
    CITY_PC,
    DOHA,
    VOTERS,
    CityCaseJourney,
    proposer_headers,
    stream_bodies,
    submit_proposal,
    wait_for_case,
)
from tests.support.infra import Suite, wait_until

pytestmark = pytest.mark.e2e


def test_a_proposal_goes_from_submission_to_protection_through_the_running_services(
    suite: Suite, nats_server: Any
) -> None:
    suite.start()
    registration, approval = suite["registration"].url, suite["approval"].url
    director = proposer_headers()  # Giám đốc Sở Tư pháp, ct.p0026
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, registration, director, "Số hóa hồ sơ tư pháp")
        case = wait_for_case(client, approval, proposal_id, director)
        assert case["state"] == "IN_INTAKE"
        assert case["authority"]["head_id"] == CITY_PC.head.person_id
        assert case["authority"]["deputy_ids"] == VOTERS[1:]
        assert DOHA.head.person_id in case["authority"]["delegate_ids"]

        after = CityCaseJourney(client, approval, case["id"], director, today).run()

        assert after["receive-plan"]["state"] == "UNDER_REVIEW"
        approved = after["hold-approval-meeting"]
        assert approved["state"] == "APPROVED"
        assert approved["votes"][0]["votes_for"] == len(
            VOTERS
        )  # the city PC collective of the directory in force
        assert after["hold-evaluation-meeting"]["state"] == "EVALUATED"
        assert after["issue-conclusion"]["state"] == "CONCLUDED"
        assert after["recognize-result"]["state"] == "RECOGNIZED"
        final = after["determine-protection"]
        assert final["state"] == "PROTECTION_DETERMINED"
        assert final["protection"]["tier"] == "NO_LIABILITY"
        assert final["protection"]["official_id"] == "ct.p0026"

    expected = [
        ("opened", "IN_INTAKE"),
        ("plan-received", "UNDER_REVIEW"),
        ("party-committee-opinion-requested", "UNDER_REVIEW"),
        ("party-committee-opinion-received", "UNDER_REVIEW"),
        ("approval-meeting-held", "APPROVED"),
        ("resources-allocated", "APPROVED"),
        ("implementation-started", "IN_IMPLEMENTATION"),
        ("completion-reported", "COMPLETION_REPORTED"),
        ("party-committee-opinion-requested", "COMPLETION_REPORTED"),
        ("party-committee-opinion-received", "COMPLETION_REPORTED"),
        ("evaluation-meeting-held", "EVALUATED"),
        ("evaluation-concluded", "CONCLUDED"),
        ("result-recognized", "RECOGNIZED"),
        ("encouragement-granted", "RECOGNIZED"),
        ("protection-determined", "PROTECTION_DETERMINED"),
    ]

    def published() -> list[dict[str, Any]] | None:
        bodies = [
            b
            for b in stream_bodies(nats_server.url, "D73_APPROVAL")
            if b["proposal_id"] == proposal_id
        ]
        return bodies if len(bodies) >= len(expected) else None

    bodies = wait_until(published)
    assert [(b["type"], b["state"]) for b in bodies] == [
        (f"d73.case.{event}.v1", state) for event, state in expected
    ]
    positions = [b["position"] for b in bodies]
    assert positions == sorted(positions)
    assert {b["case_id"] for b in bodies} == {case["id"]}
    assert bodies[4]["vote"]["outcome"] == "PASSED"
