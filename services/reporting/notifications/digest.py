"""Tóm tắt hằng ngày — each morning, what waits on each person, with working days left.

At `D73_NOTIFY_DIGEST_TIME` (Vietnam time) each person on whom a case waits, or who chose to
receive some kind of notification as a digest, gets one e-mail: the cases waiting on them with
their due dates and the working days left in each case's calendar, and the notifications of the
day gathered for the digest. A digest's id is the person's and the day's, so a second round, a
restart or a second process finds it and sends nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from services.reporting.commands import NewNotification, RecordDigest
from services.reporting.notifications.domain import Delivery, Notification, digest_source_id
from services.reporting.notifications.kinds import Kind, Mode
from services.reporting.notifications.notifier import Notifier, case_link
from services.reporting.notifications.recipients import CaseParties
from services.reporting.notifications.rules import Audience
from services.reporting.notifications.texts import Letter, day_vi
from shared.contracts.vocabulary import CaseState
from shared.kernel.actor import SYSTEM
from shared.kernel.calendar import VIETNAM_TIME, local_date
from shared.platform.jobs import Job, every

log = logging.getLogger("d73.notifications.digest")

STEP_VI = {
    CaseState.IN_INTAKE.value: "tiếp nhận, kiểm tra hồ sơ",
    CaseState.NEEDS_SUPPLEMENT.value: "bổ sung hồ sơ",
    CaseState.UNDER_REVIEW.value: "xem xét, phê duyệt kế hoạch",
    CaseState.IN_CONSULTATION.value: "lấy ý kiến",
    CaseState.COMPLETION_REPORTED.value: "đánh giá kết quả thực hiện",
    CaseState.EVALUATED.value: "ban hành kết luận đánh giá",
}


@dataclass(frozen=True)
class WaitingItem:
    title: str
    state: str
    due: date | None
    days_left: int | None
    link: str

    def line(self) -> str:
        step = STEP_VI.get(self.state, self.state)
        if self.due is None:
            return f"- «{self.title}»: {step}."
        left = (
            ""
            if self.days_left is None
            else (
                f", đã quá {-self.days_left} ngày làm việc"
                if self.days_left < 0
                else f", còn {self.days_left} ngày làm việc"
            )
        )
        return f"- «{self.title}»: {step} — hạn {day_vi(self.due)}{left}."


def parse_time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes), tzinfo=VIETNAM_TIME)


class DailyDigest:
    def __init__(
        self, notifier: Notifier, *, at: time, clock: Callable[[], datetime] | None = None
    ) -> None:
        """The digest tells the notifier's people through its channels, in its store."""
        self.notifier = notifier
        self.app = notifier.app
        self.at = at
        self.clock = clock or self.app.clock

    def waiting_by_person(self, today: date) -> dict[str, list[WaitingItem]]:
        found: dict[str, list[WaitingItem]] = {}
        for case in self.app.waiting_cases():
            waiting = case.waiting
            if waiting is None or waiting.get("audience") is None:
                continue
            audience = Audience(str(waiting["audience"]))
            parties = CaseParties(**case.parties)
            due = None if waiting.get("due") is None else date.fromisoformat(str(waiting["due"]))
            left = (
                None if due is None else self.notifier.days_left(case.rule_set_version, today, due)
            )
            link = case_link(
                self.notifier.channels.portal_url, audience, case.case_id, case.proposal_id
            )
            item = WaitingItem(case.title, str(waiting["state"]), due, left, link)
            for person_id in self.notifier.recipients.waiting(audience, parties, today):
                found.setdefault(person_id, []).append(item)
        for items in found.values():
            items.sort(key=lambda i: (i.due or date.max, i.title))
        return found

    def round(self) -> int:
        """Record today's digests once the hour has come; returns how many were recorded."""
        now = self.clock()
        if not self.notifier.channels.email or now.astimezone(VIETNAM_TIME).timetz() < self.at:
            return 0
        today = local_date(now)
        waiting = self.waiting_by_person(today)
        gathered: dict[str, list[Notification]] = {}
        for view in self.app.in_state(Delivery.DIGEST):
            gathered.setdefault(view.person_id, []).append(self.app.notification(view.id))
        recorded = 0
        for person_id in sorted(set(waiting) | set(gathered)):
            if self.app.mode_of(person_id, Kind.DIGEST) is Mode.OFF:
                continue
            source = digest_source_id(person_id, today.isoformat())
            if self.app.exists(Notification.create_id(source, person_id)):
                continue  # made by an earlier round today: nothing to write
            person = self.notifier.recipients.person(person_id, today)
            if not person.email:
                continue
            included = gathered.get(person_id, [])
            letter = self._letter(today, waiting.get(person_id, []), included)
            digest = NewNotification(
                source_id=source,
                person_id=person_id,
                kind=Kind.DIGEST.value,
                case_id="",
                proposal_id="",
                event_type="",
                happened_at=now.isoformat(),
                subject=letter.subject,
                text=letter.text(person.name),
                html=letter.html(person.name),
                link=letter.link,
                email=person.email,
                delivery=Delivery.PENDING,
                note="",
            )
            command = RecordDigest(digest, tuple(n.id for n in included))
            if self.app.handle(command, SYSTEM):
                recorded += 1
        return recorded

    def _letter(
        self, today: date, waiting: list[WaitingItem], gathered: list[Notification]
    ) -> Letter:
        lines: list[str] = []
        if waiting:
            lines.append(f"Các hồ sơ đang chờ ông/bà xử lý ({len(waiting)}):")
            lines += [item.line() for item in waiting]
        if gathered:
            lines.append(f"Thông báo mới ({len(gathered)}):")
            lines += [f"- {n.subject.removeprefix('[D73] ')}" for n in gathered]
        return Letter(
            subject=f"[D73] Tóm tắt ngày {day_vi(today)}: {len(waiting)} hồ sơ đang chờ",
            lines=tuple(lines),
            link=f"{self.notifier.channels.portal_url.rstrip('/')}/notifications",
        )

    def job(self, every_seconds: float = 60.0) -> Job:
        """The digest's background loop: a round every minute (it sends once a day, after
        `at`), a failed round never stops it."""
        return every(every_seconds, self.round, log=log, what="daily digest round")
