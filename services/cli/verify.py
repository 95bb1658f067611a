"""`d73 verify <service>`, `d73 verify-bundle <file>` and `d73 verify-certificate <file>`: check a
service's log, an audit bundle, or a protection certificate (issue #6). `d73 rebuild-log
<service>`: have the service's next start rebuild its log from the whole store (issue #19 §2).

Exit codes: 0 everything checks out; 1 a problem was found (each one is listed); 2 the input
could not be read at all (no store, no such file, not JSON, an unreadable key).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.platform.settings import Settings
from shared.records.merkle.errors import KeyFileError
from shared.records.merkle.keys import key_id, load_public_key
from shared.records.servicelog.keys import key_dir_of, trusted_key_dir_of, trusted_public_keys
from shared.records.servicelog.verify import (
    CheckpointSource,
    ParallelStoreLeaves,
    StoreLeaves,
    cores,
    kept_checkpoints,
    open_store,
    read_checkpoint_file,
    stored_records,
    verify_store,
)

if TYPE_CHECKING:
    from shared.platform.eventstore import ServiceApplication

# Each command imports what only it needs (the reporting archive check, bundles, certificates)
# when it runs: `d73 verify registration` starts without the reporting service's modules.

PUBLISHING_SERVICES = ("registration", "approval", "reporting")
"""The services that keep a verifiable log: the two that publish proposal events, and
reporting, whose archive is one (issue #12 §6)."""
PARALLEL_FROM = 100_000
"""Stores at least this large are hashed by worker processes (one per core, up to 4)."""

app = typer.Typer(help="Verify the services' signed logs (issue #6).")

KeyFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--key",
        help="Trust only this Ed25519 public key (PEM); repeat for retired keys",
        exists=True,
        dir_okay=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON")]


def _pinned(files: list[Path] | None) -> dict[str, Ed25519PublicKey] | None:
    if not files:
        return None
    keys: dict[str, Ed25519PublicKey] = {}
    for path in files:
        try:
            key = load_public_key(path)
        except KeyFileError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        keys[key_id(key)] = key
    return keys


def _print(report: dict[str, Any], summary: str, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    typer.echo(summary)
    if report["ok"]:
        typer.echo("OK: no problem found")
    else:
        typer.echo(f"FAILED: {len(report['problems'])} problem(s)")
        for problem in report["problems"]:
            where = ", ".join(
                f"{name} {problem[name]}"
                for name in ("position", "tree_size")
                if problem[name] is not None
            )
            typer.echo(
                f"  - {problem['code']}{f' [{where}]' if where else ''}: {problem['detail']}"
            )
    for note in report["notes"]:
        typer.echo(f"  note: {note}")


@app.command("verify")
def verify(
    service: Annotated[str, typer.Argument(help="registration | approval")],
    witnessed: Annotated[
        list[Path] | None,
        typer.Option(
            "--witnessed",
            help="Checkpoints a witness holds: JSON list, {checkpoints: [...]} or JSON lines",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    key: KeyFiles = None,
    jobs: Annotated[
        int,
        typer.Option(
            help="Worker processes hashing the store; 0: one per core (≤ 4) "
            f"from {PARALLEL_FROM:,} events on",
            min=0,
        ),
    ] = 0,
    as_json: AsJson = False,
) -> None:
    """Recompute the whole store's log and check it against every signed checkpoint; for
    reporting, also its archive against the logs of registration and approval it witnessed."""
    if service not in PUBLISHING_SERVICES:
        raise typer.BadParameter(f"service must be one of {', '.join(PUBLISHING_SERVICES)}")
    settings = Settings()
    pinned = _pinned(key)
    key_dir = key_dir_of(settings)
    try:
        keys = pinned if pinned is not None else trusted_public_keys(key_dir, service)
        sources: list[CheckpointSource] = [read_checkpoint_file(p) for p in witnessed or []]
    except (OSError, KeyFileError, orjson.JSONDecodeError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        store = open_store(service, settings)
    except Exception as error:  # no file, no database, no server: nothing was verified
        typer.echo(f"error: cannot open the store of {service}: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        started = time.perf_counter()
        if jobs == 0:
            large = (store.recorder.max_notification_id() or 0) >= PARALLEL_FROM
            jobs = min(cores(), 4) if large else 1
        leaves: StoreLeaves | ParallelStoreLeaves = (
            ParallelStoreLeaves(service, settings, jobs)
            if jobs > 1
            else StoreLeaves.of_store(service, store)
        )
        report = verify_store(service, leaves, [kept_checkpoints(store), *sources], keys)
        if service == "reporting":
            from services.reporting.archive_check import check_archive

            check_archive(report, archive_events(store), _upstream_keys(settings))
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    if pinned is None:
        report.notes.append(
            f"trusted keys read from {key_dir}; pin them with --key to rely on this elsewhere"
        )
    rate = report.entries_checked / elapsed if elapsed else 0.0
    _print(
        report.to_dict(),
        f"{service}: {report.entries_checked:,} stored events, "
        f"{report.checkpoints_checked:,} checkpoints checked in {elapsed:.1f} s "
        f"({rate:,.0f} events/s)",
        as_json,
    )
    raise typer.Exit(0 if report.ok else 1)


def archive_events(store: ServiceApplication) -> Iterator[Any]:
    """Reporting's stored events that the archive check reads, decoded, in log order."""
    from services.reporting.archive_check import TOPICS as ARCHIVE_TOPICS

    for record in stored_records(store):
        if record.topic in ARCHIVE_TOPICS:
            yield store.mapper.to_domain_event(record)


def _upstream_keys(settings: Settings) -> dict[str, dict[str, Ed25519PublicKey]]:
    """The keys the witness trusts for each service whose events reporting archives."""
    from services.reporting.archive_check import UPSTREAMS

    directory = trusted_key_dir_of(settings)
    try:
        return {service: trusted_public_keys(directory, service) for service in UPSTREAMS}
    except (OSError, KeyFileError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


@app.command("rebuild-log")
def rebuild_log(
    service: Annotated[str, typer.Argument(help="registration | approval | reporting")],
) -> None:
    """Forget the log's kept chunk roots: the service's next start rebuilds its log from the
    whole store and checks every checkpoint signed before (then keeps the roots again).

    A start normally resumes from the roots kept with the latest checkpoint, reading only the
    events after them; run this after repairing a store by hand, or to have every stored event
    read and checked again by the service itself (`d73 verify` does the same offline)."""
    if service not in PUBLISHING_SERVICES:
        raise typer.BadParameter(f"service must be one of {', '.join(PUBLISHING_SERVICES)}")
    try:
        store = open_store(service, Settings())
    except Exception as error:
        typer.echo(f"error: cannot open the store of {service}: {error}", err=True)
        raise typer.Exit(2) from None
    from shared.records.servicelog.frontier import ChunkTable

    try:
        forgotten = ChunkTable(store.recorder).forget()
    finally:
        store.close()
    typer.echo(
        f"{service}: forgot {forgotten:,} kept chunk roots; its next start rebuilds the log "
        "from the whole store"
    )


@app.command("verify-bundle")
def verify_bundle_file(
    file: Annotated[
        Path,
        typer.Argument(
            help="An audit bundle (GET /audit/bundle), or a document with its `proof` "
            "(reporting's /audit/export?proof=true, /proposals/{id}/history?proof=true)"
        ),
    ],
    key: KeyFiles = None,
    as_json: AsJson = False,
) -> None:
    """Check an audit bundle offline, with no access to any service; for an export or a history
    with its proof, also that each of its events is an archive entry the proof carries."""
    try:
        document = orjson.loads(file.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        typer.echo(f"error: {file}: {error}", err=True)
        raise typer.Exit(2) from None
    pinned = _pinned(key)
    proof = document.get("proof") if isinstance(document, dict) else None
    bundle = proof if isinstance(proof, dict) else document
    from services.reporting.archive_check import check_exported
    from shared.records.merkle.verify import verify_bundle

    report = verify_bundle(
        bundle, trusted_keys=list(pinned.values()) if pinned is not None else None
    )
    if bundle is not document and "events" in document:
        check_exported(report, document["events"], bundle)
    _print(
        report.to_dict(),
        f"{report.service}: {report.entries_checked:,} entries, "
        f"{report.checkpoints_checked:,} checkpoints, {report.proofs_checked:,} proofs checked",
        as_json,
    )
    raise typer.Exit(0 if report.ok else 1)


@app.command("verify-certificate")
def verify_certificate_file(
    file: Annotated[
        Path,
        typer.Argument(help="A protection certificate (GET /cases/{id}/protection-certificate)"),
    ],
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            "--khoa",
            help="Trust this Ed25519 public key of the approval service (PEM); repeat for "
            "retired keys",
            dir_okay=False,
        ),
    ] = None,
    key_dir: Annotated[
        Path | None,
        typer.Option(
            "--key-dir",
            help="Trust the approval keys in this directory (approval.*pub.pem); default, "
            "without --public-key: D73_SIGNING_KEY_DIR or <data dir>/keys",
            file_okay=False,
        ),
    ] = None,
    code: Annotated[
        str | None,
        typer.Option("--code", "--ma", help="The verification code printed on the paper copy"),
    ] = None,
    witnessed: Annotated[
        list[Path] | None,
        typer.Option(
            "--witnessed",
            help="Checkpoints a witness holds (reporting's GET /audit/checkpoints/approval): "
            "the certificate's checkpoint must be among them",
            dir_okay=False,
        ),
    ] = None,
    witness_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--witness-key",
            help="A witness's public key (PEM; reporting's GET /audit/witness-key): the "
            "certificate's checkpoint must carry its valid cosignature",
            dir_okay=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Check a protection certificate offline: signatures, proofs, plan hash, determination,
    and, if asked, that an independent witness holds and cosigned its checkpoint."""
    try:
        document = orjson.loads(file.read_bytes())
        held = [item for path in witnessed or [] for item in read_checkpoint_file(path).items]
    except (OSError, orjson.JSONDecodeError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    witnesses = _pinned([p for p in witness_key or [] if _exists(p)]) or {}
    service = document.get("service") if isinstance(document, dict) else None
    service = service if isinstance(service, str) and service else "approval"
    keys = _certificate_keys(service, public_key, key_dir)
    from shared.records.certificate.verify import verify_certificate

    report = verify_certificate(
        document,
        trusted_keys=keys.values(),
        expected_code=code,
        witnessed=held,
        witness_keys=witnesses.values(),
    )
    events = document.get("establishing_events") if isinstance(document, dict) else None
    summary = (
        f"{report.service}: protection certificate {document.get('certificate_id', '?')} "
        f"for {_official_of(document)}, {len(events) if isinstance(events, list) else 0} "
        f"establishing events, {report.proofs_checked} proofs checked against "
        f"{len(keys)} trusted key(s)"
        if isinstance(document, dict)
        else f"{file}: not a certificate"
    )
    _print(report.to_dict(), summary, as_json)
    raise typer.Exit(0 if report.ok else 1)


# The printed extract is in Vietnamese only, so it names the same command in Vietnamese:
# `d73 kiem-tra-ho-so hoso.json --khoa khoa-cong-khai.pem --ma <mã xác minh>`.
app.command("kiem-tra-ho-so", help="Kiểm tra tệp hồ sơ bảo vệ đã ký số (= verify-certificate)")(
    verify_certificate_file
)


def _exists(path: Path) -> bool:
    if not path.is_file():
        typer.echo(f"error: {path}: no such key file", err=True)
        raise typer.Exit(2)
    return True


def _certificate_keys(
    service: str, files: list[Path] | None, key_dir: Path | None
) -> dict[str, Ed25519PublicKey]:
    """The keys to trust: the files given, the key directory given, or the configured one."""
    keys: dict[str, Ed25519PublicKey] = {}
    for path in files or []:
        _exists(path)
    keys.update(_pinned(files) or {})
    directory = key_dir if key_dir is not None or files else key_dir_of(Settings())
    if directory is not None:
        try:
            keys.update(trusted_public_keys(directory, service))
        except (OSError, KeyFileError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
    if not keys:
        typer.echo(
            f"error: no trusted key of {service}: pass --public-key {service}.ed25519.pub.pem "
            "(from the operator or GET /audit/public-key) or --key-dir DIR",
            err=True,
        )
        raise typer.Exit(2)
    return keys


def _official_of(document: dict[str, Any]) -> str:
    official = document.get("official")
    if not isinstance(official, dict):
        return "?"
    return f"{official.get('name', '?')} ({official.get('user_id', '?')})"


if __name__ == "__main__":
    app()
