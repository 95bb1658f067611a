"""`d73 hub city-config|config|stream`: a hub over many suites (issue #17.6).

The Ministry of Home Affairs (or a province over its agencies) is an agency of many D73 suites.
Each city's suite keeps its own nats-server and D73_PUBLIC; the hub's nats-server connects to
every city as a leaf node and one stream, D73_HUB, sources every city's D73_PUBLIC with each
subject prefixed by the city (`cantho.d73.public.case.opened.v1`).

- In each city, `d73 hub city-config --city <city> --hub <hub>` makes the suite a city (its
  JetStream domain is the city's name; it listens for leaf connections) and grants the hub a
  leaf user that may do nothing but source D73_PUBLIC through one durable consumer the city
  keeps for it (`natsconfig.hub_leaf_permissions`). It writes a hand-over file for the hub's
  operator: where to connect, the leaf password, the consumer and its deliver subject.
  `d73 hub city-revoke --hub <hub>` takes the grant away.
- At the hub, `d73 hub config --city <city>=<hand-over file> … --out <dir>` writes the hub's
  nats-server configuration, its readers' credentials and the D73_HUB stream definition;
  `nats-server -c <dir>/hub.conf`, then `d73 hub stream --dir <dir>` creates (or, after a city
  is added, updates) D73_HUB.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import nats
import typer
from nats.js import JetStreamContext
from nats.js.api import (
    ExternalStream,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamConsumerSource,
    StreamSource,
    SubjectTransform,
)
from nats.js.errors import NotFoundError, ServiceUnavailableError

from services.cli.agencies import NatsUsers, reload_server, running_server_pid, write_private
from services.cli.natsconfig import (
    AGENCIES_ADMIN_USER,
    HUB_CONSUMER_PREFIX,
    NAME,
    HubGrant,
    Value,
    hub_consumer,
    render_settings,
)
from shared.platform.settings import Settings
from shared.platform.subjects import AGENCIES_STREAM

HUB_STREAM = "D73_HUB"
HUB_ACCOUNT = "HUB"
"""The hub's account: D73_HUB and its readers; every city's leaf connection is bound to it."""
HUB_CONFIG = "hub.conf"
HUB_CREDENTIALS = "hub.env"
HUB_STREAM_FILE = "d73-hub-stream.json"
HANDOVER_DIR = "hubs"

app = typer.Typer(
    help="A hub over many D73 suites: one stream of every city's public events.",
    no_args_is_help=True,
)


class HubError(Exception):
    """The hub or city cannot be configured as asked (the message says why)."""


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(2)


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text("utf-8").splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


# --- the city's side ---------------------------------------------------------------------------


def grant_hub(users: NatsUsers, city: str, hub: str, listen: str) -> HubGrant:
    """Make the suite the city `city` (once: its name is its JetStream domain and the prefix of
    its subjects at every hub) and grant `hub` its leaf user and consumer; asking again for a
    hub already granted gives back the same grant."""
    for name, what in ((city, "city"), (hub, "hub")):
        if not NAME.match(name):
            raise HubError(
                f"{what} name {name!r}: lowercase letters, digits and dashes, starting with a "
                "letter (at most 63)"
            )
    if users.city and users.city["name"] != city:
        raise HubError(
            f"this suite is the city {users.city['name']!r} already: its hubs know its events "
            "by that name"
        )
    if f"hub-{hub}" in users.agencies:
        raise HubError(f"an agency is named hub-{hub}: choose another hub name")
    hubs: dict[str, dict[str, str]] = dict(users.city.get("hubs", {}))
    hubs.setdefault(
        hub, {"password": secrets.token_urlsafe(24), "deliver_token": secrets.token_hex(8)}
    )
    users.city = {"name": city, "listen": listen, "hubs": hubs}
    return HubGrant(hub, hubs[hub]["password"], hubs[hub]["deliver_token"])


def handover_text(city: str, grant: HubGrant, url: str) -> str:
    """What the hub's operator needs from a city (one file per hub and city)."""
    scheme, _, address = url.partition("://")
    if scheme != "nats-leaf" or not address or "@" in address:
        raise HubError(f"--url {url!r}: nats-leaf://<host>:<port>, without credentials")
    return (
        f"# D73 city {city}, for the hub {grant.hub}. Give this file to the hub's operator, and\n"
        "# to nobody else (it holds the hub's leaf password); at the hub:\n"
        f"#     d73 hub config --city {city}=<this file> [--city …] --out <dir>\n"
        f"D73_CITY={city}\n"
        f"NATS_LEAF_URL=nats-leaf://{grant.user}:{grant.password}@{address}\n"
        f"D73_HUB_CONSUMER={grant.consumer}\n"
        f"D73_HUB_DELIVER={grant.deliver_subject}\n"
    )


