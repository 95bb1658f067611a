from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli.natsserver import NatsServer
from tests.support.infra import (
    Suite,
    docker_available,
    drop_postgres_databases,
    native_nats,
    nats_container_url,
    postgres_unavailable_reason,
)


@pytest.fixture
def anyio_backend() -> str:
    """`@pytest.mark.anyio` tests run on asyncio (nats-py's loop)."""
    return "asyncio"


@pytest.fixture
def nats_server() -> Iterator[NatsServer]:
    """A real nats-server with JetStream on a free port and a temporary store (restartable)."""
    with native_nats() as server:
        yield server


@pytest.fixture
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture(scope="session")
def container_nats_url() -> Iterator[str]:
    if not docker_available():
        pytest.skip("no Docker engine here; the native nats-server binary serves these tests")
    with nats_container_url() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_ready() -> None:
    reason = postgres_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("D73_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here (D73_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(reason)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every end-to-end test on the suite runs on both stores (issue 7: the e2e suite on
    PostgreSQL in CI); the NATS permission model is always on (see `native_nats`)."""
    if "suite" in metafunc.fixturenames and metafunc.definition.get_closest_marker("e2e"):
        metafunc.parametrize("store", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def store(request: pytest.FixtureRequest) -> str:
    persistence: str = getattr(request, "param", "sqlite")
    if persistence == "postgres":
        request.getfixturevalue("postgres_ready")
    return persistence


@pytest.fixture
def suite(store: str, nats_server: NatsServer, tmp_path: Path) -> Iterator[Suite]:
    s = Suite(nats_url=nats_server.url, data_dir=tmp_path, persistence=store)
    try:
        yield s
    finally:
        s.stop()
        if store == "postgres":
            drop_postgres_databases(s.db_prefix)


@pytest.fixture
def pg_suite(postgres_ready: None, nats_server: NatsServer, tmp_path: Path) -> Iterator[Suite]:
    s = Suite(nats_url=nats_server.url, data_dir=tmp_path, persistence="postgres")
    try:
        yield s
    finally:
        s.stop()
        drop_postgres_databases(s.db_prefix)
