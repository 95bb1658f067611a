"""Tampering stops the door (issue #12 §3): a registration whose store was edited behind its back
refuses commands with a Vietnamese 503 problem saying why and what to do, `/readyz` is 503, and
its alarm reaches reporting's `/audit/alarms` — on SQLite and PostgreSQL, real processes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.platform.settings import Persistence, Settings
from tests.support.flows import AUDITOR, proposer_headers, submit_proposal
from tests.support.infra import POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, Suite, wait_until
from tests.support.samples import sample_plan
from tests.unit.records.servicelog.tampering import StoreSurgery

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def store_settings(suite: Suite) -> Settings:
    return Settings(
        data_dir=suite.data_dir,
        persistence=Persistence(suite.persistence),
        postgres_host=POSTGRES_HOST,
        postgres_port=POSTGRES_PORT,
        postgres_user=POSTGRES_USER,
        postgres_db_prefix=suite.db_prefix,
    )


def signed_everything(url: str) -> dict[str, Any] | None:
    head: dict[str, Any] = httpx.get(f"{url}/audit/head").json()
    latest = head["latest_checkpoint"]
    return head if latest and latest["tree_size"] == head["tree_size"] else None


def test_a_tampered_store_refuses_commands_and_raises_an_alarm(suite: Suite) -> None:
    suite.extra_env["D73_CHECKPOINT_EVERY_SECONDS"] = "0.3"
    suite.start("registration", "reporting")
    url = suite["registration"].url
    with httpx.Client(timeout=30) as client:
        submit_proposal(client, url, proposer_headers())
    wait_until(lambda: signed_everything(url), timeout=15)
    suite["registration"].stop()

    surgery = StoreSurgery(store_settings(suite), "registration")
    surgery.edit(surgery.ids()[0], lambda state: state.update(title="Forged #1"))
    suite.start("registration", ready=False)

    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["commands"] == "halted: log-tampered"

    refused = httpx.post(
        f"{url}/proposals",
        json={"title": "Sau khi bị sửa", "plan": sample_plan()},
        headers=proposer_headers(),
    )
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert problem["type"] == "/problems/service-halted/log-tampered"
    assert problem["title"] == "Dịch vụ tạm ngừng nhận lệnh: kho sự kiện đã bị sửa đổi"
    assert "d73 verify" in problem["detail"], "says what to do"
    assert problem["halted"][0]["kind"] == "log-tampered"
    assert httpx.get(f"{url}/proposals", headers=proposer_headers()).status_code == 200

    def halted_alarm() -> dict[str, Any] | None:
        alarms = httpx.get(f"{suite['reporting'].url}/audit/alarms", headers=AUDITOR).json()
        found = [a for a in alarms["log_alarms"] if a["kind"] == "service-halted"]
        return found[0] if alarms["alarm"] and found else None

    alarm = wait_until(halted_alarm, timeout=20)
    assert alarm["service"] == "registration"
    assert alarm["halt"] == "log-tampered"
    assert "signed" in alarm["detail"]
