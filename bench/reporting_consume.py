"""Reporting's CPU per archived event, in process: its consumers' path without NATS.

    .venv/bin/python -m bench.reporting_consume --journeys 150 --rounds 3

Realistic journeys (tests/support/reporting_data.py, driven through the approval domain) are
published as the two upstream streams would hold them, each message with its CloudEvents
headers and its service's log head, and fed to reporting's consumers as the pull loop does (one
worker-thread pass per batch of up to 64 messages of one stream, in stream order): the archive
consumers of D73_REGISTRATION and D73_APPROVAL (decode, archive, witness) and the notifier's
consumer of D73_APPROVAL (case file, each person's notification), on fresh SQLite stores, with
the read models caught up every 64 messages as `follow_archive` does. Every message is processed
exactly once (no redelivery), nothing is published (the relay and its log are not here).
`--batch 1` is a steady feed: each fetch brings one message, one pass (and commit) each; the
read models still catch up every 64 messages (the service's follows the archive on a timer).

Prints CPU µs per archived event (process CPU time, not wall time: the figure that matters on
a shared machine), split into the archive, the notifier and the read models; `--mix submissions`
keeps only what `bench.submissions` drives (each proposal's submission and its case's opening).
Rounds repeat on new stores; the best counts. `--postgres`: the stores in throwaway databases
on the local PostgreSQL server (127.0.0.1:5432, D73_TEST_POSTGRES_* to change), dropped after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil

from services.reporting.application import ReportingApplication
from services.reporting.consumers import ArchivingConsumer
from services.reporting.notifications.component import create_notifications
from shared.kernel.directory import OrganisationDirectory, load_directory
from shared.platform.consumer import TrackedConsumer, share_decodes
from shared.platform.envelope import CE_TYPE
from shared.platform.settings import Settings
from shared.platform.skeleton import service_store_env
from shared.platform.subjects import APPROVAL_STREAM, REGISTRATION_STREAM
from shared.records.merkle.tree import MerkleTree
from shared.records.servicelog.heads import log_headers
from tests.support.infra import throwaway_postgres
from tests.support.reporting_data import Message, arrivals, publish, random_journeys

BATCH = 64
PRIVATE_LEAVES = {REGISTRATION_STREAM.name: 3, APPROVAL_STREAM.name: 0}
"""Log entries a service records between two published events (registration's drafts)."""
SUBMISSION_TYPES = {"d73.proposal.submitted.v1", "d73.case.opened.v1"}


@dataclass(frozen=True)
class _Sequence:
    stream: int


@dataclass(frozen=True)
class _Metadata:
    stream: str
    sequence: _Sequence
    num_delivered: int = 1


@dataclass(frozen=True)
class FakeMsg:
    """What the consumers read of a JetStream message."""

    subject: str
    headers: dict[str, str]
    data: bytes
    metadata: _Metadata


def messages_of(published: Sequence[Message]) -> list[FakeMsg]:
    """Each message as its stream would deliver it: body, CloudEvents type, log head."""
    trees = {stream: MerkleTree() for stream in PRIVATE_LEAVES}
    out = []
    for message in published:
        tree = trees[message.stream]
        leaves = []
        for n in range(PRIVATE_LEAVES[message.stream] + 1):
            index = tree.append_entry(f"{message.stream} {message.seq} {n}".encode())
            leaves.append(tree.leaf_hash(index))
        headers = {CE_TYPE: message.body["type"], **log_headers(index, tree.root(), leaves)}
        subject = message.body["type"].removesuffix(".v1")
        out.append(
            FakeMsg(
                subject,
                headers,
                orjson.dumps(message.body),
                _Metadata(message.stream, _Sequence(message.seq)),
            )
        )
    return out


def renumbered(messages: Sequence[Message]) -> list[Message]:
    """Stream sequences 1, 2, 3… again after a filter (a jump would be a gap alarm)."""
    seqs: dict[str, int] = {}
    out = []
    for m in messages:
        seqs[m.stream] = seqs.get(m.stream, 0) + 1
        out.append(Message(m.stream, seqs[m.stream], m.body))
    return out


def one_round(
    msgs: Sequence[FakeMsg],
    directory: OrganisationDirectory,
    *,
    postgres: bool = False,
    batch_size: int = BATCH,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, _settings(Path(folder), postgres) as settings:
        app = ReportingApplication(env=service_store_env("reporting", settings))
        notifications = create_notifications(settings, directory, app.working_days)
        archiving: dict[str, TrackedConsumer] = {
            REGISTRATION_STREAM.name: ArchivingConsumer(
                app=app, upstream=REGISTRATION_STREAM, witnessed_service="registration"
            ),
            APPROVAL_STREAM.name: ArchivingConsumer(
                app=app, upstream=APPROVAL_STREAM, witnessed_service="approval"
            ),
        }
        notify = notifications.consumer
        share_decodes([*archiving.values(), notify])  # as the service's wiring does
        cpu = {"archive": 0.0, "notify": 0.0, "read_models": 0.0}
        started = time.perf_counter()
        for first in range(0, len(msgs), batch_size):
            chunk = msgs[first : first + batch_size]
            for stream, consumer in archiving.items():
                batch = [m for m in chunk if m.metadata.stream == stream]
                cpu["archive"] += _pass(consumer, batch)
                if stream == APPROVAL_STREAM.name:
                    cpu["notify"] += _pass(notify, batch)
            if (first + len(chunk)) % BATCH and first + len(chunk) < len(msgs):
                continue  # the read models catch up every BATCH messages, as on a timer
            before = time.process_time()
            app.projections.catch_up()
            cpu["read_models"] += time.process_time() - before
        wall = time.perf_counter() - started
        rss = psutil.Process().memory_info().rss
        notified = notifications.app.index.count()
        app.close()
        notifications.close()
    return {**cpu, "wall": wall, "notifications": notified, "rss_mb": rss / 2**20}


@contextlib.contextmanager
def _settings(folder: Path, postgres: bool) -> Iterator[Settings]:
    """Fresh stores: SQLite files in `folder`, or throwaway databases on the local PostgreSQL
    server (tests.support.infra), dropped afterwards."""
    if not postgres:
        yield Settings(data_dir=folder)
        return
    with throwaway_postgres(data_dir=folder) as settings:
        yield settings


def _pass(consumer: TrackedConsumer, batch: Sequence[Any]) -> float:
    """CPU seconds of one worker-thread pass over `batch`; every message must be recorded."""
    if not batch:
        return 0.0
    before = time.process_time()
    done, failure = consumer._consume_in_order(batch, [1] * len(batch))
    spent = time.process_time() - before
    if failure is not None:
        raise RuntimeError(f"{consumer.durable}: message {done} failed") from failure
    return spent


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--journeys", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mix", choices=("journeys", "submissions"), default="journeys")
    parser.add_argument(
        "--batch", type=int, default=BATCH, help="messages per pass (1: a steady feed's fetches)"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="stores on the local PostgreSQL server"
    )
    args = parser.parse_args(argv)
    import logging

    logging.disable(logging.INFO)  # the consumers log each message at INFO: not a cost here
    directory = load_directory()  # every version, as the service loads it
    published = publish(random_journeys(args.journeys))
    if args.mix == "submissions":
        published = renumbered([m for m in published if m.body["type"] in SUBMISSION_TYPES])
    msgs = messages_of(arrivals(published))
    events = len(msgs)
    rounds = [
        one_round(msgs, directory, postgres=args.postgres, batch_size=args.batch)
        for _ in range(args.rounds)
    ]
    best = min(rounds, key=lambda r: r["archive"] + r["notify"] + r["read_models"])
    per_event = {k: round(best[k] / events * 1e6, 1) for k in ("archive", "notify", "read_models")}
    total = round(sum(per_event.values()), 1)
    figures = {
        "mix": args.mix,
        "batch": args.batch,
        "store": "postgres" if args.postgres else "sqlite",
        "events": events,
        "approval_events": sum(1 for m in msgs if m.metadata.stream == APPROVAL_STREAM.name),
        "notifications": best["notifications"],
        "cpu_us_per_event": total,
        **{f"{k}_us_per_event": v for k, v in per_event.items()},
        "wall_us_per_event": round(best["wall"] / events * 1e6, 1),
        "rss_mb": round(best["rss_mb"], 1),
        "rounds_cpu_us": [
            round((r["archive"] + r["notify"] + r["read_models"]) / events * 1e6, 1) for r in rounds
        ],
    }
    print(
        f"{events} events ({figures['approval_events']} from approval, "
        f"{figures['notifications']} notifications): {total} µs CPU per archived event — "
        f"archive {per_event['archive']}, notifier {per_event['notify']}, "
        f"read models {per_event['read_models']}"
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
