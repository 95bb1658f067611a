"""Registration and approval as separate processes on a real nats-server: a submission with a
file and a supplement answer reach approval, and approval's request reaches the proposer."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from tests.support.flows import proposer_headers, stream_bodies
from tests.support.infra import Suite, auth, token_for, wait_until
from tests.unit.registration_domain.builders import complete_plan

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.7\n" + "Dự toán kinh phí chi tiết".encode() * 100 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def test_a_submission_and_a_supplement_reach_approval(suite: Suite) -> None:
    suite.start("registration", "approval")
    registration, approval = suite["registration"].url, suite["approval"].url
    proposer = proposer_headers()
    plan = complete_plan()
    del plan["attachments"]
    with httpx.Client(timeout=30) as client:
        # a draft with a file, submitted
        pid = client.post(
            f"{registration}/proposals",
            json={"title": "Một cửa liên thông", "plan": plan},
            headers=proposer,
        ).json()["id"]
        uploaded = client.post(
            f"{registration}/proposals/{pid}/attachments",
            files={"file": ("Dự toán.pdf", PDF, "application/pdf")},
            headers=proposer,
        )
        assert uploaded.status_code == 201, uploaded.text
        r = client.post(
            f"{registration}/proposals/{pid}/submit",
            headers={**proposer, "Idempotency-Key": f"submit-{pid}"},
        )
        assert r.status_code == 200, r.text

        def case() -> dict[str, Any] | None:
            r = client.get(f"{approval}/proposals/{pid}/case", headers=proposer)
            return r.json() if r.status_code == 200 else None

        opened = wait_until(case)
        assert opened["state"] == "IN_INTAKE"
        assert opened["plan"]["attachments"] == [
            {
                "name": "Dự toán.pdf",
                "media_type": "application/pdf",
                "size": len(PDF),
                "sha256": hashlib.sha256(PDF).hexdigest(),
            }
        ]

        # Sở Nội vụ's intake office asks for more, through approval's own command
        authority = opened["authority"]
        office = auth(token_for(authority["delegate_ids"][0], roles=["home_affairs"]))
        r = client.post(
            f"{approval}/cases/{opened['id']}/request-supplement",
            json={"items": ["Dự toán kinh phí", "Sơ đồ quy trình"], "reason": "Chưa đủ"},
            headers=office,
        )
        assert r.status_code == 200, r.text

        def needs_supplement() -> dict[str, Any] | None:
            r = client.get(f"{registration}/proposals/{pid}/status", headers=proposer)
            body: dict[str, Any] = r.json()
            return body if body["status"] == "NEEDS_SUPPLEMENT" else None

        status = wait_until(needs_supplement)
        request = status["supplement_request"]
        assert request["items"] == ["Dự toán kinh phí", "Sơ đồ quy trình"]
        assert request["reason"] == "Chưa đủ"
        assert request["due_date"] == opened_due(client, approval, opened["id"], office)

        # the proposer answers: a new file and one changed field, nothing else
        r = client.post(
            f"{registration}/proposals/{pid}/attachments",
            files={"file": ("Sơ đồ.png", PNG, "image/png")},
            headers=proposer,
        )
        assert (r.status_code, r.json()["pending"]) == (201, True)
        answer = {"request_id": request["request_id"], "changes": {"feasibility": "Đã khảo sát"}}
        r = client.post(
            f"{registration}/proposals/{pid}/supplement",
            json=answer,
            headers={**proposer, "Idempotency-Key": "answer-1"},
        )
        assert r.status_code == 200, r.text
        again = client.post(
            f"{registration}/proposals/{pid}/supplement",
            json=answer,
            headers={**proposer, "Idempotency-Key": "answer-1"},
        )
        assert again.json() == r.json()

        def back_in_intake() -> dict[str, Any] | None:
            body = case()
            return body if body and body["state"] == "IN_INTAKE" and body["version"] > 2 else None

        supplemented = wait_until(back_in_intake)
        assert supplemented["plan"]["feasibility"] == "Đã khảo sát"
        png_sha = hashlib.sha256(PNG).hexdigest()
        assert [a["sha256"] for a in supplemented["plan"]["attachments"]] == [
            hashlib.sha256(PDF).hexdigest(),
            png_sha,
        ]
        # the office downloads the new file from registration
        got = client.get(f"{registration}/proposals/{pid}/attachments/{png_sha}", headers=office)
        assert (got.status_code, got.content) == (200, PNG)

        # what travelled: one submission, one answer with only what changed
        sent = [
            body
            for body in stream_bodies(suite.nats_url, "D73_REGISTRATION")
            if body["proposal_id"] == pid
        ]
        assert [b["type"] for b in sent] == [
            "d73.proposal.submitted.v1",
            "d73.proposal.supplemented.v1",
        ]
        assert sent[1]["request_id"] == request["request_id"]
        assert sent[1]["changed_fields"] == ["attachments", "feasibility"]
        assert [a["sha256"] for a in sent[1]["attachments_added"]] == [png_sha]
        dead = stream_bodies(suite.nats_url, "D73_DEADLETTER")
        assert dead == []


def opened_due(client: httpx.Client, approval: str, case_id: str, headers: dict[str, str]) -> str:
    """The supplement due date approval computed from its rule set."""
    r = client.get(f"{approval}/cases/{case_id}", headers=headers)
    due: str = r.json()["open_deadlines"]["supplement"]["due"]
    return due
