"""Configuration of a D73 service, read from environment variables only (pydantic-settings).

Every setting is documented in the README's settings table; `d73 settings` prints the
values in force. Names are prefixed `D73_`. Any setting may instead be read from a file named by
`D73_<NAME>_FILE` (the container convention for secrets: the compose file's generated passwords
reach the services that way); setting both is refused, since which one wins would be a guess.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "D73_"
FILE_SUFFIX = "_FILE"


class SettingsFileError(ValueError):
    """A `D73_<NAME>_FILE` cannot serve: unreadable, or given together with `D73_<NAME>`."""


class FileSettingsSource(PydanticBaseSettingsSource):
    """`D73_<NAME>_FILE=/path`: the setting's value is the file's text, less its final newline."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        variable = f"{ENV_PREFIX}{field_name.upper()}"
        path = os.environ.get(variable + FILE_SUFFIX)
        if not path:
            return None, field_name, False
        if os.environ.get(variable):
            raise SettingsFileError(f"set {variable} or {variable}{FILE_SUFFIX}, not both")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise SettingsFileError(
                f"{variable}{FILE_SUFFIX}: cannot read {path}: {error.strerror}"
            ) from None
        return text.removesuffix("\n").removesuffix("\r"), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            value, key, _ = self.get_field_value(field, name)
            if value is not None:
                values[key] = value
        return values


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class Persistence(StrEnum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"


class Settings(BaseSettings):
    """Settings shared by the three services and the runner."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, FileSettingsSource(settings_cls), file_secret_settings)

    nats_url: str | None = Field(
        None, description="NATS server URL(s), comma separated; default: the embedded server"
    )
    nats_user: str | None = Field(None, description="NATS user name (when the server has accounts)")
    nats_password: str | None = Field(None, description="NATS password")
    data_dir: Path = Field(
        Path("data"), description="Where SQLite files, keys and attachments live"
    )
    persistence: Persistence = Field(Persistence.SQLITE, description="sqlite or postgres")
    postgres_host: str = Field("127.0.0.1", description="PostgreSQL host")
    postgres_port: int = Field(5432, description="PostgreSQL port")
    postgres_user: str = Field("postgres", description="PostgreSQL user")
    postgres_password: str = Field("", description="PostgreSQL password")
    postgres_db_prefix: str = Field("d73_", description="Database name = prefix + service name")
    postgres_pool_size: int = Field(2, description="Connections kept per service")
    postgres_statement_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest a PostgreSQL statement may run (lock waits: 10 s) before it fails",
    )
    jwt_secret: str | None = Field(
        None,
        description=(
            "HS256 key verifying bearer tokens: at least 32 bytes, never a known value "
            "(unset: only in development mode, with the development key)"
        ),
    )
    jwt_public_key_file: Path | None = Field(
        None, description="PEM public key (EdDSA/RS256/ES256) verifying bearer tokens"
    )
    jwt_issuer: str = Field("d73", description="Expected `iss` claim")
    host: str = Field("127.0.0.1", description="HTTP bind address")
    registration_port: int = Field(8101, description="HTTP port of registration")
    approval_port: int = Field(8102, description="HTTP port of approval")
    reporting_port: int = Field(8103, description="HTTP port of reporting")
    portal_port: int = Field(8100, description="HTTP port of the web portal")
    nats_port: int = Field(
        4322, description="Port of the embedded nats-server (`d73 run`); 4222 is often taken"
    )
    nats_monitor_port: int = Field(8322, description="Monitoring port of the embedded nats-server")
    run_ready_seconds: float = Field(
        60.0, gt=0, description="How long `d73 run` waits for each process to answer /readyz"
    )
    stream_replicas: int = Field(
        1, ge=1, le=5, description="Replicas of the JetStream streams a service creates"
    )
    relay_poll_seconds: float = Field(1.0, description="Outbox relay fallback polling interval")
    consumer_max_deliver: int = Field(5, description="Deliveries before a message is dead-lettered")
    consumer_ack_wait_seconds: float = Field(30.0, description="JetStream ack wait")
    consumer_batch_size: int = Field(
        64,
        ge=1,
        le=1000,
        description="Messages a consumer fetches and settles at once, in stream order "
        "(its max_ack_pending)",
    )
    jurisdiction: str = Field("can-tho", description="Rule sets and organisation directory used")
    rule_sets_dir: Path | None = Field(
        None, description="Extra rule-set files (<dir>/<jurisdiction>/<version>.json)"
    )
    directory_dir: Path | None = Field(
        None, description="Extra organisation directories (<dir>/<jurisdiction>/<version>.json)"
    )
    deadline_scan_seconds: float = Field(
        60.0, description="How often approval looks for approaching and breached deadlines"
    )
    attachment_max_bytes: int = Field(
        25 * 2**20, description="Largest attachment registration accepts"
    )
    checkpoint_every_events: int = Field(
        1000, description="A signed audit checkpoint at least every N events"
    )
    checkpoint_every_seconds: float = Field(
        60.0, description="…and at least every T seconds when the log grew"
    )
    heartbeat_seconds: float = Field(
        30.0,
        gt=0,
        description=(
            "How often a service with a log tells the witness, while its log owes a checkpoint, "
            "whether it takes commands and how far its log must reach"
        ),
    )
    witness_stall_grace_seconds: float = Field(
        60.0,
        ge=0,
        description=(
            "The witness says a log stalled when its service takes commands and sends no "
            "checkpoint it owes within its checkpoint interval plus this"
        ),
    )
    signing_key_dir: Path | None = Field(
        None, description="Ed25519 service keys (default <data dir>/keys; made on first run)"
    )
    signing_key: SecretStr | None = Field(
        None,
        description=(
            "The service's Ed25519 signing key (PEM); give it as D73_SIGNING_KEY_FILE (a secret "
            "file, a separate mount or /dev/fd/N) so that it never lies beside the store; its "
            "public half and retired keys stay in the signing key dir"
        ),
    )
    trusted_key_dir: Path | None = Field(
        None,
        description=(
            "Public keys of every service (<service>.*pub.pem) that the reporting witness "
            "trusts; each service writes its own there too (default: the signing key dir)"
        ),
    )
    development: bool = Field(
        False,
        description=(
            "Development mode (`make run` turns it on): accept the development JWT key and "
            "weak secrets, logged at every start and shown on /healthz; never in production"
        ),
    )
    otlp_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP collector traces are exported to (e.g. http://collector:4318); "
        "none: traces stay in the process, their ids in the logs",
    )
    trace_file: Path | None = Field(
        None, description="Also write every finished span to this file, one JSON object a line"
    )
    portal_public_url: str | None = Field(
        None,
        description=(
            "The portal's URL as browsers see it (OIDC redirect, links in notifications); "
            "default host:port"
        ),
    )
    smtp_host: str | None = Field(
        None, description="The mail relay notifications are sent through; unset: no e-mail"
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="The mail relay's port")
    smtp_security: SmtpSecurity = Field(
        SmtpSecurity.STARTTLS,
        description="starttls (upgrade on connect), tls (implicit TLS, port 465) or none",
    )
    smtp_user: str | None = Field(None, description="User name at the mail relay (none: no login)")
    smtp_password: SecretStr | None = Field(
        None, description="Password at the mail relay (or D73_SMTP_PASSWORD_FILE)"
    )
    smtp_from: str = Field("D73 <d73@localhost>", description="The From of notification e-mails")
    smtp_ca_file: Path | None = Field(
        None, description="CA bundle to trust for the relay's certificate (default: the system's)"
    )
    smtp_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest one SMTP exchange may take"
    )
    notify_digest_time: str = Field(
        "07:30",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="When the daily digest goes out, HH:MM in Vietnam time (Asia/Ho_Chi_Minh)",
    )
    notify_max_attempts: int = Field(
        8, ge=1, le=100, description="Tries of one e-mail before it is shown to operators as failed"
    )
    notify_retry_seconds: float = Field(
        30.0, gt=0, description="Wait before the first retry of a failed e-mail; doubles each try"
    )
    notify_poll_seconds: float = Field(
        1.0, gt=0, description="How often the notification outbox looks for e-mails to send"
    )
    log_level: str = Field("INFO", description="Log level")
    log_json: bool = Field(True, description="One JSON object per log line")

    @property
    def nats_servers(self) -> list[str]:
        url = self.nats_url or f"nats://127.0.0.1:{self.nats_port}"
        return [u.strip() for u in url.split(",") if u.strip()]

    @property
    def public_url(self) -> str:
        """The portal's URL as browsers see it: sign-in redirects and the links in e-mails."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return (self.portal_public_url or f"http://{host}:{self.portal_port}").rstrip("/")

    def port_of(self, service: str) -> int:
        ports = {
            "registration": self.registration_port,
            "approval": self.approval_port,
            "reporting": self.reporting_port,
            "portal": self.portal_port,
        }
        return ports[service]

    def secret_problems(self) -> list[str]:
        """Why the secrets in force must not guard real data (empty: none known to be weak).

        Anyone who read the repository knows the development key and `change-me`; a short key
        falls to a brute force. Outside development mode a service refuses to start on any of
        these (issue #11.5).
        """
        problems = []
        if self.jwt_public_key_file is None:
            if not self.jwt_secret:
                problems.append(
                    "D73_JWT_SECRET is not set (nor D73_JWT_PUBLIC_KEY_FILE): tokens would be "
                    "checked with the development key, which anyone can read"
                )
            elif len(self.jwt_secret.encode()) < MIN_JWT_SECRET_BYTES:
                problems.append(f"D73_JWT_SECRET is shorter than {MIN_JWT_SECRET_BYTES} bytes")
        for name in ("jwt_secret", "nats_password", "postgres_password"):
            value = getattr(self, name)
            if value and is_known_secret(value):
                problems.append(
                    f"D73_{name.upper()} is a published value (development key or a placeholder "
                    "such as change-me): generate one, e.g. "
                    "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        return problems

    def require_safe_secrets(self) -> None:
        """Refuse weak secrets unless in development mode (where they are only logged)."""
        problems = self.secret_problems()
        if problems and not self.development:
            raise InsecureSettings(
                "refusing to start with a known or weak secret (set D73_DEVELOPMENT=true only "
                "on a developer's machine): " + "; ".join(problems)
            )

    def hs256_key(self) -> str | None:
        """The HS256 key: the configured one, the development key in development mode, or None."""
        if self.jwt_secret:
            return self.jwt_secret
        return DEV_JWT_SECRET if self.development else None


class InsecureSettings(Exception):
    """A secret in force is known or weak, outside development mode (issue #11.5)."""


MIN_JWT_SECRET_BYTES = 32
"""HS256 keys shorter than the hash (RFC 7518 §3.2) fall to an offline guess."""
DEV_JWT_SECRET = "d73-development-only-secret-change-me-0123456789"
"""Used in development mode when neither D73_JWT_SECRET nor D73_JWT_PUBLIC_KEY_FILE is set."""
PLACEHOLDERS = ("change-me", "changeme", "change_me", "replace-me", "secret", "password")
"""Values from examples and templates that someone will forget to replace."""


def is_known_secret(value: str) -> bool:
    """The development key, or a value that is (or contains) a template placeholder."""
    folded = value.strip().lower()
    return value == DEV_JWT_SECRET or any(
        folded == p or (p.startswith("change") and p in folded) for p in PLACEHOLDERS
    )
