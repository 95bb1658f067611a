"""Write the small store a release leaves behind, for the upgrade test (tests/upgrade/).

Run with the code of the release being frozen (a checkout of its tag or commit):

    .venv/bin/python -m tests.upgrade.make_fixture tests/upgrade/fixtures/<release>

It starts the three services (SQLite) on a secured nats-server, submits two proposals, takes one
case through its approval meeting, waits until reporting archived it all and every service signed a
checkpoint, then copies the stores and keys (no logs, no NATS data) and records what the read
models answered (`expected.json`), which the upgraded code must still answer.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from tests.support.flows import (
    AUDITOR,
    CityCaseJourney,
    proposer_headers,
    submit_proposal,
    wait_for_case,
)
from tests.support.infra import Suite, native_nats, wait_until

KEPT = ("registration.sqlite", "approval.sqlite", "reporting.sqlite", "keys")


def read_models(suite: Suite, proposal_ids: list[str], case_id: str) -> dict[str, Any]:
    """What an official and an auditor read from the three services' read models."""
    headers = proposer_headers()
    with httpx.Client(timeout=30) as client:
        registration = suite["registration"].url
        approval = suite["approval"].url
        reporting = suite["reporting"].url
        mine = client.get(f"{registration}/proposals", headers=headers).json()
        case = client.get(f"{approval}/cases/{case_id}", headers=headers).json()
        histories = {
            pid: [
                e["type"]
                for e in client.get(f"{reporting}/proposals/{pid}/history", headers=headers).json()[
                    "events"
                ]
            ]
            for pid in proposal_ids
        }
        states = client.get(f"{reporting}/stats/states", headers=AUDITOR).json()["counts"]
    return {
        "proposals": sorted((p["id"], p["title"], p["status"]) for p in mine),
        "case": {"id": case["id"], "state": case["state"]},
        "histories": histories,
        "states": states,
    }


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="d73-fixture-") as scratch, native_nats() as nats:
        data = Path(scratch)
        suite = Suite(
            nats_url=nats.url,
            data_dir=data,
            extra_env={"D73_CHECKPOINT_EVERY_SECONDS": "1", "D73_CHECKPOINT_EVERY_EVENTS": "4"},
        )
        try:
            suite.start()
            headers = proposer_headers()
            with httpx.Client(timeout=30) as client:
                first = submit_proposal(client, suite["registration"].url, headers, "Một cửa số")
                second = submit_proposal(client, suite["registration"].url, headers, "Hồ sơ số")
                case = wait_for_case(client, suite["approval"].url, first, headers)
                wait_for_case(client, suite["approval"].url, second, headers)
                journey = CityCaseJourney(
                    client, suite["approval"].url, case["id"], headers, "2026-03-02"
                )
                journey.run(until="allocate-resources")

                def archived() -> bool:
                    r = client.get(
                        f"{suite['reporting'].url}/proposals/{first}/history", headers=headers
                    )
                    return r.status_code == 200 and len(r.json()["events"]) >= 5

                wait_until(archived, timeout=60)
            import time

            time.sleep(3)  # a checkpoint covering the last events (every second)
            expected = read_models(suite, [first, second], case["id"])
        finally:
            suite.stop()
        out.mkdir(parents=True, exist_ok=True)
        for name in KEPT:
            source = data / name
            if source.is_dir():
                shutil.copytree(source, out / name, dirs_exist_ok=True)
            elif source.exists():
                shutil.copy2(source, out / name)
        (out / "expected.json").write_text(
            json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"fixture written to {out}: {sorted(p.name for p in out.iterdir())}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
