"""Registration's background jobs."""

from __future__ import annotations

import logging

from services.registration.application import RegistrationApplication
from shared.platform.jobs import Job, every

READ_MODEL_REFRESH_SECONDS = 5.0

log = logging.getLogger("d73.registration")


def follow_read_models(app: RegistrationApplication) -> Job:
    """Keep the proposer's read model warm (after a restart, and after consumed decisions), so
    that queries seldom fold anything themselves; a query catches up anyway if a round failed."""
    return every(
        READ_MODEL_REFRESH_SECONDS, app.summaries.catch_up, log=log, what="read model catch-up"
    )
