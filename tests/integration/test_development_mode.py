"""Development mode is explicit, logged at every start and shown on /healthz (issue #11.5)."""

from __future__ import annotations

import httpx

from shared.platform.identity import mint_token
from shared.platform.settings import Settings
from tests.support.infra import Suite, auth


def test_development_mode_is_logged_and_shown_and_off_by_default(suite: Suite) -> None:
    suite.extra_env.update(D73_DEVELOPMENT="true", D73_JWT_SECRET="")
    suite.start("registration")
    registration = suite["registration"]
    health = httpx.get(f"{registration.url}/healthz").json()
    assert health["development"] is True
    assert "DEVELOPMENT MODE" in registration.log_tail(200)
    dev_token = mint_token(Settings(development=True), user_id="ct.p0026", roles=["proposer"])
    assert httpx.get(f"{registration.url}/proposals", headers=auth(dev_token)).status_code != 401
    registration.stop()
    suite.extra_env.clear()
    registration.env = suite.env_for("registration", registration.port)
    registration.start()
    assert httpx.get(f"{registration.url}/healthz").json()["development"] is False
    assert httpx.get(f"{registration.url}/proposals", headers=auth(dev_token)).status_code == 401
