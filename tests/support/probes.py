"""Code run in a fresh interpreter: what a process loads is seen only from its own start."""

from __future__ import annotations

import subprocess
import sys


def in_fresh_interpreter(code: str) -> str:
    """What `code` prints, run by `python -c` in a process of its own; its stderr on failure."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"the probe exited {done.returncode}: {done.stderr}")
    return done.stdout.strip()
