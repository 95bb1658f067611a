"""`d73`: the single entry point for operators (run the suite, serve one service, mint tokens…)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from nats import connect as nats_connect
from nats.js.errors import NotFoundError

from services.cli.agencies import PID_FILE, NatsUsers
from services.cli.agency import app as agency_app
from services.cli.backup import app as backup_app
from services.cli.hub import app as hub_app
from services.cli.hub import sync_hub_consumers
from services.cli.natsconfig import (
    ADMIN_USER,
    AGENCIES_ADMIN_USER,
    HubGrant,
    agencies_inspection_stream,
    agencies_public_stream,
)
from services.cli.natsserver import NatsServer, PortInUse, port_is_free
from services.cli.secrets import app as secrets_app
from services.cli.verify import app as verify_app
from services.portal.settings import PortalSettings
from shared.platform.logs import configure_logging
from shared.platform.memory import tune_service_memory
from shared.platform.settings import InsecureSettings, Persistence, Settings

SERVICES = ("registration", "approval", "reporting")
PORTAL = "portal"
"""The web portal: a fourth process that only calls the three services' APIs."""
ServiceName = Annotated[str, typer.Argument(help="registration | approval | reporting | portal")]
cli = typer.Typer(help="D73 — Decree 73 innovation proposals: operators' command line.")
# Modules only one command needs (the service runtime, HTTP, the directory and tokens) are
# imported by that command: `d73 verify` and the other offline commands start without them.
cli.add_typer(agency_app, name="agency")  # d73 agency add|remove|list
cli.add_typer(verify_app)  # d73 verify, d73 verify-bundle
cli.add_typer(secrets_app, name="secrets")  # d73 secrets init|show|rotate
cli.add_typer(backup_app)  # d73 backup, d73 restore
cli.add_typer(hub_app, name="hub")  # d73 hub city-config|city-revoke|config|stream


def _factory(service: str) -> str:
    if service not in (*SERVICES, PORTAL):
        raise typer.BadParameter(f"service must be one of {', '.join((*SERVICES, PORTAL))}")
    return f"services.{service}.main:create_app"


