"""The image's HEALTHCHECK (deploy/healthcheck.py) probes the service its container serves."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from services.cli.natsserver import free_port

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("d73_healthcheck", ROOT / "deploy/healthcheck.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = _load()


def _fake_proc(root: Path, processes: dict[int, list[str]]) -> Path:
    for pid, argv in processes.items():
        (root / str(pid)).mkdir(parents=True)
        (root / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (root / "self").mkdir()
    return root


class _Healthz(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"status":"ok"}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def healthz_port() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", free_port()), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_service_is_read_from_the_d73_serve_command_line() -> None:
    assert (
        healthcheck.service_in(["/opt/venv/bin/python", "/opt/venv/bin/d73", "serve", "approval"])
        == "approval"
    )
    assert healthcheck.service_in(["d73", "serve"]) is None
    assert healthcheck.service_in(["d73", "serve", "billing"]) is None
    assert healthcheck.service_in(["d73", "run"]) is None


def test_entrypoint_process_is_found_even_behind_an_init(tmp_path: Path) -> None:
    proc = _fake_proc(
        tmp_path,
        {1: ["/sbin/docker-init", "--", "d73", "serve", "reporting"], 7: ["python", "x"]},
    )
    assert healthcheck.served_service(proc) == "reporting"
    assert healthcheck.served_service(_fake_proc(tmp_path / "empty", {1: ["sh"]})) is None


def test_healthy_when_the_served_service_answers_on_its_configured_port(
    tmp_path: Path, healthz_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc = _fake_proc(
        tmp_path, {1: ["/opt/venv/bin/python", "/opt/venv/bin/d73", "serve", "approval"]}
    )
    monkeypatch.setenv("D73_APPROVAL_PORT", str(healthz_port))
    assert healthcheck.main(proc) == 0
    # Another service's port answering does not make this one healthy.
    monkeypatch.setenv("D73_APPROVAL_PORT", str(free_port()))
    monkeypatch.setenv("D73_REGISTRATION_PORT", str(healthz_port))
    assert healthcheck.main(proc) == 1


def test_unhealthy_without_a_d73_serve_process(tmp_path: Path) -> None:
    assert healthcheck.main(_fake_proc(tmp_path, {1: ["sleep", "infinity"]})) == 1
