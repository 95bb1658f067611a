"""Who may publish and read what on NATS: one declarative model, rendered to a nats-server config.

The same model serves the embedded runner (`d73 run`, literal passwords in a private file) and
the compose cluster (`deploy/nats/cluster.conf`, passwords as `$VARIABLE` references resolved by
nats-server from its environment), so the two cannot drift.

Accounts:

- `D73`: one user per service. A service publishes only its own subjects (`d73.<service>.>`,
  `d73.public.<service>.>`, `d73.deadletter.<service>`, `d73.audit.checkpoint.<service>`),
  creates only its own streams
  and consumers and receives on a private inbox (`service_permissions`); no service may update,
  delete or purge a stream (event stores are append-only). An optional `admin` user (backups,
  restores, `d73 streams`) may do everything.
- `AGENCIES`: other agencies, read-only. They replay history and follow it live from `D73_PUBLIC`
  with consumers named after themselves (`agency_consumer_names`), on a private inbox; they
  cannot subscribe to the imported live subjects. `D73_PUBLIC` is a stream in their own
  account that *sources* the public streams of `D73` through a JetStream API import restricted
  to those streams and subjects. The stream has no subjects of its own, so nothing can be
  published into it; agency users may only create consumers on it. Dead letters are neither
  imported nor sourced. Agency users cannot use the imported JetStream API directly: a
  consumer created that way could deliver into `d73.>`.
  `D73_PUBLIC` is created once by the `agencies-admin` user (see `agencies_public_stream`;
  deploy/nats/d73-public-stream.json for `nats stream add --config`). It carries the public
  view of the events (`shared.contracts.public`); the events as the services exchange them are
  sourced into `D73_INSPECTION`, which only agencies with an inspection mandate may read
  (`agencies_inspection_stream`; `<name> inspection` in deploy/nats/agencies.txt).
- `SYS`: the system account (server monitoring, `nats server report`).

User names are unique across accounts (nats-server identifies a user by name alone).
`python -m services.cli.natsconfig` re-renders the committed files after deploy/nats/agencies.txt
changes; tests fail while they are stale.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    ExternalStream,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamSource,
)

from shared.platform.subjects import (
    AGENCIES_STREAM,
    APPROVAL_STREAM,
    AUDIT_STREAM,
    COMPONENTS,
    INSPECTION_STREAM,
    JOURNAL_OF_SERVICE,
    PUBLIC_APPROVAL_STREAM,
    PUBLIC_REGISTRATION_STREAM,
    REGISTRATION_STREAM,
    REPORTING_STREAM,
    STREAMS,
    StreamSpec,
    consumer_name,
    inbox_prefix,
)

SERVICE_ACCOUNT = "D73"
AGENCIES_ACCOUNT = "AGENCIES"
SYSTEM_ACCOUNT = "SYS"
ADMIN_USER = "admin"
AGENCIES_ADMIN_USER = "agencies-admin"
SYSTEM_USER = "sys"

PUBLIC_STREAMS: tuple[StreamSpec, ...] = (
    PUBLIC_REGISTRATION_STREAM,
    PUBLIC_APPROVAL_STREAM,
    AUDIT_STREAM,
    REPORTING_STREAM,
)
"""What every agency may read: the public view of every proposal event (shared.contracts.public),
audit checkpoints and the witness's cosignatures and alarms; never dead letters."""
PUBLIC_SUBJECTS: tuple[str, ...] = tuple(s for spec in PUBLIC_STREAMS for s in spec.subjects)
INSPECTION_STREAMS: tuple[StreamSpec, ...] = (REGISTRATION_STREAM, APPROVAL_STREAM)
"""The fuller tier, for agencies with an inspection mandate only: the events as the services
exchange them (individual votes, personal identifiers, the plan's content)."""
INSPECTION_SUBJECTS: tuple[str, ...] = tuple(
    s for spec in INSPECTION_STREAMS for s in spec.subjects
)
IMPORTED_API_PREFIX = "$JS.D73.API"
"""Where the AGENCIES account sees the part of D73's JetStream API that sourcing needs."""
DELIVER_PREFIX = "agencies.deliver"
"""Subjects in D73 on which the sourcing consumers deliver to AGENCIES (outside `d73.>`)."""

