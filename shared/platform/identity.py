"""Who is acting: a bearer JWT verified with a configured key, naming a person of the
organisation directory (design.md §5; issue #11 §4).

A token carries `sub` (the person id) and `roles`, nothing more that counts: name, unit and
position come from the directory version in force (`shared.directory`), and a role is honoured
only where that version gives it to the person (`granted_roles`). A genuine token naming
someone the directory does not hold, or a role it does not give them, is refused
(`IdentityRefused`, HTTP 403). HS256 with a shared secret, or an asymmetric public key (EdDSA,
RS256, ES256) from a PEM file. `d73 token` mints development tokens.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt

from shared.contracts.bounds import MAX_NAME_CHARS, text_problem
from shared.kernel.actor import Actor
from shared.kernel.calendar import local_date
from shared.kernel.directory import (
    DirectoryLookupError,
    Member,
    OrganisationDirectory,
    SystemDuty,
    SystemStaff,
    Unit,
    UnitKind,
    load_directory,
)
from shared.platform.settings import Settings


class Role(StrEnum):
    PROPOSER = "proposer"
    UNIT_HEAD = "unit_head"
    HOME_AFFAIRS = "home_affairs"
    CITY_COMMITTEE = "city_committee"
    COUNCIL = "council"
    AUDITOR = "auditor"
    ADMIN = "admin"


class TokenError(Exception):
    """The token is missing, malformed, expired or not signed by our key (HTTP 401)."""


class IdentityRefused(Exception):
    """A genuine token the directory does not back (HTTP 403): its person is not in the
    directory version in force, or it claims a role that version does not give them."""

    def __init__(self, detail_vi: str, detail_en: str) -> None:
        super().__init__(detail_en)
        self.detail_vi = detail_vi
        self.detail_en = detail_en


SYSTEM_DUTY_ROLES: Mapping[SystemDuty, Role] = {
    SystemDuty.AUDIT: Role.AUDITOR,
    SystemDuty.ADMINISTRATION: Role.ADMIN,
}


def granted_roles(directory: OrganisationDirectory, unit: Unit, member: Member) -> frozenset[Role]:
    """The roles `directory` gives `member` of `unit`, from their post alone:

    - every official of a unit may propose (Art 7 §1: `proposer`);
    - the head of a unit reviews its cases and reads its agency's review (`unit_head`);
    - members of the City People's Committee act for it (`city_committee`);
    - Sở Nội vụ's staff, and its divisions', take files in and monitor (Plan 88 II.3.a, IV.2:
      `home_affairs`);
    - auditors and administrators are the directory's `system_staff`, and only that.
    """
    if isinstance(member, SystemStaff):
        return frozenset({SYSTEM_DUTY_ROLES[member.duty]})
    roles = {Role.PROPOSER}
    if unit.head.person_id == member.person_id:
        roles.add(Role.UNIT_HEAD)
    if unit.kind is UnitKind.CITY_PC:
        roles.add(Role.CITY_COMMITTEE)
    if _within(directory, unit.id, directory.home_affairs.id):
        roles.add(Role.HOME_AFFAIRS)
    return frozenset(roles)


def _within(directory: OrganisationDirectory, unit_id: str, ancestor_id: str) -> bool:
    current: str | None = unit_id
    while current is not None:
        if current == ancestor_id:
            return True
        current = directory.unit(current).superior_id
    return False


@functools.cache
def directory_people(directory: OrganisationDirectory) -> Mapping[str, Actor]:
    """Everyone `directory` names, as the actor they are with every role it gives them:
    unit members in the directory's order (heads first), then auditors and administrators."""
    posts: list[tuple[Unit, Member]] = list(directory.members())
    posts += [(directory.unit(staff.unit_id), staff) for staff in directory.system_staff]
    return {
        member.person_id: Actor(
            user_id=member.person_id,
            name=member.name,
            unit_id=unit.id,
            position=member.position,
            roles=frozenset(role.value for role in granted_roles(directory, unit, member)),
        )
        for unit, member in posts
    }