@cli.command()
def serve(
    service: ServiceName,
) -> None:
    """Serve one service over HTTP (the command the containers run)."""
    import uvicorn

    from services.cli.serving import StoppableServer

    tune_service_memory()  # few malloc arenas and a periodic trim: RSS < 150 MB (issue #19)

    settings = PortalSettings() if service == PORTAL else Settings()
    configure_logging(service, settings.log_level, settings.log_json)
    try:
        settings.require_safe_secrets()
    except InsecureSettings as error:
        typer.echo(f"{service}: {error}", err=True)
        raise typer.Exit(2) from None
    config = uvicorn.Config(
        _factory(service),
        log_config=None,
        factory=True,
        host=settings.host,
        port=settings.port_of(service),
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level.lower(),
        access_log=False,
        server_header=False,  # no `server` banner (issue #11 §6)
    )
    server = StoppableServer(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started and not server.should_exit:
        raise typer.Exit(3)  # uvicorn's "start-up failed", as `uvicorn.run` exits


class _StartAbandoned(Exception):
    """Ctrl-C (or SIGTERM) came while the suite was still starting."""


class _NotReady(Exception):
    """A process did not answer /readyz in time, or exited while starting."""


STOP_SECONDS = 15.0
"""How long the processes together have to stop after SIGTERM before they are killed."""


def _wait_ready(
    name: str,
    url: str,
    proc: subprocess.Popen[bytes],
    stopping: Callable[[], bool],
    timeout: float,
) -> None:
    """Wait for `proc` to answer `url`/readyz; give up at once when the operator stops the
    run (a start that cannot finish, NATS out of reach say, must not hold Ctrl-C)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stopping():
            raise _StartAbandoned
        if proc.poll() is not None:
            raise _NotReady(f"{name} exited with code {proc.returncode} while starting")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise _NotReady(
        f"{name} did not become ready within {timeout:.0f} s ({url}/readyz): "
        "is NATS reachable, is its database? Its log above says why"
    )


def _stop_children(children: dict[str, subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every child, then one common deadline before the stragglers are killed
    (waiting on each in turn would add their timeouts up)."""
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for proc in children.values():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@cli.command()
def run() -> None:
    """Run the whole suite on this machine: nats-server (JetStream), the three services and the
    web portal."""
    settings = Settings()
    try:
        settings.require_safe_secrets()
    except InsecureSettings as error:
        typer.echo(f"{error}\n`make run` runs in development mode.", err=True)
        raise typer.Exit(2) from None
    if settings.development:
        typer.echo("DEVELOPMENT MODE: the development JWT key is accepted (D73_DEVELOPMENT=true)")
    data = settings.data_dir.resolve()
    embedded = settings.nats_url is None
    busy = [
        (name, port)
        for name, port in [
            *(("nats", settings.nats_port), ("nats monitor", settings.nats_monitor_port))[
                : 2 if embedded else 0
            ],
            *((s, settings.port_of(s)) for s in (*SERVICES, PORTAL)),
        ]
        if not port_is_free(port, settings.host if name in (*SERVICES, PORTAL) else "127.0.0.1")
    ]
    if busy:
        for name, port in busy:
            variable = {
                "nats": "D73_NATS_PORT",
                "nats monitor": "D73_NATS_MONITOR_PORT",
            }.get(name, f"D73_{name.upper()}_PORT")
            typer.echo(
                f"Port {port} ({name}) is already in use. Free it, or choose another port: "
                f"{variable}=<port> make run",
                err=True,
            )
        raise typer.Exit(2)
    nats: NatsServer | None = None
    nats_passwords: dict[str, str] = {}
    if embedded:
        # One NATS user per service, allowed only its own subjects (services/cli/natsconfig.py);
        # fresh passwords on every start, the agencies' kept (`d73 agency add`), in files only
        # this user can read.
        users = NatsUsers.load(data)
        users.fresh_start(SERVICES)
        nats_passwords = users.services
        config = users.save()
        nats = NatsServer(
            data / "nats",
            settings.nats_port,
            monitor_port=settings.nats_monitor_port,
            config_file=config,
            log_file=data / "nats-server.log",
        )
        try:
            nats.start()
        except PortInUse as error:
            typer.echo(f"{error}: set D73_NATS_PORT", err=True)
            raise typer.Exit(2) from None
        assert nats.proc is not None
        (data / PID_FILE).write_text(f"{nats.proc.pid}\n")
        typer.echo(f"nats-server  {nats.url} (JetStream store {data / 'nats'})")
        # The operator's step, as the NATS admin: no service may create another's stream;
        # then D73_PUBLIC, where agencies replay the public events (`d73 agency add`).
        asyncio.run(_provision([nats.url], ADMIN_USER, users.admin, settings.stream_replicas))
        city = users.city_leaf()
        hubs = city.hubs if city is not None else ()
        asyncio.run(
            _public_stream([nats.url], users.agencies_admin, settings.stream_replicas, hubs)
        )
        typer.echo(f"agencies     {len(users.agencies)} (d73 agency add <name>)")
        if city is not None:
            names = ", ".join(grant.hub for grant in hubs)
            typer.echo(f"city         {city.city}: hubs {names} connect to {city.listen}")
    env = dict(os.environ, D73_DATA_DIR=str(data))
    if nats is not None:
        env["D73_NATS_URL"] = nats.url
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False
    failed = ""

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        for service in SERVICES:
            child_env = dict(env)
            if service in nats_passwords:
                child_env.update(D73_NATS_USER=service, D73_NATS_PASSWORD=nats_passwords[service])
            # Own session: Ctrl-C reaches only this runner, which stops the services first
            # and the broker last, so each service drains its NATS connection cleanly.
            children[service] = subprocess.Popen(
                [sys.executable, "-m", "services.cli.main", "serve", service],
                env=child_env,
                start_new_session=True,
            )
        typer.echo(f"starting     {', '.join(children)} (Ctrl-C stops)")
        for service, proc in children.items():
            url = f"http://{settings.host}:{settings.port_of(service)}"
            _wait_ready(service, url, proc, lambda: stopping, settings.run_ready_seconds)
            typer.echo(f"{service:<12} {url}   (API docs {url}/docs)")
        # The portal, for people in a browser; on this machine it offers the development
        # sign-in (pick a person of the directory) unless D73_PORTAL_DEV_SIGN_IN says otherwise.
        portal_env = dict(env)
        portal_env.setdefault("D73_PORTAL_DEV_SIGN_IN", "true")
        children[PORTAL] = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "serve", PORTAL],
            env=portal_env,
            start_new_session=True,
        )
        portal_url = f"http://{settings.host}:{settings.port_of(PORTAL)}"
        _wait_ready(
            PORTAL, portal_url, children[PORTAL], lambda: stopping, settings.run_ready_seconds
        )
        typer.echo(f"{PORTAL:<12} {portal_url}   (open it in a browser and sign in)")
        typer.echo("D73 is running. Press Ctrl-C to stop; data stays in " + str(data))
        while not stopping:
            for service, proc in children.items():
                if proc.poll() is not None and not stopping:
                    failed = f"{service} exited with code {proc.returncode}; the others stopped"
                    stopping = True
            time.sleep(0.3)
    except _StartAbandoned:
        pass  # stopped as asked, before everything was up
    except _NotReady as error:
        failed = str(error)
    finally:
        _stop_children(children)
        if nats is not None:
            nats.stop()
            (data / PID_FILE).unlink(missing_ok=True)
        typer.echo("D73 stopped.")
    if failed:
        typer.echo(f"error: {failed}", err=True)
        raise typer.Exit(1)


