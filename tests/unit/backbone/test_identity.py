"""Who a token names (issue #11 §4): its signature and claims are checked, then the person is
looked up in the organisation directory version in force, which alone says their name, unit,
position and which roles they may act with."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.kernel.actor import Actor
from shared.kernel.directory import load_directory
from shared.platform.identity import (
    IdentityRefused,
    Role,
    TokenError,
    TokenVerifier,
    directory_people,
    mint_token,
)
from shared.platform.settings import Settings

SECRET = "s" * 40
SETTINGS = Settings(jwt_secret=SECRET)


def verify(token: str, on: date = date(2026, 1, 5)) -> Actor:
    return TokenVerifier(SETTINGS, today=lambda: on).verify(token)


def test_a_token_names_a_person_whom_the_directory_describes() -> None:
    token = mint_token(SETTINGS, user_id="ct.p0018", roles=["proposer", "unit_head"])
    actor = TokenVerifier(SETTINGS).verify(token)
    assert (actor.user_id, actor.unit_id, actor.position) == ("ct.p0018", "ct.so-y-te", "director")
    assert actor.name == load_directory().post_of("ct.p0018")[1].name
    assert actor.roles == frozenset({"proposer", "unit_head"})


def test_forged_name_unit_and_position_claims_are_ignored() -> None:
    """An unlisted title claimed in the token changes nothing: the directory says who this is."""
    now = int(time.time())
    claims = {
        "sub": "ct.p0143",  # an intake specialist of Sở Tư pháp's office
        "name": "Giám đốc",
        "unit": "ct.so-noi-vu",
        "position": "director",
        "roles": ["proposer"],
        "iss": "d73",
        "exp": now + 60,
    }
    actor = TokenVerifier(SETTINGS).verify(jwt.encode(claims, SECRET, algorithm="HS256"))
    assert (actor.unit_id, actor.position) == ("ct.so-tu-phap", "specialist")
    assert actor.name == "Dương Diệu Bình"


def test_a_person_the_directory_does_not_hold_is_refused() -> None:
    token = mint_token(SETTINGS, user_id="ct.p9999", roles=["proposer"])
    with pytest.raises(IdentityRefused, match=r"ct\.p9999") as refused:
        TokenVerifier(SETTINGS).verify(token)
    assert "danh bạ tổ chức" in refused.value.detail_vi


@pytest.mark.parametrize(
    ("person_id", "role"),
    [
        ("ct.p0026", "home_affairs"),  # Giám đốc Sở Tư pháp is not Sở Nội vụ
        ("ct.p0026", "city_committee"),
        ("ct.p0026", "auditor"),
        ("ct.p0026", "admin"),
        ("ct.p0027", "unit_head"),  # a deputy director is not the head
        ("ct.p0143", "unit_head"),  # office staff
        ("ct.p0901", "proposer"),  # an auditor is not an official who proposes
        ("ct.p0901", "admin"),
        ("ct.p0951", "auditor"),
        ("ct.p0008", "council"),  # a role nobody holds
    ],
)
def test_a_role_the_directory_does_not_give_is_refused(person_id: str, role: str) -> None:
    token = mint_token(SETTINGS, user_id=person_id, roles=[role])
    with pytest.raises(IdentityRefused, match=role) as refused:
        verify(token)
    assert "không giao vai trò" in refused.value.detail_vi


@pytest.mark.parametrize(
    ("person_id", "roles"),
    [
        ("ct.p0008", {"proposer", "unit_head", "home_affairs"}),  # Giám đốc Sở Nội vụ
        ("ct.p0132", {"proposer", "home_affairs"}),  # Sở Nội vụ's intake specialist
        ("ct.p0057", {"proposer", "unit_head", "home_affairs"}),  # a division of Sở Nội vụ
        ("ct.p0001", {"proposer", "unit_head", "city_committee"}),  # the city's chairman
        ("ct.p0002", {"proposer", "city_committee"}),  # a vice-chairman
        ("ct.p0026", {"proposer", "unit_head"}),
        ("ct.p0027", {"proposer"}),
        ("ct.p0901", {"auditor"}),
        ("ct.p0951", {"admin"}),
    ],
)
def test_the_directory_gives_roles_by_post(person_id: str, roles: set[str]) -> None:
    for version in load_directory().versions:
        assert directory_people(version)[person_id].roles == roles, version
    assert verify(mint_token(SETTINGS, user_id=person_id, roles=roles)).roles == roles


def test_auditors_and_administrators_are_in_both_directory_versions() -> None:
    for version in load_directory().versions:
        people = directory_people(version).values()
        assert any(p.roles == {Role.AUDITOR} for p in people), version
        assert any(p.roles == {Role.ADMIN} for p in people), version


def test_the_version_in_force_on_the_services_day_says_who_someone_is() -> None:
    """A district head of 2024 heads a ward from 1/7/2025; a district that ended has no head."""
    head = mint_token(SETTINGS, user_id="ct.p0091", roles=["unit_head"])
    assert verify(head, on=date(2025, 6, 30)).unit_id == "ct.ninh-kieu"
    assert verify(head, on=date(2025, 7, 1)).unit_id == "ct.phuong-ninh-kieu"
    gone = mint_token(SETTINGS, user_id="ct.p0112", roles=["proposer"])
    assert verify(gone, on=date(2025, 6, 30)).unit_id == "ct.vinh-thanh"
    with pytest.raises(IdentityRefused, match=r"2025\.1"):
        verify(gone, on=date(2025, 7, 1))
    with pytest.raises(IdentityRefused, match="2023-01-01"):
        verify(head, on=date(2023, 1, 1))


def test_token_signed_with_another_key_is_refused() -> None:
    token = mint_token(Settings(jwt_secret="a" * 40), user_id="ct.p0026", roles=[])
    with pytest.raises(TokenError, match="Signature"):
        TokenVerifier(Settings(jwt_secret="b" * 40)).verify(token)


def test_expired_token_is_refused() -> None:
    claims = {"sub": "ct.p0026", "iss": "d73", "exp": int(time.time()) - 10, "roles": []}
    with pytest.raises(TokenError, match="expired"):
        TokenVerifier(SETTINGS).verify(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_a_token_verified_once_is_refused_again_once_it_expires() -> None:
    """The verifier remembers a checked token, but only until its `exp` (a second at most)."""
    exp = int(time.time()) + 1
    claims = {"sub": "ct.p0018", "iss": "d73", "exp": exp, "roles": ["proposer"]}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    verifier = TokenVerifier(SETTINGS, today=lambda: date(2026, 1, 5))
    first = verifier.verify(token)
    assert verifier.verify(token) == first  # remembered: the same actor
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)


def test_a_remembered_token_is_still_checked_against_the_directory_in_force() -> None:
    token = mint_token(SETTINGS, user_id="ct.p0018", roles=["proposer"])
    day = [date(2026, 1, 5)]
    verifier = TokenVerifier(SETTINGS, today=lambda: day[0])
    verifier.verify(token)
    day[0] = date(1990, 1, 1)  # no directory in force then
    with pytest.raises(IdentityRefused):
        verifier.verify(token)


def test_unknown_role_is_refused() -> None:
    token = mint_token(SETTINGS, user_id="ct.p0026", roles=["king"])
    with pytest.raises(TokenError, match="unknown roles"):
        TokenVerifier(SETTINGS).verify(token)


def test_public_key_verification_with_eddsa(tmp_path: Path) -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_file = tmp_path / "jwt.pub.pem"
    public_file.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = Settings(jwt_public_key_file=public_file)
    token = mint_token(
        settings, user_id="ct.p0901", roles=["auditor"], private_key_pem=pem, algorithm="EdDSA"
    )
    assert TokenVerifier(settings).verify(token).roles == {"auditor"}
    hs_token = mint_token(Settings(jwt_secret="z" * 40), user_id="ct.p0901", roles=[])
    with pytest.raises(TokenError):
        TokenVerifier(settings).verify(hs_token)
