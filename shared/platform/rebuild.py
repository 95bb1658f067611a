"""The contract between `d73 rebuild <service>` and each service's read models.

Each service offers `services.<name>.rebuild.rebuild(settings, progress) -> RebuildReport`: it
rebuilds every read model of the service from the service's own event store only, and reports
digests before and after so that an operator sees the rebuild changed nothing it should not.
All three do it through `rebuild_service`: a read model names the digests of its own parts (one
for a model that is one table, one per table for reporting's projections, which fold the archive
once into several), and the service says what its report counts as the events read (every
stored event, or reporting's archived ones).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    def digests(self) -> dict[str, str]:
        """A digest of each part of the model, by the name the rebuild report shows; equal
        digests mean equal content."""
        ...


def rebuild_read_models(
    service: str,
    total: int,
    models: Sequence[RebuildableReadModel],
    progress: Progress,
    events: Callable[[], int] | None = None,
) -> RebuildReport:
    """Digest each model as the running service has it, fold it again from position 0, digest.
    `events`: what the report counts as read, asked after the rebuild (default: `total`)."""
    before: dict[str, str] = {}
    for model in models:
        model.catch_up()
        before.update(_named_once(before, model.digests()))
    after: dict[str, str] = {}
    progress(0, total)
    for model in models:
        model.rebuild(progress)
        after.update(_named_once(after, model.digests()))
    progress(total, total)
    read = total if events is None else events()
    return RebuildReport(service=service, events=read, digests_before=before, digests_after=after)


def _named_once(seen: dict[str, str], digests: dict[str, str]) -> dict[str, str]:
    """Two read models may not report a part under the same name: one would hide the other."""
    twice = seen.keys() & digests.keys()
    if twice:
        raise ValueError(f"read models report the same part twice: {sorted(twice)}")
    return digests


App = TypeVar("App", bound=Application[UUID])


def stored_events(app: Application[UUID]) -> int:
    """Every event of the application's own store: what the rebuild reads."""
    return app.recorder.max_notification_id() or 0


def rebuild_application(
    service: str,
    app: App,
    models: Sequence[RebuildableReadModel],
    progress: Progress,
    events: Callable[[App], int] = stored_events,
) -> RebuildReport:
    """`rebuild_read_models` over every event of the application's own store; the report
    counts `events(app)`, asked after the rebuild."""
    total = stored_events(app)
    return rebuild_read_models(service, total, models, progress, lambda: events(app))


def rebuild_service(
    service: str,
    open_application: Callable[[], App],
    read_models: Callable[[App], Sequence[RebuildableReadModel]],
    progress: Progress,
    events: Callable[[App], int] = stored_events,
) -> RebuildReport:
    """`d73 rebuild <service>`: open the application, rebuild every read model it names from
    its own store, close it whatever happens."""
    app = open_application()
    try:
        return rebuild_application(service, app, read_models(app), progress, events)
    finally:
        app.close()