async def _provision(
    servers: list[str], user: str | None, password: str, replicas: int
) -> list[str]:
    from shared.platform.runtime import provision_streams

    nc = await nats_connect(servers, user=user, password=password, connect_timeout=5)
    try:
        return await provision_streams(nc.jetstream(timeout=10), replicas)
    finally:
        await nc.close()


async def _public_stream(
    servers: list[str], password: str, replicas: int, hubs: tuple[HubGrant, ...] = ()
) -> None:
    """D73_PUBLIC and D73_INSPECTION in the AGENCIES account, each created once (each sources
    the history at once): the public tier, and the inspection tier for mandated agencies; then
    the consumer on D73_PUBLIC that each hub sources (`d73 hub city-config`), and none of a
    revoked hub."""
    nc = await nats_connect(servers, user=AGENCIES_ADMIN_USER, password=password)
    try:
        js = nc.jetstream(timeout=10)
        for config in (agencies_public_stream(replicas), agencies_inspection_stream(replicas)):
            try:
                await js.stream_info(config.name or "")
            except NotFoundError:
                await js.add_stream(config)
        await sync_hub_consumers(js, hubs)
    finally:
        await nc.close()


@cli.command()
def streams() -> None:
    """Create every D73 stream, or bring it to its spec, as the NATS admin (D73_NATS_USER).

    Services create only their own stream and never update one (an update could erase
    history); after an upgrade that changes a stream, the operator runs this once."""
    settings = Settings()
    done = asyncio.run(
        _provision(
            settings.nats_servers,
            settings.nats_user,
            settings.nats_password or "",
            settings.stream_replicas,
        )
    )
    for line in done:
        typer.echo(line)


@cli.command()
def token(
    user: Annotated[str, typer.Option(help="Person id (sub) of the organisation directory")],
    role: Annotated[
        list[str] | None,
        typer.Option(
            help="Role to act with; repeat for several (default: all the directory gives)"
        ),
    ] = None,
    hours: Annotated[int, typer.Option(help="Validity in hours")] = 8,
) -> None:
    """Mint a development bearer token for a person of the organisation directory in force,
    signed with the configured key (or the development key). Name, unit and position are the
    directory's; a role it does not give the person is refused here, as every service would."""
    from shared.kernel.directory import load_directory
    from shared.platform.identity import (
        IdentityRefused,
        directory_people,
        mint_token,
        resolve,
        today_in_vietnam,
    )

    settings = Settings()
    directory = load_directory(settings.jurisdiction, extra_dir=settings.directory_dir)
    today = directory.in_force(today_in_vietnam())
    try:
        actor = resolve(today, user, role or ())
    except IdentityRefused as refused:
        raise typer.BadParameter(refused.detail_vi) from None
    roles = sorted(role or directory_people(today)[user].roles)
    if settings.hs256_key() is None:
        typer.echo("no D73_JWT_SECRET: signed with the development key", err=True)
        settings = settings.model_copy(update={"development": True})
    typer.echo(f"{actor.name} ({actor.position}, {actor.unit_id}): {', '.join(roles)}", err=True)
    typer.echo(mint_token(settings, user_id=user, roles=roles, ttl_seconds=hours * 3600))


@cli.command()
def asyncapi(
    service: ServiceName,
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout")] = None,
) -> None:
    """Export a service's AsyncAPI 3 document (the published contract for other agencies)."""
    module = importlib.import_module(f"services.{service}.main")
    with tempfile.TemporaryDirectory(prefix="d73-asyncapi-") as scratch:
        # The document comes from the code alone; a throwaway store keeps real data untouched.
        app = module.create_app(Settings(data_dir=Path(scratch), persistence=Persistence.SQLITE))
        text = json.dumps(app.state.runtime.asyncapi(), indent=2, ensure_ascii=False)
        app.state.runtime.app.close()
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n")


