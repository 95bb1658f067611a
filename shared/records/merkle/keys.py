"""Ed25519 keys of a service's log and of its witnesses: files, raw form and short ids."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.records.merkle.errors import KeyFileError

PUBLIC_KEY_SIZE = 32


def generate_signing_key() -> Ed25519PrivateKey:
    """A fresh log (or witness) key; keep its private half where only the service reads it."""
    return Ed25519PrivateKey.generate()


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key (RFC 8032)."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    """The raw public key in standard, padded base64: how bundles and checkpoints carry it."""
    return base64.b64encode(raw_public_key(public_key)).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """The public key of `public_key_b64`; `KeyFileError` if it is not 32 bytes of base64."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError, TypeError) as error:
        raise KeyFileError(f"public key is not base64: {error}") from error
    if len(raw) != PUBLIC_KEY_SIZE:
        raise KeyFileError(f"an Ed25519 public key has {PUBLIC_KEY_SIZE} bytes, not {len(raw)}")
    try:
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise KeyFileError(f"not an Ed25519 public key: {error}") from error


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 8 bytes of SHA-256 of the raw public key, in hex: names the key in checkpoints."""
    return hashlib.sha256(raw_public_key(public_key)).digest()[:8].hex()


def save_private_key(private_key: Ed25519PrivateKey, path: Path | str) -> None:
    """Write the key as unencrypted PKCS#8 PEM, readable by its owner only (mode 0600)."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        # An existing file keeps its old mode through O_CREAT: tighten it before writing.
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, pem)
    finally:
        os.close(descriptor)


def load_private_key(path: Path | str) -> Ed25519PrivateKey:
    """Read a PEM private key written by `save_private_key`."""
    try:
        pem = Path(path).read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read the private key in {path}: {error}") from error
    return private_key_from_pem(pem, str(path))


def private_key_from_pem(pem: bytes, where: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from its PEM text (`where` names it in errors)."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"cannot read the private key in {where}: {error}") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{where} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def save_public_key(public_key: Ed25519PublicKey, path: Path | str) -> None:
    """Write the public key as SubjectPublicKeyInfo PEM, for auditors and witnesses."""
    Path(path).write_bytes(
        public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    """Read a PEM public key written by `save_public_key`."""
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as error:
        raise KeyFileError(f"cannot read the public key in {path}: {error}") from error
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key
