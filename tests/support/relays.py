"""A service's two relays (its stream, the public one) driven by hand in unit tests: what each
sends, and which stored events they decode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from shared.platform.outbox import OutboxRelay
from shared.platform.subjects import StreamSpec
from shared.platform.tracing import CE_TRACEPARENT, TRACEPARENT, TRACESTATE

TRACE_HEADERS = (TRACEPARENT, CE_TRACEPARENT, TRACESTATE)
"""The publication's own span: new at every send when tracing is on, so never compared."""

Sent = list[tuple[str, bytes, dict[str, str]]]


class Recording:
    """A publisher that keeps what it is sent: subject, body and headers (but `TRACE_HEADERS`)."""

    def __init__(self) -> None:
        self.sent: Sent = []

    async def send(self, subject: str, body: bytes, headers: Any) -> None:
        kept = {k: v for k, v in headers.items() if k not in TRACE_HEADERS}
        self.sent.append((subject, body, kept))


async def sent_by_both(
    app: Any,
    service: str,
    streams: tuple[StreamSpec, StreamSpec],
    translations: tuple[Any, Any],
    notifications: Sequence[Any],
    *,
    alternate: bool = True,
) -> tuple[Sent, Sent]:
    """What the service's relay (`streams[0]`, `translations[0]`) and its public relay send of
    `notifications`; with `alternate`, either relay comes first, by turns."""
    relays = tuple(
        OutboxRelay(app, service, stream, translate)
        for stream, translate in zip(streams, translations, strict=True)
    )
    publishers = (Recording(), Recording())
    for index, notification in enumerate(notifications):
        for which in (1, 0) if alternate and not index % 2 else (0, 1):
            await relays[which]._send(publishers[which], notification)  # type: ignore[arg-type]
    return publishers[0].sent, publishers[1].sent


def counting_decodes(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The positions `app`'s mapper decodes from now on (the list fills as it does)."""
    decoded: list[int] = []
    decode = app.mapper.to_domain_event

    def counted(notification: Any) -> Any:
        decoded.append(notification.id)
        return decode(notification)

    monkeypatch.setattr(app.mapper, "to_domain_event", counted)
    return decoded
