"""An agency on the native run (issue #17.1): `d73 agency add` while `d73 run` runs gives a
working read-only user with its own credentials file; `make run` has D73_PUBLIC; the same
command edits the compose deployment's files."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import nats
import pytest

from services.cli.natsconfig import COMPOSE_AGENCIES, COMPOSE_CONFIG, read_agencies
from tests.e2e.test_runner import runner_env, start_runner, stop_runner
from tests.support.flows import proposer_headers, submit_proposal
from tests.support.infra import wait_until

pytestmark = pytest.mark.e2e
AGENCY = "so-khcn-hau-giang"


def d73(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env={**env, "PYTHONPATH": str(Path.cwd())},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def credentials(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs if not k.startswith("#")}


async def replay(creds: dict[str, str], want: int) -> list[str]:
    nc = await nats.connect(
        creds["NATS_URL"],
        user=creds["NATS_USER"],
        password=creds["NATS_PASSWORD"],
        inbox_prefix=creds["NATS_INBOX_PREFIX"],
        allow_reconnect=False,
    )
    try:
        js = nc.jetstream(timeout=5)
        name = creds["D73_CONSUMERS"].split(",")[0]
        sub = await js.pull_subscribe("d73.>", durable=name, stream=creds["D73_STREAM"])
        subjects: list[str] = []
        for _ in range(40):
            try:
                for msg in await sub.fetch(20, timeout=0.5):
                    subjects.append(msg.subject)
                    await msg.ack()
            except TimeoutError:  # nats-py raises its own subclass or the plain one
                if len(subjects) >= want:
                    break
        return subjects
    finally:
        await nc.close()


def test_agency_added_to_a_running_suite_replays_and_follows_then_is_removed(
    tmp_path: Path,
) -> None:
    env = runner_env(tmp_path / "data")
    log = tmp_path / "run.log"
    registration = f"http://127.0.0.1:{env['D73_REGISTRATION_PORT']}"
    proc = start_runner(env, log)
    try:
        wait_until(lambda: "D73 is running" in log.read_text(), timeout=90)
        with httpx.Client(timeout=30) as client:
            submit_proposal(client, registration, proposer_headers())
        added = d73(env, "agency", "add", AGENCY)
        assert added.returncode == 0, added.stderr
        assert "reloaded" in added.stdout
        path = tmp_path / "data" / "agencies" / f"{AGENCY}.env"
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        creds = credentials(path)
        assert creds["NATS_URL"] == f"nats://127.0.0.1:{env['D73_NATS_PORT']}"
        history = asyncio.run(replay(creds, 2))
        assert "d73.public.registration.proposal.submitted" in history
        assert all(not s.startswith("d73.deadletter") for s in history)
        assert d73(env, "agency", "list").stdout.split() == [AGENCY]
        assert d73(env, "agency", "add", AGENCY).returncode == 2  # not twice
        removed = d73(env, "agency", "remove", AGENCY)
        assert removed.returncode == 0, removed.stderr
        assert not path.exists()
        with pytest.raises(Exception, match=r"(?i)authorization"):
            asyncio.run(replay(creds, 0))
    finally:
        assert stop_runner(proc) == 0


def test_an_agency_added_while_stopped_is_active_on_the_next_run(tmp_path: Path) -> None:
    env = runner_env(tmp_path / "data")
    added = d73(env, "agency", "add", "ubnd-tinh-hau-giang")
    assert added.returncode == 0, added.stderr
    assert "next d73 run" in added.stdout
    assert d73(env, "agency", "add", "Bad_Name").returncode == 2
    log = tmp_path / "run.log"
    proc = start_runner(env, log)
    try:
        wait_until(lambda: "D73 is running" in log.read_text(), timeout=90)
        creds = credentials(tmp_path / "data" / "agencies" / "ubnd-tinh-hau-giang.env")
        assert asyncio.run(replay(creds, 0)) == []  # connects and reads an empty D73_PUBLIC
    finally:
        assert stop_runner(proc) == 0


def test_the_same_command_edits_the_compose_deployment(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    shutil.copytree(Path("deploy/nats"), root / "deploy" / "nats")
    env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    done = d73(env, "agency", "add", AGENCY, "--compose", "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert AGENCY in read_agencies(root / COMPOSE_AGENCIES)
    config = (root / COMPOSE_CONFIG).read_text()
    assert f'user: "{AGENCY}"' in config
    assert f"$NATS_AGENCY_{AGENCY.upper().replace('-', '_')}_PASSWORD" in config
    assert d73(env, "agency", "list", "--compose", "--root", str(root)).stdout.split() == [AGENCY]
    assert d73(env, "agency", "remove", AGENCY, "--compose", "--root", str(root)).returncode == 0
    assert (root / COMPOSE_CONFIG).read_text() == Path(COMPOSE_CONFIG).read_text()
