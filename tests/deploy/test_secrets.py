"""`d73 secrets init|show|rotate`, the compose file's one-shot init service, run natively as a
process; and a service, nats-server and the PostgreSQL init script reading what it wrote."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.cli.deployment_secrets import NATS_INCLUDE, SECRET_BYTES, secret_variables
from services.cli.natsconfig import (
    ADMIN_USER,
    AGENCIES_ADMIN_USER,
    SYSTEM_USER,
    EnvVar,
    password_variable,
    render_nats_config,
)
from services.cli.natsserver import NatsServer, free_port
from shared.platform.identity import mint_token
from shared.platform.settings import Settings
from tests.deploy.compose import ROOT
from tests.support.infra import TEST_JWT_SECRET, ServiceProcess, provision

SERVICES = ("registration", "approval", "reporting")


def d73_secrets(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in secret_variables()}
    clean = {k: v for k, v in clean.items() if not k.startswith("D73_")}
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "secrets", *args],
        env={**clean, **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def stored(root: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8").strip() for p in (root / "store").iterdir()}


def test_init_generates_strong_distinct_secrets_readable_only_by_their_owner(
    tmp_path: Path,
) -> None:
    root = tmp_path / "secrets"
    done = d73_secrets("init", "--dir", str(root))
    assert done.returncode == 0, done.stderr
    values = stored(root)
    assert set(values) == set(secret_variables())
    assert len(set(values.values())) == len(values), "every secret its own value"
    for value in values.values():
        assert len(value) >= 43  # 32 random bytes, URL-safe base64
        assert value not in done.stdout, "values never reach the output"
    for path in root.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o400), path
    for service in SERVICES:
        jwt = (root / service / "jwt_secret").read_text(encoding="utf-8")
        assert jwt == values["D73_JWT_SECRET"]
        assert len(jwt.encode()) >= SECRET_BYTES
        nats = (root / service / "nats_password").read_text(encoding="utf-8")
        assert nats == values[f"NATS_{service.upper()}_PASSWORD"]
        assert f'NATS_{service.upper()}_PASSWORD: "{nats}"' in (root / NATS_INCLUDE).read_text()
        role = (root / "postgres" / f"pg_{service}_password").read_text(encoding="utf-8")
        assert role == (root / service / "postgres_password").read_text(encoding="utf-8")


def test_a_second_start_keeps_them_the_environment_overrides_and_rotate_renews(
    tmp_path: Path,
) -> None:
    root = tmp_path / "secrets"
    assert d73_secrets("init", "--dir", str(root)).returncode == 0
    first = stored(root)
    again = d73_secrets("init", "--dir", str(root))
    assert "generated" not in again.stdout
    assert stored(root) == first
    chosen = "operator-chosen-jwt-secret-0123456789abcdef"
    overridden = d73_secrets("init", "--dir", str(root), env={"D73_JWT_SECRET": chosen})
    assert "D73_JWT_SECRET                   from the environment" in overridden.stdout
    assert (root / "approval" / "jwt_secret").read_text() == chosen
    assert d73_secrets("init", "--dir", str(root)).returncode == 0
    assert stored(root)["D73_JWT_SECRET"] == chosen, "the last chosen value stays"
    rotated = d73_secrets("rotate", "PG_APPROVAL_PASSWORD", "--dir", str(root))
    assert rotated.returncode == 0, rotated.stderr
    after = stored(root)
    assert after["PG_APPROVAL_PASSWORD"] != first["PG_APPROVAL_PASSWORD"]
    assert {
        k: v for k, v in after.items() if k not in ("PG_APPROVAL_PASSWORD", "D73_JWT_SECRET")
    } == {k: v for k, v in first.items() if k not in ("PG_APPROVAL_PASSWORD", "D73_JWT_SECRET")}
    assert (root / "approval" / "postgres_password").read_text() == after["PG_APPROVAL_PASSWORD"]
    shown = d73_secrets("show", "PG_APPROVAL_PASSWORD", "--dir", str(root))
    assert shown.stdout.strip() == after["PG_APPROVAL_PASSWORD"]


def test_wrong_names_and_owners_are_refused_with_exit_2(tmp_path: Path) -> None:
    root = tmp_path / "secrets"
    unknown = d73_secrets("show", "NOPE", "--dir", str(root))
    assert unknown.returncode == 2
    assert "unknown secret 'NOPE'" in unknown.stderr
    before = d73_secrets("show", "D73_JWT_SECRET", "--dir", str(root))
    assert before.returncode == 2
    assert "not generated yet" in before.stderr
    owner = d73_secrets("init", "--dir", str(root), "--owner", "postgres=seventy")
    assert owner.returncode == 2
    assert "CONSUMER=UID:GID" in owner.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="handing files to another user needs root")
def test_owners_from_the_environment_get_their_consumers_files(tmp_path: Path) -> None:
    root = tmp_path / "secrets"
    done = d73_secrets(
        "init",
        env={"D73_SECRETS_DIR": str(root), "D73_SECRETS_OWNERS": "postgres=70:70 approval=10001"},
    )
    assert done.returncode == 0, done.stderr
    assert {(p.stat().st_uid, p.stat().st_gid) for p in (root / "postgres").iterdir()} == {(70, 70)}
    assert (root / "approval" / "jwt_secret").stat().st_uid == 10001
    assert (root / "store" / "D73_JWT_SECRET").stat().st_uid == 0


def test_a_service_logs_into_nats_and_checks_tokens_with_the_secrets_in_its_files(
    tmp_path: Path,
) -> None:
    """nats-server includes the generated passwords; registration reads its NATS password and
    JWT key from files (`D73_*_FILE`), as in the containers, and nothing else gives them."""
    root = tmp_path / "secrets"
    assert d73_secrets("init", "--dir", str(root)).returncode == 0
    (tmp_path / "nats").mkdir()
    (tmp_path / "nats" / "secrets").symlink_to(root / "nats")
    config = tmp_path / "nats" / "nats.conf"
    config.write_text(
        render_nats_config(
            users={s: EnvVar(password_variable(s)) for s in SERVICES},
            admin=EnvVar(password_variable(ADMIN_USER)),
            agencies_admin=EnvVar(password_variable(AGENCIES_ADMIN_USER)),
            system=EnvVar(password_variable(SYSTEM_USER)),
            include="secrets/passwords.conf",
        ),
        encoding="utf-8",
    )
    nats = NatsServer(tmp_path / "nats" / "store", free_port(), config_file=config)
    nats.start()
    admin = (root / "store" / password_variable(ADMIN_USER)).read_text(encoding="utf-8").strip()
    # The operator's step (d73 run, d73 streams): a service creates only its own stream.
    provision(f"nats://{ADMIN_USER}:{admin}@127.0.0.1:{nats.port}")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    # The admin provisions the streams (`d73 streams`), with its generated password, from a file.
    provisioned = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "streams"],
        env={
            **env,
            "D73_NATS_URL": nats.url,
            "D73_NATS_USER": ADMIN_USER,
            "D73_NATS_PASSWORD_FILE": str(root / "store" / password_variable(ADMIN_USER)),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if provisioned.returncode != 0:
        nats.stop()
    assert provisioned.returncode == 0, provisioned.stderr
    env.update(
        D73_NATS_URL=nats.url,
        D73_NATS_USER="registration",
        D73_NATS_PASSWORD_FILE=str(root / "registration" / "nats_password"),
        D73_JWT_SECRET_FILE=str(root / "registration" / "jwt_secret"),
        D73_DATA_DIR=str(tmp_path / "data"),
        D73_REGISTRATION_PORT=str(port),
    )
    service = ServiceProcess("registration", env, port, tmp_path / "registration.log")
    try:
        service.start()
        secret = (root / "registration" / "jwt_secret").read_text(encoding="utf-8")
        for key, status in ((secret, 200), (TEST_JWT_SECRET, 401)):
            token = mint_token(Settings(jwt_secret=key), user_id="ct.p0026", roles=["proposer"])
            r = httpx.get(f"{service.url}/proposals", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == status, r.text
    finally:
        service.stop()
        nats.stop()


def test_a_setting_read_from_a_file_cannot_be_given_twice_or_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.platform.settings import SettingsFileError

    secret = tmp_path / "jwt"
    secret.write_text("a-key-from-a-file-0123456789abcdef\n", encoding="utf-8")
    monkeypatch.delenv("D73_JWT_SECRET", raising=False)
    monkeypatch.setenv("D73_JWT_SECRET_FILE", str(secret))
    assert Settings().jwt_secret == "a-key-from-a-file-0123456789abcdef"
    monkeypatch.setenv("D73_JWT_SECRET", "another")
    with pytest.raises(SettingsFileError, match="not both"):
        Settings()
    monkeypatch.setenv("D73_JWT_SECRET_FILE", "")  # emptied: the variable serves alone
    assert Settings().jwt_secret == "another"
    monkeypatch.setenv("D73_JWT_SECRET_FILE", str(secret))
    monkeypatch.delenv("D73_JWT_SECRET")
    monkeypatch.setenv("D73_JWT_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(SettingsFileError, match="cannot read"):
        Settings()
