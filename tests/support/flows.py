"""Driving the running services as a client would, and reading what reached JetStream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import nats
import orjson

from shared.kernel.directory import load_directory
from tests.support.infra import auth, token_for, wait_until
from tests.support.samples import AUDITOR_ID, DIRECTOR_TU_PHAP, sample_plan

DIRECTORY = load_directory()
CITY_PC, DOHA = DIRECTORY.city_pc, DIRECTORY.home_affairs


def proposer_headers(person_id: str = DIRECTOR_TU_PHAP["user_id"]) -> dict[str, str]:
    return auth(token_for(person_id, roles=["proposer"]))


AUDITOR = auth(token_for(AUDITOR_ID, roles=["auditor"]))


def official_headers(person_id: str, role: str) -> dict[str, str]:
    return auth(token_for(person_id, roles=[role]))


CHAIRMAN = official_headers(CITY_PC.head.person_id, "city_committee")
DOHA_DIRECTOR = official_headers(DOHA.head.person_id, "home_affairs")
VOTERS = [CITY_PC.head.person_id, *(d.person_id for d in CITY_PC.deputies)]
"""The city People's Committee's collective: the chairman and the vice-chairmen."""


def submit_proposal(
    client: httpx.Client, registration_url: str, headers: dict[str, str], title: str = "Đề xuất"
) -> str:
    r = client.post(
        f"{registration_url}/proposals",
        json={"title": title, "plan": sample_plan()},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    proposal_id: str = r.json()["id"]
    r = client.post(f"{registration_url}/proposals/{proposal_id}/submit", headers=headers)
    assert r.status_code == 200, r.text
    return proposal_id


def submit_many(registration_url: str, count: int, concurrency: int = 8) -> list[str]:
    headers = proposer_headers()

    def one(i: int) -> str:
        with httpx.Client(timeout=30) as client:
            return submit_proposal(client, registration_url, headers, f"Đề xuất số {i}")

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(count)))


async def _stream_messages(
    url: str, stream: str, subject: str | None
) -> list[tuple[dict[str, str], bytes]]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out: list[tuple[dict[str, str], bytes]] = []
        if not info.state.messages:
            return out
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq=seq)
            if subject is None or msg.subject == subject:
                out.append((dict(msg.headers or {}), msg.data or b""))
        return out
    finally:
        await nc.close()


def stream_messages(
    url: str, stream: str, subject: str | None = None
) -> list[tuple[dict[str, str], bytes]]:
    """Headers and body of every message a stream holds, oldest first."""
    return asyncio.run(_stream_messages(url, stream, subject))


def stream_bodies(url: str, stream: str, subject: str | None = None) -> list[dict[str, Any]]:
    return [orjson.loads(data or b"{}") for _, data in stream_messages(url, stream, subject)]


def wait_for_case(
    client: httpx.Client, approval_url: str, proposal_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    """The case approval opened for a submitted proposal, once registration's event arrived."""

    def opened() -> dict[str, Any] | None:
        r = client.get(f"{approval_url}/proposals/{proposal_id}/case", headers=headers)
        return r.json() if r.status_code == 200 else None

    case: dict[str, Any] = wait_until(opened)
    return case


@dataclass
class CityCaseJourney:
    """A Sở Tư pháp director's case before the city People's Committee (through Sở Nội vụ),
    driven through approval's API step by step, from receipt to the Art 11 §1 finding."""

    client: httpx.Client
    approval_url: str
    case_id: str
    proposer: dict[str, str]
    day: str
    """The ISO date of every meeting, start and completion."""

    def command(self, who: dict[str, str], name: str, body: Any = None) -> dict[str, Any]:
        r = self.client.post(
            f"{self.approval_url}/cases/{self.case_id}/{name}", json=body, headers=who
        )
        assert r.status_code == 200, f"{name}: {r.text}"
        result: dict[str, Any] = r.json()
        return result

    def party_opinion(self, stage: str) -> dict[str, Any]:
        self.command(DOHA_DIRECTOR, "request-party-opinion", {"stage": stage, "committee_id": "tu"})
        return self.command(
            DOHA_DIRECTOR,
            "receive-party-opinion",
            {"stage": stage, "opinion": "Thống nhất", "doc_ref": f"CV-{stage}"},
        )

    def meeting(self, name: str, minutes_ref: str, **body: Any) -> dict[str, Any]:
        ballots = [{"member_id": m, "ballot": "FOR"} for m in VOTERS]
        return self.command(
            CHAIRMAN,
            name,
            {"held_on": self.day, "ballots": ballots, "minutes_ref": minutes_ref, **body},
        )

    def steps(self) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
        command, director = self.command, self.proposer
        return [
            ("receive-plan", lambda: command(DOHA_DIRECTOR, "receive-plan")),
            ("party-opinion-on-approval", lambda: self.party_opinion("APPROVAL")),
            ("hold-approval-meeting", lambda: self.meeting("hold-approval-meeting", "BB-UBND-01")),
            (
                "allocate-resources",
                lambda: command(
                    CHAIRMAN,
                    "allocate-resources",
                    {"source_ref": "QD-KP-01", "staff": ["ct.p0027"]},
                ),
            ),
            (
                "start-implementation",
                lambda: command(director, "start-implementation", {"start_date": self.day}),
            ),
            (
                "report-completion",
                lambda: command(
                    director,
                    "report-completion",
                    {
                        "completed_on": self.day,
                        "results_vs_targets": [{"target": "100% hồ sơ số", "result": "100%"}],
                        "damage": {"occurred": False},
                    },
                ),
            ),
            ("party-opinion-on-evaluation", lambda: self.party_opinion("EVALUATION")),
            (
                "hold-evaluation-meeting",
                lambda: self.meeting(
                    "hold-evaluation-meeting", "BB-DG-01", assessed_outcome="COMPLETED"
                ),
            ),
            (
                "issue-conclusion",
                lambda: command(
                    CHAIRMAN,
                    "issue-conclusion",
                    {
                        "outcome": "COMPLETED",
                        "caused_damage": False,
                        "good_faith_finding": True,
                        "conclusion_ref": "KL-01",
                    },
                ),
            ),
            ("recognize-result", lambda: command(CHAIRMAN, "recognize-result")),
            (
                "grant-encouragement",
                lambda: command(
                    CHAIRMAN,
                    "grant-encouragement",
                    {
                        "form": "PRAISE",
                        "beneficiary": {"kind": "OFFICIAL"},
                        "decision_ref": "QD-KT-01",
                    },
                ),
            ),
            (
                "determine-protection",
                lambda: command(
                    CHAIRMAN,
                    "determine-protection",
                    {
                        "art5_conditions_met": True,
                        "implemented_as_decided": True,
                        "directions_followed": True,
                        "decision_ref": "QD-BV-01",
                    },
                ),
            ),
        ]

    def run(self, *, since: str | None = None, until: str | None = None) -> dict[str, Any]:
        """The case view after each step from `since` up to, not including, `until`."""
        names = [name for name, _ in self.steps()]
        first = names.index(since) if since else 0
        last = names.index(until) if until else len(names)
        return {name: step() for name, step in self.steps()[first:last]}
