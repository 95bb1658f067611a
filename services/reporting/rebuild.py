"""`d73 rebuild reporting`: every read model rebuilt from reporting's own archive only.

Digests are taken before (the saved read models, caught up) and after (rebuilt from position 0);
equal digests show that the incremental read models and a rebuild agree exactly.
"""

from __future__ import annotations

from services.reporting.application import ReportingApplication
from shared.platform.eventstore import store_env
from shared.platform.rebuild import Progress, RebuildReport
from shared.platform.settings import Settings

SERVICE = "reporting"


def rebuild(settings: Settings, progress: Progress) -> RebuildReport:
    app = ReportingApplication(env=store_env(SERVICE, settings), jurisdiction=settings.jurisdiction)
    try:
        app.projections.catch_up()
        before = app.projections.digests()
        app.projections.rebuild(progress)
        after = app.projections.digests()
        events = app.projections.events
    finally:
        app.close()
    return RebuildReport(SERVICE, events, before, after)
