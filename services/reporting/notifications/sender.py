"""The e-mail side: an SMTP relay (host, port, STARTTLS or TLS, login), and the outbox that
sends what the store recorded as pending (issue #16 §2–3).

Each pending e-mail was recorded with its notification before anything is sent; the outbox sends
it, then records `EmailSent` (`RecordEmailSent`, through the store's one handler). A failed try
is recorded (`RecordEmailFailed`) with the time of the next one (back-off doubling from
`D73_NOTIFY_RETRY_SECONDS`, at most an hour apart); after `D73_NOTIFY_MAX_ATTEMPTS` it is
`failed`: counted in `d73_notification_emails_failed`, listed at `GET /notifications/failed` and
by `d73 notifications failed`, and put back by an operator.

What no relay can promise: if the process dies after the relay accepted a message and before
`EmailSent` is stored, the message goes again after the restart. Its `Message-ID` is the
notification's, so the second copy is recognisably the same message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol
from uuid import UUID

from prometheus_client import Counter, Gauge

from services.reporting.commands import RecordEmailFailed, RecordEmailSent
from services.reporting.notifications.domain import Delivery, Notification
from services.reporting.notifications.index import NotificationView
from services.reporting.notifications.store import NotificationsApplication
from shared.kernel.actor import SYSTEM
from shared.platform.jobs import Job, every
from shared.platform.settings import Settings, SmtpSecurity

log = logging.getLogger("d73.notifications.email")

EMAILS = Counter(
    "d73_notification_emails",
    "Notification e-mail tries, by outcome (sent, retry, failed)",
    ["outcome"],
)
FAILED = Gauge(
    "d73_notification_emails_failed",
    "Notification e-mails that failed every try and wait for an operator",
)
PENDING = Gauge("d73_notification_emails_pending", "Notification e-mails in the outbox")

MAX_BACKOFF = timedelta(hours=1)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def message_id(notification_id: UUID) -> str:
    return f"<{notification_id}@d73.notifications>"


def compose(view: NotificationView, notification: Notification, sender: str) -> EmailMessage:
    """The e-mail of one notification: plain text and HTML, in Vietnamese, UTF-8."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = view.email
    message["Subject"] = view.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(view.id)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "vi"
    message.set_content(notification.text)
    message.add_alternative(notification.html, subtype="html")
    return message


class SmtpMailer:
    """Sends through the configured relay, one connection per message (a relay that closes
    idle connections never fails a send)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("no D73_SMTP_HOST")
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.security = settings.smtp_security
        self.user = settings.smtp_user
        self.password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        self.timeout = settings.smtp_timeout_seconds
        self.context = ssl.create_default_context(
            cafile=None if settings.smtp_ca_file is None else str(settings.smtp_ca_file)
        )

    def send(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self.security is SmtpSecurity.TLS:
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self.context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            if self.security is SmtpSecurity.STARTTLS:
                smtp.starttls(context=self.context)
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


class Outbox:
    def __init__(
        self,
        app: NotificationsApplication,
        mailer: Mailer,
        *,
        sender: str,
        max_attempts: int,
        first_retry_seconds: float,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.mailer = mailer
        self.sender = sender
        self.max_attempts = max_attempts
        self.first_retry = timedelta(seconds=first_retry_seconds)
        self.clock = clock or app.clock

    def round(self) -> int:
        """Send every e-mail due now; returns how many went out."""
        sent = 0
        for view in self.app.due_sends(self.clock()):
            sent += self.deliver(view)
        PENDING.set(self.app.count_in_state(Delivery.PENDING))
        FAILED.set(self.app.count_in_state(Delivery.FAILED))
        return sent

    def deliver(self, view: NotificationView) -> bool:
        notification = self.app.notification(view.id)
        if notification.delivery != Delivery.PENDING:
            return False
        attempt = notification.attempts + 1
        try:
            self.mailer.send(compose(view, notification, self.sender))
        except (OSError, smtplib.SMTPException, ValueError) as error:
            self._failed(view.id, attempt, f"{type(error).__name__}: {error}"[:500])
            return False
        sent = RecordEmailSent(view.id, self.clock().isoformat(), message_id(view.id), attempt)
        self.app.handle(sent, SYSTEM)
        EMAILS.labels("sent").inc()
        log.info("notification e-mail sent", extra={"notification": str(view.id)})
        return True

    def _failed(self, notification_id: UUID, attempt: int, error: str) -> None:
        now = self.clock()
        last = attempt >= self.max_attempts
        wait = min(self.first_retry * 2 ** (attempt - 1), MAX_BACKOFF)
        retry_at = None if last else (now + wait).isoformat()
        self.app.handle(
            RecordEmailFailed(notification_id, now.isoformat(), attempt, error, retry_at), SYSTEM
        )
        EMAILS.labels("failed" if last else "retry").inc()
        log.log(
            logging.ERROR if last else logging.WARNING,
            "notification e-mail try %d failed%s: %s",
            attempt,
            " for the last time" if last else f", next at {retry_at}",
            error,
            extra={"notification": str(notification_id)},
        )

    def job(self, every_seconds: float) -> Job:
        """The outbox's background loop: send what is due, then wait, until cancelled; a
        failed round never stops it."""
        return every(every_seconds, self.round, log=log, what="notification outbox round")
