"""The example agency subscriber (examples/agency-subscriber, issue #17 point 5) rebuilds every
proposal's state from D73_PUBLIC alone, equal to the services' HTTP views, also after it is
killed and started again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats

from services.cli.natsconfig import AGENCIES_ADMIN_USER, agencies_public_stream
from services.cli.natsserver import NatsServer
from tests.deploy.natsauth import AGENCY, PASSWORDS
from tests.support.flows import CityCaseJourney, proposer_headers, submit_proposal, wait_for_case
from tests.support.infra import Suite, wait_until

QUICK = ("--ack-wait", "2")
"""A short ack wait: the message a crash left unacknowledged comes again after 2 s, not 30."""
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agency-subscriber" / "subscriber.py"


async def _public_stream(port: int) -> None:
    nc = await nats.connect(
        f"nats://127.0.0.1:{port}",
        user=AGENCIES_ADMIN_USER,
        password=PASSWORDS[AGENCIES_ADMIN_USER],
    )
    try:
        await nc.jetstream(timeout=5).add_stream(agencies_public_stream())
    finally:
        await nc.close()


def _subscriber(port: int, state: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--server", f"nats://127.0.0.1:{port}",
         "--user", AGENCY, "--password", PASSWORDS[AGENCY], "--state", str(state), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("D73_")},
    )  # fmt: skip


def _views(client: httpx.Client, suite: Suite, ids: list[str]) -> dict[str, tuple[str, Any]]:
    director = proposer_headers()
    out = {}
    for pid in ids:
        status = client.get(f"{suite['registration'].url}/proposals/{pid}", headers=director)
        case = client.get(f"{suite['approval'].url}/proposals/{pid}/case", headers=director)
        out[pid] = (status.json()["status"], case.json()["state"] if case.is_success else None)
    return out


def _rebuilt(state: Path) -> dict[str, tuple[str, Any]]:
    proposals = json.loads(state.read_text())["proposals"]
    return {pid: (p["status"], p.get("case_state")) for pid, p in proposals.items()}


def test_the_example_subscriber_rebuilds_every_proposal_and_survives_a_kill(
    suite: Suite, nats_server: NatsServer, tmp_path: Path
) -> None:
    suite.start()
    asyncio.run(_public_stream(nats_server.port))
    state = tmp_path / "state.json"
    director = proposer_headers()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        registration, approval = suite["registration"].url, suite["approval"].url
        first = submit_proposal(client, registration, director, "Một cửa số")
        case = wait_for_case(client, approval, first, director)
        journey = CityCaseJourney(client, approval, case["id"], director, today)
        journey.run(until="hold-approval-meeting")
        follower = _subscriber(nats_server.port, state)
        try:
            wait_until(lambda: state.exists() and first in _rebuilt(state), timeout=60)
        finally:
            follower.send_signal(signal.SIGKILL)  # killed while following, no goodbye
            follower.wait()
        # While it is away: a decision, and a new proposal.
        journey.run(since="hold-approval-meeting", until="start-implementation")
        second = submit_proposal(client, registration, director, "Hồ sơ điện tử")
        wait_for_case(client, approval, second, director)
        expected = _views(client, suite, [first, second])
        assert expected[first] == ("DECIDED", "APPROVED")

        def caught_up() -> dict[str, tuple[str, Any]] | None:
            resumed = _subscriber(nats_server.port, state, "--idle-exit", "3")
            output, _ = resumed.communicate(timeout=120)
            assert resumed.returncode == 0, output
            rebuilt = _rebuilt(state)
            return rebuilt if rebuilt == expected else None

        assert wait_until(caught_up, timeout=120) == expected


def test_killed_between_saving_and_acking_it_loses_nothing_and_doubles_nothing(
    suite: Suite, nats_server: NatsServer, tmp_path: Path
) -> None:
    """The subscriber dies right after writing its state and before acknowledging: the message
    comes again (after the consumer's ack wait, 2 s here), is recognised by its position, and the
    state is the one a run without a crash builds — every proposal from as many events."""
    suite.start("registration", "approval")
    asyncio.run(_public_stream(nats_server.port))
    director = proposer_headers()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        registration, approval = suite["registration"].url, suite["approval"].url
        first = submit_proposal(client, registration, director, "Một cửa số")
        case = wait_for_case(client, approval, first, director)
        CityCaseJourney(client, approval, case["id"], director, today).run(
            until="start-implementation"
        )
        wait_for_case(
            client, approval, submit_proposal(client, registration, director, "Hai"), director
        )
        expected = _views(client, suite, [first])

    crashed = tmp_path / "crashed.json"
    for saves in (1, 3, 5):  # killed three times, each time between a save and its ack
        dying = _subscriber(nats_server.port, crashed, "--crash-after-saving", str(saves), *QUICK)
        output, _ = dying.communicate(timeout=120)
        assert dying.returncode == 9, output
    resumed = _subscriber(nats_server.port, crashed, "--idle-exit", "5", "--verbose", *QUICK)
    output, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, output
    assert output.startswith("redelivery "), "the message not acknowledged came again"

    clean = tmp_path / "clean.json"
    straight = _subscriber(nats_server.port, clean, "--idle-exit", "3", "--durable", f"{AGENCY}_1")
    output, _ = straight.communicate(timeout=120)
    assert straight.returncode == 0, output
    after_crashes, without = json.loads(crashed.read_text()), json.loads(clean.read_text())
    assert after_crashes == without
    assert {pid: _rebuilt(crashed)[pid] for pid in expected} == expected
    assert len(without["proposals"]) == 2
