"""The portal's settings: where the services are, how people sign in, how sessions are kept."""

from __future__ import annotations

from pydantic import Field

from shared.platform.settings import Settings, is_known_secret


class PortalSettings(Settings):
    """Every D73_* setting, plus the portal's own (D73_PORTAL_*, D73_OIDC_*)."""

    portal_dev_sign_in: bool = Field(
        False,
        description="Offer the development sign-in (pick a person of the directory); "
        "`d73 run` turns it on, never enable it in production",
    )
    portal_session_secret: str | None = Field(
        None, description="Key signing the portal's session cookies (random per start if unset)"
    )
    portal_secure_cookies: bool = Field(
        False, description="Send cookies over HTTPS only (set behind a TLS proxy)"
    )
    portal_session_hours: int = Field(8, ge=1, le=24, description="How long a sign-in lasts")
    registration_url: str | None = Field(None, description="Registration's URL for the portal")
    approval_url: str | None = Field(None, description="Approval's URL for the portal")
    reporting_url: str | None = Field(None, description="Reporting's URL for the portal")
    oidc_issuer: str | None = Field(
        None, description="OpenID Connect issuer URL; sign-in through it when set"
    )
    oidc_client_id: str = Field("d73-portal", description="The portal's OIDC client id")
    oidc_client_secret: str | None = Field(None, description="The portal's OIDC client secret")
    oidc_scope: str = Field("openid profile", description="Scopes asked of the provider")

    def service_url(self, service: str) -> str:
        explicit = {
            "registration": self.registration_url,
            "approval": self.approval_url,
            "reporting": self.reporting_url,
        }[service]
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return (explicit or f"http://{host}:{self.port_of(service)}").rstrip("/")

    def secret_problems(self) -> list[str]:
        """The services' checks, and the portal's own keys (issue #11.5)."""
        problems = super().secret_problems()
        own = {"portal_session_secret": self.portal_session_secret}
        if self.oidc_issuer:
            own["oidc_client_secret"] = self.oidc_client_secret
        for name, value in own.items():
            if value and is_known_secret(value):
                problems.append(f"D73_{name.upper()} is a published value (e.g. change-me)")
        return problems
