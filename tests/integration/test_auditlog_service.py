"""A real registration process keeps its verifiable log with no wiring of its own (issue #6):
key made on first run and served, checkpoints signed and published, proofs over HTTP, an
exported bundle and the whole store checked by the CLI, and the log rebuilt on restart."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from shared.contracts.audit import Checkpoint as CheckpointMessage
from shared.platform.envelope import CE_ID, LOG_INDEX, MSG_ID, TREE_SIZE
from shared.platform.subjects import AUDIT_STREAM, REGISTRATION_STREAM
from shared.records.merkle.bundle import proof_from_hex
from shared.records.merkle.canonical import entry_bytes
from shared.records.merkle.checkpoint import Checkpoint
from shared.records.merkle.keys import public_key_from_b64, save_public_key
from shared.records.merkle.verify import verify_entry_inclusion
from shared.records.servicelog.publishing import checkpoint_event_id
from tests.support.flows import AUDITOR, proposer_headers, submit_proposal
from tests.support.infra import Suite, wait_until

pytestmark = pytest.mark.e2e


async def _last_message(
    url: str, stream: str, subject: str | None = None
) -> tuple[dict[str, str], bytes]:
    """The stream's last message, or its last on `subject` (the audit stream also carries
    heartbeats, which may follow the checkpoint a test looks for)."""
    connection = await nats.connect(url)
    try:
        js = connection.jetstream()
        if subject is not None:
            msg = await js.get_last_msg(stream, subject)
        else:
            info = await js.stream_info(stream)
            msg = await js.get_msg(stream, seq=info.state.last_seq)
        return dict(msg.headers or {}), msg.data or b""
    finally:
        await connection.close()


def verify_cli(suite: Suite, *args: str) -> subprocess.CompletedProcess[str]:
    env = suite.env_for("registration", 0)
    return subprocess.run(
        [sys.executable, "-m", "services.cli.verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_registration_signs_publishes_and_proves_its_log(suite: Suite, tmp_path: Path) -> None:
    suite.extra_env["D73_CHECKPOINT_EVERY_SECONDS"] = "0.3"
    suite.start("registration")
    url = suite["registration"].url
    key = httpx.get(f"{url}/audit/public-key").json()
    assert (suite.data_dir / "keys" / "registration.ed25519.pem").stat().st_mode & 0o777 == 0o600
    with httpx.Client(timeout=30) as client:
        submit_proposal(client, url, proposer_headers())  # a draft (private), then submitted

    def signed_everything() -> dict[str, Any] | None:
        head = httpx.get(f"{url}/audit/head").json()
        latest = head["latest_checkpoint"]
        return head if latest and latest["tree_size"] == head["tree_size"] else None

    head = wait_until(signed_everything, timeout=15)
    assert head["status"] == "ok"
    size = head["tree_size"]
    checkpoint = Checkpoint.from_dict(head["latest_checkpoint"])
    checkpoints = CheckpointMessage.subject_of("registration")
    headers, body = asyncio.run(_last_message(suite.nats_url, AUDIT_STREAM.name, checkpoints))
    assert json.loads(body)["root_hash"] == checkpoint.root_hash
    assert headers[MSG_ID] == headers[CE_ID] == str(checkpoint_event_id("registration", size))
    event_headers, _ = asyncio.run(_last_message(suite.nats_url, REGISTRATION_STREAM.name))
    assert event_headers[TREE_SIZE] == str(size), "the submission is the last stored event"

    proof = httpx.get(
        f"{url}/audit/proof/inclusion",
        params={"position": int(event_headers[LOG_INDEX]) + 1},
        headers=AUDITOR,
    ).json()
    assert proof["event_id"] == event_headers[CE_ID]
    verify_entry_inclusion(
        entry_bytes(proof["entry"]),
        proof["leaf_index"],
        proof_from_hex(proof["inclusion_path"]),
        checkpoint,
        public_key_from_b64(key["public_key"]),
        service="registration",
    )

    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(httpx.get(f"{url}/audit/bundle", headers=AUDITOR).content)
    pem = tmp_path / "registration.pub.pem"
    save_public_key(public_key_from_b64(key["public_key"]), pem)
    offline = verify_cli(suite, "verify-bundle", str(bundle), "--key", str(pem))
    assert offline.returncode == 0, offline.stdout + offline.stderr

    suite["registration"].stop()
    whole = verify_cli(suite, "verify", "registration")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert f"{size} stored events" in whole.stdout

    suite.start("registration")  # the log is rebuilt from the store and checked
    again = wait_until(lambda: httpx.get(f"{url}/audit/head").json()["status"] == "ok")
    assert again
