"""The notifier's own durable consumer on approval's case events (issue #16 §1).

It reads `D73_APPROVAL`, the events exactly as the services exchange them, not the public
tier: who must be told is a person (the proposer's user id, the head, the responsible official),
and the public tier carries no personal identifier (docs/agencies.md). Reporting's process runs
as the `reporting` NATS user, which may read that stream through this consumer only.
"""

from __future__ import annotations

from services.reporting.notifications.notifier import Notifier
from shared.platform.consumer import TrackedConsumer
from shared.platform.subjects import COMPONENTS, consumer_name

COMPONENT = "notify"
UPSTREAM = dict(COMPONENTS["reporting"])[COMPONENT]


class NotifyingConsumer(TrackedConsumer):
    def __init__(self, notifier: Notifier, *, max_deliver: int = 5, ack_wait: float = 30.0):
        super().__init__(
            service="reporting",
            app=notifier.app,
            upstream=UPSTREAM,
            handlers={},
            archive_all=notifier.handle,
            max_deliver=max_deliver,
            ack_wait=ack_wait,
        )

    @property
    def durable(self) -> str:
        return consumer_name(self.service, self.upstream, COMPONENT)
