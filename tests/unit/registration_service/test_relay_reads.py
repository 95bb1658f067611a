"""The relays decode only the stored events that may be public (issue #19): registration's
translation names the event types it publishes (`publishing.PUBLISHED`), and every other stored
event is private without being read."""

from __future__ import annotations

from typing import Any

import pytest

from services.registration.application import RegistrationApplication
from services.registration.publishing import PUBLISHED, to_contract
from shared.platform.outbox import OutboxRelay
from shared.platform.runtime import public_view
from shared.platform.subjects import PUBLIC_REGISTRATION_STREAM, REGISTRATION_STREAM
from tests.unit.registration_domain.builders import complete_plan
from tests.unit.registration_service.builders import DIRECTOR, submitted


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