def resolve(directory: OrganisationDirectory, person_id: str, roles: Iterable[str]) -> Actor:
    """The actor `person_id` is in `directory` (one version), acting with `roles`; raises
    `IdentityRefused` for a person it does not hold or a role it does not give them."""
    person = directory_people(directory).get(person_id)
    if person is None:
        raise IdentityRefused(
            f"Mã thông báo nêu người dùng {person_id!r}, nhưng danh bạ tổ chức đang có hiệu "
            f"lực (phiên bản {directory.version}) không có người này.",
            f"The token names {person_id!r}, whom the organisation directory in force "
            f"(version {directory.version}) does not hold.",
        )
    claimed = frozenset(roles)
    refused = claimed - person.roles
    if refused:
        unit = directory.unit(person.unit_id)
        position = directory.position(person.position)
        refused_list, given = ", ".join(sorted(refused)), ", ".join(sorted(person.roles))
        raise IdentityRefused(
            f"Danh bạ tổ chức (phiên bản {directory.version}) không giao vai trò "
            f"{refused_list} cho {person.name} ({position.name_vi}, {unit.name_vi}); "
            f"vai trò được giao: {given}.",
            f"The organisation directory (version {directory.version}) does not give "
            f"{person.user_id} the role(s) {refused_list}; it gives: {given}.",
        )
    return Actor(
        user_id=person.user_id,
        name=person.name,
        unit_id=person.unit_id,
        position=person.position,
        roles=claimed,
    )


ASYMMETRIC = ["EdDSA", "RS256", "ES256"]
KNOWN_TOKENS = 4096
"""How many verified tokens a verifier remembers until their expiry."""


def today_in_vietnam() -> date:
    return local_date(datetime.now(UTC))


class TokenVerifier:
    """Checks a token's signature and claims, then finds its person in the directory version
    in force on `today()` (the service's clock). Who may act on a case is another question,
    answered by person id in the version the case was routed with (`CaseAuthority`)."""

    def __init__(
        self,
        settings: Settings,
        *,
        directory: OrganisationDirectory | None = None,
        today: Callable[[], date] = today_in_vietnam,
    ) -> None:
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
        self._known: dict[str, tuple[float, str, tuple[str, ...]]] = {}
        self.directory = directory or load_directory(
            settings.jurisdiction, extra_dir=settings.directory_dir
        )
        self.today = today

    def verify(self, token: str) -> Actor:
        """The actor of a token: TokenError if it is not ours, IdentityRefused if the
        directory does not back it."""
        if self.key is None:
            raise TokenError("no key to verify tokens with: set D73_JWT_SECRET")
        person_id, roles = self._verified(token)
        day = self.today()
        try:
            directory = self.directory.in_force(day)
        except DirectoryLookupError:
            raise IdentityRefused(
                f"Không có danh bạ tổ chức nào có hiệu lực vào ngày {day:%d/%m/%Y}.",
                f"No organisation directory is in force on {day.isoformat()}.",
            ) from None
        return resolve(directory, person_id, roles)

    def _verified(self, token: str) -> tuple[str, list[str]]:
        """The person and roles of a genuine, unexpired token.

        A client sends the same token with each request until it expires: its signature and
        claims are checked once, then remembered (by the whole token, for this verifier's one
        key) until its `exp`, so a request pays a dictionary look-up instead of a signature
        check. The directory is still asked on every request, as its version in force may
        change."""
        known = self._known.get(token)
        if known is not None and time.time() < known[0]:
            return known[1], list(known[2])
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=self.algorithms,
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iss"]},
            )
        except jwt.PyJWTError as error:
            self._known.pop(token, None)
            raise TokenError(str(error)) from None
        person_id, roles = _claims_of(claims)
        if len(self._known) >= KNOWN_TOKENS:
            self._known.clear()  # rare: many people at once; each is verified again once
        self._known[token] = (float(claims["exp"]), person_id, tuple(roles))
        return person_id, roles


def _claims_of(claims: dict[str, Any]) -> tuple[str, list[str]]:
    """The person and roles a verified token names; a claim of the wrong type or size is a bad
    token. Other claims (a name, a unit…) are ignored: the directory says who someone is."""
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise TokenError("`roles` must be a list of role names")
    unknown = set(roles) - {r.value for r in Role}
    if unknown:
        raise TokenError(f"unknown roles: {sorted(unknown)}")
    sub = claims.get("sub", "")
    if not isinstance(sub, str | int) or isinstance(sub, bool):
        raise TokenError("`sub` must be text")
    text = str(sub)
    problem = text_problem(text, max_chars=MAX_NAME_CHARS, multiline=False)
    if problem is not None or not text.strip():
        raise TokenError(f"`sub` {problem or 'is empty'}")
    return text, roles


def mint_token(
    settings: Settings,
    *,
    user_id: str,
    roles: Iterable[str],
    ttl_seconds: int = 8 * 3600,
    private_key_pem: str | None = None,
    algorithm: str = "HS256",
) -> str:
    """A signed token naming a person and the roles they act with; HS256 with the configured
    (or development) secret unless a key is given. Who they are is the directory's to say."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "roles": sorted(roles),
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
