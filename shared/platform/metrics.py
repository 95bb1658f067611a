"""Prometheus metrics of a service, served at `GET /metrics` (prometheus-client's default registry,
which also carries the process's CPU, memory, open files and start time).

One family per question an operator asks; every family has a `service` label so one Prometheus
scrapes the three services alike (docs/operators.md, "Metrics"):

- HTTP: requests by route template and status, and their latency;
- commands (every POST/PUT/PATCH/DELETE): by name and outcome — accepted, refused (4xx), failed;
- the outbox relay: the store's position, the last published one and the lag between them;
- consumers: messages by outcome, redeliveries, dead letters, and the lag JetStream reports
  (messages not yet delivered, and delivered but not acknowledged);
- the verifiable log: checkpoints signed, and checkpoints witnessed by result;
- statutory deadlines breached.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import Scope

log = logging.getLogger("d73.command")

HTTP_REQUESTS = Counter(
    "d73_http_requests", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "d73_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMANDS = Counter("d73_commands", "Commands received over HTTP", ["service", "command", "outcome"])
STORE_POSITION = Gauge(
    "d73_store_position", "Last notification id in the service's event store", ["service"]
)
RELAY_POSITION = Gauge(
    "d73_relay_published_position", "Store position of the last published event", ["service"]
)
RELAY_LAG = Gauge(
    "d73_relay_lag_events",
    "Stored events the relay has still to publish (counted up to one batch, 500)",
    ["service"],
)
CONSUMED = Counter(
    "d73_consumer_messages",
    "Messages a consumer settled, by outcome",
    ["service", "consumer", "outcome"],
)
REDELIVERIES = Counter(
    "d73_consumer_redeliveries", "Messages delivered more than once", ["service", "consumer"]
)
DEAD_LETTERS = Counter(
    "d73_dead_letters", "Messages sent to the dead-letter stream", ["service", "consumer"]
)
CONSUMER_PENDING = Gauge(
    "d73_consumer_lag_messages",
    "Messages of the upstream stream not yet delivered to the consumer",
    ["service", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "d73_consumer_ack_pending_messages",
    "Messages delivered and not yet acknowledged",
    ["service", "consumer"],
)
CHECKPOINTS_SIGNED = Counter(
    "d73_checkpoints_signed", "Audit checkpoints the service signed", ["service"]
)
CHECKPOINTS_WITNESSED = Counter(
    "d73_checkpoints_witnessed",
    "Checkpoints of another service's log the witness checked, by result",
    ["service", "log", "result"],
)
DEADLINE_BREACHES = Counter(
    "d73_deadline_breaches", "Statutory deadlines found breached", ["service", "deadline"]
)

COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNMATCHED = "unmatched"


def exposition() -> tuple[bytes, str]:
    """The text Prometheus scrapes, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def command_name(route: Any) -> str:
    """The command a route carries out: its endpoint's name (`receive_plan` → `receive-plan`,
    `draft`), else the last word of its path."""
    name = getattr(route, "name", None)
    if isinstance(name, str) and name:
        return name.replace("_", "-")
    path = str(getattr(route, "path", ""))
    literal = [part for part in path.split("/") if part and not part.startswith("{")]
    return literal[-1] if literal else path


def outcome_of(status: int) -> str:
    return "accepted" if status < 400 else "refused" if status < 500 else "failed"


def aggregate_of(path_params: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
    """The aggregate a command addressed: its id in the path, else the one it created."""
    for name, value in path_params.items():
        if name.endswith("_id"):
            return str(value)
    location = headers.get("location")
    return location.rstrip("/").rsplit("/", 1)[-1] if location else None


class RequestMetrics:
    """Counts and times every request by its route template (never the raw path, so ids do not
    multiply the series), and writes one log line per command with its outcome.

    `shared.platform.web.ServiceEdge` calls `record` once a request is answered. The metric
    children of each label set are looked up once and kept: prometheus-client's `labels` takes
    a lock and builds its key on every call."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._requests: dict[tuple[str, str, int], Any] = {}
        self._latency: dict[tuple[str, str], Any] = {}
        self._commands: dict[tuple[str, str], Any] = {}

    def record(self, scope: Scope, status: int, location: str | None, elapsed: float) -> None:
        """One answered request: `status` as sent (500 if none was), the `location` header it
        sent if any, `elapsed` seconds since it came."""
        route_object = scope.get("route")
        route = str(getattr(route_object, "path", UNMATCHED))
        method = str(scope["method"])
        counted = self._requests.get((method, route, status))
        if counted is None:
            counted = HTTP_REQUESTS.labels(self.service, method, route, str(status))
            self._requests[(method, route, status)] = counted
        counted.inc()
        timed = self._latency.get((method, route))
        if timed is None:
            timed = self._latency[(method, route)] = HTTP_LATENCY.labels(
                self.service, method, route
            )
        timed.observe(elapsed)
        if method not in COMMAND_METHODS or route == UNMATCHED:
            return
        command, outcome = command_name(route_object), outcome_of(status)
        commands = self._commands.get((command, outcome))
        if commands is None:
            commands = self._commands[(command, outcome)] = COMMANDS.labels(
                self.service, command, outcome
            )
        commands.inc()
        if not log.isEnabledFor(logging.INFO):
            return
        headers = {"location": location} if location is not None else {}
        log.info(
            "command %s %s",
            command,
            outcome,
            extra={
                "command": command,
                "aggregate_id": aggregate_of(scope.get("path_params", {}), headers),
                "outcome": outcome,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