ERASING = (
    "$JS.API.STREAM.UPDATE.>",
    "$JS.API.STREAM.DELETE.>",
    "$JS.API.STREAM.PURGE.>",
    "$JS.API.STREAM.MSG.DELETE.>",
)
"""No service or agency may erase history: delete or purge a stream or a message, or update a
stream (a smaller `max_msgs`, `max_bytes` or `max_age` erases what is over it). Only the admin
user can (restores, retention changes, `d73 streams`)."""

NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class EnvVar:
    """A value nats-server reads from its environment when it loads the file (`$NAME`)."""

    name: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z_][A-Z0-9_]*", self.name):
            raise ValueError(f"not an environment variable name: {self.name!r}")


Secret = str | EnvVar
"""A password: the literal text, or the environment variable that holds it."""


@dataclass(frozen=True)
class Rule:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class Permissions:
    publish: Rule
    subscribe: Rule


@dataclass(frozen=True)
class User:
    name: str
    password: Secret
    permissions: Permissions | None = None
    """None: everything inside the account."""
    connection_types: tuple[str, ...] = ()
    """Empty: any kind of connection; else only these (`LEAFNODE` for a hub's leaf user)."""


@dataclass(frozen=True)
class Export:
    subject: str
    service: bool
    """True: requests (service export); False: messages (stream export)."""
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class Import:
    subject: str
    account: str
    service: bool
    to: str | None = None


@dataclass(frozen=True)
class Account:
    name: str
    users: tuple[User, ...]
    jetstream: bool = True
    exports: tuple[Export, ...] = ()
    imports: tuple[Import, ...] = ()


@dataclass(frozen=True)
class ClusterSpec:
    """A JetStream cluster; every node gets the same file and its name on the command line."""

    name: str
    routes: tuple[str, ...]
    port: int = 6222
    host: str = "0.0.0.0"


@dataclass(frozen=True)
class SecurityModel:
    accounts: tuple[Account, ...]
    system_account: str = SYSTEM_ACCOUNT
    city: CityLeaf | None = None
    """A city that hubs source (its JetStream domain and leaf-node listener), or None."""


def service_subjects(service: str) -> tuple[str, ...]:
    """The only subjects a service may publish events to (design.md §2, §3, §4)."""
    return (
        f"d73.{service}.>",
        f"d73.public.{service}.>",
        f"d73.deadletter.{service}",
        f"d73.audit.checkpoint.{service}",
        f"d73.audit.alarm.{service}",
        f"d73.audit.heartbeat.{service}",
        f"d73.journal.{service}",
    )


def _consumer_api(stream: str, consumer: str, *, push: bool = False) -> tuple[str, ...]:
    """What the holder of one named consumer may do with it: create (each form of the API),
    read its info, fetch, acknowledge, delete it. Nothing about any other consumer."""
    return (
        f"$JS.API.CONSUMER.CREATE.{stream}.{consumer}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{consumer}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{consumer}",
        f"$JS.API.CONSUMER.INFO.{stream}.{consumer}",
        f"$JS.API.CONSUMER.DELETE.{stream}.{consumer}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}",
        *_both_ack_formats("ACK", f"{stream}.{consumer}"),
        *(_both_ack_formats("FC", f"{stream}.{consumer}") if push else ()),
    )


