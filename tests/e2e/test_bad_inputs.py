"""Issue #11's bad inputs, each sent to the real services on both stores: every one is refused
with a 4xx problem before anything is recorded, and the suite serves everyone afterwards —
a proposal submitted next still reaches approval and reporting, whose views answer 200."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import jwt
import pytest

from shared.contracts.bounds import MAX_JSON_BODY_BYTES
from shared.kernel.calendar import VIETNAM_TIME
from tests.support.flows import AUDITOR, DOHA_DIRECTOR, proposer_headers, submit_proposal
from tests.support.infra import TEST_JWT_SECRET, Suite, auth, wait_until

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"
NOBODY = "00000000-0000-4000-8000-000000000000"
MIB = 1024 * 1024


def _problem(r: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"] == PROBLEM
    body: dict[str, Any] = r.json()
    assert body["status"] == r.status_code
    assert body["title"]
    return body


def _nested(depth: int) -> str:
    return '{"necessity":' + "[" * depth + "]" * depth + "}"


def _token(roles: Any, sub: str = "ct.p0026", **claims: Any) -> dict[str, str]:
    now = int(datetime.now().timestamp())
    claims |= {"sub": sub, "iss": "d73", "exp": now + 600, "roles": roles}
    return auth(jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256"))


def test_bad_inputs_are_refused_and_the_suite_keeps_serving(suite: Suite) -> None:
    suite.start()
    registration = suite["registration"].url
    approval = suite["approval"].url
    reporting = suite["reporting"].url
    proposer = proposer_headers()
    as_json = {**proposer, "content-type": "application/json"}
    with httpx.Client(timeout=60) as client:
        # A 30 MiB title: 413 before the body is read (PostgreSQL never sees it).
        huge = b'{"title":"' + b"x" * (30 * MIB) + b'"}'
        body = _problem(
            client.post(f"{registration}/proposals", content=huge, headers=as_json), 413
        )
        assert body["max_body_bytes"] == MAX_JSON_BODY_BYTES
        # A 3 MiB plan field: 413; one that fits the body but not an event: 422.
        for size, status in ((3 * MIB, 413), (300_000, 422)):
            plan = {"necessity": "đ" * size}
            r = client.post(
                f"{registration}/proposals", json={"title": "Lớn", "plan": plan}, headers=proposer
            )
            _problem(r, status)
        # NUL, a lone surrogate, 300 levels of nesting, a number of 5,000 digits: 422.
        for raw in (
            '{"title":"a\\u0000b"}',
            '{"title":"\\ud800"}',
            '{"title":"Sâu","plan":' + _nested(300) + "}",
            '{"title":"Tiền","plan":{"resources":{"budget_vnd":' + "9" * 5000 + "}}}",
            '{"title":"Tiền","plan":{"resources":{"budget_vnd":"' + "9" * 5000 + '"}}}',
            '{"title":"Tiền","plan":{"resources":{"budget_vnd":1e308}}}',
        ):
            body = _problem(
                client.post(f"{registration}/proposals", content=raw.encode(), headers=as_json),
                422,
            )
            assert all("path" in item for item in body["errors"]), body
        # A token whose `roles` claim is not a list of role names: 401, never 500.
        for roles in ("admin", [["admin"]], 5, {"admin": True}, [None]):
            _problem(client.get(f"{registration}/proposals", headers=_token(roles)), 401)
        # A genuine token the directory does not back (issue #11 §4): an unlisted person
        # claiming a director's title, or Sở Tư pháp's director claiming Sở Nội vụ's or an
        # auditor's role: 403 with a Vietnamese body, on every service.
        unbacked = (
            _token(["proposer"], "ct.p9999", name="Giám đốc", unit="ct.so-tu-phap"),
            _token(["home_affairs"], unit="ct.so-noi-vu"),
            _token(["auditor"]),
        )
        for headers in unbacked:
            for url in (
                f"{registration}/proposals",
                f"{approval}/inbox",
                f"{reporting}/audit/alarms",
            ):
                body = _problem(client.get(url, headers=headers), 403)
                assert body["type"] == "/problems/identity-refused", body
                assert "danh bạ tổ chức" in body["detail"].lower(), body
        # A position beyond BIGINT: 422 on the services' audit APIs; so is a 10,000-letter cursor.
        for service in (registration, approval):
            r = client.get(f"{service}/audit/checkpoints", params={"after": 2**63})
            _problem(r, 422)
        r = client.get(
            f"{reporting}/audit/proposals", params={"after": "9" * 10_000}, headers=AUDITOR
        )
        _problem(r, 422)
        # Money beyond what every reader holds, and oversized notes, on approval's commands.
        case = f"{approval}/cases/{NOBODY}"
        for funding in ("1e308", "9" * 5000, '"' + "9" * 5000 + '"', "-1", "1.5"):
            raw = '{"source_ref":"NS-01","funding_vnd":' + funding + "}"
            r = client.post(
                f"{case}/allocate-resources",
                content=raw.encode(),
                headers={**DOHA_DIRECTOR, "content-type": "application/json"},
            )
            _problem(r, 422)
        progress = {"period": "Q1", "progress_percent": 50}
        for note, status in (("x" * 3 * MIB, 413), ("x" * 300_000, 422)):
            r = client.post(
                f"{case}/report-progress", json={**progress, "issues": note}, headers=DOHA_DIRECTOR
            )
            _problem(r, status)

        # Nothing of it was recorded, and everyone is still served.
        assert client.get(f"{registration}/proposals", headers=proposer).json() == []
        proposal_id = submit_proposal(client, registration, proposer, "Sau các đầu vào xấu")
        for service in (registration, approval, reporting):
            assert client.get(f"{service}/readyz").status_code == 200

        def opened() -> Any:
            r = client.get(f"{reporting}/stats/states", headers=AUDITOR)
            counts = r.json()["counts"] if r.status_code == 200 else {}
            return counts if counts.get("IN_INTAKE") else None

        assert wait_until(opened, timeout=30) == {"IN_INTAKE": 1}
        year = datetime.now(VIETNAM_TIME).year
        summary = client.get(
            f"{reporting}/reports/city-summary",
            params={"period": str(year)},
            headers=DOHA_DIRECTOR,
        )
        assert summary.status_code == 200, summary.text
        assert summary.json()["summary"]["submitted"] == 1
        timeline = client.get(f"{reporting}/proposals/{proposal_id}/timeline", headers=proposer)
        assert timeline.status_code == 200
        assert json.dumps(timeline.json(), ensure_ascii=False)

    # What the services wrote (stores, keys, attachments, logs) is their user's alone.
    harness_logs = {
        suite.data_dir / f"{name}.log" for name in ("registration", "approval", "reporting")
    }
    written = [path for path in suite.data_dir.rglob("*") if path not in harness_logs]
    assert written
    shared = [str(path) for path in written if path.stat().st_mode & 0o077]
    assert shared == []