@app.command("city-config")
def city_config(
    city: Annotated[str, typer.Option(help="This suite's city (its name at the hub)")],
    hub: Annotated[str, typer.Option(help="The hub's name, e.g. ministry")],
    leaf_port: Annotated[int, typer.Option(help="Port for the hub's leaf connection")] = 7422,
    leaf_host: Annotated[str, typer.Option(help="Address to listen on for it")] = "0.0.0.0",
    url: Annotated[
        str | None,
        typer.Option(help="How the hub reaches it [default: nats-leaf://<fqdn>:<port>]"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Hand-over file [default: <data>/hubs/<hub>.env]")
    ] = None,
) -> None:
    """Let a hub source this suite's D73_PUBLIC, and nothing else (native run)."""
    data = Settings().data_dir.resolve()
    users = NatsUsers.load(data)
    try:
        grant = grant_hub(users, city, hub, f"{leaf_host}:{leaf_port}")
        text = handover_text(city, grant, url or f"nats-leaf://{socket.getfqdn()}:{leaf_port}")
    except HubError as error:
        raise _fail(error) from None
    users.save()
    target = out or data / HANDOVER_DIR / f"{hub}.env"
    write_private(target, text)
    typer.echo(f"city {city}: the hub {hub} may source D73_PUBLIC; hand-over file {target}")
    if running_server_pid(data) is not None:
        typer.echo("restart d73 run (Ctrl-C, then again): nats-server takes the change at start")
    else:
        typer.echo("active on next d73 run")


async def sync_hub_consumers(js: JetStreamContext, grants: tuple[HubGrant, ...]) -> None:
    """Each granted hub's consumer on D73_PUBLIC exists; a revoked hub's is deleted (so the
    city keeps no position for it). Run by `d73 run` at start, as the agencies-admin."""
    granted = {grant.consumer for grant in grants}
    for grant in grants:
        try:
            await js.consumer_info(AGENCIES_STREAM, grant.consumer)
        except NotFoundError:
            await js.add_consumer(AGENCIES_STREAM, hub_consumer(grant))
    for info in await js.consumers_info(AGENCIES_STREAM):
        if info.name.startswith(HUB_CONSUMER_PREFIX) and info.name not in granted:
            await js.delete_consumer(AGENCIES_STREAM, info.name)


async def _sync_running(users: NatsUsers, url: str, within: float = 15.0) -> None:
    """`sync_hub_consumers` on the running suite, which is reloading its accounts (SIGHUP):
    JetStream answers "unavailable" until the reload is done."""
    city = users.city_leaf()
    nc = await nats.connect(url, user=AGENCIES_ADMIN_USER, password=users.agencies_admin)
    try:
        deadline = time.monotonic() + within
        while True:
            try:
                await sync_hub_consumers(nc.jetstream(timeout=5), city.hubs if city else ())
                return
            except (ServiceUnavailableError, nats.errors.NoRespondersError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
    finally:
        await nc.close()


@app.command("city-revoke")
def city_revoke(hub: Annotated[str, typer.Option(help="The hub to cut off")]) -> None:
    """Take a hub's access to this suite away: its leaf user and its consumer (native run)."""
    settings = Settings()
    data = settings.data_dir.resolve()
    users = NatsUsers.load(data)
    hubs = dict(users.city.get("hubs", {}))
    if hubs.pop(hub, None) is None:
        raise _fail(HubError(f"no hub {hub!r} has access to this suite"))
    users.city = {**users.city, "hubs": hubs}
    users.save()
    (data / HANDOVER_DIR / f"{hub}.env").unlink(missing_ok=True)
    if reload_server(data):
        # The reloaded nats-server refuses the hub's login; a leaf link open already stays
        # open (nats-server does not check leaf links again), but with the consumer gone
        # nothing reaches it, and it may do nothing else. It goes when d73 run restarts.
        asyncio.run(_sync_running(users, f"nats://127.0.0.1:{settings.nats_port}"))
        typer.echo(
            f"the hub {hub} is cut off: it can log in no more and its consumer is deleted "
            "(its open link closes when d73 run restarts)"
        )
    else:
        typer.echo(f"the hub {hub} is cut off; its consumer is deleted at the next d73 run")


# --- the hub's side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CityLink:
    """One city as the hub sees it, from the city's hand-over file."""

    city: str
    leaf_url: str
    consumer: str
    deliver_subject: str

    @classmethod
    def read(cls, city: str, path: Path) -> CityLink:
        try:
            found = _env_file(path)
        except OSError as error:
            raise HubError(f"--city {city}={path}: {error.strerror}") from None
        keys = ("D73_CITY", "NATS_LEAF_URL", "D73_HUB_CONSUMER", "D73_HUB_DELIVER")
        missing = [key for key in keys if not found.get(key)]
        if missing:
            raise HubError(f"{path} is not a `d73 hub city-config` file: no {', '.join(missing)}")
        if found["D73_CITY"] != city:
            raise HubError(f"{path} is the city {found['D73_CITY']!r}, not {city!r}")
        return cls(city, *(found[key] for key in keys[1:]))

    def source(self) -> StreamSource:
        """D73_PUBLIC of the city through its domain's API and the consumer it keeps for the
        hub, each subject prefixed by the city."""
        return StreamSource(
            name=AGENCIES_STREAM,
            external=ExternalStream(api=f"$JS.{self.city}.API"),
            subject_transforms=[SubjectTransform(src=">", dest=f"{self.city}.>")],
            consumer=StreamConsumerSource(name=self.consumer, deliver_subject=self.deliver_subject),
        )


def hub_stream(cities: list[CityLink]) -> StreamConfig:
    """D73_HUB: every city's D73_PUBLIC, each message's subject prefixed by its city."""
    return StreamConfig(
        name=HUB_STREAM,
        description="D73_PUBLIC of every city, subjects prefixed by the city",
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        sources=[city.source() for city in cities],
    )


def render_hub_config(
    cities: list[CityLink],
    *,
    user: str,
    password: str,
    host: str,
    port: int,
    store: Path,
    domain: str,
) -> str:
    """The hub's nats-server configuration: its own JetStream domain, one leaf connection to
    each city bound to the HUB account, and the account's reading user."""
    top: dict[str, Value] = {
        "server_name": f"d73-{domain}",
        "host": host,
        "port": port,
        # fsync before the ack, as every D73 nats-server (services/cli/natsconfig.py)
        "jetstream": {"store_dir": str(store), "domain": domain, "sync_interval": "always"},
        "leafnodes": {
            "remotes": [{"url": city.leaf_url, "account": HUB_ACCOUNT} for city in cities]
        },
        "accounts": {
            HUB_ACCOUNT: {"jetstream": "enabled", "users": [{"user": user, "password": password}]}
        },
    }
    return (
        "# D73 hub nats-server configuration, written by `d73 hub config`: run it again rather\n"
        "# than edit this file. It holds passwords: keep it private.\n" + render_settings(top)
    )


def _check_cities(pairs: list[str], domain: str) -> list[tuple[str, Path]]:
    cities: list[tuple[str, Path]] = []
    for pair in pairs:
        city, sep, path = pair.partition("=")
        if not sep or not path or not NAME.match(city):
            raise HubError(f"--city {pair!r}: <city>=<hand-over file of that city>")
        cities.append((city, Path(path)))
    names = [city for city, _ in cities]
    if len(set(names)) != len(names) or domain in names:
        raise HubError(f"city names must differ from each other and from the hub's {domain!r}")
    return cities


@app.command("config")
def config(
    city: Annotated[
        list[str], typer.Option(help="<city>=<hand-over file from `d73 hub city-config`>")
    ],
    out: Annotated[Path, typer.Option(help="Directory for hub.conf, hub.env, the stream")],
    port: Annotated[int, typer.Option(help="Client port of the hub's nats-server")] = 4222,
    host: Annotated[str, typer.Option(help="Address it listens on")] = "0.0.0.0",
    user: Annotated[str, typer.Option(help="The hub's reading user")] = "hub",
    domain: Annotated[str, typer.Option(help="The hub's JetStream domain")] = "hub",
    url: Annotated[
        str | None, typer.Option(help="NATS URL written in hub.env [default: nats://<host>:<port>]")
    ] = None,
) -> None:
    """Write the hub's nats-server configuration and the D73_HUB stream definition."""
    try:
        if not NAME.match(domain) or not NAME.match(user):
            raise HubError("--domain and --user: lowercase letters, digits and dashes")
        links = [CityLink.read(name, path) for name, path in _check_cities(city, domain)]
    except HubError as error:
        raise _fail(error) from None
    out = out.resolve()
    credentials = out / HUB_CREDENTIALS
    kept = _env_file(credentials) if credentials.exists() else {}
    password = kept.get("NATS_PASSWORD") or secrets.token_urlsafe(24)
    server = url or f"nats://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
    store = out / "store"
    write_private(
        out / HUB_CONFIG,
        render_hub_config(
            links, user=user, password=password, host=host, port=port, store=store, domain=domain
        ),
    )
    write_private(
        credentials,
        "# The hub's reading user: subscribers read D73_HUB (e.g. examples/agency-subscriber).\n"
        f"NATS_URL={server}\nNATS_USER={user}\nNATS_PASSWORD={password}\nD73_STREAM={HUB_STREAM}\n",
    )
    stream = out / HUB_STREAM_FILE
    stream.write_text(json.dumps(hub_stream(links).as_dict(), indent=2) + "\n", encoding="utf-8")
    typer.echo(f"wrote {out / HUB_CONFIG}, {credentials} and {stream}; cities: {len(links)}")
    typer.echo(f"next: nats-server -c {out / HUB_CONFIG}, then d73 hub stream --dir {out}")


async def _apply_stream(credentials: dict[str, str], config: StreamConfig) -> str:
    nc = await nats.connect(
        credentials["NATS_URL"],
        user=credentials["NATS_USER"],
        password=credentials["NATS_PASSWORD"],
        connect_timeout=5,
        allow_reconnect=False,
    )
    try:
        js = nc.jetstream(timeout=10)
        try:
            await js.stream_info(HUB_STREAM)
        except NotFoundError:
            await js.add_stream(config)
            return "created"
        await js.update_stream(config)
        return "updated"
    finally:
        await nc.close()


@app.command("stream")
def stream(
    dir: Annotated[Path, typer.Option("--dir", help="The directory `d73 hub config` wrote")],
) -> None:
    """Create D73_HUB on the running hub, or bring it to the definition (a city added)."""
    try:
        credentials = _env_file(dir / HUB_CREDENTIALS)
        document = json.loads((dir / HUB_STREAM_FILE).read_text("utf-8"))
    except OSError as error:
        raise _fail(HubError(f"{error.filename}: {error.strerror} (run d73 hub config)")) from None
    try:
        done = asyncio.run(_apply_stream(credentials, StreamConfig.from_response(document)))
    except (OSError, nats.errors.Error) as error:
        raise _fail(HubError(f"{credentials.get('NATS_URL')}: {error!r}")) from None
    typer.echo(f"{HUB_STREAM} {done}: {len(document.get('sources', []))} cities")
