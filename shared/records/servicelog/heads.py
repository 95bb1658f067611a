"""The log head a published event carries in its headers, written by the relay and read by
witnesses (issue #6; design.md §4).

`d73-log-leaves` names every entry since the previous published event, so a witness that reads
a service's stream in order sees every leaf of its log — private drafts included, as hashes —
and recomputes each root itself instead of trusting `d73-tree-root`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.platform.envelope import LOG_INDEX, LOG_LEAVES, TREE_ROOT, TREE_SIZE
from shared.records.merkle.tree import HASH_SIZE

MAX_LEAVES_PER_MESSAGE = 10_000
"""More unpublished entries than this between two published events is not a D73 relay."""

_HEX_HASH = re.compile(rf"[0-9a-f]{{{2 * HASH_SIZE}}}")


class MalformedLogHead(ValueError):
    """The log headers of a message are present but not what the relay writes."""


@dataclass(frozen=True, slots=True)
class PublishedHead:
    """The part of a service's log one published event reveals."""

    first_index: int
    """Leaf index of the first of `leaves`."""
    leaves: tuple[bytes, ...]
    root: bytes
    """The root of the log of `tree_size` leaves, as the service states it."""

    @property
    def tree_size(self) -> int:
        return self.first_index + len(self.leaves)

    @property
    def leaf_index(self) -> int:
        return self.tree_size - 1


def log_headers(leaf_index: int, root: bytes, leaves: Sequence[bytes]) -> dict[str, str]:
    """The headers of the event at `leaf_index`, after `leaves` (its own hash last)."""
    return {
        LOG_INDEX: str(leaf_index),
        TREE_SIZE: str(leaf_index + 1),
        TREE_ROOT: root.hex(),
        LOG_LEAVES: ",".join(leaf.hex() for leaf in leaves),
    }


def _hash(text: str, name: str) -> bytes:
    if not _HEX_HASH.fullmatch(text):
        raise MalformedLogHead(f"{name} is not {2 * HASH_SIZE} lowercase hex digits")
    return bytes.fromhex(text)


def read_log_headers(headers: Mapping[str, str] | None) -> PublishedHead | None:
    """The log head of a message; None if it carries none, `MalformedLogHead` if it is wrong."""
    headers = headers or {}
    if not any(name in headers for name in (LOG_INDEX, TREE_SIZE, TREE_ROOT, LOG_LEAVES)):
        return None
    try:
        index, size = int(headers[LOG_INDEX]), int(headers[TREE_SIZE])
        root, listed = headers[TREE_ROOT], headers[LOG_LEAVES]
    except KeyError as missing:
        raise MalformedLogHead(f"log header {missing.args[0]} is missing") from None
    except ValueError:
        raise MalformedLogHead("log index and tree size must be integers") from None
    if index < 0 or size != index + 1:
        raise MalformedLogHead(f"tree size {size} is not log index {index} + 1")
    parts = listed.split(",") if listed else []
    if not 1 <= len(parts) <= min(size, MAX_LEAVES_PER_MESSAGE):
        raise MalformedLogHead(f"{len(parts)} leaf hashes cannot end at log index {index}")
    leaves = tuple(_hash(part, LOG_LEAVES) for part in parts)
    return PublishedHead(size - len(leaves), leaves, _hash(root, TREE_ROOT))
