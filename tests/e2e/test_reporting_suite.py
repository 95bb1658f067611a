"""Reporting behind the real services: proposals submitted and withdrawn through registration,
cases opened by approval, all of it in reporting's statistics, searches, timeline and reports,
the services' signed checkpoints witnessed — and the same digests after reporting's store and
consumers are deleted and it replays JetStream."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime
from typing import Any

import httpx
import nats
import pytest

from shared.kernel.calendar import VIETNAM_TIME
from shared.platform.subjects import APPROVAL_STREAM, AUDIT_STREAM, REGISTRATION_STREAM
from tests.support.flows import proposer_headers, submit_proposal
from tests.support.infra import Suite, auth, token_for, wait_until
from tests.support.samples import AUDITOR_ID

pytestmark = pytest.mark.e2e

AUDITOR = auth(token_for(AUDITOR_ID, roles=["auditor"]))
HOME_AFFAIRS = auth(token_for("ct.p0009", roles=["home_affairs"]))


async def _delete_consumers(url: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for stream in (REGISTRATION_STREAM.name, APPROVAL_STREAM.name, AUDIT_STREAM.name):
        await js.delete_consumer(stream, f"reporting-{stream.lower()}")
    await nc.close()


def test_reporting_follows_the_suite_and_is_rebuilt_from_jetstream(suite: Suite) -> None:
    suite.extra_env["D73_CHECKPOINT_EVERY_EVENTS"] = "1"  # a signed checkpoint per event
    suite.start()
    registration, reporting = suite["registration"].url, suite["reporting"].url
    proposer = proposer_headers()  # the director of Sở Tư pháp: a city-managed leader
    with httpx.Client(timeout=30) as client:
        ids = [submit_proposal(client, registration, proposer, f"Đề xuất số {n}") for n in range(3)]
        withdrawn = client.post(
            f"{registration}/proposals/{ids[2]}/withdraw",
            json={"reason": "Rút để hoàn thiện"},
            headers=proposer,
        )
        assert withdrawn.status_code == 200, withdrawn.text

        def states() -> dict[str, int] | None:
            counts: dict[str, int] = client.get(
                f"{reporting}/stats/states", headers=AUDITOR
            ).json()["counts"]
            settled = counts.get("WITHDRAWN") == 1 and counts.get("IN_INTAKE") == 2
            return counts if settled else None

        assert wait_until(states, timeout=30) == {"IN_INTAKE": 2, "WITHDRAWN": 1}

        timeline = client.get(f"{reporting}/proposals/{ids[0]}/timeline", headers=proposer)
        assert timeline.status_code == 200
        lines = timeline.json()["timeline"]
        assert [line["service"] for line in lines[:2]] == ["registration", "approval"]
        assert lines[0]["legal_basis"].startswith("ND73 Art 7")
        assert lines[1]["state_after"] == "IN_INTAKE"
        assert lines[1]["rule_set_version"]

        own = client.get(f"{reporting}/audit/proposals", headers=proposer).json()
        assert {p["proposal_id"] for p in own["proposals"]} == set(ids)

        year = datetime.now(VIETNAM_TIME).year
        summary = client.get(
            f"{reporting}/reports/city-summary", params={"period": str(year)}, headers=HOME_AFFAIRS
        ).json()
        assert summary["summary"]["submitted"] == 3
        assert summary["summary"]["decisions"]["withdrawn"] == 1
        assert summary["by_level"]["city"]["submitted"] == 3
        assert [a["unit_id"] for a in summary["by_agency"]] == ["ct.so-tu-phap"]
        pdf = client.get(
            f"{reporting}/reports/annual-review/ct.so-tu-phap",
            params={"year": year, "format": "pdf"},
            headers=AUDITOR,
        )
        assert pdf.status_code in (200, 503), pdf.text  # 503: no Vietnamese font installed
        if pdf.status_code == 200:
            assert pdf.content.startswith(b"%PDF")

        def witnessed() -> list[dict[str, Any]] | None:
            r = client.get(f"{reporting}/audit/checkpoints/registration", headers=AUDITOR)
            held: list[dict[str, Any]] = r.json()["checkpoints"] if r.status_code == 200 else []
            return held if held and held[-1]["tree_size"] >= 6 else None

        checkpoints = wait_until(witnessed, timeout=30)  # 3 drafts, 3 submissions, 1 withdrawal
        assert {c["service"] for c in checkpoints} == {"registration"}
        assert checkpoints[0]["verification"]["consistency"] == "first"
        assert {c["verification"]["consistency"] for c in checkpoints[1:]} <= {"verified"}
        assert all(
            [cosignature["witness_id"] for cosignature in c["cosignatures"]] == ["reporting"]
            for c in checkpoints
        ), "reporting cosigns every checkpoint it verified"
        alarms = client.get(f"{reporting}/audit/alarms", headers=AUDITOR).json()
        assert alarms["log_alarms"] == []
        assert not alarms["alarm"]
        before = _projections(client, reporting)

        # An auditor checks registration's whole store against what the witness holds.
        witnessed_file = suite.data_dir / "witnessed-registration.json"
        witnessed_file.write_text(json.dumps({"checkpoints": checkpoints}))
        verified = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.cli.verify",
                "verify",
                "registration",
                "--json",
                "--witnessed",
                str(witnessed_file),
            ],
            env=suite.env_for("registration", 0),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["checkpoints_checked"] >= len(checkpoints)

    suite["reporting"].stop()
    for path in suite.data_dir.glob("reporting.sqlite*"):
        path.unlink()
    asyncio.run(_delete_consumers(suite.nats_url))
    suite.start("reporting")
    with httpx.Client(timeout=30) as client:

        def replayed() -> bool:
            now = _projections(client, reporting)["digests"]
            return _without_witness(now) == _without_witness(before["digests"]) and (
                len(witnessed() or []) >= len(checkpoints)
            )

        wait_until(replayed, timeout=30)
        again = witnessed() or []
        held = [(c["tree_size"], c["root_hash"]) for c in checkpoints]
        assert [(c["tree_size"], c["root_hash"]) for c in again][: len(held)] == held
        alarms = client.get(f"{reporting}/audit/alarms", headers=AUDITOR).json()
        assert alarms["log_alarms"] == [], "the replayed witness follows the same logs"


def _without_witness(digests: dict[str, str]) -> dict[str, str]:
    """The read models' digests; the witness's grows with every time-driven checkpoint."""
    return {name: digest for name, digest in digests.items() if name != "reporting.witness"}


def _projections(client: httpx.Client, reporting: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"{reporting}/audit/projections", headers=AUDITOR).json()
    return body
