"""Container health check: GET /healthz of the D73 service this container serves.

The image serves any of the three services or the portal (`d73 serve <service>`), each on its
own port, so the check finds the service in the running command line and its port in the D73_*
settings. Exit 0 when healthy, 1 otherwise (Docker's HEALTHCHECK contract). Standard library
plus shared.platform.settings.
"""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path

SERVICES = ("registration", "approval", "reporting", "portal")


def service_in(argv: Sequence[str]) -> str | None:
    """`registration` for `… d73 serve registration`; None for any other command."""
    for i, arg in enumerate(argv[:-1]):
        if arg == "serve" and argv[i + 1] in SERVICES:
            return argv[i + 1]
    return None


def command_lines(proc: Path = Path("/proc")) -> Iterable[list[str]]:
    """Every process's argv, PID 1 first (the container's entrypoint)."""
    pids = sorted((p for p in proc.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    for pid in pids:
        try:
            raw = (pid / "cmdline").read_bytes()
        except OSError:
            continue
        yield [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def served_service(proc: Path = Path("/proc")) -> str | None:
    for argv in command_lines(proc):
        service = service_in(argv)
        if service is not None:
            return service
    return None


def healthy(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def main(proc: Path = Path("/proc")) -> int:
    from shared.platform.settings import Settings

    service = served_service(proc)
    if service is None:
        print("no `d73 serve <service>` process found", file=sys.stderr)
        return 1
    url = f"http://127.0.0.1:{Settings().port_of(service)}/healthz"
    if healthy(url):
        return 0
    print(f"{service}: {url} is not healthy", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
