"""The router's forwarding table for a VIP, watched through a trial: when each node left or joined the
ECMP set, as the kernel had it (polled; a change is seen within one poll, ~5 ms)."""

from __future__ import annotations

import threading
import time

from ..host.state import RouterState
from . import router

POLL_S = 0.003


class FibWatch:
    def __init__(self, state: RouterState, vip: str) -> None:
        self.changes: list[tuple[int, list[str]]] = []
        """(CLOCK_MONOTONIC ns, the nexthops from then on), the first entry what it held at the start."""
        self._router, self._vip = state, vip
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FibWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            hops = router.nexthops(self._router, self._vip)
            if not self.changes or self.changes[-1][1] != hops:
                self.changes.append((time.monotonic_ns(), hops))
            time.sleep(POLL_S)

    def left_ms(self, address: str, since_ns: int) -> float | None:
        """Ms from `since_ns` until the router stopped sending to `address` (None: it never did)."""
        for at, hops in self.changes:
            if at >= since_ns and address not in hops:
                return round((at - since_ns) / 1e6, 1)
        return None

    def joined_ms(self, address: str, since_ns: int) -> float | None:
        """Ms from `since_ns` until the router sent to `address` again."""
        for at, hops in self.changes:
            if at >= since_ns and address in hops:
                return round((at - since_ns) / 1e6, 1)
        return None
