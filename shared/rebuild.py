"""The contract between `d73 rebuild <service>` and each service's read models.

Each service offers `services.<name>.rebuild.rebuild(settings, progress) -> RebuildReport`: it
rebuilds every read model of the service from the service's own event store only, and reports
digests before and after so that an operator sees the rebuild changed nothing it should not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
