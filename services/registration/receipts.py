"""Idempotency-Key (design.md §5): what a keyed POST did, so that a retry gets the same answer.

A `CommandReceipt` is recorded in the same transaction as the command's own events, under an id
derived from (person, key). A retry finds it and is answered from it without recording anything;
two requests racing with one key cannot both commit, because the second receipt's id is taken.
Receipts live in registration's own store and are never published.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.domain import Aggregate, event

MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used for a different request (HTTP 422)."""


class InvalidIdempotencyKey(Exception):
    """The Idempotency-Key header must be 1–255 visible ASCII characters (HTTP 422)."""


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


class CommandReceipt(Aggregate):
    """One answered keyed POST: which proposal version it produced, and any small result."""

    @staticmethod
    def create_id(user_id: str, key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/d73/registration/idempotency/{user_id}/{key}")

    @classmethod
    def issue(
        cls,
        *,
        user_id: str,
        key: str,
        digest: str,
        proposal_id: UUID,
        proposal_version: int,
        result: dict[str, Any],
        at: datetime,
    ) -> CommandReceipt:
        return cls(
            user_id=user_id,
            key=key,
            digest=digest,
            proposal_id=proposal_id,
            proposal_version=proposal_version,
            result=result,
            recorded_at=at,
        )

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
        self.proposal_id = proposal_id
        self.proposal_version = proposal_version
        self.result = dict(result)
        self.recorded_at = recorded_at

    def answers(self, digest: str) -> bool:
        """True if this receipt was issued for the same request; raises if the key was reused."""
        if digest != self.digest:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {self.key!r} was used for a different request"
            )
        return True