@cli.command()
def schemas(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where the committed schemas are [default: docs/schemas]"),
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Write nothing; fail if a schema is missing, stale or broken")
    ] = False,
) -> None:
    """Export the JSON Schema of every public message type, one file per type, and the table of
    what each tier carries into agencies.md next to the schemas' directory.

    Refuses to overwrite a committed schema with a breaking change (a removed field, a narrowed
    type, a newly required field): raise the type's `.vN` instead."""
    from shared.contracts import MESSAGES
    from shared.contracts.public import with_tier_table
    from shared.contracts.schemas import (
        SCHEMA_DIR,
        compatibility_report,
        dump,
        read_committed,
        schemas_of,
        write,
    )

    directory = directory or SCHEMA_DIR

    current = schemas_of(MESSAGES)
    guide = directory.parent / "agencies.md"
    if check:
        committed = read_committed(directory) if directory.exists() else {}
        problems = compatibility_report(committed, current)
        problems += [
            f"{name}: not committed or out of date; run d73 schemas"
            for name, schema in current.items()
            if name not in committed or dump(committed[name]) != dump(schema)
        ]
        if guide.exists() and with_tier_table(text := guide.read_text("utf-8")) != text:
            problems.append(f"{guide}: the tier table is out of date; run d73 schemas")
        for line in problems:
            typer.echo(line, err=True)
        raise typer.Exit(1 if problems else 0)
    written, refusals = write(directory, current)
    for line in refusals:
        typer.echo(f"breaking change: {line}", err=True)
    if refusals:
        typer.echo("nothing written: give the changed types a new .vN", err=True)
        raise typer.Exit(1)
    if guide.exists() and with_tier_table(text := guide.read_text("utf-8")) != text:
        guide.write_text(with_tier_table(text), encoding="utf-8")
        written.append(guide)
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"{len(current)} message types, {len(written)} file(s) written")


@cli.command()
def rebuild(service: ServiceName) -> None:
    """Rebuild every read model of a service from its own event store (the service stopped)."""
    if service not in SERVICES:
        raise typer.BadParameter(f"service must be one of {', '.join(SERVICES)}")
    module = importlib.import_module(f"services.{service}.rebuild")
    with typer.progressbar(length=1, label=f"rebuilding {service}") as bar:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - state["done"])
            state["done"] = done

        report = module.rebuild(Settings(), progress)
    for name, digest in sorted(report.digests_after.items()):
        before = report.digests_before.get(name)
        same = "same as before" if before == digest else f"was {before}"
        typer.echo(f"{name:<28} {digest[:16]}…  ({same})")
    typer.echo(f"{report.events} events read from the {service} store")


@cli.command("migrate")
def migrate_command(
    service: Annotated[
        list[str] | None, typer.Argument(help="registration | approval | reporting (default: all)")
    ] = None,
) -> None:
    """Bring each service's database to this release's schema (run with the services stopped;
    they also do it as they start) and list what an older release's store lacks."""
    from shared.platform.migrations import SchemaTooNew
    from shared.records.keeping import RECORDS

    settings = Settings()
    failed = False
    for name in service or SERVICES:
        module = importlib.import_module(f"services.{name}.main")
        application = module.create_app(settings).state.runtime.app
        try:
            report = RECORDS.migrate(name, application)
            problems = (
                module.upgrade_problems(application, settings)
                if hasattr(module, "upgrade_problems")
                else []
            )
            notices = (
                module.upgrade_notices(application, settings)
                if hasattr(module, "upgrade_notices")
                else []
            )
        except SchemaTooNew as error:
            typer.echo(f"{name}: {error}", err=True)
            failed = True
            continue
        finally:
            application.close()
        steps = "; ".join(report.applied) or "nothing to do"
        typer.echo(f"{name:<12} schema {report.before} -> {report.after} ({steps})")
        for notice in notices:
            typer.echo(f"{name}: note: {notice}")
        for problem in problems:
            typer.echo(f"{name}: {problem}", err=True)
            failed = True
    if failed:
        raise typer.Exit(1)


def settings_table() -> str:
    """The README's settings table, generated from the Settings model so the two never drift."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in PortalSettings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        shown = "" if default is None else str(getattr(default, "value", default))
        rows.append(f"| `D73_{name.upper()}` | `{shown}` | {info.description or ''} |")
    return "\n".join(rows)


@cli.command("settings")
def show_settings(
    markdown: Annotated[bool, typer.Option(help="Print the documentation table")] = False,
) -> None:
    """Print every setting in force (from D73_* environment variables)."""
    if markdown:
        typer.echo(settings_table())
        return
    for name, value in Settings().model_dump(mode="json").items():
        shown = "***" if ("password" in name or "secret" in name) and value else value
        typer.echo(f"D73_{name.upper()}={'' if shown is None else shown}")


@cli.command("legal-basis")
def show_legal_basis(
    check: Annotated[
        bool, typer.Option(help="Fail if a code location or test named in the table is missing")
    ] = False,
) -> None:
    """Print docs/legal-basis.md: every rule enforced, its source, code and test."""
    from shared.kernel.legal_basis import dangling_references, legal_basis_markdown

    if check and (problems := dangling_references()):
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    typer.echo(legal_basis_markdown(), nl=False)


OWNER_ONLY = 0o077
"""The umask of every d73 command: stores, keys, attachments and logs it writes are readable by
its own user only (0600 files, 0700 directories — issue #11 §6); nats-server, started from
here, inherits it."""


def main() -> None:
    os.umask(OWNER_ONLY)
    cli()


if __name__ == "__main__":
    main()
