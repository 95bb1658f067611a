"""A fault campaign against a running suite (issue #12 §7): clients submit proposals as real
clients do (each POST with its own Idempotency-Key, retried on any failure until answered) while
each process — registration, approval, reporting and nats-server — is killed with SIGKILL in
turn and started again. Then everything must converge: every acknowledged submission exactly
once in registration's stream, as one case in approval and one archived event in reporting, no
alarm, and `d73 verify` passing for both publishing services.

`tests/e2e/test_chaos.py` runs it small in `make test`; `python -m bench.chaos` runs it long.
"""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.cli.natsserver import NatsServer
from tests.support.flows import AUDITOR, proposer_headers, stream_bodies
from tests.support.infra import Suite, wait_until
from tests.support.samples import sample_plan

SUBMITTED = "d73.proposal.submitted.v1"
OPENED = "d73.case.opened.v1"
VICTIMS = ("registration", "approval", "reporting", "nats-server")


@dataclass
class Campaign:
    proposals: int
    rounds: int = 1
    concurrency: int = 4
    seed: int = 73
    faults: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    retries: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _until_answered(send: Any, campaign: Campaign, deadline: float) -> httpx.Response:
    """Send until the service answers a final status (2xx or 4xx): what a real client does."""
    while True:
        try:
            response: httpx.Response = send()
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the suite never answered")
        campaign.retries += 1
        time.sleep(0.2)


def _submit_one(suite: Suite, number: int, campaign: Campaign, deadline: float) -> str:
    headers = proposer_headers()
    with httpx.Client(timeout=10) as client:
        url = suite["registration"].url
        drafted = _until_answered(
            lambda: client.post(
                f"{url}/proposals",
                json={"title": f"Chaos {campaign.seed}-{number}", "plan": sample_plan()},
                headers={**headers, "Idempotency-Key": f"chaos-{campaign.seed}-{number}-draft"},
            ),
            campaign,
            deadline,
        )
        assert drafted.status_code == 201, drafted.text
        proposal_id: str = drafted.json()["id"]
        submitted = _until_answered(
            lambda: client.post(
                f"{url}/proposals/{proposal_id}/submit",
                headers={**headers, "Idempotency-Key": f"chaos-{campaign.seed}-{number}-submit"},
            ),
            campaign,
            deadline,
        )
        assert submitted.status_code == 200, submitted.text
    return proposal_id


def _restart(suite: Suite, nats_server: NatsServer, victim: str) -> None:
    if victim == "nats-server":
        nats_server.kill()
        time.sleep(0.3)
        nats_server.start()
    else:
        suite[victim].kill9()
        suite.start(victim)


def run(suite: Suite, nats_server: NatsServer, campaign: Campaign) -> Campaign:
    """Run the campaign on a started suite; `campaign.problems` lists what did not converge."""
    started = time.monotonic()
    deadline = started + 120 + campaign.proposals * campaign.rounds
    chaos = random.Random(campaign.seed)
    faults_over = threading.Event()
    numbers = itertools.count()
    lock = threading.Lock()

    def inflict() -> None:
        try:
            for _ in range(campaign.rounds):
                for victim in chaos.sample(VICTIMS, len(VICTIMS)):
                    time.sleep(chaos.uniform(0.2, 1.0))
                    campaign.faults.append(victim)
                    _restart(suite, nats_server, victim)
        finally:
            faults_over.set()

    def client() -> None:
        """Submit until the faults are over and the campaign's count is reached."""
        while True:
            with lock:
                number = next(numbers)
            if faults_over.is_set() and number >= campaign.proposals:
                return
            proposal_id = _submit_one(suite, number, campaign, deadline)
            with lock:
                campaign.acknowledged.append(proposal_id)

    faults = threading.Thread(target=inflict)
    faults.start()
    try:
        with ThreadPoolExecutor(campaign.concurrency) as pool:
            for running in [pool.submit(client) for _ in range(campaign.concurrency)]:
                running.result()
    finally:
        faults.join()
    _converge(suite, nats_server, campaign)
    campaign.seconds = time.monotonic() - started
    return campaign


def _converge(suite: Suite, nats_server: NatsServer, campaign: Campaign) -> None:
    wanted = set(campaign.acknowledged)

    def counted(stream: str, kind: str) -> Counter[str]:
        return Counter(
            str(b.get("proposal_id"))
            for b in stream_bodies(nats_server.url, stream)
            if b.get("type") == kind
        )

    def everywhere() -> bool:
        return set(counted("D73_APPROVAL", OPENED)) >= wanted and _archived(suite, wanted)

    try:
        wait_until(everywhere, timeout=60 + len(wanted) * 0.2, interval=0.5)
    except TimeoutError as error:
        campaign.problems.append(f"did not converge: {error}")
    for stream, kind in (("D73_REGISTRATION", SUBMITTED), ("D73_APPROVAL", OPENED)):
        seen = counted(stream, kind)
        if set(seen) != wanted:
            campaign.problems.append(
                f"{stream}: {len(wanted - set(seen))} acknowledged missing, "
                f"{len(set(seen) - wanted)} never acknowledged"
            )
        doubled = [p for p, n in seen.items() if n > 1]
        if doubled:
            campaign.problems.append(f"{stream}: {len(doubled)} doubled ({kind})")
    alarms = httpx.get(f"{suite['reporting'].url}/audit/alarms", headers=AUDITOR, timeout=30)
    if alarms.json()["alarm"]:
        campaign.problems.append(f"alarm: {alarms.text[:2000]}")
    for service in ("registration", "approval"):
        suite[service].stop()
        verified = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "verify", service],
            env=suite.env_for(service, 0),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if verified.returncode != 0:
            campaign.problems.append(f"d73 verify {service}: {verified.stdout[-2000:]}")


def _archived(suite: Suite, wanted: set[str]) -> bool:
    """Each proposal's submission archived by reporting exactly once (a doubled one is a
    problem `_converge` reports through the streams; here it must be there once)."""
    with httpx.Client(timeout=30) as client:
        for proposal_id in sorted(wanted):
            r = client.get(
                f"{suite['reporting'].url}/proposals/{proposal_id}/history", headers=AUDITOR
            )
            if r.status_code != 200:
                return False
            if [e["type"] for e in r.json()["events"]].count(SUBMITTED) != 1:
                return False
    return True
