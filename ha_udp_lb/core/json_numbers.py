"""JSON numbers of any length. Pulumi hands structured config to the program JSON-encoded and its CLI
writes numbers of any length; Python's json refuses ints over 4,300 digits. Such a value must reach
validation, which names its key, rather than crash the reader."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def any_int_digits() -> Iterator[None]:
    """Lift the interpreter's int/str digit limit for the block, then put it back."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)
