"""`d73 backup <service> <dir>` and `d73 restore <service> <dir>` (issue #12 §2).

A backup holds everything of one service that is not in NATS: its event store with the read
models and checkpoints kept beside it (SQLite files copied with SQLite's online backup, or a
`pg_dump` of its PostgreSQL database), its signing keys, and registration's attachment files.
It can be taken while the service runs.

A restore puts them back while the service is stopped. When the service starts again, its relay
first takes back from the service's journal (`shared.records.journal`) every event committed after
the backup, with its own notification id, then checks the store against its signed log and its
stream: nothing acknowledged is lost and no position is used twice. docs/operators.md,
"Backup and restore", is the procedure.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from shared.platform.eventstore import database_name, ensure_postgres_database
from shared.platform.settings import Persistence, Settings
from shared.records.servicelog.keys import key_dir_of

SERVICES = ("registration", "approval", "reporting")
MANIFEST = "d73-backup.json"

app = typer.Typer()
ServiceName = Annotated[str, typer.Argument(help="registration | approval | reporting")]
Folder = Annotated[Path, typer.Argument(help="The backup's folder")]


def _check(service: str) -> None:
    if service not in SERVICES:
        raise typer.BadParameter(f"service must be one of {', '.join(SERVICES)}")


def _sqlite_files(settings: Settings, service: str) -> list[Path]:
    """The service's store and the read models it keeps in files of its own."""
    return sorted(settings.data_dir.glob(f"{service}.sqlite")) + sorted(
        settings.data_dir.glob(f"{service}-*.sqlite")
    )


def _pg_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "PGHOST": settings.postgres_host,
        "PGPORT": str(settings.postgres_port),
        "PGUSER": settings.postgres_user,
        "PGPASSWORD": settings.postgres_password,
    }


def _run(command: list[str], settings: Settings) -> None:
    done = subprocess.run(command, env=_pg_env(settings), capture_output=True, text=True)
    if done.returncode != 0:
        typer.echo(f"{command[0]} failed: {done.stderr.strip()}", err=True)
        raise typer.Exit(1)


def _copy_new(source: Path, target: Path) -> int:
    """Copy the files of `source` that `target` lacks (keys, content-addressed attachments)."""
    copied = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        destination = target / path.relative_to(source)
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied += 1
    return copied


def backup_service(settings: Settings, service: str, folder: Path) -> dict[str, Any]:
    """Write the backup of `service` into `folder` (created, owner-only); its manifest."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    parts: list[str] = []
    if settings.persistence is Persistence.SQLITE:
        for source in _sqlite_files(settings, service):
            with sqlite3.connect(source) as live, sqlite3.connect(folder / source.name) as copy:
                live.backup(copy)  # consistent while the service writes
            parts.append(source.name)
        attachments = settings.data_dir / "attachments"
        if service == "registration" and attachments.is_dir():
            shutil.copytree(attachments, folder / "attachments", dirs_exist_ok=True)
            parts.append("attachments")
    else:
        dump = folder / f"{service}.dump"
        _run(["pg_dump", "-Fc", "-f", str(dump), database_name(settings, service)], settings)
        parts.append(dump.name)
    keys = key_dir_of(settings)
    for key in sorted(keys.glob(f"{service}.*")) if keys.is_dir() else []:
        (folder / "keys").mkdir(exist_ok=True, mode=0o700)
        shutil.copy2(key, folder / "keys" / key.name)
        parts.append(f"keys/{key.name}")
    manifest: dict[str, Any] = {
        "service": service,
        "persistence": settings.persistence.value,
        "taken_at": datetime.now(UTC).isoformat(),
        "parts": parts,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def restore_service(settings: Settings, service: str, folder: Path) -> dict[str, Any]:
    """Put the backup in `folder` back (the service stopped); its manifest."""
    manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text())
    if manifest["service"] != service or manifest["persistence"] != settings.persistence.value:
        raise ValueError(
            f"{folder} is a backup of {manifest['service']} on {manifest['persistence']}, not "
            f"of {service} on {settings.persistence.value}"
        )
    if settings.persistence is Persistence.SQLITE:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for name in (str(p) for p in manifest["parts"] if str(p).endswith(".sqlite")):
            target = settings.data_dir / name
            for leftover in (target.with_name(name + "-wal"), target.with_name(name + "-shm")):
                leftover.unlink(missing_ok=True)
            with sqlite3.connect(folder / name) as copy, sqlite3.connect(target) as live:
                copy.backup(live)
        if (folder / "attachments").is_dir():
            _copy_new(folder / "attachments", settings.data_dir / "attachments")
    else:
        ensure_postgres_database(settings, service)
        dump = folder / f"{service}.dump"
        name = database_name(settings, service)
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", name, str(dump)], settings
        )
    if (folder / "keys").is_dir():
        _copy_new(folder / "keys", key_dir_of(settings))
    return manifest


@app.command()
def backup(service: ServiceName, folder: Folder) -> None:
    """Back up one service's store, read models, keys and files (it may keep running)."""
    _check(service)
    manifest = backup_service(Settings(), service, folder)
    typer.echo(f"backed up {service} into {folder}: {', '.join(manifest['parts'])}")


@app.command()
def restore(service: ServiceName, folder: Folder) -> None:
    """Put a backup of one service back (stop the service first). At its next start the
    service takes back from its journal what was committed after the backup."""
    _check(service)
    try:
        manifest = restore_service(Settings(), service, folder)
    except (OSError, ValueError) as error:
        typer.echo(f"cannot restore: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"restored {service} from the backup of {manifest['taken_at']}; start it: it recovers "
        "from its journal what was committed since"
    )