def service_permissions(service: str) -> Permissions:
    """Publish its own subjects; create (never update) its own streams; create and use its own
    consumer on each stream (`shared.platform.subjects.consumer_name`); read streams' info, its
    own streams' messages, and by sequence those of the streams it consumes; replies only on its
    private inbox."""
    own = [spec.name for spec in STREAMS if spec.owner == service]
    # Its relay and audit log resume from the last message they wrote: in its own streams and
    # in the audit stream (checkpoints, alarms), which every service writes to; and the relay
    # compares its checkpoints with the witness's cosignatures at start (issue #12 §4), which
    # are public (sourced into D73_PUBLIC) anyway.
    readable = sorted({*own, AUDIT_STREAM.name, REPORTING_STREAM.name})
    api = [
        "$JS.API.INFO",
        "$JS.API.STREAM.NAMES",
        "$JS.API.STREAM.INFO.*",
        *(f"$JS.API.STREAM.CREATE.{name}" for name in own),
        *(f"$JS.API.STREAM.MSG.GET.{name}" for name in readable),
        *(f"$JS.API.DIRECT.GET.{name}" for name in readable),
        *(f"$JS.API.DIRECT.GET.{name}.>" for name in readable),
    ]
    private = {j.name for owner, j in JOURNAL_OF_SERVICE.items() if owner != service}
    for spec in STREAMS:
        if spec.name not in private:  # another service's journal is never read
            api += _consumer_api(spec.name, consumer_name(service, spec))
            # A consumer reads by sequence what JetStream handed out and has not redelivered
            # yet (`shared.platform.consumer`): nothing its own consumer could not read.
            if spec.name not in readable:
                api.append(f"$JS.API.STREAM.MSG.GET.{spec.name}")
    for component, spec in COMPONENTS.get(service, ()):
        api += _consumer_api(spec.name, consumer_name(service, spec, component))
    return Permissions(
        publish=Rule(allow=(*service_subjects(service), *api), deny=ERASING),
        subscribe=Rule(allow=(f"{inbox_prefix(service)}.>",)),
    )


def _both_ack_formats(kind: str, stream: str) -> tuple[str, ...]:
    """`$JS.ACK|FC.<stream>.…` and the v2 form `$JS.ACK|FC.<domain>.<account>.<stream>.…`."""
    return (f"$JS.{kind}.{stream}.>", f"$JS.{kind}.*.*.{stream}.>")


AGENCY_CONSUMERS = 9
"""How many consumers an agency may keep on D73_PUBLIC (names in `agency_consumer_names`)."""


def agency_consumer_names(agency: str) -> tuple[str, ...]:
    """The consumers agency `agency` may create: `<agency>`, `<agency>_1` … `<agency>_9`.

    NATS permissions match whole subject tokens, so an agency's consumer-name prefix is this
    list; `_` is not allowed in agency names, so no agency's names are another's."""
    return (agency, *(f"{agency}_{n}" for n in range(1, AGENCY_CONSUMERS + 1)))


def _consume(s: str, agency: str) -> tuple[str, ...]:
    """The JetStream API calls with which `agency` reads stream `s` of the AGENCIES account:
    its info and messages, and its own consumers only (never another's, never a list)."""
    return (
        f"$JS.API.STREAM.INFO.{s}",
        f"$JS.API.STREAM.MSG.GET.{s}",
        f"$JS.API.DIRECT.GET.{s}",
        f"$JS.API.DIRECT.GET.{s}.>",
        *(call for name in agency_consumer_names(agency) for call in _consumer_api(s, name)),
    )


def agency_permissions(agency: str, *, inspection: bool = False) -> Permissions:
    """Consume (never change) the D73_PUBLIC stream with its own consumers; replies and
    deliveries only on its private inbox `_INBOX_<agency>` (issue #17.1).

    Nothing else in the account can be subscribed to, so a push consumer delivering elsewhere
    (a live subject, another agency's inbox subject) reaches nobody: only what is under the
    agency's own inbox prefix can be received. With an inspection mandate it also consumes
    D73_INSPECTION, the events as the services exchange them."""
    return Permissions(
        publish=Rule(
            allow=(
                "$JS.API.INFO",
                "$JS.API.STREAM.NAMES",
                *_consume(AGENCIES_STREAM, agency),
                *(_consume(INSPECTION_STREAM, agency) if inspection else ()),
            ),
            deny=("d73.>", f"{IMPORTED_API_PREFIX}.>", f"{DELIVER_PREFIX}.>", *ERASING),
        ),
        subscribe=Rule(allow=(f"{inbox_prefix(agency)}.>",)),
    )


