"""Read models that follow a service's own notification log and can be rebuilt from it.

A read model catches up lazily before each query (so a user reads their own writes) and can be
reset and replayed from position 0 (`d73 rebuild`); its digest shows that a rebuild gives the
same result.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol

from shared.platform.eventstore import ServiceApplication
from shared.platform.rebuild import Progress


class CatchUpReadModel(ABC):
    section = 1000
    name: ClassVar[str]
    """What the model's digest is called in the rebuild report (`d73 rebuild`)."""

    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        self.position = 0
        self._lock = threading.RLock()

    @abstractmethod
    def reset(self) -> None:
        """Forget everything (called before a rebuild)."""

    @abstractmethod
    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        """Fold one stored event into the model."""

    @abstractmethod
    def snapshot(self) -> Any:
        """A JSON-able, deterministic view of the whole model, for digests."""

    def catch_up(self, progress: Progress | None = None) -> int:
        recorder: Any = self.app.recorder
        total = (recorder.max_notification_id() or 0) if progress else 0
        with self._lock:
            while True:
                notifications = recorder.select_notifications(
                    start=self.position, limit=self.section, inclusive_of_start=False
                )
                for notification in notifications:
                    self.apply(self.app.mapper.to_domain_event(notification), notification.id)
                    self.position = notification.id
                if progress:
                    progress(self.position, max(total, self.position))
                if len(notifications) < self.section:
                    return self.position

    def rebuild(self, progress: Progress | None = None) -> int:
        with self._lock:
            self.reset()
            self.position = 0
            return self.catch_up(progress)

    def digest(self) -> str:
        with self._lock:
            data = orjson.dumps(self.snapshot(), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(data).hexdigest()

    def digests(self) -> dict[str, str]:
        """The model is one part: its digest under its name (`rebuild.RebuildableReadModel`)."""
        return {self.name: self.digest()}
