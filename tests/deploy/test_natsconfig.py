"""The rendered NATS configuration: the committed cluster file is exactly what the model renders,
nats-server accepts it, and the same model runs a real 3-node JetStream cluster with R3 streams."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from services.cli.deployment_secrets import NATS_INCLUDE, SecretsDir
from services.cli.main import SERVICES as CLI_SERVICES
from services.cli.natsconfig import (
    AGENCIES_ADMIN_USER,
    COMPOSE_AGENCIES,
    COMPOSE_CONFIG,
    COMPOSE_INSPECTION_STREAM,
    COMPOSE_PUBLIC_STREAM,
    COMPOSE_SECRETS_INCLUDE,
    SERVICES,
    EnvVar,
    agencies_inspection_stream,
    agencies_public_stream,
    compose_files,
    main,
    password_variable,
    read_agencies,
    read_inspection_agencies,
    render_nats_config,
)
from services.cli.natsserver import nats_server_binary
from shared.platform.subjects import AGENCIES_STREAM, PUBLIC_REGISTRATION_STREAM
from tests.deploy.natsauth import AGENCY, SecuredNats, eventually, three_node_cluster

ROOT = Path(__file__).resolve().parents[2]
ENV_REFERENCE = re.compile(r"password:\s*\$([A-Z_][A-Z0-9_]*)")


def test_committed_nats_files_are_what_the_model_renders() -> None:
    for path, rendered in compose_files(ROOT).items():
        assert path.read_text(encoding="utf-8") == rendered, (
            f"{path.relative_to(ROOT)} drifted from services/cli/natsconfig.py: "
            "run `.venv/bin/python -m services.cli.natsconfig`"
        )
    assert main(["--check", "--root", str(ROOT)]) == 0


def test_committed_public_stream_is_the_replicated_d73_public_config() -> None:
    committed = json.loads((ROOT / COMPOSE_PUBLIC_STREAM).read_text(encoding="utf-8"))
    assert committed == agencies_public_stream(replicas=3).as_dict()
    assert "subjects" not in committed
    assert {s["name"] for s in committed["sources"]} == {
        "D73_PUBLIC_REGISTRATION",
        "D73_PUBLIC_APPROVAL",
        "D73_AUDIT",
        "D73_REPORTING",
    }


def test_committed_inspection_stream_sources_only_the_services_own_streams() -> None:
    committed = json.loads((ROOT / COMPOSE_INSPECTION_STREAM).read_text(encoding="utf-8"))
    assert committed == agencies_inspection_stream(replicas=3).as_dict()
    assert "subjects" not in committed
    assert {s["name"] for s in committed["sources"]} == {"D73_REGISTRATION", "D73_APPROVAL"}


def test_agencies_txt_grants_the_inspection_mandate_by_name_and_refuses_anything_else(
    tmp_path: Path,
) -> None:
    listed = tmp_path / "agencies.txt"
    listed.write_text("# x\nso-khcn\nthanh-tra-tp inspection  # the city inspectorate\n")
    assert read_agencies(listed) == ["so-khcn", "thanh-tra-tp"]
    assert read_inspection_agencies(listed) == ["thanh-tra-tp"]
    listed.write_text("so-khcn admin\n")
    with pytest.raises(ValueError, match="inspection"):
        read_inspection_agencies(listed)


def test_check_mode_fails_on_stale_files_and_writing_fixes_them(tmp_path: Path) -> None:
    (tmp_path / COMPOSE_CONFIG).parent.mkdir(parents=True)
    (tmp_path / COMPOSE_AGENCIES).write_text("# none yet\nso-khcn-soc-trang\n", encoding="utf-8")
    (tmp_path / COMPOSE_CONFIG).write_text("stale", encoding="utf-8")
    assert main(["--check", "--root", str(tmp_path)]) == 1
    assert not (tmp_path / COMPOSE_PUBLIC_STREAM).exists()
    assert main(["--root", str(tmp_path)]) == 0
    assert main(["--check", "--root", str(tmp_path)]) == 0
    text = (tmp_path / COMPOSE_CONFIG).read_text(encoding="utf-8")
    assert "$NATS_AGENCY_SO_KHCN_SOC_TRANG_PASSWORD" in text


def test_committed_config_passwords_are_references_the_generated_include_satisfies(
    tmp_path: Path,
) -> None:
    """Every password is `$NAME`; `d73 secrets init` writes the include that defines them all,
    and nats-server accepts the committed file with it, and refuses it with one missing."""
    text = (ROOT / COMPOSE_CONFIG).read_text(encoding="utf-8")
    variables = set(ENV_REFERENCE.findall(text))
    assert variables == {
        password_variable(user)
        for user in ("registration", "approval", "reporting", "admin", "agencies-admin", "sys")
    } | {password_variable(a, agency=True) for a in read_agencies(ROOT / COMPOSE_AGENCIES)}
    generated = tmp_path / "generated"
    SecretsDir(generated, read_agencies(ROOT / COMPOSE_AGENCIES)).init({})
    config = tmp_path / "cluster.conf"
    config.write_text(text, encoding="utf-8")
    include = tmp_path / COMPOSE_SECRETS_INCLUDE
    include.parent.mkdir()
    include.write_text((generated / NATS_INCLUDE).read_text(encoding="utf-8"), encoding="utf-8")

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(nats_server_binary()), "-t", "-c", str(config)],
            env={},
            capture_output=True,
            text=True,
            timeout=20,
        )

    accepted = check()
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    lines = include.read_text(encoding="utf-8").splitlines()
    include.write_text(
        "\n".join(line for line in lines if not line.startswith("NATS_SYS_PASSWORD")) + "\n",
        encoding="utf-8",
    )
    missing = check()
    assert missing.returncode != 0, "a missing password must stop nats-server from starting"
    assert "can not be found" in missing.stdout + missing.stderr


def test_literal_passwords_are_quoted_so_nats_never_reads_them_as_variables(
    tmp_path: Path,
) -> None:
    text = render_nats_config(users={"registration": "$HOME-not-a-variable"})
    assert 'password: "$HOME-not-a-variable"' in text
    text_env = render_nats_config(users={"registration": EnvVar("REG_PW")})
    assert "password: $REG_PW" in text_env
    config = tmp_path / "literal.conf"
    config.write_text(render_nats_config(users={"registration": "$UNSET_VARIABLE"}))
    check = subprocess.run(
        [str(nats_server_binary()), "-t", "-c", str(config)],
        env={},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("name", ["Registration", "so khcn", "", "a.b", "x>"])
def test_user_names_must_be_plain_lowercase(name: str) -> None:
    with pytest.raises(ValueError, match="must match"):
        render_nats_config(users={"registration": "pw"}, agencies={name: "pw"})


@pytest.mark.parametrize("agency", [AGENCIES_ADMIN_USER, "admin", "sys", "registration"])
def test_user_names_are_unique_across_accounts(agency: str) -> None:
    """nats-server knows a user by name alone: an agency called `registration` would clash."""
    with pytest.raises(ValueError, match="unique across accounts"):
        render_nats_config(users={"registration": "pw"}, agencies={agency: "pw"})


def test_compose_services_are_the_native_runner_services() -> None:
    assert SERVICES == CLI_SERVICES


def test_three_node_cluster_replicates_streams_and_serves_agencies(tmp_path: Path) -> None:
    """The compose topology with the real binary: n1..n3, routes, R3 streams, sourcing."""
    with three_node_cluster(tmp_path) as cluster:
        asyncio.run(_replicated_history(cluster))


async def _replicated_history(nats_: SecuredNats) -> None:
    async with nats_.login("registration") as reg:
        js = reg.js(timeout=5)
        spec = PUBLIC_REGISTRATION_STREAM
        # Three nodes on a loaded machine can take many seconds to elect a meta leader; until
        # then a stream request times out (an add that went through meanwhile answers the same).
        info = await eventually(lambda: js.add_stream(spec.config(replicas=3)), within=60)
        assert info.config.num_replicas == 3
        # A new R3 stream answers only once its replicas elected a leader; a publish before that
        # finds no responder. Each message carries its id, so a retried publish is stored once.
        for n in range(2):

            async def publish(n: int = n) -> Any:
                subject = "d73.public.registration.proposal.submitted"
                return await js.publish(subject, f"p{n}".encode(), headers={"Nats-Msg-Id": f"p{n}"})

            await eventually(publish, within=20)
        info = await js.stream_info(spec.name)
        assert info.cluster.leader is not None
        assert info.state.messages == 2
        assert len(info.cluster.replicas) == 2
    async with nats_.login(AGENCIES_ADMIN_USER) as admin:
        admin_js = admin.js(timeout=5)
        await eventually(lambda: admin_js.add_stream(agencies_public_stream(replicas=3)), within=60)
    async with nats_.login(AGENCY) as agency:
        js = agency.js(timeout=5)
        sub = await js.pull_subscribe(
            "d73.public.registration.>", durable=AGENCY, stream=AGENCIES_STREAM
        )

        got: list[Any] = []

        async def two() -> list[Any] | None:
            # Keep what each fetch returned (a fetched message comes back only after ack_wait).
            got.extend(await sub.fetch(2 - len(got), timeout=1))
            return got if len(got) == 2 else None

        messages = await eventually(two, within=15)
        assert [m.data for m in messages] == [b"p0", b"p1"]


def test_publishing_services_may_read_the_witness_cosignatures_their_relay_checks() -> None:
    """At start a relay compares its checkpoints with the witness's cosignatures in D73_REPORTING
    (issue #12 §4): without the read, the broker drops the service's connection."""
    from services.cli.natsconfig import service_permissions

    for service in ("registration", "approval"):
        allowed = service_permissions(service).publish.allow
        assert "$JS.API.STREAM.MSG.GET.D73_REPORTING" in allowed, service
