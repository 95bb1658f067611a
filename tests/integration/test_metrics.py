"""Each service's /metrics, scraped as Prometheus does, while one submission flows through the
three service processes: the families exist, and they move."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.cli.natsserver import NatsServer
from tests.support.flows import proposer_headers, submit_proposal, wait_for_case
from tests.support.infra import Suite, wait_until

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

COMMON = {
    "d73_http_requests",
    "d73_http_request_duration_seconds",
    "d73_commands",
    "d73_store_position",
    "d73_relay_published_position",
    "d73_relay_lag_events",
    "d73_consumer_messages",
    "d73_consumer_redeliveries",
    "d73_dead_letters",
    "d73_consumer_lag_messages",
    "d73_consumer_ack_pending_messages",
    "d73_checkpoints_signed",
    "d73_checkpoints_witnessed",
    "d73_deadline_breaches",
    "process_cpu_seconds",
    "process_resident_memory_bytes",
    "process_open_fds",
}


def scrape(url: str) -> tuple[set[str], Samples]:
    r = httpx.get(f"{url}/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    families, samples = set(), {}
    for family in text_string_to_metric_families(r.text):
        families.add(family.name)
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return families, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def test_every_service_serves_its_metrics_and_they_move_with_a_submission(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    suite = Suite(
        nats_url=nats_server.url,
        data_dir=tmp_path,
        extra_env={"D73_CHECKPOINT_EVERY_SECONDS": "1"},
    )
    try:
        suite.start()
        before = {name: scrape(suite[name].url)[1] for name in suite.services}
        for name in suite.services:
            families, _ = scrape(suite[name].url)
            assert families >= COMMON, f"{name} lacks {sorted(COMMON - families)}"
        headers = proposer_headers()
        with httpx.Client(timeout=30) as client:
            refused = client.post(
                f"{suite['registration'].url}/proposals", json={}, headers=headers
            )
            assert refused.status_code == 422
            proposal = submit_proposal(client, suite["registration"].url, headers)
            wait_for_case(client, suite["approval"].url, proposal, headers)

            def archived() -> bool:
                r = client.get(
                    f"{suite['reporting'].url}/proposals/{proposal}/history", headers=headers
                )
                return r.status_code == 200 and len(r.json()["events"]) >= 2

            wait_until(archived, timeout=30)

        def moved(name: str, check: Callable[[Samples, Samples], bool]) -> bool:
            return check(before[name], scrape(suite[name].url)[1])

        def grew(metric: str, **labels: str) -> Callable[[Samples, Samples], bool]:
            return lambda old, new: value(new, metric, **labels) > value(old, metric, **labels)

        reg = "registration"
        wait_until(
            lambda: moved(reg, grew("d73_commands_total", command="submit", outcome="accepted"))
        )
        wait_until(
            lambda: moved(reg, grew("d73_commands_total", command="draft", outcome="refused"))
        )
        wait_until(
            lambda: moved(
                reg,
                grew(
                    "d73_http_requests_total",
                    method="POST",
                    route="/proposals/{proposal_id}/submit",
                ),
            )
        )
        wait_until(lambda: moved(reg, grew("d73_http_request_duration_seconds_count")))
        wait_until(lambda: moved(reg, grew("d73_store_position")))
        wait_until(lambda: moved(reg, grew("d73_relay_published_position")))
        wait_until(lambda: moved(reg, grew("d73_checkpoints_signed_total")), timeout=30)
        wait_until(
            lambda: moved("approval", grew("d73_consumer_messages_total", outcome="processed"))
        )
        wait_until(lambda: moved("approval", grew("d73_relay_published_position")))
        wait_until(
            lambda: moved("reporting", grew("d73_consumer_messages_total", outcome="processed"))
        )
        wait_until(
            lambda: moved("reporting", grew("d73_checkpoints_witnessed_total", result="verified")),
            timeout=30,
        )

        def settled(name: str) -> bool:
            _, now = scrape(suite[name].url)
            lags = ("d73_relay_lag_events", "d73_consumer_lag_messages", "d73_dead_letters_total")
            return all(value(now, lag) == 0 for lag in lags)

        for name in suite.services:
            wait_until(lambda: settled(name))  # noqa: B023 (called at once)
            assert value(scrape(suite[name].url)[1], "process_cpu_seconds_total") > 0
    finally:
        suite.stop()
