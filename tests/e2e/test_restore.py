"""Restore is a tested procedure (issue #12 §2), on SQLite and PostgreSQL, real processes: submit
A, back up registration (`d73 backup`, while it runs), submit B, stop it, restore it
(`d73 restore`), start it, submit C → A, B and C each reach approval and reporting exactly
once, `d73 verify registration` passes and the witness raises no alarm."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.platform.subjects import REGISTRATION_STREAM
from tests.support.flows import (
    AUDITOR,
    proposer_headers,
    stream_bodies,
    submit_proposal,
    wait_for_case,
)
from tests.support.infra import Suite, wait_until

pytestmark = pytest.mark.e2e

SUBMITTED = "d73.proposal.submitted.v1"


def d73(suite: Suite, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=suite.env_for("registration", 0),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def submit(suite: Suite, title: str) -> str:
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, suite["registration"].url, proposer_headers(), title)
        wait_for_case(client, suite["approval"].url, proposal_id, proposer_headers())
    return proposal_id


def archived(suite: Suite, proposal_id: str) -> list[dict[str, Any]]:
    r = httpx.get(
        f"{suite['reporting'].url}/proposals/{proposal_id}/history", headers=AUDITOR, timeout=30
    )
    return list(r.json()["events"]) if r.status_code == 200 else []


def test_submit_backup_submit_restore_submit_loses_and_doubles_nothing(
    suite: Suite, tmp_path: Path
) -> None:
    suite.extra_env["D73_CHECKPOINT_EVERY_SECONDS"] = "0.3"
    suite.start()
    a = submit(suite, "A — trước sao lưu")
    backup = tmp_path / "backup-registration"
    made = d73(suite, "backup", "registration", str(backup))
    assert made.returncode == 0, made.stdout + made.stderr

    b = submit(suite, "B — sau sao lưu")
    suite["registration"].stop()
    restored = d73(suite, "restore", "registration", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    suite.start("registration")
    assert "recovered" in suite["registration"].log_tail(200)

    c = submit(suite, "C — sau khôi phục")
    proposals = (a, b, c)

    def everywhere() -> bool:
        return all([e["type"] for e in archived(suite, p)].count(SUBMITTED) == 1 for p in proposals)

    wait_until(everywhere, timeout=30)
    submitted = [
        body["proposal_id"]
        for body in stream_bodies(suite.nats_url, REGISTRATION_STREAM.name)
        if body["type"] == SUBMITTED
    ]
    assert sorted(submitted) == sorted(proposals), "each submission published exactly once"
    with httpx.Client(timeout=30) as client:
        for proposal_id in proposals:
            mine = client.get(
                f"{suite['registration'].url}/proposals/{proposal_id}", headers=proposer_headers()
            )
            assert mine.status_code == 200, mine.text

    alarms = httpx.get(f"{suite['reporting'].url}/audit/alarms", headers=AUDITOR).json()
    assert not alarms["alarm"], alarms

    suite["registration"].stop()
    verified = d73(suite, "verify", "registration")
    assert verified.returncode == 0, verified.stdout + verified.stderr
