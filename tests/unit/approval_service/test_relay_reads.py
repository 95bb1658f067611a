"""Approval's two relays (its stream, the public one) decode and translate each stored Case event
once between them, and send what each sent before (issue #19): `publishing.PUBLISHED` names the
event types it publishes, every one of the Case's that has a contract."""

from __future__ import annotations

from typing import Any

import pytest

from services.approval.application import ApprovalApplication
from services.approval.publishing import PUBLISHED, to_contract
from shared.platform.outbox import OutboxRelay
from shared.platform.runtime import public_view
from shared.platform.subjects import APPROVAL_STREAM, PUBLIC_APPROVAL_STREAM
from shared.platform.tracing import CE_TRACEPARENT, TRACEPARENT, TRACESTATE
from tests.unit.approval_service.builders import Clock, Upstream, every_kind_of_event

TRACE_HEADERS = (TRACEPARENT, CE_TRACEPARENT, TRACESTATE)


class _Recording:
    """A publisher that keeps what it is sent, but a publication's own span: once a test
    before this one in the process has configured tracing, each send starts a new one."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def send(self, subject: str, body: bytes, headers: Any) -> None:
        kept = {k: v for k, v in headers.items() if k not in TRACE_HEADERS}
        self.sent.append((subject, body, kept))


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

    async def sent(own: Any, public: Any) -> tuple[list[Any], list[Any]]:
        relays = (
            OutboxRelay(app, "approval", APPROVAL_STREAM, own),
            OutboxRelay(app, "approval", PUBLIC_APPROVAL_STREAM, public),
        )
        publishers = (_Recording(), _Recording())
        for index, notification in enumerate(stored):  # either relay may come first
            for which in (0, 1) if index % 2 else (1, 0):
                await relays[which]._send(publishers[which], notification)  # type: ignore[arg-type]
        return publishers[0].sent, publishers[1].sent

    before = await sent(to_contract, public_view(to_contract))  # the plain function, as before
    decoded: list[int] = []
    decode = app.mapper.to_domain_event

    def counted(notification: Any) -> Any:
        decoded.append(notification.id)
        return decode(notification)

    monkeypatch.setattr(app.mapper, "to_domain_event", counted)
    shared = PUBLISHED.remembering()
    assert await sent(shared, public_view(shared)) == before
    assert sorted(decoded) == [n.id for n in stored]
    assert len(before[0]) == len(stored)  # every Case event on approval's stream
    assert before[1]  # and public views of some on the public one
