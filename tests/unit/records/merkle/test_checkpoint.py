"""Signed checkpoints and witness cosignatures: what a service and a witness put their keys to."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shared.records.merkle.checkpoint import (
    CHECKPOINT_CONTEXT,
    Checkpoint,
    cosign_checkpoint,
    format_time,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignature,
)
from shared.records.merkle.errors import (
    BadSignature,
    KeyFileError,
    MalformedCheckpoint,
    WrongKey,
    WrongService,
)
from shared.records.merkle.keys import (
    generate_signing_key,
    key_id,
    load_private_key,
    load_public_key,
    public_key_b64,
    public_key_from_b64,
    raw_public_key,
    save_private_key,
    save_public_key,
)
from shared.records.merkle.tree import leaf_hash

KEY = generate_signing_key()
ROOT = leaf_hash(b"root")
AT = datetime(2026, 11, 26, 10, 0, tzinfo=timezone(timedelta(hours=7)))


def checkpoint(**changes: object) -> Checkpoint:
    signed = sign_checkpoint(KEY, service="registration", tree_size=42, root_hash=ROOT, time=AT)
    return dataclasses.replace(signed, **changes)  # type: ignore[arg-type]


def test_a_checkpoint_signs_service_size_root_utc_time_and_key_id() -> None:
    signed = checkpoint()
    verify_checkpoint(KEY.public_key(), signed, service="registration")
    assert signed.body() == {
        "service": "registration",
        "tree_size": 42,
        "root_hash": ROOT.hex(),
        "time": "2026-11-26T03:00:00.000000Z",
        "key_id": key_id(KEY.public_key()),
    }
    assert signed.signed_bytes().startswith(CHECKPOINT_CONTEXT + b'{"key_id":')


@pytest.mark.parametrize(
    "changes",
    [
        {"service": "approval"},
        {"tree_size": 41},
        {"root_hash": leaf_hash(b"other").hex()},
        {"time": "2026-11-26T03:00:01.000000Z"},
    ],
)
def test_changing_any_signed_field_breaks_the_signature(changes: dict[str, object]) -> None:
    with pytest.raises(BadSignature):
        verify_checkpoint(KEY.public_key(), checkpoint(**changes))


def test_another_services_checkpoint_is_refused() -> None:
    with pytest.raises(WrongService):
        verify_checkpoint(KEY.public_key(), checkpoint(), service="approval")


def test_a_checkpoint_checked_with_another_key_is_refused() -> None:
    other = generate_signing_key()
    with pytest.raises(WrongKey):
        verify_checkpoint(other.public_key(), checkpoint())
    # Naming the other key does not help: the signature is still KEY's.
    with pytest.raises(BadSignature):
        verify_checkpoint(other.public_key(), checkpoint(key_id=key_id(other.public_key())))


@pytest.mark.parametrize(
    "changes",
    [
        {"tree_size": -1},
        {"tree_size": True},
        {"root_hash": "AB" * 32},
        {"root_hash": "ab" * 31},
        {"time": "2026-11-26T10:00:00+07:00"},
        {"time": "2026-13-26T10:00:00Z"},
        {"key_id": "xyz"},
        {"signature": "not base64!"},
        {"signature": base64.b64encode(b"short").decode()},
        {"service": "two words"},
    ],
)
def test_malformed_checkpoints_are_refused_before_any_crypto(changes: dict[str, object]) -> None:
    with pytest.raises(MalformedCheckpoint):
        verify_checkpoint(KEY.public_key(), checkpoint(**changes))


def test_a_checkpoint_survives_json_and_back() -> None:
    witness = generate_signing_key()
    signed = checkpoint()
    signed = signed.with_cosignature(cosign_checkpoint(witness, signed, witness_id="reporting"))
    again = Checkpoint.from_dict(json.loads(json.dumps(signed.to_dict())))
    assert again == signed
    verify_checkpoint(KEY.public_key(), again)
    verify_cosignature(witness.public_key(), again, again.cosignatures[0])


def test_from_dict_names_the_missing_field() -> None:
    data = checkpoint().to_dict()
    del data["root_hash"]
    with pytest.raises(MalformedCheckpoint, match="root_hash"):
        Checkpoint.from_dict(data)


def test_a_cosignature_binds_the_witness_to_that_checkpoint_only() -> None:
    witness = generate_signing_key()
    signed = checkpoint()
    cosignature = cosign_checkpoint(witness, signed, witness_id="reporting", time=AT)
    verify_cosignature(witness.public_key(), signed, cosignature)
    later = sign_checkpoint(KEY, service="registration", tree_size=43, root_hash=ROOT, time=AT)
    with pytest.raises(BadSignature):
        verify_cosignature(witness.public_key(), later, cosignature)
    with pytest.raises(BadSignature):
        verify_cosignature(
            witness.public_key(), signed, dataclasses.replace(cosignature, witness_id="approval")
        )
    with pytest.raises(WrongKey):
        verify_cosignature(KEY.public_key(), signed, cosignature)


def test_a_cosignature_never_passes_for_a_checkpoint_signature() -> None:
    # Same key for both roles on purpose: only the context line tells the messages apart.
    cosignature = cosign_checkpoint(KEY, checkpoint(), witness_id="reporting")
    with pytest.raises(BadSignature):
        verify_checkpoint(KEY.public_key(), checkpoint(signature=cosignature.signature))


def test_time_is_utc_with_z_and_must_be_aware() -> None:
    assert format_time(datetime(2026, 1, 1, 7, tzinfo=timezone(timedelta(hours=7)))) == (
        "2026-01-01T00:00:00.000000Z"
    )
    with pytest.raises(ValueError, match="aware"):
        format_time(datetime(2026, 1, 1))  # naive, on purpose
    assert checkpoint().instant == AT.astimezone(UTC)


def test_key_id_is_the_first_8_bytes_of_sha256_of_the_raw_key() -> None:
    public = KEY.public_key()
    assert key_id(public) == hashlib.sha256(raw_public_key(public)).hexdigest()[:16]
    assert len(raw_public_key(public)) == 32
    assert raw_public_key(public_key_from_b64(public_key_b64(public))) == raw_public_key(public)
    with pytest.raises(KeyFileError):
        public_key_from_b64(base64.b64encode(b"x" * 31).decode())
    with pytest.raises(KeyFileError):
        public_key_from_b64("@@@")


def test_private_key_file_is_owner_only_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "registration.key"
    path.write_text("old")
    path.chmod(0o644)
    save_private_key(KEY, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_private_key(path)
    assert raw_public_key(loaded.public_key()) == raw_public_key(KEY.public_key())
    save_public_key(KEY.public_key(), tmp_path / "registration.pub")
    public = load_public_key(tmp_path / "registration.pub")
    assert key_id(public) == key_id(KEY.public_key())


def test_key_files_of_other_kinds_are_refused(tmp_path: Path) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "ec.key").write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyFileError, match="not an Ed25519"):
        load_private_key(tmp_path / "ec.key")
    (tmp_path / "garbage.pub").write_text("garbage")
    with pytest.raises(KeyFileError):
        load_public_key(tmp_path / "garbage.pub")
    with pytest.raises(KeyFileError):
        load_private_key(tmp_path / "missing.key")
