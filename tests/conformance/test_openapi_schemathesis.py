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

from services.cli.natsserver import NatsServer
from shared.platform.settings import Settings
from tests.support.infra import TEST_JWT_SECRET, auth, token_for
from tests.support.samples import AUDITOR_ID

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


OFFICIAL = auth(token_for("ct.p0008"))
"""Giám đốc Sở Nội vụ, with every role the directory gives him (proposer, unit_head,
home_affairs): a token that passes the role checks of registration's and approval's commands."""
AUDITOR = auth(token_for(AUDITOR_ID))
"""An auditor of the directory: reporting's queries and every service's audit log."""


def headers_for(service: str, path: str) -> dict[str, str]:
    """No one person holds every role any more (issue #11 §4): the reader's token for what
    auditors read, the official's for the rest."""
    return AUDITOR if service == "reporting" or path.startswith("/audit") else OFFICIAL


@pytest.mark.parametrize("service", SERVICES)
def test_every_answer_is_as_documented(
    service: str, tmp_path: Path, nats_server: NatsServer
) -> None:
    service_app = _app(service, tmp_path, nats_server.url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", service_app)
    failures: list[str] = []
    for operation in schema.get_all_operations():
        if isinstance(operation, Err):
            failures.append(f"an operation the document cannot describe: {operation.err()}")
            continue
        api = operation.ok()
        try:
            _exercise(api, headers_for(service, api.path))
        except (Exception, BaseExceptionGroup) as error:
            failures.append(f"{api.method.upper()} {api.path}: {str(error)[:900]}")
    assert not failures, "\n\n".join(failures)


def _exercise(api: Any, headers: dict[str, str]) -> None:
    """Generated requests to one operation, each answer checked against the document."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=api.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=NOT_SCHEMA_CHECKS)

    run()
