"""Both cores saturated for a while, nothing failed: how many times does a VIP move?
Fast VRRP timers that flap under load are worse than slow ones (BENCHMARKS.md).

Usage (root, no lab up): venv/bin/python bench/saturation.py [SECONDS] [STACK]"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from busy_loops import busy_loops

from ha_udp_lb.lab.host.control import holders
from ha_udp_lb.lab.host.site import down, up

POLL_S = 0.1


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    stack = sys.argv[2] if len(sys.argv) > 2 else "dev"
    state = up(stack)
    try:
        with busy_loops(seconds) as burners:
            previous, moves, polls = holders(state), 0, 0
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                time.sleep(POLL_S)
                current = holders(state)
                moves += sum(1 for vip in current if current[vip] != previous[vip])
                previous, polls = current, polls + 1
        result = {
            "stack": stack,
            "seconds": seconds,
            "burners": burners,
            "polls": polls,
            "vip_moves": moves,
            "holders_at_end": previous,
        }
        print(json.dumps(result))
    finally:
        down()


if __name__ == "__main__":
    main()
