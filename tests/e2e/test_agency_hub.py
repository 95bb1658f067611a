"""A hub over many suites (issue #17 point 6): the Ministry of Home Affairs is an agency of two
cities' D73 suites, each with its own nats-server and D73_PUBLIC, set up with the documented
commands only (docs/agencies.md, "A hub over many suites").

Each city runs `d73 hub city-config` and `d73 run`: its JetStream domain is its name, it listens
for the hub's leaf connection, and it keeps one durable consumer on D73_PUBLIC for the hub. The
hub's operator runs `d73 hub config` with both cities' hand-over files, `nats-server -c hub.conf`
and `d73 hub stream`: D73_HUB sources both D73_PUBLIC streams, each subject prefixed by its
city. The example subscriber, pointed at the hub, rebuilds both cities' proposals tagged by city;
a city's suite stopped and started again loses nothing at the hub, nothing is stored twice; and
the hub's connection into a city can source and do nothing else: the city refuses it deleting,
updating or purging D73_PUBLIC, touching any other consumer, publishing to a live subject or
reading dead letters.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from io import BufferedReader
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from services.cli.agencies import CONFIG_FILE, NatsUsers
from services.cli.natsconfig import AGENCIES_ADMIN_USER
from services.cli.natsserver import NatsServer, free_port, nats_server_binary, wait_for_port
from tests.e2e.test_agency_native import credentials, d73
from tests.e2e.test_runner import runner_env, start_runner, stop_runner
from tests.support.flows import proposer_headers, submit_proposal, wait_for_case
from tests.support.infra import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agency-subscriber" / "subscriber.py"
CITIES = ("cantho", "haugiang")
HUB = "ministry"
HUB_STREAM = "D73_HUB"
Views = dict[str, tuple[str, Any]]


class City:
    """One city's suite as its operator runs it: `d73 hub city-config`, then `d73 run`."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.data = root / name / "data"
        self.env = runner_env(self.data)
        self.log = root / f"{name}.log"
        self.log.touch()
        self.leaf_port = free_port()
        self.handover = root / f"{name}.hub"
        done = d73(
            self.env, "hub", "city-config", "--city", name, "--hub", HUB,
            "--leaf-host", "127.0.0.1", "--leaf-port", str(self.leaf_port),
            "--url", f"nats-leaf://127.0.0.1:{self.leaf_port}", "--out", str(self.handover),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        self.runner: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.proposals: list[str] = []

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[f'D73_{service.upper()}_PORT']}"

    @property
    def nats_port(self) -> int:
        return int(self.env["D73_NATS_PORT"])

    def launch(self) -> None:
        self.runner = start_runner(self.env, self.log)
        self.starts += 1

    def wait_running(self) -> None:
        wait_until(lambda: self.log.read_text().count("D73 is running") == self.starts, 120)

    def stop(self) -> None:
        if self.runner is not None and self.runner.poll() is None:
            assert stop_runner(self.runner) == 0
        self.runner = None

    def submit(self, client: httpx.Client, title: str) -> None:
        director = proposer_headers()
        proposal = submit_proposal(client, self.url("registration"), director, title)
        wait_for_case(client, self.url("approval"), proposal, director)
        self.proposals.append(proposal)

    def views(self, client: httpx.Client) -> Views:
        director = proposer_headers()
        found = {}
        for pid in self.proposals:
            status = client.get(f"{self.url('registration')}/proposals/{pid}", headers=director)
            case = client.get(f"{self.url('approval')}/proposals/{pid}/case", headers=director)
            found[f"{self.name}/{pid}"] = (status.json()["status"], case.json()["state"])
        return found

    def public(self, step: Any) -> Any:
        """`step(js)` on this city's nats-server as its agencies-admin (D73_PUBLIC's owner)."""

        async def run() -> Any:
            password = NatsUsers.load(self.data.resolve()).agencies_admin
            nc = await nats.connect(
                f"nats://127.0.0.1:{self.nats_port}", user=AGENCIES_ADMIN_USER, password=password
            )
            try:
                return await step(nc.jetstream(timeout=10))
            finally:
                await nc.close()

        return asyncio.run(run())


