"""Two consumers of one stream in one process decode each message once between them (issue
#19): reporting's archive and notifier both read D73_APPROVAL."""

from __future__ import annotations

from typing import Any

from shared.platform.consumer import SharedDecodes, TrackedConsumer, share_decodes
from shared.platform.envelope import decode
from shared.platform.subjects import APPROVAL_STREAM, REGISTRATION_STREAM
from tests.unit.backbone.test_store_batch import message


def test_the_second_reader_takes_the_event_the_first_decoded_once() -> None:
    shared = SharedDecodes()
    msg = message(7, "one")
    first = shared.decode(msg)
    assert first == decode(msg.headers, msg.data)
    assert shared.decode(msg) is first, "the other reader's event"
    assert len(shared) == 0, "taken once"
    assert shared.decode(msg) is not first, "a third reading decodes its own"


def test_another_message_at_the_same_sequence_is_decoded_afresh() -> None:
    shared = SharedDecodes()
    first = shared.decode(message(7, "one"))
    other = shared.decode(message(7, "another"))
    assert other is not first
    assert getattr(other, "reason", None) == "another"


def test_what_no_other_reader_takes_is_bounded() -> None:
    shared = SharedDecodes(size=3)
    for position in range(10):
        shared.decode(message(position, "unread"))
    assert len(shared) == 3


def test_only_consumers_of_the_same_stream_share() -> None:
    def consumer(upstream: Any) -> TrackedConsumer:
        return TrackedConsumer(service="s", app=Any, upstream=upstream, handlers={})  # type: ignore[arg-type]

    archive, notify, registration = (
        consumer(APPROVAL_STREAM),
        consumer(APPROVAL_STREAM),
        consumer(REGISTRATION_STREAM),
    )
    share_decodes([archive, notify, registration])
    assert archive.decodes is not None
    assert archive.decodes is notify.decodes
    assert registration.decodes is None
