"""A real nats-server loaded with the rendered D73 security model, and clients that log in as
its users and record the permission violations the server reports to them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats

from services.cli.natsconfig import (
    ADMIN_USER,
    AGENCIES_ADMIN_USER,
    SYSTEM_USER,
    ClusterSpec,
    render_nats_config,
)
from services.cli.natsserver import NatsServer, free_port
from shared.platform.subjects import inbox_prefix

SERVICE_PASSWORDS = {s: f"pw-{s}" for s in ("registration", "approval", "reporting")}
AGENCY = "so-khcn-hau-giang"
"""An agency user (a neighbouring province's Department of Science and Technology)."""
INSPECTOR = "thanh-tra-thanh-pho"
"""An agency with an inspection mandate (the city inspectorate): the fuller tier too."""
PASSWORDS = {
    **SERVICE_PASSWORDS,
    AGENCY: "pw-agency",
    INSPECTOR: "pw-inspector",
    ADMIN_USER: "pw-admin",
    AGENCIES_ADMIN_USER: "pw-agencies-admin",
    SYSTEM_USER: "pw-sys",
}


def render_test_config(cluster: ClusterSpec | None = None) -> str:
    return render_nats_config(
        users=SERVICE_PASSWORDS,
        agencies={AGENCY: PASSWORDS[AGENCY], INSPECTOR: PASSWORDS[INSPECTOR]},
        inspection=(INSPECTOR,),
        admin=PASSWORDS[ADMIN_USER],
        agencies_admin=PASSWORDS[AGENCIES_ADMIN_USER],
        system=PASSWORDS[SYSTEM_USER],
        cluster=cluster,
        sync_always=True,
    )


@dataclass
class Session:
    """One connection as one user; `errors` collects what the server refused."""

    nc: Any
    errors: list[Exception] = field(default_factory=list)

    def js(self, *, prefix: str | None = None, timeout: float = 0.5) -> Any:
        if prefix is None:
            return self.nc.jetstream(timeout=timeout)
        return self.nc.jetstream(prefix=prefix, timeout=timeout)

    async def violation(self, subject: str, within: float = 3.0) -> str:
        """The server's permissions-violation error for `subject` (waits for it to arrive)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for error in self.errors:
                text = str(error).lower()
                if "permissions violation" in text and subject.lower() in text:
                    return text
            await asyncio.sleep(0.02)
        raise AssertionError(f"no permissions violation for {subject!r}; got {self.errors!r}")


@dataclass
class SecuredNats:
    url: str

    @contextlib.asynccontextmanager
    async def login(self, user: str) -> AsyncIterator[Session]:
        session = Session(nc=None)

        async def on_error(error: Exception) -> None:
            session.errors.append(error)

        session.nc = await nats.connect(
            self.url.split(","),
            user=user,
            password=PASSWORDS[user],
            error_cb=on_error,
            allow_reconnect=False,
            inbox_prefix=(
                inbox_prefix(user) if user in (*SERVICE_PASSWORDS, AGENCY, INSPECTOR) else "_INBOX"
            ),
        )
        try:
            yield session
        finally:
            await session.nc.close()


@contextlib.contextmanager
def secured_nats_server(directory: Path) -> Iterator[tuple[NatsServer, SecuredNats]]:
    """The embedded runner's topology: one server, the rendered config, `-js -sd -a -p`."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "nats.conf"
    config.write_text(render_test_config(), encoding="utf-8")
    server = NatsServer(
        directory / "store", free_port(), monitor_port=free_port(), config_file=config
    )
    server.start()
    try:
        yield server, SecuredNats(server.url)
    finally:
        server.stop()


class ClusterNode(NatsServer):
    """A cluster member: the same arguments as the embedded server, plus its server name."""

    def __init__(self, name: str, store_dir: Path, port: int, config_file: Path) -> None:
        super().__init__(store_dir, port, config_file=config_file)
        self.name = name

    def command(self) -> list[str]:
        return [*super().command(), "--server_name", self.name]


@contextlib.contextmanager
def three_node_cluster(tmp_path: Path) -> Iterator[SecuredNats]:
    """Compose's NATS topology with the real binary: n1..n3 routed to one another, each with its
    own store under `tmp_path`; stopped on leaving. Its first stream request may wait for the
    meta leader (see `eventually`)."""
    cluster_ports = [free_port() for _ in range(3)]
    routes = tuple(f"nats://127.0.0.1:{port}" for port in cluster_ports)
    nodes: list[ClusterNode] = []
    for n, cluster_port in enumerate(cluster_ports, start=1):
        config = tmp_path / f"n{n}.conf"
        spec = ClusterSpec("d73-test", routes, port=cluster_port, host="127.0.0.1")
        config.write_text(render_test_config(cluster=spec), encoding="utf-8")
        nodes.append(ClusterNode(f"n{n}", tmp_path / f"n{n}", free_port(), config))
    try:
        for node in nodes:
            node.start()
        yield SecuredNats(",".join(node.url for node in nodes))
    finally:
        for node in nodes:
            node.stop()


def varz(monitor_port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/varz", timeout=5) as response:
        document: dict[str, Any] = json.load(response)
        return document


async def eventually(
    probe: Callable[[], Awaitable[Any]], within: float = 10.0, interval: float = 0.05
) -> Any:
    """The first truthy result of `probe`, retrying (also through errors) for `within` s."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await probe()
            if last:
                return last
        except Exception as error:  # cluster not ready yet, stream not sourced yet…
            last = error
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met in {within}s (last: {last!r})")
