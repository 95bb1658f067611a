"""No known secret is ever accepted outside development mode (issue #11.5): the development
key, a key shorter than 32 bytes, or a template value such as `change-me`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shared.platform.identity import TokenError, TokenVerifier, mint_token
from shared.platform.settings import DEV_JWT_SECRET, InsecureSettings, Settings

STRONG = "k3Jq9-VwTz0pXr5Lm2Yb8Nc4Hd7Fs1Ga6Ue0Oi3Pw"


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "not set"),
        ("", "not set"),
        (DEV_JWT_SECRET, "published value"),
        ("change-me", "shorter than 32 bytes"),
        ("change-me-change-me-change-me-change-me", "published value"),
        ("CHANGEME-please-0123456789abcdefghijklmn", "published value"),
        ("x" * 31, "shorter than 32 bytes"),
    ],
)
def test_a_known_or_short_key_stops_a_service_outside_development(
    secret: str | None, reason: str
) -> None:
    settings = Settings(jwt_secret=secret)
    with pytest.raises(InsecureSettings, match=reason):
        settings.require_safe_secrets()


def test_a_strong_key_or_a_public_key_file_is_accepted(tmp_path: Path) -> None:
    Settings(jwt_secret=STRONG).require_safe_secrets()
    Settings(jwt_secret="é" * 16).require_safe_secrets()  # 32 bytes in UTF-8
    pem = tmp_path / "key.pub.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\n")
    Settings(jwt_public_key_file=pem).require_safe_secrets()


@pytest.mark.parametrize("field", ["nats_password", "postgres_password"])
def test_placeholder_passwords_are_refused_too(field: str) -> None:
    settings = Settings.model_validate({"jwt_secret": STRONG, field: "change-me"})
    with pytest.raises(InsecureSettings, match=f"D73_{field.upper()}"):
        settings.require_safe_secrets()


def test_development_mode_accepts_the_development_key_and_says_why() -> None:
    settings = Settings(development=True)
    settings.require_safe_secrets()
    assert settings.hs256_key() == DEV_JWT_SECRET
    assert any("not set" in p for p in settings.secret_problems())
    token = mint_token(settings, user_id="ct.p0026", roles=[])
    assert TokenVerifier(settings).verify(token).user_id == "ct.p0026"


def test_without_a_key_no_token_is_minted_or_believed() -> None:
    settings = Settings()
    assert settings.hs256_key() is None
    with pytest.raises(TokenError, match="D73_JWT_SECRET"):
        mint_token(settings, user_id="ct.p0026", roles=[])
    forged = mint_token(Settings(development=True), user_id="ct.p0026", roles=[])
    with pytest.raises(TokenError):
        TokenVerifier(settings).verify(forged)


def test_the_development_key_is_refused_by_a_production_service() -> None:
    forged = mint_token(Settings(development=True), user_id="ct.p0026", roles=[])
    with pytest.raises(TokenError):
        TokenVerifier(Settings(jwt_secret=STRONG)).verify(forged)


def test_d73_serve_refuses_to_start_with_change_me(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    env.update(D73_JWT_SECRET="change-me", D73_DATA_DIR=str(tmp_path), D73_LOG_JSON="false")
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "serve", "registration"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to start" in done.stderr
    assert "D73_JWT_SECRET" in done.stderr


def test_an_app_refuses_to_start_its_lifespan_with_a_weak_key(tmp_path: Path) -> None:
    from services.registration.main import create_app

    app = create_app(Settings(data_dir=tmp_path, jwt_secret="change-me"))
    with pytest.raises(InsecureSettings), TestClient(app):
        pass
