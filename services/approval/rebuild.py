"""`d73 rebuild approval`: the inbox and open-deadline read models, from approval's own store.

The read models live in approval's side tables and are folded from the notification log;
"before" is the model caught up as the running service would have it, "after" the same model
reset and replayed from position 0. Equal digests show the fold depends on the log alone.
"""

from __future__ import annotations

from services.approval.application import ApprovalApplication
from services.approval.main import SERVICE, create_application
from shared.platform.readmodel import CatchUpReadModel
from shared.platform.rebuild import (
    Progress,
    RebuildReport,
    rebuild_application,
    rebuild_service,
)
from shared.platform.settings import Settings


def read_models(app: ApprovalApplication) -> list[CatchUpReadModel]:
    """Every read model of approval (each names its digest: open_deadlines, case_parties)."""
    return [app.open_deadlines, app.parties]


def rebuild(settings: Settings, progress: Progress) -> RebuildReport:
    return rebuild_service(SERVICE, lambda: create_application(settings), read_models, progress)


def rebuild_read_models(app: ApprovalApplication, progress: Progress) -> RebuildReport:
    return rebuild_application(SERVICE, app, read_models(app), progress)
