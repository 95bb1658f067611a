"""`d73 hub city-config` and `d73 hub config` (issue #17.6): the files they write are loaded by
the real nats-server (`nats-server -t`), keep what they grant narrow, and bad arguments get a
clear error and change nothing. The hub working end to end: tests/e2e/test_agency_hub.py."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import subprocess
from pathlib import Path

import nats
import pytest
from typer.testing import CliRunner

from services.cli.agencies import PID_FILE, NatsUsers
from services.cli.hub import sync_hub_consumers
from services.cli.main import cli
from services.cli.natsconfig import AGENCIES_ADMIN_USER, agencies_public_stream
from services.cli.natsserver import NatsServer, free_port, nats_server_binary
from tests.support.infra import wait_until


def _d73(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    crash = repr(result.exception) if result.exit_code == 1 else ""  # what it raised, if it did
    return result.exit_code, result.output + crash


def _loads(config: Path) -> None:
    """nats-server parses the file and accepts every setting in it (`-t`: test, then exit)."""
    run = subprocess.run(
        [str(nats_server_binary()), "-t", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def _city(city: str, hub: str, out: Path, *more: str) -> tuple[int, str]:
    return _d73(
        "hub", "city-config", "--city", city, "--hub", hub, "--leaf-port", "7422",
        "--url", f"nats-leaf://{city}.example:7422", "--out", str(out), *more,
    )  # fmt: skip


def test_a_city_grants_a_hub_a_leaf_user_that_may_only_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("D73_DATA_DIR", str(data))
    handover = tmp_path / "cantho.hub"
    code, output = _city("cantho", "ministry", handover)
    assert code == 0, output
    assert stat.S_IMODE(handover.stat().st_mode) == 0o600  # it holds the leaf password
    lines = dict(
        line.split("=", 1) for line in handover.read_text().splitlines() if "=" in line[:20]
    )
    users = NatsUsers.load(data)
    grant = users.city["hubs"]["ministry"]
    assert lines["D73_CITY"] == "cantho"
    assert lines["NATS_LEAF_URL"] == (
        f"nats-leaf://hub-ministry:{grant['password']}@cantho.example:7422"
    )
    assert lines["D73_HUB_CONSUMER"] == "hub_ministry"
    assert lines["D73_HUB_DELIVER"] == f"hubs.ministry.{grant['deliver_token']}"

    # Rendered as `d73 run` renders it (services' passwords are drawn at each start).
    users.fresh_start(("registration", "approval", "reporting"))
    config = users.save()
    _loads(config)
    text = config.read_text()
    assert 'server_name: "d73-cantho"' in text
    assert 'domain: "cantho"' in text
    assert 'leafnodes: {listen: "0.0.0.0:7422"}' in text
    leaf_user = text[text.index('user: "hub-ministry"') :].split("\n      }\n", 1)[0]
    assert 'allowed_connection_types: ["LEAFNODE"]' in leaf_user
    allowed = [
        line.strip().strip('"')
        for line in leaf_user.splitlines()
        if line.strip().startswith('"$JS')
    ]
    assert allowed == [
        "$JS.cantho.API.CONSUMER.RESET.D73_PUBLIC.hub_ministry",
        "$JS.FC.D73_PUBLIC.hub_ministry.>",
        "$JS.FC.*.*.D73_PUBLIC.hub_ministry.>",
    ]
    assert f'allow: ["{lines["D73_HUB_DELIVER"]}", "$JSC.R.>"]' in leaf_user

    # Asked again, the same grant; a second hub gets its own.
    assert _city("cantho", "ministry", tmp_path / "again.hub")[0] == 0
    assert (tmp_path / "again.hub").read_text() == handover.read_text()
    assert _city("cantho", "province", tmp_path / "province.hub")[0] == 0
    assert set(NatsUsers.load(data).city["hubs"]) == {"ministry", "province"}

    # A suite is one city for good: its hubs know its events by that name.
    before = (data / "nats-users.json").read_text()
    code, output = _city("haugiang", "ministry", tmp_path / "x.hub")
    assert code == 2
    assert "this suite is the city 'cantho' already" in output
    code, output = _city("cantho", "Bộ Nội vụ", tmp_path / "x.hub")
    assert code == 2
    assert "hub name 'Bộ Nội vụ'" in output
    code, output = _city("cantho", "ministry2", tmp_path / "x.hub", "--url", "http://x")
    assert code == 2
    assert "nats-leaf://<host>:<port>" in output
    assert (data / "nats-users.json").read_text() == before
    assert not (tmp_path / "x.hub").exists()


def test_the_hub_config_sources_every_city_from_its_hand_over_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {}
    for city in ("cantho", "haugiang"):
        monkeypatch.setenv("D73_DATA_DIR", str(tmp_path / city))
        files[city] = tmp_path / f"{city}.hub"
        assert _city(city, "ministry", files[city])[0] == 0
    out = tmp_path / "hub"
    pairs = [arg for city, path in files.items() for arg in ("--city", f"{city}={path}")]
    code, output = _d73("hub", "config", *pairs, "--out", str(out), "--port", "4333")
    assert code == 0, output
    _loads(out / "hub.conf")
    assert stat.S_IMODE((out / "hub.conf").stat().st_mode) == 0o600
    text = (out / "hub.conf").read_text()
    assert 'domain: "hub"' in text
    for path in files.values():
        url = next(x for x in path.read_text().splitlines() if x.startswith("NATS_LEAF_URL="))
        assert f'url: "{url.split("=", 1)[1]}"' in text
    stream = json.loads((out / "d73-hub-stream.json").read_text())
    assert stream["name"] == "D73_HUB"
    assert [
        (s["external"]["api"], s["subject_transforms"], s["consumer"]["name"])
        for s in stream["sources"]
    ] == [
        ("$JS.cantho.API", [{"src": ">", "dest": "cantho.>"}], "hub_ministry"),
        ("$JS.haugiang.API", [{"src": ">", "dest": "haugiang.>"}], "hub_ministry"),
    ]
    env = (out / "hub.env").read_text()
    assert "NATS_URL=nats://127.0.0.1:4333\n" in env
    # Run again (a city added or not), the readers keep their password.
    assert _d73("hub", "config", *pairs, "--out", str(out), "--port", "4333")[0] == 0
    assert (out / "hub.env").read_text() == env

    for bad, says in [
        (["--city", "cantho"], "<city>=<hand-over file of that city>"),
        (["--city", f"haugiang={files['cantho']}"], "is the city 'cantho', not 'haugiang'"),
        (["--city", f"cantho={tmp_path / 'none.hub'}"], "No such file"),
        ([*pairs[:2], *pairs[:2]], "city names must differ"),
        (["--city", f"hub={files['cantho']}"], "city names must differ"),
    ]:
        code, output = _d73("hub", "config", *bad, "--out", str(tmp_path / "bad"))
        assert code == 2, bad
        assert says in output, output
    assert not (tmp_path / "bad").exists()


def _leaf_login(port: int, user: str, password: str) -> tuple[socket.socket, bytes]:
    """A raw leaf-node login on `port`: the open socket and the server's answer to it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    reader = sock.makefile("rb")
    assert reader.readline().startswith(b"INFO ")
    hello = {"user": user, "pass": password, "name": "some-hub", "headers": True}
    sock.sendall(b"CONNECT " + json.dumps(hello).encode() + b"\r\nPING\r\n")
    while answer := reader.readline():
        if answer.startswith((b"PONG", b"-ERR")):
            return sock, answer
    return sock, b"closed"


