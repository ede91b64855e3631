"""Both cores saturated for a while, nothing failed: how many times does a VIP move?
Fast VRRP timers that flap under load are worse than slow ones (BENCHMARKS.md).

Usage (root, no lab up): venv/bin/python bench/saturation.py [SECONDS] [STACK]"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab.host.control import holders
from lab.host.site import down, up

POLL_S = 0.1


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 300.0
    stack = sys.argv[2] if len(sys.argv) > 2 else "dev"
    state = up(stack)
    burners: list[subprocess.Popen[bytes]] = []
    try:
        # One busy loop per core plus one: the daemons compete for every CPU cycle.
        spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
        burners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range((os.cpu_count() or 2) + 1)]
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
            "burners": len(burners),
            "polls": polls,
            "vip_moves": moves,
            "holders_at_end": previous,
        }
        print(json.dumps(result))
    finally:
        for burner in burners:
            burner.kill()
        down()


if __name__ == "__main__":
    main()
