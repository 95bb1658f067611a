"""`d73 rebuild approval`: the inbox and open-deadline read models, from approval's own store.

The read models live in memory and are folded from the notification log; "before" is the model
caught up as the running service would have it, "after" the same model reset and replayed from
position 0. Equal digests show the fold depends on the log alone.
"""

from __future__ import annotations

from services.approval.application import ApprovalApplication
from services.approval.main import SERVICE, create_application
from shared.readmodel import CatchUpReadModel
from shared.rebuild import Progress, RebuildReport
from shared.rebuild import rebuild_read_models as shared_rebuild
from shared.settings import Settings


def read_models(app: ApprovalApplication) -> dict[str, CatchUpReadModel]:
    """Every read model of approval, by the name the rebuild report shows."""
    return {"open_deadlines": app.open_deadlines, "case_parties": app.parties}


def rebuild(settings: Settings, progress: Progress) -> RebuildReport:
    app = create_application(settings)
    try:
        return rebuild_read_models(app, progress)
    finally:
        app.close()


def rebuild_read_models(app: ApprovalApplication, progress: Progress) -> RebuildReport:
    total = app.recorder.max_notification_id() or 0
    return shared_rebuild(SERVICE, total, read_models(app), progress)
