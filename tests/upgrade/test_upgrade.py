"""Upgrading a store the previous release wrote (tests/upgrade/fixtures/b0b5819, made by
make_fixture.py with that release's code): `d73 migrate`, `d73 verify`, then the read models of
the three services answer what they answered before, and new commands flow on top."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.records.keeping import LATEST
from tests.support.flows import proposer_headers, submit_proposal, wait_for_case
from tests.support.infra import Suite, native_nats, wait_until
from tests.upgrade.make_fixture import read_models

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "b0b5819"
RULE_SETS = ROOT / "tests" / "data" / "rulesets"
"""The previous release shipped a demo rule set, can-tho 2025.1, that this one keeps only for
tests: its cases name it, so an operator upgrading gives it back through D73_RULE_SETS_DIR."""


@pytest.fixture
def store(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for path in FIXTURE.iterdir():
        if path.is_dir():
            shutil.copytree(path, data / path.name)
        elif path.suffix == ".sqlite":
            shutil.copy2(path, data / path.name)
    for key in (data / "keys").glob("*.pem"):
        key.chmod(0o600 if not key.name.endswith(".pub.pem") else 0o644)
    return data


def d73(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
    clean.update(D73_DATA_DIR=str(data), D73_LOG_JSON="false", **env)
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def recorded_versions(data: Path, service: str) -> list[int]:
    with sqlite3.connect(data / f"{service}.sqlite") as db:
        return [row[0] for row in db.execute("SELECT version FROM d73_schema_version")]


def test_migrate_records_the_schema_version_and_names_what_the_release_lacks(
    store: Path,
) -> None:
    """The store holds cases opened under the withdrawn demo set can-tho 2025.1: migrate
    succeeds and says they are judged by the adopted 2024.1 from now on (and how to keep the
    withdrawn values); a version that was never shipped nor withdrawn stays a failure."""
    served = d73(store, "migrate")
    assert served.returncode == 0, served.stderr
    assert "rule set can-tho 2025.1" in served.stdout
    assert "judged by the adopted version 2024.1" in served.stdout
    assert "D73_RULE_SETS_DIR" in served.stdout
    done = d73(store, "migrate", D73_RULE_SETS_DIR=str(RULE_SETS))
    assert done.returncode == 0, done.stderr
    for service in ("registration", "approval", "reporting"):
        assert recorded_versions(store, service) == list(range(1, LATEST + 1))
        assert f"{service:<12} schema {LATEST} -> {LATEST} (nothing to do)" in done.stdout
    for service in ("registration", "approval"):
        verified = d73(store, "verify", service)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "OK: no problem found" in verified.stdout


def test_a_store_from_a_newer_release_is_refused(store: Path) -> None:
    assert d73(store, "migrate", "registration").returncode == 0
    with sqlite3.connect(store / "registration.sqlite") as db:
        db.execute(
            "INSERT INTO d73_schema_version VALUES (?, 'from the future', '2030-01-01')",
            (LATEST + 1,),
        )
    refused = d73(store, "migrate", "registration")
    assert refused.returncode == 1
    assert f"schema version {LATEST + 1}, newer than this release knows" in refused.stderr


def test_the_upgraded_suite_answers_as_before_and_takes_new_commands(store: Path) -> None:
    expected: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
    with native_nats() as nats:
        suite = Suite(
            nats_url=nats.url, data_dir=store, extra_env={"D73_RULE_SETS_DIR": str(RULE_SETS)}
        )
        try:
            suite.start()  # migrations run as each service starts
            ids = list(expected["histories"])
            found = read_models(suite, ids, expected["case"]["id"])
            # The fixture's cases keep real dates: once today comes near a statutory deadline,
            # approval's deadline job rightly adds a warning the old suite never recorded.
            for history in found["histories"].values():
                history[:] = [t for t in history if t != "d73.case.deadline-approaching.v1"]
            assert json.loads(json.dumps(found, ensure_ascii=False)) == expected
            headers = proposer_headers()
            with httpx.Client(timeout=30) as client:
                new = submit_proposal(client, suite["registration"].url, headers, "Sau nâng cấp")
                wait_for_case(client, suite["approval"].url, new, headers)

                def archived() -> list[str] | None:
                    r = client.get(
                        f"{suite['reporting'].url}/proposals/{new}/history", headers=headers
                    )
                    events = r.json()["events"] if r.status_code == 200 else []
                    return events if len(events) == 2 else None

                wait_until(archived, timeout=30)
        finally:
            suite.stop()
    for service in ("registration", "approval", "reporting"):
        assert recorded_versions(store, service) == list(range(1, LATEST + 1))
    for service in ("registration", "approval"):
        verified = d73(store, "verify", service)
        assert verified.returncode == 0, verified.stdout + verified.stderr


def test_migrate_records_the_version_in_each_postgres_database(
    postgres_ready: None, tmp_path: Path
) -> None:
    import uuid

    import psycopg

    from tests.support.infra import (
        POSTGRES_HOST,
        POSTGRES_PORT,
        POSTGRES_USER,
        drop_postgres_databases,
    )

    prefix = f"d73t_{uuid.uuid4().hex[:8]}_"
    env = {
        "D73_PERSISTENCE": "postgres",
        "D73_POSTGRES_HOST": POSTGRES_HOST,
        "D73_POSTGRES_PORT": str(POSTGRES_PORT),
        "D73_POSTGRES_USER": POSTGRES_USER,
        "D73_POSTGRES_DB_PREFIX": prefix,
    }
    try:
        first = d73(tmp_path, "migrate", **env)
        assert first.returncode == 0, first.stderr
        assert f"registration schema 0 -> {LATEST}" in first.stdout
        again = d73(tmp_path, "migrate", **env)
        assert "nothing to do" in again.stdout
        for service in ("registration", "approval", "reporting"):
            with psycopg.connect(
                host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, dbname=prefix + service
            ) as db:
                rows = db.execute("SELECT version FROM d73_schema_version").fetchall()
                assert [r[0] for r in rows] == list(range(1, LATEST + 1))
                assert db.execute("SELECT to_regclass('audit_checkpoints')").fetchone() != (None,)
                assert db.execute("SELECT to_regclass('audit_log_chunks')").fetchone() != (None,)
    finally:
        drop_postgres_databases(prefix)
