"""`d73 run` (what `make run` calls) as an operator uses it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from services.cli.natsserver import free_port
from tests.support.flows import proposer_headers
from tests.support.infra import TEST_JWT_SECRET, wait_until

pytestmark = pytest.mark.e2e


def runner_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    env.update(
        {
            "D73_DATA_DIR": str(data),
            "D73_NATS_PORT": str(free_port()),
            "D73_NATS_MONITOR_PORT": str(free_port()),
            "D73_REGISTRATION_PORT": str(free_port()),
            "D73_APPROVAL_PORT": str(free_port()),
            "D73_REPORTING_PORT": str(free_port()),
            "D73_PORTAL_PORT": str(free_port()),
            "D73_JWT_SECRET": TEST_JWT_SECRET,
        }
    )
    return env


def start_runner(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "run"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop_runner(proc: subprocess.Popen[bytes], within: float = 60) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(within)


def test_run_prints_urls_stops_on_ctrl_c_and_finds_its_data_again(tmp_path: Path) -> None:
    env = runner_env(tmp_path / "data")
    log = tmp_path / "run.log"
    registration = f"http://127.0.0.1:{env['D73_REGISTRATION_PORT']}"
    proc = start_runner(env, log)
    try:
        wait_until(lambda: "D73 is running" in log.read_text(), timeout=90)
        text = log.read_text()
        for port in ("D73_REGISTRATION_PORT", "D73_APPROVAL_PORT", "D73_REPORTING_PORT"):
            assert f"http://127.0.0.1:{env[port]}" in text
        portal = f"http://127.0.0.1:{env['D73_PORTAL_PORT']}"
        assert portal in text
        sign_in = httpx.get(f"{portal}/sign-in")
        assert sign_in.status_code == 200
        assert 'action="/sign-in/development"' in sign_in.text  # on for `make run`
        created = httpx.post(
            f"{registration}/proposals", json={"title": "Còn đó"}, headers=proposer_headers()
        )
        assert created.status_code == 201
        relayed = 'd73_relay_published_position{service="registration"} 1.0'
        wait_until(lambda: relayed in httpx.get(f"{registration}/metrics").text, timeout=30)
    finally:
        assert stop_runner(proc) == 0
    assert "D73 stopped." in log.read_text()
    # Stopping signed what the log held: the short run's one event is proven, offline.
    verified = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "verify", "registration", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["entries_checked"] == 1
    proc = start_runner(env, log)
    try:
        wait_until(lambda: log.read_text().count("D73 is running") == 2, timeout=90)
        mine = httpx.get(f"{registration}/proposals", headers=proposer_headers()).json()
        assert [p["title"] for p in mine] == ["Còn đó"]
    finally:
        stop_runner(proc)


def test_run_names_a_busy_port_and_how_to_change_it(tmp_path: Path) -> None:
    env = runner_env(tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["D73_APPROVAL_PORT"])))
        taken.listen()
        out = subprocess.run(
            [sys.executable, "-m", "services.cli.main", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 2
    assert f"Port {env['D73_APPROVAL_PORT']} (approval) is already in use" in out.stderr
    assert "D73_APPROVAL_PORT=<port> make run" in out.stderr
    assert not (tmp_path / "data" / "nats").exists(), "nothing was started"


def test_ctrl_c_while_the_suite_cannot_finish_starting_stops_it_at_once(tmp_path: Path) -> None:
    """NATS out of reach: the services wait for it and never answer /readyz. Ctrl-C must not
    wait for them (it used to sit out a 60 s start-up timeout, then 15 s per service)."""
    env = runner_env(tmp_path / "data")
    env["D73_NATS_URL"] = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    log = tmp_path / "run.log"
    proc = start_runner(env, log)
    try:
        wait_until(lambda: "starting" in log.read_text(), timeout=60)
        children = psutil.Process(proc.pid).children()
        assert {" ".join(c.cmdline()[-2:]) for c in children} == {
            "serve registration",
            "serve approval",
            "serve reporting",
        }
        assert stop_runner(proc, within=30) == 0
        assert "D73 stopped." in log.read_text()
        assert not [c.pid for c in children if c.is_running() and c.status() != "zombie"]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_service_that_never_becomes_ready_fails_the_run_with_a_reason(tmp_path: Path) -> None:
    env = runner_env(tmp_path / "data")
    env["D73_NATS_URL"] = f"nats://127.0.0.1:{free_port()}"
    env["D73_RUN_READY_SECONDS"] = "3"
    log = tmp_path / "run.log"
    proc = start_runner(env, log)
    try:
        assert proc.wait(60) == 1
        text = log.read_text()
        assert "error: registration did not become ready within 3 s" in text
        assert "D73 stopped." in text
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_service_waiting_for_nats_at_start_stops_on_sigterm(tmp_path: Path) -> None:
    """`docker compose stop` sends SIGTERM: a service still waiting for NATS must heed it."""
    env = runner_env(tmp_path / "data")
    env["D73_NATS_URL"] = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "serve", "registration"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: "Waiting for application startup" in log.read_text(), timeout=60)
        time.sleep(1.0)  # inside the broker's connect loop by now
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == -signal.SIGTERM, log.read_text()
        assert "stopped while starting" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
