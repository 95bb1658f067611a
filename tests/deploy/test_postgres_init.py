"""deploy/postgres/10-d73-databases.sh: one database per service, each usable only by its own
role, so a service can never read another's event store (design.md §1)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.support.infra import POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy/postgres/10-d73-databases.sh"
SERVICES = ("registration", "approval", "reporting")

pytestmark = pytest.mark.postgres


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=POSTGRES_HOST,
        port=POSTGRES_PORT,
        user=POSTGRES_USER,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def prefix(postgres_ready: None) -> Iterator[str]:
    prefix = f"d73t_{uuid.uuid4().hex[:8]}_"
    try:
        yield prefix
    finally:
        with _admin() as conn:
            for service in SERVICES:
                name = sql.Identifier(prefix + service)
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(name))


def _run_script(
    prefix: str, passwords: dict[str, str], files: dict[str, Path] | None = None
) -> subprocess.CompletedProcess[str]:
    """The script as the image runs it; `files`: PG_<SERVICE>_PASSWORD_FILE of some services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "D73_"))}
    env.update(
        PGHOST=POSTGRES_HOST,
        PGPORT=str(POSTGRES_PORT),
        POSTGRES_USER=POSTGRES_USER,
        D73_DB_PREFIX=prefix,
        **{f"PG_{s.upper()}_PASSWORD": pw for s, pw in passwords.items()},
        **{f"PG_{s.upper()}_PASSWORD_FILE": str(f) for s, f in (files or {}).items()},
    )
    return subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def _connect(role: str, password: str, dbname: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=role, password=password, dbname=dbname
    )


def test_each_service_owns_its_database_and_cannot_open_another(prefix: str) -> None:
    passwords = {s: f"pw-{s}-'quoted" for s in SERVICES}
    result = _run_script(prefix, passwords)
    assert result.returncode == 0, result.stderr
    for service in SERVICES:
        role = prefix + service
        with _connect(role, passwords[service], role) as conn:
            conn.execute("CREATE TABLE stored_events (id bigint PRIMARY KEY)")
            conn.execute("INSERT INTO stored_events VALUES (1)")
            conn.commit()
    with pytest.raises(psycopg.OperationalError, match="CONNECT"):
        _connect(prefix + "registration", passwords["registration"], prefix + "approval")


def test_a_missing_password_stops_the_first_start(prefix: str) -> None:
    result = _run_script(prefix, {"registration": "pw", "approval": "pw"})
    assert result.returncode != 0
    assert "PG_REPORTING_PASSWORD is not set" in result.stderr
    with _admin() as conn:
        created = conn.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE %s", (prefix + "%",)
        ).fetchone()
    assert created == (0,)


def _scram_matches(stored: str, password: str) -> bool:
    """Whether PostgreSQL's SCRAM-SHA-256 verifier (pg_authid.rolpassword) is of `password`."""
    import base64
    import hashlib
    import hmac

    method, rest = stored.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return hashlib.sha256(client_key).digest() == base64.b64decode(stored_key)


def test_passwords_are_read_from_the_generated_files(prefix: str, tmp_path: Path) -> None:
    """As in docker-compose.yml: PG_<SERVICE>_PASSWORD_FILE names what `d73 secrets init` wrote;
    each role gets exactly that password (checked against PostgreSQL's stored verifier)."""
    from services.cli.deployment_secrets import SecretsDir

    SecretsDir(tmp_path / "secrets").init({})
    files = {s: tmp_path / "secrets" / "postgres" / f"pg_{s}_password" for s in SERVICES}
    result = _run_script(prefix, {}, files)
    assert result.returncode == 0, result.stderr
    with _admin() as conn:
        for service in SERVICES:
            row = conn.execute(
                "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (prefix + service,)
            ).fetchone()
            assert row is not None
            assert _scram_matches(str(row[0]), files[service].read_text(encoding="utf-8"))
            assert not _scram_matches(str(row[0]), "change-me")


def test_a_password_given_both_ways_is_refused(prefix: str, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-a-file", encoding="utf-8")
    passwords = {s: "pw" for s in SERVICES}
    result = _run_script(prefix, passwords, {"registration": secret})
    assert result.returncode != 0
    assert "both PG_REGISTRATION_PASSWORD and PG_REGISTRATION_PASSWORD_FILE" in result.stderr
