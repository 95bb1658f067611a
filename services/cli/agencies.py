"""Agency users on the native run (`d73 agency add|remove|list`, issue #17.1).

`d73 run` keeps the NATS users of the embedded server in `<data>/nats-users.json` (owner-only):
fresh passwords for the services and operators on every start, the agencies' kept. An agency
added while the suite runs is live at once: the configuration is rendered again and nats-server
reloads it (SIGHUP). Each agency gets a credentials file, `<data>/agencies/<name>.env`: where to
connect, its user and password, its inbox prefix, the stream and its consumer names.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.cli.natsconfig import (
    NAME,
    CityLeaf,
    HubGrant,
    agency_consumer_names,
    render_nats_config,
)
from shared.platform.subjects import AGENCIES_STREAM, inbox_prefix

USERS_FILE = "nats-users.json"
CONFIG_FILE = "nats-server.conf"
PID_FILE = "nats-server.pid"
CREDENTIALS_DIR = "agencies"


class AgencyError(Exception):
    """The agency cannot be added or removed as asked (the message says why)."""


def write_private(path: Path, text: str) -> None:
    """Owner-only from the first byte: these files hold passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    path.chmod(0o600)


@dataclass
class NatsUsers:
    """The users of the embedded nats-server, as `d73 run` renders them."""

    data_dir: Path
    services: dict[str, str] = field(default_factory=dict)
    admin: str = ""
    agencies_admin: str = ""
    agencies: dict[str, str] = field(default_factory=dict)
    city: dict[str, Any] = field(default_factory=dict)
    """`d73 hub city-config`: {"name", "listen", "hubs": {hub: {"password", "deliver_token"}}}."""

    @classmethod
    def load(cls, data_dir: Path) -> NatsUsers:
        path = data_dir / USERS_FILE
        if not path.exists():
            return cls(data_dir)
        saved = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            data_dir,
            services=dict(saved.get("services", {})),
            admin=saved.get("admin", ""),
            agencies_admin=saved.get("agencies_admin", ""),
            agencies=dict(saved.get("agencies", {})),
            city=dict(saved.get("city", {})),
        )

    def fresh_start(self, services: tuple[str, ...]) -> None:
        """New passwords for the services and operators (each run); the agencies' stay."""
        self.services = {service: secrets.token_urlsafe(24) for service in services}
        self.admin = secrets.token_urlsafe(24)
        self.agencies_admin = secrets.token_urlsafe(24)

    def config_text(self) -> str:
        return render_nats_config(
            users=self.services,
            agencies=self.agencies,
            admin=self.admin or None,
            agencies_admin=self.agencies_admin or None,
            sync_always=True,
            city=self.city_leaf(),
        )

    def city_leaf(self) -> CityLeaf | None:
        """This suite as a city that hubs source, once `d73 hub city-config` made it one."""
        if not self.city:
            return None
        grants = tuple(
            HubGrant(hub, grant["password"], grant["deliver_token"])
            for hub, grant in sorted(self.city.get("hubs", {}).items())
        )
        return CityLeaf(self.city["name"], self.city["listen"], grants)

    def save(self) -> Path:
        """Write the users and the rendered configuration; returns the configuration's path."""
        document = {
            "services": self.services,
            "admin": self.admin,
            "agencies_admin": self.agencies_admin,
            "agencies": self.agencies,
            **({"city": self.city} if self.city else {}),
        }
        write_private(self.data_dir / USERS_FILE, json.dumps(document, indent=2) + "\n")
        config = self.data_dir / CONFIG_FILE
        if self.services:
            write_private(config, self.config_text())
        return config

    def add(self, name: str) -> str:
        if not NAME.match(name):
            raise AgencyError(
                f"agency name {name!r}: lowercase letters, digits and dashes, starting with a "
                "letter (at most 63)"
            )
        if name in self.agencies:
            raise AgencyError(f"agency {name!r} exists already (d73 agency list)")
        hubs = {f"hub-{hub}" for hub in self.city.get("hubs", {})}
        if name in self.services or name in ("admin", "agencies-admin", "sys", *hubs):
            raise AgencyError(f"{name!r} is a reserved user name")
        self.agencies[name] = secrets.token_urlsafe(24)
        return self.agencies[name]

    def remove(self, name: str) -> None:
        if self.agencies.pop(name, None) is None:
            raise AgencyError(f"no agency {name!r} (d73 agency list)")

    def credentials_path(self, name: str) -> Path:
        return self.data_dir / CREDENTIALS_DIR / f"{name}.env"


def credentials_text(name: str, password: str, url: str) -> str:
    """An agency's credentials file: environment-variable lines a subscriber reads."""
    return (
        f"# D73 agency credentials for {name}: keep them secret (they read every public event).\n"
        "# Connect with nats-py: nats.connect(NATS_URL, user=NATS_USER, password=NATS_PASSWORD,\n"
        "#     inbox_prefix=NATS_INBOX_PREFIX); consume D73_STREAM with a pull consumer named\n"
        "#     one of D73_CONSUMERS (replay from the start: deliver_policy all).\n"
        f"NATS_URL={url}\n"
        f"NATS_USER={name}\n"
        f"NATS_PASSWORD={password}\n"
        f"NATS_INBOX_PREFIX={inbox_prefix(name)}\n"
        f"D73_STREAM={AGENCIES_STREAM}\n"
        f"D73_CONSUMERS={','.join(agency_consumer_names(name))}\n"
    )


def running_server_pid(data_dir: Path) -> int | None:
    """The embedded nats-server's pid while `d73 run` runs, else None."""
    try:
        pid = int((data_dir / PID_FILE).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def reload_server(data_dir: Path) -> bool:
    """Ask a running embedded nats-server to load its configuration again (SIGHUP)."""
    pid = running_server_pid(data_dir)
    if pid is None:
        return False
    os.kill(pid, signal.SIGHUP)
    return True
