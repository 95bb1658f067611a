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

Witnesses read the keys of other services from `D73_TRUSTED_KEY_DIR` (default: the key
directory, where `d73 run` keeps every service's key). When it is set, each service also writes
its public key there as `<service>.<key id>.pub.pem`, so a deployment can share one directory of
public keys (docker compose's `trusted-keys` volume) without sharing private ones.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.platform.settings import Settings
from shared.records.merkle.keys import (
    generate_signing_key,
    key_id,
    load_private_key,
    load_public_key,
    private_key_from_pem,
    public_key_b64,
    save_private_key,
    save_public_key,
)

log = logging.getLogger("d73.audit")


def key_dir_of(settings: Settings) -> Path:
    return settings.signing_key_dir or settings.data_dir / "keys"


def given_key_of(settings: Settings) -> bytes | None:
    """The signing key's PEM given in the settings (`D73_SIGNING_KEY_FILE`), if any; warns when
    the key instead lies in the data directory, beside the store it signs (issue #12 §4)."""
    if settings.signing_key is not None:
        return settings.signing_key.get_secret_value().encode()
    key_dir = key_dir_of(settings).resolve()
    if not settings.development and key_dir.is_relative_to(settings.data_dir.resolve()):
        log.warning(
            "the signing key lies in %s, beside the store it signs: give it as "
            "D73_SIGNING_KEY_FILE, or D73_SIGNING_KEY_DIR on another mount (docs/operators.md)",
            key_dir,
        )
    return None


def trusted_key_dir_of(settings: Settings) -> Path:
    return settings.trusted_key_dir or key_dir_of(settings)


def export_dir_of(settings: Settings) -> Path | None:
    """Where a service also writes its public key for witnesses: `D73_TRUSTED_KEY_DIR`, if set."""
    return trusted_key_dir_of(settings) if settings.trusted_key_dir else None


def export_public_key(key: Ed25519PublicKey, service: str, directory: Path) -> Path:
    """Write `<service>.<key id>.pub.pem` into a shared directory of public keys, once."""
    path = directory / f"{service}.{key_id(key)}.pub.pem"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        _place(path, lambda scratch: save_public_key(key, scratch), mode=0o644)
    return path


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


def _place(path: Path, write: Callable[[str], None], *, mode: int | None = None) -> bool:
    """Write a file at `path` unless one is there; True if this call placed it.

    Written to a temporary file, then linked into place, so that of two processes starting at
    once only one believes it wrote the file, and nobody ever reads a half-written one.
    """
    descriptor, scratch = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".pem")
    os.close(descriptor)
    try:
        write(scratch)
        if mode is not None:
            os.chmod(scratch, mode)
        try:
            os.link(scratch, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)


def _create_private_key(path: Path) -> bool:
    """Write a fresh key at `path` unless one is there; True if this call wrote it."""
    return _place(path, lambda scratch: save_private_key(generate_signing_key(), scratch))


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
    def load_or_create(
        cls,
        service: str,
        key_dir: Path,
        *,
        export_to: Path | None = None,
        given: bytes | None = None,
    ) -> ServiceKeys:
        """The service's key, generated on first run (development) and announced in the log;
        its public half also written into `export_to` (witnesses' trusted keys), if given.

        `given`: the private key's PEM from elsewhere (`D73_SIGNING_KEY_FILE`: a secret file, a
        separate mount, a file descriptor), never written to disk; `key_dir` then keeps only
        public keys (issue #12 §4: the signing key is not the store's neighbour)."""
        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if given is not None:
            return cls._from_given(service, key_dir, given, export_to)
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
        if export_to is not None and export_to.resolve() != key_dir.resolve():
            export_public_key(private_key.public_key(), service, export_to)
        keys = cls(service, private_key, trusted_public_keys(key_dir, service))
        log.info(
            "%s signs its audit checkpoints with key %s (public key %s)",
            service,
            keys.key_id,
            public_key_b64(keys.public_key),
        )
        return keys

    @classmethod
    def _from_given(
        cls, service: str, key_dir: Path, pem: bytes, export_to: Path | None
    ) -> ServiceKeys:
        private_key = private_key_from_pem(pem, "D73_SIGNING_KEY(_FILE)")
        public = private_key.public_key()
        export_public_key(public, service, key_dir)  # trusted for its own checkpoints
        if export_to is not None and export_to.resolve() != key_dir.resolve():
            export_public_key(public, service, export_to)
        log.info(
            "%s signs its audit checkpoints with the key given (key id %s)", service, key_id(public)
        )
        return cls(service, private_key, trusted_public_keys(key_dir, service))


class TrustedKeys:
    """The public keys a witness trusts for each service's checkpoints, from one directory.

    Read again when a checkpoint names a key not known yet: the service may have started after
    the witness, or rotated its key (its retired keys stay in the directory).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._by_service: dict[str, dict[str, Ed25519PublicKey]] = {}

    def of(self, service: str, key_id: str | None = None) -> dict[str, Ed25519PublicKey]:
        keys = self._by_service.get(service)
        if keys is None or (key_id is not None and key_id not in keys):
            keys = trusted_public_keys(self.directory, service) if self.directory.is_dir() else {}
            self._by_service[service] = keys
        return keys
