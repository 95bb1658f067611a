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

from shared.directory import load_directory
from tests.support.flows import proposer_headers, stream_bodies, submit_proposal
from tests.support.infra import Suite, auth, token_for, wait_until

pytestmark = pytest.mark.e2e

DIRECTORY = load_directory()
CITY_PC, DOHA = DIRECTORY.city_pc, DIRECTORY.home_affairs


def headers(person_id: str, unit_id: str, position: str, role: str) -> dict[str, str]:
    return auth(token_for(person_id, unit_id=unit_id, position=position, roles=[role]))


CHAIRMAN = headers(CITY_PC.head.person_id, CITY_PC.id, CITY_PC.head.position, "city_committee")
DOHA_DIRECTOR = headers(DOHA.head.person_id, DOHA.id, DOHA.head.position, "home_affairs")
VOTERS = [CITY_PC.head.person_id, *(d.person_id for d in CITY_PC.deputies)]


def test_a_proposal_goes_from_submission_to_protection_through_the_running_services(
    suite: Suite, nats_server: Any
) -> None:
    suite.start()
    registration, approval = suite["registration"].url, suite["approval"].url
    director = proposer_headers()  # Giám đốc Sở Tư pháp, ct.p0026
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, registration, director, "Số hóa hồ sơ tư pháp")

        def opened() -> dict[str, Any] | None:
            r = client.get(f"{approval}/proposals/{proposal_id}/case", headers=director)
            return r.json() if r.status_code == 200 else None

        case = wait_until(opened)
        assert case["state"] == "IN_INTAKE"
        assert case["authority"]["head_id"] == CITY_PC.head.person_id
        assert case["authority"]["deputy_ids"] == VOTERS[1:]
        assert DOHA.head.person_id in case["authority"]["delegate_ids"]

        def command(who: dict[str, str], name: str, body: Any = None) -> dict[str, Any]:
            r = client.post(f"{approval}/cases/{case['id']}/{name}", json=body, headers=who)
            assert r.status_code == 200, f"{name}: {r.text}"
            result: dict[str, Any] = r.json()
            return result

        def party_opinion(stage: str) -> None:
            command(DOHA_DIRECTOR, "request-party-opinion", {"stage": stage, "committee_id": "tu"})
            command(
                DOHA_DIRECTOR,
                "receive-party-opinion",
                {"stage": stage, "opinion": "Thống nhất", "doc_ref": f"CV-{stage}"},
            )

        def ballots() -> list[dict[str, str]]:
            return [{"member_id": m, "ballot": "FOR"} for m in VOTERS]

        assert command(DOHA_DIRECTOR, "receive-plan")["state"] == "UNDER_REVIEW"
        party_opinion("APPROVAL")
        approved = command(
            CHAIRMAN,
            "hold-approval-meeting",
            {"held_on": today, "ballots": ballots(), "minutes_ref": "BB-UBND-01"},
        )
        assert approved["state"] == "APPROVED"
        assert approved["votes"][0]["votes_for"] == 4
        command(CHAIRMAN, "allocate-resources", {"source_ref": "QD-KP-01", "staff": ["ct.p0027"]})
        command(director, "start-implementation", {"start_date": today})
        command(
            director,
            "report-completion",
            {
                "completed_on": today,
                "results_vs_targets": [{"target": "100% hồ sơ số", "result": "100%"}],
                "damage": {"occurred": False},
            },
        )
        party_opinion("EVALUATION")
        evaluated = command(
            CHAIRMAN,
            "hold-evaluation-meeting",
            {
                "held_on": today,
                "ballots": ballots(),
                "minutes_ref": "BB-DG-01",
                "assessed_outcome": "COMPLETED",
            },
        )
        assert evaluated["state"] == "EVALUATED"
        concluded = command(
            CHAIRMAN,
            "issue-conclusion",
            {
                "outcome": "COMPLETED",
                "caused_damage": False,
                "good_faith_finding": True,
                "conclusion_ref": "KL-01",
            },
        )
        assert concluded["state"] == "CONCLUDED"
        assert command(CHAIRMAN, "recognize-result")["state"] == "RECOGNIZED"
        command(
            CHAIRMAN,
            "grant-encouragement",
            {"form": "PRAISE", "beneficiary": {"kind": "OFFICIAL"}, "decision_ref": "QD-KT-01"},
        )
        final = command(
            CHAIRMAN,
            "determine-protection",
            {
                "art5_conditions_met": True,
                "implemented_as_decided": True,
                "directions_followed": True,
                "decision_ref": "QD-BV-01",
            },
        )
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
