"""`d73 rebuild reporting`: every read model rebuilt from reporting's own archive only.

Digests are taken before (the saved read models, caught up) and after (rebuilt from position 0);
equal digests show that the incremental read models and a rebuild agree exactly. The projections
are one fold that writes several tables, so they report a digest per table; the events read are
the archived ones (the store also holds what the witness and the notifier keep).
"""

from __future__ import annotations

from services.reporting.application import ReportingApplication
from services.reporting.read_models import Projections
from shared.platform.eventstore import store_env
from shared.platform.rebuild import Progress, RebuildReport, rebuild_service
from shared.platform.settings import Settings

SERVICE = "reporting"


def read_models(app: ReportingApplication) -> list[Projections]:
    """Every read model of reporting: the projections (statistics, proposals, overdue, dead
    letters, archive), each table with its own digest."""
    return [app.projections]


def archived_events(app: ReportingApplication) -> int:
    """What the report counts: the archived events the projections folded."""
    return app.projections.events


def rebuild(settings: Settings, progress: Progress) -> RebuildReport:
    return rebuild_service(
        SERVICE,
        lambda: ReportingApplication(
            env=store_env(SERVICE, settings), jurisdiction=settings.jurisdiction
        ),
        read_models,
        progress,
        archived_events,
    )
