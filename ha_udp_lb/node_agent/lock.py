"""The node's one lock, between `apply` (which installs pool files and the table, holding it with
flock(1) until it has restarted the agent) and the running agent (which rewrites the same pool files
and slot maps): never both at once. The agent never waits for it: it tries again later."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held(path: str) -> Iterator[bool]:
    """True while the lock at `path` is ours; False, holding nothing, while someone else holds it."""
    if not path:
        yield True
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # releases the lock with the descriptor
