"""Approval's two relays (its stream, the public one) decode and translate each stored Case event
once between them, and send what each sent before (issue #19): `publishing.PUBLISHED` names the
event types it publishes, every one of the Case's that has a contract."""

from __future__ import annotations

from typing import Any

import pytest

from services.approval.application import ApprovalApplication
from services.approval.publishing import PUBLISHED, to_contract
from shared.platform.runtime import public_view
from shared.platform.subjects import APPROVAL_STREAM, PUBLIC_APPROVAL_STREAM
from shared.platform.tracing import CE_TRACEPARENT, TRACEPARENT, TRACESTATE
from tests.support.relays import counting_decodes, sent_by_both
from tests.unit.approval_service.builders import Clock, Upstream, every_kind_of_event

TRACE_HEADERS = (TRACEPARENT, CE_TRACEPARENT, TRACESTATE)


def test_every_stored_case_event_may_be_published(
    app: ApprovalApplication, upstream: Upstream, clock: Clock
) -> None:
    every_kind_of_event(app, upstream, clock)
    recorder: Any = app.recorder
    for notification in recorder.select_notifications(start=0, limit=10_000):
        assert PUBLISHED.may_publish(notification.topic), notification.topic


@pytest.mark.anyio
async def test_the_two_relays_decode_each_event_once_and_send_what_they_sent_before(
    app: ApprovalApplication, upstream: Upstream, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    every_kind_of_event(app, upstream, clock)
    recorder: Any = app.recorder
    stored = list(recorder.select_notifications(start=0, limit=10_000))

    streams = (APPROVAL_STREAM, PUBLIC_APPROVAL_STREAM)
    plain = (to_contract, public_view(to_contract))  # approval's translation before
    before = await sent_by_both(app, "approval", streams, plain, stored)
    decoded = counting_decodes(app, monkeypatch)
    shared = PUBLISHED.remembering()
    assert await sent_by_both(app, "approval", streams, (shared, public_view(shared)), stored) == (
        before
    )
    assert sorted(decoded) == [n.id for n in stored]
    assert len(before[0]) == len(stored)  # every Case event on approval's stream
    assert before[1]  # and public views of some on the public one
