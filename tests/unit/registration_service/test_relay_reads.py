"""The relays decode only the stored events that may be public (issue #19): registration's
translation names the event types it publishes (`publishing.PUBLISHED`), and every other stored
event is private without being read."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from services.registration.application import RegistrationApplication
from services.registration.consumers import on_case_event
from services.registration.publishing import PUBLISHED, to_contract
from shared.platform.outbox import OutboxRelay
from shared.platform.runtime import public_view
from shared.platform.subjects import PUBLIC_REGISTRATION_STREAM, REGISTRATION_STREAM
from tests.support.relays import Sent, counting_decodes, sent_by_both
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import (
    DIRECTOR,
    submitted,
    supplement_requested,
    tracking,
    upload,
)


def _journey(app: RegistrationApplication) -> list[Any]:
    """Stored events of every kind a proposer causes: drafts, edits, a submission, a withdrawal."""
    draft = app.draft(DIRECTOR, "Bản nháp", None)
    app.edit(DIRECTOR, draft.id, {"title": "Bản nháp sửa"})
    proposal = submitted(app)
    app.withdraw(DIRECTOR, proposal, "Rút lại")
    app.draft(DIRECTOR, "Gửi ngay", complete_plan(), submit=True)
    recorder: Any = app.recorder
    return list(recorder.select_notifications(start=1, limit=100))


def test_an_event_type_left_out_is_one_to_contract_makes_nothing_of(
    app: RegistrationApplication,
) -> None:
    kept = 0
    for notification in _journey(app):
        event = to_contract(app.mapper.to_domain_event(notification), notification.id)
        if PUBLISHED.may_publish(notification.topic):
            kept += 1
            assert event is not None
        else:
            assert event is None
    assert kept == 3  # two submissions and the withdrawal


@pytest.mark.anyio
@pytest.mark.parametrize("public", [False, True])
async def test_the_relays_send_no_private_event_and_never_decode_one(
    app: RegistrationApplication, monkeypatch: pytest.MonkeyPatch, public: bool
) -> None:
    stream = PUBLIC_REGISTRATION_STREAM if public else REGISTRATION_STREAM
    translate = public_view(PUBLISHED) if public else PUBLISHED
    relay = OutboxRelay(app, "registration", stream, translate)
    private = [n for n in _journey(app) if not PUBLISHED.may_publish(n.topic)]
    assert private

    def undecodable(notification: Any) -> Any:
        raise AssertionError(f"decoded private event {notification.topic}")

    monkeypatch.setattr(app.mapper, "to_domain_event", undecodable)
    publisher: Any = None  # a public event would need one
    for notification in private:
        assert await relay._send(publisher, notification) is None


@pytest.mark.anyio
async def test_the_two_relays_of_a_store_decode_each_event_once_and_send_what_each_would(
    app: RegistrationApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = [n for n in _journey(app) if PUBLISHED.may_publish(n.topic)]

    streams = (REGISTRATION_STREAM, PUBLIC_REGISTRATION_STREAM)
    alone = await sent_by_both(
        app, "registration", streams, (PUBLISHED, public_view(PUBLISHED)), public
    )
    decoded = counting_decodes(app, monkeypatch)
    shared = PUBLISHED.remembering()
    assert (
        await sent_by_both(app, "registration", streams, (shared, public_view(shared)), public)
        == alone
    )
    assert sorted(decoded) == [n.id for n in public]
    assert all(not body_subject[0].startswith("d73.public") for body_subject in alone[0])
    assert all(body_subject[0].startswith("d73.public") for body_subject in alone[1])


@pytest.mark.anyio
async def test_the_relays_send_of_a_committed_event_what_they_send_of_its_stored_copy(
    app: RegistrationApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registration's relays translate the events its commands committed (`remembered_events`)
    and decode none of them; the messages are those its stored copies give."""
    answered = submitted(app)
    request = supplement_requested(answered)
    on_case_event(app, request, tracking())
    upload(app, DIRECTOR, answered)
    app.supplement(DIRECTOR, answered, None, {"title": "Đã bổ sung", "feasibility": "Khả thi"})
    public = [n for n in _journey(app) if PUBLISHED.may_publish(n.topic)]
    assert len(app.recent_events) > 0
    decode = app.mapper.to_domain_event

    def undecodable(notification: Any) -> Any:
        raise AssertionError(f"decoded committed event {notification.topic}")

    async def sent() -> tuple[Sent, Sent]:
        shared = PUBLISHED.remembering()
        translations = (shared, public_view(shared))
        streams = (REGISTRATION_STREAM, PUBLIC_REGISTRATION_STREAM)
        return await sent_by_both(
            app, "registration", streams, translations, public, alternate=False
        )

    monkeypatch.setattr(app.mapper, "to_domain_event", undecodable)
    committed = await sent()
    monkeypatch.setattr(app.mapper, "to_domain_event", decode)
    assert len(committed[0]) == len(committed[1]) == len(public) == 5
    assert await sent() == committed  # taken once: now each is decoded


def test_a_committed_event_is_taken_only_for_its_own_position_and_aggregate(
    app: RegistrationApplication,
) -> None:
    notifications = _journey(app)
    first, second = notifications[-1], notifications[-2]
    assert app.recent_events.take(replace(first, id=second.id)) is None  # another event there
    assert app.recent_events.take(first) is not None
    assert app.recent_events.take(first) is None  # taken once
