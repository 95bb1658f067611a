"""Idempotency-Key (design.md §5): what a keyed POST did, so that a retry gets the same answer.

Every POST of every service takes an `Idempotency-Key` (issue #12 §5). A `CommandReceipt` is
recorded in the same transaction as the command's own events, under an id derived from
(service, person, key), naming the aggregate and the version the command left it at. A retry
finds it and is answered from that version without recording anything; the same key with another
request is refused (422). Two requests racing with one key cannot both commit, because the second
receipt's id is taken; and a retry that fails because the first copy already succeeded (a 409
"already submitted", a concurrent-modification conflict) is answered from the first copy's
receipt too. Receipts live in the service's own store and are never published.

`ServiceApplication.keyed` runs a command under a key; `ServiceApplication.record` adds the
receipt to the command's commit (`keyed_scope`), so no command needs code of its own for it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import register_topic

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used for a different request (HTTP 422)."""


class InvalidIdempotencyKey(Exception):
    """The Idempotency-Key header must be 1–255 visible ASCII characters (HTTP 422)."""


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key and the fingerprint of the request it came with."""

    key: str
    digest: str

    @classmethod
    def of(cls, key: str | None, command: str, target: str, body: Any) -> Idempotency | None:
        if key is None:
            return None
        return cls(check_key(key), request_digest(command, target, body))


def check_key(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise InvalidIdempotencyKey(f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} visible ASCII")
    return key


def request_digest(command: str, target: str, body: Any) -> str:
    """A fingerprint of what was asked: the command, its target and its body (canonical JSON)."""
    data = orjson.dumps(
        {"command": command, "target": target, "body": body},
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha256(data).hexdigest()


class Receipt:
    """What a receipt answers: the aggregate and version a keyed command left."""

    key: str
    digest: str
    aggregate_id: UUID
    aggregate_version: int

    def answers(self, digest: str) -> bool:
        """True if this receipt was issued for the same request; raises if the key was reused."""
        if digest != self.digest:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {self.key!r} was used for a different request"
            )
        return True


class CommandReceipt(Receipt, Aggregate):
    """One answered keyed POST: the aggregate it changed and the version it left it at."""

    @staticmethod
    def create_id(service: str, user_id: str, key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/{service}/idempotency/{user_id}/{key}")

    @event("Issued")
    def __init__(
        self,
        *,
        service: str,
        user_id: str,
        key: str,
        digest: str,
        aggregate_id: UUID,
        aggregate_version: int,
        recorded_at: datetime,
    ) -> None:
        self.user_id = user_id
        self.key = key
        self.digest = digest
        self.aggregate_id = aggregate_id
        self.aggregate_version = aggregate_version
        self.recorded_at = recorded_at


class ProposalReceipt(Receipt, Aggregate):
    """A receipt registration recorded before receipts were shared by every service (its
    events name the proposal): read as a `CommandReceipt`."""

    @event("Issued")
    def __init__(
        self,
        *,
        user_id: str,
        key: str,
        digest: str,
        proposal_id: UUID,
        proposal_version: int,
        result: dict[str, Any],
        recorded_at: datetime,
    ) -> None:
        self.user_id = user_id
        self.key = key
        self.digest = digest
        self.aggregate_id = proposal_id
        self.aggregate_version = proposal_version
        self.recorded_at = recorded_at


register_topic("services.registration.receipts:CommandReceipt", ProposalReceipt)
# Topics written before shared/ was split into named parts (issue #13 point 4).
register_topic("shared.idempotency:CommandReceipt", CommandReceipt)
register_topic("shared.idempotency:ProposalReceipt", ProposalReceipt)


@dataclass
class KeyedCommand:
    """A command running under an Idempotency-Key: whose, which key, and whether its receipt
    went into a commit yet."""

    service: str
    user_id: str
    idempotency: Idempotency
    issued: bool = False

    @property
    def receipt_id(self) -> UUID:
        return CommandReceipt.create_id(self.service, self.user_id, self.idempotency.key)

    def receipt(self, aggregate: Aggregate) -> CommandReceipt:
        """The receipt of this command, for the first commit it makes (of `aggregate`)."""
        self.issued = True
        return CommandReceipt(
            service=self.service,
            user_id=self.user_id,
            key=self.idempotency.key,
            digest=self.idempotency.digest,
            aggregate_id=aggregate.id,
            aggregate_version=aggregate.version,
            recorded_at=datetime.now(UTC),
        )


_keyed: ContextVar[KeyedCommand | None] = ContextVar("d73_keyed_command", default=None)


@contextmanager
def keyed_scope(command: KeyedCommand) -> Iterator[None]:
    """While a keyed command runs, its first commit also records its receipt."""
    token = _keyed.set(command)
    try:
        yield
    finally:
        _keyed.reset(token)


def current_keyed_command() -> KeyedCommand | None:
    return _keyed.get()
