"""The thin vertical through three separate service processes on a real nats-server,
and what happens when a process or the broker dies in the middle."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest

from services.cli.natsserver import NatsServer
from tests.support.flows import (
    AUDITOR,
    proposer_headers,
    stream_bodies,
    submit_many,
    submit_proposal,
)
from tests.support.infra import Suite, wait_until

pytestmark = pytest.mark.e2e


def assert_thin_vertical(suite: Suite) -> None:
    headers = proposer_headers()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, suite["registration"].url, headers)

        def case() -> dict[str, object] | None:
            r = client.get(f"{suite['approval'].url}/proposals/{proposal_id}/case", headers=headers)
            return r.json() if r.status_code == 200 else None

        opened = wait_until(case)
        assert opened["state"] == "IN_INTAKE"
        assert opened["routing"]["recipient_unit_id"] == "ct.ubnd-tp"

        def history() -> list[dict[str, object]] | None:
            r = client.get(
                f"{suite['reporting'].url}/proposals/{proposal_id}/history", headers=headers
            )
            events = r.json()["events"] if r.status_code == 200 else []
            return events if len(events) >= 2 else None

        events = wait_until(history)
        assert [e["type"] for e in events] == ["d73.proposal.submitted.v1", "d73.case.opened.v1"]
        assert {e["upstream_stream"] for e in events} == {"D73_REGISTRATION", "D73_APPROVAL"}
        counts = client.get(f"{suite['reporting'].url}/stats/states", headers=AUDITOR).json()
        assert counts["counts"] == {"IN_INTAKE": 1}


def test_thin_vertical_submission_opens_a_case_and_reporting_merges_the_history(
    suite: Suite,
) -> None:
    suite.start()
    assert_thin_vertical(suite)


def test_registration_killed_after_commit_before_publish_event_reaches_approval_once(
    suite: Suite, nats_server: NatsServer
) -> None:
    suite.start()
    headers = proposer_headers()
    nats_server.stop()  # the relay cannot publish: the command commits and nothing more
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, suite["registration"].url, headers)
    suite["registration"].kill9()
    nats_server.start()
    suite.start("registration")

    def opened() -> list[dict[str, object]]:
        return [
            b
            for b in stream_bodies(nats_server.url, "D73_APPROVAL")
            if b["proposal_id"] == proposal_id
        ]

    wait_until(opened, timeout=30)
    time.sleep(1.0)  # any duplicate would have arrived by now
    submitted = [
        b
        for b in stream_bodies(nats_server.url, "D73_REGISTRATION")
        if b["proposal_id"] == proposal_id
    ]
    assert len(submitted) == 1
    assert len(opened()) == 1


def test_approval_killed_mid_burst_of_200_opens_200_cases_none_doubled(
    suite: Suite, nats_server: NatsServer
) -> None:
    suite.start()
    ids: list[str] = []
    burst = threading.Thread(
        target=lambda: ids.extend(submit_many(suite["registration"].url, 200)), daemon=True
    )
    burst.start()
    wait_until(lambda: len(stream_bodies(nats_server.url, "D73_APPROVAL")) >= 20, timeout=60)
    suite["approval"].kill9()
    time.sleep(0.5)
    suite.start("approval")
    burst.join(120)
    assert len(ids) == 200
    wait_until(lambda: len(stream_bodies(nats_server.url, "D73_APPROVAL")) >= 200, timeout=90)
    time.sleep(1.0)
    opened = Counter(b["proposal_id"] for b in stream_bodies(nats_server.url, "D73_APPROVAL"))
    assert set(opened) == set(ids)
    assert max(opened.values()) == 1


def test_nats_restart_mid_burst_loses_nothing(suite: Suite, nats_server: NatsServer) -> None:
    suite.start()
    ids: list[str] = []
    burst = threading.Thread(
        target=lambda: ids.extend(submit_many(suite["registration"].url, 120, concurrency=4)),
        daemon=True,
    )
    burst.start()
    wait_until(lambda: len(stream_bodies(nats_server.url, "D73_APPROVAL")) >= 15, timeout=60)
    nats_server.stop()
    time.sleep(1.5)
    nats_server.start()
    burst.join(120)
    assert len(ids) == 120
    wait_until(lambda: len(stream_bodies(nats_server.url, "D73_APPROVAL")) >= 120, timeout=90)
    opened = Counter(b["proposal_id"] for b in stream_bodies(nats_server.url, "D73_APPROVAL"))
    assert set(opened) == set(ids)
    assert max(opened.values()) == 1

    def archived_all() -> bool:
        r = httpx.get(f"{suite['reporting'].url}/stats/states", headers=AUDITOR, timeout=10)
        return r.status_code == 200 and r.json()["counts"].get("IN_INTAKE") == 120

    wait_until(archived_all, timeout=60)
