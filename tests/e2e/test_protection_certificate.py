"""Giấy chứng nhận bảo vệ end to end: a case driven to its protection determination through the
running services (real nats-server, SQLite and PostgreSQL), its certificate downloaded as JSON
and PDF, then — the services stopped — verified offline by `d73 verify-certificate` with the
approval service's public key file, and with what reporting witnessed and cosigned; a tampered
copy fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.flows import (
    AUDITOR,
    CHAIRMAN,
    CityCaseJourney,
    proposer_headers,
    submit_proposal,
    wait_for_case,
)
from tests.support.infra import Suite, auth, token_for, wait_until

pytestmark = pytest.mark.e2e

STRANGER = auth(token_for("ct.p0097", roles=["proposer"]))


def verify_offline(*args: str) -> subprocess.CompletedProcess[str]:
    """`d73 verify-certificate` as an auditor runs it: its own process, no D73 settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "verify-certificate", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_certificate_verifies_after_the_services_are_gone(suite: Suite, tmp_path: Path) -> None:
    suite.start("registration", "approval", "reporting")
    registration, approval = suite["registration"].url, suite["approval"].url
    director = proposer_headers()
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, registration, director, "Số hóa hồ sơ tư pháp")
        case_id = wait_for_case(client, approval, proposal_id, director)["id"]
        certificate_url = f"{approval}/cases/{case_id}/protection-certificate"

        unknown = client.get(f"{approval}/cases/{uuid4()}/protection-certificate", headers=AUDITOR)
        assert unknown.status_code == 404

        journey = CityCaseJourney(client, approval, case_id, director, today)
        journey.run(until="determine-protection")
        early = client.get(certificate_url, headers=director)
        assert early.status_code == 409, early.text
        assert early.json()["type"] == "/problems/no-protection-determination"

        journey.run(since="determine-protection")
        assert client.get(certificate_url, headers=STRANGER).status_code == 403

        r = client.get(certificate_url, headers=director)
        assert r.status_code == 200, r.text
        assert r.headers["content-disposition"].startswith("attachment")
        document: dict[str, Any] = r.json()
        code = document["verification_code"]
        assert document["official"]["user_id"] == "ct.p0026"
        assert document["determination"]["tier"] == "NO_LIABILITY"

        pdf = client.get(f"{certificate_url}.pdf", headers=AUDITOR)
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert code.encode() in pdf.content

        # The witness holds the certificate's checkpoint and cosigned it.
        size = document["checkpoint"]["tree_size"]

        def witnessed() -> dict[str, Any] | None:
            r = client.get(f"{suite['reporting'].url}/audit/checkpoints/approval", headers=AUDITOR)
            held: dict[str, Any] = r.json() if r.status_code == 200 else {}
            sizes = {c["tree_size"]: c for c in held.get("checkpoints", [])}
            return held if sizes.get(size, {}).get("cosignatures") else None

        held = wait_until(witnessed, timeout=30)

    suite.stop()
    assert all(s.proc is not None and s.proc.poll() is not None for s in suite.services.values())

    auditor = tmp_path / "auditor"
    auditor.mkdir()
    public_key = auditor / "approval.ed25519.pub.pem"
    shutil.copy(suite.data_dir / "keys" / "approval.ed25519.pub.pem", public_key)
    witness_key = auditor / "reporting.ed25519.pub.pem"
    shutil.copy(suite.data_dir / "keys" / "reporting.ed25519.pub.pem", witness_key)
    checkpoints = auditor / "witnessed-approval.json"
    checkpoints.write_text(json.dumps(held), encoding="utf-8")
    certificate = auditor / "certificate.json"
    certificate.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    (auditor / "certificate.pdf").write_bytes(pdf.content)

    valid = verify_offline(str(certificate), "--public-key", str(public_key), "--code", code)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "OK: no problem found" in valid.stdout
    cosigned = verify_offline(
        str(certificate),
        "--public-key",
        str(public_key),
        "--witnessed",
        str(checkpoints),
        "--witness-key",
        str(witness_key),
        "--json",
    )
    assert cosigned.returncode == 0, cosigned.stdout + cosigned.stderr
    assert any("cosigned by reporting" in n for n in json.loads(cosigned.stdout)["notes"])

    forged = {**document, "determination": {**document["determination"], "tier": "NONE"}}
    tampered = auditor / "tampered.json"
    tampered.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    invalid = verify_offline(str(tampered), "--public-key", str(public_key), "--json")
    assert invalid.returncode == 1, invalid.stdout + invalid.stderr
    codes = {problem["code"] for problem in json.loads(invalid.stdout)["problems"]}
    assert {"determination_mismatch", "certificate_signature_invalid"} <= codes


def test_an_implementers_own_record_is_downloaded_and_verifies_offline(
    suite: Suite, tmp_path: Path
) -> None:
    """Điều 11, "cán bộ đề xuất, thực hiện": an implementer within Art 2 named in the approval
    gets their own determination, and downloads their own record (JSON and PDF) with
    `official_id`; it names them, and `d73 verify-certificate` accepts it offline."""
    suite.start("registration", "approval")
    registration, approval = suite["registration"].url, suite["approval"].url
    director = proposer_headers()
    implementer = auth(token_for("ct.p0027", roles=["proposer"]))  # Sở Tư pháp's deputy
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    with httpx.Client(timeout=30) as client:
        proposal_id = submit_proposal(client, registration, director, "Số hóa sổ hộ tịch")
        case_id = wait_for_case(client, approval, proposal_id, director)["id"]
        journey = CityCaseJourney(client, approval, case_id, director, today)
        journey.run(until="hold-approval-meeting")
        journey.meeting(
            "hold-approval-meeting", "BB-UBND-01", implementer_ids=["ct.p0026", "ct.p0027"]
        )
        journey.run(since="allocate-resources")
        case = journey.command(
            CHAIRMAN,
            "determine-protection",
            {
                "art5_conditions_met": True,
                "implemented_as_decided": True,
                "directions_followed": True,
                "decision_ref": "QD-BV-02",
                "official_id": "ct.p0027",
            },
        )
        assert case["protections"]["ct.p0027"]["tier"] == "NO_LIABILITY"
        url = f"{approval}/cases/{case_id}/protection-certificate"
        r = client.get(url, params={"official_id": "ct.p0027"}, headers=implementer)
        assert r.status_code == 200, r.text
        assert "ctp0027" in r.headers["content-disposition"]
        document: dict[str, Any] = r.json()
        assert document["official"]["user_id"] == "ct.p0027"
        assert document["determination"]["decision_ref"] == "QD-BV-02"
        pdf = client.get(f"{url}.pdf", params={"official_id": "ct.p0027"}, headers=implementer)
        assert pdf.status_code == 200, pdf.text
        assert document["verification_code"].encode() in pdf.content
        nobody = client.get(url, params={"official_id": "ct.p0099"}, headers=AUDITOR)
        assert nobody.status_code == 409
    suite.stop()
    public_key = tmp_path / "approval.ed25519.pub.pem"
    shutil.copy(suite.data_dir / "keys" / "approval.ed25519.pub.pem", public_key)
    certificate = tmp_path / "implementer.json"
    certificate.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    valid = verify_offline(str(certificate), "--public-key", str(public_key))
    assert valid.returncode == 0, valid.stdout + valid.stderr
