"""The real services, each logged in as its own NATS user, under the rendered security model:
the thin vertical (submit → case opened → merged history) works with nothing more than their
permissions, and agencies see the published events (design.md §6)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.natsauth import SERVICE_PASSWORDS, secured_nats_server
from tests.e2e.test_backbone import assert_thin_vertical
from tests.support.infra import Suite

pytestmark = pytest.mark.e2e


@dataclass
class SecuredSuite(Suite):
    """The suite of tests/support, with each service connecting as its own NATS user."""

    def env_for(self, service: str, port: int) -> dict[str, str]:
        env = super().env_for(service, port)
        env.update(D73_NATS_USER=service, D73_NATS_PASSWORD=SERVICE_PASSWORDS[service])
        return env


@pytest.fixture
def secured_suite(tmp_path: Path) -> Iterator[SecuredSuite]:
    with secured_nats_server(tmp_path / "nats") as (server, _):
        suite = SecuredSuite(nats_url=server.url, data_dir=tmp_path)
        try:
            yield suite
        finally:
            suite.stop()


def test_services_run_the_thin_vertical_with_only_their_own_permissions(
    secured_suite: SecuredSuite,
) -> None:
    secured_suite.start()
    assert_thin_vertical(secured_suite)
    for name in ("registration", "approval", "reporting"):
        log = secured_suite[name].log_tail(400).lower()
        assert "permissions violation" not in log, f"{name}:\n{log}"
        assert "authorization violation" not in log, f"{name}:\n{log}"
