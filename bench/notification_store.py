"""The notification store's CPU per case event, in process: what the notifier's consumer records.

    .venv/bin/python -m bench.notification_store --events 1000 --rounds 3

Each case event opens a case, sets the step it waits on and tells five people (a notification
each, with a text of some 350 characters), through `NotificationsApplication.handle` in consumer
batches of 64 on a fresh SQLite store, as `TrackedConsumer` records them: the store's commit, its
index (folded into its tables, issue #19) and the case file kept loaded. The notifier's own work
(who is told, the letters) is not here: `bench.reporting_consume` has it.

Prints process CPU µs per case event (not wall time: the figure that holds on a shared machine),
each round and their median.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import Tracking

from services.reporting.commands import NoteCaseEvent
from services.reporting.notifications.store import STORE, NotificationsApplication
from shared.kernel.actor import SYSTEM
from shared.platform.eventstore import store_env
from shared.platform.settings import Settings
from tests.unit.notifications.test_kept_case_files import APPROVAL, opening, told, waits

PEOPLE = ("ct.p0026", "ct.p0100", "ct.p0101", "ct.p0132", "ct.p0001")
TEXT = "Kính gửi ông/bà, hồ sơ đã được tiếp nhận. " * 8
BATCH = 64


def one_round(events: int) -> float:
    """CPU µs per case event on a fresh store."""
    with tempfile.TemporaryDirectory() as folder:
        app = NotificationsApplication(store_env(STORE, Settings(data_dir=Path(folder))))
        notes = []
        for _ in range(events):
            case_id, source = uuid4(), uuid4()
            told_each = tuple(told(source, person, case_id, TEXT) for person in PEOPLE)
            notes.append(NoteCaseEvent(case_id, opening(case_id), waits("submitted"), told_each))
        assert app.batches is not None
        before = time.process_time()
        for first in range(0, events, BATCH):
            with app.consumer_lock, app.batches.batch() as batch:
                for position, note in enumerate(notes[first : first + BATCH], start=first + 1):
                    with batch.step():
                        app.handle(note, SYSTEM, Tracking(APPROVAL, position))
        spent = time.process_time() - before
        app.close()
    return spent / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    rounds = [one_round(args.events) for _ in range(args.rounds)]
    median = statistics.median(rounds)
    print(f"{median:.1f} µs CPU per case event (median of {args.rounds})")
    print(json.dumps({"cpu_us_per_case_event": round(median, 1), "rounds": rounds}))


if __name__ == "__main__":
    main()
