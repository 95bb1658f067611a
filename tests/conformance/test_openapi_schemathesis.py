"""Each service's OpenAPI document is the truth about its HTTP edge (issue #11 §6): schemathesis
sends generated requests (valid and invalid) to the three services and checks every answer
against the document — no server error, every status and body as documented."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from shared.natsserver import NatsServer
from shared.settings import Settings
from tests.support.infra import TEST_JWT_SECRET, auth, token_for

warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")

pytestmark = pytest.mark.conformance

SERVICES = ("registration", "approval", "reporting")
NOT_SCHEMA_CHECKS = [positive_data_acceptance, ignored_auth]
"""Not about the document: a schema-valid request may still be refused by a rule of the domain
(422: an incomplete plan, a position outside the log), and `ignored_auth` probes with a token
removed, which every operation refuses with the documented 401 anyway."""
EXAMPLES = 15
"""Examples per operation: ~100 operations × 15 keeps the three services near a minute."""


def _app(service: str, folder: Path, nats_url: str) -> FastAPI:
    module = __import__(f"services.{service}.main", fromlist=["create_app"])
    settings = Settings(
        data_dir=folder / service, nats_url=nats_url, jwt_secret=TEST_JWT_SECRET, log_json=False
    )
    app: FastAPI = module.create_app(settings)
    return app


EVERYONE = auth(
    token_for(
        "ct.p0026",
        unit_id="ct.so-tu-phap",
        position="director",
        roles=["proposer", "unit_head", "home_affairs", "auditor", "admin"],
    )
)


@pytest.fixture(params=SERVICES)
def service_app(request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServer) -> FastAPI:
    return _app(request.param, tmp_path, nats_server.url)


def test_every_answer_is_as_documented(service_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service_app)
    failures: list[str] = []
    for operation in schema.get_all_operations():
        if isinstance(operation, Err):
            failures.append(f"an operation the document cannot describe: {operation.err()}")
            continue
        api = operation.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=api.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(headers=EVERYONE, excluded_checks=NOT_SCHEMA_CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{api.method.upper()} {api.path}: {str(error)[:900]}")
    assert not failures, "\n\n".join(failures)
