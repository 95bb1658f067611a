"""REST basics every service shares: problem+json for every failure, health, AsyncAPI."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from typer.testing import CliRunner

from services.cli.main import cli
from services.cli.natsserver import NatsServer
from tests.support.flows import proposer_headers
from tests.support.infra import Suite, auth, token_for, wait_until
from tests.support.samples import sample_plan

PROBLEM = "application/problem+json"


@pytest.fixture
def registration(suite: Suite) -> str:
    suite.start("registration")
    return suite["registration"].url


def test_missing_or_bad_token_is_401_problem(registration: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}):
        r = httpx.get(f"{registration}/proposals", headers=headers)
        assert r.status_code == 401
        assert r.headers["content-type"] == PROBLEM
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["status"] == 401


def test_invalid_body_is_422_listing_each_field(registration: str) -> None:
    r = httpx.post(
        f"{registration}/proposals",
        json={"plan": "not an object", "submit": "maybe"},
        headers=proposer_headers(),
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    fields = {e["path"] for e in r.json()["errors"]}
    assert fields == {"title", "plan", "submit"}


def test_incomplete_plan_is_422_naming_every_missing_field_and_changes_nothing(
    registration: str,
) -> None:
    headers = proposer_headers()
    plan = sample_plan()
    del plan["feasibility"], plan["expected_effect"]
    r = httpx.post(
        f"{registration}/proposals",
        json={"title": "Thiếu", "plan": plan, "submit": True},
        headers=headers,
    )
    assert r.status_code == 422
    assert {e["path"] for e in r.json()["errors"]} == {"plan.feasibility", "plan.expected_effect"}
    assert httpx.get(f"{registration}/proposals", headers=headers).json() == []


def test_unknown_proposal_is_404_and_someone_elses_is_403(registration: str) -> None:
    headers = proposer_headers()
    r = httpx.get(f"{registration}/proposals/00000000-0000-4000-8000-000000000000", headers=headers)
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    created = httpx.post(
        f"{registration}/proposals", json={"title": "Của tôi"}, headers=headers
    ).json()
    stranger = auth(token_for("ct.p0097", roles=["proposer"]))
    r = httpx.post(f"{registration}/proposals/{created['id']}/submit", headers=stranger)
    assert r.status_code == 403
    assert r.json()["type"] == "/problems/not-allowed"


def test_readyz_reports_nats_loss_as_503_and_recovers(
    registration: str, nats_server: NatsServer
) -> None:
    checks = httpx.get(f"{registration}/readyz").json()["checks"]
    assert checks == {"store": "ok", "nats": "ok", "commands": "ok"}
    nats_server.stop()
    r = wait_until(
        lambda: (lambda x: x if x.status_code == 503 else None)(httpx.get(f"{registration}/readyz"))
    )
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["checks"]["nats"] == "disconnected"
    assert httpx.get(f"{registration}/healthz").status_code == 200
    nats_server.start()
    wait_until(lambda: httpx.get(f"{registration}/readyz").status_code == 200, timeout=30)


def test_openapi_and_asyncapi_are_served(registration: str) -> None:
    docs = httpx.get(f"{registration}/docs")
    assert docs.status_code == 200
    # Offline: every script and style of the page is served by the service itself.
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources
    assert all(s.startswith("/docs/assets/") for s in sources), sources
    for source in sources:
        assert httpx.get(f"{registration}{source}").status_code == 200
    bundle = httpx.get(f"{registration}/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle
    assert httpx.get(f"{registration}/openapi.json").json()["openapi"].startswith("3.1")
    spec = httpx.get(f"{registration}/asyncapi").json()
    assert spec["asyncapi"].startswith("3.")
    channels = spec["channels"]
    assert channels["d73.registration.proposal.submitted"]["address"] == (
        "d73.registration.proposal.submitted"
    )
    schemas = spec["components"]["schemas"]
    assert "necessity" in str(schemas["ProposalSubmitted"]["properties"]["plan"])
    exported = CliRunner().invoke(cli, ["asyncapi", "registration"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout) == spec, "d73 asyncapi and /asyncapi are one document"
