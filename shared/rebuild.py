"""The contract between `d73 rebuild <service>` and each service's read models.

Each service offers `services.<name>.rebuild.rebuild(settings, progress) -> RebuildReport`: it
rebuilds every read model of the service from the service's own event store only, and reports
digests before and after so that an operator sees the rebuild changed nothing it should not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

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
