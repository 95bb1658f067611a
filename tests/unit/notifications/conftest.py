from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from eventsourcing.persistence import Tracking

from services.approval.application import ApprovalApplication
from services.approval.publishing import to_contract
from services.reporting.notifications.component import Notifications, create_notifications
from services.reporting.workdays import WorkingDays
from shared.contracts.base import IntegrationEvent
from shared.platform.settings import Settings
from tests.support.mailbox import Mailbox, running_mailbox
from tests.unit.approval_service.builders import DIRECTORY, Clock, Upstream, make_app

MONDAY = date(2024, 6, 3)
PORTAL = "https://portal.example"


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def approval(tmp_path: Path, clock: Clock) -> Iterator[ApprovalApplication]:
    app = make_app(tmp_path / "approval", clock)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def upstream() -> Upstream:
    return Upstream()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with running_mailbox() as box:
        yield box


def settings_for(data_dir: Path, mailbox: Mailbox) -> Settings:
    return Settings(
        data_dir=data_dir,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_security="none",
        portal_public_url=PORTAL,
        notify_retry_seconds=60,
        notify_max_attempts=3,
    )


def open_notifications(data_dir: Path, mailbox: Mailbox, clock: Clock) -> Notifications:
    return create_notifications(
        settings_for(data_dir, mailbox), DIRECTORY, WorkingDays("can-tho"), clock=clock
    )


@pytest.fixture
def notifications(tmp_path: Path, mailbox: Mailbox, clock: Clock) -> Iterator[Notifications]:
    component = open_notifications(tmp_path / "notifications", mailbox, clock)
    try:
        yield component
    finally:
        component.close()


@dataclass
class Feed:
    """Approval's stream as the notifier's consumer reads it: each published case event at its
    position, through the consumer's own tracking and duplicate check."""

    approval: ApprovalApplication
    position: int = 0

    def events(self, start: int = 1) -> list[tuple[int, IntegrationEvent]]:
        out: list[tuple[int, IntegrationEvent]] = []
        for stored in self.approval.recorder.select_notifications(start, 10_000):
            contract = to_contract(self.approval.mapper.to_domain_event(stored), stored.id)
            if contract is not None:
                out.append((stored.id, contract))
        return out

    def into(
        self, component: Notifications, *, from_start: bool = False, shift: int = 0
    ) -> list[str]:
        """Hand over what is new (or everything again); returns each outcome."""
        outcomes = []
        for position, event in self.events(1 if from_start else self.position + 1):
            tracking = Tracking("D73_APPROVAL", position + shift)
            outcomes.append(component.consumer._process(component.notifier.handle, event, tracking))
            self.position = max(self.position, position)
        return outcomes


@pytest.fixture
def feed(approval: ApprovalApplication) -> Feed:
    return Feed(approval)
