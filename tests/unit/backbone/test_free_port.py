"""The ports tests and benches give the processes they start: free, and never one the kernel
hands to an outgoing connection meanwhile (an "address already in use" seen once in CI)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from services.cli import natsserver
from services.cli.natsserver import LISTEN_PORTS, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_listened_on() -> None:
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {free_port() for _ in range(20)}
    assert all(LISTEN_PORTS.start <= port < min(LISTEN_PORTS.stop, low) for port in ports)
    assert len(ports) > 1  # chosen at random, so side-by-side tests rarely pick the same
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports.pop()))
        listener.listen()


def test_a_port_someone_listens_on_is_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setattr(natsserver, "LISTEN_PORTS", range(busy, busy + 1))
        monkeypatch.setattr(natsserver, "_ephemeral_low", lambda: busy + 1)
        # The only candidate is taken: the kernel's choice, which is free.
        port = free_port()
        assert port != busy
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", port))