def agencies_admin_permissions() -> Permissions:
    """Manage the AGENCIES account's streams, but never touch D73 through the imported API."""
    return Permissions(
        publish=Rule(
            allow=("$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "_INBOX.>"),
            deny=("d73.>", f"{IMPORTED_API_PREFIX}.>", f"{DELIVER_PREFIX}.>"),
        ),
        subscribe=Rule(allow=("_INBOX.>",)),
    )


HUB_DELIVER_PREFIX = "hubs"
HUB_CONSUMER_PREFIX = "hub_"
"""Subjects of the AGENCIES account on which a city's D73_PUBLIC delivers to a hub's leaf."""


@dataclass(frozen=True)
class HubGrant:
    """What a city grants one hub (issue #17.6): a leaf-node user in the AGENCIES account and one
    durable push consumer on D73_PUBLIC that the hub's stream sources (nats-server 2.14+,
    `consumer` in a stream source). The city creates the consumer; the hub only resets it,
    answers its flow control and receives its deliveries."""

    hub: str
    password: Secret
    deliver_token: str
    """Random, so that no agency can aim a push consumer of its own at the hub's feed."""

    @property
    def user(self) -> str:
        return f"hub-{self.hub}"

    @property
    def consumer(self) -> str:
        """`hub_<hub>`: `_` is not in agency names, and `<agency>_<n>` has digits after it."""
        return f"{HUB_CONSUMER_PREFIX}{self.hub}"

    @property
    def deliver_subject(self) -> str:
        return f"{HUB_DELIVER_PREFIX}.{self.hub}.{self.deliver_token}"


def hub_leaf_permissions(domain: str, grant: HubGrant) -> Permissions:
    """All a hub's leaf connection may do in a city whose JetStream domain is `domain`: reset
    its own consumer on D73_PUBLIC through the domain's API (`$JS.<domain>.API`), answer that
    consumer's flow control, and receive its deliveries and the API's replies (`$JSC.R.…`).

    nats-server enforces this on the city's side of the link: a leaf that publishes anything
    else (delete, update or purge a stream, create or read another consumer, a live subject) is
    sent a permissions violation and disconnected, and so is a subscription to anything else
    (a wildcard one is let through but receives only what is allowed). No stream, no other
    consumer, no live subject, no dead letter is reachable."""
    own = f"{AGENCIES_STREAM}.{grant.consumer}"
    return Permissions(
        publish=Rule(
            allow=(f"$JS.{domain}.API.CONSUMER.RESET.{own}", *_both_ack_formats("FC", own))
        ),
        subscribe=Rule(allow=(grant.deliver_subject, "$JSC.R.>")),
    )


HUB_MAX_ACK_PENDING = 10_000
"""Messages in flight to a hub before the city waits for its flow-control replies."""


def hub_consumer(grant: HubGrant) -> ConsumerConfig:
    """The durable consumer a city keeps on D73_PUBLIC for a hub: everything from the start,
    pushed to the hub's deliver subject, acknowledged by the hub's flow-control replies (so the
    city remembers how far the hub has stored, across restarts of either side)."""
    return ConsumerConfig(
        durable_name=grant.consumer,
        description=f"D73_PUBLIC for the hub {grant.hub} (sourced over its leaf connection)",
        deliver_subject=grant.deliver_subject,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.FLOW_CONTROL,
        max_ack_pending=HUB_MAX_ACK_PENDING,
    )


@dataclass(frozen=True)
class CityLeaf:
    """A city's side of a hub (issue #17.6): its JetStream domain (the city's name, so a hub
    tells the cities apart as `$JS.<city>.API`), where it listens for hubs' leaf connections,
    and what it grants each hub."""

    city: str
    listen: str
    hubs: tuple[HubGrant, ...]


def _public_exports() -> tuple[Export, ...]:
    agencies = (AGENCIES_ACCOUNT,)
    exports: list[Export] = [
        Export(subject, False, agencies) for subject in (*PUBLIC_SUBJECTS, *INSPECTION_SUBJECTS)
    ]
    for spec in (*PUBLIC_STREAMS, *INSPECTION_STREAMS):
        for subject in spec.subjects:
            # Only the extended create with the stream's own subjects as filter: a consumer on
            # a public stream that sees only public subjects.
            exports.append(
                Export(f"$JS.API.CONSUMER.CREATE.{spec.name}.*.{subject}", True, agencies)
            )
        exports += [Export(fc, True, agencies) for fc in _both_ack_formats("FC", spec.name)]
    exports.append(Export(f"{DELIVER_PREFIX}.>", False, agencies))
    return tuple(exports)


def _public_imports() -> tuple[Import, ...]:
    imports: list[Import] = []
    for export in _public_exports():
        to = None
        if export.subject.startswith("$JS.API."):
            to = IMPORTED_API_PREFIX + export.subject.removeprefix("$JS.API")
        imports.append(Import(export.subject, SERVICE_ACCOUNT, export.service, to))
    return tuple(imports)


def _check_names(names: Sequence[str], what: str) -> None:
    for name in names:
        if not NAME.match(name):
            raise ValueError(f"{what} name {name!r} must match {NAME.pattern}")


def security_model(
    *,
    users: Mapping[str, Secret],
    agencies: Mapping[str, Secret] | None = None,
    admin: Secret | None = None,
    agencies_admin: Secret | None = None,
    system: Secret | None = None,
    inspection: Collection[str] = (),
    city: CityLeaf | None = None,
) -> SecurityModel:
    """The accounts, users and permissions of a D73 deployment.

    `users` maps each service name to its password; `agencies` maps agency user names to theirs;
    `inspection` names the agencies with an inspection mandate (the fuller tier); `city` makes
    the deployment a city that hubs source, each through its own leaf-node user.
    Optional users (admin, agencies-admin, sys) are left out when their password is None.
    """
    agencies = agencies or {}
    hubs = city.hubs if city is not None else ()
    _check_names(list(users), "service")
    _check_names(list(agencies), "agency")
    _check_names([g.hub for g in hubs] + ([city.city] if city else []), "hub or city")
    leaf_users = [g.user for g in hubs]
    taken = [*users, *agencies, *leaf_users, ADMIN_USER, AGENCIES_ADMIN_USER, SYSTEM_USER]
    clashes = sorted({name for name in taken if taken.count(name) > 1})
    if clashes:
        raise ValueError(
            f"user names must be unique across accounts; reserved or repeated: {clashes}"
        )
    d73_users = [
        User(name, password, service_permissions(name)) for name, password in users.items()
    ]
    if admin is not None:
        d73_users.append(User(ADMIN_USER, admin))
    unknown = sorted(set(inspection) - set(agencies))
    if unknown:
        raise ValueError(f"inspection mandate for agencies that are not users: {unknown}")
    agency_users = [
        User(name, pw, agency_permissions(name, inspection=name in inspection))
        for name, pw in agencies.items()
    ]
    if agencies_admin is not None:
        agency_users.append(User(AGENCIES_ADMIN_USER, agencies_admin, agencies_admin_permissions()))
    if city is not None:
        agency_users += [
            User(g.user, g.password, hub_leaf_permissions(city.city, g), ("LEAFNODE",))
            for g in hubs
        ]
    return SecurityModel(
        accounts=(
            Account(SERVICE_ACCOUNT, tuple(d73_users), exports=_public_exports()),
            Account(AGENCIES_ACCOUNT, tuple(agency_users), imports=_public_imports()),
            Account(
                SYSTEM_ACCOUNT,
                (User(SYSTEM_USER, system),) if system is not None else (),
                jetstream=False,
            ),
        ),
        city=city,
    )


def _sourced_stream(
    name: str, description: str, specs: tuple[StreamSpec, ...], replicas: int
) -> StreamConfig:
    """A stream of the AGENCIES account that only sources (with history) D73 streams.

    No subjects of its own, so nothing can be published into it. Deleting and re-creating it
    sources everything again from D73.
    """
    return StreamConfig(
        name=name,
        description=description,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=max(spec.max_age_seconds for spec in specs),
        num_replicas=replicas,
        sources=[
            StreamSource(
                name=spec.name,
                filter_subject=spec.subjects[0],
                external=ExternalStream(api=IMPORTED_API_PREFIX, deliver=DELIVER_PREFIX),
            )
            for spec in specs
        ],
    )


def agencies_public_stream(replicas: int = 1) -> StreamConfig:
    """D73_PUBLIC in the AGENCIES account: the public streams of D73."""
    return _sourced_stream(
        AGENCIES_STREAM,
        "D73 public events and audit checkpoints, sourced from the D73 account",
        PUBLIC_STREAMS,
        replicas,
    )


def agencies_inspection_stream(replicas: int = 1) -> StreamConfig:
    """D73_INSPECTION in the AGENCIES account: the inspection tier."""
    return _sourced_stream(
        INSPECTION_STREAM,
        "D73 events as the services exchange them: for inspection mandates only",
        INSPECTION_STREAMS,
        replicas,
    )


# --- rendering ---------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Value = str | int | bool | EnvVar | list["Value"] | dict[str, "Value"]


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _render(value: Value, indent: int) -> str:
    pad = "  " * indent
    if isinstance(value, EnvVar):
        return f"${value.name}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # quoted: never read as a `$variable`
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(not isinstance(v, dict | list) for v in value):
            inline = "[" + ", ".join(_render(v, 0) for v in value) + "]"
            if len(inline) + len(pad) <= 96:
                return inline
        items = "".join(f"{pad}  {_render(v, indent + 1)}\n" for v in value)
        return f"[\n{items}{pad}]"
    if all(not isinstance(v, dict | list) for v in value.values()):
        inline = "{" + ", ".join(f"{_key(k)}: {_render(v, 0)}" for k, v in value.items()) + "}"
        if len(inline) + len(pad) <= 96:
            return inline
    lines = []
    for key, item in value.items():
        lines.append(f"{pad}  {_key(key)}: {_render(item, indent + 1)}\n")
    return "{\n" + "".join(lines) + pad + "}"


def render_settings(top: Mapping[str, Value]) -> str:
    """nats-server configuration text of top-level settings, strings always quoted."""
    return "".join(f"{key}: {_render(value, 0)}\n" for key, value in top.items())


def _rule(rule: Rule) -> dict[str, Value]:
    out: dict[str, Value] = {}
    if rule.allow:
        out["allow"] = list(rule.allow)
    if rule.deny:
        out["deny"] = list(rule.deny)
    return out


def _user(user: User) -> dict[str, Value]:
    out: dict[str, Value] = {"user": user.name, "password": user.password}
    if user.connection_types:
        out["allowed_connection_types"] = list(user.connection_types)
    if user.permissions is not None:
        out["permissions"] = {
            "publish": _rule(user.permissions.publish),
            "subscribe": _rule(user.permissions.subscribe),
        }
    return out


def _account(account: Account) -> dict[str, Value]:
    out: dict[str, Value] = {}
    if account.jetstream:
        out["jetstream"] = "enabled"
    out["users"] = [_user(u) for u in account.users]
    if account.exports:
        out["exports"] = [
            {"service" if e.service else "stream": e.subject, "accounts": list(e.accounts)}
            for e in account.exports
        ]
    if account.imports:
        imports: list[Value] = []
        for i in account.imports:
            entry: dict[str, Value] = {
                "service" if i.service else "stream": {"account": i.account, "subject": i.subject}
            }
            if i.to is not None:
                entry["to"] = i.to
            imports.append(entry)
        out["imports"] = imports
    return out


def render_model(
    model: SecurityModel,
    *,
    jetstream_store: Path | str | None = None,
    cluster: ClusterSpec | None = None,
    sync_always: bool = True,
    port: int | None = None,
    monitor_port: int | None = None,
    include: str | None = None,
) -> str:
    """The nats-server configuration text for a security model; `include` (a path relative to
    the file) is loaded first, so that the variables it defines serve as `$NAME`."""
    top: dict[str, Value] = {}
    if model.city is not None:
        top["server_name"] = f"d73-{model.city.city}"
    if port is not None:
        top["port"] = port
    if monitor_port is not None:
        top["http_port"] = monitor_port
    jetstream: dict[str, Value] = {}
    if jetstream_store is not None:
        jetstream["store_dir"] = str(jetstream_store)
    if sync_always:
        # fsync every write before the ack: with the default interval, Jepsen showed that
        # acknowledged messages can be lost when nodes crash or lose power.
        jetstream["sync_interval"] = "always"
    if model.city is not None:
        jetstream["domain"] = model.city.city
    top["jetstream"] = jetstream
    if model.city is not None:
        # Hubs authenticate as the users of the accounts (each hub's leaf user, bound to
        # AGENCIES with hub_leaf_permissions): nats-server's leafnode `authorization` block
        # has no permissions, so it is deliberately absent.
        top["leafnodes"] = {"listen": model.city.listen}
    if cluster is not None:
        top["cluster"] = {
            "name": cluster.name,
            "listen": f"{cluster.host}:{cluster.port}",
            "routes": list(cluster.routes),
        }
    top["system_account"] = model.system_account
    top["accounts"] = {a.name: _account(a) for a in model.accounts}
    body = render_settings(top)
    header = (
        "# D73 nats-server configuration, rendered by services/cli/natsconfig.py: do not edit by hand.\n"  # noqa: E501 — rendered text
        "# Passwords written $NAME are read from nats-server's environment when it starts.\n"
    )
    if include is not None:
        header = (
            header.replace("from nats-server's environment", "from the included file")
            + f"include {json.dumps(include)}\n"
        )
    return header + body


def render_nats_config(
    *,
    users: Mapping[str, Secret],
    agencies: Mapping[str, Secret] | None = None,
    admin: Secret | None = None,
    agencies_admin: Secret | None = None,
    system: Secret | None = None,
    inspection: Collection[str] = (),
    jetstream_store: Path | str | None = None,
    cluster: ClusterSpec | None = None,
    sync_always: bool = True,
    port: int | None = None,
    monitor_port: int | None = None,
    include: str | None = None,
    city: CityLeaf | None = None,
) -> str:
    """Render the D73 security model (see `security_model`) as a nats-server configuration.

    The embedded runner passes literal passwords and leaves `jetstream_store` None: it sets the
    store, address and port on the command line (`-js -sd … -a … -p …`), and nats-server refuses
    a store given both ways. The compose cluster loads `compose_cluster_config()`.
    """
    model = security_model(
        users=users,
        agencies=agencies,
        admin=admin,
        agencies_admin=agencies_admin,
        system=system,
        inspection=inspection,
        city=city,
    )
    return render_model(
        model,
        jetstream_store=jetstream_store,
        cluster=cluster,
        sync_always=sync_always,
        port=port,
        monitor_port=monitor_port,
        include=include,
    )


# --- the compose cluster -----------------------------------------------------------------------

SERVICES = ("registration", "approval", "reporting")
COMPOSE_NODES = ("nats-1", "nats-2", "nats-3")
"""Compose service names of the NATS nodes (their server names are n1, n2, n3)."""
COMPOSE_CONFIG = Path("deploy/nats/cluster.conf")
COMPOSE_AGENCIES = Path("deploy/nats/agencies.txt")
COMPOSE_PUBLIC_STREAM = Path("deploy/nats/d73-public-stream.json")
COMPOSE_SECRETS_INCLUDE = "secrets/passwords.conf"
"""The generated passwords (`d73 secrets init`), mounted next to the config in each node."""
COMPOSE_INSPECTION_STREAM = Path("deploy/nats/d73-inspection-stream.json")
INSPECTION_MANDATE = "inspection"
"""The word after an agency's name in agencies.txt that grants it the inspection tier."""


def password_variable(user: str, *, agency: bool = False) -> str:
    """`NATS_<USER>_PASSWORD`, or `NATS_AGENCY_<USER>_PASSWORD` for an agency user."""
    stem = user.upper().replace("-", "_")
    return f"NATS_AGENCY_{stem}_PASSWORD" if agency else f"NATS_{stem}_PASSWORD"


def _agency_lines(path: Path) -> list[list[str]]:
    lines = (line.split("#", 1)[0].split() for line in path.read_text("utf-8").splitlines())
    return [words for words in lines if words]


def read_agencies(path: Path) -> list[str]:
    """Agency user names, one a line (`<name> [inspection]`); `#` starts a comment."""
    return [words[0] for words in _agency_lines(path)]


def read_inspection_agencies(path: Path) -> list[str]:
    """The agencies of `path` whose line grants the inspection mandate (`<name> inspection`)."""
    named = _agency_lines(path)
    wrong = [" ".join(w) for w in named if w[1:] not in ([], [INSPECTION_MANDATE])]
    if wrong:
        raise ValueError(f"{path}: lines must read `<name>` or `<name> inspection`: {wrong}")
    return [words[0] for words in named if words[1:] == [INSPECTION_MANDATE]]


def compose_cluster_config(agencies: Sequence[str] = (), inspection: Sequence[str] = ()) -> str:
    """The configuration every node of the compose cluster loads (deploy/nats/cluster.conf)."""
    return render_nats_config(
        users={s: EnvVar(password_variable(s)) for s in SERVICES},
        agencies={a: EnvVar(password_variable(a, agency=True)) for a in agencies},
        admin=EnvVar(password_variable(ADMIN_USER)),
        agencies_admin=EnvVar(password_variable(AGENCIES_ADMIN_USER)),
        system=EnvVar(password_variable(SYSTEM_USER)),
        inspection=inspection,
        jetstream_store="/data",
        cluster=ClusterSpec("d73", tuple(f"nats://{node}:6222" for node in COMPOSE_NODES)),
        sync_always=True,
        port=4222,
        monitor_port=8222,
        include=COMPOSE_SECRETS_INCLUDE,
    )


def compose_files(root: Path) -> dict[Path, str]:
    """The rendered files the compose deployment commits, by path under `root`."""
    replicas = len(COMPOSE_NODES)
    public = json.dumps(agencies_public_stream(replicas).as_dict(), indent=2)
    inspection = json.dumps(agencies_inspection_stream(replicas).as_dict(), indent=2)
    listed = root / COMPOSE_AGENCIES
    return {
        root / COMPOSE_CONFIG: compose_cluster_config(
            read_agencies(listed), read_inspection_agencies(listed)
        ),
        root / COMPOSE_PUBLIC_STREAM: public + "\n",
        root / COMPOSE_INSPECTION_STREAM: inspection + "\n",
    }


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m services.cli.natsconfig [--check]`: write (or check) the files in deploy/nats/."""
    parser = argparse.ArgumentParser(
        prog="python -m services.cli.natsconfig", description=main.__doc__
    )
    parser.add_argument("--root", type=Path, default=Path("."), help="project directory")
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    args = parser.parse_args(argv)
    stale = 0
    for target, text in compose_files(args.root).items():
        if not args.check:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
        elif not target.exists() or target.read_text(encoding="utf-8") != text:
            print(
                f"{target} is out of date: run python -m services.cli.natsconfig", file=sys.stderr
            )
            stale += 1
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
