"""Reading docker-compose.yml, .env.example and the Dockerfile the way Docker would, enough to
compare them with the native runner without a Docker engine."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)


def load_compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


def variables_read(text: str) -> set[str]:
    """Every `${NAME…}` the compose file interpolates."""
    return {m.group("name") for m in INTERPOLATION.finditer(text)}


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}` forms."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        if name in env and (env[name] or op in (None, "-", "?")):
            return env[name]
        if op in (":-", "-"):
            return arg or ""
        if op in (":?", "?"):
            raise KeyError(f"{name} is required: {arg}")
        return ""

    return INTERPOLATION.sub(one, value)


def only_variable(value: str) -> str | None:
    """`NAME` when the whole value is one interpolation of NAME, else None."""
    match = INTERPOLATION.fullmatch(value)
    return match.group("name") if match else None


@dataclass(frozen=True)
class PortMapping:
    host_ip: str
    host_port: int
    container_port: int

    @classmethod
    def parse(cls, text: str) -> PortMapping:
        parts = str(text).split(":")
        if len(parts) == 3:
            return cls(parts[0], int(parts[1]), int(parts[2]))
        if len(parts) == 2:
            return cls("", int(parts[0]), int(parts[1]))
        raise ValueError(f"unsupported port mapping {text!r}")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        value: list[str] = json.loads(self.arguments)
        return value


def dockerfile_instructions() -> list[Instruction]:
    """Instructions with continuation lines joined; comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    out = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        out.append(Instruction(keyword.upper(), arguments.strip()))
    return out


@dataclass(frozen=True)
class Mount:
    """One entry of a service's `volumes:`, short (`src:dst[:ro]`) or long syntax alike."""

    source: str
    target: str
    read_only: bool
    subpath: str = ""

    @classmethod
    def parse(cls, entry: str | dict[str, Any]) -> Mount:
        if isinstance(entry, dict):
            return cls(
                str(entry["source"]),
                str(entry["target"]),
                bool(entry.get("read_only", False)),
                str(entry.get("volume", {}).get("subpath", "")),
            )
        source, target, *mode = entry.split(":")
        return cls(source, target, mode == ["ro"])

    @property
    def named_volume(self) -> bool:
        return not self.source.startswith((".", "/"))


def mounts(service: dict[str, Any]) -> list[Mount]:
    return [Mount.parse(entry) for entry in service.get("volumes", [])]


def host_path(service: dict[str, Any], path: str, volumes: Path) -> Path:
    """Where a container path of `service` lies on this machine when each named volume `v` is the
    directory `volumes/v` (the longest mount target containing the path decides)."""
    best: Mount | None = None
    for mount in mounts(service):
        if (path == mount.target or path.startswith(mount.target.rstrip("/") + "/")) and (
            best is None or len(mount.target) > len(best.target)
        ):
            best = mount
    if best is None:
        raise KeyError(f"{path} is on no volume of the service")
    base = volumes / best.source / best.subpath if best.named_volume else ROOT / best.source
    return base / path[len(best.target) :].lstrip("/")
