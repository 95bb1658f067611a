"""How a service process uses the C heap, so that it stays under 150 MB (issue #19).

Two things made a service's RSS grow with the work it had done rather than with what it holds:

- glibc gives every thread that allocates an arena of its own, up to eight per core, and an
  arena keeps what it once held. A service answers HTTP from a pool of worker threads and
  consumes NATS from another, so under a burst a dozen threads each grew an arena. Two arenas
  are enough: the threads mostly wait on SQLite and the network.
- freed memory in the middle of an arena stays resident until `malloc_trim` gives its pages
  back; Python's small-object pools and decoded batches leave much of it behind after a burst.

Measured with an 8–15 s burst of submissions and its drain (the three services on SQLite):
registration 101 → 138 MB at its peak, 120 MB with two arenas, 110–119 MB with the trim too;
reporting 103 → 150–161 MB, 128 MB with both.

`MALLOC_ARENA_MAX` in the environment would do the first but must be set before the process
starts; doing both here, first thing in `d73 serve`, covers containers, `d73 run`, the tests
and the benches alike. An operator's own `MALLOC_ARENA_MAX` wins.

SQLite's page caches are a third: each pooled connection keeps up to 2 MB of pages, and a read
that walks the store (a read model catching up from position 0, reporting's archive) fills the
cache of every connection it ran on. One soft limit on SQLite's heap, for the whole process,
makes them recycle their pages instead of each growing to its own bound.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import os
import sqlite3
import sys
import threading
import time

M_ARENA_MAX = -8
"""mallopt's parameter number for the arena limit (glibc's malloc.h)."""
SERVICE_ARENAS = 2
SQLITE_HEAP_LIMIT = 4 * 2**20
"""SQLite's memory, all connections together, beyond which their caches recycle pages. Under
bench.portal_pages at 1 M archived events SQLite held up to 8.7 MB in approval, 5.3 MB in
registration, and swung between 2.9 and 10.6 MB in reporting while its relay published the
archive."""
TRIM_EVERY_SECONDS = 5.0
"""One trim walks a 160 MB heap in about 1.5 ms: 0.03 % of a core at one every five seconds."""


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """glibc, loaded once, or None elsewhere (musl and other systems keep one arena and trim on
    their own)."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.mallopt.restype = ctypes.c_int
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def limit_malloc_arenas(arenas: int = SERVICE_ARENAS) -> bool:
    """Cap the arenas for threads started after this call; whether it took (False off glibc
    or when the operator chose with `MALLOC_ARENA_MAX`)."""
    libc = _glibc()
    if libc is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def trim_heap() -> bool:
    """Give the free pages of every arena back to the system; whether any were."""
    libc = _glibc()
    return libc is not None and bool(libc.malloc_trim(0))


def start_trimming(every_seconds: float = TRIM_EVERY_SECONDS) -> threading.Thread | None:
    """A daemon thread trimming the heap every `every_seconds` (None off glibc)."""
    libc = _glibc()
    if libc is None:
        return None

    def trim_forever() -> None:
        while True:
            time.sleep(every_seconds)
            libc.malloc_trim(0)

    thread = threading.Thread(target=trim_forever, name="d73-heap-trim", daemon=True)
    thread.start()
    return thread


def limit_sqlite_heap(limit: int = SQLITE_HEAP_LIMIT) -> int:
    """Set SQLite's soft heap limit for the process (every connection, opened before or after);
    returns it as SQLite now holds it."""
    with contextlib.closing(sqlite3.connect(":memory:")) as connection:
        connection.execute(f"PRAGMA soft_heap_limit = {int(limit)}")
        row = connection.execute("PRAGMA soft_heap_limit").fetchone()
    return int(row[0])


def tune_service_memory() -> None:
    """What `d73 serve` does before uvicorn and the service start their threads."""
    limit_malloc_arenas()
    start_trimming()
    limit_sqlite_heap()


YOUNG_OBJECTS = 10_000
"""Container objects allocated (net) before the cyclic collector runs: Python's 700 made it run
several times a request."""


def settle_started_heap() -> None:
    """What `d73 serve` does once the service has started: collect once, then move everything
    alive (modules, the app, its caches' skeletons) out of the collector's sight (`gc.freeze`),
    since none of it ever becomes garbage, and let the young generation grow to
    `YOUNG_OBJECTS`. Under a submission burst the collector had taken 8.4 % of registration's
    CPU (perf, self time of `gc_collect_main` and its traversals; 0.2 % after), walking the
    same start-up objects on every older-generation pass."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, old)
