"""A verifiable archive (issue #12 §6), real processes on SQLite and PostgreSQL: reporting keeps
its archive as a signed log too. Each archived event keeps its upstream leaf hash and log index;
an auditor's history export carries an audit bundle that `d73 verify-bundle` checks offline;
`d73 verify reporting` passes on the store as written and finds one archive row retitled
"Forged #1", and reporting started on that store halts (`log-tampered`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.platform.settings import Persistence, Settings
from shared.records.merkle.keys import public_key_from_b64, save_public_key
from shared.records.merkle.stored_state import entry_state
from tests.support.flows import AUDITOR, proposer_headers, submit_proposal
from tests.support.infra import POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, Suite, wait_until
from tests.unit.records.servicelog.tampering import StoreSurgery

pytestmark = pytest.mark.e2e
VIETNAM = timezone(timedelta(hours=7))


def d73(suite: Suite, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=suite.env_for("reporting", 0),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def history(suite: Suite, proposal_id: str) -> dict[str, Any] | None:
    r = httpx.get(
        f"{suite['reporting'].url}/proposals/{proposal_id}/history",
        params={"proof": "true"},
        headers=AUDITOR,
        timeout=30,
    )
    if r.status_code != 200:
        return None
    body: dict[str, Any] = r.json()
    proved = len(body["proof"]["selected"])  # the archive's opening event, then each archived
    return body if proved == len(body["events"]) + 1 and proved >= 3 else None


def proved_export(suite: Suite) -> dict[str, Any] | None:
    """Today's export with its proof, once the proof covers every exported event."""
    today = datetime.now(VIETNAM).date().isoformat()
    r = httpx.get(
        f"{suite['reporting'].url}/audit/export",
        params={"from": today, "to": today, "proof": "true"},
        headers=AUDITOR,
        timeout=30,
    )
    if r.status_code != 200:
        return None
    body: dict[str, Any] = r.json()
    archived = [s for s in body["proof"]["selected"] if "entry" in entry_state(s["entry"])]
    return body if len(body["events"]) >= 2 and len(archived) == len(body["events"]) else None


def test_the_archive_is_proved_offline_and_an_edited_row_is_found(
    suite: Suite, tmp_path: Path
) -> None:
    suite.extra_env["D73_CHECKPOINT_EVERY_SECONDS"] = "0.3"
    suite.start()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, suite["registration"].url, proposer_headers())
    exported = wait_until(lambda: history(suite, proposal_id), timeout=30)
    assert all(len(e["log"]["leaf_hash"]) == 64 for e in exported["events"])
    assert all(e["log"]["leaf_index"] >= 0 for e in exported["events"])

    bundle = tmp_path / "history-bundle.json"
    bundle.write_text(json.dumps(exported["proof"]))
    key = httpx.get(f"{suite['reporting'].url}/audit/public-key").json()
    pem = tmp_path / "reporting.pub.pem"
    save_public_key(public_key_from_b64(key["public_key"]), pem)
    offline = d73(suite, "verify-bundle", str(bundle), "--key", str(pem))
    assert offline.returncode == 0, offline.stdout + offline.stderr

    # The auditor's export with its proof: verified offline, and an edited copy is not.
    document = wait_until(lambda: proved_export(suite), timeout=30)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(document))
    offline = d73(suite, "verify-bundle", str(export), "--key", str(pem))
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert f"{len(document['events'])} event(s) compared" in offline.stdout
    document["events"][0]["body"]["title"] = "Forged #1"
    export.write_text(json.dumps(document))
    edited = d73(suite, "verify-bundle", str(export), "--key", str(pem))
    assert edited.returncode == 1, edited.stdout + edited.stderr
    assert "event_mismatch" in edited.stdout

    suite["reporting"].stop()
    clean = d73(suite, "verify", "reporting")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    for source in ("registration", "approval"):  # each archived event under its source's log
        proved = re.search(rf"(\d+) archived event\(s\) of {source} are leaves", clean.stdout)
        assert proved is not None, clean.stdout
        assert int(proved.group(1)) >= 1, clean.stdout

    settings = Settings(
        data_dir=suite.data_dir,
        persistence=Persistence(suite.persistence),
        postgres_host=POSTGRES_HOST,
        postgres_port=POSTGRES_PORT,
        postgres_user=POSTGRES_USER,
        postgres_db_prefix=suite.db_prefix,
    )
    surgery = StoreSurgery(settings, "reporting")
    archived = [
        row[0]
        for row in surgery.backup()
        if "Archived" in str(row[3]) and b'"title"' in bytes(row[4])
    ]
    assert archived, "an archived event with a title"

    def forge(state: dict[str, Any]) -> None:
        state["entry"]["body"]["title"] = "Forged #1"

    surgery.edit(archived[0], forge)
    found = d73(suite, "verify", "reporting")
    assert found.returncode == 1, found.stdout + found.stderr

    suite.start("reporting", ready=False)
    ready = httpx.get(f"{suite['reporting'].url}/readyz", timeout=30)
    assert ready.status_code == 503
    assert ready.json()["checks"]["commands"] == "halted: log-tampered"
