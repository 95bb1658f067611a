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
