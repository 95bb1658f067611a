"""The contract between `d73 rebuild <service>` and each service's read models.

Each service offers `services.<name>.rebuild.rebuild(settings, progress) -> RebuildReport`: it
rebuilds every read model of the service from the service's own event store only, and reports
digests before and after so that an operator sees the rebuild changed nothing it should not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import Application

Progress = Callable[[int, int], None]
"""Called with (events read so far, events in the store)."""


@dataclass(frozen=True)
class RebuildReport:
    service: str
    events: int
    digests_before: dict[str, str] = field(default_factory=dict)
    digests_after: dict[str, str] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return self.digests_before == self.digests_after


class RebuildableReadModel(Protocol):
    def catch_up(self, progress: Progress | None = None) -> int: ...

    def rebuild(self, progress: Progress | None = None) -> int: ...

    def digest(self) -> str: ...


def rebuild_read_models(
    service: str, total: int, models: Mapping[str, RebuildableReadModel], progress: Progress
) -> RebuildReport:
    """Digest each model as the running service has it, fold it again from position 0, digest."""
    before = {}
    for name, model in models.items():
        model.catch_up()
        before[name] = model.digest()
    after = {}
    progress(0, total)
    for name, model in models.items():
        model.rebuild(progress)
        after[name] = model.digest()
    progress(total, total)
    return RebuildReport(service=service, events=total, digests_before=before, digests_after=after)


App = TypeVar("App", bound=Application[UUID])


def rebuild_application(
    service: str,
    app: Application[UUID],
    models: Mapping[str, RebuildableReadModel],
    progress: Progress,
) -> RebuildReport:
    """`rebuild_read_models` over every event of the application's own store."""
    total = app.recorder.max_notification_id() or 0
    return rebuild_read_models(service, total, models, progress)


def rebuild_service(
    service: str,
    open_application: Callable[[], App],
    read_models: Callable[[App], Mapping[str, RebuildableReadModel]],
    progress: Progress,
) -> RebuildReport:
    """`d73 rebuild <service>` for a service whose read models follow its own store: open the
    application, rebuild every read model it names, close it whatever happens."""
    app = open_application()
    try:
        return rebuild_application(service, app, read_models(app), progress)
    finally:
        app.close()
