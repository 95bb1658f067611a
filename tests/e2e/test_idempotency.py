"""Every POST honours `Idempotency-Key` (issue #12 §5), on real processes over HTTP, on SQLite and
PostgreSQL: an approval command retried with the same key is recorded and published once —
retried in sequence, eight copies at once, and after a kill -9 of approval in mid-request — and
concurrent retries of a submission all get the first answer (never a 409)."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.platform.subjects import APPROVAL_STREAM
from tests.support.flows import (
    CHAIRMAN,
    CityCaseJourney,
    proposer_headers,
    stream_bodies,
    wait_for_case,
)
from tests.support.infra import Suite, wait_until
from tests.support.samples import sample_plan

pytestmark = pytest.mark.e2e

ALLOCATION = {"source_ref": "QD-KP-02", "equipment": ["máy chủ"]}
ALLOCATED = "d73.case.resources-allocated.v1"


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def published_allocations(suite: Suite, case_id: str) -> int:
    bodies = stream_bodies(suite.nats_url, APPROVAL_STREAM.name)
    return sum(1 for b in bodies if b.get("type") == ALLOCATED and b.get("case_id") == case_id)


def at_once(count: int, send: Any) -> list[httpx.Response]:
    start = threading.Barrier(count)

    def one(_: int) -> httpx.Response:
        start.wait()
        return send()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_approval_commands_retried_with_one_key_are_recorded_once(suite: Suite) -> None:
    suite.start("registration", "approval")
    registration, approval = suite["registration"].url, suite["approval"].url
    director = proposer_headers()
    with httpx.Client(timeout=30) as client:
        r = client.post(
            f"{registration}/proposals",
            json={"title": "Một cửa số", "plan": sample_plan(), "submit": True},
            headers=director,
        )
        assert r.status_code == 201, r.text
        case = wait_for_case(client, approval, r.json()["id"], director)
        case_id = case["case_id"] if "case_id" in case else case["id"]
        # The meeting's legal date may not precede the plan's receipt (today): hold it today.
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
        journey = CityCaseJourney(client, approval, case_id, director, today)
        before = journey.run(until="allocate-resources")["hold-approval-meeting"]
        allocate = f"{approval}/cases/{case_id}/allocate-resources"

        # In sequence: the first answer again, nothing recorded; another body: 422.
        first = client.post(allocate, json=ALLOCATION, headers=keyed(CHAIRMAN, "alloc-1"))
        again = client.post(allocate, json=ALLOCATION, headers=keyed(CHAIRMAN, "alloc-1"))
        assert first.status_code == again.status_code == 200, again.text
        assert again.json() == first.json()
        assert len(first.json()["resources"]) == len(before["resources"]) + 1
        other = client.post(
            allocate, json={**ALLOCATION, "staff": ["x"]}, headers=keyed(CHAIRMAN, "alloc-1")
        )
        assert other.status_code == 422, other.text
        assert other.headers["content-type"] == "application/problem+json"

    # Eight copies at once, one key: one allocation, eight equal answers.
    with httpx.Client(timeout=30) as client:
        copies = at_once(
            8,
            lambda: client.post(allocate, json=ALLOCATION, headers=keyed(CHAIRMAN, "alloc-2")),
        )
    assert [c.status_code for c in copies] == [200] * 8, [c.text for c in copies]
    assert len({c.content for c in copies}) == 1
    assert len(copies[0].json()["resources"]) == len(before["resources"]) + 2

    # A kill -9 in mid-request (the answer lost), then the retry: recorded once in all.
    def lost() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(allocate, json=ALLOCATION, headers=keyed(CHAIRMAN, "alloc-3"), timeout=10)

    sender = threading.Thread(target=lost)
    sender.start()
    time.sleep(0.05)
    suite["approval"].kill9()
    sender.join()
    suite.start("approval")
    retried = httpx.post(allocate, json=ALLOCATION, headers=keyed(CHAIRMAN, "alloc-3"), timeout=30)
    assert retried.status_code == 200, retried.text
    assert len(retried.json()["resources"]) == len(before["resources"]) + 3
    view = httpx.get(f"{approval}/cases/{case_id}", headers=CHAIRMAN, timeout=30).json()
    assert len(view["resources"]) == len(before["resources"]) + 3

    # Committed for certain, the answer lost with the process: after kill -9 and a restart
    # the retry gets the first answer, and nothing more is recorded.
    answered = httpx.post(allocate, json=ALLOCATION, headers=keyed(CHAIRMAN, "alloc-4"), timeout=30)
    assert answered.status_code == 200, answered.text
    suite["approval"].kill9()
    suite.start("approval")
    retried = httpx.post(allocate, json=ALLOCATION, headers=keyed(CHAIRMAN, "alloc-4"), timeout=30)
    assert retried.status_code == 200, retried.text
    assert retried.json() == answered.json()
    view = httpx.get(f"{approval}/cases/{case_id}", headers=CHAIRMAN, timeout=30).json()
    assert len(view["resources"]) == len(before["resources"]) + 4

    wait_until(lambda: published_allocations(suite, case_id) == 4, timeout=20)
    time.sleep(1.0)
    assert published_allocations(suite, case_id) == 4, "each allocation published once"


def test_concurrent_retries_of_a_submission_all_get_the_first_answer(suite: Suite) -> None:
    suite.start("registration")
    url = suite["registration"].url
    director = proposer_headers()
    with httpx.Client(timeout=30) as client:
        drafts = [
            client.post(
                f"{url}/proposals",
                json={"title": f"Đề xuất {i}", "plan": sample_plan()},
                headers=director,
            ).json()["id"]
            for i in range(4)
        ]
        for number, proposal_id in enumerate(drafts):
            submit = f"{url}/proposals/{proposal_id}/submit"
            headers = keyed(director, f"submit-{number}")
            answers = at_once(8, functools.partial(client.post, submit, headers=headers))
            assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
            assert len({a.content for a in answers}) == 1
