"""Where attachment files are kept: by SHA-256, so identical content is stored once and a hash in
an event names exactly one file forever.

- `FileAttachmentStore` (SQLite deployments): `<data dir>/attachments/sha256/ab/cdef…`. An upload
  is written to `attachments/tmp/` while it is hashed, fsynced, then hard-linked to its final
  name in one atomic step; the final name never holds a partial file.
- `PostgresAttachmentStore` (at scale, several hosts): a table of registration's own database,
  keyed by hash; the upload is spooled to a temporary file first, then inserted in one statement.

A file is stored before the event that references it is committed; if that commit fails the
application discards a file it has just stored, so nothing ever references a missing file. A
crash between the two leaves at most an unreferenced blob, which nothing can reach.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from services.registration.domain.attachments import SNIFF_BYTES
from services.registration.domain.errors import AttachmentTooLarge
from shared.platform.sidetables import SideTables

CHUNK = 64 * 1024
STALE_SPOOL_SECONDS = 3600


class Spool:
    """An upload being received: written to a temporary file while its hash and size are
    computed, and refused as soon as it passes the limit."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-", suffix=".part")
        self.path = Path(name)
        self._file = os.fdopen(descriptor, "wb")
        self._hash = hashlib.sha256()
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self.sha256 = ""

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.discard()
            raise AttachmentTooLarge(f"attachments may be at most {self.max_bytes} bytes")
        if len(self.head) < SNIFF_BYTES:
            self.head += chunk[: SNIFF_BYTES - len(self.head)]
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> None:
        """All bytes received: make them durable and fix the hash."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self.sha256 = self._hash.hexdigest()

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class AttachmentStore(Protocol):
    def spool(self, max_bytes: int) -> Spool: ...

    def keep(self, spool: Spool) -> bool:
        """Store a finished spool under its hash (consuming it); True if the content is new."""
        ...

    def discard(self, sha256: str) -> None:
        """Remove content that `keep` has just stored and nothing references."""
        ...

    def has(self, sha256: str) -> bool: ...

    def chunks(self, sha256: str) -> Iterator[bytes]: ...


def _sweep(directory: Path) -> None:
    """Spools older than an hour were left by a crash mid-upload: nothing references them."""
    if not directory.is_dir():
        return
    limit = time.time() - STALE_SPOOL_SECONDS
    for leftover in directory.glob("upload-*.part"):
        try:
            if leftover.stat().st_mtime < limit:
                leftover.unlink()
        except FileNotFoundError:
            pass


class FileAttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.spools = root / "tmp"
        _sweep(self.spools)

    def path_of(self, sha256: str) -> Path:
        digest = sha256.lower()
        return self.root / "sha256" / digest[:2] / digest[2:]

    def spool(self, max_bytes: int) -> Spool:
        return Spool(self.spools, max_bytes)

    def keep(self, spool: Spool) -> bool:
        final = self.path_of(spool.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(spool.path, final)  # atomic, and never replaces an existing file
        except FileExistsError:
            return False
        finally:
            spool.discard()
        os.chmod(final, 0o400)  # never changed again, and read by registration only
        directory = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return True

    def discard(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    def has(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def chunks(self, sha256: str) -> Iterator[bytes]:
        with self.path_of(sha256).open("rb") as stored:
            while chunk := stored.read(CHUNK):
                yield chunk


BLOBS_DDL = """
CREATE TABLE IF NOT EXISTS registration_attachments (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


class PostgresAttachmentStore:
    def __init__(self, tables: SideTables, spools: Path) -> None:
        self.tables = tables
        self.spools = spools
        _sweep(self.spools)
        with tables.transaction(write=True) as tx:
            tx.execute(BLOBS_DDL)

    def spool(self, max_bytes: int) -> Spool:
        return Spool(self.spools, max_bytes)

    def keep(self, spool: Spool) -> bool:
        try:
            content = spool.path.read_bytes()
            with self.tables.transaction(write=True) as tx:
                inserted = tx.query(
                    "INSERT INTO registration_attachments (sha256, size, content) VALUES (?, ?, ?)"
                    " ON CONFLICT (sha256) DO NOTHING RETURNING sha256",
                    (spool.sha256, spool.size, content),
                )
        finally:
            spool.discard()
        return bool(inserted)

    def discard(self, sha256: str) -> None:
        with self.tables.transaction(write=True) as tx:
            tx.execute("DELETE FROM registration_attachments WHERE sha256 = ?", (sha256.lower(),))

    def has(self, sha256: str) -> bool:
        rows = self.tables.query(
            "SELECT 1 FROM registration_attachments WHERE sha256 = ?", (sha256.lower(),)
        )
        return bool(rows)

    def chunks(self, sha256: str) -> Iterator[bytes]:
        rows = self.tables.query(
            "SELECT content FROM registration_attachments WHERE sha256 = ?", (sha256.lower(),)
        )
        if not rows:
            raise FileNotFoundError(sha256)
        content = bytes(rows[0][0])
        for start in range(0, len(content), CHUNK):
            yield content[start : start + CHUNK]
