from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.identity import TokenError, TokenVerifier, mint_token
from shared.settings import Settings


def test_minted_token_verifies_into_actor() -> None:
    settings = Settings(jwt_secret="s" * 40)
    token = mint_token(
        settings,
        user_id="p-17",
        name="Nguyễn Văn A",
        unit_id="ct.so-y-te",
        position="director",
        roles=["proposer", "unit_head"],
    )
    actor = TokenVerifier(settings).verify(token)
    assert actor.user_id == "p-17"
    assert actor.name == "Nguyễn Văn A"
    assert actor.unit_id == "ct.so-y-te"
    assert actor.position == "director"
    assert actor.roles == frozenset({"proposer", "unit_head"})


def test_token_signed_with_another_key_is_refused() -> None:
    token = mint_token(
        Settings(jwt_secret="a" * 40), user_id="x", name="", unit_id="", position="", roles=[]
    )
    with pytest.raises(TokenError, match="Signature"):
        TokenVerifier(Settings(jwt_secret="b" * 40)).verify(token)


def test_expired_token_is_refused() -> None:
    settings = Settings(jwt_secret="a" * 40)
    claims = {"sub": "x", "iss": "d73", "exp": int(time.time()) - 10, "roles": []}
    with pytest.raises(TokenError, match="expired"):
        TokenVerifier(settings).verify(jwt.encode(claims, "a" * 40, algorithm="HS256"))


def test_unknown_role_is_refused() -> None:
    settings = Settings(jwt_secret="a" * 40)
    token = mint_token(settings, user_id="x", name="", unit_id="", position="", roles=["king"])
    with pytest.raises(TokenError, match="unknown roles"):
        TokenVerifier(settings).verify(token)


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
        settings,
        user_id="a1",
        name="",
        unit_id="",
        position="",
        roles=["auditor"],
        private_key_pem=pem,
        algorithm="EdDSA",
    )
    assert TokenVerifier(settings).verify(token).roles == {"auditor"}
    hs_token = mint_token(
        Settings(jwt_secret="z" * 40), user_id="a1", name="", unit_id="", position="", roles=[]
    )
    with pytest.raises(TokenError):
        TokenVerifier(settings).verify(hs_token)
