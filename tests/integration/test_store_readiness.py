"""/readyz says whether the store takes a write (issue #11 §2): a writer holding the events
table, or a store that cannot be written, turns the `store` check to failing within seconds;
and on PostgreSQL every session of the service's database carries statement timeouts."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI

from services.registration.main import create_app
from shared.platform.eventstore import database_name, events_table
from shared.platform.settings import Settings
from tests.support.infra import (
    POSTGRES_HOST,
    POSTGRES_PORT,
    POSTGRES_USER,
    TEST_JWT_SECRET,
    throwaway_postgres,
)

warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")


def _store_check(web: FastAPI) -> str:
    from fastapi.testclient import TestClient

    checks: dict[str, str] = TestClient(web).get("/readyz").json()["checks"]
    return checks["store"]


@pytest.fixture
def sqlite_web(tmp_path: Path) -> Iterator[FastAPI]:
    web = create_app(Settings(data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET, log_json=False))
    try:
        yield web
    finally:
        web.state.runtime.app.close()


def test_sqlite_store_held_by_another_writer_is_not_ready(
    sqlite_web: FastAPI, tmp_path: Path
) -> None:
    assert _store_check(sqlite_web) == "ok"
    other = sqlite3.connect(tmp_path / "registration.sqlite", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # a write lock held, like a stuck writer
        assert _store_check(sqlite_web).startswith("failing")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _store_check(sqlite_web) == "ok"


@pytest.fixture
def pg_settings(postgres_ready: None, tmp_path: Path) -> Iterator[Settings]:
    with throwaway_postgres(
        data_dir=tmp_path,
        postgres_statement_timeout_seconds=7,
        jwt_secret=TEST_JWT_SECRET,
        log_json=False,
    ) as settings:
        yield settings


@pytest.mark.postgres
def test_postgres_events_table_held_is_not_ready_and_sessions_carry_timeouts(
    pg_settings: Settings,
) -> None:
    web = create_app(pg_settings)
    try:
        assert _store_check(web) == "ok"
        table = events_table(web.state.runtime.app).name
        params: dict[str, Any] = {
            "host": POSTGRES_HOST,
            "port": POSTGRES_PORT,
            "user": POSTGRES_USER,
            "dbname": database_name(pg_settings, "registration"),
        }
        with psycopg.connect(**params) as other:
            timeouts = {
                name: other.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
                for name in ("statement_timeout", "lock_timeout")
            }
            assert timeouts == {"statement_timeout": "7s", "lock_timeout": "10s"}
            other.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # a writer holding it
            assert _store_check(web).startswith("failing")
            other.rollback()
        assert _store_check(web) == "ok"
    finally:
        web.state.runtime.app.close()
