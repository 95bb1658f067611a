"""`d73 rebuild registration`: the proposer's read model, from registration's own store.

"Before" is the persisted model caught up to the end of the log, as the running service would
have it; "after" is the same model dropped and folded again from position 0. Equal digests show
that the rows depend on the log alone. Run it with the service stopped.
"""

from __future__ import annotations

from services.registration.application import RegistrationApplication
from services.registration.main import SERVICE, create_application
from services.registration.read_models import ProposalSummaries
from shared.platform.rebuild import (
    Progress,
    RebuildReport,
    rebuild_application,
    rebuild_service,
)
from shared.platform.settings import Settings


def read_models(app: RegistrationApplication) -> list[ProposalSummaries]:
    """Every read model of registration (each names its digests)."""
    return [app.summaries]


def rebuild(settings: Settings, progress: Progress) -> RebuildReport:
    return rebuild_service(SERVICE, lambda: create_application(settings), read_models, progress)


def rebuild_read_models(app: RegistrationApplication, progress: Progress) -> RebuildReport:
    return rebuild_application(SERVICE, app, read_models(app), progress)
