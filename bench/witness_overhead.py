"""What witnessing costs reporting per archived event (issue #6), in process, on its own store.

    .venv/bin/python -m bench.witness_overhead --rounds 3

Archives the Cần Thơ 2025 data set (tests/support/reporting_data) into a fresh SQLite store,
once as before the witness (no log head) and once with each event's log head, so the witness
follows a log as it does behind the real services; rounds alternate, the best counts.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from services.reporting.application import ReportingApplication
from services.reporting.commands import LogObservation
from shared.platform.eventstore import store_env
from shared.platform.settings import Settings
from shared.records.merkle.tree import MerkleTree
from shared.records.servicelog.heads import PublishedHead
from tests.support.reporting_data import CAN_THO_2025, Message, publish


def archive_all(messages: Sequence[Message], *, witness: bool) -> float:
    """Seconds per event to archive every message into a new store."""
    with tempfile.TemporaryDirectory() as folder:
        app = ReportingApplication(env=store_env("reporting", Settings(data_dir=Path(folder))))
        trees: dict[str, MerkleTree] = {}
        started = time.perf_counter()
        for message in messages:
            observed = None
            if witness:
                tree = trees.setdefault(message.stream, MerkleTree())
                index = tree.append_entry(f"{message.stream} {message.seq}".encode())
                head = PublishedHead(index, (tree.leaf_hash(index),), tree.root())
                observed = LogObservation(message.stream, head)
            app.archive_body(message.body, message.tracking, observed)
        elapsed = time.perf_counter() - started
        app.close()
    return elapsed / len(messages)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    messages = list(publish(CAN_THO_2025))
    plain: list[float] = []
    witnessed: list[float] = []
    for _ in range(args.rounds):
        plain.append(archive_all(messages, witness=False))
        witnessed.append(archive_all(messages, witness=True))
    figures = {
        "events": len(messages),
        "archive_ms_per_event": round(min(plain) * 1e3, 3),
        "archive_and_witness_ms_per_event": round(min(witnessed) * 1e3, 3),
        "witness_ms_per_event": round((min(witnessed) - min(plain)) * 1e3, 3),
    }
    print(
        f"{len(messages)} events: archive {figures['archive_ms_per_event']} ms/event, with the "
        f"witness {figures['archive_and_witness_ms_per_event']} ms/event "
        f"(+{figures['witness_ms_per_event']} ms)"
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
