"""The portal's settings: where the services are, and no published key guards its sessions."""

from __future__ import annotations

from services.portal.settings import PortalSettings

STRONG = "a-real-key-of-more-than-32-bytes-0123456789"


def test_a_published_session_key_is_refused_like_the_services_keys() -> None:
    safe = PortalSettings(jwt_secret=STRONG, portal_session_secret=STRONG)
    assert safe.secret_problems() == []
    weak = PortalSettings(jwt_secret=STRONG, portal_session_secret="change-me")
    assert any("D73_PORTAL_SESSION_SECRET" in p for p in weak.secret_problems())


def test_the_oidc_client_secret_counts_only_when_a_provider_is_configured() -> None:
    unused = PortalSettings(jwt_secret=STRONG, oidc_client_secret="change-me")
    assert unused.secret_problems() == []
    used = PortalSettings(
        jwt_secret=STRONG, oidc_issuer="https://id.example", oidc_client_secret="change-me"
    )
    assert any("D73_OIDC_CLIENT_SECRET" in p for p in used.secret_problems())


def test_services_are_found_on_their_own_ports_unless_named() -> None:
    settings = PortalSettings(host="0.0.0.0", approval_url="http://approval:8102/")
    assert settings.service_url("registration") == "http://127.0.0.1:8101"
    assert settings.service_url("approval") == "http://approval:8102"
    assert settings.public_url == "http://127.0.0.1:8100"
