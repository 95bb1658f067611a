"""The records a service keeps beside its store, handed to its runtime by its `main`: the signed
log, the journal and the schema steps (`shared.platform.ports.Records`), so that the platform
runs them without importing them (issue #13 point 4).
"""

from __future__ import annotations

from shared.platform.eventstore import ServiceApplication
from shared.platform.migrations import Migration, MigrationReport, migrate
from shared.platform.settings import Settings
from shared.records.journal import Journal
from shared.records.servicelog.format import FormatTable
from shared.records.servicelog.frontier import ChunkTable
from shared.records.servicelog.log import ServiceLog
from shared.records.servicelog.table import CheckpointTable


def _release_0_1_0(app: ServiceApplication) -> None:
    # Building the application created the event and read-model tables; the checkpoint table is
    # otherwise made when the log opens, which only signing services do.
    CheckpointTable(app.recorder).create()


def _log_format(app: ServiceApplication) -> None:
    # Format 2 unless the log has signed in format 1 already (it then keeps it).
    FormatTable(app.recorder).create()


def _kept_chunks(app: ServiceApplication) -> None:
    # Empty at first: the next start rebuilds the log once and keeps its chunk roots.
    ChunkTable(app.recorder).create()


SCHEMA: tuple[Migration, ...] = (
    Migration(1, "release 0.1.0: event store, read models, audit_checkpoints", _release_0_1_0),
    Migration(
        2, "audit_log_chunks: the log's chunk roots, to restart without a rebuild", _kept_chunks
    ),
    Migration(
        3,
        "audit_log_format: a log begun from now on commits each state as stored",
        _log_format,
    ),
)
"""Every schema step of a service's database, in order. Version 1 is the schema of release
0.1.0 (commit b0b5819): the eventsourcing tables, the service's read-model tables (each created
by its owner when the application is built), and the append-only `audit_checkpoints`."""

LATEST = SCHEMA[-1].version


class ServiceRecords:
    """`shared.platform.ports.Records` over `shared.records`."""

    def log(self, service: str, app: ServiceApplication, settings: Settings) -> ServiceLog:
        return ServiceLog.for_settings(service, app, settings)

    def journal(self, service: str, app: ServiceApplication) -> Journal:
        return Journal(service, app)

    def migrate(self, service: str, app: ServiceApplication) -> MigrationReport:
        return migrate(service, app, SCHEMA)


RECORDS = ServiceRecords()
