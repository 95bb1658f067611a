"""The Ed25519 key a service signs its checkpoints with, and the public keys that verify them.

Files in the key directory (`D73_SIGNING_KEY_DIR`, default `<data dir>/keys`):

- `<service>.ed25519.pem`: the private key (PKCS#8 PEM, mode 0600). Generated on first run —
  a development convenience; in production the operator provisions it — and its public half is
  logged, written beside it and served at `GET /audit/public-key`.
- `<service>.ed25519.pub.pem`: its public half, for auditors and witnesses.
- `<service>.<anything>.pub.pem`: retired public keys. A new key signs new checkpoints only;
  those signed with an old key must verify for years (docs/operators.md, rotating keys).

Trust comes from these files, never from the event store: whoever can edit the database could
add a key of their own there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.audit.keys import (
    generate_signing_key,
    key_id,
    load_private_key,
    load_public_key,
    public_key_b64,
    save_private_key,
    save_public_key,
)
from shared.settings import Settings

log = logging.getLogger("d73.audit")


def key_dir_of(settings: Settings) -> Path:
    return settings.signing_key_dir or settings.data_dir / "keys"


def private_key_path(key_dir: Path, service: str) -> Path:
    return key_dir / f"{service}.ed25519.pem"


def public_key_path(key_dir: Path, service: str) -> Path:
    return key_dir / f"{service}.ed25519.pub.pem"


def trusted_public_keys(key_dir: Path, service: str) -> dict[str, Ed25519PublicKey]:
    """Every public key of `service` in `key_dir` (current and retired), by key id."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in sorted(key_dir.glob(f"{service}.*pub.pem")):
        key = load_public_key(path)
        keys[key_id(key)] = key
    private = private_key_path(key_dir, service)
    if private.exists():
        current = load_private_key(private).public_key()
        keys[key_id(current)] = current
    return keys


def _create_private_key(path: Path) -> bool:
    """Write a fresh key at `path` unless one is there; True if this call wrote it.

    Written to a temporary file, then linked into place, so that two processes starting at once
    cannot both believe they made the key, and nobody ever reads a half-written file.
    """
    descriptor, scratch = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".pem")
    os.close(descriptor)
    try:
        save_private_key(generate_signing_key(), scratch)
        try:
            os.link(scratch, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)


@dataclass(frozen=True)
class ServiceKeys:
    """The signing key of one service and every public key trusted for its checkpoints."""

    service: str
    private_key: Ed25519PrivateKey
    trusted: dict[str, Ed25519PublicKey]

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    @classmethod
    def load_or_create(cls, service: str, key_dir: Path) -> ServiceKeys:
        """The service's key, generated on first run (development) and announced in the log."""
        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        private = private_key_path(key_dir, service)
        if not private.exists() and _create_private_key(private):
            public = load_private_key(private).public_key()
            save_public_key(public, public_key_path(key_dir, service))
            log.warning(
                "generated a development signing key for %s: key id %s, public key %s "
                "(in %s; provision your own key there for production)",
                service,
                key_id(public),
                public_key_b64(public),
                private,
            )
        if stat.S_IMODE(private.stat().st_mode) & 0o077:
            log.warning("%s is readable by others than its owner; chmod 600 it", private)
        private_key = load_private_key(private)
        public_file = public_key_path(key_dir, service)
        if not public_file.exists():
            save_public_key(private_key.public_key(), public_file)
        keys = cls(service, private_key, trusted_public_keys(key_dir, service))
        log.info(
            "%s signs its audit checkpoints with key %s (public key %s)",
            service,
            keys.key_id,
            public_key_b64(keys.public_key),
        )
        return keys