def test_a_revoked_hub_can_log_in_no_more_and_its_consumer_is_deleted_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    leaf_port, nats_port = free_port(), free_port()
    monkeypatch.setenv("D73_DATA_DIR", str(data))
    monkeypatch.setenv("D73_NATS_PORT", str(nats_port))
    code, output = _d73(
        "hub", "city-config", "--city", "cantho", "--hub", "ministry",
        "--leaf-host", "127.0.0.1", "--leaf-port", str(leaf_port), "--out", str(tmp_path / "h"),
    )  # fmt: skip
    assert code == 0, output
    users = NatsUsers.load(data)
    users.fresh_start(("registration", "approval", "reporting"))
    server = NatsServer(data / "nats", nats_port, config_file=users.save())  # as `d73 run`
    server.start()
    try:
        assert server.proc is not None
        (data / PID_FILE).write_text(f"{server.proc.pid}\n")

        async def provision() -> set[str]:
            nc = await nats.connect(
                server.url, user=AGENCIES_ADMIN_USER, password=users.agencies_admin
            )
            try:
                js = nc.jetstream(timeout=10)
                await js.add_stream(agencies_public_stream())
                city = users.city_leaf()
                assert city is not None
                await sync_hub_consumers(js, city.hubs)
                return {c.name for c in await js.consumers_info("D73_PUBLIC")}
            finally:
                await nc.close()

        assert asyncio.run(provision()) == {"hub_ministry"}
        password = users.city["hubs"]["ministry"]["password"]
        linked, answer = _leaf_login(leaf_port, "hub-ministry", password)
        assert answer == b"PONG\r\n"

        code, output = _d73("hub", "city-revoke", "--hub", "ministry")
        assert code == 0, output
        assert "cut off" in output
        linked.close()  # nats-server keeps a leaf link open across a reload: it gets nothing

        def refused() -> bool:  # no new one, once nats-server has reloaded (SIGHUP)
            again, answer = _leaf_login(leaf_port, "hub-ministry", password)
            again.close()
            return b"Authorization Violation" in answer

        wait_until(refused, timeout=10)

        async def consumers() -> set[str]:
            nc = await nats.connect(
                server.url, user=AGENCIES_ADMIN_USER, password=users.agencies_admin
            )
            try:
                return {c.name for c in await nc.jetstream().consumers_info("D73_PUBLIC")}
            finally:
                await nc.close()

        assert asyncio.run(consumers()) == set()
        assert _d73("hub", "city-revoke", "--hub", "ministry")[0] == 2  # no such hub now
    finally:
        server.stop()
