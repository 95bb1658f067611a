"""The loop a `d73 verify` worker runs, over the first N events of a kept store, for callgrind.

    PYTHONPATH=$PWD valgrind --tool=callgrind python -m bench.verify_worker_loop DIR N

DIR is a store kept by `python -m bench.verify_store --events 200000 --quick --keep DIR`. Run it
with N and with 0: (instructions at N - instructions at 0) / N is the worker's cost per event
(reading the row, its entry, the leaf hash, the frontier), start-up and imports taken out.
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.platform.settings import Settings
from shared.records.merkle.tree import frontiers_of_pages
from shared.records.servicelog.verify import StoreLeaves, open_store

SERVICE = "registration"


def main(store: Path, events: int) -> int:
    app = open_store(SERVICE, Settings(data_dir=store))
    try:
        leaves = StoreLeaves.of_store(SERVICE, app, first_id=1, count=events)
        pages = leaves.leaf_hash_pages({1, events})
        return frontiers_of_pages(pages, [events] if events else []).size
    finally:
        app.close()


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), int(sys.argv[2])))
