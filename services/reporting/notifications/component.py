"""Assembles the notifications component inside reporting's process (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.reporting.notifications.consumer import NotifyingConsumer
from services.reporting.notifications.digest import DailyDigest, parse_time
from services.reporting.notifications.notifier import Channels, Notifier
from services.reporting.notifications.recipients import Recipients
from services.reporting.notifications.sender import Mailer, Outbox, SmtpMailer
from services.reporting.notifications.store import STORE, NotificationsApplication, utc_now
from services.reporting.workdays import WorkingDays
from shared.kernel.directory import OrganisationDirectory
from shared.platform.eventstore import database_name, store_env
from shared.platform.jobs import Job
from shared.platform.settings import Persistence, Settings
from shared.platform.skeleton import service_store_env

HOST_SERVICE = "reporting"
"""The service whose process hosts the component (and, on PostgreSQL, whose database)."""


@dataclass
class Notifications:
    app: NotificationsApplication
    notifier: Notifier
    consumer: NotifyingConsumer
    digest: DailyDigest
    outbox: Outbox | None
    jobs: list[Job] = field(default_factory=list)

    def close(self) -> None:
        self.app.close()


def notifications_env(settings: Settings) -> dict[str, str]:
    """The notification store: its own SQLite file beside reporting's, or on PostgreSQL its own
    schema `notifications` in reporting's database (reporting's role owns that database and may
    create a schema in it; it may create no other database)."""
    if settings.persistence is not Persistence.POSTGRES:
        return store_env(STORE, settings)
    import psycopg
    from psycopg import sql

    env = service_store_env(HOST_SERVICE, settings)
    with psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password,
        dbname=database_name(settings, HOST_SERVICE),
        autocommit=True,
        connect_timeout=5,
    ) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(STORE)))
    return {**env, "POSTGRES_SCHEMA": STORE}


def days_left_in(working_days: WorkingDays) -> Callable[[str, date, date], int]:
    def days_left(version: str, today: date, due: date) -> int:
        return working_days.between(version or None, today.isoformat(), due.isoformat())

    return days_left


def create_notifications(
    settings: Settings,
    directory: OrganisationDirectory,
    working_days: WorkingDays,
    *,
    mailer: Mailer | None = None,
    clock: Callable[[], Any] = utc_now,
) -> Notifications:
    app = NotificationsApplication(notifications_env(settings), clock=clock)
    if mailer is None and settings.smtp_host:
        mailer = SmtpMailer(settings)
    channels = Channels(portal_url=settings.public_url, email=mailer is not None)
    recipients = Recipients(directory)
    days_left = days_left_in(working_days)
    notifier = Notifier(app, recipients, channels, days_left)
    consumer = NotifyingConsumer(
        notifier,
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
    )
    digest = DailyDigest(notifier, at=parse_time(settings.notify_digest_time))
    outbox = (
        None
        if mailer is None
        else Outbox(
            app,
            mailer,
            sender=settings.smtp_from,
            max_attempts=settings.notify_max_attempts,
            first_retry_seconds=settings.notify_retry_seconds,
        )
    )
    jobs: list[Job] = [digest.job()]
    if outbox is not None:
        jobs.append(outbox.job(settings.notify_poll_seconds))
    return Notifications(app, notifier, consumer, digest, outbox, jobs)
