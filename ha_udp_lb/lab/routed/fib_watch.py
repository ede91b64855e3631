"""The router's forwarding table for a VIP, watched through a trial: when each node left or joined the
ECMP set, as the kernel had it. Told by the kernel (`ip monitor route`, stamped as it reads each change),
not polled: a poll that runs `ip route` sees a change up to a poll late."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from datetime import datetime

from ..host.state import RouterState
from . import router

LINE = re.compile(r"^\[(?P<stamp>[^\]]+)\] (?P<deleted>Deleted )?(?P<route>\S+) (?P<rest>.*)$")
HOP = re.compile(r"\bvia (\S+)")


class FibWatch:
    def __init__(self, state: RouterState, vip: str) -> None:
        self._vip = vip
        self._wall_to_monotonic = time.monotonic_ns() - time.time_ns()
        argv = ["ip", "netns", "exec", state.netns, "ip", "-o", "-ts", "monitor", "route"]
        self._monitor = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        self._thread = threading.Thread(target=self._read, daemon=True)
        # Read after starting the monitor: a change from before it listens is at least in this reading.
        self.changes: list[tuple[int, list[str]]] = [(time.monotonic_ns(), router.nexthops(state, vip))]
        """(CLOCK_MONOTONIC ns, the nexthops from then on), the first entry what it held at the start."""

    def __enter__(self) -> FibWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._monitor.terminate()
        self._monitor.wait(timeout=5)
        self._thread.join(timeout=5)

    def _read(self) -> None:
        assert self._monitor.stdout is not None
        for line in self._monitor.stdout:
            change = LINE.match(line.strip())
            if not change or change["route"] not in (self._vip, f"{self._vip}/32"):
                continue
            hops = [] if change["deleted"] else sorted(HOP.findall(change["rest"]))
            at = int(datetime.fromisoformat(change["stamp"]).timestamp() * 1e9) + self._wall_to_monotonic
            if hops != self.changes[-1][1]:
                self.changes.append((at, hops))

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
