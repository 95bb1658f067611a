"""eventsourcing asks sqlite3 for `cached_statements=True`, a cache of one statement; every
service store's connections get a real cache instead (shared/platform/sqlitecache.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.sqlite import SQLiteDatastore

import shared.platform.eventstore  # noqa: F401  (installs the cache, as every service does)


def test_a_store_connection_keeps_more_than_one_compiled_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[Any] = []
    connect = sqlite3.connect

    def spy(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        asked.append(kwargs.get("cached_statements"))
        connection: sqlite3.Connection = connect(*args, **kwargs)
        return connection

    monkeypatch.setattr(sqlite3, "connect", spy)
    datastore = SQLiteDatastore(str(tmp_path / "store.sqlite"))
    with datastore.transaction(commit=True) as cursor:
        cursor.execute("SELECT 1")
    assert asked, "eventsourcing opened no connection through sqlite3.connect"
    size = asked[0]
    assert type(size) is int, f"a flag, not a size: {size!r}"  # True would be a cache of one
    assert size > 1
