"""eventsourcing's SQLite connections with a real statement cache.

eventsourcing (9.5) opens each SQLite connection with `cached_statements=True`, which Python's
`sqlite3` reads as a cache of **one** compiled statement: a store that alternates two statements
(insert events, insert tracking; select a record, select its notifications) compiles every SQL
text again on each call. The notification store's path spent ~20 % of its CPU so (793 → 628 µs
a case event with a cache of 128, `bench.notification_store`). The fix is made where the library
calls `sqlite3.connect`, in its own module only; Python's `sqlite3` elsewhere is untouched.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import eventsourcing.sqlite

STATEMENT_CACHE_SIZE = 128
"""Compiled statements kept per connection (Python's own default)."""


class _Sqlite3WithStatementCache:
    """`sqlite3` as eventsourcing.sqlite sees it: the same module, except that `connect` turns
    the flag `cached_statements=True` into a cache size."""

    def __getattr__(self, name: str) -> Any:
        return getattr(sqlite3, name)

    @staticmethod
    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        if kwargs.get("cached_statements") is True:
            kwargs["cached_statements"] = STATEMENT_CACHE_SIZE
        connection: sqlite3.Connection = sqlite3.connect(*args, **kwargs)
        return connection


def install() -> None:
    """Idempotent: eventsourcing's SQLite connections opened from now on keep a real cache."""
    module: Any = eventsourcing.sqlite
    if not isinstance(module.sqlite3, _Sqlite3WithStatementCache):
        module.sqlite3 = _Sqlite3WithStatementCache()
