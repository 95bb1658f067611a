"""Ids of reporting's records, derived from what they are about (uuid5 in the URL namespace)."""

from __future__ import annotations

import functools
from uuid import NAMESPACE_URL, UUID, uuid5


@functools.lru_cache(maxsize=2048)
def record_id(path: str) -> UUID:
    """The id of the record at `path`. The same few are asked for again and again while their
    events come in (a proposal's archive, a case's file: three times per case event, a
    notification twice as it is made), and a uuid5 costs a SHA-1 (issue #19)."""
    return uuid5(NAMESPACE_URL, path)
