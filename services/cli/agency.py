"""`d73 agency add|remove|list`: other agencies' NATS users (issue #17.1).

On the native run (default) the users live in the data directory and a running embedded
nats-server reloads them at once; with `--compose` the command edits deploy/nats/agencies.txt
and renders deploy/nats/cluster.conf, and `docker compose up -d` gives the new user its password
(init-secrets) and the nodes the new configuration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from services.cli.agencies import (
    AgencyError,
    NatsUsers,
    credentials_text,
    reload_server,
    running_server_pid,
    write_private,
)
from services.cli.natsconfig import COMPOSE_AGENCIES, NAME, compose_files, read_agencies
from shared.platform.settings import Settings

app = typer.Typer(help="Other agencies' read-only NATS users (D73_PUBLIC).", no_args_is_help=True)
Compose = Annotated[
    bool, typer.Option("--compose", help="Edit the compose deployment's files instead")
]
Root = Annotated[Path, typer.Option(help="Project directory (with --compose)")]


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(2)


def _compose_names(root: Path) -> list[str]:
    return read_agencies(root / COMPOSE_AGENCIES)


def _compose_write(root: Path, names: list[str]) -> None:
    path = root / COMPOSE_AGENCIES
    header = [
        line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")
    ]
    path.write_text("\n".join([*header, *names]) + "\n", encoding="utf-8")
    for target, text in compose_files(root).items():
        target.write_text(text, encoding="utf-8")


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="Agency user name: lowercase, digits, dashes")],
    compose: Compose = False,
    root: Root = Path("."),
    url: Annotated[str | None, typer.Option(help="NATS URL written in the credentials")] = None,
) -> None:
    """Add an agency user and write its credentials file."""
    if compose:
        names = _compose_names(root)
        if not NAME.match(name) or name in names:
            raise _fail(AgencyError(f"agency {name!r} is not a new valid name"))
        _compose_write(root, [*names, name])
        typer.echo(
            f"added {name} to {COMPOSE_AGENCIES}; cluster.conf rendered. Next: "
            "`docker compose up -d` (init-secrets draws its password), then "
            f"`docker compose run --rm init-secrets show NATS_AGENCY_"
            f"{name.upper().replace('-', '_')}_PASSWORD` for its credentials."
        )
        return
    settings = Settings()
    data = settings.data_dir.resolve()
    users = NatsUsers.load(data)
    try:
        password = users.add(name)
    except AgencyError as error:
        raise _fail(error) from None
    users.save()
    target = users.credentials_path(name)
    server = url or (settings.nats_url or f"nats://127.0.0.1:{settings.nats_port}")
    write_private(target, credentials_text(name, password, server))
    live = reload_server(data)
    typer.echo(f"added agency {name}; credentials in {target}")
    typer.echo("the running nats-server reloaded its users" if live else "active on next d73 run")


@app.command()
def remove(name: str, compose: Compose = False, root: Root = Path(".")) -> None:
    """Remove an agency user (its consumers on D73_PUBLIC stay until the admin deletes them)."""
    if compose:
        names = _compose_names(root)
        if name not in names:
            raise _fail(AgencyError(f"no agency {name!r} in {COMPOSE_AGENCIES}"))
        _compose_write(root, [n for n in names if n != name])
        typer.echo(f"removed {name}; cluster.conf rendered. Next: `docker compose up -d`.")
        return
    data = Settings().data_dir.resolve()
    users = NatsUsers.load(data)
    try:
        users.remove(name)
    except AgencyError as error:
        raise _fail(error) from None
    users.save()
    users.credentials_path(name).unlink(missing_ok=True)
    live = reload_server(data)
    typer.echo(f"removed agency {name}" + (" (nats-server reloaded)" if live else ""))


@app.command("list")
def list_(compose: Compose = False, root: Root = Path(".")) -> None:
    """The agency users, one a line."""
    if compose:
        names = _compose_names(root)
    else:
        data = Settings().data_dir.resolve()
        names = sorted(NatsUsers.load(data).agencies)
        if running_server_pid(data) is None:
            typer.echo("(d73 run is not running: these become active on its next start)", err=True)
    for name in names:
        typer.echo(name)
