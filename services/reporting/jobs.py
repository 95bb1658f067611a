"""Reporting's background jobs."""

from __future__ import annotations

import logging

from services.reporting.application import ReportingApplication, WitnessKeys
from shared.platform.jobs import Job, every, once

FOLLOW_SECONDS = 0.5

log = logging.getLogger("d73.reporting")


def follow_archive(app: ReportingApplication) -> Job:
    """Keeps the read models caught up with the archive and saved now and then; saves on stop."""

    def step() -> None:
        app.projections.catch_up()
        app.projections.maybe_checkpoint()

    # the store may be unreachable for a while
    return every(
        FOLLOW_SECONDS,
        step,
        log=log,
        what="read models' catch-up",
        on_stop=app.projections.checkpoint,
    )


def load_witness_key(keys: WitnessKeys) -> Job:
    """Loads reporting's cosigning key as the service starts (made and announced on a first
    run), before the first checkpoint needs it."""
    return once(lambda: keys.own)
