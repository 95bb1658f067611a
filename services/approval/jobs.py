"""Theo dõi thời hạn — the background job that notes approaching and breached deadlines.

Each round asks the `OpenDeadlines` read model which cases have a reminder or a breach due
today, loads only those, and lets each record its notices once (the domain refuses to record
the same notice twice). Time comes from the application's clock, so tests move it by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from eventsourcing.persistence import IntegrityError

from services.approval.application import ApprovalApplication, CaseNotFound, DeadlineNotice
from services.approval.domain.errors import DomainError
from shared.kernel.calendar import local_date
from shared.platform.jobs import every
from shared.platform.metrics import DEADLINE_BREACHES

log = logging.getLogger("d73.approval.deadlines")


@dataclass
class ScanReport:
    cases_loaded: int = 0
    notices: list[DeadlineNotice] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class DeadlineScheduler:
    def __init__(self, app: ApprovalApplication, every_seconds: float) -> None:
        self.app = app
        self.every_seconds = every_seconds

    def scan(self) -> ScanReport:
        """One round: every case with something due today, most urgent first."""
        today = local_date(self.app.clock())
        report = ScanReport()
        for case_id in self.app.open_deadlines.needing_notice(today):
            report.cases_loaded += 1
            try:
                # One writer with the consumers, so an upstream event never races this round.
                with self.app.consumer_lock:
                    notices = self.app.attend_to_deadlines(case_id)
            except (DomainError, CaseNotFound, IntegrityError) as error:
                # A command on the same case raced us, or the case refused: next round retries.
                report.failures.append(f"{case_id}: {type(error).__name__}: {error}")
                log.warning("deadline round skipped case %s: %s", case_id, error)
                continue
            for notice in notices:
                if notice.kind == "breached":
                    DEADLINE_BREACHES.labels("approval", notice.deadline.value).inc()
                log.info(
                    "deadline %s %s",
                    notice.deadline.value,
                    notice.kind,
                    extra={"case_id": str(notice.case_id), "escalated_to": notice.escalated_to},
                )
            report.notices.extend(notices)
        return report

    async def run(self) -> None:
        """Scan, then wait `every_seconds`, until cancelled; a failed round never stops it."""
        # A trace per round: its log lines, and the breaches it records, share one id.
        round_ = every(
            self.every_seconds, self.scan, log=log, what="deadline round", span="deadline round"
        )
        await round_()
