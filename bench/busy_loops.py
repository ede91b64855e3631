"""The load of every saturated run: one busy loop per core plus one, bounded in time, so whatever is
measured competes for every CPU cycle."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def busy_loops(seconds: float, count: int | None = None) -> Iterator[int]:
    """`count` busy loops (one per core plus one unless told) for at most `seconds`; yields how many."""
    spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    loops = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count or (os.cpu_count() or 2) + 1)]
    try:
        yield len(loops)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
