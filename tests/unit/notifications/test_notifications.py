"""Who is told, once, in the portal and by e-mail through a real SMTP server (issue #16)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from services.approval.application import ApprovalApplication
from services.approval.domain.case import Case
from services.approval.jobs import DeadlineScheduler
from services.reporting.notifications.component import Notifications, create_notifications
from services.reporting.notifications.domain import Delivery
from services.reporting.notifications.kinds import Kind, Mode
from services.reporting.workdays import WorkingDays
from shared.contracts.vocabulary import CaseState
from shared.platform.settings import Persistence
from tests.support.infra import (
    POSTGRES_HOST,
    POSTGRES_PORT,
    POSTGRES_USER,
    drop_postgres_databases,
)
from tests.support.mailbox import Mailbox
from tests.unit.approval_service.builders import (
    DIRECTORY,
    Authority,
    Clock,
    Upstream,
    agency_case_authority,
    city_case_authority,
    drive,
    open_case,
)
from tests.unit.notifications.conftest import PORTAL, Feed, open_notifications, settings_for


def email_of(person_id: str) -> str:
    member = DIRECTORY.person(person_id)
    assert member is not None
    assert member.email
    return member.email


def kinds_to(component: Notifications, person_id: str) -> list[str]:
    return [v.kind for v in reversed(component.app.of_person(person_id))]


def supplement_requested(
    approval: ApprovalApplication, upstream: Upstream, clock: Clock, *, items: str = "Dự toán"
) -> tuple[Authority, Case]:
    """A city case, opened and then asked by Sở Nội vụ to supplement `items`."""
    a = city_case_authority()
    case = open_case(approval, upstream, a, clock)
    clock.tick(30)
    approval.request_supplement(a.office, case.id, items=[items], reason=f"Thiếu {items.lower()}")
    return a, case


def test_a_supplement_request_reaches_the_proposer_once_by_e_mail_and_in_the_portal(
    approval: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    feed: Feed,
    notifications: Notifications,
    mailbox: Mailbox,
) -> None:
    a, case = supplement_requested(approval, upstream, clock, items="Dự toán kinh phí")
    assert set(feed.into(notifications)) == {"processed"}
    assert notifications.outbox is not None
    notifications.outbox.round()

    proposer = a.proposer.user_id
    assert kinds_to(notifications, proposer) == [Kind.ROUTED, Kind.SUPPLEMENT_REQUESTED]
    mails = [m for m in mailbox.to(email_of(proposer)) if "bổ sung" in m.subject]
    assert len(mails) == 1
    mail = mails[0]
    assert mail.subject.startswith("[D73] Yêu cầu bổ sung hồ sơ")
    assert "Dự toán kinh phí" in mail.part("plain")
    assert "Thiếu dự toán kinh phí" in mail.part("plain")
    link = f"{PORTAL}/proposals/{case.proposal_id}"
    assert link in mail.part("plain")
    assert f'href="{link}"' in mail.part("html")
    assert "Kính gửi Đoàn Thanh Thắng" in mail.part("html")
    assert mail.message["Message-ID"].endswith("@d73.notifications>")
    # The authority and its office (Sở Nội vụ takes city plans in) learnt that a plan arrived.
    doha_head = DIRECTORY.home_affairs.head.person_id
    assert Kind.PLAN_ARRIVED in kinds_to(notifications, doha_head)
    assert Kind.PLAN_ARRIVED in kinds_to(notifications, DIRECTORY.city_pc.head.person_id)
    # The one who asked is not told of their own request.
    assert Kind.SUPPLEMENT_REQUESTED not in kinds_to(notifications, a.office.user_id)

    # Redelivered (same positions), and replayed from other positions: nothing new, no mail.
    sent = len(mailbox.received)
    assert set(feed.into(notifications, from_start=True)) == {"duplicate"}
    assert set(feed.into(notifications, from_start=True, shift=1000)) == {"processed"}
    notifications.outbox.round()
    assert len(mailbox.received) == sent
    assert kinds_to(notifications, proposer) == [Kind.ROUTED, Kind.SUPPLEMENT_REQUESTED]

    # Rebuilding the index from the store re-sends nothing either.
    notifications.app.rebuild_index()
    assert notifications.outbox.round() == 0
    assert len(mailbox.received) == sent


def test_rebuilding_the_store_from_the_events_lists_them_but_mails_nothing(
    approval: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    feed: Feed,
    notifications: Notifications,
    mailbox: Mailbox,
    tmp_path: Path,
) -> None:
    a, _ = supplement_requested(approval, upstream, clock)
    feed.into(notifications)
    assert notifications.outbox is not None
    notifications.outbox.round()
    sent = len(mailbox.received)
    assert sent > 0

    clock.tick(60)  # later, the store is lost and rebuilt from the whole stream
    rebuilt = open_notifications(tmp_path / "rebuilt", mailbox, clock)
    try:
        assert set(Feed(approval).into(rebuilt)) == {"processed"}
        assert rebuilt.outbox is not None
        assert rebuilt.outbox.round() == 0
        assert len(mailbox.received) == sent
        views = rebuilt.app.of_person(a.proposer.user_id)
        assert [v.kind for v in views] == [Kind.SUPPLEMENT_REQUESTED, Kind.ROUTED]
        assert {v.delivery for v in views} == {Delivery.NONE}
    finally:
        rebuilt.close()


def scan(approval: ApprovalApplication, clock: Clock, day: date) -> None:
    clock.set(day)
    DeadlineScheduler(approval, every_seconds=60).scan()


def test_a_deadline_approaching_then_breached_reaches_the_head_then_the_superior_and_home_affairs(
    approval: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    feed: Feed,
    notifications: Notifications,
    mailbox: Mailbox,
) -> None:
    a = agency_case_authority()  # Sở Tài chính's division head → its director
    case = drive(
        approval, open_case(approval, upstream, a, clock), a, clock, CaseState.UNDER_REVIEW
    )
    due = case.open_deadlines()["approval"].due  # type: ignore[index]
    feed.into(notifications)
    assert notifications.outbox is not None
    notifications.outbox.round()
    head = a.head.user_id
    chairman = DIRECTORY.city_pc.head.person_id
    doha_head = DIRECTORY.home_affairs.head.person_id

    def deadline_mails(person_id: str, word: str) -> list[str]:
        return [m.subject for m in mailbox.to(email_of(person_id)) if word in m.subject]

    day = clock.today
    while not deadline_mails(head, "Sắp đến hạn"):
        day += timedelta(days=1)
        assert day <= due, "no reminder before the due date"
        scan(approval, clock, day)
        feed.into(notifications)
        notifications.outbox.round()
    assert deadline_mails(chairman, "Quá hạn") == []
    approaching = next(m for m in mailbox.to(email_of(head)) if "Sắp đến hạn" in m.subject)
    assert "ngày làm việc" in approaching.part("plain")
    assert f"{PORTAL}/cases/{case.id}" in approaching.part("plain")

    scan(approval, clock, due + timedelta(days=1))
    feed.into(notifications)
    notifications.outbox.round()
    assert len(deadline_mails(head, "Quá hạn")) == 1
    escalated = deadline_mails(chairman, "báo cáo cấp trên")
    assert len(escalated) == 1
    assert len(deadline_mails(doha_head, "báo cáo cấp trên")) == 1
    assert Kind.ESCALATED in kinds_to(notifications, chairman)
    # Each reminder and breach reached the head once.
    assert len(deadline_mails(head, "Sắp đến hạn")) == 1


def test_preferences_turn_e_mail_off_or_into_the_daily_digest(
    approval: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    feed: Feed,
    notifications: Notifications,
    mailbox: Mailbox,
) -> None:
    a = city_case_authority()
    proposer = a.proposer.user_id
    notifications.app.choose(
        proposer, {Kind.ROUTED: Mode.OFF, Kind.SUPPLEMENT_REQUESTED: Mode.DIGEST}
    )
    assert notifications.app.modes_of(proposer)["routed"] == "off"
    supplement_requested(approval, upstream, clock)
    feed.into(notifications)
    assert notifications.outbox is not None
    notifications.outbox.round()
    assert mailbox.to(email_of(proposer)) == []
    assert kinds_to(notifications, proposer) == [Kind.ROUTED, Kind.SUPPLEMENT_REQUESTED]

    clock.set(clock.today + timedelta(days=1), hour=6)  # before 07:30: no digest yet
    assert notifications.digest.round() == 0
    clock.set(clock.today, hour=8)
    assert notifications.digest.round() > 0
    assert notifications.digest.round() == 0  # once a day
    notifications.outbox.round()
    (digest,) = mailbox.to(email_of(proposer))
    assert digest.subject.startswith("[D73] Tóm tắt ngày")
    text = digest.part("plain")
    assert "bổ sung hồ sơ" in text
    assert "ngày làm việc" in text
    assert "Yêu cầu bổ sung hồ sơ" in text  # the notification gathered for the digest
    views = notifications.app.of_person(proposer)
    assert {v.kind: v.delivery for v in views}[Kind.SUPPLEMENT_REQUESTED] == Delivery.DIGESTED


def test_a_send_that_keeps_failing_is_retried_with_back_off_then_shown_to_operators(
    approval: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    feed: Feed,
    notifications: Notifications,
    mailbox: Mailbox,
) -> None:
    a = city_case_authority()
    open_case(approval, upstream, a, clock)
    feed.into(notifications)
    outbox = notifications.outbox
    assert outbox is not None
    mailbox.stop()  # the relay is down
    assert outbox.round() == 0
    pending = notifications.app.in_state(Delivery.PENDING)
    assert pending
    assert all(v.attempts == 1 for v in pending)
    assert outbox.round() == 0  # not due again before the back-off (a minute)

    def attempts() -> set[int]:
        return {v.attempts for v in notifications.app.in_state(Delivery.PENDING)}

    assert attempts() == {1}
    clock.tick(1)
    outbox.round()
    assert attempts() == {2}
    clock.tick(1)  # the second wait is two minutes
    outbox.round()
    assert attempts() == {2}
    clock.tick(1)
    outbox.round()  # third and last try (D73_NOTIFY_MAX_ATTEMPTS=3)
    failed = notifications.app.in_state(Delivery.FAILED)
    assert len(failed) == len(pending)
    assert all(v.attempts == 3 for v in failed)
    assert "ConnectionRefusedError" in failed[0].last_error
    assert notifications.app.in_state(Delivery.PENDING) == []

    mailbox.start()
    retried = notifications.app.retry_failed(failed[0].id, "ct.admin")
    assert retried is not None
    assert outbox.round() == 1
    assert len(mailbox.received) == 1


@pytest.mark.postgres
def test_on_postgresql_the_store_is_a_schema_of_reportings_database(
    postgres_ready: None,
    approval: ApprovalApplication,
    upstream: Upstream,
    clock: Clock,
    feed: Feed,
    mailbox: Mailbox,
    tmp_path: Path,
) -> None:
    prefix = f"d73t_{uuid.uuid4().hex[:8]}_"
    settings = settings_for(tmp_path, mailbox).model_copy(
        update={
            "persistence": Persistence.POSTGRES,
            "postgres_host": POSTGRES_HOST,
            "postgres_port": POSTGRES_PORT,
            "postgres_user": POSTGRES_USER,
            "postgres_db_prefix": prefix,
        }
    )
    try:
        component = create_notifications(settings, DIRECTORY, WorkingDays("can-tho"), clock=clock)
        try:
            open_case(approval, upstream, city_case_authority(), clock)
            assert set(feed.into(component)) == {"processed"}
            assert component.outbox is not None
            assert component.outbox.round() > 0
        finally:
            component.close()
        with psycopg.connect(
            host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, dbname=f"{prefix}reporting"
        ) as conn:
            tables = {
                row[0]
                for row in conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = 'notifications'"
                ).fetchall()
            }
        assert tables, "the notification store's tables are in schema notifications"
        assert not (tmp_path / "notifications.sqlite").exists()
    finally:
        drop_postgres_databases(prefix)
