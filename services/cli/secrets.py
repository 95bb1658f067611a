"""`d73 secrets init|show|rotate`: the deployment's generated secrets
(services/cli/deployment_secrets.py).

The compose file runs `d73 secrets init` as a one-shot service before anything else; an operator
runs `show` and `rotate` through the same service (docs/operators.md). Exit code 2 when the
directory or a name is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from services.cli.deployment_secrets import Owner, SecretsDir, SecretsError, secret_variables
from services.cli.natsconfig import read_agencies

app = typer.Typer(help="Generated passwords and keys of a deployment (docker compose).")

Directory = Annotated[
    Path,
    typer.Option("--dir", envvar="D73_SECRETS_DIR", help="The secrets directory (a volume)"),
]
Agencies = Annotated[
    Path | None,
    typer.Option(
        envvar="D73_SECRETS_AGENCIES",
        help="Agency users (deploy/nats/agencies.txt): each gets a NATS password too",
    ),
]
Owners = Annotated[
    list[str] | None,
    typer.Option(
        "--owner",
        envvar="D73_SECRETS_OWNERS",
        help="CONSUMER=UID:GID owning a consumer's files (registration, …, nats, postgres)",
    ),
]


def _dir(root: Path, agencies: Path | None) -> SecretsDir:
    try:
        names = read_agencies(agencies) if agencies is not None else []
    except OSError as error:
        typer.echo(f"error: cannot read {agencies}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    return SecretsDir(root, names)


def _init(root: Path, agencies: Path | None, owners: list[str] | None, rotate: list[str]) -> None:
    try:
        parsed = [Owner.parse(o) for text in owners or [] for o in [text] if o]
        origin = _dir(root, agencies).init(os.environ, parsed, rotate)
    except (SecretsError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    for variable, how in origin.items():
        typer.echo(f"{variable:<32} {how}")  # names only: a value never reaches a log


@app.command("init")
def init(directory: Directory, agencies: Agencies = None, owner: Owners = None) -> None:
    """Generate every missing secret (an environment variable of the same name overrides)."""
    _init(directory, agencies, owner, [])


@app.command("rotate")
def rotate(
    names: Annotated[list[str], typer.Argument(help="Secrets to replace, e.g. D73_JWT_SECRET")],
    directory: Directory,
    agencies: Agencies = None,
    owner: Owners = None,
) -> None:
    """Replace secrets by new random values; restart their consumers afterwards."""
    _init(directory, agencies, owner, names)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help=f"One of {', '.join(secret_variables())}")],
    directory: Directory,
    agencies: Agencies = None,
) -> None:
    """Print one secret's value (for an operator's NATS CLI or psql)."""
    try:
        typer.echo(_dir(directory, agencies).show(name))
    except SecretsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
