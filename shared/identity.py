"""Who is acting: a bearer JWT verified with a configured key (design.md §5).

Claims: `sub` (person id), `name`, `unit` (agency or locality id), `position` (a code of the
organisation directory) and `roles`. HS256 with a shared secret, or an asymmetric public key
(EdDSA, RS256, ES256) from a PEM file. `d73 token` mints development tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt

from shared.contracts.bounds import MAX_NAME_CHARS, text_problem
from shared.settings import Settings


class Role(StrEnum):
    PROPOSER = "proposer"
    UNIT_HEAD = "unit_head"
    HOME_AFFAIRS = "home_affairs"
    CITY_COMMITTEE = "city_committee"
    COUNCIL = "council"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    unit_id: str
    position: str
    roles: frozenset[str]

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "unit_id": self.unit_id,
            "position": self.position,
            "roles": sorted(self.roles),
        }


class TokenError(Exception):
    """The token is missing, malformed, expired or not signed by our key."""


ASYMMETRIC = ["EdDSA", "RS256", "ES256"]


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.jwt_issuer
        if settings.jwt_public_key_file is not None:
            self.key: Any = Path(settings.jwt_public_key_file).read_text()
            self.algorithms = ASYMMETRIC
        else:
            # None outside development mode without a key: every token is refused (and the
            # service refuses to start anyway, Settings.require_safe_secrets).
            self.key = settings.hs256_key()
            self.algorithms = ["HS256"]
        self.development = settings.development

    def verify(self, token: str) -> Actor:
        if self.key is None:
            raise TokenError("no key to verify tokens with: set D73_JWT_SECRET")
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise TokenError(str(error)) from None
        return _actor_of(claims)


def _actor_of(claims: dict[str, Any]) -> Actor:
    """The actor a verified token names; a claim of the wrong type or size is a bad token."""
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise TokenError("`roles` must be a list of role names")
    unknown = set(roles) - {r.value for r in Role}
    if unknown:
        raise TokenError(f"unknown roles: {sorted(unknown)}")
    texts: dict[str, str] = {}
    for claim in ("sub", "name", "unit", "position"):
        value = claims.get(claim, "")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise TokenError(f"`{claim}` must be text")
        text = str(value)
        problem = text_problem(text, max_chars=MAX_NAME_CHARS, multiline=False)
        if problem is not None or (claim == "sub" and not text.strip()):
            raise TokenError(f"`{claim}` {problem or 'is empty'}")
        texts[claim] = text
    return Actor(
        user_id=texts["sub"],
        name=texts["name"],
        unit_id=texts["unit"],
        position=texts["position"],
        roles=frozenset(roles),
    )


def mint_token(
    settings: Settings,
    *,
    user_id: str,
    name: str,
    unit_id: str,
    position: str,
    roles: list[str],
    ttl_seconds: int = 8 * 3600,
    private_key_pem: str | None = None,
    algorithm: str = "HS256",
) -> str:
    """A signed token; HS256 with the configured (or development) secret unless a key is given."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "name": name,
        "unit": unit_id,
        "position": position,
        "roles": roles,
        "iss": settings.jwt_issuer,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if private_key_pem is not None:
        return jwt.encode(claims, private_key_pem, algorithm=algorithm)
    key = settings.hs256_key()
    if key is None:
        raise TokenError("no key to sign with: set D73_JWT_SECRET (or D73_DEVELOPMENT=true)")
    return jwt.encode(claims, key, algorithm="HS256")
