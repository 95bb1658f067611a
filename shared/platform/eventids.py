"""The name an event id is made from (issue #12: every published event has a stable id).

An event's id is `uuid5(NAMESPACE_URL, "/d73/<service>/<originator id>/<originator version>")`
(RFC 9562 §5.5). The relays make it a UUID (`shared.platform.outbox.event_id_of`) and the log
spells it as text (`shared.records.servicelog.entries.event_id_text`); both start from the
same SHA-1 here, the namespace and the service's prefix hashed once per service (issue #19).
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any
from uuid import NAMESPACE_URL, UUID


@functools.cache
def names_of(service: str) -> Any:
    """SHA-1 fed with the namespace and the part of every event name of `service` before the
    originator: copied per event (never updated itself), so only the originator and version
    are hashed each time."""
    return hashlib.sha1(NAMESPACE_URL.bytes + f"/d73/{service}/".encode())


def named(names: Any, originator_id: UUID | str, originator_version: int) -> Any:
    """The SHA-1 of one event's name, from its service's `names_of`."""
    digest = names.copy()
    digest.update(f"{originator_id}/{originator_version}".encode())
    return digest


def event_name_hash(service: str, originator_id: UUID | str, originator_version: int) -> Any:
    """The SHA-1 of an event's uuid5 name, before its version and variant are set."""
    return named(names_of(service), originator_id, originator_version)
