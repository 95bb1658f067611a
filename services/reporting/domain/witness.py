"""Nhân chứng — reporting keeps every signed checkpoint of every service's log (design.md §4).

Once a witness holds a checkpoint, editing, deleting or reordering the entries it covers is
detectable by anyone. A second checkpoint of the same size with another root means the service
showed two different histories (equivocation): an alarm, kept in the archive.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event


class WitnessedLog(Aggregate):
    """The checkpoints one service published, as this witness received them."""

    @staticmethod
    def create_id(service: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/reporting/witness/{service}")

    @event("Started")
    def __init__(self, service: str) -> None:
        self.service = service
        self.roots: dict[str, str] = {}
        """tree size (as text) → root hash."""
        self.conflicts: list[dict[str, Any]] = []

    def witness(self, checkpoint: dict[str, Any]) -> bool:
        """Keep a checkpoint; False if this exact one is already held."""
        size, root = str(checkpoint["tree_size"]), str(checkpoint["root_hash"])
        known = self.roots.get(size)
        if known == root:
            return False
        if known is not None:
            self._conflicting(
                {"tree_size": checkpoint["tree_size"], "held_root": known, "new_root": root}
            )
            return True
        self._witnessed(checkpoint)
        return True

    @event("CheckpointWitnessed")
    def _witnessed(self, checkpoint: dict[str, Any]) -> None:
        self.roots[str(checkpoint["tree_size"])] = str(checkpoint["root_hash"])

    @event("ConflictingCheckpoint")
    def _conflicting(self, conflict: dict[str, Any]) -> None:
        self.conflicts.append(conflict)
