from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from services.reporting.application import ReportingApplication
from services.reporting.queries import ReportQueries
from shared.kernel.directory import load_directory
from shared.platform.eventstore import store_env
from shared.platform.settings import Settings
from tests.support.reporting_data import CAN_THO_2025, Message, arrivals, load, publish


@functools.cache
def can_tho_2025() -> tuple[Message, ...]:
    """The 2025 data set as the two streams hold it (built once per test session)."""
    return tuple(publish(CAN_THO_2025))


def new_app(folder: Path, **options: Any) -> ReportingApplication:
    folder.mkdir(parents=True, exist_ok=True)
    return ReportingApplication(env=store_env("reporting", Settings(data_dir=folder)), **options)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ReportingApplication]:
    reporting = new_app(tmp_path)
    yield reporting
    reporting.close()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportingApplication]:
    """Reporting with the whole 2025 data set archived, as it happened (read-only tests)."""
    reporting = new_app(tmp_path_factory.mktemp("reporting"))
    load(reporting, arrivals(can_tho_2025(), "time"))
    reporting.projections.catch_up()
    yield reporting
    reporting.close()


@pytest.fixture(scope="module")
def queries(loaded: ReportingApplication) -> ReportQueries:
    return ReportQueries(loaded.projections, loaded.working_days, load_directory())


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The service's HTTP edge (no lifespan, so no broker) over the loaded data set."""
    from services.reporting.main import create_app

    folder = tmp_path_factory.mktemp("web")
    service = create_app(Settings(data_dir=folder, jwt_secret=SECRET, log_json=False))
    load(service.state.runtime.app, arrivals(can_tho_2025(), "time"))
    return service


@pytest.fixture(scope="module")
def client(web: FastAPI) -> Any:
    with warnings.catch_warnings():  # starlette would rather have httpx2, which we do not pin
        warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    return TestClient(web)


SECRET = "reporting-unit-tests-secret-0123456789abcdef"


def headers(user_id: str, *roles: str) -> dict[str, str]:
    """A token for a person of the directory, acting with `roles` (which it must give them)."""
    from shared.platform.identity import mint_token

    token = mint_token(Settings(jwt_secret=SECRET), user_id=user_id, roles=roles)
    return {"Authorization": f"Bearer {token}"}
