"""`d73 rebuild registration`: the proposer's read model, from registration's own store.

"Before" is the persisted model caught up to the end of the log, as the running service would
have it; "after" is the same model dropped and folded again from position 0. Equal digests show
that the rows depend on the log alone. Run it with the service stopped.
"""

from __future__ import annotations

from services.registration.application import RegistrationApplication
from services.registration.main import SERVICE, create_application
from services.registration.views import ProposalSummaries
from shared.rebuild import Progress, RebuildReport
from shared.rebuild import rebuild_read_models as shared_rebuild
from shared.settings import Settings


def read_models(app: RegistrationApplication) -> dict[str, ProposalSummaries]:
    """Every read model of registration, by the name the rebuild report shows."""
    return {app.summaries.name: app.summaries}


def rebuild(settings: Settings, progress: Progress) -> RebuildReport:
    app = create_application(settings)
    try:
        return rebuild_read_models(app, progress)
    finally:
        app.close()


def rebuild_read_models(app: RegistrationApplication, progress: Progress) -> RebuildReport:
    total = app.recorder.max_notification_id() or 0
    return shared_rebuild(SERVICE, total, read_models(app), progress)