@pytest.fixture
def cities(tmp_path: Path) -> Iterator[list[City]]:
    made = [City(name, tmp_path) for name in CITIES]
    try:
        for city in made:
            city.launch()  # both suites start together
        for city in made:
            city.wait_running()
        yield made
    finally:
        for city in made:
            city.stop()


@pytest.fixture
def hub(tmp_path: Path, cities: list[City]) -> Iterator[dict[str, str]]:
    """The hub as its operator runs it: `d73 hub config`, `nats-server -c`, `d73 hub stream`."""
    out = tmp_path / "hub"
    pairs = [arg for city in cities for arg in ("--city", f"{city.name}={city.handover}")]
    env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    port = free_port()
    done = d73(env, "hub", "config", *pairs, "--out", str(out), "--host", "127.0.0.1",
               "--port", str(port))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    server = subprocess.Popen(
        [str(nats_server_binary()), "-c", str(out / "hub.conf"), "-l", str(tmp_path / "hub.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 15, server)
        done = d73(env, "hub", "stream", "--dir", str(out))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "D73_HUB created: 2 cities" in done.stdout
        yield credentials(out / "hub.env")
    finally:
        server.terminate()
        server.wait(10)


def _subscriber(hub: dict[str, str], state: Path) -> Views:
    """The example subscriber, unchanged, against the hub until it has been idle 2 s."""
    run = subprocess.run(
        [sys.executable, str(EXAMPLE), "--server", hub["NATS_URL"], "--user", hub["NATS_USER"],
         "--password", hub["NATS_PASSWORD"], "--stream", hub["D73_STREAM"], "--state", str(state),
         "--idle-exit", "2"],
        capture_output=True, text=True, timeout=180,
        env={k: v for k, v in os.environ.items() if not k.startswith("D73_")},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    proposals = json.loads(state.read_text())["proposals"]
    return {key: (p["status"], p.get("case_state")) for key, p in proposals.items()}


def _rebuilt_equals(hub: dict[str, str], state: Path, expected: Views) -> None:
    seen: list[Views] = []

    def caught_up() -> bool:
        seen.append(_subscriber(hub, state))
        return seen[-1] == expected

    try:
        wait_until(caught_up, timeout=120)
    except TimeoutError:
        raise AssertionError(f"rebuilt {seen[-1]} != views {expected}") from None


async def _count(js: Any, stream: str) -> dict[str, int]:
    """How many messages a stream holds on each subject."""
    info = await js.stream_info(stream, subjects_filter=">")
    return dict(info.state.subjects or {})


def _hub_holds(hub: dict[str, str]) -> dict[str, int]:
    async def run() -> dict[str, int]:
        nc = await nats.connect(
            hub["NATS_URL"], user=hub["NATS_USER"], password=hub["NATS_PASSWORD"]
        )
        try:
            return await _count(nc.jetstream(timeout=10), HUB_STREAM)
        finally:
            await nc.close()

    return asyncio.run(run())


# --- what the hub's connection may not do in a city --------------------------------------------


def _leaf_login(sock: socket.socket, user: str, password: str, first: bytes) -> BufferedReader:
    """Log in on a city's leaf port as a raw leaf node, send `first`, wait for the PONG."""
    reader = sock.makefile("rb")
    assert reader.readline().startswith(b"INFO ")
    hello = {"user": user, "pass": password, "name": "rogue-hub", "headers": True}
    sock.sendall(b"CONNECT " + json.dumps(hello).encode() + b"\r\n" + first + b"PING\r\n")
    while not (answer := reader.readline()).startswith(b"PONG"):
        assert answer, "the city closed the link before the PONG"
        assert not answer.startswith(b"-ERR"), answer
    return reader


def _leaf_receives(port: int, user: str, password: str, during: Callable[[], None]) -> list[str]:
    """The subjects a raw leaf subscribed to everything (`>`) receives while `during` runs."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        reader = _leaf_login(sock, user, password, b"LS+ >\r\n")
        during()
        sock.sendall(b"PING\r\n")  # what arrived before its PONG, and 2 s more
        subjects: list[str] = []
        until = None
        while until is None or time.monotonic() < until:
            line = reader.readline()
            assert line, "the city closed the link"
            if line.startswith((b"LMSG ", b"HMSG ")):  # HMSG: with headers
                subjects.append(line.split()[1].decode())
                reader.read(int(line.split()[-1]) + 2)  # the message and its CRLF
            elif line.startswith(b"PONG") and until is None:
                until = time.monotonic() + 2
            elif line.startswith(b"PING"):
                sock.sendall(b"PONG\r\n")
        return subjects


def _leaf_says(port: int, user: str, password: str, line: bytes) -> str:
    """Connect to a city's leaf port with the hub's leaf credentials as a raw leaf node, one
    that does not hold back what the city said it may not send, send one protocol line, and
    return the city's answer: `PONG` when it let it through, its `-ERR …` when it refused (and
    closed the link)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        reader = _leaf_login(sock, user, password, b"")
        sock.sendall(line + b"PING\r\n")
        while answer := reader.readline():
            if answer.startswith((b"PONG", b"-ERR")):
                return answer.decode().strip()
        return "closed"


def _leaf_publish(subject: str, body: bytes = b"") -> bytes:
    return b"LMSG %s _R_.rogue.1 %d\r\n%s\r\n" % (subject.encode(), len(body), body)


def _assert_hub_can_only_source(
    city: City, hub: dict[str, str], traffic: Callable[[], None]
) -> None:
    before = city.public(lambda js: js.stream_info("D73_PUBLIC"))
    handover = credentials(city.handover)
    leaf = handover["NATS_LEAF_URL"].removeprefix("nats-leaf://").split("@")[0]
    user, password = leaf.split(":", 1)
    api = f"$JS.{city.name}.API"
    update = json.dumps({"name": "D73_PUBLIC", "max_msgs": 1}).encode()

    # Through the hub, as its own users would try: the city told the hub what it may send, so
    # the hub does not even forward the request (no responders), and nothing happens.
    async def through_hub() -> list[str]:
        nc = await nats.connect(
            hub["NATS_URL"], user=hub["NATS_USER"], password=hub["NATS_PASSWORD"]
        )
        outcomes = []
        try:
            for verb, body in (("DELETE", b""), ("UPDATE", update), ("PURGE", b"")):
                try:
                    reply = await nc.request(f"{api}.STREAM.{verb}.D73_PUBLIC", body, timeout=2)
                    outcomes.append(reply.data.decode())
                except nats.errors.Error as error:
                    outcomes.append(type(error).__name__)
        finally:
            await nc.close()
        return outcomes

    assert asyncio.run(through_hub()) == ["NoRespondersError"] * 3

    # A leaf that ignores what it was told: the city itself refuses and cuts it off.
    refused = {
        "delete D73_PUBLIC": _leaf_publish(f"{api}.STREAM.DELETE.D73_PUBLIC"),
        "update D73_PUBLIC": _leaf_publish(f"{api}.STREAM.UPDATE.D73_PUBLIC", update),
        "purge D73_PUBLIC": _leaf_publish(f"{api}.STREAM.PURGE.D73_PUBLIC"),
        "delete a message": _leaf_publish(f"{api}.STREAM.MSG.DELETE.D73_PUBLIC", b'{"seq":1}'),
        "delete its own consumer": _leaf_publish(f"{api}.CONSUMER.DELETE.D73_PUBLIC.hub_{HUB}"),
        "create another consumer": _leaf_publish(f"{api}.CONSUMER.CREATE.D73_PUBLIC.spy.>"),
        "read an agency's consumer": _leaf_publish(f"{api}.CONSUMER.MSG.NEXT.D73_PUBLIC.so-nv"),
        "list consumers": _leaf_publish(f"{api}.CONSUMER.LIST.D73_PUBLIC"),
        "publish a live event": _leaf_publish("d73.public.registration.proposal.submitted.v1"),
        "read dead letters": b"LS+ d73.deadletter.registration\r\n",
        "read a live subject": b"LS+ d73.public.approval.case.opened.v1\r\n",
    }
    for what, line in refused.items():
        answer = _leaf_says(city.leaf_port, user, password, line)
        assert "Permissions Violation" in answer, f"{what}: {answer}"
    # ...while what sourcing needs goes through (a flow-control reply of its own consumer).
    allowed = _leaf_publish(f"$JS.FC.D73_PUBLIC.hub_{HUB}.rogue")
    assert _leaf_says(city.leaf_port, user, password, allowed) == "PONG"

    # Subscribed to everything while the city works, it receives what the hub's consumer
    # delivers (the public events it sources anyway) and nothing of the city's live subjects.
    received = _leaf_receives(city.leaf_port, user, password, traffic)
    deliver = credentials(city.handover)["D73_HUB_DELIVER"]
    assert deliver in received
    assert set(received) <= {deliver}, received

    after = city.public(lambda js: js.stream_info("D73_PUBLIC"))
    assert after.config.as_dict() == before.config.as_dict()
    assert after.state.first_seq == before.state.first_seq == 1
    assert after.state.messages >= before.state.messages


def test_a_hub_rebuilds_both_cities_loses_nothing_and_may_only_source(
    cities: list[City], hub: dict[str, str], tmp_path: Path
) -> None:
    cantho, haugiang = cities
    state = tmp_path / "ministry.json"
    with httpx.Client(timeout=30) as client:
        cantho.submit(client, "Một cửa liên thông Cần Thơ")
        haugiang.submit(client, "Một cửa liên thông Hậu Giang")
        _rebuilt_equals(hub, state, {**cantho.views(client), **haugiang.views(client)})

        _assert_hub_can_only_source(
            cantho, hub, lambda: cantho.submit(client, "Cần Thơ, khi có kẻ nghe lén")
        )

        # Hậu Giang's suite goes away (services and nats-server); Cần Thơ goes on; Hậu Giang
        # comes back on its store and goes on.
        haugiang.stop()
        cantho.submit(client, "Cần Thơ, trong lúc Hậu Giang vắng mặt")
        haugiang.launch()
        haugiang.wait_running()
        haugiang.submit(client, "Hậu Giang, sau khi trở lại")
        expected = {**cantho.views(client), **haugiang.views(client)}
        assert len(expected) == 5
        _rebuilt_equals(hub, state, expected)

    # Nothing lost, nothing doubled: with every suite stopped and only each city's nats-server
    # started again as `d73 run` starts it (so no stream grows), the hub holds exactly each
    # city's messages, subject by subject, under its prefix.
    for city in cities:
        city.stop()
    servers = [
        NatsServer(
            city.data.resolve() / "nats", city.nats_port, config_file=city.data / CONFIG_FILE
        )
        for city in cities
    ]
    try:
        for server in servers:
            server.start()
        wanted = {
            f"{city.name}.{subject}": n
            for city in cities
            for subject, n in city.public(lambda js: _count(js, "D73_PUBLIC")).items()
        }
        held: list[dict[str, int]] = []

        def complete() -> bool:
            held.append(_hub_holds(hub))
            return held[-1] == wanted

        try:
            wait_until(complete, timeout=60)
        except TimeoutError:
            raise AssertionError(f"hub {held[-1]} != cities {wanted}") from None
    finally:
        for server in servers:
            server.stop()
