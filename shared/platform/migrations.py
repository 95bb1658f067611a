"""Schema versions of a service's database: `d73 migrate`, and the same steps at every start.

Each service records, in its own database beside its events, which schema steps it applied
(`d73_schema_version`: one row per step, with when). A release that changes a table adds a step
to `shared.records.keeping.SCHEMA` (so far every step creates one of the signed log's side
tables, so the records list the steps and the platform applies them); the service applies the
steps it lacks when it starts, and `d73 migrate <service>` applies them with the service stopped
and says what it did. A store whose recorded version is newer than the code (a downgrade) is
refused: old code would misread tables it does not know.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.platform.dialect import dialect_of
from shared.platform.eventstore import ServiceApplication

log = logging.getLogger("d73.migrations")

TABLE = "d73_schema_version"


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    apply: Callable[[ServiceApplication], None]


class SchemaTooNew(RuntimeError):
    """The store was written by a newer release than the code reading it."""


@dataclass
class MigrationReport:
    service: str
    before: int
    after: int
    applied: list[str] = field(default_factory=list)


class _VersionTable:
    def __init__(self, app: ServiceApplication) -> None:
        recorder: Any = app.recorder
        self._datastore = recorder.datastore
        dialect = dialect_of(self._datastore)
        self._table, self._mark = dialect.table(TABLE), dialect.mark
        self._create = (
            f"CREATE TABLE IF NOT EXISTS {self._table} (version {dialect.integer} PRIMARY KEY, "
            "summary TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )

    def current(self) -> int:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(self._create)
            cursor.execute(f"SELECT max(version) AS version FROM {self._table}")
            row = cursor.fetchone()
        return int(row["version"] or 0) if row else 0

    def record(self, migration: Migration) -> None:
        mark = self._mark
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"INSERT INTO {self._table} (version, summary, applied_at) "
                f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT (version) DO NOTHING",
                (migration.version, migration.summary, datetime.now(UTC).isoformat()),
            )


def schema_version(app: ServiceApplication) -> int:
    """The last step recorded in the service's database (0: none yet, a store before 0.1.0's
    recording began)."""
    return _VersionTable(app).current()


def migrate(service: str, app: ServiceApplication, steps: Sequence[Migration]) -> MigrationReport:
    """Apply, in order, every step the store has not recorded; refuse a store from a newer
    release. Each step is idempotent, so one interrupted half-way is simply applied again."""
    table = _VersionTable(app)
    before = table.current()
    latest = steps[-1].version if steps else 0
    if before > latest:
        raise SchemaTooNew(
            f"the {service} store has schema version {before}, newer than this release knows "
            f"({latest}): run the release that wrote it, or a newer one"
        )
    report = MigrationReport(service, before, before)
    for migration in steps:
        if migration.version > before:
            migration.apply(app)
            table.record(migration)
            report.after = migration.version
            report.applied.append(f"{migration.version}: {migration.summary}")
            log.info("%s schema: applied %d (%s)", service, migration.version, migration.summary)
    return report
