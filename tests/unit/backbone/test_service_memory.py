"""A service's C heap: few arenas, and freed pages handed back (issue #19, RSS < 150 MB)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")


def _run(code: str, **env: str) -> str:
    """`code` in a fresh interpreter (arenas can only be capped before threads allocate)."""
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


@glibc_only
def test_an_operators_malloc_arena_max_is_left_alone() -> None:
    code = """
        from shared.platform.memory import limit_malloc_arenas
        print(limit_malloc_arenas())
    """
    assert _run(code) == "True"
    assert _run(code, MALLOC_ARENA_MAX="4") == "False"


@glibc_only
def test_trimming_gives_freed_memory_back_to_the_system() -> None:
    """Three of every four 3 kB buffers freed leave holes below the top of the heap, which no
    arena returns by itself; the trim does."""
    out = _run(
        """
        import gc
        import psutil
        from shared.platform.memory import trim_heap
        rss = lambda: psutil.Process().memory_info().rss
        kept = [bytearray(3000) for _ in range(20_000)]  # 60 MB
        kept = kept[::4]
        gc.collect()
        before = rss()
        trim_heap()
        print(before - rss())
        """
    )
    assert int(out) > 16 * 2**20  # 23.6 MB measured


@glibc_only
def test_the_trim_runs_on_its_own_thread() -> None:
    out = _run(
        """
        import time
        from shared.platform.memory import start_trimming
        thread = start_trimming(every_seconds=0.01)
        time.sleep(0.05)
        print(thread is not None and thread.daemon and thread.is_alive())
        """
    )
    assert out == "True"


def test_sqlite_caches_share_one_soft_limit_across_connections() -> None:
    """Five connections that each read a 40 MB table hold ~10 MB of SQLite pages between them
    without the limit (2 MB a cache), about the limit with it."""
    out = _run(
        """
        import ctypes, os, sqlite3, tempfile, _sqlite3
        from shared.platform.memory import limit_sqlite_heap
        used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
        used.restype = ctypes.c_int64
        path = os.path.join(tempfile.mkdtemp(), "pages.sqlite")
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, state BLOB)")
            db.executemany("INSERT INTO t (state) VALUES (?)", [(b"x" * 2000,)] * 20_000)
        print(limit_sqlite_heap(3 * 2**20))
        for db in [sqlite3.connect(path) for _ in range(5)]:
            db.execute("SELECT sum(length(state)) FROM t").fetchall()
        print(used())
        """
    )
    limit, used = map(int, out.split())
    assert limit == 3 * 2**20
    assert used < 4.5 * 2**20  # ~3.3 MB measured; ~10 MB without the limit


def test_a_started_service_hides_its_start_up_heap_from_the_collector() -> None:
    """After the start: start-up's cyclic garbage collected, what is alive frozen (not walked by
    later collections), and a young generation of `YOUNG_OBJECTS`."""
    out = _run(
        """
        import gc, weakref
        from shared.platform.memory import YOUNG_OBJECTS, settle_started_heap

        class Node:
            pass

        gc.disable()
        kept = [Node() for _ in range(1000)]
        garbage = Node()
        garbage.me = garbage
        gone = weakref.ref(garbage)
        del garbage
        settle_started_heap()
        print(gone() is None, gc.get_freeze_count() > len(kept))
        print(gc.get_threshold()[0] == YOUNG_OBJECTS)
        """,
        PYTHONPATH=os.getcwd(),
    )
    assert out.splitlines() == ["True True", "True"]
